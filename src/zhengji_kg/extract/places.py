"""Places from the administrative-division gazetteer, with ambiguity resolved by mentioned parents; the shared unit of
a list of divisions (杨浦、嘉定等区); the bodies named by a place found before (次坞镇党委). Places below county level:
``local_places``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from zhengji_kg.base.gazetteer import gazetteer
from zhengji_kg.base.linescan import finditer
from zhengji_kg.base.matcher import Matcher
from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.segment import tokens
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.registry import register

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@lru_cache(maxsize=1)
def _automaton() -> Matcher[tuple[str, ...]]:
    g = gazetteer()
    table = {name: tuple(codes) for name, codes in g.names.items()}
    for name, codes in _weak_forms().items():
        table.setdefault(name, codes)
    return Matcher(table)


@lru_cache(maxsize=1)
def _weak_forms() -> dict[str, tuple[str, ...]]:
    """Cities' short forms that jieba does not tag as places (南通 nz, 金华 nz, 嘉兴 nr): no name alone, but
    a place right before one of their own divisions (江苏南通崇川区, 嘉兴南湖区) — see ``_parent_of_next``."""
    g = gazetteer()
    out: dict[str, list[str]] = {}
    for d in g.divisions.values():
        if d.level == "city" and d.name.endswith("市") and len(d.name) >= 3:
            short = d.name[:-1]
            if short not in g.names:
                out.setdefault(short, []).append(d.code)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=32)
def _scan(text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """Gazetteer names in ``text``: longest first, no overlaps, and a short form (浙江, 广安) only where
    it stands as a word — 推广安吉县 holds 安吉县, not 广安."""
    hits = _automaton().find(text)
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken: list[tuple[int, int, str, tuple[str, ...]]] = []
    for h in hits:
        if any(h[0] < e and s < h[1] for s, e, _n, _c in taken):
            continue
        if h[2] in _weak_forms() and not _parent_of_next(h, taken):
            continue  # 南通 alone: jieba's dictionary does not say it is a place
        if h[2][-1] not in _UNITS and not _is_word(text, h[0], h[1]) and not _parent_of_next(h, taken):
            continue
        taken.append(h)
    return sorted(taken)


def _parent_of_next(h: tuple[int, int, str, tuple[str, ...]], taken: list) -> bool:
    """Whether the short form ``h`` is written right before a division it contains (上海|浦东新区, which
    jieba keeps as one word): a parent before its child is a place wherever the word cutter puts the cut."""
    g = gazetteer()
    return any(s == h[1] and any(p in g.ancestors(c) for c in cs for p in h[3]) for s, _e, _n, cs in taken)


_UNITS = set("省市县区州旗盟")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")
_LEVEL_CHARS = frozenset("省市县区州旗盟")
# the last character of a body's name (…办公室, …委, …局): what follows it is what the body does
_BODY_ENDS = frozenset("室委部局厅办府组院处校心")
_BEFORE_PLACE = frozenset("在到赴于从向至往去回和与及同")  # words a place's name follows
_LEADS = ("牵头", "负责", "主导", "带头")  # what a body does before it works with others (…牵头，会同…)
# a site's name standing alone (中国西藏网, 浙江网 >): the site, not its place
_SITE_AFTER = re.compile(r"[网網](?=[\s>›»|｜,，。、)）]|$)")
# after a classifier the name is a common noun (一个个新城区, 一座新城区), not the district of that name
_CLASSIFIER_BEFORE = re.compile(r"[个個些座片]$")


def verb_after_body(text: str, start: int, name: str, body_ends: set[int], ctx: Context) -> str:
    """The verb of administrative prose (``words.place_like_verbs``) that ``name`` opens with, where the text
    says it is the verb: right after a body (县纪委监委|会同县委组织部, …办公室|会同县司法局) or after any word
    that is no place's parent nor a word before a place (各乡镇|会同…, 机关|会同…, 要|会同…, 并|会同…), or after a
    body's leading clause (由县委组织部牵头，会同县林业局…) — else "": the division (怀化市|会同县, 在|会同县, a
    sentence opening with 会同县…). Bodies found so far end at ``body_ends``; the rest are told by their last
    character."""
    verb = next((v for v in ctx.rules.words.get("place_like_verbs", ()) if name.startswith(v)), "")
    if not verb:
        return ""
    before = text[start - 1 : start]
    if start in body_ends or before in _BODY_ENDS:
        return verb
    if before and _HAN_WORD.match(before) and before not in _LEVEL_CHARS and before not in _BEFORE_PLACE:
        return verb
    clause = text[max(0, start - 4) : start].rstrip("，,、 ")
    return verb if clause.endswith(_LEADS) else ""


def _not_a_place_here(text: str, start: int, end: int) -> bool:
    return bool(_SITE_AFTER.match(text, end) or _CLASSIFIER_BEFORE.search(text, max(0, start - 1), start))


def _is_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins and ends on jieba word boundaries (looked at in a small window)."""
    lo = max(0, start - 6)
    bounds = {lo}
    for _w, _s, e in tokens(text[lo : end + 6]):
        bounds.add(lo + e)
    return start in bounds and end in bounds


