"""Fit the scored decision's weights to gold (``train``), and measure it honestly (``cross_validate``).

Every candidate of a document with gold is labelled by the gold (1: a required entity or relation, 0:
neither required nor optional; optional ones are left out), and a logistic regression (scikit-learn,
the optional ``train`` extra) is fitted on their features: first the mentions; then, with the mentions that
model keeps, the relation candidates among them. The weights are written sorted and rounded
(``weights.dump_weights``): the same gold and corpus give the same file, byte for byte.

Cross-validation splits the documents into K folds (sorted by name, dealt round-robin), fits on K−1 and
scores the one left out with ``evaluate``'s scorer, and adds up the counts: the figure on documents the
weights have not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import forget_tokens, split_sentences
from zhengji_kg.base.weights import Weights
from zhengji_kg.extract import candidate_mentions, decide_mentions, settle_mentions
from zhengji_kg.extract.relate import decide_relations, relation_candidates
from zhengji_kg.extract.relation_features import relation_features
from zhengji_kg.ingest import IngestError, corpus_name, iter_corpus_files, read_document
from zhengji_kg.outputs.evaluate import DocGold, Score, evaluate_documents, gold_files, mention_labels, norm

C = 0.3  # inverse regularisation strength of the logistic regression (chosen by cross-validation)
# the scores at which candidates are kept (``Weights.cuts``): below even odds, so that what the rules propose
# is kept unless the model is fairly sure it is wrong — chosen by cross-validation over the shared gold
# (docs/quality.md), where they did better than 0 on documents the weights had not seen
CUTS = {"mention": 0.0, "relation": -0.5}


class TrainError(RuntimeError):
    """Training cannot go on: no documents with gold, one class only, scikit-learn missing."""


@dataclass
class Sample:
    """A document with gold, its text and its mention candidates (computed once, weighed by each model)."""

    doc: Document
    gold: DocGold
    mentions: list[Mention]
    features: list[tuple[str, ...]]
    labels: list[int | None] = field(default_factory=list)


def load_samples(
    paths: Iterable[Path], gold_dir: Path, rules: RuleSet, progress: Callable[[str], None] | None = None
) -> list[Sample]:
    """Each document of the corpus that has a gold file, read and cut into sentences, with the candidates
    the rules propose in it — what the decision weighs; nothing is built. A file that cannot be read is
    said (``progress``) and left out."""
    golds = {g.stem: g for g in (DocGold.read(f) for f in gold_files(gold_dir))}
    out = []
    for path, root in iter_corpus_files([Path(p) for p in paths]):
        g = golds.get(path.stem)
        if g is None:
            continue
        try:
            doc = read_document(path, root)
        except IngestError as exc:
            if progress:
                progress(f"skipped {corpus_name(path, root)}: {exc}")
            continue
        forget_tokens()  # (the token cache is per document, as in a build)
        doc.sentences = split_sentences(doc.text)
        cands, feats = candidate_mentions(doc, rules)
        labels = [g.entity_label(m.type, {norm(m.key), norm(m.surface), *map(norm, m.aliases)}) for m in cands]
        out.append(Sample(doc, g, cands, feats, labels))
    if not out:
        raise TrainError(f"no document of the corpus has a gold file in {gold_dir} (matched by file stem)")
    return sorted(out, key=lambda s: s.doc.id)


def _with_mentions(s: Sample, weights: Weights, rules: RuleSet) -> Document:
    kept = decide_mentions(s.mentions, s.features, weights)
    return replace(s.doc, mentions=settle_mentions(kept, rules, s.doc.text), relations=[])


def _relation_examples(doc: Document, gold: DocGold, rules: RuleSet):
    props = relation_candidates(doc, rules)
    feats = relation_features(doc, props, rules)
    labels_of = mention_labels(doc)
    labels = [
        gold.relation_label(labels_of[p.relation.subject], p.relation.predicate, labels_of[p.relation.object])
        for p in props.values()
    ]
    return props, feats, labels


def fit(
    samples: list[Sample],
    rules: RuleSet,
    c: float = C,
    progress: Callable[[str], None] | None = None,
    cuts: Mapping[str, float] | None = None,
) -> Weights:
    """Weights fitted on ``samples``: mentions first, then relations among the mentions they keep."""
    say = progress or (lambda _m: None)
    say(f"fitting mentions on {sum(len(s.mentions) for s in samples)} candidates of {len(samples)} documents")
    mention = _logistic([(f, y) for s in samples for f, y in zip(s.features, s.labels, strict=True)], c, "mention")
    cuts = dict(CUTS if cuts is None else cuts)
    staged = Weights(mention=mention, cuts=cuts)
    rel_examples = []
    for s in samples:
        doc = _with_mentions(s, staged, rules)
        _props, feats, labels = _relation_examples(doc, s.gold, rules)
        rel_examples.extend(zip(feats, labels, strict=True))
    say(f"fitting relations on {len(rel_examples)} candidates")
    relation = _logistic(rel_examples, c, "relation")
    fitted = {"documents": len(samples), "C": c, "model": "logistic regression (scikit-learn, lbfgs, L2)"}
    return Weights(mention=mention, relation=relation, fitted=fitted, cuts=cuts)


def _logistic(examples: list[tuple[tuple[str, ...], int | None]], c: float, kind: str) -> dict[str, float]:
    try:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise TrainError(
            "training needs scikit-learn: pip install 'zhengji-kg[train]' (or pip install scikit-learn)"
        ) from exc
    xs = [{f: 1 for f in feats} for feats, y in examples if y is not None]
    ys = [y for _f, y in examples if y is not None]
    if len(set(ys)) < 2:
        raise TrainError(
            f"the {kind} candidates of these documents are all {'right' if ys and ys[0] else 'wrong'}"
            " by the gold: nothing to learn from (annotate more documents)"
        )
    vec = DictVectorizer(sparse=True, sort=True)
    x = vec.fit_transform(xs)
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=5000)
    model.fit(x, ys)
    weights = {name: float(w) for name, w in zip(vec.get_feature_names_out(), model.coef_[0], strict=True)}
    weights["bias"] = float(model.intercept_[0])
    return {k: round(v, 4) for k, v in sorted(weights.items()) if round(v, 4) != 0.0}


def decide(samples: list[Sample], weights: Weights, rules: RuleSet) -> dict[str, Document]:
    """The documents as a build with ``weights`` extracts them (mentions and relations decided)."""
    out = {}
    for s in samples:
        doc = _with_mentions(s, weights, rules)
        props = relation_candidates(doc, rules)
        feats = relation_features(doc, props, rules)
        doc.relations = decide_relations(doc, props, feats, weights, rules)
        out[doc.id] = doc
    return out


def folds(samples: list[Sample], k: int) -> list[list[Sample]]:
    """``k`` folds of the documents, sorted by name and dealt round-robin: the same corpus, the same folds."""
    if k < 2:
        raise TrainError("--folds needs at least 2 folds")
    if k > len(samples):
        raise TrainError(f"--folds {k} is more than the {len(samples)} documents with gold")
    ordered = sorted(samples, key=lambda s: s.doc.id)
    return [ordered[i::k] for i in range(k)]


def cross_validate(
    samples: list[Sample],
    rules: RuleSet,
    gold_dir: Path,
    k: int,
    c: float = C,
    progress: Callable[[str], None] | None = None,
    cuts: Mapping[str, float] | None = None,
) -> dict[str, Score]:
    """Scores summed over the folds, each fold scored by weights fitted on the others."""
    total: dict[str, Score] = {}
    parts = folds(samples, k)
    for i, held in enumerate(parts):
        train = [s for j, part in enumerate(parts) if j != i for s in part]
        if progress:
            progress(f"fold {i + 1}/{k}: fitting on {len(train)} documents, scoring {len(held)}")
        weights = fit(train, rules, c, cuts=cuts)
        scores = evaluate_documents(decide(held, weights, rules), gold_dir, only_these=True)
        _add_scores(total, scores)
    return total


def _add_scores(total: dict[str, Score], scores: Mapping[str, Score]) -> None:
    for t, s in scores.items():
        acc = total.setdefault(t, Score())
        acc.tp += s.tp
        acc.fp += s.fp
        acc.fn += s.fn
        acc.misses.extend(s.misses)
        acc.extras.extend(s.extras)


__all__ = ["Sample", "TrainError", "cross_validate", "decide", "fit", "folds", "load_samples"]
