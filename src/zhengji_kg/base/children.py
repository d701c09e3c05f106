"""Child processes that end with the process that started them.

A build's worker processes and the page's renderer, and ``serve``'s Oxigraph server, are children of
one ``zhengji-kg`` command. Each path out of the command ends them (``pipeline``, ``serve``); this is
the net under those paths for the one no code can see — the parent killed outright (SIGKILL, the
out-of-memory killer) — where Linux can send the child a signal of its own when its parent dies
(``PR_SET_PDEATHSIG``). Elsewhere it does nothing, and the explicit paths are all there is.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from typing import Any

_PR_SET_PDEATHSIG = 1


@lru_cache(maxsize=1)
def _prctl() -> Any:  # a ctypes function, or None off Linux
    if not sys.platform.startswith("linux"):
        return None
    try:
        # the symbols this process has loaded (libc's among them): find_library would run ldconfig
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return prctl


def die_with_parent(parent: int | None = None, sig: int = signal.SIGTERM) -> bool:
    """In a child process: have the kernel send ``sig`` to it when its parent ends.

    ``parent`` is the parent's pid as the parent knew it before it started the child: if it has already
    died (the child was re-parented in the moment between start and this call), the signal is sent
    now. Returns whether the kernel took the request (Linux only). The request belongs to the thread
    that started the child: children are started from the command's main thread, which lives as long
    as the command.
    """
    prctl = _prctl()
    if prctl is None:
        return False
    if prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)
    return True


def parent_death_preexec(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that runs ``die_with_parent`` in the child (a program
    that is not ours, such as the Oxigraph server), or None where the kernel has no such request. The
    C library is looked up here, in the parent, so that the child only makes the call.

    Start the child under ``forking_workers``: the preexec runs Python in the child, where a stop landing
    before it would run the command's handler there (the child then ends with "Exception occurred in
    preexec_fn" instead of the command stopping cleanly). Blocked, the stop waits; the preexec gives the
    signals the dispositions the command found and the mask it had, which the program keeps (exec keeps a
    mask), and a stop that came meanwhile then ends the child as it would have."""
    if _prctl() is None:
        return None
    return partial(_program_child, os.getpid(), sig)


def _program_child(parent: int, sig: int) -> None:
    for s in _GUARDED:
        before = _BEFORE.get(s)
        with contextlib.suppress(ValueError):  # (only a main thread sets handlers; a forked child is one)
            signal.signal(s, signal.SIG_IGN if before is signal.SIG_IGN else signal.SIG_DFL)
    die_with_parent(parent, sig)
    _restore_mask()


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM from ``kill`` or a service manager, SIGHUP from a closed terminal) taken as
    Ctrl-C is taken, so that every path that cleans up after an interrupt runs for it too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# (Windows has no SIGHUP)
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_BEFORE: dict[int, Any] = {}  # the handlers a command found, for the processes it forks
_HOLDING: list[list[int]] = []  # while stops are held (``hold_stops``): where each is noted


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """While inside: SIGTERM and SIGHUP raise ``Stopped`` in the main thread and Ctrl-C its
    ``KeyboardInterrupt``, as before (``hold_stops`` can hold all three), except a signal the command was
    started with ignored (``nohup``, a background job), which stays ignored. Elsewhere than the main
    thread nothing changes (only it may set handlers). The previous handlers come back after."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        if _HOLDING:
            _HOLDING[-1].append(signum)
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, *STOP_SIGNALS)}
    _BEFORE.update(before)
    for sig, handler in before.items():
        # Ctrl-C only where Python takes it (not ignored, not someone else's handler)
        if handler not in (signal.SIG_IGN, None) and (sig != signal.SIGINT or handler is signal.default_int_handler):
            signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        _BEFORE.clear()


@contextmanager
def hold_stops() -> Iterator[list[int]]:
    """While inside, a stop signal (of ``stop_signals_interrupt``) does not raise: it is noted in the list
    this yields, and the code inside finishes — the few lines that put a build's outputs in place, which
    must not stop between the page and the graph. The caller says what a noted stop means."""
    noted: list[int] = []
    _HOLDING.append(noted)
    try:
        yield noted
    finally:
        _HOLDING.remove(noted)


def default_stop_signals() -> None:
    """In a forked child: SIGINT, SIGTERM and SIGHUP as the command found them (the defaults, or ignored
    under ``nohup``), not the parent's handlers that the fork copied."""
    for sig, before in _BEFORE.items():
        signal.signal(sig, signal.SIG_DFL if before is None else before)


_GUARDED = {signal.SIGINT, *STOP_SIGNALS}
_MASK: list[set[int]] = []  # the mask of the thread that forks, before ``forking_workers`` blocked (fork copies it)


@contextmanager
def forking_workers() -> Iterator[None]:
    """While inside, the processes this thread forks start with Ctrl-C and the stop signals blocked, until
    they call ``worker_started`` from inside their own code.

    A forked child runs the parent's Python code until its process library reaches the ``try`` that ends
    the child whatever happens, and it has the parent's handlers: a SIGTERM that lands in that moment —
    a worker ended as soon as it was started, as a rebuild where nothing changed does with the one it
    started ahead — raised ``Stopped`` in the child *in the parent's code*. The child then went on as the
    parent: it ran the build's clean-up (removing the graph's temporary file the parent was writing) and
    returned to whatever called the build (under pytest, it ran the rest of the suite a second time).
    Blocked, the signal waits in the kernel until the child is its own; the parent meanwhile takes its
    signals as before (in another thread, or when the block ends a moment later).
    """
    if not hasattr(signal, "pthread_sigmask"):  # no signal masks (Windows): no fork either
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _GUARDED)
    _MASK.append(set(before))
    try:
        yield
    finally:
        _MASK.pop()
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _restore_mask() -> None:
    """In a child forked under ``forking_workers``: the mask its parent's thread had before the block (a
    signal the command was started with blocked stays blocked); elsewhere, the stop signals unblocked."""
    if not hasattr(signal, "pthread_sigmask"):
        return
    if _MASK:
        signal.pthread_sigmask(signal.SIG_SETMASK, _MASK[-1])
    else:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _GUARDED)


def worker_started() -> None:
    """In a worker forked under ``forking_workers``, once inside its own code: the signals as the command
    found them (``default_stop_signals``), then unblocked — a stop that came meanwhile acts now (SIGTERM
    ends the worker at once, as the parent asked)."""
    default_stop_signals()
    _restore_mask()


def raise_held(noted: list[int]) -> None:
    """Raise the first stop ``hold_stops`` noted, as it would have been raised: Ctrl-C's
    ``KeyboardInterrupt``, ``Stopped`` for the others."""
    if noted:
        raise KeyboardInterrupt if noted[0] == signal.SIGINT else Stopped(noted[0])


def exit_status(exc: KeyboardInterrupt) -> int:
    """The shell's convention: 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
