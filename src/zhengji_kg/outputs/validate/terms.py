"""The namespaces the shapes and the data use, and how an RDF term is written for a reader.

``short`` turns an IRI (or a literal's datatype) into a prefixed name, ``_clip`` cuts a long text,
``_literal_text`` reads a literal's lexical form: the shapes (a constraint as ``shapes.ttl`` states it),
the queries, the engines (their messages) and the report all write terms the same way. The bottom of
the package: it imports none of its other modules.
"""

from __future__ import annotations

import re

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = {
    "zjr": "https://w3id.org/zhengji-kg/id/",
    "zj": "https://w3id.org/zhengji-kg/ontology#",
    "zjs": "https://w3id.org/zhengji-kg/shapes#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdfs": RDFS,
    "rdf": RDF,
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
    "sh": SH,
}


def short(term: str) -> str:
    """``<https://w3id.org/zhengji-kg/ontology#Place>`` → ``zj:Place``; literals keep their datatype short."""
    if not term:
        return term
    if term.startswith("<") and term.endswith(">"):
        term = term[1:-1]
    elif term.startswith('"'):
        m = re.match(r'^(".*")\^\^<([^>]*)>$', term, re.S)
        return f"{m.group(1)}^^{short(m.group(2))}" if m else term
    for prefix, ns in PREFIXES.items():
        if term.startswith(ns):
            return f"{prefix}:{term[len(ns) :]}"
    return term


def _literal_text(nt: str) -> str:
    """The lexical form of a literal in N-Triples form."""
    import pyoxigraph as ox

    for t in ox.parse(f"<x:s> <x:p> {nt} .", format=ox.RdfFormat.N_TRIPLES):
        return t.object.value
    return nt  # pragma: no cover


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
