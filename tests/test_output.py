"""Atomic outputs: a file appears whole under its name or not at all, the previous one stays until then."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zhengji_kg.base import output
from zhengji_kg.base.output import AtomicFile, write_atomic


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_commit_puts_everything_in_place_and_sync_ahead_loses_nothing(tmp_path) -> None:
    target = tmp_path / "graph.ttl"
    target.write_bytes(b"previous")
    out = AtomicFile(target)
    out.handle.write(b"documents\n" * 1000)
    out.sync_ahead()  # the part written so far goes to disk while the rest is prepared
    assert target.read_bytes() == b"previous"
    out.handle.write(b"merged\n")
    out.flush()
    assert out.size == 10 * 1000 + 7 and target.read_bytes() == b"previous"
    out.commit()
    assert target.read_bytes() == b"documents\n" * 1000 + b"merged\n"
    assert _temporaries(tmp_path) == []
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def test_discard_leaves_the_previous_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "graph.ttl"
    write_atomic(target, "previous")
    out = AtomicFile(target)
    out.handle.write(b"half of a graph")
    out.sync_ahead()
    out.discard()
    assert target.read_text() == "previous" and _temporaries(tmp_path) == []


def test_a_failed_sync_is_raised_by_commit_and_nothing_is_replaced(tmp_path, monkeypatch) -> None:
    target = tmp_path / "graph.ttl"
    write_atomic(target, "previous")
    out = AtomicFile(target)
    out.handle.write(b"data")

    def fail(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(output.os, "fsync", fail)
    out.sync_ahead()
    with pytest.raises(OSError, match="Input/output"):
        out.commit()
    out.discard()
    assert target.read_text() == "previous" and _temporaries(tmp_path) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which process holds a file")
def test_a_large_replaced_file_is_freed_by_a_helper_not_by_commit(tmp_path, monkeypatch) -> None:
    """The replaced graph's last reference goes to a short-lived helper process (freeing 500 MB on a
    disk that trims costs a third of a second): commit returns with the new file in place, the helper
    holds the old one, and it is gone once the helper ends."""
    monkeypatch.setattr(output, "RELEASE_BYTES", 10)
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    target = tmp_path / "graph.ttl"
    write_atomic(target, "the previous graph, long enough")
    old_inode = target.stat().st_ino
    out = AtomicFile(target)
    out.handle.write(b"the new graph")
    out.commit()
    assert target.read_bytes() == b"the new graph"
    assert len(started) == 1
    helper = started[0]
    held = [os.readlink(f"/proc/{helper.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{helper.pid}/fd")]
    assert any(link.startswith(str(target)) and "(deleted)" in link for link in held), held
    assert not any(link.startswith(str(target)) for link in _open_files()), "this process keeps the old file"
    assert helper.wait(timeout=10) == 0
    assert old_inode != target.stat().st_ino


def test_a_small_replaced_file_is_freed_at_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("no helper for a small file"))
    target = _replace(tmp_path / "graph.html", "old page", b"new page")
    assert target.read_bytes() == b"new page"


def test_a_helper_that_cannot_start_frees_the_file_here(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(output, "RELEASE_BYTES", 1)

    def cannot(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", cannot)
    target = _replace(tmp_path / "graph.ttl", "old graph", b"new graph")
    assert target.read_bytes() == b"new graph"
    assert not any(link.startswith(str(target)) and "(deleted)" in link for link in _open_files())


def _replace(target: Path, old: str, new: bytes) -> Path:
    """``target`` written with ``old``, then replaced through an ``AtomicFile`` holding ``new``."""
    write_atomic(target, old)
    out = AtomicFile(target)
    out.handle.write(new)
    return out.commit()


def _open_files() -> list[str]:
    """What this process has open (empty where there is no /proc)."""
    links = []
    for fd in os.listdir("/proc/self/fd") if Path("/proc/self/fd").is_dir() else ():
        with contextlib.suppress(OSError):  # the descriptor of the listing itself, closed by now
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
    return links


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_release_helper_ends_on_its_own() -> None:
    """The helper is an interpreter that only sleeps: it must start without site packages and end."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-I", "-S", "-c", "import time; time.sleep(1)"], timeout=30)
    assert done.returncode == 0 and time.perf_counter() - t < 30


def test_the_watch_names_a_stray_close_of_a_lock_descriptor(tmp_path: Path) -> None:
    """conftest's watch: a descriptor an output lock holds, closed by anyone but the lock, is recorded with
    the stack that closed it (and would fail the test it happens in)."""
    from .conftest import _STOLEN

    lock = output.OutputLock(tmp_path)
    lock.__enter__()
    fd = lock.fd
    assert fd is not None
    os.close(fd)  # as a stray close would
    output._HELD.discard(fd)
    lock.fd = None
    assert len(_STOLEN) == 1 and "test_the_watch_names_a_stray_close" in _STOLEN[0]
    _STOLEN.clear()
    with output.OutputLock(tmp_path):  # the lock's own close is not recorded
        pass
    assert _STOLEN == []


def test_a_locks_descriptor_is_out_of_reach_of_stray_closes(tmp_path: Path) -> None:
    """The lock's descriptor sits at 256 or above, where new descriptors never land: code that closes a
    number twice closes what took that number meanwhile — a low one — and never the lock."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_DUPFD_CLOEXEC"):
        pytest.skip("no F_DUPFD_CLOEXEC here")
    with output.OutputLock(tmp_path) as lock:
        assert lock.fd is not None and lock.fd >= 256
        stray = os.open(os.devnull, os.O_RDONLY)  # a file opened and closed twice by someone else
        os.close(stray)
        with contextlib.suppress(OSError):
            os.close(stray)
        os.fstat(lock.fd)  # still the lock's
        assert fcntl.fcntl(lock.fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
    with output.OutputLock(tmp_path):  # released: another writer takes it at once
        pass