@register("gazetteer")
def gazetteer_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    g = gazetteer()
    hits = _scan(doc.text)
    own = doc.metadata.get("place", "")
    own_codes = set(g.names.get(own, ())) if own else set()
    body_ends = {e for _s, e in ctx.org_spans}
    for start, end, name, codes in hits:
        if _not_a_place_here(doc.text, start, end) or verb_after_body(doc.text, start, name, body_ends, ctx):
            continue
        code = ""
        if len(codes) == 1:
            code = codes[0]
        else:
            # nearest mentioned unambiguous ancestor before (or right after) this mention, then the document's place
            context_codes: list[str] = []
            for s, _e, _n, cs in sorted(hits, key=lambda h: abs(h[0] - start)):
                if len(cs) == 1 and s != start:
                    context_codes.append(cs[0])
            context_codes.extend(sorted(own_codes))
            for cc in context_codes:
                matches = [c for c in codes if cc in g.ancestors(c) or cc == c]
                if len(matches) == 1:
                    code = matches[0]
                    break
        if code:
            d = g.divisions[code]
            yield Mention(
                type="place",
                surface=name,
                key=d.label,
                start=start,
                end=end,
                rule=rule["id"],
                code=code,
                subtype=d.level,
                aliases=g.aliases(code),
            )
        else:
            yield Mention(
                type="place", surface=name, key=name, start=start, end=end, rule=rule["id"], subtype="unresolved"
            )


def own_place(doc: Document) -> tuple[str, str] | None:
    """The document's own place as (label, code): the sidecar's ``place``, else the one place of county
    or city level in the title, else the one such place the first paragraph names. None when unsure."""
    g = gazetteer()
    own = doc.metadata.get("place", "")
    if own:
        codes = g.names.get(own, [])
        if len(codes) == 1:
            return g.divisions[codes[0]].label, codes[0]
    first_line = doc.text.split("\n", 1)[0]
    first_paragraphs = "\n".join(doc.text.split("\n")[:2])
    for text in (doc.metadata.get("title", ""), first_line, first_paragraphs):
        if not text:
            continue
        found = {
            c
            for _s, _e, _n, cs in _scan(text)
            if len(cs) == 1
            for c in cs
            if g.divisions[c].level in ("county", "city")
        }
        # a county with its own city named too counts once: keep the lowest level
        lowest = {c for c in found if not any(c in g.ancestors(o) for o in found)}
        if len(lowest) == 1:
            c = lowest.pop()
            return g.divisions[c].label, c
    return None


