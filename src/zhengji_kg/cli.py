"""The ``zhengji-kg`` command: a thin layer of verbs over the Python API."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from zhengji_kg.base.version import __version__
from zhengji_kg.pipeline.corpus import EXECUTORS

EXIT_SKIPPED = 3  # some files were skipped (reported by name); the rest were built
EXIT_INTERRUPTED = 130  # Ctrl-C: as shells report SIGINT (143 for SIGTERM, 129 for SIGHUP); nothing was written
_BUILT = False  # a build wrote its outputs, closed its files and said so: nothing is left to tear down
_FAST_EXIT = False  # set by ``run``: the process ends right after the command
_KEEP: list[Any] = []  # what such a build ends holding, left for the process's end to free all at once


def _given_path_exists(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A graph path typed on the command line must exist (a usage error otherwise); the default output/
    is checked only when a command reads it (_graph_file says to build first), so that a command that
    needs no graph (query --list) runs in any folder."""
    source = ctx.get_parameter_source(param.name or "")
    if source is not click.core.ParameterSource.DEFAULT and not value.exists():
        raise click.BadParameter(f"Path '{value}' does not exist.", ctx, param)
    return value


GRAPH_OPTION = click.option(
    "--graph",
    "graph_path",
    type=click.Path(path_type=Path),
    callback=_given_path_exists,
    default=Path("output"),
    show_default=True,
    help="A build folder or a graph file.",
)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _graph_file(path: Path) -> Path:
    """A build folder means its graph.ttl."""
    file = path / "graph.ttl" if path.is_dir() or not path.suffix else path
    if not file.is_file():
        raise click.ClickException(f"{file} not found; run zhengji-kg build first")
    return file


def _rules(lexicon: tuple[str, ...], weights: Path | None = None):
    from zhengji_kg.base.rules import RuleError, load_rules

    try:
        return load_rules(extra_lexicons=[Path(p) for p in lexicon], weights_file=weights)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc


WEIGHTS_OPTION = click.option(
    "--weights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Weights of the scored decision, as `zhengji-kg train` writes them  [default: the built-in "
    "ontology/weights.yaml, fitted on the shared gold].",
)


