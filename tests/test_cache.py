"""The extraction cache: what a build looks up, loads, marks as used and prunes."""

from __future__ import annotations

import time

from zhengji_kg.pipeline.cache import KEEP_SECONDS, TOUCH_SECONDS, ExtractionCache
from zhengji_kg.pipeline.worker import DocResult


def _put(path, key: str, used: float) -> None:
    cache = ExtractionCache(path)
    cache.put(key, DocResult(key, turtle=b"<a> <b> <c> ."))
    cache.db.execute("UPDATE result SET used = ? WHERE key = ?", (used, key))
    cache.close()


def test_entries_used_again_survive_pruning_and_stale_ones_go(tmp_path) -> None:
    path = tmp_path / "extract.sqlite"
    now = time.time()
    _put(path, "fresh", now - 3600)  # used an hour ago: not written again
    _put(path, "old-but-used", now - KEEP_SECONDS - 10)  # would be pruned, but this build uses it
    _put(path, "stale", now - KEEP_SECONDS - 10)  # nobody uses it
    cache = ExtractionCache(path)
    for key in ("fresh", "old-but-used"):
        row = cache.fetch(key)
        assert row is not None
        result = cache.load(key, row)
        assert result.name == key and result.turtle == b"" and result.turtle_size == len(b"<a> <b> <c> .")
        assert cache.turtle(key) == b"<a> <b> <c> ."
    assert cache.fetch("missing") is None and cache.misses == 1
    assert cache.prune() == 1
    used = dict(cache.db.execute("SELECT key, used FROM result"))
    assert set(used) == {"fresh", "old-but-used"}
    assert used["fresh"] == now - 3600  # used within TOUCH_SECONDS: not written again
    assert used["old-but-used"] >= now - 60 > now - TOUCH_SECONDS
    cache.close()


def test_pruned_at_most_once_a_day(tmp_path) -> None:
    path = tmp_path / "extract.sqlite"
    now = time.time()
    cache = ExtractionCache(path)
    assert cache.prune() == 0
    cache.close()
    _put(path, "stale", now - KEEP_SECONDS - 10)
    cache = ExtractionCache(path)
    assert cache.prune() == 0 and cache.keys() == {"stale"}  # pruned an instant ago: not again today
    cache.db.execute("UPDATE meta SET value = ?", (now - TOUCH_SECONDS - 1,))
    assert cache.prune() == 1 and cache.keys() == set()
    cache.close()


def test_a_damaged_entry_is_a_miss(tmp_path) -> None:
    path = tmp_path / "extract.sqlite"
    _put(path, "k", time.time())
    cache = ExtractionCache(path)
    cache.db.execute("UPDATE result SET value = x'00ff'")
    row = cache.fetch("k")
    assert row is not None and cache.load("k", row) is None and cache.misses == 1
    cache.close()


def test_a_run_used_again_keeps_itself_and_its_documents(tmp_path) -> None:
    """A build that merges a run whole never fetches its documents' entries: using the run marks them
    used too, or a month of such builds would prune them — and the next edit in that run would then
    re-extract all its documents. Runs nobody uses are pruned like entries."""
    path = tmp_path / "extract.sqlite"
    old = time.time() - KEEP_SECONDS - 10
    for key in ("d1", "d2", "d3"):
        _put(path, key, old)
    cache = ExtractionCache(path)
    cache.put_run("run-a", [("d1", 13, 1), ("d2", 13, 1)], ({}, [], []))
    cache.put_run("run-b", [("d3", 13, 1)], ({}, [], []))
    cache.db.execute("UPDATE runs SET used = ?", (old,))
    cache.close()
    cache = ExtractionCache(path)
    assert cache.keys() == {"d1", "d2", "d3"}
    members, state = cache.run("run-a")
    assert members == [("d1", 13, 1), ("d2", 13, 1)] and state == ({}, [], [])
    assert cache.run("run-missing") is None
    assert cache.prune() == 1  # d3: its run was not used
    assert cache.keys() == {"d1", "d2"}
    assert [k for (k,) in cache.db.execute("SELECT key FROM runs")] == ["run-a"]
    cache.db.execute("UPDATE runs SET value = x'00ff'")
    assert cache.run("run-a") is None  # damaged: a miss, never a crash
    cache.close()


def test_a_new_cache_has_large_pages_and_an_old_one_keeps_its_own(tmp_path) -> None:
    """Rows of ~8 KB fit a 32 KiB page; a cache made before (4 KiB pages) is used as it is."""
    import sqlite3

    new = ExtractionCache(tmp_path / "new.sqlite")
    assert new.db.execute("PRAGMA page_size").fetchone()[0] == 32768
    new.close()
    old_path = tmp_path / "old.sqlite"
    db = sqlite3.connect(old_path)
    db.execute("PRAGMA page_size = 4096")
    db.execute("CREATE TABLE t (x)")  # the page size is fixed from here on
    db.commit()
    db.close()
    turtle = '<a> <b> "显绩与潜绩" .\n'.encode() * 500
    old = ExtractionCache(old_path)
    old.put("k", DocResult("k", turtle=turtle))
    old.commit()
    assert old.db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert old.turtle("k") == turtle
    old.close()