@register("deictic")
def deictic_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    g = gazetteer()
    place = own_place(doc)
    chain = [place[1], *g.ancestors(place[1])] if place else []
    earlier = [(s, cs[0]) for s, _e, _n, cs in _scan(doc.text) if len(cs) == 1]
    for m in rule["_pattern"].finditer(doc.text):
        unit = m.group()[-1]  # 我县 → a 县; 本市 → the nearest 市 up the chain (安吉县 → 湖州市)
        if m.group("who") == "该":
            # 该县: the nearest place of that unit named before, in the same document
            before = [c for s, c in earlier if s < m.start() and g.divisions[c].name.endswith(unit)]
            code = before[-1] if before else None
        else:
            code = next((c for c in chain if g.divisions[c].name.endswith(unit)), None)
        if code is None:
            continue
        d = g.divisions[code]
        yield Mention(
            type="place",
            surface=m.group(),
            key=d.label,
            start=m.start(),
            end=m.end(),
            rule=rule["id"],
            code=code,
            subtype=d.level,
        )


@lru_cache(maxsize=16)
def _body_tail(heads: tuple[str, ...], reach: int) -> re.Pattern[str]:
    """Up to ``reach`` characters, then a body's head: what follows a place in the name of its body."""
    return re.compile(f"[\u4e00-\u9fff]{{0,{reach}}}?(?:" + "|".join(map(re.escape, heads)) + ")")


@register("place_body")
def place_bodies(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """A body named by the place it belongs to and a body head (次坞镇党委, 白塔街道党工委, 本溪市总工会,
    嘉鱼县政务服务和大数据管理局): a place found before, then up to ``max_chars`` characters of nouns, then one
    of the rule's ``heads``. Runs after the place rules (``after_places``)."""
    heads = tuple(sorted(rule.get("heads") or (), key=len, reverse=True))
    if not heads:
        return
    reach = int(rule.get("max_chars", 10))
    tail = _body_tail(heads, reach)
    taken = ctx.org_spans
    not_after = re.compile(rule["not_after"]) if rule.get("not_after") else None
    for ps, pe in ctx.place_spans:
        m = tail.match(doc.text, pe)
        if m is None or any(s <= ps < e for s, e in taken):
            continue
        if not_after is not None and not_after.match(doc.text, pe):
            continue  # 某镇和旗林业局, 某镇的某社区党总支: the body is another's (that place proposes its own)
        name = doc.text[ps : m.end()]
        if "\n" in name:
            continue
        # a body written after the chain of places it lies in (白山市抚松县松江河镇前川村党支部) is also the body
        # named by each shorter tail of the chain, its own place's (前川村党支部) the shortest
        tails = tuple(doc.text[s : m.end()] for s, e in ctx.place_spans if ps < s and e < m.end())
        yield Mention(
            type="organization", surface=name, key=name, start=ps, end=m.end(), rule=rule["id"], aliases=tails
        )


@register("shared_unit")
def shared_unit_places(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """Places listed by their short forms with the unit written once after the list (杨浦、嘉定等区; 安吉、
    德清两县): each short form with the unit is a division's name. An ambiguous one is resolved by a place
    of the document it lies in, as the gazetteer's own mentions are; otherwise it is left out."""
    g = gazetteer()
    known = {c for _s, _e, _n, cs in _scan(doc.text) if len(cs) == 1 for c in cs}
    for m in finditer(rule["_pattern"], doc.text):
        unit = m.group("unit")
        pos = m.start("items")
        for item in m.group("items").split("、"):
            start, pos = pos, pos + len(item) + 1
            codes = g.names.get(item + unit, [])
            if len(codes) > 1:
                codes = [c for c in codes if any(k in g.ancestors(c) for k in known)]
            if len(codes) != 1:
                continue
            d = g.divisions[codes[0]]
            yield Mention(
                type="place",
                surface=item,
                key=d.label,
                start=start,
                end=start + len(item),
                rule=rule["id"],
                code=d.code,
                subtype=d.level,
                aliases=(item, *g.aliases(d.code)),
            )
