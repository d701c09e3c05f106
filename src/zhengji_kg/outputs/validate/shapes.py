"""Reading the shapes graph (``ontology/shapes.ttl``) into ``Check``s: one constraint of one shape each.

``read_shapes`` knows only the SHACL constructs the oxigraph engine translates (``SUPPORTED``); a shape
using another one raises ``ShapesError`` naming it, so that no constraint is silently skipped. What a
check means as SPARQL is ``sparql``'s; this module reads, it does not query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengji_kg.base.resources import ontology_path
from zhengji_kg.outputs.validate.terms import RDF, RDFS, SH, _clip, _literal_text, short

# What the translator knows: the predicates a node shape, a property shape and a SHACL-SPARQL
# constraint may carry. Anything else in the sh: namespace on a shape raises ShapesError.
_TARGETS = {"targetClass", "targetSubjectsOf"}
_VALUE_PARAMETERS = {"datatype", "class", "nodeKind", "in", "languageIn", "minInclusive", "pattern"}
_CARDINALITY = {"minCount", "maxCount"}
SUPPORTED = frozenset(
    {f"sh:{p}" for p in _TARGETS | _VALUE_PARAMETERS | _CARDINALITY}
    | {"sh:NodeShape", "sh:PropertyShape", "sh:property", "sh:path", "sh:message", "sh:sparql", "sh:select"}
)
_ANNOTATIONS = {SH + "name", SH + "description", RDFS + "label", RDFS + "comment"}  # read by people only
_COMPONENT = {
    "minCount": "MinCount",
    "maxCount": "MaxCount",
    "datatype": "Datatype",
    "class": "Class",
    "nodeKind": "NodeKind",
    "in": "In",
    "languageIn": "LanguageIn",
    "minInclusive": "MinInclusive",
    "pattern": "Pattern",
    "sparql": "SPARQL",
}
_NODE_KIND = {  # sh:nodeKind → a SPARQL test that fails for ?value
    "IRI": "!isIRI(?value)",
    "BlankNode": "!isBlank(?value)",
    "Literal": "!isLiteral(?value)",
    "BlankNodeOrIRI": "isLiteral(?value)",
    "BlankNodeOrLiteral": "isIRI(?value)",
    "IRIOrLiteral": "isBlank(?value)",
}


class ShapesError(ValueError):
    """The shapes graph uses a SHACL construct that the oxigraph engine does not translate."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, ready to be turned into a query once the data is loaded."""

    shape: str  # IRI of the node shape
    path: str | None  # IRI of the property shape's path; None: the constraint is on the focus node
    parameter: str  # "minCount", "datatype", … or "sparql"
    value: Any  # an int, an IRI, a tuple of terms (N-Triples), a literal (N-Triples), or the SELECT text
    message: str | None  # sh:message, if the shape gives one
    targets: tuple[tuple[str, str], ...]  # ("targetClass" | "targetSubjectsOf", IRI)

    @property
    def component(self) -> str:
        return f"sh:{_COMPONENT[self.parameter]}ConstraintComponent"

    @property
    def constraint(self) -> str:
        """How shapes.ttl states it: ``sh:minCount 1``, ``sh:in ("required" …)``."""
        if self.parameter in ("minInclusive", "pattern"):
            return _stated(self.parameter, _literal_text(self.value))
        return _stated(self.parameter, self.value)

    def describe(self) -> str:
        """For the progress bar: ``EvidenceShape zj:charStart sh:minCount 1``."""
        return " ".join(x for x in (short(self.shape).split(":")[-1], short(self.path or ""), self.constraint) if x)


def _stated(parameter: str, value: Any) -> str:
    """A constraint as shapes.ttl states it, for a reader: a list's members, a pattern quoted, an IRI short."""
    if parameter == "sparql":
        return "sh:sparql"
    if isinstance(value, tuple):
        return f"sh:{parameter} ({_clip(' '.join(short(t) for t in value), 40)})"
    if parameter == "pattern":
        return f"sh:pattern {json.dumps(value, ensure_ascii=False)}"
    return f"sh:{parameter} {short(value) if isinstance(value, str) and parameter != 'minInclusive' else value}"