def run() -> None:
    """The ``zhengji-kg`` process: ``main``, and after a build, leave without the interpreter's teardown.

    A large build ends holding millions of small objects (the merged model, caches of the extractors);
    freeing them one by one and the collection at shutdown took 0.4–0.8 s after the last line was
    printed, a tenth of an incremental rebuild of 10,000 documents (the model is kept in ``_KEEP``, or
    leaving ``_build`` would free it). Everything the build writes is renamed into place, its cache
    closed and its workers joined before ``_BUILT`` is set; the standard streams are flushed here. Any
    other command, or a build that failed, exits the ordinary way.

    A reader that stops early (``zhengji-kg build | head -1``, a pager quit) changes nothing: what
    cannot be printed any more is dropped (``_PipeSafe``), the command does all its work, and the exit
    status is its own — 0, or 3 when files were skipped — never a failure made up by the closed pipe.
    """
    import os

    global _FAST_EXIT
    _FAST_EXIT = True
    if sys.stdout is not None:  # None when the command was started with the stream closed (>&-)
        sys.stdout = _PipeSafe(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = _PipeSafe(sys.stderr)
    try:
        main()
    except SystemExit as exc:
        if not _BUILT:
            raise
        code = exc.code
    else:  # pragma: no cover - click's standalone main always ends in SystemExit
        code = 0
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed some other way: nothing more can be said
            stream.flush()
    os._exit(code)


class _PipeSafe:
    """A standard stream that drops what it cannot write once its reader has gone.

    Python ignores SIGPIPE, so a write to a pipe whose reader closed raises ``BrokenPipeError``
    wherever it happens — in the middle of a summary, or in the interpreter's last flush — and click
    turns it into exit 1 or not depending on when the reader left; a terminal that hung up gives EIO
    the same way. Here the first such error points the stream's descriptor at /dev/null (so that no
    later write or flush fails either) and the rest is dropped, as a reader that left has asked.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except OSError:  # EPIPE, EIO: the reader or the terminal is gone
                self._went()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except OSError:
                self._went()

    def _went(self) -> None:
        import os

        self._gone = True
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zhengji-kg")
def main() -> None:
    """Build an explainable knowledge graph of 政绩观 policy documents.

    \b
    zhengji-kg build                       # corpus/ → output/graph.ttl + output/graph.html
    zhengji-kg build DOCS -o OUT           # any folder of .txt/.md/.html/.docx/.odt/.pdf
    zhengji-kg validate OUT/graph.ttl      # SHACL check against ontology/shapes.ttl
    zhengji-kg query 'SELECT …'            # SPARQL with the contract's prefixes
    zhengji-kg query --list                # the canned queries; run one by name
    zhengji-kg export --to gexf            # also ttl, nt, trig, jsonld, graphml
    zhengji-kg serve                       # read-only SPARQL endpoint on 127.0.0.1:7878
    zhengji-kg evaluate DOCS --gold GOLD   # precision / recall / F1 against gold YAML
    zhengji-kg explain "一句话"             # what every rule finds in a sentence
    zhengji-kg suggest DOCS                # frequent terms no rule covers yet
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Output folder: graph.ttl (the data graph) and graph.html (the interactive page).",
)
@click.option(
    "--lexicon",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="An extra lexicon YAML (same shape as ontology/lexicon.yaml); repeatable.",
)
@WEIGHTS_OPTION
@click.option(
    "--max-nodes", default=400, show_default=True, help="Nodes shown on the HTML page (most important first)."
)
@click.option("--strict", is_flag=True, help="Fail on the first file that cannot be read instead of skipping it.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for extraction  [default: all cores of this machine].",
)
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse the extraction of documents (and rules) that did not change since the last build into OUT "
    "(kept in OUT/.cache/); --no-cache re-extracts everything.",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: worker processes here (--jobs); dask: a map over Dask distributed workers (--scheduler).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler address (tcp://host:8786) for --executor dask; without it, a local Dask cluster.",
)
@click.option(
    "--max-file-mb",
    type=click.FloatRange(min=0),
    default=20.0,
    show_default=True,
    help="Skip (and report) any single file larger than this; 0 for no limit.",
)
@click.option(
    "--wait",
    is_flag=True,
    help="If another build is writing to OUT, wait for it to end (without it: say so and exit 1).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def build(**options: Any) -> None:
    """Build the knowledge graph of PATHS (default: corpus/) into OUT.

    Documents are .txt, .md, .html/.htm/.shtml (the article only: site navigation, related lists and
    footers are left out), .docx, .odt and .pdf files with a text layer; .doc, .wps and .ofd files and
    scanned PDFs are reported as skipped with how to convert them, and files of other kinds are listed
    as not read. Every file that cannot be read is reported by name with the reason and skipped; the
    others are built. A file that could be read only by mending it (stray control bytes removed, a link that is no
    valid IRI left out) is built and named in a warning. Exit code 0 when every file was read, 3 when
    some were skipped, 1 on an error and 130 when interrupted (nothing is written then: the previous
    OUT stays as it was). One build at a time writes to an OUT: a second one exits 1 saying which
    process holds it, or waits with --wait.

    Extraction runs in --jobs worker processes and is cached per document in OUT/.cache/, so a rebuild
    after editing a few documents re-extracts only those (changing a rule or lexicon, or a new release,
    re-extracts all).

    \b
    Examples:
      zhengji-kg build ../shared/corpus/seeds -o /tmp/seeds-kg
      zhengji-kg build DOCS -o OUT --jobs 8
      zhengji-kg build DOCS -o OUT --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from zhengji_kg.base.children import exit_status, stop_signals_interrupt
    from zhengji_kg.pipeline.corpus import gc_paused

    out: Path = options["out"]
    wait = options.pop("wait")
    try:
        # for the whole command: a collection on the way out would walk the merged model
        with stop_signals_interrupt(), _output_lock(out, wait, "build"), gc_paused():
            _build(**options)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (children.Stopped)
        click.echo(f"{_stopped(exc)}: nothing written, {out} is as it was", err=True)
        sys.exit(exit_status(exc))


def _stopped(exc: KeyboardInterrupt) -> str:
    from zhengji_kg.base.children import Stopped

    return f"stopped by {exc.args[0]}" if isinstance(exc, Stopped) else "interrupted"


@contextmanager
def _output_lock(folder: Path, wait: bool, verb: str) -> Iterator[None]:
    """The output folder's lock for a command that writes into it (``output.OutputLock``): a second
    writer exits 1 saying who holds it, or waits with --wait."""
    from zhengji_kg.base.output import OutputLock, OutputLocked

    def waiting(pid: int | None, holder: str) -> None:
        who = f"the {holder} (pid {pid})" if pid else f"another {holder}"
        click.echo(f"waiting for {who} writing to {folder} …", err=True)

    try:
        lock = OutputLock(folder, wait=wait, on_wait=waiting, verb=verb)
        lock.__enter__()
    except OutputLocked as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{folder}: cannot take its lock ({exc.strerror or exc})") from exc
    try:
        yield
    finally:
        lock.__exit__()


def _build(
    *,
    paths: tuple[Path, ...],
    out: Path,
    lexicon: tuple[str, ...],
    weights: Path | None,
    max_nodes: int,
    strict: bool,
    jobs: int | None,
    cache: bool,
    executor: str,
    scheduler: str | None,
    max_file_mb: float,
    quiet: bool,
) -> None:
    """The build command's work. Ctrl-C (or SIGTERM, SIGHUP) anywhere before its outputs go into place
    ends it with nothing written; from then on a stop waits for them (``children.hold_stops``)."""
    from zhengji_kg.base.children import hold_stops
    from zhengji_kg.base.output import write_atomic
    from zhengji_kg.ingest import IngestError, read_suffixes
    from zhengji_kg.outputs.viz import PageRenderer, page_model, render_page
    from zhengji_kg.pipeline.cache import ExtractionCache
    from zhengji_kg.pipeline.corpus import build_to

    if not paths:
        if not Path("corpus").is_dir():
            raise click.ClickException("no PATHS given and no corpus/ folder here; try: zhengji-kg build DOCS -o OUT")
        paths = (Path("corpus"),)
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    rules = _rules(lexicon, weights)
    jobs = jobs or _cores()
    bar = None
    if not quiet:  # (tqdm is not imported for nothing: the start of a build is on an incremental build's path)
        from tqdm import tqdm

        bar = tqdm(unit="doc", disable=None, file=sys.stderr, desc="building")

    def progress(i: int, n: int, name: str) -> None:
        assert bar is not None
        bar.total = n
        bar.set_postfix_str(name[-30:], refresh=False)
        bar.update(1)

    t0 = time.perf_counter()
    store = ExtractionCache(out / ".cache" / "extract.sqlite") if cache else None
    if store is not None and store.warning:
        click.echo(f"warning: {store.warning}", err=True)
    title = f"zhengji-kg — {', '.join(p.name for p in paths)}"
    pages: list[PageRenderer] = []

    def prepare_page() -> None:  # the page's process starts (and imports pyvis) before the model is done
        pages.append(PageRenderer())

    def start_page(kg) -> None:  # the page renders in another process while the graph file is written
        model = page_model(kg, max_nodes=max_nodes, title=title)
        if pages:
            pages[0].send(model)
        else:
            pages.append(PageRenderer(model))

    def stop_pages() -> None:  # the build failed (or read nothing): its page is not wanted
        for page in pages:
            page.cancel()

    try:
        kg, ttl = build_to(
            paths,
            out / "graph.ttl",
            rules,
            jobs=jobs,
            cache=store,
            executor=executor,
            scheduler=scheduler,
            progress=progress if bar is not None else None,
            strict=strict,
            max_file_mb=max_file_mb,
            on_merged=start_page,
            on_tail=prepare_page,
        )
    except BaseException as exc:
        stop_pages()
        if isinstance(exc, IngestError):
            raise click.ClickException(f"{exc} (--strict; nothing written)") from exc
        if isinstance(exc, (RuntimeError, OSError)):  # a Dask cluster out of reach, a full disk
            raise click.ClickException(f"{exc}; nothing written") from exc
        raise
    finally:
        if bar is not None:
            bar.close()
        if store is not None:
            store.close()
    report = kg.report
    assert report is not None
    for name, reason in report.skipped:
        click.echo(f"skipped {name}: {reason}", err=True)
    if report.not_documents:
        shown = ", ".join(report.not_documents[:5]) + (" …" if len(report.not_documents) > 5 else "")
        click.echo(
            f"not read: {len(report.not_documents)} file{'s' if len(report.not_documents) > 1 else ''}"
            f" of no document format ({shown});"
            f" documents are {' '.join(read_suffixes())}",
            err=True,
        )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.read:
        stop_pages()
        ttl.discard()
        if not report.skipped:
            raise click.ClickException(f"no documents ({' '.join(read_suffixes())}) under {', '.join(map(str, paths))}")
        raise click.ClickException("no document could be read; nothing written")
    # the page is rendered before either file is put in place; each is renamed into place whole
    t = time.perf_counter()
    try:
        html = pages[0].result() if pages else render_page(page_model(kg, max_nodes=max_nodes, title=title))
        if pages and pages[0].failure:
            click.echo(f"warning: the page was rendered here, its own process failed: {pages[0].failure}", err=True)
        ttl.wait()  # the graph is on disk before the page is put in place
    except OSError as exc:  # a full disk
        ttl.discard()
        raise click.ClickException(f"{exc}; nothing written") from exc
    except BaseException:
        stop_pages()
        ttl.discard()
        raise
    # from here the page and the graph go into place together and the build says so: a stop signal that
    # comes meanwhile (a fraction of a second) waits for it, and the command ends as soon as it is done
    with hold_stops() as held:
        try:
            write_atomic(out / "graph.html", html)
        except BaseException as exc:
            ttl.discard()
            if isinstance(exc, OSError):
                raise click.ClickException(f"{exc}; nothing written") from exc
            raise
        ttl.commit()
        report.stages["html"] = time.perf_counter() - t
        _summary(kg, out, cache, time.perf_counter() - t0)
        if held:
            name = signal.Signals(held[0]).name
            click.echo(f"{name} came while the outputs were put in place: {out} is complete", err=True)
        global _BUILT
        _BUILT = True
        if _FAST_EXIT:
            import gc

            _KEEP.append(kg)
            gc.freeze()  # and no collection walks it when the collector is turned back on on the way out
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def _summary(kg: Any, out: Path, cache: bool, seconds: float) -> None:
    """What a build prints when its outputs are in place."""
    from zhengji_kg.outputs.export import remove_stale_exports

    report = kg.report
    stale = remove_stale_exports(out)
    if stale:
        click.echo(f"removed exports of the previous graph: {', '.join(stale)}", err=True)
    counts = kg.counts()
    others = f", {len(report.not_documents)} not documents" if report.not_documents else ""
    click.echo(f"documents: {len(report.read)} read, {len(report.skipped)} skipped{others}")
    click.echo(
        f"extracted: {report.extracted} (cache: {report.cache_hits} unchanged)"
        if cache
        else f"extracted: {report.extracted} (no cache)"
    )
    click.echo("entities:  " + ", ".join(f"{k} {v}" for k, v in counts["entities"].items()))
    click.echo("relations: " + ", ".join(f"{k} {v}" for k, v in counts["relations"].items()))
    click.echo(f"triples:   {report.triples}")
    click.echo(f"seconds:   {seconds:.1f} (" + ", ".join(f"{k} {v:.1f}" for k, v in report.stages.items()) + ")")
    click.echo(f"graph:     {out / 'graph.ttl'}")
    click.echo(f"page:      {(out / 'graph.html').resolve().as_uri()}")


def _cores() -> int:
    """The cores this process may run on (respects CPU affinity and container limits where exposed)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load_graph(path: Path):
    from rdflib import Graph

    p = _graph_file(path)
    try:
        return Graph().parse(p)
    except Exception as exc:  # rdflib raises many parser types
        raise click.ClickException(f"{p}: not a readable RDF file: {exc}") from exc


@main.command()
@click.argument("graph", type=click.Path(path_type=Path), default=Path("output"), callback=_given_path_exists)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "pyshacl"]),
    default="oxigraph",
    show_default=True,
    help="oxigraph: each constraint as a SPARQL query over an in-memory store; pyshacl: the reference "
    "implementation (the same answer, minutes beyond some 10,000 triples).",
)
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=0), help="Violations listed (all are counted)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def validate(graph: Path, engine: str, limit: int, quiet: bool) -> None:
    """Check GRAPH (a build folder or a graph file) against the SHACL shapes of ontology/shapes.ttl.

    The shapes ask of every entity one skos:prefLabel@zh and one rdfs:label, and that it is mentioned in
    a source (or is the broader family of one that is); of every evidence node one subject, predicate,
    object, source, sentence, rule and pair of offsets (charStart ≥ 0, charEnd after it); of every
    relation an evidence node, and the classes the contract names at both ends (a subclass counts:
    zj:Region is a zj:Place); of every source one identifier, a well-formed date and a link; of a
    place's adminCode 2 to 12 digits.

    Each constraint is translated into one SPARQL query selecting the nodes that break it, run over the
    graph loaded into an in-memory Oxigraph store: the six million triples of a 10,000-document build
    take about 30 s, most of it loading, and 2 GB. --engine pyshacl runs pySHACL instead, the reference
    (the same answer, over an rdflib graph). Exit code 0 when the graph conforms; 1 with a report when
    it does not: the violations counted by constraint, then the first --limit of them (focus node, path,
    constraint, value, message).

    \b
    Examples:
      zhengji-kg validate                     # output/graph.ttl
      zhengji-kg validate /tmp/seeds-kg -q    # no progress bars
      zhengji-kg validate OUT/graph.ttl --engine pyshacl
    """
    from zhengji_kg.outputs.validate import GraphError, ShapesError, validate_file

    path = _graph_file(graph)
    try:
        report = validate_file(path, engine=engine, progress=False if quiet else None)
    except (GraphError, ShapesError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(report.text(limit=limit))
    if not report.conforms:
        raise click.ClickException("the graph does not conform to ontology/shapes.ttl")


GOLD_OPTION = click.option(
    "--gold",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of gold YAML files, one per document, named by its file stem (see shared/gold/GUIDELINES.md); "
    "its subfolders are read too.",
)


@main.command()
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

    rules = _rules(lexicon, weights)
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


@main.command()
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

    rules = _rules(lexicon)
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


@main.command()
@click.argument("query", required=False)
@GRAPH_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option(
    "--engine",
    type=click.Choice(["oxigraph", "rdflib"]),
    default="oxigraph",
    show_default=True,
    help="Oxigraph is fast on large graphs; rdflib is the reference. Both give the same answers.",
)
@click.option("--list", "list_", is_flag=True, help="Name the canned queries with what each asks, and stop.")
@click.option("--show", is_flag=True, help="Print the query's text instead of running it (to copy and change one).")
def query(query: str | None, graph_path: Path, fmt: str, engine: str, list_: bool, show: bool) -> None:
    """Run a SPARQL SELECT or ASK QUERY over a built graph.

    QUERY is the name of a canned query (see --list), a .rq file, or the query's text. The canned
    queries ship with the package, so they run without a checkout; --show prints one to copy and
    change. The prefixes zj:, zjr:, skos:, prov:, dcterms:, rdf:, rdfs:, owl: and xsd: are predeclared.

    \b
    Examples:
      zhengji-kg query --list
      zhengji-kg query where-practiced --format csv
      zhengji-kg query place-adopted --show > my-place.rq   # edit the place, then:
      zhengji-kg query my-place.rq --graph /tmp/seeds-kg
      zhengji-kg query 'SELECT ?m ?c WHERE { ?m zj:implements ?c }'
    """
    from zhengji_kg.outputs.query import QueryError, canned_queries, format_rows, load_query, run_query_file

    if list_:
        if query:
            raise click.UsageError("--list takes no QUERY")
        try:
            shipped = canned_queries()
        except FileNotFoundError as exc:  # a broken installation: the query files are package data
            raise click.ClickException(str(exc)) from exc
        click.echo(format_rows(["name", "purpose"], [[q.name, q.purpose] for q in shipped], fmt))
        return
    if not query:
        raise click.UsageError("give a QUERY (a canned query's name, a .rq file or SPARQL text), or --list")
    try:
        text = load_query(query)
    except (QueryError, FileNotFoundError) as exc:  # FileNotFoundError: a broken installation, as above
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"{query}: {exc}") from exc
    if show:
        click.echo(text.rstrip("\n"))
        return
    path = _graph_file(graph_path)
    try:
        cols, rows = run_query_file(path, text, engine)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    click.echo(format_rows(cols, rows, fmt))


