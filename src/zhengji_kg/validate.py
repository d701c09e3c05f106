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

    from zhengji_kg.validate import validate_file

    report = validate_file("output", progress=True)   # a build folder or a graph file
    report.conforms, len(report.violations)           # (False, 3)
    report.violations[0]                              # Violation(focus=…, path=…, component=…, value=…, …)
    print(report)                                     # what ``zhengji-kg validate`` prints
"""

from __future__ import annotations

import io
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .resources import ontology_path

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph

ENGINES = ("oxigraph", "pyshacl")
SHOWN = 50  # violations listed by the report's text (all of them are in ``ValidationReport.violations``)

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
# the datatypes whose ill-typed literals SPARQL can tell (a cast of one is an error): "abc"^^xsd:integer
# has the datatype but is no integer, and sh:datatype rejects it (as pySHACL does)
_CASTABLE = {XSD + t for t in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")}


class ShapesError(ValueError):
    """The shapes graph uses a SHACL construct that the oxigraph engine does not translate."""


class GraphError(ValueError):
    """The data graph cannot be read (not RDF, or not the format its name says)."""


@dataclass(frozen=True, order=True)
class Violation:
    """One validation result. Terms are in N-Triples form (``<iri>``, ``"text"@zh``,
    ``"5"^^<…#integer>``); ``path`` and ``value`` are "" where SHACL gives none."""

    focus: str
    path: str
    component: str  # the SHACL constraint component, e.g. "sh:MinCountConstraintComponent"
    value: str
    constraint: str  # the constraint as shapes.ttl states it, e.g. "sh:minCount 1"
    message: str
    shape: str  # the node shape, e.g. "zjs:EvidenceShape"

    @property
    def key(self) -> tuple[str, str, str]:
        """(focus, path, component): what two engines must agree on."""
        return (self.focus, self.path, self.component)


@dataclass
class ValidationReport:
    """The answer of ``validate_file``: ``conforms``, the sorted ``violations``, and ``text()`` for a reader."""

    conforms: bool
    violations: list[Violation]
    engine: str
    triples: int = 0
    seconds: float = 0.0  # in all, loading included
    source: str = ""
    loading: float = 0.0  # seconds reading the graph
    timings: dict[str, float] = field(default_factory=dict, repr=False)  # seconds of each check (oxigraph)

    def text(self, limit: int = SHOWN) -> str:
        """The report as ``zhengji-kg validate`` prints it: a summary by constraint, then the first ``limit``
        violations sorted by focus node."""
        where = ""
        if self.triples:
            spent = f"loaded in {self.loading:.1f} s, checked in {self.seconds - self.loading:.1f} s"
            where = f" ({self.triples:,} triples, {self.engine}: {spent})"
        if self.conforms:
            return f"conforms: {self.source or 'the graph'} passes ontology/shapes.ttl{where}"
        n = len(self.violations)
        lines = [
            f"does not conform: {n:,} violation{'s' if n != 1 else ''} of ontology/shapes.ttl in"
            f" {self.source or 'the graph'}{where}",
            "",
            "by constraint:",
        ]
        groups = Counter((v.shape, short(v.path) or "-", v.constraint) for v in self.violations)
        width = len(f"{max(groups.values()):,}")
        rows = [[f"{c:>{width},}", s, p, k] for (s, p, k), c in sorted(groups.items(), key=lambda g: (-g[1], g[0]))]
        lines += _table(rows, indent=2)
        shown = self.violations[:limit]
        head = f"the first {len(shown)} of {n:,}" if len(shown) < n else f"all {n:,}"
        lines += ["", f"violations ({head}, by focus node):"]
        rows = [["focus node", "path", "constraint", "value", "message"]]
        rows += [
            [short(v.focus), short(v.path) or "-", v.constraint, _clip(short(v.value)) or "-", v.message] for v in shown
        ]
        lines += _table(rows, indent=2)
        if len(shown) < n:
            lines.append(f"  … and {n - len(shown):,} more (the Python API's ValidationReport.violations has all)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


# ---------------------------------------------------------------- the shapes, read


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
                    " zhengji_kg/validate.py the construct"
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


# ---------------------------------------------------------------- the shapes, as SPARQL


@dataclass(frozen=True)
class Plan:
    """The queries of one check: ``query`` selects the violations (``?this``, and ``?value``, ``?count`` or
    ``?path``); ``proof``, when there is one, is a cheaper query whose ``?ok`` true proves there are none."""

    query: str
    proof: str | None = None


def plan(check: Check, closure: Callable[[str], list[str]]) -> Plan:
    """The SPARQL of ``check``. ``closure(C)`` gives C and the classes under it (rdfs:subClassOf*).

    Each query reads the property once (``?this P ?value``) and looks the target up only for a row that
    breaks the constraint: joining every focus node costs Oxigraph a few µs a node, and a graph of 10,000
    documents has half a million evidence nodes under some thirty constraints. The counts are proved
    first by counting: no subject with two values when there are as many (subject, value) pairs as
    subjects (``sh:maxCount``), and no target without a value when adding the targets to the subjects
    adds none (``sh:minCount 1``) — five times cheaper than grouping, which then runs only on a graph
    that breaks them.
    """
    this_in = _target_exists(check.targets, closure)
    p = check.path and f"<{check.path}>"
    kind, v = check.parameter, check.value
    if kind == "minCount":
        if v <= 0:
            return Plan("SELECT ?this WHERE { FILTER(false) }")
        rows = _target_rows(check.targets, closure)
        if v > 1:
            return Plan(
                f"SELECT ?this (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {rows} OPTIONAL {{ ?this {p} ?value }} }}"
                f" GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {v})"
            )
        union = " UNION ".join(f"{{ {x} }}" for x in [*_target_parts(check.targets, closure), f"?this {p} ?value"])
        return Plan(
            f"SELECT DISTINCT ?this WHERE {{ {rows} FILTER NOT EXISTS {{ ?this {p} ?value }} }}",
            f"SELECT ((?all = ?with) AS ?ok) WHERE {{ {{ SELECT (COUNT(DISTINCT ?this) AS ?all) WHERE {{ {union} }} }}"
            f" {{ SELECT (COUNT(DISTINCT ?this) AS ?with) WHERE {{ ?this {p} ?value }} }} }}",
        )
    if kind == "maxCount":
        return Plan(
            "SELECT ?this ?count WHERE { { SELECT ?this (COUNT(DISTINCT ?value) AS ?count)"
            f" WHERE {{ ?this {p} ?value }} GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {v}) }}"
            f" FILTER EXISTS {{ {this_in} }} }}",
            None if v < 1 else f"SELECT ((COUNT(*) = COUNT(DISTINCT ?this)) AS ?ok) WHERE {{ ?this {p} ?value }}",
        )
    if kind == "sparql":
        return Plan(_not_exists_as_minus(_inject(v, _target_rows(check.targets, closure))))
    if kind == "class":
        fails = "NOT EXISTS { " + " UNION ".join(f"{{ ?value a <{c}> }}" for c in closure(v)) + " }"
    elif kind == "datatype":
        fails = f"!isLiteral(?value) || datatype(?value) != <{v}>"
        if v in _CASTABLE:
            fails += f" || !COALESCE(isLiteral(<{v}>(?value)), false)"
    elif kind == "nodeKind":
        fails = _NODE_KIND[v]
    elif kind == "in":
        fails = "!(" + (" || ".join(f"sameTerm(?value, {t})" for t in v) or "false") + ")"
    elif kind == "languageIn":
        tags = " || ".join(f"langMatches(lang(?value), {json.dumps(_literal_text(t))})" for t in v) or "false"
        fails = f"!(isLiteral(?value) && ({tags}))"
    elif kind == "minInclusive":
        fails = f"!COALESCE(?value >= {v}, false)"
    elif kind == "pattern":
        fails = f"isBlank(?value) || !regex(str(?value), {json.dumps(_literal_text(v), ensure_ascii=False)})"
    else:  # pragma: no cover - read_shapes lets no other parameter through
        raise ShapesError(f"no query for sh:{kind}")
    if p is None:  # a constraint on the focus node itself
        rows = _target_rows(check.targets, closure)
        return Plan(f"SELECT DISTINCT ?this ?value WHERE {{ {rows} BIND(?this AS ?value) FILTER({fails}) }}")
    # IF, not &&: Oxigraph may evaluate the EXISTS of `fails && EXISTS { … }` first, for every row
    guarded = f"IF({fails}, EXISTS {{ {this_in} }}, false)"
    return Plan(f"SELECT DISTINCT ?this ?value WHERE {{ ?this {p} ?value . FILTER({guarded}) }}")


def _target_parts(targets: tuple[tuple[str, str], ...], closure: Callable[[str], list[str]]) -> list[str]:
    """One triple pattern per way ?this can be a target (a class or subclass, a property it is the subject of)."""
    parts = []
    for kind, iri in targets:
        if kind == "targetClass":
            parts += [f"?this a <{c}>" for c in closure(iri)]
        else:
            parts.append(f"?this <{iri}> ?_target")
    return parts


def _target_exists(targets: tuple[tuple[str, str], ...], closure: Callable[[str], list[str]]) -> str:
    """A group pattern that holds when ?this (bound) is a target."""
    parts = _target_parts(targets, closure)
    return parts[0] if len(parts) == 1 else " UNION ".join(f"{{ {x} }}" for x in parts)


def _target_rows(targets: tuple[tuple[str, str], ...], closure: Callable[[str], list[str]]) -> str:
    """A group pattern that binds ?this to each target once."""
    parts = _target_parts(targets, closure)
    if len(parts) == 1 and "?_target" not in parts[0]:
        return parts[0] + " ."
    return f"{{ SELECT DISTINCT ?this WHERE {{ {_target_exists(targets, closure)} }} }}"


def _inject(select: str, targets: str) -> str:
    """A SHACL-SPARQL SELECT with $this bound to each target: the target pattern joins the top group of
    its WHERE clause (SHACL's pre-binding, for a query without MINUS, VALUES or sub-selects of $this)."""
    text = re.sub(r"\$this\b", "?this", select)
    where = re.search(r"\bWHERE\s*\{", text, re.I)
    assert where is not None  # read_shapes checked
    return text[: where.end()] + " " + targets + " " + text[where.end() :]


_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''  # long strings
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''  # strings
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"  # IRIs (a `<` followed by a space is the operator)
    r"|#[^\n]*"  # comments
    r"|[{}]"
    r"|\bFILTER\s+NOT\s+EXISTS\s*\{",
    re.I,
)
_NOT_BGP = re.compile(r"\b(FILTER|OPTIONAL|UNION|MINUS|BIND|VALUES|GRAPH|SERVICE|SELECT|EXISTS)\b|[{}()]", re.I)


def _not_exists_as_minus(query: str) -> str:
    """``FILTER NOT EXISTS { B }`` in the top group → ``MINUS { B }`` at the end of that group, where B is
    a basic graph pattern holding ?this.

    Oxigraph evaluates a NOT EXISTS of several triple patterns once per row, joining each pattern in full
    (the relation-evidence constraint took minutes on 100,000 evidence nodes); a MINUS is evaluated once.
    The two mean the same here: B is only triple patterns, and every row binds ?this (the target), which
    B shares, so a row has a solution of B compatible with it exactly when B with the row's values has one.
    Any other NOT EXISTS is left as written.
    """
    tokens = list(_TOKEN.finditer(query))
    depth, opened, blocks = 0, None, []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        text = t.group(0)
        if text == "{" or text.upper().startswith("FILTER"):
            if text != "{" and depth == 1 and opened is None:
                opened = (t.start(), t.end())  # a NOT EXISTS at the top group
            depth += 1
        elif text == "}":
            depth -= 1
            if opened is not None and depth == 1:
                inner = query[opened[1] : t.start()]
                if not _NOT_BGP.search(re.sub(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"", "", inner)) and re.search(
                    r"[?$]this\b", inner
                ):
                    blocks.append((opened[0], t.end(), inner.strip()))
                opened = None
            elif depth == 0:
                end = t.start()
                if not blocks:
                    return query
                out, last = [], 0
                for a, b, _ in blocks:
                    out += [query[last:a]]
                    last = b
                out.append(query[last:end])
                out += [f" MINUS {{ {inner} }}" for _, _, inner in blocks]
                out.append(" " + query[end:])
                return "".join(out)
        i += 1
    return query


# ---------------------------------------------------------------- the engines


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


def _load(path: Path, progress: bool | None) -> tuple[ox.Store, int]:
    """An in-memory Oxigraph store holding the graph file (format by its extension) and the ontology, and
    the number of triples of the file."""
    import pyoxigraph as ox

    file = Path(path)
    fmt = ox.RdfFormat.from_extension(file.suffix.lstrip(".") or "ttl") or ox.RdfFormat.TURTLE
    store = ox.Store()
    bar = _bar(progress, total=file.stat().st_size, desc="loading", unit="B", unit_scale=True, unit_divisor=1024)
    try:  # load, not bulk_load: into an in-memory store it is a quarter faster and takes a tenth less memory
        if bar is None:  # (measured on the 5.8 million triples of the benchmark's graph: 14.6 s against 19.2 s)
            store.load(path=str(file), format=fmt)
        else:
            with open(file, "rb", buffering=0) as raw:
                store.load(_Counted(raw, bar.update), format=fmt)
    except SyntaxError as exc:
        raise GraphError(f"{file}: not a readable {fmt.name} file: {exc}") from exc
    finally:
        if bar is not None:
            bar.close()
    triples = len(store)
    _add_ontology(store)
    return store, triples


def _add_ontology(store: ox.Store) -> None:
    import pyoxigraph as ox

    store.load(path=str(ontology_path("zhengji.ttl")), format=ox.RdfFormat.TURTLE)


def _oxigraph_report(
    store: ox.Store, checks: list[Check], progress: bool | None, triples: int, jobs: int | None = None
) -> ValidationReport:
    """Run every check's queries over ``store``, ``jobs`` at a time (Oxigraph evaluates a query without
    holding the GIL, so threads use the cores)."""
    import os
    from concurrent.futures import ThreadPoolExecutor, as_completed

    import pyoxigraph as ox

    closures: dict[str, list[str]] = {}

    def closure(cls: str) -> list[str]:
        if cls not in closures:
            rows = store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>+ <{cls}> }}")
            closures[cls] = [cls, *sorted(r[0].value for r in rows if isinstance(r[0], ox.NamedNode))]
        return closures[cls]

    plans = [(check, plan(check, closure)) for check in checks]  # (the closures are read here, once)
    found: set[Violation] = set()
    timings: dict[str, float] = {}
    jobs = jobs or min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    bar = _bar(progress, total=len(checks), desc="checking", unit="constraint")
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_run_check, store, check, p): check for check, p in plans}
            for future in as_completed(futures):
                check = futures[future]
                violations, seconds = future.result()
                found.update(violations)
                timings[check.describe()] = seconds
                if bar is not None:
                    bar.set_postfix_str(check.describe()[:50], refresh=False)
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    violations = sorted(found)
    return ValidationReport(not violations, violations, "oxigraph", triples=triples, timings=timings)


