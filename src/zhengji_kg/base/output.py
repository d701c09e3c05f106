"""Atomic file writes: every output goes to a temporary name beside the target and is renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class AtomicFile:
    """A file written under a temporary name beside ``path`` and renamed over it by ``commit()``.

    Until then readers see the previous file (or none); ``discard()`` (or a crash) leaves no trace but
    a hidden temporary file that the next ``AtomicFile`` for the same path removes.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            # left by a build that was killed before it could clean up (a live one keeps its file fresh)
            if time.time() - stale.stat().st_mtime > 600:
                stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        self.tmp = Path(tmp)
        self.handle = os.fdopen(fd, "wb", buffering=1 << 20)
        self.size = 0
        self._sync: threading.Thread | None = None
        self._ahead: threading.Thread | None = None
        self._error: OSError | None = None

    def flush(self) -> None:
        """Hand everything written so far to the operating system (its size and modification time are
        then final), without waiting for the disk."""
        if not self.handle.closed:
            self.handle.flush()
            self.size = self.handle.tell()

    def sync_ahead(self) -> None:
        """Start syncing what was written so far, in a thread, while the rest is still being prepared.

        A build writes the documents' parts — nearly all of a large graph — before the merged part it
        then spends a second or more on; syncing them meanwhile leaves ``finish`` only the tail to wait
        for (an incremental build of 10,000 documents otherwise waited ~0.9 s for the disk at the end).
        """
        if self.handle.closed or self._ahead is not None or self._sync is not None:
            return
        self.flush()
        self._ahead = threading.Thread(target=self._fsync_noting, name=f"sync {self.path.name}", daemon=True)
        self._ahead.start()

    def _fsync_noting(self) -> None:
        """fsync, keeping the first error for ``wait`` to raise (a thread cannot raise to its caller)."""
        try:
            os.fsync(self.handle.fileno())
        except OSError as exc:
            self._error = self._error or exc

    def finish(self) -> None:
        """Flush the data and have it synced to disk; the file is complete but not yet in place.

        The sync runs in a thread (``fsync`` waits for the disk, not for Python): a build renders its
        page meanwhile — a 500 MB graph takes about a second to reach the disk. ``commit`` waits for it.
        """
        if not self.handle.closed and self._sync is None:
            self.flush()
            self._sync = threading.Thread(target=self._fsync, name=f"sync {self.path.name}", daemon=True)
            self._sync.start()

    def _fsync(self) -> None:
        try:
            if self._ahead is not None:
                self._ahead.join()
            self._fsync_noting()
        finally:
            self.handle.close()

    def wait(self) -> None:
        """Wait until the data is on disk (after ``finish``); raise if it could not be written."""
        if self._sync is not None:
            self._sync.join()
        if self._error is not None:
            raise self._error

    def commit(self) -> Path:
        self.finish()
        self.wait()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        old = _hold_replaced(self.path)
        os.replace(self.tmp, self.path)
        if old is not None:
            _release_later(old)
        return self.path

    def discard(self) -> None:
        for thread in (self._ahead, self._sync):
            if thread is not None:
                thread.join()
        if not self.handle.closed:
            self.handle.close()
        self.tmp.unlink(missing_ok=True)


def copy_range(src, dst, offset: int, length: int) -> None:
    """Append ``length`` bytes of the file ``src`` from ``offset`` to the file ``dst`` (at its
    descriptor's position) — in the kernel where it can (``copy_file_range``), else by reading."""
    sfd, dfd = src.fileno(), dst.fileno()
    copier = getattr(os, "copy_file_range", None)
    while length > 0 and copier is not None:
        try:
            n = copier(sfd, dfd, min(length, 1 << 30), offset)
        except OSError:  # not supported between these file systems: read and write instead
            break
        if n == 0:
            raise OSError(f"{src.name}: ended {length} bytes early while copying")
        offset += n
        length -= n
    while length > 0:
        chunk = os.pread(sfd, min(length, 1 << 20), offset)
        if not chunk:
            raise OSError(f"{src.name}: ended {length} bytes early while copying")
        view = memoryview(chunk)
        while view:
            view = view[os.write(dfd, view) :]
        offset += len(chunk)
        length -= len(chunk)


RELEASE_BYTES = 64 << 20  # replaced files at least this large are freed by a helper process


def _hold_replaced(path: Path) -> int | None:
    """A descriptor of the large file about to be replaced at ``path`` (see ``_release_later``), or None."""
    if os.name != "posix":
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    if os.fstat(fd).st_size < RELEASE_BYTES:
        os.close(fd)
        return None
    return fd


