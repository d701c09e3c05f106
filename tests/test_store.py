"""build --store: the graph loaded into an on-disk Oxigraph store beside graph.ttl, which query and
diffusion open instead of loading the file — only while it is the store of that very file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main
from zhengji_kg.outputs import store as store_mod
from zhengji_kg.outputs.store import STORE_NAME, fresh_store

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], exit_code: int = 0) -> CliRunner:
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == exit_code, res.output
    return res


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A build of the demo corpus with its store."""
    out = tmp_path_factory.mktemp("stored")
    res = _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"])
    assert f"store:     {out / STORE_NAME}" in res.output
    return out


def _no_loading(monkeypatch) -> None:
    def refuse(path):
        raise AssertionError(f"loaded {path} although its store is beside it")

    monkeypatch.setattr(store_mod, "load_memory_store", refuse)


def test_a_query_opens_the_store_and_answers_as_the_file_does(stored: Path, monkeypatch, tmp_path: Path) -> None:
    assert fresh_store(stored / "graph.ttl") == stored / STORE_NAME
    plain = tmp_path / "plain"
    shutil.copy(stored / "graph.ttl", tmp_path / "graph.ttl")  # the same graph without a store: loaded
    expected = _run(["query", "where-practiced", "--graph", str(tmp_path / "graph.ttl"), "--format", "csv"]).output
    _no_loading(monkeypatch)
    got = _run(["query", "where-practiced", "--graph", str(stored), "--format", "csv"]).output
    assert got == expected and got.count("\n") > 10
    assert "容错纠错机制" in _run(["diffusion", "容错纠错机制", "--graph", str(stored)]).output
    assert not plain.exists()


def test_a_store_is_read_only_for_its_own_graph_file(stored: Path, tmp_path: Path) -> None:
    """graph.ttl changed by other means than a build (a copy put back, an edit): the store is not read."""
    out = tmp_path / "out"
    shutil.copytree(stored, out)  # a copy of the folder: another inode, the store names the old one
    assert fresh_store(out / "graph.ttl") is None
    with open(stored / "graph.ttl", "rb") as fh:
        data = fh.read()
    extra = b'\n<https://example.org/a> <https://example.org/b> "only in the file" .\n'
    (out / "graph.ttl").write_bytes(data + extra)
    res = _run(["query", "SELECT ?o WHERE { <https://example.org/a> ?p ?o }", "--graph", str(out), "--format", "csv"])
    assert "only in the file" in res.output


def test_a_build_without_store_removes_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"])
    assert (out / STORE_NAME).is_dir()
    res = _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q"])
    assert "removed the store of the previous graph" in res.output
    assert not (out / STORE_NAME).exists() and not list(out.glob(f".{STORE_NAME}*"))
    _run(["query", "where-practiced", "--graph", str(out)])  # loaded from the file


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_store_that_cannot_be_written_writes_nothing(tmp_path: Path, monkeypatch, failure) -> None:
    out = tmp_path / "out"
    _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"])
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    stamp = (out / STORE_NAME / store_mod.STAMP_NAME).read_bytes()
    real = store_mod.write_store

    def failing(graph_file):
        tmp = real(graph_file)  # written, then the failure: it must not stay behind
        store_mod.discard_store(tmp)
        raise failure

    from zhengji_kg.cli import build as build_cli

    monkeypatch.setattr(build_cli, "write_store", failing)
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store", "--no-cache"])
    assert res.exit_code == (1 if isinstance(failure, OSError) else 130), res.output
    assert "nothing written" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (out / STORE_NAME / store_mod.STAMP_NAME).read_bytes() == stamp
    assert fresh_store(out / "graph.ttl") == out / STORE_NAME
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name not in (".cache", ".build.lock")]


