"""Places from the administrative-division gazetteer, with ambiguity resolved by mentioned parents."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import ahocorasick

from ..gazetteer import gazetteer
from ..model import Document, Mention
from . import register
from .context import Context

LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for name, codes in gazetteer().names.items():
        auto.add_word(name, (name, tuple(codes)))
    auto.make_automaton()
    return auto


def _scan(text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    hits = [(end - len(name) + 1, end + 1, name, codes) for end, (name, codes) in _automaton().iter(text)]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out, last = [], -1
    for h in hits:
        if h[0] >= last:
            out.append(h)
            last = h[1]
    return out


@register("gazetteer")
def gazetteer_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    g = gazetteer()
    hits = _scan(doc.text)
    own = doc.metadata.get("place", "")
    own_codes = set(g.names.get(own, ())) if own else set()
    for start, end, name, codes in hits:
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
            )
        else:
            yield Mention(
                type="place", surface=name, key=name, start=start, end=end, rule=rule["id"], subtype="unresolved"
            )
