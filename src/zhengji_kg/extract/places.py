"""Places from the administrative-division gazetteer, with ambiguity resolved by mentioned parents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ..gazetteer import gazetteer
from ..matcher import Matcher
from ..model import Document, Mention
from . import register
from .context import Context

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@lru_cache(maxsize=1)
def _automaton() -> Matcher[tuple[str, ...]]:
    return Matcher({name: tuple(codes) for name, codes in gazetteer().names.items()})


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
        if h[2][-1] not in _UNITS and not _is_word(text, h[0], h[1]):
            continue
        taken.append(h)
    return sorted(taken)


_UNITS = set("省市县区州旗盟")
# a site's name standing alone (中国西藏网, 浙江网 >): the site, not its place
_SITE_AFTER = re.compile(r"[网網](?=[\s>›»|｜,，。、)）]|$)")
# after a classifier the name is a common noun (一个个新城区, 一座新城区), not the district of that name
_CLASSIFIER_BEFORE = re.compile(r"[个個些座片]$")


def _not_a_place_here(text: str, start: int, end: int) -> bool:
    return bool(_SITE_AFTER.match(text, end) or _CLASSIFIER_BEFORE.search(text, max(0, start - 1), start))


def _is_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins and ends on jieba word boundaries (looked at in a small window)."""
    from ..segment import tokens

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
    for start, end, name, codes in hits:
        if _not_a_place_here(doc.text, start, end):
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
