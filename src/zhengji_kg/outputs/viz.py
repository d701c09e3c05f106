"""The interactive page: a pyvis network rendered into a self-contained, offline, escaped HTML file.

pyvis builds the node and edge lists; the page itself comes from our own template (autoescaped Jinja)
with vis-network inlined from pyvis's bundled copy, so it needs no CDN, does not depend on the locale
encoding (pyvis ``write_html``), and shows document text only through ``textContent``.
"""

from __future__ import annotations

import heapq
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengji_kg.kg.rdf import entity_iri
from zhengji_kg.outputs.diffusion import adoptions

if TYPE_CHECKING:
    from zhengji_kg.kg.graph import Evidence, KnowledgeGraph

STYLE = {
    "concept": {"color": "#e15759", "shape": "dot", "name": "概念 Concept"},
    "mechanism": {"color": "#4e79a7", "shape": "square", "name": "机制 Mechanism"},
    "place": {"color": "#59a14f", "shape": "triangle", "name": "地点 Place"},
    "organization": {"color": "#f28e2b", "shape": "diamond", "name": "组织 Organization"},
}
EDGE_COLOR = {
    "implements": "#4e79a7",
    "practicedIn": "#59a14f",
    "establishedBy": "#f28e2b",
    "contrastsWith": "#e15759",
    "partOf": "#8c8c8c",
    "basedIn": "#8c8c8c",
    "broader": "#b07aa1",
    "relatedTo": "#d3d3d3",
}
# evidence sentences listed per node: a node's panel lists the sentences of the relations it takes part in
# up to this many, with the true total and how many more there are; the main nodes of a large corpus have
# thousands (2,099 at 3,000 documents), and listing them all would grow the page with the corpus
MAX_EVIDENCE = 200
# sources listed per node: a term of a national corpus occurs in thousands; the page names the first
# ones and their number (the full list is a SPARQL query away), so that it stays small and quick
MAX_SOURCES = 100


def _vis_assets() -> tuple[str, str]:
    lib = Path(str(resources.files("pyvis"))) / "templates" / "lib" / "vis-9.1.2"
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(
        encoding="utf-8"
    )


def render_html(kg: KnowledgeGraph, max_nodes: int = 400, title: str = "zhengji-kg") -> str:
    """The page of ``kg``: its ``max_nodes`` most important entities and the relations between them."""
    return render_page(page_model(kg, max_nodes, title))


