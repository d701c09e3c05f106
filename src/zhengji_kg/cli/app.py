"""What every command shares: the group, the process around it, common options and messages."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from zhengji_kg.base.version import __version__

EXIT_SKIPPED = 3  # some files were skipped (reported by name); the rest were built
EXIT_INTERRUPTED = 130  # Ctrl-C: as shells report SIGINT (143 for SIGTERM, 129 for SIGHUP); nothing was written


@dataclass
class _Ending:
    """How the process ends (``run``): what a build tells it."""

    built: bool = False  # a build wrote its outputs, closed its files and said so: nothing is left to tear down
    fast_exit: bool = False  # set by ``run``: the process ends right after the command
    keep: list[Any] = field(default_factory=list)  # what such a build ends holding, freed at the process's end


ENDING = _Ending()


def given_path_exists(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """A graph path typed on the command line must exist (a usage error otherwise); the default output/
    is checked only when a command reads it (graph_file says to build first), so that a command that
    needs no graph (query --list) runs in any folder."""
    source = ctx.get_parameter_source(param.name or "")
    if source is not click.core.ParameterSource.DEFAULT and not value.exists():
        raise click.BadParameter(f"Path '{value}' does not exist.", ctx, param)
    return value


GRAPH_OPTION = click.option(
    "--graph",
    "graph_path",
    type=click.Path(path_type=Path),
    callback=given_path_exists,
    default=Path("output"),
    show_default=True,
    help="A build folder or a graph file.",
)


WEIGHTS_OPTION = click.option(
    "--weights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Weights of the scored decision, as `zhengji-kg train` writes them  [default: the built-in "
    "ontology/weights.yaml, fitted on the shared gold].",
)


GOLD_OPTION = click.option(
    "--gold",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of gold YAML files, one per document, named by its file stem (see shared/gold/GUIDELINES.md); "
    "its subfolders are read too.",
)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def graph_file(path: Path) -> Path:
    """A build folder means its graph.ttl."""
    file = path / "graph.ttl" if path.is_dir() or not path.suffix else path
    if not file.is_file():
        raise click.ClickException(f"{file} not found; run zhengji-kg build first")
    return file


def rule_set(lexicon: tuple[str, ...], weights: Path | None = None):
    from zhengji_kg.base.rules import RuleError, load_rules

    try:
        return load_rules(extra_lexicons=[Path(p) for p in lexicon], weights_file=weights)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from exc


def load_graph(path: Path):
    from rdflib import Graph

    p = graph_file(path)
    try:
        return Graph().parse(p)
    except Exception as exc:  # rdflib raises many parser types
        raise click.ClickException(f"{p}: not a readable RDF file: {exc}") from exc


def stopped(exc: KeyboardInterrupt) -> str:
    from zhengji_kg.base.children import Stopped

    return f"stopped by {exc.args[0]}" if isinstance(exc, Stopped) else "interrupted"


@contextmanager
def output_lock(folder: Path, wait: bool, verb: str) -> Iterator[None]:
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


def run() -> None:
    """The ``zhengji-kg`` process: ``main``, and after a build, leave without the interpreter's teardown.

    A large build ends holding millions of small objects (the merged model, caches of the extractors);
    freeing them one by one and the collection at shutdown took 0.4–0.8 s after the last line was
    printed, a tenth of an incremental rebuild of 10,000 documents (the model is kept in ``ENDING.keep``, or
    leaving ``_build`` would free it). Everything the build writes is renamed into place, its cache
    closed and its workers joined before ``ENDING.built`` is set; the standard streams are flushed here. Any
    other command, or a build that failed, exits the ordinary way.

    A reader that stops early (``zhengji-kg build | head -1``, a pager quit) changes nothing: what
    cannot be printed any more is dropped (``_PipeSafe``), the command does all its work, and the exit
    status is its own — 0, or 3 when files were skipped — never a failure made up by the closed pipe.
    """
    import os

    ENDING.fast_exit = True
    if sys.stdout is not None:  # None when the command was started with the stream closed (>&-)
        sys.stdout = _PipeSafe(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = _PipeSafe(sys.stderr)
    try:
        main()
    except SystemExit as exc:
        if not ENDING.built:
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