def _run_check(store: ox.Store, check: Check, queries: Plan) -> tuple[list[Violation], float]:
    """The violations of one check, and the seconds it took."""
    t = time.perf_counter()
    if queries.proof is not None:
        ok = next(iter(store.query(queries.proof)))[0]
        if ok is not None and ok.value == "true":
            return [], time.perf_counter() - t
    solutions = store.query(queries.query)
    names = [v.value for v in solutions.variables]
    shape, constraint, component = short(check.shape), check.constraint, check.component
    out = []
    for row in solutions:
        got = dict(zip(names, row, strict=True))
        if got.get("failure") is not None:
            raise RuntimeError(f"the SPARQL constraint of {shape} reports a failure")
        focus = got.get("this")
        if focus is None:
            continue
        value, path = got.get("value"), f"<{check.path}>" if check.path else ""
        if check.parameter == "sparql":
            if got.get("path") is not None:
                path = str(got["path"])
            if value is None and check.path is None:
                value = focus  # SHACL: a node shape's result has the focus node as its value
        message = check.message or _default_message(check, got)
        if check.message and "{" in message:
            message = re.sub(r"\{[?$](\w+)\}", partial(_binding, got), message)
        out.append(
            Violation(str(focus), path, component, "" if value is None else str(value), constraint, message, shape)
        )
    return out, time.perf_counter() - t


