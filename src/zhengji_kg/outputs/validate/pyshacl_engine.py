"""The reference engine: pySHACL over an rdflib Graph, its results read into the same report.

Slow (minutes on a large graph), but it is SHACL as specified: the tests hold the oxigraph engine to
its answer. Its constraints are stated as ``shapes`` states them, so that both reports read alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengji_kg.base.resources import ontology_path
from zhengji_kg.outputs.validate.report import ValidationReport, Violation
from zhengji_kg.outputs.validate.shapes import _COMPONENT, _stated
from zhengji_kg.outputs.validate.terms import short

if TYPE_CHECKING:
    from rdflib import Graph


def _pyshacl_report(data: Graph, shapes: Path | str | None) -> ValidationReport:
    """The reference: pySHACL, its results read into the same report."""
    from pyshacl import validate as shacl_validate
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF as R
    from rdflib.namespace import SH as S
    from rdflib.namespace import XSD as X

    shapes_graph = Graph().parse(shapes if shapes is not None else ontology_path("shapes.ttl"))
    ont = Graph().parse(ontology_path("zhengji.ttl"))
    conforms, results, _text = shacl_validate(
        data, shacl_graph=shapes_graph, ont_graph=ont, inference="none", advanced=True, allow_warnings=True
    )

    def nt(term: Any) -> str:
        if term is None:
            return ""
        if isinstance(term, Literal) and term.datatype == X.string:
            term = Literal(str(term))
        return term.n3()

    parent = {ps: ns for ns, ps in shapes_graph.subject_objects(S.property)}
    parameter = {f"sh:{c}ConstraintComponent": p for p, c in _COMPONENT.items()}
    violations = set()
    for r in results.subjects(R.type, S.ValidationResult):
        component = short(str(results.value(r, S.sourceConstraintComponent)))
        source = results.value(r, S.sourceShape)
        node_shape = parent.get(source, source)
        name = parameter.get(component, "")
        stated = shapes_graph.value(source, S[name]) if name and name != "sparql" else None
        if name == "sparql":
            constraint = "sh:sparql"
        elif stated is None:
            constraint = component
        elif (stated, R.first, None) in shapes_graph:
            constraint = _stated(name, tuple(nt(i) for i in shapes_graph.items(stated)))
        else:
            constraint = _stated(name, str(stated))
        path = results.value(r, S.resultPath)
        violations.add(
            Violation(
                focus=nt(results.value(r, S.focusNode)),
                path=path.n3() if isinstance(path, URIRef) else "",
                component=component,
                value=nt(results.value(r, S.value)),
                constraint=constraint,
                message=str(results.value(r, S.resultMessage) or ""),
                shape=short(str(node_shape)),
            )
        )
    found = sorted(violations)
    return ValidationReport(bool(conforms) and not found, found, "pyshacl", triples=len(data))
