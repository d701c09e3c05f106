"""Adoptions for diffusion studies: which place took up which mechanism, and when — one row per
(mechanism, place), each traceable to its sentence.

Studies of policy diffusion (政策扩散) fit event-history models and diffusion networks on such a table,
coded by hand elsewhere. Here it comes from the graph: every practicedIn with its evidence's date
(``dating``), the earliest kept per pair. A local variant counts for the arrangement it is a kind of
(湖州市干部实绩档案 for 干部实绩档案, via ``broader``), and the place's code, level and province let an
analyst aggregate to any level. ``adoptions(kg)`` works on a graph in memory (the page's timeline);
``adoptions_from_file`` runs the canned query ``adoptions.rq`` on a built graph.ttl (the CLI): the tests
hold the two to the same rows.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from zhengji_kg.base.output import write_atomic
from zhengji_kg.outputs.query import canned_query, run_query_oxigraph
from zhengji_kg.outputs.store import open_store

if TYPE_CHECKING:
    from zhengji_kg.base.model import Evidence
    from zhengji_kg.kg.graph import KnowledgeGraph

_LEVELS = ("province", "city", "county")
_PRECISION = {4: "year", 7: "month", 10: "day"}


@dataclass(frozen=True)
class Adoption:
    """A place's first known practice of a mechanism. ``date`` is as precise as known (2019, 2019-05,
    2019-05-02) or "" (undated); ``basis`` says how: "stated" in the sentence, or "by-source" (the source's
    date, the latest it can have happened)."""

    mechanism: str
    place: str
    year: str
    date: str
    precision: str
    basis: str
    code: str
    level: str
    province: str
    source: str
    sentence: str
    variant: str  # the narrower name the sentence uses (湖州市干部实绩档案), "" when it names the mechanism


COLUMNS = tuple(f.name for f in fields(Adoption))


def adoptions(kg: KnowledgeGraph) -> list[Adoption]:
    """The adoption table of a graph in memory, first adopters first within each mechanism."""
    entities = kg.entities
    broader: dict[tuple[str, str], list[tuple[str, str]]] = {}
    part_of: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for s, p, o in kg.relations:
        if p == "broader" and s[0] == o[0] == "mechanism":
            broader.setdefault(s, []).append(o)
        elif p == "partOf":
            part_of.setdefault(s, []).append(o)
    first: dict[tuple[tuple[str, str], tuple[str, str]], tuple[tuple[object, ...], object, str]] = {}
    for (m, pred, place), evs in kg.relations.items():
        if pred != "practicedIn" or entities.get(place) is None or entities[place].subtype == "anonymised":
            continue
        # the relation's earliest evidence (the first of equals), once for every arrangement it counts for:
        # the order of the canned query's key — date, stated first, source, offset — then the variant
        ev = min(evs, key=_earliest)
        early = _earliest(ev)
        for arr in _closure(m, broader):
            variant = "" if arr == m else m[1]
            key = (*early, variant)
            best = first.get((arr, place))
            if best is None or key < best[0]:
                first[(arr, place)] = (key, ev, variant)
    rows = []
    for (arr, place), (_key, ev, variant) in first.items():
        rec = entities[place]
        provinces = [k[1] for k in _closure(place, part_of) if k in entities and entities[k].subtype == "province"]
        rows.append(
            Adoption(
                mechanism=arr[1], place=place[1], year=ev.date[:4], date=ev.date,
                precision=_PRECISION.get(len(ev.date), ""), basis=ev.date_basis, code=rec.code,
                level=rec.subtype if rec.subtype in _LEVELS else "", province=min(provinces, default=""),
                source=ev.source, sentence=ev.sentence, variant=variant,
            )
        )  # fmt: skip
    return sorted(rows, key=_order)


def _earliest(ev: Evidence) -> tuple[str, str, str, int]:
    """An evidence's place in the order of adoptions (an offset compares as the query's zero-padded one)."""
    return (ev.date or "~", "0" if ev.date_basis == "stated" else "1", ev.source, ev.start)


def _order(a: Adoption) -> tuple[str, str, str]:
    return (a.mechanism, a.date or "~", a.place)


def _closure(start: tuple[str, str], up: dict[tuple[str, str], list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """``start`` and everything above it (skos:broader* / zj:partOf*)."""
    seen = {start: None}
    todo = [start]
    while todo:
        for nxt in up.get(todo.pop(), ()):
            if nxt not in seen:
                seen[nxt] = None
                todo.append(nxt)
    return list(seen)


def adoptions_from_file(graph: Path) -> list[Adoption]:
    """The adoption table of a built graph file, by the canned query ``adoptions`` (Oxigraph)."""
    cols, rows = run_query_oxigraph(open_store(graph), canned_query("adoptions").text)
    if tuple(cols) != COLUMNS:  # the query and this table are one contract
        raise ValueError(f"the adoptions query gives {cols}, expected {list(COLUMNS)}")
    return [Adoption(*row) for row in rows]


def select(rows: list[Adoption], mechanism: str | None) -> list[Adoption]:
    """The rows of one mechanism by its name (a local measure such as 抚州市容错免责办法 has rows of its own,
    and is a variant in those of its arrangement), or all of them; ``LookupError`` with the nearest names
    when no row has it."""
    if not mechanism:
        return rows
    picked = [a for a in rows if a.mechanism == mechanism]
    if not picked:
        names = sorted({a.mechanism for a in rows})
        near = difflib.get_close_matches(mechanism, names, n=5, cutoff=0.3) or [n for n in names if mechanism in n][:5]
        hint = f"; did you mean {', '.join(near)}?" if near else f" ({len(names)} mechanisms have adoptions)"
        raise LookupError(f"no adoption of a mechanism named {mechanism!r}{hint}")
    return picked


def to_csv(rows: Iterable[Adoption]) -> str:
    """The table as CSV (UTF-8, a header of ``COLUMNS``): one row per place and mechanism, ready for an
    event-history analysis (pandas ``read_csv``, R ``read.csv``)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(astuple(a) for a in rows)
    return out.getvalue()


