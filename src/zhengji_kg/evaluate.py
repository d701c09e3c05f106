"""Evaluate: score a build against gold YAML files (shared/gold/GUIDELINES.md).

Per document, labels are normalised (quotes, brackets, spaces and punctuation removed, traditional
folded to simplified); a predicted entity matches a gold entity of the same type when one of its labels
equals the gold label or one of its aliases. Optional gold items count neither way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .graph import KnowledgeGraph
from .ingest import to_simplified

TYPES = {"concept": "concepts", "mechanism": "mechanisms", "place": "places", "organization": "organizations"}
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


def _gold_items(items: list | None) -> list[set[str]]:
    out = []
    for it in items or []:
        if isinstance(it, str):
            it = {"label": it}
        out.append({norm(it["label"]), *(norm(a) for a in it.get("aliases") or [])})
    return out


def _match(labels: set[str], gold: list[set[str]]) -> int | None:
    for i, g in enumerate(gold):
        if labels & g:
            return i
    return None


def evaluate(kg: KnowledgeGraph, gold_dir: Path) -> dict[str, Score]:
    scores = {t: Score() for t in (*TYPES, "relation")}
    gold_files = sorted(Path(gold_dir).glob("*.yaml")) + sorted(Path(gold_dir).glob("*.yml"))
    if not gold_files:
        raise FileNotFoundError(f"no gold .yaml files in {gold_dir}")
    by_stem = {Path(d).name: d for d in kg.documents}
    for gf in gold_files:
        gold = yaml.safe_load(gf.read_text(encoding="utf-8")) or {}
        stem = Path(str(gold.get("doc") or gf.stem)).stem
        doc_id = by_stem.get(stem)
        doc = kg.documents.get(doc_id) if doc_id else None
        # predicted entities of this document, with every label they carry here and canonically
        pred: dict[tuple[str, str], set[str]] = {}
        if doc is not None:
            for m in doc.mentions:
                labels = pred.setdefault((m.type, m.key), {norm(m.key)})
                labels.add(norm(m.surface))
                labels.update(norm(a) for a in m.aliases)
        matched_to: dict[tuple[str, str], tuple[str, int] | None] = {}
        for etype, section in TYPES.items():
            g_req = _gold_items(gold.get(section))
            g_opt = _gold_items(gold.get(f"{section}_optional"))
            hit = [False] * len(g_req)
            sc = scores[etype]
            for key, labels in sorted(pred.items()):
                if key[0] != etype:
                    continue
                i = _match(labels, g_req)
                if i is not None:
                    matched_to[key] = (etype, i)
                    if not hit[i]:
                        hit[i] = True
                        sc.tp += 1
                    continue
                if _match(labels, g_opt) is not None:
                    matched_to[key] = None
                    continue
                sc.fp += 1
                sc.extras.append(f"{stem}: {key[1]}")
            for i, h in enumerate(hit):
                if not h:
                    sc.fn += 1
                    sc.misses.append(f"{stem}: {sorted(g_req[i])[0] if g_req[i] else '?'}")
        # relations
        rs = scores["relation"]
        gold_rel = [(norm(a), p, norm(b)) for a, p, b in gold.get("relations") or []]
        opt_rel = [(norm(a), p, norm(b)) for a, p, b in gold.get("relations_optional") or []]
        pred_rel = set()
        if doc is not None:
            for r in doc.relations:
                if r.predicate in ("implements", "practicedIn", "establishedBy", "contrastsWith"):
                    pred_rel.add((r.subject, r.predicate, r.object))

        def rel_match(r: tuple, pool: list[tuple], pred=pred, gold=gold) -> int | None:
            s_labels = pred.get(r[0], {norm(r[0][1])})
            o_labels = pred.get(r[2], {norm(r[2][1])})
            for i, (a, p, b) in enumerate(pool):
                if p != r[1]:
                    continue
                if (_labels_hit(s_labels, a, gold) and _labels_hit(o_labels, b, gold)) or (
                    p == "contrastsWith" and _labels_hit(s_labels, b, gold) and _labels_hit(o_labels, a, gold)
                ):
                    return i
            return None

        hit_rel = [False] * len(gold_rel)
        for r in sorted(pred_rel):
            i = rel_match(r, gold_rel)
            if i is not None:
                if not hit_rel[i]:
                    hit_rel[i] = True
                    rs.tp += 1
                continue
            if rel_match(r, opt_rel) is not None:
                continue
            rs.fp += 1
            rs.extras.append(f"{stem}: {r[0][1]} {r[1]} {r[2][1]}")
        for i, h in enumerate(hit_rel):
            if not h:
                rs.fn += 1
                a, p, b = gold_rel[i]
                rs.misses.append(f"{stem}: {a} {p} {b}")
    return scores


def _labels_hit(labels: set[str], gold_label: str, gold: dict) -> bool:
    """A predicted end matches a gold relation end via the gold entity's label or aliases."""
    if gold_label in labels:
        return True
    for section in TYPES.values():
        for group in _gold_items(gold.get(section)) + _gold_items(gold.get(f"{section}_optional")):
            if gold_label in group and labels & group:
                return True
    return False


def format_table(scores: dict[str, Score]) -> str:
    lines = [f"{'type':<14}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}"]
    for t, s in scores.items():
        lines.append(f"{t:<14}{s.precision:>7.2f}{s.recall:>7.2f}{s.f1:>7.2f}{s.tp:>5}{s.fp:>5}{s.fn:>5}")
    return "\n".join(lines)
