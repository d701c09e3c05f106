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
    forking_workers,
    hold_stops,
    parent_death_preexec,
    stop_signals_interrupt,
    worker_started,
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


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks here")
def test_a_worker_stopped_as_it_starts_cannot_raise_in_its_parents_code(fresh_handlers) -> None:
    """A child forked under ``forking_workers`` holds a stop that comes before it is inside its own code,
    instead of raising the parent's ``Stopped`` in the parent's code (which a worker ended the moment it
    was started did, 2 times in 3,000, and then went on as the build); once it says it has started, the
    stop ends it as SIGTERM ends a process."""
    read, write = os.pipe()
    with stop_signals_interrupt():
        with forking_workers():
            pid = os.fork()
            if pid == 0:  # never back into pytest from a forked process: every path ends in os._exit
                code = 3  # (inside the block, as a process library's child stays until it ends)
                try:
                    os.kill(os.getpid(), signal.SIGTERM)  # the parent's terminate(), before the worker's code
                    time.sleep(0.05)  # (where the parent's handler would raise Stopped)
                    os.write(write, b"held")
                    worker_started()
                    time.sleep(5)  # not reached: the held SIGTERM ends the process here
                    code = 0
                except Stopped:
                    code = 2
                finally:
                    os._exit(code)
        os.close(write)
        said = os.read(read, 16)
        _, status = os.waitpid(pid, 0)
        os.close(read)
        # the parent's own signals are its own again after the fork
        assert signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        with pytest.raises(Stopped):
            _raise_here(signal.SIGTERM)
    assert said == b"held", os.waitstatus_to_exitcode(status)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, os.waitstatus_to_exitcode(status)


def test_a_build_worker_has_its_signals_as_the_command_found_them(rules, fresh_handlers) -> None:
    """A worker of the build's pool, once started, blocks nothing and takes SIGTERM by default: the pool's
    ``terminate`` ends it (a worker left with the signals blocked would outlive its pool)."""
    from zhengji_kg.pipeline import pool

    with stop_signals_interrupt():
        feeder = pool.Feeder(rules, jobs=1, turtle=True, keep_text=False, hold=True)
        try:
            feeder.prestart()
            [workers] = feeder.pools
            state = pool._submit_to(workers, _signal_state).result(timeout=60)
        finally:
            feeder.close()
    blocked, term = state
    assert not {signal.SIGINT, signal.SIGTERM, signal.SIGHUP} & set(blocked)
    assert term == signal.SIG_DFL


def _signal_state() -> tuple[list[int], object]:
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, []) if hasattr(signal, "pthread_sigmask") else set()
    return sorted(int(s) for s in blocked), signal.getsignal(signal.SIGTERM)


def test_a_program_started_under_the_guard_keeps_the_commands_mask(fresh_handlers) -> None:
    """A program started with the parent-death preexec under ``forking_workers`` runs with the mask the
    command had (exec keeps a mask: left blocked, SIGTERM could never end it)."""
    import re
    import subprocess

    preexec = parent_death_preexec(signal.SIGKILL)
    if preexec is None:
        pytest.skip("no parent-death request here (Linux only)")
    with stop_signals_interrupt(), forking_workers():
        proc = subprocess.Popen(["cat", "/proc/self/status"], stdout=subprocess.PIPE, text=True, preexec_fn=preexec)
    out = proc.communicate(timeout=30)[0]
    blocked = int(re.search(r"SigBlk:\s*([0-9a-f]+)", out).group(1), 16)
    assert not blocked & sum(1 << (s - 1) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)), hex(blocked)


def test_a_stop_during_a_pools_start_waits_until_the_pool_knows_its_workers(rules, fresh_handlers) -> None:
    """A stop taken while a pool forks its workers is raised once ``submit`` has returned — the pool then
    knows every worker, and closing the feeder ends them all."""
    from zhengji_kg.pipeline import pool

    feeder = pool.Feeder(rules, jobs=1, turtle=True, keep_text=False, hold=True)
    with stop_signals_interrupt():
        original = pool.forking_workers

        def signalled():  # a stop arrives in the middle of the pool's start
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            return original()

        try:
            pool.forking_workers = signalled
            with pytest.raises(Stopped):
                feeder.prestart()
            [workers] = feeder.pools
            started = list(workers._processes.values())
            assert started  # the worker was started and is known to its pool
        finally:
            pool.forking_workers = original
            feeder.close(abort=True)
    assert all(not p.is_alive() for p in started)
