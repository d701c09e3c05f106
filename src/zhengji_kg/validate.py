"""Validate a data graph against ``ontology/shapes.ttl`` with pySHACL."""

from __future__ import annotations

from rdflib import Graph

from .resources import ontology_path


def validate(data: Graph) -> tuple[bool, str]:
    """Return (conforms, report text)."""
    from pyshacl import validate as shacl_validate

    shapes = Graph().parse(ontology_path("shapes.ttl"))
    ont = Graph().parse(ontology_path("zhengji.ttl"))
    conforms, _graph, text = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ont, inference="none", advanced=True, allow_warnings=True
    )
    return bool(conforms), str(text)
