"""Export: one entry point, ``export(graph, fmt, path)``, over the formats users load elsewhere.

RDF forms (ttl, nt, trig, jsonld) go through rdflib; Gephi forms (gexf, graphml) through networkx. All
read a built graph (``graph.ttl``), so an export never needs the corpus again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from zhengji_kg.base.output import write_atomic

if TYPE_CHECKING:
    from rdflib import Graph

# each format's writer (module, function) and default file name; the writers (rdflib, networkx) are
# imported when used: every build calls ``remove_stale_exports``, which needs the names alone
FORMATS = {
    "ttl": ("rdf_forms", "to_ttl", "graph.ttl"),
    "nt": ("rdf_forms", "to_nt", "graph.nt"),
    "trig": ("rdf_forms", "to_trig", "graph.trig"),
    "jsonld": ("rdf_forms", "to_jsonld", "graph.jsonld"),
    "gexf": ("gephi", "to_gexf", "graph.gexf"),
    "graphml": ("gephi", "to_graphml", "graph.graphml"),
}


def _writer(fmt: str) -> Callable[[Graph], str | bytes]:
    import importlib

    module, name, _default = FORMATS[fmt]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def export(graph: Graph, fmt: str, path: Path) -> Path:
    """Write ``graph`` as ``fmt`` to ``path`` (a file, or a folder that gets the default file name;
    for ``neo4j`` a folder of CSV files, a Cypher script and a README)."""
    if fmt == "neo4j":
        from zhengji_kg.outputs.export.neo4j import write_neo4j

        folder = Path(path)
        write_neo4j(graph, folder)
        return folder
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    fn, default_name = _writer(fmt), FORMATS[fmt][2]
    as_dir = Path(path).is_dir() or str(path).endswith(("/", "\\")) or not Path(path).suffix
    path = Path(path) / default_name if as_dir else Path(path)
    return write_atomic(path, fn(graph))


def remove_stale_exports(folder: Path) -> list[str]:
    """After a rebuild into ``folder``, remove the exports ``export`` wrote there from the previous graph
    (their default names only), so that no file in the folder describes another corpus."""
    import shutil

    folder = Path(folder)
    removed = []
    for _module, _fn, name in FORMATS.values():
        if name != "graph.ttl" and (folder / name).is_file():
            (folder / name).unlink()
            removed.append(name)
    neo = folder / "neo4j"
    if (neo / "load.cypher").is_file():
        shutil.rmtree(neo)
        removed.append("neo4j/")
    return removed
