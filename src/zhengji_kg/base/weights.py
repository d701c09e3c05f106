"""The scored decision: a linear model over named features, its weights a data file (``ontology/weights.yaml``).

Extractors propose candidates by the form of names (a head word, a quotation, a place and a body head);
each candidate is described by a few dozen binary features — the rule that proposed it, its head, the word
classes at its edges, a verb of setting up nearby, how often it recurs … — and kept when the sum of their
weights (plus the bias) is not below zero. A build only looks weights up and adds them; ``zhengji-kg train``
fits them to gold with scikit-learn (the optional ``train`` extra). Weights are plain data so that a reader
can see why a name was kept (``explain`` prints the features that decided) and a researcher can refit them
to annotations of a new field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import yaml

from zhengji_kg.base.resources import load_yaml

KINDS = ("mention", "relation")
_ZEROS = repeat(0.0)  # the default of each lookup, as many as ``map`` asks for
FORMAT = 1
BIAS = "bias"


class WeightsError(ValueError):
    """A weights file that cannot be used: ``path: problem``."""


@dataclass(frozen=True)
class Weights:
    """Feature → weight, one table per kind of decision. An empty table keeps every candidate (score 0)."""

    mention: Mapping[str, float] = field(default_factory=dict)
    relation: Mapping[str, float] = field(default_factory=dict)
    fitted: Mapping[str, Any] = field(default_factory=dict)  # how they were fitted (documents, settings)
    # the score at which a candidate is kept, per kind: 0 is even odds; below 0 the rules' proposals are
    # kept unless the model is fairly sure they are wrong
    cuts: Mapping[str, float] = field(default_factory=dict)

    def keeps(self, kind: str, score: float) -> bool:
        return score >= self.cuts.get(kind, 0.0)

    def table(self, kind: str) -> Mapping[str, float]:
        return self.mention if kind == "mention" else self.relation

    def score(self, kind: str, features: Iterable[str]) -> float:
        get = (self.mention if kind == "mention" else self.relation).get
        return get(BIAS, 0.0) + sum(map(get, features, _ZEROS))

    def contributions(self, kind: str, features: Iterable[str]) -> list[tuple[str, float]]:
        """The features that weigh, largest first in absolute value (for ``explain``)."""
        w = self.table(kind)
        out = [(f, w[f]) for f in features if w.get(f)]
        if w.get(BIAS):
            out.append((BIAS, w[BIAS]))
        return sorted(out, key=lambda fw: (-abs(fw[1]), fw[0]))


def load_weights(path: Path) -> Weights:
    """Read and check a weights file; a problem is a ``WeightsError`` naming the file and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise WeightsError(f"{path}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    return parse_weights(data, str(path))


def parse_weights(data: Any, where: str = "weights") -> Weights:
    if not isinstance(data, dict):
        raise WeightsError(f"{where}: a weights file is a mapping with 'format', 'mention' and 'relation'")
    if data.get("format") != FORMAT:
        raise WeightsError(f"{where}: 'format' must be {FORMAT} (this is what `zhengji-kg train` writes)")
    unknown = sorted(set(data) - {"format", "fitted", "cuts", *KINDS})
    if unknown:
        raise WeightsError(f"{where}: unknown key {unknown[0]!r}; expected format, fitted, cuts, mention, relation")
    cuts = data.get("cuts") or {}
    if not isinstance(cuts, dict) or set(cuts) - set(KINDS):
        raise WeightsError(f"{where}: 'cuts' maps mention and relation to the score at which a candidate is kept")
    for kind, value in cuts.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise WeightsError(f"{where}: cuts: {kind} is {value!r}; a finite number is needed")
    tables: dict[str, Mapping[str, float]] = {}
    for kind in KINDS:
        raw = data.get(kind) or {}
        if not isinstance(raw, dict):
            raise WeightsError(f"{where}: '{kind}' must map feature names to numbers")
        table: dict[str, float] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or not name:
                raise WeightsError(f"{where}: {kind}: a feature name must be a non-empty string, not {name!r}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise WeightsError(f"{where}: {kind}: feature {name!r} has weight {value!r}; a finite number is needed")
            table[name] = float(value)
        tables[kind] = table  # plain dicts: the rule set is pickled to worker processes
    fitted = data.get("fitted") or {}
    if not isinstance(fitted, dict):
        raise WeightsError(f"{where}: 'fitted' must be a mapping")
    return Weights(tables["mention"], tables["relation"], dict(fitted), {k: float(v) for k, v in cuts.items()})


def dump_weights(weights: Weights) -> str:
    """The weights as YAML, byte for byte the same for the same weights: sorted, rounded to 4 places."""
    data: dict[str, Any] = {"format": FORMAT, "fitted": dict(weights.fitted)}
    if weights.cuts:
        data["cuts"] = {k: round(float(weights.cuts[k]), 4) for k in KINDS if k in weights.cuts}
    for kind in KINDS:
        data[kind] = {k: round(v, 4) for k, v in sorted(weights.table(kind).items()) if round(v, 4) != 0.0}
    head = (
        "# Weights of the scored decision (see docs/quality.md): feature -> weight; a candidate is kept when\n"
        "# bias + the weights of its features >= its kind's cut. Written by `zhengji-kg train`; edit with care.\n"
    )
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
