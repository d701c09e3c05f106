"""``zhengji-kg build``: a corpus into a build folder — graph.ttl and graph.html, put in place together."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from zhengji_kg.cli.app import (
    ENDING,
    EXIT_SKIPPED,
    WEIGHTS_OPTION,
    output_lock,
    rule_set,
    stopped,
)
from zhengji_kg.outputs.store import (
    STORE_NAME,
    StoreError,
    discard_store,
    oxigraph_binary,
    place_store,
    put_back,
    set_aside,
    sweep_leftovers,
    write_store,
)
from zhengji_kg.pipeline.corpus import EXECUTORS


@click.command()
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
    "--store",
    "keep_store",
    is_flag=True,
    help="Also write OUT/graph.oxigraph/, the graph loaded into an on-disk Oxigraph store, which query, "
    "diffusion and serve then open at once instead of loading graph.ttl (24 s at 10,000 documents); writing "
    "it adds to every build (about 40 s at 10,000 documents). Without it a build removes the store of the "
    "previous graph.",
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
        with stop_signals_interrupt(), output_lock(out, wait, "build"), gc_paused():
            _build(**options)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (children.Stopped)
        click.echo(f"{stopped(exc)}: nothing written, {out} is as it was", err=True)
        sys.exit(exit_status(exc))


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
    keep_store: bool = False,
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
    rules = rule_set(lexicon, weights)
    if keep_store:
        try:  # said now, not after the whole build
            oxigraph_binary()
        except StoreError as exc:
            raise click.ClickException(f"--store: {exc}") from exc
    sweep_leftovers(out)  # of a build killed while it wrote or replaced a store (this one holds the lock)
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
    report.stages["html"] = time.perf_counter() - t
    new_store = _write_store(ttl, quiet, report.stages) if keep_store else None
    # from here the page and the graph go into place together and the build says so: a stop signal that
    # comes meanwhile (a fraction of a second: only renames happen here) waits for it, and the command
    # ends as soon as it is done
    with hold_stops() as held:
        t = time.perf_counter()
        aside: Path | None = None
        try:
            # the store first: until graph.ttl follows, its stamp names no graph there; without --store
            # the previous graph's store is set aside, to be removed once the new graph is in place
            aside = place_store(new_store, out) if new_store is not None else set_aside(out)
            write_atomic(out / "graph.html", html)
            ttl.commit()
        except BaseException as exc:
            ttl.discard()
            put_back(out, aside)  # the previous store, where the previous graph is
            discard_store(new_store)
            if isinstance(exc, OSError):
                raise click.ClickException(f"{exc}; nothing written") from exc
            raise
        report.stages["html"] += time.perf_counter() - t
        if new_store is None and aside is not None:
            click.echo(
                f"removed the store of the previous graph ({out / STORE_NAME}); build with --store to keep one",
                err=True,
            )
        _summary(kg, out, cache, time.perf_counter() - t0, new_store is not None)
        if held:
            name = signal.Signals(held[0]).name
            click.echo(f"{name} came while the outputs were put in place: {out} is complete", err=True)
    # the previous store, out of place already, is deleted after the window of held stops (a large one
    # takes seconds); a stop meanwhile leaves the rest of it to the next build (``sweep_leftovers``)
    try:
        discard_store(aside)
    except KeyboardInterrupt as exc:
        click.echo(f"{stopped(exc)} while the previous store was removed: {out} is complete", err=True)
    ENDING.built = True
    if ENDING.fast_exit:
        import gc

        ENDING.keep.append(kg)
        gc.freeze()  # and no collection walks it when the collector is turned back on on the way out
    if report.skipped:
        sys.exit(EXIT_SKIPPED)


def _write_store(ttl: Any, quiet: bool, stages: dict[str, float]) -> Path:
    """--store: the finished graph file loaded into a new on-disk store beside it (``outputs.store``), not
    yet in place; a failure, or a stop, writes nothing."""
    t = time.perf_counter()
    if not quiet:
        click.echo("loading the graph into the store (--store) …", err=True)
    try:
        new_store = write_store(ttl.tmp)
    except BaseException as exc:
        ttl.discard()
        if isinstance(exc, (OSError, StoreError)):
            raise click.ClickException(f"the store: {exc}; nothing written") from exc
        raise
    stages["store"] = time.perf_counter() - t
    return new_store


def _summary(kg: Any, out: Path, cache: bool, seconds: float, stored: bool = False) -> None:
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
    if stored:
        click.echo(f"store:     {out / STORE_NAME} (query, diffusion and serve open it instead of loading the graph)")


def _cores() -> int:
    """The cores this process may run on (respects CPU affinity and container limits where exposed)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
