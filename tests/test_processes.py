"""No process outlives the build that started it, and a worker that dies costs only its documents.

Each build runs as a real ``zhengji-kg`` process in a session of its own (``start_new_session``): every
process it starts — extraction workers, the page's renderer — stays in that session even when it is
re-parented, so the session's members left after the command ended are exactly what it left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from zhengji_kg import build, load_rules

from .conftest import DEMO, ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

CLI = [sys.executable, "-c", "from zhengji_kg.cli import run; run()"]
KILLER = "本文件让处理它的进程崩溃。"  # the words the test's sitecustomize kills a worker on


def _session(sid: int) -> list[tuple[int, str]]:
    """(pid, command) of the live (not zombie) processes of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            found.append((int(entry.name), cmd.strip()))
    return found


def _left_behind(sid: int, grace: float = 2.0) -> list[tuple[int, str]]:
    """The session's processes still there ``grace`` seconds after the command ended (none expected; the
    grace is for the kernel to deliver a parent-death signal, not for a worker to finish its work)."""
    deadline = time.monotonic() + grace
    while (left := _session(sid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _default_signals(ignored: tuple[int, ...] = ()) -> None:
    """In the child: Ctrl-C, SIGTERM and SIGHUP at their defaults, as a command typed in a terminal has them
    (a test run started in the background has SIGINT ignored, which its children would inherit), but for
    ``ignored`` (``nohup``)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN if sig in ignored else signal.SIG_DFL)


def _start(args: list[str], env: dict[str, str] | None = None, ignored: tuple[int, ...] = (), **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *args],
        start_new_session=True,
        env={**os.environ, **(env or {})},
        text=True,
        preexec_fn=lambda: _default_signals(ignored),
        **kw,
    )


def _finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out or "", err or ""


def _cleanup(proc: subprocess.Popen) -> None:
    """Whatever the test found, end the session it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob(".*.tmp")) if out.is_dir() else []


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """The demo corpus over and over (about 280 documents): long enough to stop a build in the middle."""
    corpus = tmp_path_factory.mktemp("big")
    for n in range(-(-280 // DEMO)):
        for p in sorted((ROOT / "corpus").iterdir()):
            shutil.copyfile(p, corpus / f"{n:02d}-{p.name}")
    return corpus


def test_rebuilds_with_nothing_changed_leave_no_worker(tmp_path: Path) -> None:
    """The issue's case: every cached rebuild (a worker prestarted, then not needed) left one orphan."""
    out = tmp_path / "out"
    for expected in (f"extracted: {DEMO} (cache: 0", f"extracted: 0 (cache: {DEMO}", f"extracted: 0 (cache: {DEMO}"):
        proc = _start(["build", str(ROOT / "corpus"), "-o", str(out), "-j", "2", "-q"], stdout=subprocess.PIPE)
        try:
            code, stdout, _ = _finish(proc)
            assert code == 0 and expected in stdout, stdout
            assert _left_behind(proc.pid) == []
        finally:
            _cleanup(proc)


def test_a_failed_build_leaves_no_worker_and_no_file(tmp_path: Path, big_corpus: Path) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(big_corpus, corpus)
    (corpus / "50-empty.txt").write_text("")
    out = tmp_path / "out"
    proc = _start(
        ["build", str(corpus), "-o", str(out), "-j", "2", "--strict", "--no-cache", "-q"], stderr=subprocess.PIPE
    )
    try:
        code, _, err = _finish(proc)
        assert code == 1 and "50-empty.txt: empty file" in err, err
        assert _left_behind(proc.pid) == []
        assert not (out / "graph.ttl").exists() and _temporaries(out) == []
    finally:
        _cleanup(proc)


def _when_extracting(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the build has its worker processes and has started on the documents (and is still at it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(_session(proc.pid)) >= 3:  # the build and its two workers
            time.sleep(0.5)
            assert proc.poll() is None, "the build ended before the test could stop it: make it slower"
            return
        time.sleep(0.05)
    pytest.fail("the build never started its workers")


def _slow(folder: Path, seconds: float = 0.03) -> dict[str, str]:
    """A ``sitecustomize`` that makes each document take ``seconds`` longer to extract: a build that is
    surely still extracting when the test stops it, on any machine."""
    return _patched(folder, f"time.sleep({seconds})")


def _patched(folder: Path, action: str, when: str = "True") -> dict[str, str]:
    """The environment of a build whose workers run ``action`` before relating each document for which
    ``when`` (an expression of ``doc``) holds — through a ``sitecustomize`` on PYTHONPATH."""
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        textwrap.dedent(
            f"""
            import os, signal, time
            import zhengji_kg.pipeline.worker as worker

            _relate = worker.relate

            def relate(doc, rules):
                if {when}:
                    {action}
                return _relate(doc, rules)

            worker.relate = relate
            """
        ),
        encoding="utf-8",
    )
    return {"PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


@pytest.mark.parametrize(
    ("sig", "to_group", "code", "said"),
    [
        (signal.SIGINT, True, 130, "interrupted"),  # Ctrl-C: the terminal signals the whole group
        (signal.SIGTERM, False, 143, "stopped by SIGTERM"),  # kill PID, what service managers send
        (signal.SIGHUP, False, 129, "stopped by SIGHUP"),  # the terminal closed
    ],
)
def test_a_stopped_build_leaves_nothing(
    tmp_path: Path, big_corpus: Path, sig: signal.Signals, to_group: bool, code: int, said: str
) -> None:
    out = tmp_path / "out"
    proc = _start(
        ["build", str(big_corpus), "-o", str(out), "-j", "2", "--no-cache", "-q"],
        env=_slow(tmp_path / "site"),
        stderr=subprocess.PIPE,
    )
    try:
        _when_extracting(proc)
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        rc, _, err = _finish(proc, timeout=30)
        assert rc == code, err
        assert f"{said}: nothing written, {out} is as it was" in err
        assert _left_behind(proc.pid) == []
        assert not (out / "graph.ttl").exists() and _temporaries(out) == []
    finally:
        _cleanup(proc)


def test_a_killed_build_takes_its_workers_with_it(tmp_path: Path, big_corpus: Path) -> None:
    """SIGKILL runs no code of ours: the workers end by the parent-death signal the kernel sends them."""
    proc = _start(
        ["build", str(big_corpus), "-o", str(tmp_path / "out"), "-j", "2", "--no-cache", "-q"],
        env=_slow(tmp_path / "site"),
    )
    try:
        _when_extracting(proc)
        proc.kill()
        proc.wait(10)
        assert _left_behind(proc.pid, grace=5) == []
    finally:
        _cleanup(proc)


def test_a_closed_output_pipe_changes_nothing(tmp_path: Path) -> None:
    """`zhengji-kg build | head -1`: the reader goes at once; the build writes everything, exits 0, every time."""
    for run in range(3):
        out = tmp_path / f"out{run}"
        proc = subprocess.Popen(
            [*CLI, "build", str(ROOT / "corpus"), "-o", str(out), "-j", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            proc.stdout.close()  # the reader left before the first line
            proc.stderr.close()
            assert proc.wait(120) == 0
            assert (out / "graph.ttl").stat().st_size > 100_000 and (out / "graph.html").is_file()
            assert _left_behind(proc.pid) == []
        finally:
            _cleanup(proc)


def test_head_reads_the_first_line_and_the_status_is_the_builds(tmp_path: Path) -> None:
    script = f"{' '.join(map(repr, CLI))} build {ROOT / 'corpus'} -o {tmp_path / 'out'} | head -1; "
    script += 'echo "status=${PIPESTATUS[0]}"'
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert res.stdout.splitlines() == [f"documents: {DEMO} read, 0 skipped", "status=0"], res.stdout + res.stderr
    assert "Error" not in res.stderr and "BrokenPipe" not in res.stderr


# ---------------------------------------------------------------- a worker that dies


def _sitecustomize(folder: Path) -> dict[str, str]:
    """Workers that die at once on a document with ``KILLER`` in it, as a crash in a native library or the
    out-of-memory killer would end them (SIGKILL: nothing of theirs runs)."""
    return _patched(folder, "os.kill(os.getpid(), signal.SIGKILL)", f"{KILLER!r} in doc.text")


def test_a_document_that_kills_its_worker_is_skipped_and_the_rest_built(tmp_path: Path, big_corpus: Path) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(big_corpus, corpus)
    victims = ["05-01-anji-county.txt", "17-02-heping-district.md"]
    for name in victims:
        matches = list(corpus.glob(name))
        assert matches, f"{name} is not in the demo corpus any more: pick another"
        matches[0].write_text(KILLER + "\n" + matches[0].read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    env = _sitecustomize(tmp_path / "site")
    proc = _start(
        ["build", str(corpus), "-o", str(out), "-j", "2", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        code, stdout, err = _finish(proc)
        total = len([p for p in corpus.iterdir() if not p.name.endswith(".meta.yaml")])
        assert code == 3, err  # built, with files skipped
        assert f"documents: {total - 2} read, 2 skipped" in stdout, stdout + err
        for name in victims:
            assert f"skipped {name}: its worker process died while extracting it (killed by SIGKILL" in err, err
        assert (out / "graph.ttl").is_file()
        assert _left_behind(proc.pid) == []
    finally:
        _cleanup(proc)
    # the same corpus again, from the cache: the dead documents are tried again (and die again), the rest is cached
    proc = _start(
        ["build", str(corpus), "-o", str(out), "-j", "2", "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        code, stdout, err = _finish(proc)
        assert code == 3 and f"extracted: 0 (cache: {total - 2} unchanged)" in stdout, stdout + err
        assert _left_behind(proc.pid) == []
    finally:
        _cleanup(proc)


def test_the_api_reports_a_dead_worker_like_any_bad_file(tmp_path: Path, monkeypatch) -> None:
    """In a notebook: ``build(jobs=2)`` gives the graph of the others and names the file in ``report.skipped``."""
    import multiprocessing

    import zhengji_kg.pipeline.worker as worker

    real = worker.relate
    main = os.getpid()

    def relate(doc, rules):
        if KILLER in doc.text and os.getpid() != main:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(doc, rules)

    monkeypatch.setattr(worker, "relate", relate)  # the workers are forked: they have it too
    corpus = tmp_path / "c"
    corpus.mkdir()
    good = "天津市和平区建立容错纠错机制，坚持“三个区分开来”，推动干部树立正确政绩观。"
    for n in range(12):
        (corpus / f"d{n:02d}.txt").write_text(f"第{n}号。{good}\n" + (KILLER if n == 4 else ""), encoding="utf-8")
    kg = build([corpus], load_rules(), jobs=2)
    assert [name for name, _ in kg.report.skipped] == ["d04.txt"]
    assert "killed by SIGKILL" in kg.report.skipped[0][1]
    assert len(kg.report.read) == 11 and ("mechanism", "容错纠错机制") in kg.entities
    assert multiprocessing.active_children() == []


# ---------------------------------------------------------------- a rebuild with two pools of workers


def _two_pool_rebuild(tmp_path: Path) -> tuple[Path, Path]:
    """A folder built once (so that the next build has a cache: one worker starts early, the others later,
    in a pool of their own) to which 60 large documents are then added: batches of them are larger than a
    pipe holds, so a pool's feeding thread is still writing one when its workers end."""
    corpus, out = tmp_path / "c", tmp_path / "out"
    corpus.mkdir()
    (corpus / "first.txt").write_text("天津市和平区建立容错纠错机制，推动干部树立正确政绩观。\n", encoding="utf-8")
    assert _finish(_start(["build", str(corpus), "-o", str(out), "-j", "2", "-q"]))[0] == 0
    text = (ROOT / "corpus" / "01-anji-county.txt").read_text(encoding="utf-8")
    for n in range(60):
        body = "\n".join(f"第{n}-{k}段。{text}" for k in range(48_000 // len(text.encode()) + 1))
        (corpus / f"big{n:02d}.txt").write_text(body, encoding="utf-8")
    return corpus, out


def test_a_rebuild_with_two_pools_stops_at_once(tmp_path: Path) -> None:
    """The hang a review found: the early worker's pool waited forever for its task queue, whose read end
    the later pool's live worker held (fork copies it)."""
    corpus, out = _two_pool_rebuild(tmp_path)
    proc = _start(
        ["build", str(corpus), "-o", str(out), "-j", "2", "-q"],
        env=_slow(tmp_path / "site", 0.2),
        stderr=subprocess.PIPE,
    )
    try:
        _when_extracting(proc)
        os.killpg(proc.pid, signal.SIGINT)
        rc, _, err = _finish(proc, timeout=30)
        assert rc == 130, err
        assert _left_behind(proc.pid) == []
    finally:
        _cleanup(proc)


def test_a_rebuild_with_two_pools_survives_a_dying_worker(tmp_path: Path) -> None:
    corpus, out = _two_pool_rebuild(tmp_path)
    (corpus / "big03.txt").write_text(KILLER + (corpus / "big03.txt").read_text(encoding="utf-8"), encoding="utf-8")
    proc = _start(
        ["build", str(corpus), "-o", str(out), "-j", "2", "-q"],
        env=_sitecustomize(tmp_path / "site"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        rc, stdout, err = _finish(proc, timeout=90)
        assert rc == 3 and "documents: 60 read, 1 skipped" in stdout, stdout + err
        assert "skipped big03.txt: its worker process died while extracting it (killed by SIGKILL" in err
        assert _left_behind(proc.pid) == []
    finally:
        _cleanup(proc)


def test_nohup_keeps_a_hangup_ignored(tmp_path: Path, big_corpus: Path) -> None:
    """Started with SIGHUP ignored (nohup), the build and its workers go on when the terminal closes."""
    out = tmp_path / "out"
    proc = _start(
        ["build", str(big_corpus), "-o", str(out), "-j", "2", "--no-cache", "-q"],
        env=_slow(tmp_path / "site", 0.01),
        ignored=(signal.SIGHUP,),
        stderr=subprocess.PIPE,
    )
    try:
        _when_extracting(proc)
        os.killpg(proc.pid, signal.SIGHUP)  # the whole session, as a closing terminal sends it
        rc, _, err = _finish(proc, timeout=120)
        assert rc == 0, err
        assert (out / "graph.ttl").is_file() and _left_behind(proc.pid) == []
    finally:
        _cleanup(proc)
