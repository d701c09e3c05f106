"""Gephi forms: GEXF 1.3 (written here, valid against the format's RelaxNG schema) and GraphML (through
networkx), over one networkx model of the graph, with scalar attributes only.

Known pitfalls avoided (LIBRARY-NOTES): lists are joined with ';', no attribute is None or mixed-type,
no attribute is named ``pid``, ``id`` or (on edges) ``type``; colours go into GEXF's viz namespace so
Gephi shows them. Both files give the same bytes for the same graph.
"""

from __future__ import annotations

import io
from typing import Any

from lxml import etree
from rdflib import Graph
from rdflib.namespace import DCTERMS

from zhengji_kg.base.version import __version__
from zhengji_kg.kg.netx import to_networkx

COLOUR = {"concept": (225, 87, 89), "mechanism": (78, 121, 167), "place": (89, 161, 79), "organization": (242, 142, 43)}


GEXF_NS = "http://gexf.net/1.3"
VIZ_NS = "http://gexf.net/1.3/viz"
# the columns a user sees in Gephi's data laboratory, with their GEXF types (label and weight are GEXF's own)
NODE_COLUMNS = {
    "type": "string",
    "aliases": "string",
    "count": "integer",
    "sources": "integer",
    "code": "string",
    "category": "string",
}
EDGE_COLUMNS = {"relation": "string"}


def to_gexf(g: Graph) -> bytes:
    """GEXF 1.3 as its RelaxNG schema has it (``../shared/schemas/gexf/1.3``; Gephi 0.9+ reads it).

    Written here rather than by ``networkx.write_gexf``, which writes an ``xsi:schemaLocation`` and a
    graph ``name`` the schema refuses, an internal ``networkx_key`` column on every edge, and the day of
    the export as the last-modified date. Here the date is the newest date of the graph's sources, so
    the same graph always gives the same bytes; an edge's relation is its label, its ``kind`` (Gephi's
    edge type: parallel edges of different relations stay apart) and a column."""

    nxg = to_networkx(g)
    root = etree.Element(f"{{{GEXF_NS}}}gexf", nsmap={None: GEXF_NS, "viz": VIZ_NS}, version="1.3")
    meta = etree.SubElement(root, f"{{{GEXF_NS}}}meta")
    # a source dated only by its year or month (2022, 2022-08) counts from its first day: the attribute
    # is an xsd:date
    dates = sorted((str(d)[:10] + "-01-01"[len(str(d)[:10]) - 4 :]) for d in g.objects(None, DCTERMS.date))
    if dates:
        meta.set("lastmodifieddate", dates[-1])
    etree.SubElement(meta, f"{{{GEXF_NS}}}creator").text = f"zhengji-kg {__version__}"
    etree.SubElement(
        meta, f"{{{GEXF_NS}}}description"
    ).text = "Concepts, mechanisms, places and organizations of 政绩观 policy documents, and their relations"
    graph = etree.SubElement(root, f"{{{GEXF_NS}}}graph", defaultedgetype="directed", idtype="string")
    for cls, columns in (("node", NODE_COLUMNS), ("edge", EDGE_COLUMNS)):
        attrs = etree.SubElement(graph, f"{{{GEXF_NS}}}attributes", {"class": cls})
        for name, kind in columns.items():
            etree.SubElement(attrs, f"{{{GEXF_NS}}}attribute", id=name, title=name, type=kind)
    nodes = etree.SubElement(graph, f"{{{GEXF_NS}}}nodes", count=str(nxg.number_of_nodes()))
    for node, data in nxg.nodes(data=True):
        el = etree.SubElement(nodes, f"{{{GEXF_NS}}}node", id=node, label=data["label"])
        _attvalues(el, data, NODE_COLUMNS)
        r, gr, b = COLOUR[data["type"]]
        etree.SubElement(el, f"{{{VIZ_NS}}}color", r=str(r), g=str(gr), b=str(b))
        etree.SubElement(el, f"{{{VIZ_NS}}}size", value=f"{5.0 + min(data['count'], 50):.1f}")
    edges = etree.SubElement(graph, f"{{{GEXF_NS}}}edges", count=str(nxg.number_of_edges()))
    for i, (s, o, data) in enumerate(nxg.edges(data=True)):
        el = etree.SubElement(
            edges,
            f"{{{GEXF_NS}}}edge",
            id=str(i),
            source=s,
            target=o,
            label=data["relation"],
            kind=data["relation"],
            weight=repr(data["weight"]),
        )
        _attvalues(el, data, EDGE_COLUMNS)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _attvalues(el: Any, data: dict, columns: dict[str, str]) -> None:

    values = etree.SubElement(el, f"{{{GEXF_NS}}}attvalues")
    for name in columns:
        etree.SubElement(values, f"{{{GEXF_NS}}}attvalue", {"for": name, "value": str(data[name])})


def to_graphml(g: Graph) -> str:
    """GraphML through networkx, every edge with an id of its own (``e0``, ``e1`` …): networkx would use
    the multigraph key, the relation, which many edges share — and a GraphML id names one element."""
    import networkx as nx

    nxg = to_networkx(g)
    out = nx.MultiDiGraph()
    out.add_nodes_from(nxg.nodes(data=True))
    for i, (s, o, data) in enumerate(nxg.edges(data=True)):
        out.add_edge(s, o, key=f"e{i}", **data)
    buf = io.BytesIO()
    nx.write_graphml(out, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue().decode("utf-8")


__all__ = ["to_gexf", "to_graphml", "to_networkx"]
