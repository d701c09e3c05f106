"""The local executor: worker processes fed while the corpus is still read (``Feeder``), one document per
task, results in corpus order — and how a worker that died is told (``worker_died``). Dask's is
``distributed``; ``extract_sources`` picks one."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from zhengji_kg.base.children import forking_workers, hold_stops, raise_held
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.ingest import (
    SourceFile,
)
from zhengji_kg.pipeline.distributed import dask_results
from zhengji_kg.pipeline.worker import (
    DocResult,
    _init_worker,
    internal_error,
    pack_result,
    process_source,
    unpack_result,
)


def extract_sources(
    sources: list[SourceFile],
    rules: RuleSet,
    executor: str,
    scheduler: Any,
    turtle: bool,
    keep_text: bool,
) -> Iterator[DocResult]:
    """The results of ``process_source`` over ``sources``, in order: in this process, or as a map over Dask
    workers. (Local worker processes are fed by ``Feeder`` while the corpus is being read.)"""
    if not sources:
        return
    if executor == "dask":
        yield from dask_results(sources, rules, scheduler, turtle=turtle, keep_text=keep_text)
        return
    for src in sources:
        yield process_source(src, rules, turtle, keep_text)


def _process_batch(sources: list[SourceFile], turtle: bool, keep_text: bool) -> list[DocResult]:
    return [_packed(process_source(src, None, turtle, keep_text)) for src in sources]


def _packed(result: DocResult) -> DocResult:
    """``pack_result``, or the file skipped if its result cannot be pickled (it would fail its batch)."""
    try:
        return pack_result(result)
    except Exception as exc:
        return DocResult(result.name, error=internal_error("sending its result back", exc))


class Feeder:
    """Worker processes fed with the files to extract while the main process reads.

    When every file is to be extracted (no cache, or an empty one) all the workers start at once and
    files go out as they are read, so extraction overlaps with reading the rest. A rebuild over a cache
    (``hold``) bets that a few files changed: one worker starts before the corpus is even listed
    (``prestart``), so that it has loaded its dictionaries when the first changed file is found, which goes
    to it at once; the others are queued until the corpus is read (``start``), when only as many more
    workers start as there are files left, up to ``jobs``. If the bet is lost (nothing changed) that
    worker is ended unused. Files go in small batches (1, 2, 4 … up to 16): few tasks, and the first
    ones are not held back.

    A worker that dies (a crash in a library, the out-of-memory killer) breaks its pool: every batch the
    pool held is then extracted again one file at a time in a process of its own (``_retry``), so that
    the file that kills its process is skipped and reported like any bad file and the others are built;
    batches still to come go to a fresh pool. No worker outlives ``close``.
    """

    MAX_BATCH = 16

    def __init__(self, rules: RuleSet, jobs: int, turtle: bool, keep_text: bool, hold: bool) -> None:
        self.rules, self.jobs, self.turtle, self.keep_text, self.hold = rules, jobs, turtle, keep_text, hold
        self.pools: list[Any] = []
        self._sizes: list[int] = []  # workers of each pool
        self._turns: list[int] = []  # which pool takes each next batch: each pool once per worker it has
        self._queue: list[SourceFile] = []
        self._size = 1
        self._where: list[tuple[int, int]] = []  # per file queued: (its batch, its place in the batch)
        self._futures: list[Any] = []
        self._batches: list[list[SourceFile] | None] = []  # each batch's files, until its results are in
        self._left: list[int] = []  # results of each batch not yet taken
        self._done: dict[int, list[DocResult]] = {}
        self._spare: Any = None  # the one-worker pool of ``_retry``
        self._ended: list[Any] = []  # pools broken or replaced, ended by ``close``

    def add(self, src: SourceFile) -> int:
        """Queue one file; return the handle to ``take`` its result with."""
        handle = len(self._where) + len(self._queue)
        self._queue.append(src)
        if not self.hold:
            self._pump(final=False)
        elif not self._futures:  # the first file to extract: to one worker, now
            if not self.pools:
                self._add_pool(1)
            self._pump(final=True)
        return handle

    def prestart(self) -> None:
        """Start one worker now (its processes only start with a first task: an empty one)."""
        if not self.pools:
            self._add_pool(1)
            _submit_to(self.pools[0], int)

    def start(self) -> None:
        """Everything is queued: start the workers still wanted, and send it all."""
        if self.hold:
            self.hold = False
            if self._queue:
                wanted = max(1, min(self.jobs, len(self._where) + len(self._queue)))
                if wanted > len(self._turns):
                    self._add_pool(wanted - len(self._turns))
        self._pump(final=True)

    def _new_pool(self, workers: int) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        args = (self.rules, os.getpid())
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=args)

    def _add_pool(self, workers: int) -> None:
        self.pools.append(self._new_pool(workers))
        self._sizes.append(workers)
        self._turns.extend([len(self.pools) - 1] * workers)

    def _pump(self, final: bool) -> None:
        while self._queue and (final or len(self._queue) >= self._size):
            batch, self._queue = self._queue[: self._size], self._queue[self._size :]
            self._submit(batch)
            self._size = min(self.MAX_BATCH, self._size * 2)

    def _submit(self, batch: list[SourceFile]) -> None:
        from concurrent.futures.process import BrokenProcessPool

        if not self.pools:
            self._add_pool(self.jobs)
        b = len(self._futures)
        turn = self._turns[b % len(self._turns)]
        try:
            future = _submit_to(self.pools[turn], _process_batch, batch, self.turtle, self.keep_text)
        except BrokenProcessPool:  # a worker of this pool died: its batches are retried in ``take``
            self._ended.append(self.pools[turn])
            self.pools[turn] = self._new_pool(self._sizes[turn])
            future = _submit_to(self.pools[turn], _process_batch, batch, self.turtle, self.keep_text)
        self._where.extend((b, i) for i in range(len(batch)))
        self._futures.append(future)
        self._batches.append(batch)
        self._left.append(len(batch))

    def take(self, handle: int) -> DocResult:
        """The result of a queued file (waiting for it); each is taken once, in any order."""
        from concurrent.futures.process import BrokenProcessPool

        b, i = self._where[handle]
        if b not in self._done:
            try:
                self._done[b] = self._futures[b].result()
            except BrokenProcessPool:
                batch = self._batches[b]
                assert batch is not None
                self._done[b] = [self._retry(src) for src in batch]
            self._futures[b] = None
            self._batches[b] = None
        result = unpack_result(self._done[b][i])
        self._left[b] -= 1
        if not self._left[b]:
            del self._done[b]
        return result

    def _retry(self, src: SourceFile) -> DocResult:
        """Extract one file of a batch whose worker died, alone in a process of its own (the same one
        for the next file, as long as it lives); the file that kills it is skipped, saying so."""
        from concurrent.futures.process import BrokenProcessPool

        for _attempt in range(2):  # a spare whose idle worker died refuses the task: one fresh spare more
            if self._spare is None:
                self._spare = self._new_pool(1)
            try:
                future = _submit_to(self._spare, _process_batch, [src], self.turtle, self.keep_text)
                break
            except BrokenProcessPool:
                self._ended.append(self._spare)
                self._spare = None
        else:
            return DocResult(src.name, error=worker_died(None))
        workers = list((self._spare._processes or {}).values())  # started by the submit (fork)
        try:
            return future.result()[0]
        except BrokenProcessPool:
            self._ended.append(self._spare)
            self._spare = None
            return DocResult(src.name, error=worker_died(_exit_code(workers)))

    def close(self, abort: bool = False) -> None:
        """End every worker. With ``abort`` (the build failed or was interrupted), or for a worker that was
        started for nothing (``prestart``) or whose pool broke, at once; otherwise each pool is shut down
        after its last task, which has been taken.

        In two passes: first the workers that must end now are terminated — every one of them, before any
        pool is waited for. With ``fork``, a pool started later holds copies of the earlier pools' pipes;
        a pool whose workers are gone waits (in ``shutdown``) for its task queue to drain, which it cannot
        while any live process still holds that queue's read end: waiting for it before the later pool's
        workers were ended hung the build."""
        pools = [p for p in (*self.pools, self._spare, *self._ended) if p is not None]
        self.pools, self._spare, self._ended = [], None, []
        now = [p for p in pools if abort or not self._futures or p._broken]
        for pool in now:
            _end_workers(pool)
        for pool in pools:  # the healthy ones end after their last task; then the others are let go
            if pool not in now:
                pool.shutdown(wait=True, cancel_futures=True)
        for pool in now:
            pool.shutdown(wait=True, cancel_futures=True)


def _submit_to(pool: Any, fn: Any, *args: Any) -> Any:
    """``pool.submit``: where a pool forks its workers (at its first task), under ``forking_workers``, so
    that a worker ended the moment it starts cannot raise the build's ``Stopped`` in the build's code;
    and with stops held (``hold_stops``), so that one taken by another thread of the build cannot raise
    between a worker's start and the pool noting it (a worker no one would end). A stop held is raised
    once the pool knows its workers."""
    with hold_stops() as noted, forking_workers():
        future = pool.submit(fn, *args)
    raise_held(noted)
    return future


def _end_workers(pool: Any) -> None:
    """Terminate a process pool's workers (then kill what still runs) and join them."""
    workers = list((pool._processes or {}).values())
    for w in workers:
        if w.exitcode is None:
            w.terminate()
    for w in workers:
        w.join(5)
        if w.exitcode is None:
            w.kill()
            w.join()


def _exit_code(workers: list[Any], seconds: float = 2.0) -> int | None:
    """How a dead pool's worker ended: its exit code, once known (the pool's own manager thread may be
    reaping it at the same moment, and ``join`` returns to only one of them)."""
    deadline = time.monotonic() + seconds
    while True:
        codes = [w.exitcode for w in workers if w.exitcode is not None]
        if codes or time.monotonic() > deadline:
            return codes[0] if codes else None
        time.sleep(0.02)


def worker_died(code: int | None) -> str:
    """Why a file whose worker process died is skipped: how it died, as far as its exit code tells."""
    import signal

    if code is not None and code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
        if code == -signal.SIGKILL:
            how += ": out of memory?"
    elif code is not None:
        how = f"exit code {code}"
    else:
        how = "cause unknown"
    return f"its worker process died while extracting it ({how})"
