"""children: stop signals taken as Ctrl-C, held while a build puts its outputs in place, ignored where the
command was started ignoring them; the parent-death request."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from zhengji_kg.base.children import (
    Stopped,
    default_stop_signals,
    die_with_parent,
    exit_status,
    hold_stops,
    stop_signals_interrupt,
)


def _raise_here(sig: int) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs in the main thread at the next bytecode


@pytest.fixture
def fresh_handlers():
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def test_stop_signals_raise_as_ctrl_c_and_say_which(fresh_handlers) -> None:
    with stop_signals_interrupt():
        with pytest.raises(Stopped) as stopped:
            _raise_here(signal.SIGTERM)
        assert exit_status(stopped.value) == 143 and stopped.value.args == ("SIGTERM",)
        with pytest.raises(Stopped) as stopped:
            _raise_here(signal.SIGHUP)
        assert exit_status(stopped.value) == 129
        with pytest.raises(KeyboardInterrupt) as interrupted:
            _raise_here(signal.SIGINT)
        assert exit_status(interrupted.value) == 130
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back


def test_held_stops_are_noted_and_the_next_one_raises(fresh_handlers) -> None:
    with stop_signals_interrupt():
        with hold_stops() as held:
            _raise_here(signal.SIGTERM)
            _raise_here(signal.SIGINT)
            finished = True
        assert finished and held == [signal.SIGTERM, signal.SIGINT]
        with pytest.raises(Stopped):
            _raise_here(signal.SIGTERM)


def test_a_signal_ignored_at_the_start_stays_ignored(fresh_handlers) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts a command
    with stop_signals_interrupt():
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        _raise_here(signal.SIGHUP)  # nothing happens
        pid = os.fork()
        if pid == 0:  # a worker: the handlers as the command found them
            try:
                default_stop_signals()
                hup, term = signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGTERM)
                os._exit(0 if hup == signal.SIG_IGN and term == signal.SIG_DFL else 1)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_ends_with_its_parent() -> None:
    """A child asks for the signal, its parent (a middle process) dies: the kernel ends the child."""
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:  # never back into pytest from a forked process: every path ends in os._exit
        try:
            if os.fork() == 0:
                os.close(read)
                os.write(write, b"%d\n" % (os.getpid() if die_with_parent(os.getppid()) else 0))
                time.sleep(30)
            else:
                time.sleep(0.5)  # the parent goes; the child should follow at once
        finally:
            os._exit(0)
    os.close(write)
    child = int(os.read(read, 32))
    os.waitpid(middle, 0)
    assert child, "the kernel did not take the parent-death request"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().split(") ")[1][0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the child outlived its parent")
