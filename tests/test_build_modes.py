"""Parallel, cached, Dask and single-process builds write the same graph; the cache re-extracts only
what changed; the streamed Turtle is the graph of the in-memory API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main
from zhengji_kg.kg.rdf import canonical_ntriples, sorted_ntriples
from zhengji_kg.pipeline.corpus import build

from .conftest import DEMO  # the corpus below holds the demo corpus twice

ROOT = Path(__file__).resolve().parent.parent


def _build(args: list[str], exit_code: int = 0) -> str:
    res = CliRunner().invoke(main, ["build", *args, "-q"], catch_exceptions=False)
    assert res.exit_code == exit_code, res.output
    return res.output


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The demo corpus twice over (two folders), so that a pool of workers has something to share."""
    root = tmp_path_factory.mktemp("corpus")
    for sub in ("a", "b"):
        shutil.copytree(ROOT / "corpus", root / sub)
    return root


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    _build([str(corpus), "-o", str(out), "--jobs", "1", "--no-cache"])
    return out / "graph.ttl"


def test_parallel_build_is_byte_identical(corpus, single, tmp_path) -> None:
    out = _build([str(corpus), "-o", str(tmp_path), "--jobs", "2", "--no-cache"])
    assert f"extracted: {2 * DEMO} (no cache)" in out
    assert (tmp_path / "graph.ttl").read_bytes() == single.read_bytes()


def test_cached_rebuild_is_identical_and_extracts_only_changes(corpus, single, tmp_path) -> None:
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    assert f"extracted: {2 * DEMO} (cache: 0 unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert canonical_ntriples(out / "graph.ttl") == canonical_ntriples(single)
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()
    # one document changed, one added: only those two are extracted again
    doc = work / "a" / "02-heping-district.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n和平区还建立了干部实绩档案。\n", encoding="utf-8")
    (work / "b" / "08-new.txt").write_text("新县建立容错纠错机制，树立正确政绩观。", encoding="utf-8")
    out2 = _build([str(work), "-o", str(out)])
    assert f"extracted: 2 (cache: {2 * DEMO - 1} unchanged)" in out2
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()
    # a changed lexicon (rules digest) re-extracts everything
    lex = tmp_path / "extra.yaml"
    lex.write_text("concepts:\n  - label: 新测试概念\n", encoding="utf-8")
    out3 = _build([str(work), "-o", str(out), "--lexicon", str(lex)])
    assert f"extracted: {2 * DEMO + 1} (cache: 0 unchanged)" in out3


def test_streamed_turtle_equals_in_memory_graph(corpus, single, rules) -> None:
    kg = build([corpus], rules)
    assert sorted_ntriples(kg.rdf()) == canonical_ntriples(single)


def test_damaged_cache_is_replaced_with_a_warning(corpus, tmp_path) -> None:
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "extract.sqlite").write_bytes(b"not a database at all" * 100)
    res = CliRunner().invoke(main, ["build", str(corpus / "a"), "-o", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    assert f"extracted: {DEMO}" in res.output


# The cluster and the build run in a process of their own: a LocalCluster leaves the threads of its event
# loop behind in the process that started it, closing its sockets and pipes when they get to it — in a test
# process, that was while later tests' builds ran (the one failure of test_runs_are_taken_whole_from_the_cache
# in ~10 full runs: EBADF when its build released its output lock, the lock's descriptor closed under it).
_DASK_BUILD = """
import sys
from dask import distributed
from zhengji_kg.cli import main

corpus, out = sys.argv[1:]
with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
    main(["build", corpus, "-o", out, "--executor", "dask", "--scheduler", cluster.scheduler_address, "-q"],
         standalone_mode=False)
"""


def test_dask_build_is_identical(corpus, single, tmp_path) -> None:
    import subprocess
    import sys

    pytest.importorskip("dask.distributed")
    res = subprocess.run(
        [sys.executable, "-c", _DASK_BUILD, str(corpus), str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert f"extracted: {2 * DEMO}" in res.stdout
    assert (tmp_path / "graph.ttl").read_bytes() == single.read_bytes()


def test_scheduler_without_dask_executor_is_a_usage_error(corpus, tmp_path) -> None:
    res = CliRunner().invoke(main, ["build", str(corpus), "-o", str(tmp_path), "--scheduler", "tcp://x:1"])
    assert res.exit_code == 2
    assert "--scheduler needs --executor dask" in res.output


def _change(work: Path) -> None:
    doc = work / "a" / "02-heping-district.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n和平区还建立了干部实绩档案。\n", encoding="utf-8")


def test_incremental_with_workers_when_the_previous_file_was_touched(corpus, tmp_path) -> None:
    """The unchanged documents' Turtle is copied from the previous graph.ttl only while that file is the
    one the last build wrote: edited by hand, it is rebuilt from the cache, and the result is the same."""
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    _build([str(work), "-o", str(out), "-j", "2"])
    _change(work)
    with open(out / "graph.ttl", "ab") as fh:
        fh.write(b"# edited by hand\n")
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache", "-j", "1"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()


def test_incremental_without_copy_file_range(corpus, tmp_path, monkeypatch) -> None:
    """Where the kernel cannot copy between files, the previous file's parts are read and written."""
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    _build([str(work), "-o", str(out)])
    _change(work)
    monkeypatch.delattr("os.copy_file_range", raising=False)
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(work), "-o", str(out)])
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()


def test_a_damaged_cache_entry_is_extracted_again(corpus, single, tmp_path) -> None:
    import sqlite3

    out = tmp_path / "out"
    _build([str(corpus), "-o", str(out), "-j", "2"])
    db = sqlite3.connect(out / ".cache" / "extract.sqlite")
    with db:  # (the runs' merged states go too, or the damaged entry would not even be read)
        db.execute("UPDATE result SET value = x'00ff' WHERE rowid = (SELECT min(rowid) FROM result)")
        db.execute("DELETE FROM runs")
    db.close()
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(corpus), "-o", str(out), "-j", "2"])
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()