def page_model(kg: KnowledgeGraph, max_nodes: int = 400, title: str = "zhengji-kg") -> dict[str, Any]:
    """What the page shows, as plain data (small, picklable): the nodes and edges with their styles,
    each node's panel, the counts — everything ``render_page`` needs and nothing of the rest of ``kg``."""
    degree: dict[tuple[str, str], int] = {k: 0 for k in kg.entities}
    for (s, _p, o), evs in kg.relations.items():
        degree[s] = degree.get(s, 0) + len(evs)
        degree[o] = degree.get(o, 0) + len(evs)
    ranked = sorted(kg.entities, key=lambda k: (-(degree.get(k, 0) + kg.entities[k].count), k))
    shown = set(ranked[:max_nodes])
    relations = sorted(kg.relations.items())
    # each node's evidence: the sentences of every relation it takes part in, but co-occurrence (relatedTo,
    # whose sentences the graph does not keep); a relation of a node with itself is counted once, as in RDF
    node_relations: dict[tuple[str, str], list[tuple[str, list[Evidence]]]] = {}
    for (s, p, o), evs in relations:
        if p != "relatedTo":
            for k in (s,) if s == o else (s, o):
                if k in shown:
                    node_relations.setdefault(k, []).append((f"{s[1]} —{p}→ {o[1]}", evs))
    # a sentence backs both ends of its relation (often several relations), and relation names, sources and
    # rules recur: the page holds each such text once, and a panel's items are [relation, sentence, source,
    # rule] as indexes into that list
    texts: dict[str, int] = {}
    nodes: list[dict[str, Any]] = []
    info: dict[str, dict] = {}
    for k in sorted(shown):
        rec = kg.entities[k]
        rels = node_relations.get(k, [])
        evidence = [
            [texts.setdefault(t, len(texts)) for t in (name, ev.sentence, ev.source, ev.rule)]
            for name, ev in _first_of_each(rels, MAX_EVIDENCE)
        ]
        nid = str(entity_iri(*k))
        st = STYLE[k[0]]
        nodes.append(
            {
                "n_id": nid, "label": k[1], "color": st["color"], "shape": st["shape"], "type": k[0],
                "value": 1 + degree.get(k, 0) + rec.count,
            }
        )  # fmt: skip
        info[nid] = {
            "label": k[1],
            "type": k[0],
            "aliases": sorted(a for a in rec.labels if a != k[1]),
            "sources": [
                {
                    "id": s,
                    "title": kg.sources.get(s, {}).get("title", ""),
                    "url": _safe_url(kg.sources.get(s, {}).get("url", "")),
                }
                for s in (
                    sorted(rec.sources)
                    if len(rec.sources) <= MAX_SOURCES
                    else heapq.nsmallest(MAX_SOURCES, rec.sources)
                )
            ],
            "sourceCount": len(rec.sources),
            "code": rec.code,
            "evidence": evidence,
            "evidenceCount": sum(len(evs) for _name, evs in rels),
        }
    # no label: the page draws an edge's relation only while it is hovered or selected (co-occurrences,
    # the most numerous, have none to draw)
    edges = [
        {
            "source": str(entity_iri(*s)), "to": str(entity_iri(*o)), "color": EDGE_COLOR[p], "value": len(evs),
            "arrows": "" if p in ("relatedTo", "contrastsWith") else "to",
            **({} if p == "relatedTo" else {"relation": p}),
        }
        for (s, p, o), evs in relations
        if s in shown and o in shown
    ]  # fmt: skip
    return {
        "title": title,
        "nodes": nodes,
        "edges": edges,
        "info": info,
        "timeline": _timeline(kg, texts),
        "texts": list(texts),
        "shown": len(shown),
        "total": len(kg.entities),
        "counts": kg.counts(),
        "sources": len(kg.sources),
        "max_nodes": max_nodes,
    }


def _timeline(kg: KnowledgeGraph, texts: dict[str, int]) -> list[dict[str, Any]]:
    """The page's timeline: per mechanism with a dated adoption (``diffusion.adoptions``), most adopted first,
    its dated adoptions as [date, place, province, basis, source, sentence, variant] — the last four as
    indexes into the page's texts, so that a sentence the panels show too is held once — and how many of
    its adoptions no date places in time."""
    per: dict[str, dict[str, Any]] = {}
    for a in adoptions(kg):
        mech = per.setdefault(a.mechanism, {"m": a.mechanism, "rows": [], "undated": 0})
        if not a.date:
            mech["undated"] += 1
            continue
        mech["rows"].append(
            [a.date, a.place, a.province, a.basis]
            + [texts.setdefault(t, len(texts)) for t in (a.source, a.sentence)]
            + [texts.setdefault(a.variant, len(texts)) if a.variant else -1]
        )
    return sorted((m for m in per.values() if m["rows"]), key=lambda m: (-len(m["rows"]), m["m"]))


def _first_of_each(rels: list[tuple[str, list[Evidence]]], cap: int) -> list[tuple[str, Evidence]]:
    """Up to ``cap`` of the (relation name, evidence) of ``rels``, listed relation by relation: the first
    sentence of every relation before the second of any, so that one relation with thousands of sentences
    does not hide the others."""
    lengths = sorted(len(evs) for _name, evs in rels)
    depth = taken = 0  # whole rounds (one more sentence of each relation that has one) while they fit
    i = sum(1 for n in lengths if n == 0)  # lengths[i:] are the relations with a sentence at ``depth``
    while i < len(lengths) and taken + len(lengths) - i <= cap:
        taken += len(lengths) - i
        depth += 1
        while i < len(lengths) and lengths[i] <= depth:
            i += 1
    extra = cap - taken  # the part of the next round that fits: the first relations' next sentence
    out: list[tuple[str, Evidence]] = []
    for name, evs in rels:
        more = 1 if extra > 0 and len(evs) > depth else 0
        extra -= more
        out.extend((name, ev) for ev in evs[: depth + more])
    return out


