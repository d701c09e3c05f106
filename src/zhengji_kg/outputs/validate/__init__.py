"""Validate a data graph against the SHACL shapes of ``ontology/shapes.ttl``.

Two engines give the same answer:

- ``oxigraph`` (the default): every constraint of the shapes graph is translated into one SPARQL query
  that selects the focus nodes violating it (and the offending values), run over the graph loaded into
  an in-memory Oxigraph store. Each query is a scan of one property (or class) with a filter, so the
  time grows with the graph and not with focus nodes × constraints; a graph of millions of triples is
  checked in about the time it takes to load it. The translation is generic — it reads the shapes, it
  does not know them — but covers only the SHACL constructs ``shapes.ttl`` uses (``SUPPORTED``): a
  shape using another one raises ``ShapesError`` naming it, so that no constraint is silently skipped.
- ``pyshacl``: the reference implementation, over an rdflib Graph (minutes on a large graph).

As pySHACL does with ``ont_graph``, the ontology (``zhengji.ttl``) is added to the data, so that the
instances of a subclass (``zj:Region`` of ``zj:Place``) count for ``sh:class`` and ``sh:targetClass``.

::

    from zhengji_kg.outputs.validate import validate_file

    report = validate_file("output", progress=True)   # a build folder or a graph file
    report.conforms, len(report.violations)           # (False, 3)
    report.violations[0]                              # Violation(focus=…, path=…, component=…, value=…, …)
    print(report)                                     # what ``zhengji-kg validate`` prints

The modules, each one step, each importing only those above it in this list: ``terms`` (namespaces,
terms written short), ``report`` (``Violation``, ``ValidationReport`` and its text), ``shapes``
(``read_shapes``: shapes.ttl into ``Check``s), ``sparql`` (``plan``: a check as queries),
``oxigraph_engine`` and ``pyshacl_engine`` (running them); this one is the public API.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from zhengji_kg.outputs.validate.oxigraph_engine import GraphError, _add_ontology, _load, _oxigraph_report
from zhengji_kg.outputs.validate.pyshacl_engine import _pyshacl_report
from zhengji_kg.outputs.validate.report import SHOWN, ValidationReport, Violation
from zhengji_kg.outputs.validate.shapes import SUPPORTED, Check, ShapesError, read_shapes
from zhengji_kg.outputs.validate.sparql import Plan, plan
from zhengji_kg.outputs.validate.terms import PREFIXES, RDF, RDFS, SH, XSD, short

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "ENGINES",
    "PREFIXES",
    "RDF",
    "RDFS",
    "SH",
    "SHOWN",
    "SUPPORTED",
    "XSD",
    "Check",
    "GraphError",
    "Plan",
    "ShapesError",
    "ValidationReport",
    "Violation",
    "plan",
    "read_shapes",
    "short",
    "validate",
    "validate_file",
    "validate_graph",
]

ENGINES = ("oxigraph", "pyshacl")


def validate_file(
    path: Path | str,
    *,
    engine: str = "oxigraph",
    progress: bool | None = False,
    shapes: Path | str | None = None,
) -> ValidationReport:
    """Validate a graph file (or a build folder: its ``graph.ttl``) against the shapes.

    ``progress``: tqdm bars on stderr for the loading and the constraints — True always, None only when
    stderr is a terminal (as the command line does), False never. ``engine="pyshacl"`` runs the
    reference implementation instead (slow beyond some 10,000 triples).
    """
    file = Path(path)
    if file.is_dir():
        file = file / "graph.ttl"
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    if engine == "pyshacl":
        from rdflib import Graph

        try:
            data = Graph().parse(file)
        except Exception as exc:  # rdflib raises many parser types
            raise GraphError(f"{file}: not a readable RDF file: {exc}") from exc
        loaded = time.perf_counter()
        report = _pyshacl_report(data, shapes)
    else:
        checks = read_shapes(shapes)  # first: a shape it cannot translate fails before the long load
        store, triples = _load(file, progress)
        loaded = time.perf_counter()
        report = _oxigraph_report(store, checks, progress, triples)
        del store  # (freeing six million triples takes seconds: counted in the time, as a user waits for it)
    report.seconds = time.perf_counter() - t0
    report.loading = loaded - t0
    report.source = str(file)
    return report


def validate_graph(data: Graph, *, engine: str = "oxigraph", shapes: Path | str | None = None) -> ValidationReport:
    """Validate an rdflib Graph (for a graph already in memory: ``kg.rdf()``)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; one of {', '.join(ENGINES)}")
    t0 = time.perf_counter()
    loaded = t0
    if engine == "pyshacl":
        report = _pyshacl_report(data, shapes)
    else:
        import pyoxigraph as ox

        checks = read_shapes(shapes)
        store = ox.Store()
        store.load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        triples = len(store)
        _add_ontology(store)
        loaded = time.perf_counter()
        report = _oxigraph_report(store, checks, False, triples)
    report.seconds = time.perf_counter() - t0
    report.loading = loaded - t0
    return report


def validate(data: Graph, engine: str = "oxigraph") -> tuple[bool, str]:
    """Return (conforms, report text) for an rdflib Graph."""
    report = validate_graph(data, engine=engine)
    return report.conforms, report.text()
