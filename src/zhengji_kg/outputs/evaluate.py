"""Evaluate: score a build against gold YAML files (shared/gold/GUIDELINES.md).

Per document, labels are normalised (quotes, brackets, spaces and punctuation removed, traditional
folded to simplified); a predicted entity matches a gold entity of the same type when one of its labels
equals the gold label or one of its aliases. Optional gold items count neither way. Relations match when
both ends match and the relation is the same (contrastsWith in either direction).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhengji_kg.base.model import Document
from zhengji_kg.ingest import to_simplified
from zhengji_kg.kg.graph import KnowledgeGraph

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


def gold_files(gold_dir: Path) -> list[Path]:
    files = sorted(Path(gold_dir).rglob("*.yaml")) + sorted(Path(gold_dir).rglob("*.yml"))
    if not files:
        raise FileNotFoundError(f"no gold .yaml files in {gold_dir}")
    return files


@dataclass
class DocGold:
    """One document's gold, normalised: what each type requires and allows, and its relations."""

    stem: str
    required: dict[str, list[GoldItem]]
    optional: dict[str, list[GoldItem]]
    relations: list[tuple[str, str, str]]
    relations_optional: list[tuple[str, str, str]]

    @classmethod
    def read(cls, path: Path) -> DocGold:
        gold = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls(
            stem=Path(str(gold.get("doc") or Path(path).stem)).stem,
            required={t: _gold_items(gold.get(sec)) for t, sec in TYPES.items()},
            optional={t: _gold_items(gold.get(f"{sec}_optional")) for t, sec in TYPES.items()},
            relations=[(norm(a), p, norm(b)) for a, p, b in gold.get("relations") or []],
            relations_optional=[(norm(a), p, norm(b)) for a, p, b in gold.get("relations_optional") or []],
        )

    @property
    def all_items(self) -> list[GoldItem]:
        return [g for t in TYPES for g in self.required[t] + self.optional[t]]

    def entity_label(self, etype: str, labels: set[str]) -> int | None:
        """1 when ``labels`` (normalised) name a required entity of the type, None for an optional one, else 0."""
        if any(labels & g.forms for g in self.required[etype]):
            return 1
        if any(labels & g.forms for g in self.optional[etype]):
            return None
        return 0

    def end_hits(self, labels: set[str], gold_label: str) -> bool:
        return gold_label in labels or any(gold_label in g.forms and labels & g.forms for g in self.all_items)

    def find_relation(
        self, s_labels: set[str], pred: str, o_labels: set[str], pool: list[tuple[str, str, str]]
    ) -> int | None:
        for i, (a, p, b) in enumerate(pool):
            if p == pred and (
                (self.end_hits(s_labels, a) and self.end_hits(o_labels, b))
                or (p == "contrastsWith" and self.end_hits(s_labels, b) and self.end_hits(o_labels, a))
            ):
                return i
        return None

    def relation_label(self, s_labels: set[str], pred: str, o_labels: set[str]) -> int | None:
        if self.find_relation(s_labels, pred, o_labels, self.relations) is not None:
            return 1
        if self.find_relation(s_labels, pred, o_labels, self.relations_optional) is not None:
            return None
        return 0


def mention_labels(doc: Document) -> dict[tuple[str, str], set[str]]:
    """(type, key) → every label the document's mentions give it, normalised."""
    pred: dict[tuple[str, str], set[str]] = {}
    for m in doc.mentions:
        labels = pred.setdefault((m.type, m.key), {norm(m.key)})
        labels.add(norm(m.surface))
        labels.update(norm(a) for a in m.aliases)
    return pred


def evaluate(kg: KnowledgeGraph, gold_dir: Path) -> dict[str, Score]:
    return evaluate_documents(kg.documents, gold_dir)


def evaluate_documents(documents: Mapping[str, Document], gold_dir: Path, only_these: bool = False) -> dict[str, Score]:
    """Score documents (id → extracted document) against the gold files of ``gold_dir`` — all of them (a
    document not built misses all it should have found), or with ``only_these`` those of ``documents``."""
    scores = {t: Score() for t in (*TYPES, "relation")}
    by_stem = {Path(d).name: d for d in documents}
    for gf in gold_files(gold_dir):
        g = DocGold.read(gf)
        stem = g.stem
        if only_these and stem not in by_stem:
            continue
        doc = documents.get(by_stem.get(stem, ""))
        pred = mention_labels(doc) if doc else {}

        def find_entity(key: tuple[str, str], pool: list[GoldItem], pred=pred) -> int | None:
            return next((i for i, it in enumerate(pool) if pred[key] & it.forms), None)

        for etype in TYPES:
            keys = sorted(k for k in pred if k[0] == etype)
            _score(
                keys,
                g.required[etype],
                g.optional[etype],
                find_entity,
                lambda x: x[1] if isinstance(x, tuple) else x.label,
                scores[etype],
                stem,
            )

        def find_relation(r: tuple, pool: list[tuple], pred=pred, g=g) -> int | None:
            return g.find_relation(pred.get(r[0], {norm(r[0][1])}), r[1], pred.get(r[2], {norm(r[2][1])}), pool)

        predicted = sorted(
            {
                (r.subject, r.predicate, r.object)
                for r in (doc.relations if doc else [])
                if r.predicate in CONTRACT_RELATIONS
            }
        )
        _score(
            predicted,
            g.relations,
            g.relations_optional,
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
