"""Parallel, cached, Dask and single-process builds write the same graph; the cache re-extracts only
what changed; the streamed Turtle is the graph of the in-memory API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main
from zhengji_kg.pipeline import build
from zhengji_kg.rdf import canonical_ntriples, sorted_ntriples

ROOT = Path(__file__).resolve().parent.parent


def _build(args: list[str]) -> str:
    res = CliRunner().invoke(main, ["build", *args, "-q"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
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
    assert "extracted: 14 (no cache)" in out
    assert (tmp_path / "graph.ttl").read_bytes() == single.read_bytes()


def test_cached_rebuild_is_identical_and_extracts_only_changes(corpus, single, tmp_path) -> None:
    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    assert "extracted: 14 (cache: 0 unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert "extracted: 0 (cache: 14 unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
    assert canonical_ntriples(out / "graph.ttl") == canonical_ntriples(single)
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()
    # one document changed, one added: only those two are extracted again
    doc = work / "a" / "02-heping-district.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n和平区还建立了干部实绩档案。\n", encoding="utf-8")
    (work / "b" / "08-new.txt").write_text("新县建立容错纠错机制，树立正确政绩观。", encoding="utf-8")
    out2 = _build([str(work), "-o", str(out)])
    assert "extracted: 2 (cache: 13 unchanged)" in out2
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()
    # a changed lexicon (rules digest) re-extracts everything
    lex = tmp_path / "extra.yaml"
    lex.write_text("concepts:\n  - label: 新测试概念\n", encoding="utf-8")
    assert "extracted: 15 (cache: 0 unchanged)" in _build([str(work), "-o", str(out), "--lexicon", str(lex)])


def test_streamed_turtle_equals_in_memory_graph(corpus, single, rules) -> None:
    kg = build([corpus], rules)
    assert sorted_ntriples(kg.rdf()) == canonical_ntriples(single)


def test_damaged_cache_is_replaced_with_a_warning(corpus, tmp_path) -> None:
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "extract.sqlite").write_bytes(b"not a database at all" * 100)
    res = CliRunner().invoke(main, ["build", str(corpus / "a"), "-o", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    assert "extracted: 7" in res.output


def test_dask_build_is_identical(corpus, single, tmp_path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        out = _build([str(corpus), "-o", str(tmp_path), "--executor", "dask", "--scheduler", cluster.scheduler_address])
    assert "extracted: 14" in out
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
    assert "extracted: 1 (cache: 13 unchanged)" in _build([str(work), "-o", str(out), "-j", "2"])
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
    assert "extracted: 1 (cache: 13 unchanged)" in _build([str(work), "-o", str(out)])
    fresh = tmp_path / "fresh"
    _build([str(work), "-o", str(fresh), "--no-cache"])
    assert (out / "graph.ttl").read_bytes() == (fresh / "graph.ttl").read_bytes()


def test_a_damaged_cache_entry_is_extracted_again(corpus, single, tmp_path) -> None:
    import sqlite3

    out = tmp_path / "out"
    _build([str(corpus), "-o", str(out), "-j", "2"])
    db = sqlite3.connect(out / ".cache" / "extract.sqlite")
    with db:
        db.execute("UPDATE result SET value = x'00ff' WHERE rowid = (SELECT min(rowid) FROM result)")
    db.close()
    assert "extracted: 1 (cache: 13 unchanged)" in _build([str(corpus), "-o", str(out), "-j", "2"])
    assert (out / "graph.ttl").read_bytes() == single.read_bytes()
