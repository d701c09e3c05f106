"""The commands about the rules: evaluate, train, suggest, explain."""

from __future__ import annotations

from pathlib import Path

import click

from zhengji_kg.cli.app import GOLD_OPTION, WEIGHTS_OPTION, rule_set


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@GOLD_OPTION
@click.option("--lexicon", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Extra lexicon YAML.")
@WEIGHTS_OPTION
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=None,
    help="Cross-validate: fit the weights on K-1 folds of the documents with gold and score the one left out, "
    "K times (needs scikit-learn: the `train` extra). Without it, score the build as it is.",
)
@click.option("--details/--no-details", default=True, show_default=True, help="List the misses and the extras.")
def evaluate(
    paths: tuple[Path, ...],
    gold: Path,
    lexicon: tuple[str, ...],
    weights: Path | None,
    folds: int | None,
    details: bool,
) -> None:
    """Build PATHS and score entities per type and relations against GOLD (P, R, F1).

    With --folds K the figure is cross-validated: the documents with gold are dealt into K folds (sorted by
    name, round-robin); weights fitted on the other K-1 folds decide the candidates of each fold. That is
    the figure to trust for documents the weights have not seen; the plain score of a build on the gold its
    weights were fitted to is higher than what unseen text gets.

    \b
    Examples:
      zhengji-kg evaluate ../shared/corpus/seeds --gold ../shared/gold/seeds
      zhengji-kg evaluate ../shared/corpus --gold ../shared/gold --folds 5
    """
    from zhengji_kg.outputs.evaluate import evaluate as run
    from zhengji_kg.outputs.evaluate import format_table

    rules = rule_set(lexicon, weights)
    try:
        if folds:
            from zhengji_kg.outputs.learn import TrainError, cross_validate, load_samples

            try:
                samples = load_samples(paths, gold, rules, progress=lambda m: click.echo(m, err=True))
                scores = cross_validate(samples, rules, gold, folds, progress=lambda m: click.echo(m, err=True))
            except TrainError as exc:
                raise click.ClickException(str(exc)) from exc
        else:
            from zhengji_kg.pipeline.corpus import build as build_graph

            scores = run(build_graph(paths, rules, keep_text=True), gold)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(format_table(scores))
    if folds:
        click.echo(f"cross-validated: {folds} folds of {len(samples)} documents with gold")
    if details:
        for t, s in scores.items():
            if s.misses:
                click.echo(f"\n{t} misses ({len(s.misses)}):")
                for m in s.misses:
                    click.echo(f"  - {m}")
            if s.extras:
                click.echo(f"\n{t} extras ({len(s.extras)}):")
                for m in s.extras:
                    click.echo(f"  + {m}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@GOLD_OPTION
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the weights (YAML); use them with --weights on build, evaluate and explain.",
)
@click.option("--lexicon", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Extra lexicon YAML.")
@click.option(
    "-C",
    "c",
    type=click.FloatRange(min=0, min_open=True),
    default=0.3,
    show_default=True,
    help="Inverse strength of the regularisation: smaller keeps the weights closer to zero.",
)
def train(paths: tuple[Path, ...], gold: Path, out: Path, lexicon: tuple[str, ...], c: float) -> None:
    """Fit the weights of the scored decision to your own gold, and write them to OUT.

    Every candidate the rules propose in the documents of PATHS that have a gold file is labelled by it;
    a logistic regression over the candidates' features (the rule, the head, word classes at the edges, a
    verb of setting up nearby …) gives each feature its weight — first for mentions, then for relations
    among the mentions kept. Annotate twenty documents of a new field and the tool adapts to it. The same
    gold and corpus give the same file, byte for byte. Needs scikit-learn (pip install 'zhengji-kg[train]').

    \b
    Examples:
      zhengji-kg train my-docs --gold my-gold -o my-weights.yaml
      zhengji-kg evaluate my-docs --gold my-gold --folds 5
      zhengji-kg build my-docs -o out --weights my-weights.yaml
    """
    from zhengji_kg.base.output import write_atomic
    from zhengji_kg.base.weights import dump_weights
    from zhengji_kg.outputs.learn import TrainError, fit, load_samples

    rules = rule_set(lexicon)
    try:
        samples = load_samples(paths, gold, rules, progress=lambda m: click.echo(m, err=True))
        weights = fit(samples, rules, c, progress=lambda m: click.echo(m, err=True))
    except (TrainError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    write_atomic(out, dump_weights(weights))
    click.echo(
        f"wrote {out}: {len(weights.mention)} mention and {len(weights.relation)} relation weights from "
        f"{len(samples)} documents with gold"
    )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--min-count", default=2, show_default=True, help="Occurrences a candidate needs in the corpus.")
@click.option("--min-docs", default=1, show_default=True, help="Documents a candidate needs to occur in.")
@click.option("--limit", default=50, show_default=True, help="Candidates to list (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--lexicon", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Extra lexicon YAML.")
def suggest(
    paths: tuple[Path, ...], min_count: int, min_docs: int, limit: int, fmt: str, lexicon: tuple[str, ...]
) -> None:
    """List frequent candidate terms in PATHS that no rule or lexicon entry covers yet.

    Candidates are quoted terms, numbered formulas, and words ending in a mechanism head (…机制, …清单)
    or a notion suffix (…观, …主义, …意识). Add the good ones to a lexicon file and pass it with --lexicon.

    \b
    Example:
      zhengji-kg suggest ../shared/corpus/seeds --min-count 1 --limit 20
    """
    from zhengji_kg.outputs.query import format_rows
    from zhengji_kg.outputs.suggest import suggest as run
    from zhengji_kg.pipeline.corpus import build as build_graph

    kg = build_graph(paths, rule_set(lexicon), keep_text=True)
    cands = run(kg, min_docs=min_docs, min_count=min_count)
    if limit:
        cands = cands[:limit]
    rows = [[c.term, c.form, str(c.count), str(len(c.docs)), c.example[:40]] for c in cands]
    click.echo(format_rows(["term", "form", "count", "docs", "example"], rows, fmt))


@click.command()
@click.argument("sentence", required=False)
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Explain every sentence of this document instead.",
)
@click.option("--lexicon", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Extra lexicon YAML.")
@WEIGHTS_OPTION
@click.option("--all", "show_all", is_flag=True, help="Show the candidates the scored decision rejected too.")
@click.option(
    "--features",
    "n_features",
    type=click.IntRange(min=0),
    default=4,
    show_default=True,
    help="How many of the weightiest features to show under each mention and relation (0: none).",
)
def explain(
    sentence: str | None,
    file_: Path | None,
    lexicon: tuple[str, ...],
    weights: Path | None,
    show_all: bool,
    n_features: int,
) -> None:
    """Show what the rules find in SENTENCE and why it was kept: each mention and relation with its span,
    the rule that proposed it, its score, and the features that weighed most, with their weights (a
    candidate is kept when its score is >= 0).

    \b
    Examples:
      zhengji-kg explain "精准落实“三个区分开来”要求，探索建立容错免责备案机制。"
      zhengji-kg explain --all "区里每季度举办一期“擂台赛”。"
    """
    from zhengji_kg.base.model import Document
    from zhengji_kg.extract import candidate_mentions
    from zhengji_kg.extract.relate import relation_candidates
    from zhengji_kg.extract.relation_features import relation_features
    from zhengji_kg.ingest import IngestError, read_document, to_simplified
    from zhengji_kg.pipeline.worker import extract_document

    rules = rule_set(lexicon, weights)
    if file_:
        try:
            doc = read_document(file_, file_.parent)
        except IngestError as exc:
            raise click.ClickException(f"{file_}: {exc}") from exc
    elif sentence:
        text = to_simplified(sentence)
        doc = Document(id="explain", path="-", text=text, original_text=sentence)
    else:
        raise click.UsageError("give a SENTENCE or --file")
    doc = extract_document(doc, rules)
    w = rules.weights
    cands, feats = candidate_mentions(doc, rules)
    why_m = {(m.type, m.start, m.end, m.rule): f for m, f in zip(cands, feats, strict=True)}
    props = relation_candidates(doc, rules)
    why_r = {k: f for k, f in zip(props, relation_features(doc, props, rules), strict=True)}
    kept_m = {(m.type, m.start, m.end, m.rule) for m in doc.mentions}
    kept_r = {(r.subject, r.predicate, r.object, r.sentence.start) for r in doc.relations}

    def why(kind: str, f: tuple[str, ...] | None) -> None:
        if f is None or not n_features:
            return
        parts = [f"{name} {weight:+.2f}" for name, weight in w.contributions(kind, f)[:n_features]]
        if parts:
            click.echo(f"      {' · '.join(parts)}")

    for sent in doc.sentences:
        ms = [m for m in doc.mentions if sent.start <= m.start < sent.end]
        rs = [r for r in doc.relations if r.sentence.start == sent.start and r.predicate != "relatedTo"]
        dropped = [
            (m, f)
            for m, f in zip(cands, feats, strict=True)
            if show_all and sent.start <= m.start < sent.end and (m.type, m.start, m.end, m.rule) not in kept_m
        ]
        if file_ and not ms and not dropped:
            continue
        click.echo(f"[{sent.start}:{sent.end}] {sent.text}")
        for m in ms:
            extra = f" → {m.key}" if m.key != m.surface else ""
            code = f" ({m.code})" if m.code else ""
            click.echo(f"  {m.type:<13}{m.surface}{extra}{code}  [{m.start}:{m.end}]  {m.rule}  score {m.score:+.2f}")
            why("mention", why_m.get((m.type, m.start, m.end, m.rule)))
        for m, f in dropped:
            score = w.score("mention", f)
            fate = "lost to an overlapping name" if w.keeps("mention", score) else "rejected"
            click.echo(f"  ✗ {m.type:<12} {m.surface}  [{m.start}:{m.end}]  {m.rule}  score {score:+.2f} ({fate})")
            why("mention", f)
        for r in rs:
            click.echo(
                f"  {r.subject[1]} —{r.predicate}→ {r.object[1]}  ({r.modality})  {r.rule}  score {r.score:+.2f}"
            )
            why("relation", why_r.get((r.subject, r.predicate, r.object, r.sentence.start)))
        if show_all:
            for k, p in props.items():
                if k[3] == sent.start and k not in kept_r:
                    r, f = p.relation, why_r[k]
                    click.echo(
                        f"  ✗ {r.subject[1]} —{r.predicate}→ {r.object[1]}  {r.rule}  "
                        f"score {w.score('relation', f):+.2f} (rejected; proposed by {', '.join(p.rules)})"
                    )
                    why("relation", f)