@main.command()
@click.argument("mechanism", required=False)
@GRAPH_OPTION
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the whole table as CSV."
)
@click.option(
    "--plot", "plot_path", type=click.Path(path_type=Path, dir_okay=False), help="Draw the adoptions by year as SVG."
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--sentences", is_flag=True, help="Print each row's sentence too (the CSV always has it).")
def diffusion(
    mechanism: str | None, graph_path: Path, csv_path: Path | None, plot_path: Path | None, fmt: str, sentences: bool
) -> None:
    """Which places adopted MECHANISM (or every mechanism) and when: one row per mechanism and place.

    Each row is a place's earliest known practice of the mechanism, first adopters first: its date as
    precisely as known (2019, 2019-05, 2019-05-02) and its basis — "stated" (the sentence says when:
    2019年, 去年, 今年3月, resolved against the source's date) or "by-source" (the source's date, the
    latest it can have happened); undated rows come last and are never given a date. A local variant
    (湖州市干部实绩档案) counts for the arrangement it is a kind of (干部实绩档案), named in the variant
    column. The CSV (--csv) has one row per place and mechanism with year, date, precision, basis,
    administrative code, level, province, source and sentence: the shape an event-history analysis reads.
    The canned query `adoptions` gives the same rows in SPARQL.

    \b
    Examples:
      zhengji-kg diffusion                                   # every mechanism
      zhengji-kg diffusion 干部实绩档案 --graph output
      zhengji-kg diffusion 容错纠错机制 --csv adoptions.csv --plot adoptions.svg
    """
    from zhengji_kg.outputs.diffusion import COLUMNS, adoptions_from_file, plot_svg, select, write_csv
    from zhengji_kg.outputs.query import format_rows

    path = _graph_file(graph_path)
    try:
        rows = select(adoptions_from_file(path), mechanism)
    except LookupError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    shown = [c for c in COLUMNS if c not in ("year", "precision", "sentence") or (sentences and c == "sentence")]
    if fmt != "table":
        shown = list(COLUMNS)
    click.echo(format_rows(shown, [[getattr(a, c) for c in shown] for a in rows], fmt))
    if fmt == "table":
        dated = sum(1 for a in rows if a.date)
        mechanisms, places = len({a.mechanism for a in rows}), len({a.place for a in rows})
        click.echo(
            f"{_count(len(rows), 'adoption')} of {_count(mechanisms, 'mechanism')} in {_count(places, 'place')}; "
            f"{dated} dated ({sum(1 for a in rows if a.basis == 'stated')} stated in their sentence), "
            f"{len(rows) - dated} undated",
            err=True,
        )
    if csv_path is not None:
        write_csv(rows, csv_path)
        click.echo(f"csv:  {csv_path} ({len(rows)} rows)", err=True)
    if plot_path is not None:
        try:
            n = plot_svg(rows, plot_path, title=mechanism or "")
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"plot: {plot_path} ({n} dated adoptions drawn)", err=True)