@pytest.fixture
def short_runs(monkeypatch):
    """Runs of three documents, so that the corpus has several (a real one cuts about every 64, where a
    key's hash says: in a corpus this small that could be anywhere)."""
    from zhengji_kg.pipeline import corpus as pipeline

    monkeypatch.setattr(pipeline, "RUN_DOCS", 2**40)
    monkeypatch.setattr(pipeline, "MAX_RUN_DOCS", 3)


def _calls(monkeypatch, owner, name: str, note) -> list:
    """Wrap ``owner.name`` so that every call appends ``note(*args)`` to the list returned."""
    seen: list = []
    real = getattr(owner, name)

    def counting(*args):
        seen.append(note(*args))
        return real(*args)

    monkeypatch.setattr(owner, name, counting)
    return seen


def _built_copy(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of ``corpus`` (to be changed by the test) and the output of one build of it, with its cache."""
    work, out = tmp_path / "corpus", tmp_path / "out"
    shutil.copytree(corpus, work)
    _build([str(work), "-o", str(out), "-j", "2"])
    return work, out


def _count_loads(monkeypatch) -> list[str]:
    """The keys of the results loaded from the cache, as builds run."""
    from zhengji_kg.pipeline.cache import ExtractionCache

    return _calls(monkeypatch, ExtractionCache, "load", lambda self, key, row: key)


def test_runs_are_taken_whole_from_the_cache(corpus, single, tmp_path, monkeypatch, short_runs) -> None:
    """A rebuild merges the runs of unchanged documents as wholes — it loads no document's result — and
    after one change loads only the documents of that run; the graph is the same as a fresh build's."""
    work, out = _built_copy(corpus, tmp_path)
    loads = _count_loads(monkeypatch)
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert len(loads) == 0
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()
    _change(work)
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert 0 < len(loads) < 13
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()


def test_a_document_that_fails_inside_a_run(corpus, tmp_path, monkeypatch, short_runs) -> None:
    """A file that cannot be read is skipped wherever it falls; its run is merged without it (and not
    kept whole), and rebuilds give the graph of a fresh build."""
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    for name in ("a/03-bad.txt", "b/05-bad.txt"):
        (work / name).write_bytes(b"   \n")
    out = tmp_path / "out"
    fresh = tmp_path / "fresh"
    first = _build([str(work), "-o", str(out), "-j", "2"], exit_code=3)  # 3: built, with files skipped
    assert "skipped a/03-bad.txt: empty file" in first
    _build([str(work), "-o", str(fresh), "--no-cache"], exit_code=3)
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(work), "-o", str(out)], exit_code=3)
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()


def test_a_damaged_run_is_merged_from_its_documents(corpus, single, tmp_path, monkeypatch, short_runs) -> None:
    import sqlite3

    out = tmp_path / "out"
    _build([str(corpus), "-o", str(out)])
    db = sqlite3.connect(out / ".cache" / "extract.sqlite")
    with db:
        assert db.execute("UPDATE runs SET value = x'00ff'").rowcount == -(-2 * DEMO // 3)  # runs of three
    db.close()
    loads = _count_loads(monkeypatch)
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(corpus), "-o", str(out)])
    assert len(loads) == 2 * DEMO
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()


