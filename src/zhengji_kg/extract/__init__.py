"""Extract: sentences → mentions. Each extractor is a small function registered by rule ``kind``.

``extract_mentions(doc, rules)`` runs every mention rule of the rule set over the document and resolves
overlaps (same type: the longer span wins; a concept nested in a mechanism name is the name's part,
not a mention of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..model import Document, Mention
from ..rules import RuleSet
from .context import Context

Extractor = Callable[[Document, dict, Context], Iterable[Mention]]
REGISTRY: dict[str, Extractor] = {}


def register(kind: str) -> Callable[[Extractor], Extractor]:
    def deco(fn: Extractor) -> Extractor:
        REGISTRY[kind] = fn
        return fn

    return deco


from . import lexicon, mechanisms, patterns, places  # noqa: E402,F401  (registration)


def extract_mentions(doc: Document, rules: RuleSet) -> list[Mention]:
    ctx = Context.for_rules(rules)
    found: list[Mention] = []
    for rule in _ordered(rules.mention_rules):
        fn = REGISTRY.get(rule.get("kind", ""))
        if fn is None:
            raise ValueError(f"rule {rule['id']}: unknown kind {rule.get('kind')!r}; known: {sorted(REGISTRY)}")
        found.extend(fn(doc, rule, ctx))
        if rule.get("kind") == "regex" and rule.get("type") == "organization":
            ctx.org_spans = [(m.start, m.end) for m in found if m.type == "organization"]
    return resolve_overlaps(found)


def _ordered(rules: list[dict]) -> list[dict]:
    # Organizations and places first: mechanism names stop at an organization's name.
    order = {"organization": 0, "place": 1, "concept": 2, "mechanism": 3}
    return sorted(rules, key=lambda r: order.get(r.get("type", ""), 9))


_PRIORITY = {"lexicon": 0}


def resolve_overlaps(mentions: list[Mention]) -> list[Mention]:
    """Keep the longest mention where two of the same type overlap; drop concepts inside mechanism names."""
    out: list[Mention] = []
    by_type: dict[str, list[Mention]] = {}
    for m in mentions:
        by_type.setdefault(m.type, []).append(m)
    for _, ms in by_type.items():
        ms.sort(key=lambda m: (-(m.end - m.start), 0 if m.rule.endswith("lexicon") else 1, m.start, m.rule))
        taken: list[tuple[int, int]] = []
        for m in ms:
            if any(m.start < e and s < m.end for s, e in taken):
                continue
            taken.append((m.start, m.end))
            out.append(m)
    mech = [(m.start, m.end) for m in out if m.type == "mechanism"]
    out = [m for m in out if not (m.type == "concept" and any(s <= m.start and m.end <= e and (s, e) != (m.start, m.end)
                                                             for s, e in mech))]
    out.sort(key=lambda m: (m.start, m.end, m.type, m.key))
    return out
