"""SPARQL over a built graph, with the contract's prefixes predeclared, as table, CSV, TSV or JSON."""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import Graph

from zhengji_kg.base.resources import package_dir
from zhengji_kg.outputs.store import load_memory_store, open_store

PREFIXES = """PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
PREFIX zjr: <https://w3id.org/zhengji-kg/id/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


class QueryError(ValueError):
    """A malformed query, with the line and column where the parser stopped."""


ENGINES = ("oxigraph", "rdflib")


def run_query_file(path: Path, text: str, engine: str = "oxigraph") -> tuple[list[str], list[list[str]]]:
    """Run a SELECT/ASK query over a graph file with the chosen engine; the answers are the same. Oxigraph
    opens the build's store when it is that of this very file (``build --store``), else loads the file."""
    if engine == "oxigraph":
        return run_query_oxigraph(open_store(path), text)
    return run_query(Graph().parse(path), text)


load_store = load_memory_store  # an in-memory store of any graph file (the name notebooks used)


def run_query_oxigraph(store, text: str) -> tuple[list[str], list[list[str]]]:
    import pyoxigraph as ox

    n_prefix_lines = PREFIXES.count("\n")
    try:
        result = store.query(PREFIXES + text)
    except SyntaxError as exc:
        msg = str(exc)
        m = re.match(r"error at (\d+):(\d+): (.*)", msg, re.S)
        if m:
            detail = m.group(3).split("\n")[0][:100]
            raise QueryError(
                f"SPARQL syntax error at line {int(m.group(1)) - n_prefix_lines}, column {m.group(2)}: {detail}"
            ) from exc
        raise QueryError(f"SPARQL syntax error: {msg[:200]}") from exc
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        return ["ask"], [["true" if bool(result) else "false"]]
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("only SELECT and ASK queries print as tables; use CONSTRUCT through the Python API")
    cols = [v.value for v in result.variables]
    # a solution iterates over its values in the order of the variables: looking each cell up by name
    # took a third of the time of a 5,000-row answer on the benchmark graph
    rows = [["" if term is None else term.value for term in sol] for sol in result]
    return cols, rows


def run_query(graph: Graph, text: str) -> tuple[list[str], list[list[str]]]:
    """Run a SELECT/ASK query with rdflib; return (column names, rows of strings)."""
    from pyparsing import ParseException

    n_prefix_lines = PREFIXES.count("\n")
    try:
        result = graph.query(PREFIXES + text)
    except ParseException as exc:
        line = exc.lineno - n_prefix_lines
        raise QueryError(f"SPARQL syntax error at line {line}, column {exc.col}: {exc.msg}") from exc
    if result.type == "ASK":
        return ["ask"], [["true" if result.askAnswer else "false"]]
    if result.type != "SELECT":
        raise QueryError("only SELECT and ASK queries print as tables; use CONSTRUCT through the Python API")
    cols = [str(v) for v in result.vars]
    rows = [["" if v is None else str(v) for v in row] for row in result]
    return cols, rows


def format_rows(cols: list[str], rows: list[list[str]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(cols, r, strict=True)) for r in rows], ensure_ascii=False, indent=2)
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    short = [[_short(c) for c in r] for r in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in short]) for i, c in enumerate(cols)]
    line = lambda cells: " | ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    out = [line(cols), "-+-".join("-" * w for w in widths)] + [line(r) for r in short]
    return "\n".join(out)


def _short(value: str) -> str:
    for prefix, ns in (("zjr:", "https://w3id.org/zhengji-kg/id/"), ("zj:", "https://w3id.org/zhengji-kg/ontology#")):
        if value.startswith(ns):
            return prefix + value[len(ns) :]
    return value


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


@dataclass(frozen=True)
class CannedQuery:
    """One of the questions shipped with the package (``queries/NAME.rq``): its name, the one-line purpose
    its first comment line states, and its text."""

    name: str
    purpose: str
    text: str


# a name as the command line takes it: no spaces, braces or question marks, which every query has
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _query_files() -> dict[str, Traversable]:
    """The canned queries' files by name, none of them read yet."""
    return {
        item.name.removesuffix(".rq"): item
        for item in sorted(package_dir("queries").iterdir(), key=lambda t: t.name)
        if item.name.endswith(".rq") and item.is_file()
    }


def _read_canned(name: str, item: Traversable) -> CannedQuery:
    text = item.read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    return CannedQuery(name, first.lstrip("#").strip() if first.startswith("#") else "", text)


def canned_queries() -> list[CannedQuery]:
    """The canned queries, by name. They are package data, so an installed wheel has them too."""
    return [_read_canned(name, item) for name, item in _query_files().items()]


def canned_query(name: str) -> CannedQuery:
    """The canned query called NAME (``where-practiced`` or ``where-practiced.rq``)."""
    name = name.removesuffix(".rq")
    files = _query_files()
    if name in files:
        return _read_canned(name, files[name])
    close = difflib.get_close_matches(name, files, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise QueryError(f"no canned query named {name!r}; {hint}zhengji-kg query --list names them all")


def load_query(arg: str) -> str:
    """The text of a query given as a canned query's name, a ``.rq``/``.sparql`` file, or SPARQL itself.

    A path that does not exist is an error rather than a quiet switch to the canned query of that name:
    the analyst may have edited that file, and running the shipped one would answer another question.
    Only a bare ``NAME.rq`` (no folder) that is not a file here is taken as the canned query's name."""
    if arg.endswith((".rq", ".sparql")) and not any(c.isspace() for c in arg):
        p = Path(arg)
        if p.is_file():
            return p.read_text(encoding="utf-8")
        if p.parent != Path(".") or p.suffix != ".rq":
            stem = p.name.removesuffix(".rq")
            shipped = " the canned query of that name runs without a checkout: zhengji-kg query " + stem
            raise QueryError(f"no such query file: {arg}" + (";" + shipped if stem in _query_files() else ""))
    if _NAME.fullmatch(arg):
        return canned_query(arg).text
    return arg
