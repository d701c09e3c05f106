"""Lexicon matching on the raw characters (Aho-Corasick), leftmost-longest per entity type."""

from __future__ import annotations

from collections.abc import Iterator

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.registry import register


@register("lexicon")
def lexicon_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    etype = rule["type"]
    hits = []
    for start, end, surface, values in ctx.lexicon_hits(doc.text):
        for vtype, label, category, subtype in values:
            if vtype == etype:
                hits.append((start, end, surface, label, category, subtype))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    last_end = -1
    for start, end, surface, label, category, subtype in hits:
        if start < last_end:
            continue
        last_end = end
        yield Mention(
            type=etype,
            surface=surface,
            key=label,
            start=start,
            end=end,
            rule=rule["id"],
            subtype=subtype,
            category=category,
        )
