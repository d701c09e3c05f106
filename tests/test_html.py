"""graph.html in headless Chromium: offline, no console errors, coloured nodes, escaped document text."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengji_kg import build
from zhengji_kg.viz import render_html

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
    from zhengji_kg.viz import PageRenderer, page_model

    renderer = PageRenderer(page_model(demo_kg, max_nodes=50, title="t"))
    html = renderer.result()
    assert renderer.failure == "" and renderer.html is not None
    assert html == render_html(demo_kg, max_nodes=50, title="t")


def test_page_process_started_before_its_model(demo_kg) -> None:
    """A build starts the page's process before its model is complete (``send`` comes later): the same
    page; one that is cancelled before it gets a model ends."""
    from zhengji_kg.viz import PageRenderer, page_model

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

    from zhengji_kg.viz import PageRenderer, page_model

    if not Path(executable).exists() and executable == "/bin/false":
        pytest.skip("no /bin/false here")
    monkeypatch.setattr(sys, "executable", executable)
    renderer = PageRenderer(page_model(demo_kg, max_nodes=50, title="t"))
    assert renderer.result() == render_html(demo_kg, max_nodes=50, title="t")
    assert renderer.failure