def _binding(got: dict[str, Any], m: re.Match[str]) -> str:
    """The value of {?var} in a sh:message."""
    return short(str(got.get(m.group(1)) or ""))


def _default_message(check: Check, got: dict[str, Any]) -> str:
    count = got.get("count")
    n = int(count.value) if count is not None else 0
    kind, v = check.parameter, check.value
    if kind == "minCount":
        return f"{n} value{'s' if n != 1 else ''}, at least {v} needed"
    if kind == "maxCount":
        return f"{n} values, at most {v} allowed"
    if kind == "datatype":
        return f"not a well-formed literal of datatype {short(v)}"
    if kind == "class":
        return f"not an instance of {short(v)}"
    if kind == "nodeKind":
        return f"not of node kind sh:{v}"
    if kind == "in":
        return "not one of the allowed values"
    if kind == "languageIn":
        return f"language tag not in ({' '.join(short(t) for t in v)})"
    if kind == "minInclusive":
        return f"not >= {short(v)}"
    if kind == "pattern":
        return f"does not match {_literal_text(v)}"
    return "the SPARQL constraint selects it"


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


# ---------------------------------------------------------------- helpers


class _Counted(io.RawIOBase):
    """A binary file that tells how many bytes were read (the loading bar: Store.load has no callback)."""

    def __init__(self, raw: io.RawIOBase, on_read: Callable[[int], object]) -> None:
        self._raw, self._on_read = raw, on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer) or 0
        self._on_read(n)
        return n


