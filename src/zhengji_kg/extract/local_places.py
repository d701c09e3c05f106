"""Places below county level, which the gazetteer does not hold, by their form: a proper name ending in a unit
word (…镇, …乡, …街道, …村, …社区, …新区), in the words jieba cut around it — cut again where a found place or a
body's word says a name ends — and, for names of common words, in a frame that says they are places."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.rules import alternation
from zhengji_kg.base.segment import tokens, window_tokens, word_tag
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.places import _HAN_WORD, _LEVEL_CHARS
from zhengji_kg.extract.registry import register


@register("local_place")
def local_places(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """Places below county level by their form (the gazetteer stops at counties): a proper name of one to
    ``max_chars`` characters ending in a unit word (…镇, …乡, …街道, …村, …社区, …新区) — 城关镇, 白塔街道.
    A county or city written right before it joins the name (红安县城关镇, with 城关镇 an alias). The name
    is made of whole words (jieba's), and its first word is not a verb, adverb, preposition, conjunction,
    pronoun or number of its sentence; which of these candidates are places the scored decision says."""
    units = tuple(sorted(rule.get("units") or (), key=len, reverse=True))
    if not units or not any(u in doc.text for u in units):
        return
    rx = alternation(frozenset(units))
    max_chars = int(rule.get("max_chars", 5))
    not_first = tuple(rule.get("not_first_classes") or ("v", "d", "p", "c", "r", "m", "q", "u", "f"))
    generic = frozenset(rule.get("generic") or ())
    places = ctx.place_spans
    common = _common_frames(rule)
    triggers = ctx.rules.words.get("triggers", frozenset())
    bodies = frozenset(rule.get("bodies_after_unit") or ())
    local: dict[int, str] = {}  # end → full name of the local places found so far
    alone: list[tuple[int, int]] = []  # spans of names of common words with no parent before them
    for sent in doc.sentences:
        text = sent.text
        for m in rx.finditer(text):
            us, ue = m.span()
            if us == 0 or not _HAN_WORD.match(text, us - 1) or text[us - 1 : ue] in generic:
                continue  # no name before it, or a common noun (乡镇, 农村)
            if ue < len(text) and text[us : ue + 1] in generic:
                continue  # the unit opens a common noun (乡村振兴)
            if any(pe == sent.start + ue for _ps, pe in places):
                continue  # the gazetteer's own division ends here (浦东新区, 滨海新区)
            # the words of the run of text around it (as the whole sentence would be cut: see window_tokens),
            # cut again where a name must end: at a place found before it, after a unit that opens a body
            ends = [pe - sent.start for _ps, pe in places if sent.start < pe < sent.start + us]
            ends += [b - sent.start for b in local if sent.start < b < sent.start + us]
            toks = _recut(window_tokens(text, us, ue, ctx.jieba_words), us, ue, ends, bodies)
            after = _after_parent(text, toks, us, ue, ends, max_chars, ctx)
            if after is not None and text[after:ue] not in generic and text[after:us] not in generic:
                yield from _local_place(
                    doc, rule["id"], local, places, sent.start + after, sent.start + ue, text[after:ue]
                )
                continue
            j = next((k for k, (_w, _s, e) in enumerate(toks) if e == ue), None)
            if j is None or (toks[j][1] < us and toks[j][0] in generic):
                continue  # the unit word ends inside a word (乡村振兴), or ends a common noun (乡镇, 农村)
            # the name's own words, walking left: from the word the unit ends (城关镇), or from the word before a
            # unit that is a word of its own (白塔|街道)
            i = j if toks[j][1] < us else j - 1
            first = None
            while i >= 0:
                w, s, _e = toks[i]
                # (a town and its village written as one run, 龙源口镇桥林村, may be twice as long)
                reach = max_chars * 2 if _TOWN_UNIT.search(text, s + 2, us) else max_chars
                if not _HAN_WORD.fullmatch(w) or us - s > reach or w in triggers:
                    break  # (a verb of setting up the rules add to the dictionary, 建立了, is no unknown name)
                if i < j and (any(ps <= sent.start + s < pe for ps, pe in places) or sent.start + _e in local):
                    break  # a place found before (红安县|城关镇, 沙圪堵镇|柳树湾村) is the parent, not part of the name
                tag = word_tag(w)
                if tag.startswith(not_first) and not tag.startswith(("ns", "nr", "nz", "vn")) and tag not in _NAME_LIKE:
                    # 十八|洞村, 八一|村, 四方|村: a numeral opens a name, and nothing before it is its part
                    if tag == "m" and _NUMERAL_WORD.fullmatch(w):
                        first = i
                    break
                if word_tag(w[0]) == "r":  # 各街道, 该镇, 本村: a determiner opens the word, no name does
                    break
                first = i
                i -= 1
            if first is None:
                continue  # a unit word with no name before it (街道, 社区), or one after a verb (落实城乡)
            # a place's name opens with a proper name or a word jieba does not know (城关|镇, 宁溪镇, 瓦场|街|社区):
            # common words before it are not part of it (乡镇干部|驻村, 新时代|滨海新区), and a name made of them
            # alone is none (误会|村, 童车|小镇, 后进村)
            # right after its county or city, a town whose name ends in a level character is cut by jieba into a
            # common word with its unit (乐清市|柳|市镇): the parent says it is a name, of 柳市 + 镇
            under = (
                toks[j][1] < us
                and text[toks[j][1] : us] in _LEVEL_CHARS
                and any(pe == sent.start + toks[first][1] and ps < pe for ps, pe in places)
            )
            # written right after the place it lies in (吴兴区|织里镇, 桐庐县|分水镇), a name may open with a common
            # word: the parent says it is one — unless the name is one common word of the dictionary (新农村), or a
            # kind of settlement the rule calls generic (重点镇, 特色小镇, 部分村)
            opening = sent.start + toks[first][1]
            after_parent = (
                first < j
                and (opening in local or any(pe == opening for _ps, pe in places))
                and word_tag(text[toks[first][1] : ue]) == ""
            )
            walked = first
            first = first if under or after_parent else _proper_opening(toks, first, j, us, ue)
            if first is None and toks[j][1] < us and _unknown_word(text[toks[walked][1] : us], ctx):
                first = walked  # 思|口镇, 差|干镇: jieba ran a name it does not know into the unit's word
            if first is None or us - toks[first][1] < 2:
                # a name of common words standing alone: a place if a frame says so (在仓房镇, 九重镇党委, 土门村等
                # 12个村), else only if the document names it after its parent elsewhere (海盐县天子湖镇 …
                # 天子湖镇率先试点) — settled once every sentence is read
                start = toks[walked][1]
                if us - start >= 2 and word_tag(text[start:ue]) == "" and text[start:ue] not in generic:
                    a, b = sent.start + start, sent.start + ue
                    sibling = a > 0 and doc.text[a - 1] == "、" and a - 1 in local  # 龙泉镇、石磨镇
                    if common and _nouns(toks, walked, j) and (sibling or common.framed(doc.text, a, b)):
                        yield from _local_place(doc, common.rule_id, local, places, a, b, text[start:ue])
                    else:
                        alone.append((a, b))
                continue
            stem = text[toks[first][1] : us]
            if stem[-1] in _LEVEL_CHARS and not under:
                continue  # 普洱市|镇: a city's name and a unit is none (包村, 驻村: one character is no name, above)
            start = toks[first][1]
            if text[start] in _PREPOSITIONS and us - start >= 3 and not word_tag(toks[first][0]):
                start += 1  # jieba ran a preposition into a name it does not know (在祥|周镇): it is no part of it
            name = text[start:ue]
            if name in generic or name[: len(name) - (ue - us)] in generic or _PARALLEL.fullmatch(name):
                continue
            a, b = sent.start + start, sent.start + ue
            # a town and the village in it written as one run, which jieba cut across the town's unit
            # (大麻|镇海|华村): two places, the town the village's parent
            inner = _TOWN_UNIT.search(name, 2, len(name) - (ue - us) - 2)
            if inner is not None:
                town = name[: inner.end()]
                yield from _local_place(doc, rule["id"], local, places, a, a + len(town), town)
                a, name = a + len(town), name[len(town) :]
            yield from _local_place(doc, rule["id"], local, places, a, b, name)
    yield from _named_again(doc, rule, local, alone)


def _named_again(doc: Document, rule: dict, local: dict[int, str], alone: list[tuple[int, int]]) -> Iterator[Mention]:
    """The names of ``alone`` that the document also writes after their parent, as that place (its key)."""
    if not alone or not local:
        return
    full = set(local.values())
    for a, b in alone:
        name = doc.text[a:b]
        keys = {k for k in full if k.endswith(name) and len(k) > len(name)}
        if len(keys) == 1 and b not in local:
            (key,) = keys
            yield Mention(type="place", surface=name, key=key, start=a, end=b, rule=rule["id"], aliases=(name,))


@dataclass(frozen=True)
class _Frames:
    """What says that a name of common words standing alone is a place: a word right before it (在仓房镇,
    走进土门村) or right after it (九重镇党委, 土门村等12个村) — ``common`` of the local-place rule, whose
    ``id`` the names found so carry (the scored decision weighs them apart)."""

    rule_id: str
    before: re.Pattern[str]
    after: re.Pattern[str]

    def framed(self, text: str, a: int, b: int) -> bool:
        return bool(self.before.search(text, max(0, a - 4), a) or self.after.match(text, b))


@lru_cache(maxsize=8)
def _frames(rule_id: str, before: tuple[str, ...], after: tuple[str, ...]) -> _Frames:
    return _Frames(
        rule_id,
        re.compile("(?:" + "|".join(before) + ")$"),
        re.compile("|".join(after)),
    )


def _common_frames(rule: dict) -> _Frames | None:
    common = rule.get("common")
    if not common or (not common.get("before") and not common.get("after")):
        return None
    # a pattern that never matches stands for a side with no frames
    return _frames(common["id"], tuple(common.get("before") or ["(?!)"]), tuple(common.get("after") or ["(?!)"]))


def _nouns(toks: list[tuple[str, int, int]], first: int, j: int) -> bool:
    """The words of a name of common words are nouns, or words jieba does not know (土门|村, 茶庵|铺镇), or a
    numeral opening it (十八|洞村) — not a time (晚上|进村), a verb or a distinguishing word (所在|苏木) — the
    word that holds the unit aside."""
    return all(
        (tag := word_tag(toks[k][0])) in _NAME_LIKE
        or tag.startswith("n")
        or (k == first and _NUMERAL_WORD.fullmatch(toks[k][0]))
        for k in range(first, j)
    )


def _local_place(
    doc: Document, rule_id: str, local: dict[int, str], places: list[tuple[int, int]], a: int, b: int, name: str
) -> Iterator[Mention]:
    """The mention of a local place at ``a``–``b``. A place ending right before it (红安县|城关镇,
    城关镇|张家畈村) is its parent: the key is the full name, the mention covers its own words (the parent
    keeps its own mention)."""
    parent = local.get(a) or next((doc.text[ps:pe] for ps, pe in places if pe == a), None)
    key = parent + name if parent else name
    local[b] = key
    yield Mention(type="place", surface=name, key=key, start=a, end=b, rule=rule_id, aliases=(name,))


_TOWN_UNIT = re.compile("镇|乡|街道|苏木")  # a town's unit inside a name: after two characters, before two
_PREPOSITIONS = frozenset("在到把被让给经由")  # prepositions that open no place's name
# a slogan of parallel parts, one character and a unit each (百县千镇, 驻镇帮镇): no place's name
_PARALLEL = re.compile("(?:[^县镇乡村街][县镇乡村]){2,}")
# a numeral word of Chinese characters that opens a place's name (十八|洞村, 八一|村, 五里|村, 四方|村), not a count
# of things (三个, 两项, 几批)
_NUMERAL_WORD = re.compile(
    "[一二三四五六七八九十百千两双]+[^个项位名次批家类种条件所座户人年月日一二三四五六七八九十百千两双]?"
)
_PROPER = ("ns", "nr", "nz")


def _proper_opening(toks: list[tuple[str, int, int]], first: int, j: int, us: int, ue: int) -> int | None:
    """The first of the words ``first``…``j`` (``j`` ends with the unit, ``us``–``ue``) that is a proper name
    or unknown to jieba's tag table — for the word that holds the unit, what it is without it — or None. A word
    of locality (城北) opens a name only in a frame (``_nouns``): 下|党|乡下|党村 is jieba cutting across a unit."""
    for k in range(first, j + 1):
        w, s, _e = toks[k]
        if k == j:
            if s >= us:
                return None  # only the unit is left
            tag = word_tag(w) or word_tag(w[: len(w) - (ue - us)])
        else:
            tag = word_tag(w)
        if (tag in _NAME_LIKE and tag != "s") or tag.startswith(_PROPER):
            # a bound morpheme stands in a name with the word before it (青石|坳): that word opens it (not the
            # unit's own word, whose remainder says nothing of the words before it: 平均|每村)
            return k - 1 if first < k < j and tag in _BOUND else k
    return None


_BOUND = frozenset(("g", "zg", "ng", "vg"))


# word classes of jieba's that a place's name is made of as readily as of a proper name: a word it does not
# know (''), a character it cannot class (x: 蚺), a bound morpheme (g, zg, ng, vg: 坳, 巉, 濯), a word of
# locality (s: 城北)
_NAME_LIKE = frozenset(("", "x", "g", "zg", "ng", "vg", "s"))


def _unknown_word(stem: str, ctx: Context) -> bool:
    """Whether ``stem`` (two or three characters) cut alone is one word jieba's tag table does not know: the
    name jieba ran into the word of its unit (思|口镇) is such a word (思口), a run of common words is not."""
    if not 2 <= len(stem) <= 3:
        return False
    words = tokens(stem, ctx.jieba_words)
    return len(words) == 1 and word_tag(stem) == ""


def _recut(
    toks: list[tuple[str, int, int]], us: int, ue: int, ends: list[int], bodies: frozenset[str]
) -> list[tuple[str, int, int]]:
    """jieba's words around a unit (``us``–``ue``), cut again where a name has a boundary whatever jieba's
    dictionary says: at the end of a place found before it (屯留区|渔泽 was one word, 区渔泽), and after a unit
    that opens the word of a body (渔泽|镇|党委 was 镇党委)."""
    out: list[tuple[str, int, int]] = []
    for w, s, e in toks:
        cuts = sorted(
            {p for p in ends if s < p < e} | ({ue} if s == us and e > ue and w[ue - us :] in bodies else set())
        )
        if not cuts:
            out.append((w, s, e))
            continue
        prev = s
        for c in cuts:
            out.append((w[prev - s : c - s], prev, c))
            prev = c
        out.append((w[prev - s :], prev, e))
    return out


def _after_parent(
    text: str, toks: list[tuple[str, int, int]], us: int, ue: int, ends: list[int], max_chars: int, ctx: Context
) -> int | None:
    """The start of a name written right after the place it lies in (安定区|巉口|镇), however jieba cut the
    sentence: the parent says where the name opens. Its own words, cut alone, open with a noun or a word of a
    name (``_NAME_LIKE``) and hold no verb, adverb, preposition, conjunction, particle, pronoun or locality
    word (县里|把|村, 区|各|街道, 县|推进|乡镇 are none). None where no place ends two to ``max_chars`` − 1
    characters before the unit, or what follows it is no such name: the ordinary walk decides."""
    start = max((p for p in ends if p <= us), default=None)  # the nearest place before it, and no other
    if start is None or not 2 <= us - start < max_chars:
        return None
    stem = text[start:us]
    if not _HAN_WORD.fullmatch(stem) or stem[-1] in _LEVEL_CHARS or not any(e == ue for _w, _s, e in toks):
        return None  # (the unit inside a word of the sentence, 城关镇长: the walk decides)
    tags = [word_tag(w) for w, _s, _e in tokens(stem, ctx.jieba_words)]
    if not (tags[0] in _NAME_LIKE or tags[0].startswith("n")):
        return None
    if any(t.startswith(("v", "d", "p", "c", "u", "r", "f")) for t in tags[1:]):
        return None
    return start