def test_feeder_with_a_cache_starts_one_worker_at_once_and_the_rest_when_read(rules) -> None:
    """With a cache the first file to extract goes to a worker at once (a one-document rebuild has it
    extracted while the corpus is still read); the others wait for ``start``, which adds only the
    workers still wanted. Results come back whole and in any order asked."""
    from zhengji_kg.ingest import SourceFile
    from zhengji_kg.pipeline.pool import Feeder as _Feeder

    files = [SourceFile(f"d{i}.txt", f"第{i}县建立容错纠错机制，树立正确政绩观。".encode()) for i in range(5)]
    feeder = _Feeder(rules, jobs=3, turtle=True, keep_text=False, hold=True)
    try:
        handles = [feeder.add(files[0])]
        assert feeder._turns == [0]  # one pool of one worker, started at the first file
        handles += [feeder.add(f) for f in files[1:]]
        assert len(feeder.pools) == 1  # the rest waits for the corpus to be read
        feeder.start()
        assert feeder._turns == [0, 1, 1]  # a second pool of two: three workers, as --jobs asks
        results = [feeder.take(h) for h in reversed(handles)]
    finally:
        feeder.close()
    assert [r.name for r in results] == [f.name for f in reversed(files)]
    assert all(not r.error and r.part and r.turtle for r in results)


def test_a_prestarted_worker_takes_the_first_file_and_is_not_waited_for_when_unused(rules, monkeypatch) -> None:
    """A rebuild over a cache starts one worker before it lists the corpus: the first changed file goes to
    that worker at once; if no file changed, the build does not wait for the worker to finish starting,
    and ends it."""
    import time

    from zhengji_kg.ingest import SourceFile
    from zhengji_kg.pipeline import pool

    feeder = pool.Feeder(rules, jobs=2, turtle=True, keep_text=False, hold=True)
    try:
        feeder.prestart()
        assert feeder._turns == [0]
        handle = feeder.add(SourceFile("one.txt", "建立干部实绩档案。".encode()))
        assert len(feeder._futures) == 1 and len(feeder.pools) == 1  # sent to the started worker, now
        feeder.start()
        assert feeder._turns == [0]  # one file: no other worker
        assert feeder.take(handle).part
    finally:
        feeder.close()

    def slow_start(rules, parent=None) -> None:  # a worker that takes long to start (forked: it runs this)
        from zhengji_kg.base.children import worker_started

        worker_started()  # as _init_worker does first: its signals its own
        time.sleep(30)

    monkeypatch.setattr(pool, "_init_worker", slow_start)
    unused = pool.Feeder(rules, jobs=2, turtle=True, keep_text=False, hold=True)
    unused.prestart()
    [pool] = unused.pools
    starting = list(pool._processes.values())
    t = time.perf_counter()
    unused.close()
    assert time.perf_counter() - t < 10  # not the 30 s of the worker's start
    assert not any(p.is_alive() for p in starting)  # ended, not left to finish starting (issue 27)


def test_feeder_with_a_cache_and_one_file_starts_one_worker(rules) -> None:
    from zhengji_kg.ingest import SourceFile
    from zhengji_kg.pipeline.pool import Feeder as _Feeder

    feeder = _Feeder(rules, jobs=4, turtle=True, keep_text=False, hold=True)
    try:
        handle = feeder.add(SourceFile("one.txt", "建立干部实绩档案。".encode()))
        feeder.start()
        assert feeder._turns == [0]
        assert not feeder.take(handle).error
    finally:
        feeder.close()


@pytest.fixture
def settled(monkeypatch):
    """Every file counts as settled, its stamp noted however recently it was written (a test's files are
    a second old; a real corpus's are not)."""
    from zhengji_kg.pipeline import corpus as pipeline

    monkeypatch.setattr(pipeline, "RACY_NS", -(10**15))


def _count_reads(monkeypatch) -> list[str]:
    """The names of the corpus files read, as builds run."""
    from zhengji_kg.pipeline import corpus as pipeline

    return _calls(monkeypatch, pipeline, "load_source", lambda path, root: path.name)


