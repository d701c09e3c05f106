"""No single document can take a build down: links as Chinese text writes them, IRIs checked where
they are made, one failing document skipped in every executor, files with a few stray control bytes
read, and one build at a time per output folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from zhengji_kg.base.iri import URL_IN_TEXT, encode_segment, is_iri, ok_in_segment, to_iri
from zhengji_kg.base.output import OutputLock, OutputLocked
from zhengji_kg.cli import EXIT_SKIPPED, main
from zhengji_kg.ingest import IngestError, SourceFile, clean_text, decode_bytes, parse_source
from zhengji_kg.kg.rdf import source_iri

GOOD = "天津市和平区建立容错纠错机制，坚持“三个区分开来”，推动干部树立正确政绩观。"


# ---------------------------------------------------------------- 1. links as Chinese text writes them


@pytest.mark.parametrize(
    ("line", "url"),
    [
        (
            "原文链接：https://www.example.gov.cn/portal/info/51847.html。各地要将“潜绩+显绩”两本账统筹起来",
            "https://www.example.gov.cn/portal/info/51847.html",
        ),
        ("详见https://example.org/a/b.html，下同。", "https://example.org/a/b.html"),
        ("来源网址 http://example.org/news?id=12&p=3；另见附件", "http://example.org/news?id=12&p=3"),
        ("出处：https://example.org/rate/16.37%。一、总体要求", "https://example.org/rate/16.37%"),
        ("见百科 https://baike.example.com/item/正确政绩观。", "https://baike.example.com/item/正确政绩观"),
        ("检索 https://s.example.cn/search?q=政绩观&page=2 的结果", "https://s.example.cn/search?q=政绩观&page=2"),
        ("链接（https://example.org/x.html）已失效", "https://example.org/x.html"),
        ("“https://example.org/q.html”是原址", "https://example.org/q.html"),
        ("全文见 https://example.org/doc.pdf.", "https://example.org/doc.pdf"),
        ("https://example.org/51847.html各地要将", "https://example.org/51847.html"),
        ("【https://example.org/p/1】", "https://example.org/p/1"),
    ],
)
def test_a_link_ends_where_url_characters_end(line: str, url: str) -> None:
    m = URL_IN_TEXT.search(line)
    assert m is not None and m.group(0) == url


@pytest.mark.parametrize(
    ("written", "iri"),
    [
        ("https://example.org/a.html", "https://example.org/a.html"),
        ("https://example.org/rate/16.37%", "https://example.org/rate/16.37%25"),
        ("https://example.org/a%zz%E4%B8%AD", "https://example.org/a%25zz%E4%B8%AD"),
        ("https://baike.example.com/item/正确政绩观", "https://baike.example.com/item/正确政绩观"),
        ("https://example.org/a b<c>d", "https://example.org/a%20b%3Cc%3Ed"),
        ("  <HTTPS://example.org/x>  ", "https://example.org/x"),
        ("https://例子.中国/政绩", "https://例子.中国/政绩"),
        ("https://example.org/\u200bx", "https://example.org/%E2%80%8Bx"),
    ],
)
def test_links_are_normalised_to_valid_iris(written: str, iri: str) -> None:
    assert to_iri(written) == iri
    ox.NamedNode(iri)


@pytest.mark.parametrize(
    "written",
    [
        "",
        "原文链接：",
        "http://",
        "javascript:alert(1)",
        "mailto:a@b.cn",
        "www.x.cn",
        "http://[::zz",
        "https:/x",
        "政绩观",
    ],
)
def test_what_is_no_web_link_is_refused(written: str) -> None:
    assert to_iri(written) is None


@given(st.text(max_size=40))
def test_to_iri_gives_a_valid_iri_or_nothing(written: str) -> None:
    out = to_iri("https://example.org/" + written)
    assert out is None or is_iri(out)
    assert to_iri(written) is None or is_iri(to_iri(written))


# any code point, uniformly: st.text() alone favours the low planes and took hundreds of runs to meet plane 14
_ANY_CODE_POINT = st.integers(0, 0x10FFFF).filter(lambda o: not 0xD800 <= o <= 0xDFFF).map(chr)
_BASE = "https://w3id.org/zhengji-kg/id/concept/"


@settings(max_examples=1500, deadline=None)
@given(st.text(st.one_of(st.characters(), _ANY_CODE_POINT), max_size=20))
@example("\U000e0100")  # an ideographic variation selector (found by this test in a fresh clone)
@example("\U000e0001\U000e0068")  # tag characters
@example("\ufe0f\ue000\U000f0000\U00100000\ufffe\U0001ffff\U000efffe")  # VS16, private use, noncharacters
@example("湖\U000e0100州市")
def test_minted_segments_are_always_valid(seg: str) -> None:
    assert is_iri(_BASE + encode_segment(seg))


def test_every_code_point_is_minted_into_a_valid_iri() -> None:
    """The whole of Unicode, checked by Oxigraph's parser: each character minted alone, and everything
    ``ok_in_segment`` leaves bare taken bare in a path (the parser takes more bare than we leave)."""
    step = 0x1000
    for lo in range(0, 0x110000, step):
        chars = [chr(o) for o in range(lo, lo + step) if not 0xD800 <= o <= 0xDFFF]
        if is_iri(_BASE + "".join(encode_segment(ch) for ch in chars)):
            continue
        bad = [f"U+{ord(ch):04X}" for ch in chars if not is_iri(_BASE + encode_segment(ch))]
        pytest.fail(f"minted IRIs refused by Oxigraph for {', '.join(bad[:10])}")
    bare = [chr(o) for o in range(0xA0, 0x110000, 7) if ok_in_segment(chr(o))]
    assert is_iri(_BASE + "".join(bare))
    assert not ok_in_segment("\U000e0100") and encode_segment("\U000e0100") == "%F3%A0%84%80"
    assert encode_segment("湖州市") == "湖州市"  # what may stand bare stays bare


def test_a_document_with_variation_selectors_is_built_with_its_terms(tmp_path: Path) -> None:
    """Selectors in a term, in a name by form and in the file's name: the document is built, its terms found."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "湖\U000e0100州.txt").write_text(
        "浙江省湖\U000e0100州市推行干部实\U000e0101绩档案，树立正确政绩观。\n"
        "安吉县建立乡村振兴实\ufe00干\U000e0102榜机制，推动干部担当作为。\n",
        encoding="utf-8",
    )
    res = _build([str(corpus), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "1 read, 0 skipped" in res.output and "warning" not in res.output
    data = (tmp_path / "out" / "graph.ttl").read_bytes()
    ox.Store().load(data, format=ox.RdfFormat.TURTLE)
    g = Graph().parse(data=data.decode(), format="turtle")
    labels = {str(o) for o in g.objects(None, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert {"干部实绩档案", "湖州市", "正确政绩观"} <= labels
    assert any(label.endswith("实干榜机制") for label in labels), sorted(labels)
    assert g.value(source_iri("湖\U000e0100州"), DCTERMS.identifier) == Literal("湖\U000e0100州")


def test_the_link_line_keeps_the_sentence_that_follows() -> None:
    text, meta = clean_text(
        "原文链接：https://www.example.gov.cn/portal/info/51847.html。各地要将“潜绩+显绩”两本账统筹起来。"
    )
    assert meta["url"] == "https://www.example.gov.cn/portal/info/51847.html"
    assert "各地要将“潜绩+显绩”两本账统筹起来。" in text and "http" not in text


def test_a_link_label_with_nothing_after_it() -> None:
    doc = parse_source(SourceFile("a.txt", f"原文链接：\n{GOOD}".encode()))
    assert "url" not in doc.metadata and GOOD in doc.text


# ---------------------------------------------------------------- 2. every term checked where it is made


def _build(args: list[str]):
    return CliRunner().invoke(main, ["build", *args, "-q"], catch_exceptions=False)


def test_the_issue_line_builds_with_a_valid_source_link(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "关于两本账的一则短讯\n"
        "原文链接：https://www.example.gov.cn/portal/info/51847.html。各地要将“潜绩+显绩”两本账统筹起来。\n"
        f"{GOOD}\n增长16.37%。一、浙江省湖州市推行干部实绩档案。\n",
        encoding="utf-8",
    )
    (corpus / "b.txt").write_text(f"{GOOD}\n", encoding="utf-8")
    (corpus / "b.meta.yaml").write_text("url: http://example.org/%zz 政绩\n", encoding="utf-8")
    (corpus / "c.txt").write_text(f"{GOOD}\n", encoding="utf-8")
    (corpus / "c.meta.yaml").write_text("url: 'javascript:alert(1)'\n", encoding="utf-8")
    res = _build([str(corpus), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "warning: c.txt: url 'javascript:alert(1)' is not a web link" in res.output
    data = (tmp_path / "out" / "graph.ttl").read_bytes()
    ox.Store().load(data, format=ox.RdfFormat.TURTLE)  # the strict parser: every IRI is valid
    g = Graph().parse(data=data.decode(), format="turtle")
    assert g.value(source_iri("a"), DCTERMS.source) == URIRef("https://www.example.gov.cn/portal/info/51847.html")
    assert g.value(source_iri("b"), DCTERMS.source) == URIRef("http://example.org/%25zz%20政绩")
    assert g.value(source_iri("c"), DCTERMS.source) is None
    labels = {str(o) for o in g.objects(None, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert {"干部实绩档案", "湖州市"} <= labels  # the document's other entities are there
    assert any(label.endswith("两本账") for label in labels)
    assert Literal("各地要将“潜绩+显绩”两本账统筹起来。", lang="zh") in set(g.objects())


# ---------------------------------------------------------------- 3. isolation in every executor


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name in ("a", "boom", "c"):
        (corpus / f"{name}.txt").write_text(f"{name}号文件。\n{GOOD}\n", encoding="utf-8")
    return corpus


@pytest.fixture
def boom(monkeypatch):
    """An extractor bug that strikes one document (the one that mentions 'boom')."""
    import zhengji_kg.pipeline.worker as worker

    real = worker.relate

    def relate(doc, rules):
        if "boom" in doc.text:
            raise ValueError("a bug met on strange input")
        return real(doc, rules)

    monkeypatch.setattr(worker, "relate", relate)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_document_that_fails_is_skipped_and_the_build_goes_on(tmp_path: Path, boom, jobs: str) -> None:
    res = _build([str(_corpus(tmp_path)), "-o", str(tmp_path / "out"), "--jobs", jobs, "--no-cache"])
    assert res.exit_code == EXIT_SKIPPED, res.output
    assert "skipped boom.txt: internal error while extracting (ValueError: a bug met on strange input)" in res.output
    assert "please report it" in res.output and "documents: 2 read, 1 skipped" in res.output
    g = Graph().parse(tmp_path / "out" / "graph.ttl")
    assert (source_iri("a"), None, None) in g and (source_iri("c"), None, None) in g
    assert (source_iri("boom"), None, None) not in g


def test_strict_still_turns_the_skip_into_a_failure(tmp_path: Path, boom) -> None:
    res = _build([str(_corpus(tmp_path)), "-o", str(tmp_path / "out"), "--jobs", "1", "--strict"])
    assert res.exit_code == 1 and "boom.txt: internal error" in res.output and "--strict" in res.output
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_a_document_that_fails_on_dask_is_skipped(tmp_path: Path, boom) -> None:
    distributed = pytest.importorskip("dask.distributed")
    from zhengji_kg import build

    # workers in this process (threads), so that they run the patched extractor
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        kg = build([_corpus(tmp_path)], executor="dask", scheduler=cluster)
    assert kg.report is not None
    assert [n for n, _ in kg.report.skipped] == ["boom.txt"] and kg.report.read == ["a.txt", "c.txt"]


def test_a_dask_task_that_raises_costs_its_file_only(tmp_path: Path, monkeypatch) -> None:
    distributed = pytest.importorskip("dask.distributed")
    import zhengji_kg.pipeline.distributed as dist
    from zhengji_kg import build

    real = dist.process_source

    def process_source(src, *args, **kwargs):
        if src.name == "boom.txt":
            raise MemoryError("a worker ran out of memory")
        return real(src, *args, **kwargs)

    monkeypatch.setattr(dist, "process_source", process_source)  # the task the client submits
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        kg = build([_corpus(tmp_path)], executor="dask", scheduler=cluster)
    assert kg.report is not None and kg.report.read == ["a.txt", "c.txt"]
    ((name, reason),) = kg.report.skipped
    assert name == "boom.txt" and "MemoryError: a worker ran out of memory" in reason


def test_a_document_whose_turtle_fails_is_skipped(tmp_path: Path, monkeypatch) -> None:
    import zhengji_kg.pipeline.worker as worker

    real = worker.document_turtle

    def document_turtle(doc, iris):
        if doc.id == "boom":
            raise KeyError("no such term")
        return real(doc, iris)

    monkeypatch.setattr(worker, "document_turtle", document_turtle)
    res = _build([str(_corpus(tmp_path)), "-o", str(tmp_path / "out"), "--jobs", "1", "--no-cache"])
    assert res.exit_code == EXIT_SKIPPED and "skipped boom.txt: internal error while extracting (KeyError" in res.output


# ---------------------------------------------------------------- 4. salvage, don't drop


@pytest.mark.parametrize("stray", [b"\x00", b"\x0b", b"\x1b", b"\x00\x00\x7f", b"\x0c"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_few_control_bytes_are_removed_with_a_note(stray: bytes, encoding: str) -> None:
    raw = GOOD.encode(encoding)
    cut = len("天津市和平区".encode(encoding))
    doc = parse_source(SourceFile("a.txt", raw[:cut] + stray + raw[cut:]))
    assert doc.text == GOOD
    assert any(n.startswith(f"removed {len(stray)} ") and "control" in n for n in doc.notes), doc.notes


def test_invisible_characters_are_removed_before_extraction(run) -> None:
    text = "天津市和平区建立容错\u200b纠错机制，\u202e推动\x85干部树立正确\ufeff政绩观。"
    doc = parse_source(SourceFile("a.txt", text.encode()))
    assert "容错纠错机制" in doc.text and "\u200b" not in doc.text and "\u202e" not in doc.text
    assert any(n.startswith("removed 3 invisible or control characters") for n in doc.notes)


def test_mostly_binary_is_still_binary() -> None:
    with pytest.raises(IngestError, match="binary data"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000))


def test_lines_in_two_encodings_are_read(tmp_path: Path) -> None:
    raw = "关于干部实绩档案的说明\n".encode() + GOOD.encode("gbk") + "\n浙江省湖州市推行干部实绩档案。\n".encode()
    decoded = decode_bytes(raw)
    assert GOOD in decoded.text and "浙江省湖州市" in decoded.text
    assert decoded.notes and "two encodings" in decoded.notes[0]


def test_a_nul_byte_file_builds_with_a_warning(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    text = "建立容错纠错机制，树立正确政绩观。\n"
    (corpus / "nul.txt").write_bytes("天津市和平区".encode() + b"\x00" + text.encode())
    res = _build([str(corpus), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "warning: nul.txt: removed 1 control byte (NUL ×1)" in res.output


# ---------------------------------------------------------------- 6. one build per output folder


_HOLD = textwrap.dedent(
    """
    import sys, time
    from zhengji_kg.base.output import OutputLock
    with OutputLock(sys.argv[1], verb=sys.argv[3]):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _holder(out: Path, seconds: float, verb: str = "build") -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out), str(seconds), verb], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_build_into_the_same_folder_says_who_holds_it(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    proc = _holder(tmp_path / "out", 60)
    try:
        res = subprocess.run(
            [sys.executable, "-m", "zhengji_kg", "build", str(corpus), "-o", str(tmp_path / "out"), "-q"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 1
        assert f"another build (pid {proc.pid}) is writing to {tmp_path / 'out'}" in res.stderr
        assert not (tmp_path / "out" / "graph.ttl").exists()
        # another folder builds side by side
        other = _build([str(corpus), "-o", str(tmp_path / "other")])
        assert other.exit_code == 0, other.output
    finally:
        proc.kill()
        proc.wait()
    # the lock went with the process that was killed
    assert _build([str(corpus), "-o", str(tmp_path / "out")]).exit_code == 0


def test_wait_waits_for_the_other_build(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    proc = _holder(tmp_path / "out", 3)
    t = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "zhengji_kg", "build", str(corpus), "-o", str(tmp_path / "out"), "-q", "--wait"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    proc.wait()
    assert res.returncode == 0, res.stderr
    assert f"waiting for the build (pid {proc.pid})" in res.stderr and time.monotonic() - t >= 2


def _export(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zhengji_kg", "export", *args], capture_output=True, text=True, timeout=120
    )


def test_export_takes_the_build_folders_lock(tmp_path: Path) -> None:
    """An export writes into a build folder as a build does: one writer at a time, --wait to queue."""
    out = tmp_path / "out"
    assert _build([str(_corpus(tmp_path)), "-o", str(out)]).exit_code == 0
    proc = _holder(out, 60)
    try:
        res = _export(["--to", "gexf", "--graph", str(out)])
        assert res.returncode == 1 and f"another build (pid {proc.pid}) is writing to {out}" in res.stderr
        assert not (out / "graph.gexf").exists()
        # written elsewhere (no build there), the export needs no lock
        res = _export(["--to", "gexf", "--graph", str(out), "-o", str(tmp_path / "elsewhere.gexf")])
        assert res.returncode == 0, res.stderr
    finally:
        proc.kill()
        proc.wait()
    proc = _holder(out, 3)
    t = time.monotonic()
    res = _export(["--to", "graphml", "--graph", str(out), "--wait"])
    proc.wait()
    assert res.returncode == 0, res.stderr
    assert f"waiting for the build (pid {proc.pid})" in res.stderr and time.monotonic() - t >= 2
    assert (out / "graph.graphml").is_file()


def test_a_build_says_an_export_holds_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _holder(out, 60, verb="export")
    try:
        res = subprocess.run(
            [sys.executable, "-m", "zhengji_kg", "build", str(_corpus(tmp_path)), "-o", str(out), "-q"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 1 and f"an export (pid {proc.pid}) is writing to {out}" in res.stderr
    finally:
        proc.kill()
        proc.wait()


def test_two_builds_started_together_never_both_write(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    cmd = [sys.executable, "-m", "zhengji_kg", "build", str(corpus), "-o", str(tmp_path / "out"), "-q", "--no-cache"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs if p.stderr is not None]
    codes = sorted(code for code, _ in results)
    # either the second came while the first held the folder, or after it had finished
    assert codes in ([0, 0], [0, 1]), results
    if codes == [0, 1]:
        assert any("is writing to" in err for _, err in results)


def test_a_worker_forked_under_the_lock_does_not_keep_it(tmp_path: Path) -> None:
    with OutputLock(tmp_path):
        pid = os.fork()
        if pid == 0:  # a child that outlives the lock's holder (never back into pytest: os._exit on every path)
            try:
                time.sleep(3)
            finally:
                os._exit(0)
    time.sleep(0.5)  # the child closes its copy as it starts (os.register_at_fork)
    try:
        with OutputLock(tmp_path):  # released although the child still runs
            pass
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with OutputLock(tmp_path), pytest.raises(OutputLocked):
        # the same process opening it again is another open file: refused too
        OutputLock(tmp_path).__enter__()