def _bar(progress: bool | None, **options: Any):
    """A tqdm bar on stderr, or None: ``progress`` True shows it, None only on a terminal, False never."""
    if progress is False:
        return None
    import sys

    from tqdm import tqdm

    bar = tqdm(disable=None if progress is None else False, file=sys.stderr, **options)
    if bar.disable:  # None, and stderr is no terminal
        bar.close()
        return None
    return bar


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


def _name(iri_or_node: str) -> str:
    return iri_or_node if iri_or_node.startswith("_:") else short(iri_or_node)


def _key(node: Any) -> str:
    """A shapes-graph node as a dict key: its IRI, or _:id for a blank node."""
    return node.value if hasattr(node, "value") and not str(node).startswith("_:") else str(node)


def _literal_text(nt: str) -> str:
    """The lexical form of a literal in N-Triples form."""
    import pyoxigraph as ox

    for t in ox.parse(f"<x:s> <x:p> {nt} .", format=ox.RdfFormat.N_TRIPLES):
        return t.object.value
    return nt  # pragma: no cover


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Iterable[list[str]], indent: int = 0) -> list[str]:
    rows = list(rows)
    if not rows:
        return []
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        cells = [c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=False)] + [r[-1]]
        out.append(" " * indent + "  ".join(cells).rstrip())
    return out