def read_shapes(path: Path | str | None = None) -> list[Check]:
    """Every constraint of the shapes graph (``ontology/shapes.ttl`` by default), in its order.

    Raises ``ShapesError`` naming the first construct the oxigraph engine does not translate.
    """
    import pyoxigraph as ox

    path = Path(path) if path is not None else ontology_path("shapes.ttl")
    where = path.name
    props: dict[str, dict[str, list[Any]]] = {}
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        props.setdefault(_key(t.subject), {}).setdefault(t.predicate.value, []).append(t.object)
    reached: set[str] = set()

    def one(node: str, name: str) -> Any | None:
        values = props.get(node, {}).get(SH + name, [])
        if len(values) > 1:
            raise ShapesError(f"{where}: {_name(node)} has {len(values)} values of sh:{name}; one is supported")
        return values[0] if values else None

    def members(node: Any, name: str, owner: str) -> tuple[str, ...]:
        items, head = [], node
        while not (isinstance(head, ox.NamedNode) and head.value == RDF + "nil"):
            cell = props.get(_key(head), {})
            if RDF + "first" not in cell:
                raise ShapesError(f"{where}: the value of sh:{name} on {_name(owner)} is not an RDF list")
            reached.add(_key(head))
            items.append(str(cell[RDF + "first"][0]))
            head = cell.get(RDF + "rest", [ox.NamedNode(RDF + "nil")])[0]
        return tuple(items)

    def message(node: str) -> str | None:
        values = props.get(node, {}).get(SH + "message", [])
        if not values:
            return None
        plain = [v for v in values if not getattr(v, "language", None) or v.language.startswith("en")]
        return (plain or values)[0].value

    def unknown(node: str, allowed: set[str], what: str) -> None:
        for pred in props.get(node, {}):
            if pred in _ANNOTATIONS or pred == RDF + "type":
                continue
            if not pred.startswith(SH) or pred[len(SH) :] not in allowed:
                raise ShapesError(
                    f"{where}: {_name(pred)} on {what} is not supported by the oxigraph engine, which translates"
                    f" {', '.join(sorted(SUPPORTED))}; validate with --engine pyshacl, or teach"
                    " zhengji_kg/validate/ (shapes.py, sparql.py) the construct"
                )
        for kind in props.get(node, {}).get(RDF + "type", []):
            if kind.value not in (SH + "NodeShape", SH + "PropertyShape"):
                raise ShapesError(
                    f"{where}: {what} is also a {_name(kind.value)}; an implicit class target is not supported"
                    " by the oxigraph engine"
                )

    def constraints(node: str, shape: str, path: str | None, targets, msg: str | None) -> Iterator[Check]:
        for pred, values in props.get(node, {}).items():
            name = pred[len(SH) :] if pred.startswith(SH) else ""
            if name in _CARDINALITY | _VALUE_PARAMETERS:
                if len(values) > 1:
                    raise ShapesError(f"{where}: {_name(node)} has {len(values)} values of sh:{name}")
                v = values[0]
                if name in _CARDINALITY:
                    if path is None:
                        raise ShapesError(f"{where}: sh:{name} on the node shape {_name(node)} (needs sh:path)")
                    value: Any = int(v.value)
                elif name in ("in", "languageIn"):
                    value = members(v, name, node)
                elif name in ("minInclusive", "pattern"):
                    if not isinstance(v, ox.Literal):
                        raise ShapesError(f"{where}: sh:{name} on {_name(node)} must be a literal")
                    value = str(v)
                elif name == "nodeKind":
                    if v.value[len(SH) :] not in _NODE_KIND or not v.value.startswith(SH):
                        raise ShapesError(f"{where}: sh:nodeKind {_name(v.value)} on {_name(node)} is no node kind")
                    value = v.value[len(SH) :]
                else:
                    value = v.value
                yield Check(shape, path, name, value, msg, targets)

    checks: list[Check] = []
    nested = {_key(o) for p in props.values() for o in p.get(SH + "property", [])}
    shapes = sorted(
        s
        for s, p in props.items()
        if s not in nested
        and (
            any(t.value in (SH + "NodeShape", SH + "PropertyShape") for t in p.get(RDF + "type", []))
            or any(SH + t in p for t in _TARGETS)
        )
    )
    for shape in shapes:
        reached.add(shape)
        if SH + "path" in props[shape]:
            raise ShapesError(
                f"{where}: {_name(shape)} is a property shape on its own; only the sh:property of a node shape"
                " is supported by the oxigraph engine"
            )
        unknown(shape, _TARGETS | _VALUE_PARAMETERS | {"property", "sparql", "message"}, f"the shape {_name(shape)}")
        for bad in (o for t in _TARGETS for o in props[shape].get(SH + t, []) if not isinstance(o, ox.NamedNode)):
            raise ShapesError(f"{where}: a target of {_name(shape)} is {bad}, not an IRI")
        targets = tuple(sorted((t, o.value) for t in _TARGETS for o in props[shape].get(SH + t, [])))
        found = list(constraints(shape, shape, None, targets, message(shape)))
        for prop in props[shape].get(SH + "property", []):
            node = _key(prop)
            reached.add(node)
            step = one(node, "path")
            if not isinstance(step, ox.NamedNode):
                raise ShapesError(
                    f"{where}: the sh:path of a property shape of {_name(shape)} is "
                    f"{'missing' if step is None else 'a complex path'}; only a property IRI is supported"
                    " by the oxigraph engine"
                )
            what = f"the property shape of {_name(shape)} on {short(step.value)}"
            unknown(node, _CARDINALITY | _VALUE_PARAMETERS | {"path", "message"}, what)
            found += constraints(node, shape, step.value, targets, message(node))
        for sparql in props[shape].get(SH + "sparql", []):
            node = _key(sparql)
            reached.add(node)
            unknown(node, {"select", "message"}, f"the SPARQL constraint of {_name(shape)}")
            select = one(node, "select")
            if select is None:
                raise ShapesError(f"{where}: a sh:sparql constraint of {_name(shape)} has no sh:select")
            found.append(Check(shape, None, "sparql", _select(select.value, shape, where), message(node), targets))
        if targets:  # a shape without targets selects no focus node (as in pySHACL)
            checks += found
    stray = [s for s, p in props.items() if s not in reached and any(k.startswith(SH) for k in p)]
    if stray:
        raise ShapesError(f"{where}: {_name(stray[0])} uses sh: terms but is not reached from a shape")
    return checks


def _select(text: str, shape: str, where: str) -> str:
    """Check a SHACL-SPARQL SELECT: it must project $this, and hold nothing that pre-binding forbids."""
    body = re.sub(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"', '""', text)  # strings out of the way
    if not re.search(r"\bSELECT\b([^{]*[$?]this\b|\s+(DISTINCT\s+|REDUCED\s+)?\*)", body, re.I):
        raise ShapesError(f"{where}: the sh:select of {_name(shape)} does not select $this")
    for word in ("MINUS", "VALUES", "SERVICE"):
        if re.search(rf"\b{word}\b", body, re.I):
            raise ShapesError(f"{where}: the sh:select of {_name(shape)} uses {word}, which SHACL forbids there")
    if not re.search(r"\bWHERE\s*\{", body, re.I):
        raise ShapesError(f"{where}: the sh:select of {_name(shape)} has no WHERE {{ … }} clause")
    return text


def _name(iri_or_node: str) -> str:
    return iri_or_node if iri_or_node.startswith("_:") else short(iri_or_node)


def _key(node: Any) -> str:
    """A shapes-graph node as a dict key: its IRI, or _:id for a blank node."""
    return node.value if hasattr(node, "value") and not str(node).startswith("_:") else str(node)