def test_place_store_sets_the_previous_one_aside_to_remove_or_put_back(tmp_path: Path) -> None:
    import pyoxigraph as ox

    def values() -> list[str]:
        where = fresh_store(graph)
        assert where is not None
        return [q.object.value for q in ox.Store.read_only(str(where))]

    graph = tmp_path / "graph.ttl"
    graph.write_text('<https://example.org/a> <https://example.org/b> "one" .\n', encoding="utf-8")
    assert store_mod.place_store(store_mod.write_store(graph), tmp_path) is None  # none before
    assert values() == ["one"]
    one = graph.read_bytes()
    new = graph.with_name("new.ttl")
    new.write_text('<https://example.org/a> <https://example.org/b> "two" .\n', encoding="utf-8")
    tmp = store_mod.write_store(new)
    aside = store_mod.place_store(tmp, tmp_path)
    assert aside is not None and aside.is_dir()
    # the build fails before graph.ttl is replaced: the previous store returns, the new one goes
    store_mod.put_back(tmp_path, aside)
    assert values() == ["one"] and graph.read_bytes() == one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.oxigraph", "graph.ttl", "new.ttl"]
    # it succeeds: the new store is in place once the graph is, the previous one is removed
    tmp = store_mod.write_store(new)
    aside = store_mod.place_store(tmp, tmp_path)
    os.replace(new, graph)
    store_mod.discard_store(aside)
    assert values() == ["two"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.oxigraph", "graph.ttl"]


def test_a_page_that_cannot_be_written_keeps_the_previous_graph_and_store(
    stored: Path, tmp_path: Path, monkeypatch
) -> None:
    """The store is put in place first; if the page or the graph then cannot be, the previous store goes
    back beside the previous graph (it was set aside, not deleted)."""
    out = tmp_path / "out"
    shutil.copytree(stored, out)
    _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"])  # a store of this very folder
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    stamp = (out / STORE_NAME / store_mod.STAMP_NAME).read_bytes()
    from zhengji_kg.base import output

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_atomic", full_disk)  # the page, put in place after the store
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store", "--no-cache"])
    assert res.exit_code == 1 and "nothing written" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (out / STORE_NAME / store_mod.STAMP_NAME).read_bytes() == stamp
    assert fresh_store(out / "graph.ttl") == out / STORE_NAME
    assert not [p for p in out.iterdir() if p.name.startswith(f".{STORE_NAME}")]


def test_a_killed_builds_leftovers_are_swept(stored: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(stored, out)
    for name in (f".{STORE_NAME}.4242.tmp", f".{STORE_NAME}.4242.old"):
        (out / name).mkdir()
        (out / name / "000001.sst").write_bytes(b"x" * 100)
    _run(["build", str(ROOT / "corpus"), "-o", str(out), "-q", "--store"])
    assert not [p for p in out.iterdir() if p.name.startswith(f".{STORE_NAME}")]
    assert fresh_store(out / "graph.ttl") == out / STORE_NAME


def test_an_interrupted_load_ends_its_child_at_once(tmp_path: Path) -> None:
    """Oxigraph's program loads in a child process: Ctrl-C (or a stop signal the build takes as one) ends
    the wait at once, and the child with it — not after the half-minute a large load takes."""
    import signal
    import subprocess
    import sys
    import threading
    import time

    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    # Ctrl-C as Python takes it, whatever this test run inherited (a run started in the background of a
    # script has SIGINT ignored)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        t0 = time.monotonic()
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(subprocess, "Popen", popen)
            with pytest.raises(KeyboardInterrupt):
                store_mod._run([sys.executable, "-c", "import time; time.sleep(60)"], "never")
    finally:
        signal.signal(signal.SIGINT, before)
    assert time.monotonic() - t0 < 10
    assert started and started[0].poll() is not None  # ended, and reaped


def test_a_graph_oxigraph_cannot_load_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "graph.ttl"
    bad.write_text("<https://example.org/a> this is not Turtle .\n", encoding="utf-8")
    with pytest.raises(store_mod.StoreError, match=r"graph\.ttl: oxigraph could not load it"):
        store_mod.write_store(bad)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]