def test_unchanged_files_are_not_read_again(corpus, single, tmp_path, monkeypatch, settled) -> None:
    """A file whose size, times and inode (and its sidecar's) are as a build noted them is known by its
    stamp; any change — even one that keeps size and modification time — has it read again."""
    import os

    work, out = _built_copy(corpus, tmp_path)
    reads = _count_reads(monkeypatch)
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert reads == []
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()
    # other bytes, same size, modification time set back: the change time still moves
    doc = work / "a" / "07-web-copy.txt"
    before = doc.stat()
    data = doc.read_bytes()
    assert "。".encode() in data
    doc.write_bytes(data.replace("。".encode(), "，".encode(), 1))
    os.utime(doc, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (doc.stat().st_size, doc.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert reads == ["07-web-copy.txt"]
    # a sidecar appears beside a document: that document is read again
    reads.clear()
    (work / "b" / "02-heping-district.meta.yaml").write_text("title: 和平区的新标题\n", encoding="utf-8")
    assert f"extracted: 1 (cache: {2 * DEMO - 1} unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert reads == ["02-heping-district.md"]
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()
    assert "和平区的新标题" in (out / "graph.ttl").read_text(encoding="utf-8")
    # other rules: every file is read (and extracted) again
    reads.clear()
    lex = tmp_path / "extra.yaml"
    lex.write_text("concepts:\n  - label: 新测试概念\n", encoding="utf-8")
    assert f"extracted: {2 * DEMO} (cache: 0 unchanged)" in _build([str(work), "-o", str(out), "--lexicon", str(lex)])
    assert len(reads) == 2 * DEMO


def test_files_changed_just_before_a_build_are_read_by_the_next(corpus, tmp_path, monkeypatch) -> None:
    """A file written within RACY_NS of a build could change again within the same tick of its clock
    unseen: its stamp is not noted, and the next build reads it."""
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)  # (copies keep modification times, but their change time is now)
    out = tmp_path / "out"
    _build([str(work), "-o", str(out)])
    reads = _count_reads(monkeypatch)
    assert f"extracted: 0 (cache: {2 * DEMO} unchanged)" in _build([str(work), "-o", str(out)])
    assert len(reads) == 2 * DEMO


@pytest.mark.parametrize("cached", [False, True])
def test_on_tail_comes_once_before_the_model_is_merged(corpus, tmp_path, rules, cached) -> None:
    """``build_to(on_tail=…)`` is called once, when a fiftieth of the files to extract are left (at once in a
    rebuild where nothing changed), and before ``on_merged``."""
    from zhengji_kg.pipeline.cache import ExtractionCache
    from zhengji_kg.pipeline.corpus import build_to

    calls: list[tuple[str, int]] = []

    def progress(i: int, n: int, name: str) -> None:
        calls.append(("doc", i))

    if cached:
        _build([str(corpus), "-o", str(tmp_path)])
    store = ExtractionCache(tmp_path / ".cache" / "extract.sqlite")
    try:
        _kg, ttl = build_to(
            [corpus],
            tmp_path / "graph.ttl",
            rules,
            jobs=2,
            cache=store,
            progress=progress,
            on_tail=lambda: calls.append(("tail", 0)),
            on_merged=lambda kg: calls.append(("merged", 0)),
        )
        ttl.discard()
    finally:
        store.close()
    names = [c[0] for c in calls]
    assert names.count("tail") == 1 and names.count("merged") == 1 and names[-1] == "merged"
    docs = names.count("doc")
    before = names.index("tail")  # documents taken before it
    assert before == 0 if cached else docs - docs // 50 - 1 <= before < docs


def test_a_copy_that_fails_in_the_background_fails_the_build_and_keeps_the_old_graph(
    corpus, tmp_path, monkeypatch
) -> None:
    """The unchanged documents' parts are copied in a thread while the model is merged; a copy that fails
    there fails the build as any write does: the previous graph stays, no temporary file is left."""
    import threading

    import zhengji_kg.pipeline.writer as writer

    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    _build([str(work), "-o", str(out)])
    before = (out / "graph.ttl").read_bytes()
    _change(work)
    copied = []
    real_copy = writer.copy_range

    def failing_copy(src, dst, offset: int, length: int) -> None:
        if threading.current_thread() is threading.main_thread():
            return real_copy(src, dst, offset, length)  # the runs before the changed document
        copied.append(length)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "copy_range", failing_copy)
    res = CliRunner().invoke(main, ["build", str(work), "-o", str(out), "-q"])
    assert res.exit_code != 0 and copied
    assert "No space left on device" in res.output + str(res.exception)
    assert (out / "graph.ttl").read_bytes() == before
    assert not list(out.glob(".graph.ttl.*.tmp"))
