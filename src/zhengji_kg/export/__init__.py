"""Export: one entry point, ``export(graph, fmt, path)``, over the formats users load elsewhere.

RDF forms (ttl, nt, trig, jsonld) go through rdflib; Gephi forms (gexf, graphml) through networkx. All
read a built graph (``graph.ttl``), so an export never needs the corpus again.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from ..output import write_atomic
from .gephi import to_gexf, to_graphml
from .rdf_forms import to_jsonld, to_nt, to_trig, to_ttl

FORMATS = {
    "ttl": (to_ttl, "graph.ttl"),
    "nt": (to_nt, "graph.nt"),
    "trig": (to_trig, "graph.trig"),
    "jsonld": (to_jsonld, "graph.jsonld"),
    "gexf": (to_gexf, "graph.gexf"),
    "graphml": (to_graphml, "graph.graphml"),
}


def export(graph: Graph, fmt: str, path: Path) -> Path:
    """Write ``graph`` as ``fmt`` to ``path`` (a file, or a folder that gets the default file name;
    for ``neo4j`` a folder of CSV files, a Cypher script and a README)."""
    if fmt == "neo4j":
        from .neo4j import write_neo4j

        folder = Path(path)
        write_neo4j(graph, folder)
        return folder
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    fn, default_name = FORMATS[fmt]
    as_dir = Path(path).is_dir() or str(path).endswith(("/", "\\")) or not Path(path).suffix
    path = Path(path) / default_name if as_dir else Path(path)
    return write_atomic(path, fn(graph))


def remove_stale_exports(folder: Path) -> list[str]:
    """After a rebuild into ``folder``, remove the exports ``export`` wrote there from the previous graph
    (their default names only), so that no file in the folder describes another corpus."""
    import shutil

    folder = Path(folder)
    removed = []
    for _fn, name in FORMATS.values():
        if name != "graph.ttl" and (folder / name).is_file():
            (folder / name).unlink()
            removed.append(name)
    neo = folder / "neo4j"
    if (neo / "load.cypher").is_file():
        shutil.rmtree(neo)
        removed.append("neo4j/")
    return removed
