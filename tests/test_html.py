"""graph.html in headless Chromium: offline, no console errors, coloured nodes, escaped document text."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengji_kg import build
from zhengji_kg.outputs.viz import render_html

pytestmark = [pytest.mark.browser]


def test_demo_page_offline_no_errors(browser, open_page, demo_kg, tmp_path: Path) -> None:
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    assert errors == []
    n = page.evaluate("window.zhengjiNetwork.body.data.nodes.length")
    assert n == len(demo_kg.entities)
    shot = tmp_path / "shot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20000  # a drawn graph, not a blank page
    # hovering a node shows its labels and evidence sentences
    pos = page.evaluate("""(() => { const net = window.zhengjiNetwork;
        const id = net.body.data.nodes.get().find(n => n.label === '天津市和平区').id;
        const p = net.canvasToDOM(net.getPositions([id])[id]); return p; })()""")
    page.mouse.move(pos["x"], pos["y"] + 40)  # the bar above the canvas is 40px high
    page.wait_for_timeout(600)
    tip = page.inner_text("#tip")
    assert "天津市和平区" in tip and "practicedIn" in tip


def test_search_click_and_filter(browser, open_page, demo_kg, tmp_path: Path) -> None:
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    # clicking a node on the canvas opens its panel too
    pos = page.evaluate("""(() => { const net = window.zhengjiNetwork;
        const id = net.body.data.nodes.get().find(n => n.label === '三个区分开来').id;
        return net.canvasToDOM(net.getPositions([id])[id]); })()""")
    page.mouse.click(pos["x"], pos["y"] + 40)
    page.wait_for_timeout(300)
    assert "三个区分开来" in page.inner_text("#panel h3")
    page.fill("#search", "生态产品价值")
    page.dispatch_event("#search", "change")
    panel = page.inner_text("#panel")
    assert "生态产品价值实现机制" in panel and "practicedIn" in panel and "安吉县探索建立" in panel
    page.uncheck("input.typefilter[value=place]")
    hidden = page.evaluate("window.zhengjiNetwork.body.data.nodes.get().filter(n => n.hidden).map(n => n.type)")
    assert hidden and set(hidden) == {"place"}
    assert errors == []


def test_document_text_cannot_inject(browser, open_page, tmp_path: Path, rules) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "evil.html").write_text(
        "<html><head><title>&lt;img src=x onerror=window.__pwned=1&gt;</title></head><body>"
        "<h1>&lt;script&gt;window.__pwned=2&lt;/script&gt;干部考核</h1>"
        "<p>XX县推行“&lt;img src=x onerror=window.__pwned=3&gt;”干部实绩档案。</p>"
        "<p>天津市和平区探索建立</script><script>window.__pwned=4</script>干部实绩档案。</p>"
        "<script>window.__pwned=5</script></body></html>",
        encoding="utf-8",
    )
    kg = build([src], rules)
    f = tmp_path / "graph.html"
    f.write_text(render_html(kg, title="<b id=injected>t</b>"), encoding="utf-8")
    page, errors = open_page(browser, f)
    assert page.evaluate("window.__pwned === undefined")
    assert page.query_selector("#injected") is None
    assert page.query_selector("img") is None
    assert errors == []


def test_page_rendered_in_its_own_process_is_the_page(demo_kg) -> None:
    """``PageRenderer`` renders the page of a ``page_model`` in another interpreter: the same HTML as
    ``render_html`` here."""
    from zhengji_kg.outputs.viz import PageRenderer, page_model

    renderer = PageRenderer(page_model(demo_kg, max_nodes=50, title="t"))
    html = renderer.result()
    assert renderer.failure == "" and renderer.html is not None
    assert html == render_html(demo_kg, max_nodes=50, title="t")


def test_page_process_started_before_its_model(demo_kg) -> None:
    """A build starts the page's process before its model is complete (``send`` comes later): the same
    page; one that is cancelled before it gets a model ends."""
    from zhengji_kg.outputs.viz import PageRenderer, page_model

    renderer = PageRenderer()
    with pytest.raises(RuntimeError):
        renderer.result()  # no model yet
    renderer.send(page_model(demo_kg, max_nodes=50, title="t"))
    assert renderer.result() == render_html(demo_kg, max_nodes=50, title="t")
    assert renderer.failure == ""
    idle = PageRenderer()
    idle.cancel()
    assert idle._proc.poll() is not None


@pytest.mark.parametrize("executable", ["/nonexistent/python", "/bin/false"])
def test_page_process_that_cannot_run_falls_back_to_this_one(demo_kg, monkeypatch, executable) -> None:
    """No interpreter to start, or one that fails: the page is rendered here, and the failure is said."""
    import sys

    from zhengji_kg.outputs.viz import PageRenderer, page_model

    if not Path(executable).exists() and executable == "/bin/false":
        pytest.skip("no /bin/false here")
    monkeypatch.setattr(sys, "executable", executable)
    renderer = PageRenderer(page_model(demo_kg, max_nodes=50, title="t"))
    assert renderer.result() == render_html(demo_kg, max_nodes=50, title="t")
    assert renderer.failure


# --- what a reader of the page sees: edge labels, label sizes, a stable layout, the counter, search, evidence

# every text the canvas draws in one redraw: [text, size, left, top, right, bottom] on screen in CSS px
# (font px and the point through the canvas transform, which holds the zoom and the device pixel ratio):
# what is drawn, not what is configured
_DRAWN_TEXT = """() => {
    const proto = CanvasRenderingContext2D.prototype, fill = proto.fillText, out = [];
    proto.fillText = function (text, x, y) {
        const m = this.getTransform(), r = window.devicePixelRatio, k = m.a / r;
        const px = parseFloat(/([0-9.]+)px/.exec(this.font)[1]) * k, w = this.measureText(text).width * k;
        const sx = (m.a * x + m.c * y + m.e) / r, sy = (m.b * x + m.d * y + m.f) / r;
        const left = this.textAlign === "center" ? sx - w / 2 : this.textAlign === "right" ? sx - w : sx;
        const top = this.textBaseline === "top" ? sy : this.textBaseline === "middle" ? sy - px / 2 : sy - px;
        out.push([String(text), px, left, top, left + w, top + px]);
        return fill.apply(this, arguments);
    };
    try { window.zhengjiNetwork.redraw(); } finally { proto.fillText = fill; }
    return out;
}"""
# physics is off once the layout is done (and the page says so in window.zhengjiReady)
_LAID_OUT = "window.zhengjiReady === true || window.zhengjiNetwork.physics.options.enabled === false"


def _node_dom(page, label: str) -> dict:
    """Where the node labelled ``label`` is on the page (the canvas starts 40 px below the bar's top)."""
    p = page.evaluate(
        """(label) => { const net = window.zhengjiNetwork;
        const id = net.body.data.nodes.get().find(n => n.label === label).id;
        return net.canvasToDOM(net.getPositions([id])[id]); }""",
        label,
    )
    return {"x": p["x"], "y": p["y"] + 40}


def _empty_spot(page) -> dict:
    """A point of the canvas with neither node nor edge under it."""
    p = page.evaluate("""(() => { const net = window.zhengjiNetwork;
        for (let y = 10; y < 750; y += 20) for (let x = 10; x < 830; x += 20) {
            if (net.getNodeAt({x, y}) === undefined && net.getEdgeAt({x, y}) === undefined) return {x, y};
        } })()""")
    return {"x": p["x"], "y": p["y"] + 40}


def _labelled_edges(page) -> list[str]:
    return page.evaluate("window.zhengjiNetwork.body.data.edges.get().filter(e => e.label).map(e => e.label)")


def test_edge_labels_only_on_hover_or_selection(browser, open_page, demo_kg, tmp_path: Path) -> None:
    """Relation names are drawn for the edges of the hovered or selected node only, never all at once."""
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    page.wait_for_function(_LAID_OUT, timeout=30000)
    relations = {p for (_s, p, _o) in demo_kg.relations}
    assert _labelled_edges(page) == []
    assert not relations & {t for t, *_ in page.evaluate(_DRAWN_TEXT)}
    # selecting a node (a click) draws the relations of its edges, and only of those
    page.mouse.click(**_node_dom(page, "天津市和平区"))
    page.wait_for_timeout(200)
    mine = page.evaluate("""(() => { const net = window.zhengjiNetwork;
        const id = net.getSelectedNodes()[0]; const edges = net.getConnectedEdges(id);
        return net.body.data.edges.get().filter(e => e.label).every(e => edges.includes(e.id)); })()""")
    assert mine and "practicedIn" in _labelled_edges(page)
    drawn = [px for t, px, *_ in page.evaluate(_DRAWN_TEXT) if t in relations]
    assert drawn and min(drawn) >= 11.5  # readable, not the old 14–30 px scaled labels
    # a click on empty canvas deselects: no label again; hovering a node shows its edges' relations
    page.mouse.click(**_empty_spot(page))
    page.wait_for_timeout(200)
    assert _labelled_edges(page) == []
    page.mouse.move(**_node_dom(page, "天津市和平区"))
    page.wait_for_timeout(300)
    assert "practicedIn" in _labelled_edges(page)
    page.mouse.move(**_empty_spot(page))
    page.wait_for_timeout(300)
    assert _labelled_edges(page) == []
    assert errors == []
    page.context.close()


def _big_model(n: int) -> dict:
    """A page model of ``n`` nodes (a tree with some cross links, importance skewed as in real graphs)."""
    types = ["concept", "mechanism", "place", "organization"]
    nodes, info, edges = [], {}, []
    for i in range(n):
        nid = f"https://example.org/n{i}"
        label = f"节点{i}号" + "甲乙丙丁"[: i % 4]
        value = 1 + 600 // (i + 1)
        nodes.append(
            {"n_id": nid, "label": label, "color": "#4e79a7", "shape": "dot", "type": types[i % 4], "value": value}
        )
        info[nid] = {"label": label, "type": types[i % 4], "aliases": [], "sources": [], "sourceCount": 0,
                     "code": "", "evidence": [], "evidenceCount": 0}  # fmt: skip
        if i:
            for j in {(i - 1) // 3, (i * 37 + 11) % i}:
                edges.append({"source": f"https://example.org/n{j}", "to": nid, "relation": "broader",
                              "color": "#b07aa1", "value": 1, "arrows": "to"})  # fmt: skip
    return {
        "title": "big", "nodes": nodes, "edges": edges, "info": info, "texts": [],
        "shown": n, "total": n, "counts": {"entities": {}}, "sources": 0, "max_nodes": 400,
    }  # fmt: skip


def test_node_labels_readable_in_a_large_graph(browser, open_page, tmp_path: Path) -> None:
    """150 nodes fitted into the window: the node labels drawn are at least 12 px on screen and do not
    overlap, and there are many of them (the main nodes' first)."""
    from zhengji_kg.outputs.viz import render_page

    model = _big_model(150)
    f = tmp_path / "graph.html"
    f.write_text(render_page(model), encoding="utf-8")
    page, errors = open_page(browser, f)
    page.wait_for_function(_LAID_OUT, timeout=30000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.zhengjiNetwork.getScale()") < 0.9  # zoomed out: vis's labels would be < 12 px
    labels = {node["label"] for node in model["nodes"]}
    drawn = [d for d in page.evaluate(_DRAWN_TEXT) if d[0] in labels]
    assert len(drawn) >= 30, f"only {len(drawn)} node labels drawn"
    assert "节点0号" in {d[0] for d in drawn}  # the most important node
    assert min(d[1] for d in drawn) >= 12, f"node labels drawn at {min(d[1] for d in drawn):.1f} px"
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            overlap = min(a[4], b[4]) - max(a[2], b[2]), min(a[5], b[5]) - max(a[3], b[3])
            assert min(overlap) <= 0.5, f"{a[0]} and {b[0]} overlap"
    assert errors == []
    page.context.close()


def test_layout_is_the_same_on_every_load(browser, open_page, demo_kg, tmp_path: Path) -> None:
    """The same file laid out twice, in two fresh pages: the same positions (to the pixel), and the page
    says when its layout is done (``window.zhengjiReady``)."""
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    layouts, ready = [], []
    for _ in range(2):
        page, errors = open_page(browser, f, settle=0)
        page.wait_for_function(_LAID_OUT, timeout=30000)
        pos = page.evaluate("window.zhengjiNetwork.getPositions()")
        layouts.append({k: (round(p["x"]), round(p["y"])) for k, p in pos.items()})
        ready.append(page.evaluate("window.zhengjiReady === true"))
        assert errors == []
        page.context.close()
    assert len(layouts[0]) == len(demo_kg.entities)
    assert layouts[0] == layouts[1]
    assert ready == [True, True]


def _counter(page) -> int:
    import re

    assert page.query_selector("#count") is not None, "no #count on the page"
    return int(re.search(r"\d+", page.inner_text("#count")).group())


def test_type_filter_updates_the_counter(browser, open_page, demo_kg, tmp_path: Path) -> None:
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    places = sum(1 for k in demo_kg.entities if k[0] == "place")
    assert places and _counter(page) == len(demo_kg.entities)
    page.uncheck("input.typefilter[value=place]")
    assert _counter(page) == len(demo_kg.entities) - places
    page.uncheck("input.typefilter[value=concept]")
    assert _counter(page) == sum(1 for k in demo_kg.entities if k[0] not in ("place", "concept"))
    page.check("input.typefilter[value=place]")
    page.check("input.typefilter[value=concept]")
    assert _counter(page) == len(demo_kg.entities)
    assert errors == []
    page.context.close()


def test_search_without_match_says_so(browser, open_page, demo_kg, tmp_path: Path) -> None:
    """A search that finds nothing says so (as text) and leaves no old node selected or on the panel."""
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    page.fill("#search", "显绩")
    page.dispatch_event("#search", "change")
    assert page.inner_text("#panel h3") == "显绩"
    query = "<img src=x onerror=window.__pwned=1>无此节点"
    page.fill("#search", query)
    page.dispatch_event("#search", "change")
    panel = page.inner_text("#panel")
    assert "未找到" in panel and query in panel
    assert "显绩" not in panel
    assert page.evaluate("window.zhengjiNetwork.getSelectedNodes()") == []
    assert page.query_selector("img") is None and page.evaluate("window.__pwned === undefined")
    assert errors == []
    page.context.close()


def _evidence_in_rdf(kg, node) -> int:
    """The evidence nodes of the relations ``node`` takes part in, by SPARQL (co-occurrence and mentions aside)."""
    from zhengji_kg.kg.rdf import entity_iri

    q = """PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
    PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e a zj:Evidence ; rdf:predicate ?p . { ?e rdf:subject ?x } UNION { ?e rdf:object ?x }
        FILTER (?p NOT IN (zj:relatedTo, zj:mentionedIn)) }"""
    return int(next(iter(kg.rdf().query(q, initBindings={"x": entity_iri(*node)})))[0])


def _panel_evidence(page, iri: str) -> tuple[int, int, str]:
    """The panel of ``iri``: (the number in its evidence header, evidence boxes listed, its text)."""
    import re

    page.evaluate("(id) => window.zhengjiShow(id)", iri)
    header = page.evaluate(
        "[...document.querySelectorAll('#panel h4')].find(h => h.textContent.startsWith('证据')).textContent"
    )
    return (
        int(re.search(r"\((\d+)\)", header).group(1)),
        len(page.query_selector_all("#panel .ev")),
        page.inner_text("#panel"),
    )


@pytest.mark.parametrize("label", ["潜绩", "显绩", "天津市和平区"])
def test_panel_shows_all_evidence_of_a_node(browser, open_page, demo_kg, tmp_path: Path, label) -> None:
    """The panel's evidence count is the graph's (as SPARQL counts it), and every sentence is listed."""
    from zhengji_kg.kg.rdf import entity_iri

    node = next(k for k in demo_kg.entities if k[1] == label)
    expected = _evidence_in_rdf(demo_kg, node)
    assert expected >= 2
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f, settle=0)
    count, listed, text = _panel_evidence(page, str(entity_iri(*node)))
    assert count == listed == expected
    for (s, p, o), evs in demo_kg.relations.items():
        if node in (s, o) and p != "relatedTo":
            assert all(e.sentence in text for e in evs) and p in text
    assert errors == []
    page.context.close()


def test_panel_says_how_much_evidence_it_leaves_out(browser, open_page, demo_kg, tmp_path: Path, monkeypatch) -> None:
    """Past the cap the panel lists some evidence, keeps the true total in its header and says how many more."""
    from zhengji_kg.kg.rdf import entity_iri
    from zhengji_kg.outputs import viz

    node = next(k for k in demo_kg.entities if k[1] == "天津市和平区")
    expected = _evidence_in_rdf(demo_kg, node)
    monkeypatch.setattr(viz, "MAX_EVIDENCE", 3)
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f, settle=0)
    count, listed, text = _panel_evidence(page, str(entity_iri(*node)))
    assert (count, listed) == (expected, 3)
    assert f"另有 {expected - 3} 条" in text
    # the first sentence of three relations, not three of one (it has more than three relations)
    listed_relations = page.evaluate("[...document.querySelectorAll('#panel .ev')].map(b => b.firstChild.textContent)")
    assert len(set(listed_relations)) == 3
    assert errors == []
    page.context.close()


def test_timeline_shows_a_mechanisms_adoptions_and_opens_their_sentences(
    browser, open_page, demo_kg, tmp_path: Path
) -> None:
    """The demo corpus's dated reports: choose 容错纠错机制, one point per dated adoption appears, a click on
    one shows its sentence — the rows of ``diffusion.adoptions`` on the same graph."""
    from zhengji_kg.outputs.diffusion import adoptions, select

    rows = [a for a in select(adoptions(demo_kg), "容错纠错机制") if a.date]
    assert len(rows) >= 4 and len({a.year for a in rows}) >= 3  # a diffusion to look at
    f = tmp_path / "graph.html"
    f.write_text(render_html(demo_kg), encoding="utf-8")
    page, errors = open_page(browser, f)
    assert page.is_hidden("#timeline")
    page.click("#tl-open")
    assert page.is_visible("#timeline")
    label = page.evaluate(
        "[...document.querySelectorAll('#tl-mech option')]"
        ".find(o => o.textContent.startsWith('容错纠错机制 ')).textContent"
    )
    page.select_option("#tl-mech", label=label)
    assert page.locator("#tl-chart circle").count() == len(rows)
    # the first point is the first adopter; its sentence opens in the panel
    first = min(rows, key=lambda a: (a.date, a.place))
    page.click("#tl-chart circle >> nth=0")
    panel = page.inner_text("#panel")
    assert first.sentence in panel and first.place in panel and first.date in panel
    # provinces in the order they joined, each with its year
    legend = page.inner_text("#tl-legend")
    assert legend.index(first.province) == 0 and first.year in legend
    page.click("#tl-close")
    assert page.is_hidden("#timeline")
    assert errors == []


def test_a_page_without_dated_adoptions_has_no_timeline_button(browser, open_page, tmp_path: Path, rules) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("树立正确政绩观\n既要看显绩，也要看潜绩。\n", encoding="utf-8")
    f = tmp_path / "graph.html"
    f.write_text(render_html(build([src], rules)), encoding="utf-8")
    page, errors = open_page(browser, f)
    assert page.locator("#tl-open").count() == 0
    assert page.evaluate("window.zhengjiTimeline()") is False
    assert errors == []
