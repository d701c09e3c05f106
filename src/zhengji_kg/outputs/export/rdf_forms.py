"""RDF serialisations of a built graph: Turtle, UTF-8 N-Triples, TriG per source, JSON-LD with a context."""

from __future__ import annotations

import json

from rdflib import RDF, Dataset, Graph
from rdflib.namespace import PROV

from zhengji_kg.kg.rdf import ZJ, ZJR, bind, sorted_ntriples

CONTEXT = {
    "zj": str(ZJ),
    "zjr": str(ZJR),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
    "label": {"@id": "rdfs:label", "@container": "@language"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "mentionedIn": {"@id": "zj:mentionedIn", "@type": "@id"},
    "implements": {"@id": "zj:implements", "@type": "@id"},
    "practicedIn": {"@id": "zj:practicedIn", "@type": "@id"},
    "establishedBy": {"@id": "zj:establishedBy", "@type": "@id"},
    "contrastsWith": {"@id": "zj:contrastsWith", "@type": "@id"},
    "partOf": {"@id": "zj:partOf", "@type": "@id"},
    "relatedTo": {"@id": "zj:relatedTo", "@type": "@id"},
    "basedIn": {"@id": "zj:basedIn", "@type": "@id"},
    "issuedBy": {"@id": "zj:issuedBy", "@type": "@id"},
    "subject": {"@id": "rdf:subject", "@type": "@id"},
    "predicate": {"@id": "rdf:predicate", "@type": "@id"},
    "object": {"@id": "rdf:object", "@type": "@id"},
    "derivedFrom": {"@id": "prov:wasDerivedFrom", "@type": "@id"},
    "sentence": {"@id": "zj:sentence", "@container": "@language"},
    "charStart": {"@id": "zj:charStart", "@type": "xsd:integer"},
    "charEnd": {"@id": "zj:charEnd", "@type": "xsd:integer"},
    "rule": "zj:rule",
    "modality": "zj:modality",
    "weight": {"@id": "zj:weight", "@type": "xsd:integer"},
    "identifier": "dcterms:identifier",
    "title": {"@id": "dcterms:title", "@container": "@language"},
    "date": {"@id": "dcterms:date", "@type": "xsd:date"},  # a year or a month keeps its own type, in full
    "eventDate": "zj:eventDate",
    "dateBasis": "zj:dateBasis",
}


def to_ttl(g: Graph) -> str:
    return bind(g).serialize(format="turtle")


def to_nt(g: Graph) -> str:
    return sorted_ntriples(g)


def to_trig(g: Graph) -> str:
    """One named graph per source: each evidence node, and the triple it supports, in its source's graph;
    entities, labels and sources in the default graph. ``GRAPH ?g { ?m zj:practicedIn ?p }`` gives provenance."""
    ds = Dataset()
    bind(ds)
    in_named: set[tuple] = set()
    supported: set[tuple] = set()
    for ev in sorted(g.subjects(RDF.type, ZJ.Evidence)):
        named = ds.graph(g.value(ev, PROV.wasDerivedFrom))
        for t in g.triples((ev, None, None)):
            named.add(t)
            in_named.add(t)
        triple = (g.value(ev, RDF.subject), g.value(ev, RDF.predicate), g.value(ev, RDF.object))
        if triple in g:
            named.add(triple)
            if triple[1] != ZJ.mentionedIn:  # mentionedIn also stays with the entity's description
                supported.add(triple)
    default = getattr(ds, "default_graph", None) or ds.default_context
    for t in g:
        if t not in in_named and t not in supported:
            default.add(t)
    return ds.serialize(format="trig")


def to_jsonld(g: Graph) -> str:
    data = json.loads(g.serialize(format="json-ld", context=CONTEXT, auto_compact=True))
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
