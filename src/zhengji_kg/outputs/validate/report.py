"""What a validation answers, and how it reads: ``Violation``, ``ValidationReport`` and its text.

Both engines fill the same report, so that they can be compared and the command line prints either the
same way: a summary by constraint, then the first violations as a table (``_table``, aligned for wide
CJK characters).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from zhengji_kg.outputs.validate.terms import _clip, short

SHOWN = 50  # violations listed by the report's text (all of them are in ``ValidationReport.violations``)


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