@main.command()
@GRAPH_OPTION
@click.option(
    "--to",
    "fmt",
    required=True,
    type=click.Choice(["ttl", "nt", "trig", "jsonld", "gexf", "graphml", "neo4j"]),
    help="ttl/nt/trig/jsonld: RDF (TriG: one named graph per source); gexf/graphml: for Gephi; "
    "neo4j: a folder of import CSVs, an idempotent Cypher script and a README.",
)
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="File or folder to write (default: the graph's folder, graph.<format>).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="If a build or another export is writing to the build folder, wait for it to end (without it: say so "
    "and exit 1).",
)
def export(graph_path: Path, fmt: str, out: Path | None, wait: bool) -> None:
    """Export a built graph for another tool.

    Like a build, an export holds its build folder's lock while it reads the graph and writes: a build
    into that folder cannot replace the graph (or remove the export as stale) halfway through, and a
    second writer exits 1 saying who holds the folder, or waits with --wait. The folder locked is the
    graph's when the export writes inside it (the default), else the folder written to when it holds a
    build of its own; an export to any other place reads the graph without a lock (a build replaces
    graph.ttl whole, never in part).

    \b
    Examples:
      zhengji-kg export --to gexf                  # output/graph.gexf, open it in Gephi
      zhengji-kg export --to trig -o /tmp/kg.trig  # GRAPH ?g { … } gives each triple's source
      zhengji-kg export --to neo4j                 # output/neo4j/: CSVs, load.cypher, README.md
    """
    from zhengji_kg.base.children import exit_status, stop_signals_interrupt
    from zhengji_kg.outputs.export import export as run

    folder = graph_path if graph_path.is_dir() else graph_path.parent
    target = out or folder
    if fmt == "neo4j" and out is None:
        target = target / "neo4j"
    locked = _build_folder_of(target, folder)
    try:
        with stop_signals_interrupt(), _output_lock(locked, wait, "export") if locked else nullcontext():
            written = run(_load_graph(graph_path), fmt, target)
    except KeyboardInterrupt as exc:  # each file is written whole; of a folder (neo4j), some may be new
        click.echo(f"{_stopped(exc)}: the export was not finished", err=True)
        sys.exit(exit_status(exc))
    click.echo(f"wrote {written}")


