"""A hostile corpus — every kind of broken or malicious input a scraped corpus holds — and interrupted
builds: each bad file is reported by name with its reason, the good ones are built, and an interrupted
or failing build leaves the previous output and the cache as they were."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import EXIT_INTERRUPTED, EXIT_SKIPPED, main
from zhengji_kg.kg.rdf import canonical_ntriples

ROOT = Path(__file__).resolve().parent.parent
GOOD = "天津市和平区建立容错纠错机制，坚持“三个区分开来”，推动干部树立正确政绩观。"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def make_hostile_corpus(root: Path) -> tuple[dict[str, str], list[str]]:
    """Write the hostile corpus; return {bad file: expected reason} and the good files' names."""
    root.mkdir(parents=True, exist_ok=True)
    bad: dict[str, str] = {}
    good: list[str] = []

    def put(name: str, data: bytes, reason: str | None) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        if reason is None:
            good.append(name)
        else:
            bad[name] = reason

    put("empty.txt", b"", "empty file")
    put("blank.txt", b"  \n\t\r\n   \n", "empty file")
    put("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000), "binary data")
    put("english.txt", b"Cadre evaluation notice. Nothing in Chinese here at all.\n" * 20, "no Chinese text")
    put("corrupt.docx", b"PK\x03\x04 this is not really a zip archive" + os.urandom(500), "not a readable .docx")
    with zipfile.ZipFile(root / "notword.docx", "w") as z:  # a real zip, but no Word document inside
        z.writestr("hello.txt", "不是文档")
    bad["notword.docx"] = "not a readable .docx"
    # an enormous single file (sparse: no disk is used) is refused by size before it is read
    with open(root / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    bad["huge.txt"] = "larger than the 20 MB limit"
    os.symlink(root / "no-such-file.txt", root / "dangling.txt")
    bad["dangling.txt"] = "cannot read file"
    os.symlink(root, root / "loop")  # folder links back up the tree: never followed
    (root / "sub").mkdir()
    os.symlink(root, root / "sub" / "up")
    if not IS_ROOT:
        put("secret.txt", GOOD.encode(), "cannot read file")
        os.chmod(root / "secret.txt", 0)

    # good files in every encoding, with awkward names
    put("utf8 with spaces.txt", GOOD.encode("utf-8"), None)
    put("政绩观 通知.txt", ("关于印发通知\n" + GOOD).encode("utf-8"), None)
    put("gbk.txt", ("安吉县建立干部实绩档案，践行正确政绩观。" * 3).encode("gbk"), None)
    put("big5.txt", "臺北市建立容錯糾錯機制，樹立正確政績觀。".encode("big5"), None)
    put("utf16.txt", ("沈阳市和平区建立离任交接机制。" * 2).encode("utf-16"), None)
    put("utf16le-nobom.txt", ("南京市鼓楼区推行干部实绩档案制度。" * 4).encode("utf-16-le"), None)
    put("truncated.txt", ("成都市建立调研成果转化运用清单，" * 5).encode("utf-8")[:-1], None)
    # one enormous line with no punctuation at all
    put("longline.txt", ("干部实绩档案容错纠错机制正确政绩观显绩潜绩" * 5000).encode("utf-8"), None)
    put(
        "hostile.html",
        (
            "<html><head><title>&lt;script&gt;window.__pwned=1&lt;/script&gt;政绩观</title>"
            "<script>window.__pwned=2</script></head><body>"
            "<h1>&lt;img src=x onerror=window.__pwned=3&gt;干部考核</h1>"
            "<p>XX县推行“&lt;img src=x onerror=window.__pwned=4&gt;”干部实绩档案。</p>"
            '<p><a href="javascript:window.__pwned=5">点击</a>天津市和平区探索建立容错备案机制。</p>'
            '<img src=x onerror="window.__pwned=6"><p>&amp;lt;b&amp;gt; 与 &#x3C;i&#x3E; 都是文字。</p>'
            "<style>body{display:none}</style></body></html>"
        ).encode(),
        None,
    )
    put("sub/nested.md", ("# 标题\n\n" + GOOD).encode("utf-8"), None)
    return bad, good


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, dict[str, str], list[str]]:
    root = tmp_path_factory.mktemp("hostile") / "corpus"
    bad, good = make_hostile_corpus(root)
    return root, bad, good


@pytest.fixture(scope="module")
def hostile_build(hostile, tmp_path_factory):
    root, _bad, _good = hostile
    out = tmp_path_factory.mktemp("hostile-out")
    res = CliRunner().invoke(main, ["build", str(root), "-o", str(out), "-q", "-j", "2"])
    return res, out


def test_every_bad_file_reported_by_name_and_rest_built(hostile, hostile_build) -> None:
    _root, bad, good = hostile
    res, out = hostile_build
    assert res.exit_code == EXIT_SKIPPED, res.output
    for name, reason in bad.items():
        line = next((ln for ln in res.output.splitlines() if ln.startswith(f"skipped {name}:")), None)
        assert line is not None, f"{name} not reported:\n{res.output}"
        assert reason in line, line
    assert f"documents: {len(good)} read, {len(bad)} skipped" in res.output
    nt = canonical_ntriples(out / "graph.ttl")
    for name in good:
        doc_id = name.rsplit(".", 1)[0]
        assert f'"{doc_id}"' in nt, f"{name} missing from the graph"
    # content of every encoding arrived as text
    for label in ("干部实绩档案", "容错纠错机制", "离任交接机制", "沈阳市和平区", "南京市鼓楼区", "成都市"):
        assert f'"{label}"@zh' in nt, label
    assert "loop" not in res.output  # the folder links were not followed, not even into a report
    assert not list(out.glob(".*.tmp"))


def test_strict_fails_on_first_bad_file_and_writes_nothing(hostile, tmp_path) -> None:
    root, _bad, _good = hostile
    res = CliRunner().invoke(main, ["build", str(root), "-o", str(tmp_path / "out"), "--strict", "-q"])
    assert res.exit_code == 1
    assert "(--strict; nothing written)" in res.output
    assert "binary.txt: binary data" in res.output  # the first bad file in corpus order
    assert not (tmp_path / "out" / "graph.ttl").exists()


def test_hostile_page_runs_no_injected_script(hostile_build, browser, open_page) -> None:
    """The page built from the hostile corpus, in headless Chromium: no injected script ran, no injected
    element exists, and only http(s) URLs became links."""
    _res, out = hostile_build
    page, errors = open_page(browser, out / "graph.html")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # search for every node, which opens its panel: every label, title and sentence gets rendered
    labels = page.evaluate("[...document.querySelectorAll('#labels option')].map(o => o.value)")
    assert "干部实绩档案" in labels
    for label in labels:
        page.fill("#search", label)
        page.dispatch_event("#search", "change")
    page.fill("#search", "干部实绩档案")
    page.dispatch_event("#search", "change")
    # the hostile document's title, markup and all, is on the page as text
    assert "<img src=x onerror=window.__pwned=3>干部考核" in page.inner_text("body")
    assert page.evaluate("window.__pwned === undefined")
    assert dialogs == []
    assert errors == []
    assert page.query_selector("img") is None
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert all(h.startswith(("http://", "https://", "#")) for h in hrefs), hrefs
    assert page.evaluate("document.scripts.length") == 2  # vis-network and the page's own script


def _build_cmd(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "zhengji_kg", "build", str(corpus), "-o", str(out), "-q", *extra]


@pytest.fixture(scope="module")
def slow_corpus(tmp_path_factory) -> Path:
    """Enough documents that a build takes a few seconds: the demo corpus thirty times."""
    import shutil

    root = tmp_path_factory.mktemp("slow") / "corpus"
    for i in range(30):
        shutil.copytree(ROOT / "corpus", root / f"copy{i:02d}")
    return root


def _previous(out: Path, corpus: Path) -> bytes:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(_build_cmd(corpus, out, "--no-cache"), check=True, capture_output=True)
    return (out / "graph.ttl").read_bytes()


def test_ctrl_c_leaves_previous_output_and_a_consistent_cache(slow_corpus, tmp_path) -> None:
    out = tmp_path / "out"
    before = _previous(out, ROOT / "corpus")
    html_before = (out / "graph.html").read_bytes()
    proc = subprocess.Popen(
        _build_cmd(slow_corpus, out, "-j", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # Ctrl-C as a terminal's command has it, even when this test run was started in the background
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # wait until the build is writing (its temporary graph file exists), then give the workers a moment
    deadline = time.monotonic() + 120
    while not list(out.glob(".graph.ttl.*.tmp")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert b"interrupted: nothing written" in stderr
    assert (out / "graph.ttl").read_bytes() == before
    assert (out / "graph.html").read_bytes() == html_before
    assert not list(out.glob(".*.tmp"))
    db = sqlite3.connect(out / ".cache" / "extract.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    # the next build uses what the cache holds and gives exactly the graph of a fresh build
    done = subprocess.run(_build_cmd(slow_corpus, out, "-j", "2"), capture_output=True, text=True, check=True)
    fresh = tmp_path / "fresh"
    subprocess.run(_build_cmd(slow_corpus, fresh, "--no-cache"), capture_output=True, check=True)
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes(), done.stdout


def test_worker_crash_costs_only_its_file(monkeypatch, tmp_path) -> None:
    import zhengji_kg.pipeline.worker as worker

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"d{i}.txt").write_text(f"第{i}号。{GOOD}", encoding="utf-8")
    (corpus / "crash.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    real = worker.parse_source

    def dies_on_crash_txt(src):
        if src.name == "crash.txt":
            os._exit(1)  # a worker killed outright (out of memory, a segfault in a C extension)
        return real(src)

    # workers are forked from this process, so they run the patched parser
    monkeypatch.setattr(worker, "parse_source", dies_on_crash_txt)
    res = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out), "-q", "-j", "2", "--no-cache"])
    assert res.exit_code == EXIT_SKIPPED, res.output
    assert "skipped crash.txt: its worker process died while extracting it (exit code 1)" in res.output
    assert "documents: 6 read, 1 skipped" in res.output
    ttl = (out / "graph.ttl").read_text(encoding="utf-8")
    assert all(f'"d{i}"' in ttl for i in range(6)) and '"crash"' not in ttl
    assert not list(out.glob(".*.tmp"))


def test_full_disk_leaves_previous_output(monkeypatch, tmp_path) -> None:
    import zhengji_kg.base.output as output

    out = tmp_path / "out"
    before = _previous(out, ROOT / "corpus")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output.os, "fsync", full)
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--no-cache"])
    assert res.exit_code == 1, res.output
    assert "No space left on device" in res.output and "nothing written" in res.output
    assert (out / "graph.ttl").read_bytes() == before
    assert not list(out.glob(".*.tmp"))


def test_rebuild_into_existing_folder_replaces_it_cleanly(tmp_path) -> None:
    out = tmp_path / "out"
    _previous(out, ROOT / "corpus")
    assert CliRunner().invoke(main, ["export", "--graph", str(out), "--to", "gexf"]).exit_code == 0
    assert CliRunner().invoke(main, ["export", "--graph", str(out), "--to", "neo4j"]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "only.txt").write_text(GOOD, encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(other), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert "removed exports of the previous graph: graph.gexf, neo4j/" in res.output
    nt = canonical_ntriples(out / "graph.ttl")
    assert '"only"' in nt and "01-anji-county" not in nt
    assert sorted(p.name for p in out.iterdir()) == [".build.lock", ".cache", "graph.html", "graph.ttl"]


def test_file_order_and_jobs_do_not_change_the_graph(tmp_path) -> None:
    """The same files created in opposite orders (so directory listings differ), built with 1 and 2 jobs."""
    import shutil

    names = sorted(p.name for p in (ROOT / "corpus").iterdir())
    a, b = tmp_path / "a" / "corpus", tmp_path / "b" / "corpus"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    for n in names:
        shutil.copy2(ROOT / "corpus" / n, a / n)
    for n in reversed(names):
        shutil.copy2(ROOT / "corpus" / n, b / n)
    subprocess.run(_build_cmd(a, tmp_path / "oa", "-j", "1"), check=True, capture_output=True)
    subprocess.run(_build_cmd(b, tmp_path / "ob", "-j", "2"), check=True, capture_output=True)
    assert (tmp_path / "oa" / "graph.ttl").read_bytes() == (tmp_path / "ob" / "graph.ttl").read_bytes()


def test_build_process_ends_fast_with_its_code_its_output_and_its_files(tmp_path) -> None:
    """After a build the process leaves without the interpreter's teardown (``cli.run``): its exit code
    (0, or 3 with a skipped file), every line it printed and every file it wrote must still be there —
    and a failed build or another command still ends the ordinary way, with its message."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(_build_cmd(corpus, out, "-j", "2"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1].startswith("page:")
    assert canonical_ntriples(out / "graph.ttl") and (out / "graph.html").stat().st_size
    assert not list(out.glob(".*.tmp")) and not list((out / ".cache").glob("*-wal"))  # cache closed, log merged
    (corpus / "bad.docx").write_bytes(b"not a zip")
    skipped = subprocess.run(_build_cmd(corpus, out), capture_output=True, text=True)
    assert skipped.returncode == 3 and "skipped bad.docx" in skipped.stderr
    assert skipped.stdout.rstrip().splitlines()[-1].startswith("page:")
    failed = subprocess.run(_build_cmd(corpus, out, "--strict"), capture_output=True, text=True)
    assert failed.returncode == 1 and "bad.docx" in failed.stderr
    other = subprocess.run(
        [sys.executable, "-m", "zhengji_kg", "query", "--graph", str(out), "ASK {}"], capture_output=True
    )
    assert other.returncode == 0
