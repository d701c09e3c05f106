"""A check as SPARQL: ``plan`` turns one ``Check`` into the query selecting its violations.

Each query scans one property (or class) with a filter, so that the time grows with the graph and not
with focus nodes × constraints; the targets are patterns over the class closure the engine passes in
(``_target_*``). A SHACL-SPARQL constraint is run as written, its ``$this`` bound to the targets
(``_inject``) and its top-level ``FILTER NOT EXISTS`` rewritten as ``MINUS`` (``_not_exists_as_minus``).
The text only: running the queries is the engine's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from zhengji_kg.outputs.validate.shapes import _NODE_KIND, Check, ShapesError
from zhengji_kg.outputs.validate.terms import XSD, _literal_text

# the datatypes whose ill-typed literals SPARQL can tell (a cast of one is an error): "abc"^^xsd:integer
# has the datatype but is no integer, and sh:datatype rejects it (as pySHACL does)
_CASTABLE = {XSD + t for t in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")}


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
