"""The graph as networkx sees it: entities as nodes (label, type, aliases, count, code), relations as typed
edges weighted by their evidence — a view of the graph model, which ``KnowledgeGraph.networkx`` gives and
the Gephi exports (GEXF, GraphML) write."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rdflib import RDF, Graph
from rdflib.namespace import SKOS

from zhengji_kg.kg.rdf import ZJ

if TYPE_CHECKING:  # networkx is imported where it is used: a build (which only tidies exports) never needs it
    import networkx as nx

CORE = {ZJ.Concept: "concept", ZJ.Mechanism: "mechanism", ZJ.Place: "place", ZJ.Organization: "organization"}
EDGES = {
    ZJ.implements: "implements",
    ZJ.practicedIn: "practicedIn",
    ZJ.establishedBy: "establishedBy",
    ZJ.contrastsWith: "contrastsWith",
    ZJ.partOf: "partOf",
    SKOS.broader: "broader",
    ZJ.relatedTo: "relatedTo",
    ZJ.basedIn: "basedIn",
}


def to_networkx(g: Graph) -> nx.MultiDiGraph:
    """Entities as nodes (label, type, aliases, count, code), relations as typed edges weighted by evidence."""
    import networkx as nx

    out = nx.MultiDiGraph()
    for cls, etype in CORE.items():
        for e in sorted(g.subjects(RDF.type, cls)):
            aliases = sorted(str(a) for a in g.objects(e, SKOS.altLabel))
            count = g.value(e, ZJ.mentionCount)
            out.add_node(
                str(e),
                label=str(g.value(e, SKOS.prefLabel) or ""),
                type=etype,
                aliases=";".join(aliases),
                count=int(count) if count is not None else 0,
                sources=len(set(g.objects(e, ZJ.mentionedIn))),
                code=str(g.value(e, ZJ.adminCode) or ""),
                category=str(g.value(e, ZJ.category) or ""),
            )
    weights: Counter[tuple[str, str, str]] = Counter()
    for ev in g.subjects(RDF.type, ZJ.Evidence):
        p = g.value(ev, RDF.predicate)
        if p in EDGES:
            weights[(str(g.value(ev, RDF.subject)), EDGES[p], str(g.value(ev, RDF.object)))] += 1
    for (s, rel, o), w in sorted(weights.items()):
        if s in out and o in out:
            # not "type": GEXF reserves it for directed/undirected
            out.add_edge(s, o, key=rel, relation=rel, label=rel, weight=float(w))
    return out
