"""Evaluate: score a build against gold YAML files (shared/gold/GUIDELINES.md).

Per document, labels are normalised (quotes, brackets, spaces and punctuation removed, traditional
folded to simplified); a predicted entity matches a gold entity of the same type when one of its labels
equals the gold label or one of its aliases. Optional gold items count neither way. Relations match when
both ends match and the relation is the same (contrastsWith in either direction).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .graph import KnowledgeGraph
from .ingest import to_simplified

TYPES = {"concept": "concepts", "mechanism": "mechanisms", "place": "places", "organization": "organizations"}
CONTRACT_RELATIONS = ("implements", "practicedIn", "establishedBy", "contrastsWith")
_PUNCT = re.compile(r"[\s“”\"'‘’《》〈〉「」『』【】()（）\[\]、，,。.:：;；!！?？·\-—_]")


def norm(label: str) -> str:
    return _PUNCT.sub("", to_simplified(str(label)))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class GoldItem:
    label: str
    forms: frozenset[str]  # normalised label and aliases


def _gold_items(items: list | None) -> list[GoldItem]:
    out = []
    for it in items or []:
        if isinstance(it, str):
            it = {"label": it}
        out.append(GoldItem(it["label"], frozenset({norm(it["label"]), *(norm(a) for a in it.get("aliases") or [])})))
    return out


def _score(
    predicted: Iterable[Any],
    required: list[Any],
    optional: list[Any],
    find: Callable[[Any, list[Any]], int | None],
    describe: Callable[[Any], str],
    sc: Score,
    stem: str,
) -> None:
    """Count one document: a prediction matching a required item is a hit (once per item), one matching
    an optional item is ignored, any other is an extra; required items never hit are misses."""
    hit = [False] * len(required)
    for p in predicted:
        i = find(p, required)
        if i is not None:
            if not hit[i]:
                hit[i] = True
                sc.tp += 1
        elif find(p, optional) is None:
            sc.fp += 1
            sc.extras.append(f"{stem}: {describe(p)}")
    for i, h in enumerate(hit):
        if not h:
            sc.fn += 1
            sc.misses.append(f"{stem}: {describe(required[i])}")


def evaluate(kg: KnowledgeGraph, gold_dir: Path) -> dict[str, Score]:
    scores = {t: Score() for t in (*TYPES, "relation")}
    gold_files = sorted(Path(gold_dir).glob("*.yaml")) + sorted(Path(gold_dir).glob("*.yml"))
    if not gold_files:
        raise FileNotFoundError(f"no gold .yaml files in {gold_dir}")
    by_stem = {Path(d).name: d for d in kg.documents}
    for gf in gold_files:
        gold = yaml.safe_load(gf.read_text(encoding="utf-8")) or {}
        stem = Path(str(gold.get("doc") or gf.stem)).stem
        doc = kg.documents.get(by_stem.get(stem, ""))
        # predicted entities of this document, with every label they carry here and canonically
        pred: dict[tuple[str, str], set[str]] = {}
        for m in doc.mentions if doc else []:
            labels = pred.setdefault((m.type, m.key), {norm(m.key)})
            labels.add(norm(m.surface))
            labels.update(norm(a) for a in m.aliases)
        all_gold = [
            g for sec in TYPES.values() for g in _gold_items(gold.get(sec)) + _gold_items(gold.get(f"{sec}_optional"))
        ]

        def find_entity(key: tuple[str, str], pool: list[GoldItem], pred=pred) -> int | None:
            return next((i for i, g in enumerate(pool) if pred[key] & g.forms), None)

        for etype, section in TYPES.items():
            keys = sorted(k for k in pred if k[0] == etype)
            _score(
                keys,
                _gold_items(gold.get(section)),
                _gold_items(gold.get(f"{section}_optional")),
                find_entity,
                lambda x: x[1] if isinstance(x, tuple) else x.label,
                scores[etype],
                stem,
            )

        def end_hits(labels: set[str], gold_label: str, all_gold=all_gold) -> bool:
            return gold_label in labels or any(gold_label in g.forms and labels & g.forms for g in all_gold)

        def find_relation(r: tuple, pool: list[tuple], pred=pred, end_hits=end_hits) -> int | None:
            s_labels = pred.get(r[0], {norm(r[0][1])})
            o_labels = pred.get(r[2], {norm(r[2][1])})
            for i, (a, p, b) in enumerate(pool):
                if p == r[1] and (
                    (end_hits(s_labels, a) and end_hits(o_labels, b))
                    or (p == "contrastsWith" and end_hits(s_labels, b) and end_hits(o_labels, a))
                ):
                    return i
            return None

        predicted = sorted(
            {
                (r.subject, r.predicate, r.object)
                for r in (doc.relations if doc else [])
                if r.predicate in CONTRACT_RELATIONS
            }
        )
        required = [(norm(a), p, norm(b)) for a, p, b in gold.get("relations") or []]
        optional = [(norm(a), p, norm(b)) for a, p, b in gold.get("relations_optional") or []]
        _score(
            predicted,
            required,
            optional,
            find_relation,
            lambda r: (
                f"{r[0][1] if isinstance(r[0], tuple) else r[0]} {r[1]} {r[2][1] if isinstance(r[2], tuple) else r[2]}"
            ),
            scores["relation"],
            stem,
        )
    return scores


def format_table(scores: dict[str, Score]) -> str:
    lines = [f"{'type':<14}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"]
    for t, s in scores.items():
        lines.append(f"{t:<14}{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.tp:>5}{s.fp:>5}{s.fn:>5}")
    return "\n".join(lines)
