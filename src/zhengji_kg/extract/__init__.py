"""Extract: sentences → mentions. Each extractor is a small function registered by rule ``kind``.

``extract_mentions(doc, rules)`` runs every mention rule of the rule set over the document and resolves
overlaps (same type: the longer span wins; a concept nested in a mechanism name is the name's part,
not a mention of its own) and references back (这一机制) to the names they point to.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import posseg
from zhengji_kg.base.weights import Weights
from zhengji_kg.extract import (  # noqa: F401  (each registers its extractors)
    lexicon,
    local_places,
    mechanisms,
    named,
    patterns,
    places,
)
from zhengji_kg.extract.boundaries import trim_openings
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.features import mention_features
from zhengji_kg.extract.registry import REGISTRY, Extractor


def extract_mentions(doc: Document, rules: RuleSet, weights: Weights | None = None) -> list[Mention]:
    """Candidates by form (every mention rule), kept by the scored decision, overlaps settled."""
    cands, feats = candidate_mentions(doc, rules)
    kept = decide_mentions(cands, feats, weights or rules.weights)
    return settle_mentions(kept, rules, doc.text)


def candidate_mentions(doc: Document, rules: RuleSet) -> tuple[list[Mention], list[tuple[str, ...]]]:
    """What the rules propose, each with its features (``features.py``): before any decision."""
    ctx = Context.for_rules(rules)
    found: list[Mention] = []
    for rule, fn, rtype in rules.derived("extract.ordered", _ordered):
        found.extend(fn(doc, rule, ctx))
        if rtype == "organization":
            ctx.org_spans = [(m.start, m.end) for m in found if m.type == "organization"]
        elif rtype == "place":
            ctx.place_spans = sorted((m.start, m.end) for m in found if m.type == "place")
    found = trim_openings(doc, _prefer_lexicon(found, ctx), ctx)
    found.extend(_publisher(doc, rules))
    return found, mention_features(doc, found, ctx)


def decide_mentions(cands: list[Mention], feats: list[tuple[str, ...]], weights: Weights) -> list[Mention]:
    """The candidates the model keeps, each with its score."""
    out = []
    cut = weights.cuts.get("mention", 0.0)
    new = object.__new__
    for m, f in zip(cands, feats, strict=True):
        score = weights.score("mention", f)
        if score >= cut:
            kept = new(Mention)  # ``replace(m, score=…)`` at a fraction of its cost: every candidate passes here
            kept.__dict__.update(m.__dict__)
            kept.__dict__["score"] = round(score, 4)
            out.append(kept)
    return out


def settle_mentions(kept: list[Mention], rules: RuleSet, text: str = "") -> list[Mention]:
    """Overlaps resolved among the kept candidates (in ``text``, the document's), and references back
    (这一机制) resolved to their names."""
    references, titles = rules.derived("extract.settle", _settling_ids)
    return resolve_references(resolve_overlaps(kept, text, titles), references)


def _settling_ids(rules: RuleSet) -> tuple[frozenset[str], frozenset[str]]:
    """The ids of the rules of references back, and of those whose names hold names (titles)."""
    references = frozenset(r["id"] for r in rules.mention_rules if r.get("kind") == "mechanism_reference")
    return references, frozenset(r["id"] for r in rules.mention_rules if r.get("holds_names"))


def _publisher(doc: Document, rules: RuleSet) -> list[Mention]:
    """The publisher named in the metadata (来源: 中共辽宁省委组织部) is an organization of the source."""
    pub = doc.metadata.get("publisher", "")
    if not pub:
        return []
    for pattern in rules.derived(
        "extract.body-patterns",
        lambda rs: [r["_pattern"] for r in rs.mention_rules if r.get("type") == "organization" and "_pattern" in r],
    ):
        if pattern.fullmatch(pub):
            return [Mention(type="organization", surface=pub, key=pub, start=0, end=0, rule="organization.publisher")]
    return []


def _prefer_lexicon(found: list[Mention], ctx: Context) -> list[Mention]:
    """A discovered name that only adds a verb, a metaphor or a quotation before a lexicon name is the
    lexicon name in context (积极探索|生态产品价值实现机制, “风向标”|干部考核评价体系)."""
    lex = [m for m in found if m.type == "mechanism" and m.rule.endswith("lexicon")]
    metaphors = ctx.rules.words.get("metaphors", frozenset())
    drop = set()
    for i, m in enumerate(found):
        if m.type != "mechanism" or m.rule.endswith("lexicon"):
            continue
        for x in lex:
            if x.end == m.end and x.start > m.start:
                prefix = m.surface[: len(m.surface) - len(x.surface)]
                words = posseg().lcut(prefix) if prefix else []
                if not words or words[0].flag.startswith(("v", "d", "a")) or any(t in prefix for t in metaphors):
                    drop.add(i)
    return [m for i, m in enumerate(found) if i not in drop]


def _ordered(rules: RuleSet) -> list[tuple[dict, Extractor, str]]:
    """The mention rules in the order they run, each with its extractor and type. Organizations and places
    first: mechanism names stop at an organization's name. A body named by its place (白塔街道党工委) comes
    once places are found (``after_places``)."""
    order = {"organization": 0, "place": 1, "concept": 2, "mechanism": 3}
    out = []
    for rule in sorted(
        rules.mention_rules, key=lambda r: 1.5 if r.get("after_places") else order.get(r.get("type", ""), 9)
    ):
        fn = REGISTRY.get(rule.get("kind", ""))
        if fn is None:
            raise ValueError(f"rule {rule['id']}: unknown kind {rule.get('kind')!r}; known: {sorted(REGISTRY)}")
        out.append((rule, fn, rule.get("type", "")))
    return out


def resolve_overlaps(
    mentions: list[Mention], text: str = "", containers: frozenset[str] = frozenset()
) -> list[Mention]:
    """Settle overlaps: of the mechanism names ending at one place (启动澄清正名程序, 澄清正名程序), the
    best-scored, the longest on a tie; then the longest where two of a type overlap; concepts inside
    mechanism names dropped — but for one that the name quotes (落实“三个区分开来”工作指引): quoted, the
    notion is written as a unit of its own, which the name refers to.

    A mention of a rule in ``containers`` (a document's title) holds names rather than competing with
    them: 关于进一步完善村级考核机制…的实施办法 is a document, and 村级考核机制 the arrangement it is about —
    two mechanisms. Only a name that crosses the title's edge gives way to it."""
    best: dict[tuple[str, int], Mention] = {}
    for m in mentions:
        if m.start == m.end or m.type != "mechanism":
            continue
        k = (m.type, m.end)
        b = best.get(k)
        if b is None or (m.score, m.end - m.start) > (b.score, b.end - b.start):
            best[k] = m
    mentions = [m for m in mentions if (m.type, m.end) not in best or best[(m.type, m.end)].start <= m.start]
    out: list[Mention] = []
    by_type: dict[str, list[Mention]] = {}
    for m in mentions:
        by_type.setdefault(m.type, []).append(m)
    titles: list[tuple[int, int]] = []
    for _, ms in by_type.items():
        ms.sort(key=lambda m: (-(m.end - m.start), 0 if m.rule.endswith("lexicon") else 1, m.start, m.rule))
        size = max(m.end for m in ms) + 1
        held = _longest_first([m for m in ms if m.rule in containers], size) if containers else []
        spans = [(m.start, m.end) for m in held]
        titles.extend(spans)
        out.extend(held)
        out.extend(_longest_first([m for m in ms if m.rule not in containers and not _crosses(m, spans)], size))
    # mechanism names do not overlap each other now, but for names inside titles: the one that could hold a
    # concept starts at or before it, or is a title — whose unquoted notions are its name's part, as the
    # guidelines have them (关于树立和践行正确政绩观的实施意见 is one name)
    mech = sorted((m.start, m.end) for m in out if m.type == "mechanism" and (m.start, m.end) not in titles)
    starts = [s for s, _e in mech]

    def inside_mechanism(m: Mention) -> bool:
        if any(s <= m.start and m.end <= e for s, e in titles):
            return True
        i = bisect_right(starts, m.start) - 1
        return i >= 0 and mech[i][0] <= m.start and m.end <= mech[i][1] and mech[i] != (m.start, m.end)

    def quoted(m: Mention) -> bool:
        return m.start > 0 and m.end < len(text) and text[m.start - 1] in '“"' and text[m.end] in '”"'

    out = [m for m in out if not (m.type == "concept" and inside_mechanism(m) and not quoted(m))]
    out.sort(key=lambda m: (m.start, m.end, m.type, m.key))
    return out


def _longest_first(ms: list[Mention], size: int) -> list[Mention]:
    """Of mentions sorted longest first, those that overlap none taken before them."""
    taken = bytearray(size)  # characters already covered: linear, not quadratic
    out = []
    for m in ms:  # a zero-width mention (the publisher, at 0) comes last and never overlaps
        if any(taken[m.start : m.end]):
            continue
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
        out.append(m)
    return out


def _crosses(m: Mention, spans: list[tuple[int, int]]) -> bool:
    """Whether ``m`` overlaps one of ``spans`` other than as a name inside it: one that ends where the title
    ends is the title cut short (干事担当容错免责实施办法 of 高邮市…干事担当容错免责实施办法), not a name it holds."""
    return any(m.start < e and s < m.end and not (s <= m.start and m.end < e) for s, e in spans)


def resolve_references(mentions: list[Mention], rule_ids: frozenset[str]) -> list[Mention]:
    """Each reference back (a mention of a rule in ``rule_ids``) becomes a mention of the nearest mechanism
    named before it whose name ends as the reference does (这一专项工作机制 → 中央层面…专项工作机制; 该机制 →
    any …机制), or is dropped when no such name comes before it."""
    out: list[Mention] = []
    names: list[Mention] = []  # mechanisms that are names, in text order
    for m in sorted(mentions, key=lambda m: m.start):
        if m.type != "mechanism" or m.rule not in rule_ids:
            out.append(m)
            if m.type == "mechanism":
                names.append(m)
            continue
        target = next((n for n in reversed(names) if n.key.endswith(m.key) and n.key != m.key), None)
        if target is not None:
            out.append(replace(m, key=target.key))
    return out