def render_page(model: dict[str, Any]) -> str:
    """The HTML of a ``page_model``: pyvis makes the node and edge lists, our template the page."""
    from jinja2 import Environment, PackageLoader, select_autoescape  # here: a build's own process needs none
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    for node in model["nodes"]:
        node = dict(node)
        net.add_node(node.pop("n_id"), **node)
    for edge in model["edges"]:
        edge = dict(edge)
        net.add_edge(edge.pop("source"), edge.pop("to"), **edge)
    env = Environment(loader=PackageLoader("zhengji_kg", "templates"), autoescape=select_autoescape(["html"]))
    js, css = _vis_assets()
    return env.get_template("graph.html").render(
        title=model["title"],
        nodes_json=script_json(net.nodes),
        edges_json=script_json(net.edges),
        info_json=script_json(model["info"]),
        texts_json=script_json(model["texts"]),
        timeline_json=script_json(model.get("timeline", [])),
        timeline_count=len(model.get("timeline", [])),
        legend=STYLE,
        vis_js=js,
        vis_css=css,
        shown=model["shown"],
        total=model["total"],
        counts=model["counts"],
        sources=model["sources"],
        max_nodes=model["max_nodes"],
    )


class PageRenderer:
    """``render_page`` in a process of its own, while the build goes on writing its graph file.

    The page needs pyvis (half a second to import: it brings networkx, IPython and jsonpickle) and a
    template; at the end of a build one core is idle, so a fresh interpreter renders the page there
    from the small ``page_model`` while this one serialises the merged part of the graph. A fresh
    interpreter, not a fork: it shares no memory with the build, so nothing is counted twice and nothing
    is copied on write. Started without a model, it imports what the page needs and then waits for one
    (``send``): a build starts it before its model is complete, so that the page is ready sooner. If it
    cannot start or fails, ``result`` renders the page here instead.
    """

    def __init__(self, model: dict[str, Any] | None = None) -> None:
        import subprocess
        import sys

        self.model: dict[str, Any] | None = None
        self.html: str | None = None
        self.failure = ""
        self._thread: Any = None
        # this package's folder goes last on the other interpreter's path: found even where this one was
        # imported from a path of its own, and never in front of the standard library
        code = f"import sys; sys.path.append({str(Path(__file__).resolve().parents[2])!r}); "
        code += "from zhengji_kg.outputs.viz import _render_stdio; _render_stdio()"
        try:
            self._proc: Any = subprocess.Popen(
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            self._proc = None
            self.failure = str(exc)
        if model is not None:
            self.send(model)

    def send(self, model: dict[str, Any]) -> None:
        """Give the process the ``page_model`` to render (once)."""
        import pickle
        import threading

        if self.model is not None:
            raise RuntimeError("this PageRenderer has its model already")
        self.model = model
        if self._proc is None:
            return
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        self._thread = threading.Thread(target=self._talk, args=(data,), name="page", daemon=True)
        self._thread.start()

    def _talk(self, data: bytes) -> None:
        assert self._proc is not None
        try:
            out, err = self._proc.communicate(data)
        except OSError as exc:  # it ended before it could read the model
            self._proc.wait()
            self.failure = str(exc)
            return
        if self._proc.returncode == 0:
            self.html = out.decode("utf-8")
        else:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            self.failure = lines[-1] if lines else f"exit code {self._proc.returncode}"

    def result(self) -> str:
        """The page's HTML (rendered here if the other process could not)."""
        if self.model is None:
            raise RuntimeError("PageRenderer.result() before send(model)")
        if self._thread is not None:
            self._thread.join()
        return self.html if self.html is not None else render_page(self.model)

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            if self._thread is not None:
                self._thread.join()
            else:
                self._proc.wait()


def _render_stdio() -> None:
    """The other end of ``PageRenderer``: what the page needs imported first, then a pickled
    ``page_model`` on stdin and the page on stdout."""
    import pickle
    import sys

    import jinja2  # noqa: F401  (imported while the build is still busy: the model comes later)
    import pyvis.network  # noqa: F401

    model = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(render_page(model).encode("utf-8"))


def _safe_url(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else ""


def script_json(data: object) -> str:
    """JSON safe inside <script>: no '</script>', no HTML comment openers, no U+2028 surprises."""
    s = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return (
        s.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