def write_csv(rows: Iterable[Adoption], path: Path) -> None:
    """``to_csv`` written atomically, with a byte-order mark so that Excel reads the Chinese as UTF-8."""
    write_atomic(Path(path), "\ufeff" + to_csv(rows))


def cumulative(rows: Iterable[Adoption]) -> dict[str, list[tuple[int, int]]]:
    """Per mechanism, the cumulative number of adopting places at the end of each year with an adoption
    (undated adoptions are not counted: they cannot be placed in time)."""
    per: dict[str, list[int]] = {}
    for a in rows:
        if a.year:
            per.setdefault(a.mechanism, []).append(int(a.year))
    out = {}
    for mech, years in per.items():
        years.sort()
        out[mech] = [(y, sum(1 for x in years if x <= y)) for y in sorted(set(years))]
    return out


# fonts that draw Chinese, the first one found is used to lay out the labels; the SVG keeps its text as
# text (svg.fonttype "none"), so a reader's browser or editor draws it with its own Chinese font
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "SimHei")


def plot_svg(rows: list[Adoption], path: Path, title: str = "", max_lines: int = 8) -> int:
    """The adoptions over time as an SVG for a paper: per mechanism a step line of the cumulative number of
    adopting places by year, each adoption a point labelled with its place (and province) where one or two
    curves are drawn; of many mechanisms, the ``max_lines`` that spread furthest. Returns the number of
    dated adoptions drawn. Needs matplotlib (``pip install 'zhengji-kg[plot]'``)."""
    import warnings

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
    except ImportError as exc:
        raise RuntimeError("--plot needs matplotlib: pip install 'zhengji-kg[plot]'") from exc

    dated = [a for a in rows if a.year]
    counts: dict[str, int] = {}
    for a in dated:
        counts[a.mechanism] = counts.get(a.mechanism, 0) + 1
    shown = sorted(counts, key=lambda m: (-counts[m], m))
    if len(shown) > 1:  # of many mechanisms, those that spread: one adoption draws no curve
        shown = [m for m in shown if counts[m] > 1] or shown
    shown = shown[:max_lines]
    labelled = len(shown) <= 2  # place labels of more curves than two pile up on each other
    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = [f for f in _CJK_FONTS if f in installed] + ["DejaVu Sans"]
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": family, "svg.hashsalt": "zhengji-kg"}):
        fig, ax = plt.subplots(figsize=(9, 5.5))
        for mech in shown:
            mine = sorted((a for a in dated if a.mechanism == mech), key=_order)
            steps = cumulative(mine)[mech]
            xs = [y for y, _n in steps]
            ys = [n for _y, n in steps]
            (line,) = ax.step(xs, ys, where="post", label=f"{mech} ({len(mine)})")
            placed: dict[int, int] = {}
            for a in mine:
                y = int(a.year)
                before = sum(1 for b in mine if int(b.year) < y)
                placed[y] = placed.get(y, 0) + 1
                level = before + placed[y]
                ax.plot([y], [level], "o", color=line.get_color(), markersize=4)
                if labelled:
                    where = (
                        a.place if not a.province or a.place.startswith(a.province) else f"{a.place}（{a.province}）"
                    )
                    ax.annotate(where, (y, level), xytext=(4, 2), textcoords="offset points", fontsize=7)
        years = [int(a.year) for a in dated if a.mechanism in shown]
        if years:  # room on the right for the labels of the last year's places
            ax.set_xlim(min(years) - 0.5, max(years) + 1.5)
        ax.set_xlabel("年份 year")
        ax.set_ylabel("累计采纳地数 places adopting (cumulative)")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.xaxis.get_major_locator().set_params(integer=True)
        undated = len(rows) - len(dated)
        ax.set_title(title or "机制扩散 adoptions by year", fontsize=11)
        if undated:
            fig.text(0.01, 0.01, f"未注明日期的采纳 {undated} 条未画出 ({undated} undated not shown)", fontsize=7)
        if shown:
            ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Glyph … missing from font": the text stays text in the SVG
            fig.savefig(buf, format="svg", metadata={"Date": None})
        plt.close(fig)
    write_atomic(Path(path), buf.getvalue())
    return sum(counts[m] for m in shown)