def _build_folder_of(target: Path, graph_folder: Path) -> Path | None:
    """The build folder an export to ``target`` writes into: the graph's, when ``target`` is in it;
    else the folder of ``target`` if a build wrote there (it holds a graph.ttl); else none."""
    where = target.resolve()
    home = graph_folder.resolve()
    if where == home or home in where.parents:
        return graph_folder
    for folder in (where, where.parent):
        if (folder / "graph.ttl").is_file():
            return folder
    return None


@main.command()
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

    kg = build_graph(paths, _rules(lexicon), keep_text=True)
    cands = run(kg, min_docs=min_docs, min_count=min_count)
    if limit:
        cands = cands[:limit]
    rows = [[c.term, c.form, str(c.count), str(len(c.docs)), c.example[:40]] for c in cands]
    click.echo(format_rows(["term", "form", "count", "docs", "example"], rows, fmt))


@main.command()
@click.argument("graph", type=click.Path(path_type=Path), default=Path("output"), callback=_given_path_exists)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The default answers this machine only; 0.0.0.0 opens it to the network.",
)
@click.option("--port", default=7878, show_default=True, type=click.IntRange(1, 65535))
def serve(graph: Path, host: str, port: int) -> None:
    """Serve GRAPH (a build folder or a graph file) as a read-only SPARQL 1.1 endpoint.

    Oxigraph's server answers SELECT, ASK, CONSTRUCT and DESCRIBE over HTTP at /query (GET, or POST
    as a form or as application/sparql-query); updates are refused. The graph is loaded into a
    temporary store, removed when the server stops.

    \b
    Prefixes predeclared as in zhengji-kg query (the query's own PREFIX wins);
    an answer HTTP 400 (a query the engine refuses) lists them too:
      zj:      https://w3id.org/zhengji-kg/ontology#
      zjr:     https://w3id.org/zhengji-kg/id/
      skos:    http://www.w3.org/2004/02/skos/core#
      prov:    http://www.w3.org/ns/prov#
      dcterms: http://purl.org/dc/terms/
      rdf:     http://www.w3.org/1999/02/22-rdf-syntax-ns#
      rdfs:    http://www.w3.org/2000/01/rdf-schema#
      owl:     http://www.w3.org/2002/07/owl#
      xsd:     http://www.w3.org/2001/XMLSchema#

    Stop it with Ctrl-C, SIGTERM or SIGHUP (kill PID): the server ends, its store is removed and the
    exit status is 0, also when stopped during the load. A port in use, a graph that does not load or
    a server that stops by itself exit with status 1.

    \b
    Example:
      zhengji-kg serve output
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s zj:implements ?o } LIMIT 3' \\
           http://127.0.0.1:7878/query
    """
    from zhengji_kg.outputs.serve import ServeError
    from zhengji_kg.outputs.serve import serve as run

    path = _graph_file(graph)
    try:
        run(path, host, port, on_ready=lambda url: click.echo(f"SPARQL endpoint (read-only): {url}", err=True))
    except ServeError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
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

    rules = _rules(lexicon, weights)
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