def _release_later(fd: int) -> None:
    """Let a short-lived helper process hold the last reference to a replaced file, so that freeing its
    blocks happens there, after this process has gone on.

    Freeing a file is not free: on a file system mounted with ``discard`` the kernel trims every block
    before ``rename`` returns — 0.3–0.4 s for a 500 MB graph, a twentieth of an incremental build, spent
    after the new graph is already in place. The helper (an interpreter that sleeps a second) inherits
    the descriptor; once it ends, the kernel frees the old file in its exit. Where no helper can start,
    the file is freed here as before.
    """
    import subprocess
    import sys

    try:
        subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", "import time; time.sleep(1)"],
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        pass
    finally:
        os.close(fd)


class OutputLocked(RuntimeError):
    """Another process holds the lock of an output folder."""

    def __init__(self, folder: Path, pid: int | None, verb: str = "build") -> None:
        who = _WHO.get(verb, f"another {verb}") + (f" (pid {pid})" if pid else "")
        super().__init__(f"{who} is writing to {folder}; wait for it to end, or use --wait")
        self.pid = pid
        self.verb = verb


_WHO = {"build": "another build", "export": "an export"}


class OutputLock:
    """One writer at a time per output folder: an exclusive OS lock on ``OUT/.build.lock``.

    Two builds into one folder would share its cache and race to rename ``graph.ttl`` and
    ``graph.html`` into place, so that the pair could come from different builds; an export writing
    into a folder that a build is rebuilding would read one graph and have its file removed as stale
    by the other. So ``build`` and ``export`` both take it (``verb`` says which, for the message a
    second one prints). The lock is the kernel's (``flock``), so it goes with the process however that
    ends — a crash or ``kill -9`` leaves nothing to clean up; the file stays, holding the pid and the
    verb of the last command that took it. Processes forked while it is held (extraction workers, the
    page's renderer) close their copy, so that a worker cannot keep the folder locked. ``wait`` waits
    for the other writer instead of failing (``on_wait(pid, verb)`` is called first).
    """

    NAME = ".build.lock"

    def __init__(
        self,
        folder: Path,
        wait: bool = False,
        on_wait: Callable[[int | None, str], None] | None = None,
        verb: str = "build",
    ) -> None:
        self.folder = Path(folder)
        self.wait = wait
        self.on_wait = on_wait
        self.verb = verb
        self.fd: int | None = None

    def __enter__(self) -> OutputLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = _out_of_reach(os.open(self.folder / self.NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644))
        try:
            if not _try_lock(fd):
                pid, verb = _holder(fd)
                if not self.wait:
                    raise OutputLocked(self.folder, pid, verb)
                if self.on_wait is not None:
                    self.on_wait(pid, verb)
                _lock(fd)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {self.verb}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        _HELD.add(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            _HELD.discard(self.fd)
            os.close(self.fd)  # closing the last descriptor releases the lock
            self.fd = None


_HELD: set[int] = set()  # descriptors of locks this process holds, closed in every forked child
_HIGH_FD = 256  # where a lock's descriptor is moved (``_out_of_reach``)


def _out_of_reach(fd: int) -> int:
    """``fd`` moved to a number of 256 or more (its duplicate; the original closed), where it can fall prey to
    no one else's mistake: a descriptor closed twice — by a library thread, say — closes whatever got its
    number in between, and new descriptors take the lowest free numbers, never these. Once in some ten full
    test runs a build found its lock's descriptor closed under it so (EBADF on release), by code that the
    tests could not name. Where the number cannot be had, ``fd`` itself."""
    dupfd = getattr(fcntl, "F_DUPFD_CLOEXEC", None) if fcntl is not None else None
    if dupfd is None:
        return fd
    try:
        high = fcntl.fcntl(fd, dupfd, _HIGH_FD)
    except OSError:  # a limit of open files below 256
        return fd
    os.close(fd)
    return high


def _close_held_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


def _holder(fd: int) -> tuple[int | None, str]:
    """The pid and the verb the lock file names (a file of 0.3.9 and before holds the pid alone)."""
    try:
        words = os.pread(fd, 64, 0).decode("ascii").split()
        pid = int(words[0]) if words else 0
    except (OSError, ValueError):
        return None, "build"
    return pid or None, words[1] if len(words) > 1 and words[1].isalpha() else "build"


try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

except ImportError:  # Windows: a lock on the file's first byte
    import msvcrt

    fcntl = None  # type: ignore[assignment]

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _lock(fd: int) -> None:
        while not _try_lock(fd):
            time.sleep(0.5)
