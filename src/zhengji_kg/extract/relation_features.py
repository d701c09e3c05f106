"""Features of a candidate relation, for the scored decision (``weights.py``).

Like a mention's, every feature names a property of the pair's form, never its text: the rules that
proposed it (``r=``), where its ends are (``.scope=`` same sentence, paragraph topic, the document's own
place), their order and distance, whether a clause mark or another entity lies between them, the cue words
between them by class (``.cue=establish`` 建立/推行…, ``issue`` 印发/出台…, ``implement`` 落实/贯彻…,
``contrast`` 既…也/与…, ``cite`` 根据/学习…; the classes are data: ``cues`` in ``ontology/rules.yaml``), the
rule that found each end, the object's level for a place, and whether the object is the nearest of its kind.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from zhengji_kg.base.gazetteer import level_of
from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.rules import RuleSet, alternation

if TYPE_CHECKING:
    from zhengji_kg.extract.relate import Proposal, Proposals

_CLAUSE = re.compile(r"[，,；;：:]")
_GENERIC = ("cooccurrence", "nearby", "document-place")
_DIST = ((0, "0"), (2, "1-2"), (8, "3-8"), (20, "9-20"), (60, "21-60"))


def _dist(n: int) -> str:
    for limit, name in _DIST:
        if n <= limit:
            return name
    return "far"


def _cues_and_scopes(rules: RuleSet) -> tuple[list[tuple[str, re.Pattern[str]]], dict[str, str]]:
    """Each cue class as one pattern of its words (one search per class, not one per word), and each
    relation rule's scope."""
    cues = [(k, rx) for k, v in (rules.rules.get("cues") or {}).items() if (rx := alternation(frozenset(v or ())))]
    return cues, {r["id"]: r.get("scope") or "pattern" for r in rules.relation_rules}


def relation_features(doc: Document, props: Proposals, rules: RuleSet) -> list[tuple[str, ...]]:
    """The features of each proposal of ``props``, in its order."""
    # each cue class as one pattern of its words: one search per class, not one per word
    cues, scopes = rules.derived("relation_features.cues", _cues_and_scopes)
    first_line = doc.text.find("\n")
    first_line = len(doc.text) if first_line < 0 else first_line
    by_sent = props.by_sent  # each sentence's mentions, as the proposals were made among them
    return [_features(p, cues, scopes, by_sent, first_line) for p in props.values()]


def _features(
    p: Proposal,
    cues: list[tuple[str, re.Pattern[str]]],
    scopes: dict[str, str],
    by_sent: dict[int, list[Mention]],
    first_line: int,
) -> tuple[str, ...]:
    r = p.relation
    pred = r.predicate
    s, o = p.subj, p.obj
    sent = r.sentence
    f = [f"p={pred}"]
    # a pair that a rule of a stated form proposed is weighed by that rule, not by the co-occurrence that
    # every stated pair also is: the generic proposers' features describe pairs that only stand together
    rids = sorted(p.rules) if p.generic else sorted(r for r in p.rules if scopes.get(r, "pattern") not in _GENERIC)
    f.extend(f"r={rid}" for rid in rids)
    kinds = sorted({scopes.get(rid, "pattern") for rid in rids})
    f.extend(f"{pred}.scope={k}" for k in kinds)
    if not p.generic:
        f.append("stated")
    f.append(f"{pred}.srule={s.rule}")
    f.append(f"{pred}.orule={o.rule}")
    if o.type == "place":
        f.append(f"{pred}.olvl={level_of(o.code) or 'none'}")
    if o.end <= first_line:
        f.append(f"{pred}.otitle")
    if s.end <= first_line:
        f.append(f"{pred}.stitle")
    same = sent.start <= o.start and o.end <= sent.end and sent.start <= s.start and s.end <= sent.end
    if not same:
        f.append(f"{pred}.apart")
        head = sent.text[: s.start - sent.start]
        for name, rx in cues:
            if rx.search(head):
                f.append(f"{pred}.shead={name}")
        if not any(m.type == o.type for m in by_sent.get(sent.start, ()) if m.end <= s.start):
            f.append(f"{pred}.noother")  # no end of the object's kind between the sentence's start and the subject
        return tuple(f)
    if s.start <= o.start and o.end <= s.end:
        f.append(f"{pred}.inname")
        return tuple(f)
    first, last = (s, o) if s.start < o.start else (o, s)
    f.append(f"{pred}.order={'so' if first is s else 'os'}")
    gap = sent.text[first.end - sent.start : last.start - sent.start]
    f.append(f"{pred}.dist={_dist(len(gap))}")
    if _CLAUSE.search(gap):
        f.append(f"{pred}.clause")
    before = sent.text[max(0, first.start - sent.start - 10) : first.start - sent.start]
    for name, rx in cues:
        if rx.search(gap):
            f.append(f"{pred}.cue={name}")
        if rx.search(before):
            f.append(f"{pred}.pre={name}")
    ms = by_sent.get(sent.start, [])
    between = {m.type for m in ms if first.end <= m.start and m.end <= last.start}
    f.extend(f"{pred}.between={t}" for t in sorted(between))
    near = min(
        (m for m in ms if m.type == o.type and m.key != s.key and not (m.start < s.end and s.start < m.end)),
        key=lambda m: abs(m.start - s.start),
        default=None,
    )
    if near is not None and near.key == o.key:
        f.append(f"{pred}.nearest")
    return tuple(f)
