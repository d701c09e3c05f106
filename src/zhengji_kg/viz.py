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
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape

if TYPE_CHECKING:
    from .graph import KnowledgeGraph

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
MAX_EVIDENCE = 5
# sources listed per node: a term of a national corpus occurs in thousands; the page names the first
# ones and their number (the full list is a SPARQL query away), so that it stays small and quick
MAX_SOURCES = 100


def _vis_assets() -> tuple[str, str]:
    lib = Path(str(resources.files("pyvis"))) / "templates" / "lib" / "vis-9.1.2"
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(
        encoding="utf-8"
    )


def render_html(kg: KnowledgeGraph, max_nodes: int = 400, title: str = "zhengji-kg") -> str:
    from pyvis.network import Network

    from .rdf import entity_iri

    degree: dict[tuple[str, str], int] = {k: 0 for k in kg.entities}
    for (s, _p, o), evs in kg.relations.items():
        degree[s] = degree.get(s, 0) + len(evs)
        degree[o] = degree.get(o, 0) + len(evs)
    ranked = sorted(kg.entities, key=lambda k: (-(degree.get(k, 0) + kg.entities[k].count), k))
    shown = set(ranked[:max_nodes])
    evidence: dict[tuple[str, str], list[dict[str, str]]] = {}
    for (s, p, o), evs in sorted(kg.relations.items()):
        if p == "relatedTo":
            continue
        for k in (s, o):
            lst = evidence.setdefault(k, [])
            if len(lst) < MAX_EVIDENCE:
                lst.append(
                    {
                        "relation": f"{s[1]} —{p}→ {o[1]}",
                        "sentence": evs[0].sentence,
                        "source": evs[0].source,
                        "rule": evs[0].rule,
                    }
                )
    net = Network(directed=True, cdn_resources="in_line")
    info: dict[str, dict] = {}
    for k in sorted(shown):
        rec = kg.entities[k]
        nid = str(entity_iri(*k))
        st = STYLE[k[0]]
        net.add_node(
            nid, label=k[1], color=st["color"], shape=st["shape"], type=k[0], value=1 + degree.get(k, 0) + rec.count
        )
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
                for s in heapq.nsmallest(MAX_SOURCES, rec.sources)
            ],
            "sourceCount": len(rec.sources),
            "code": rec.code,
            "evidence": evidence.get(k, []),
        }
    for (s, p, o), evs in sorted(kg.relations.items()):
        if s in shown and o in shown:
            net.add_edge(
                str(entity_iri(*s)),
                str(entity_iri(*o)),
                label="" if p == "relatedTo" else p,
                color=EDGE_COLOR[p],
                value=len(evs),
                arrows="" if p in ("relatedTo", "contrastsWith") else "to",
            )
    env = Environment(loader=PackageLoader("zhengji_kg", "templates"), autoescape=select_autoescape(["html"]))
    js, css = _vis_assets()
    counts = kg.counts()
    return env.get_template("graph.html").render(
        title=title,
        nodes_json=script_json(net.nodes),
        edges_json=script_json(net.edges),
        info_json=script_json(info),
        legend=STYLE,
        vis_js=js,
        vis_css=css,
        shown=len(shown),
        total=len(kg.entities),
        counts=counts,
        sources=len(kg.sources),
        max_nodes=max_nodes,
    )


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
