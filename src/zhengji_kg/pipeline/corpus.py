"""Per-document extraction — a pure function of (document, rules) — and the corpus build around it."""

from __future__ import annotations

import gc
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from zhengji_kg.base.output import AtomicFile, copy_range
from zhengji_kg.base.rules import RuleSet, load_rules
from zhengji_kg.ingest import (
    IngestError,
    SourceFile,
    corpus_name,
    iter_corpus_files,
    load_source,
    source_stamp,
)
from zhengji_kg.kg.graph import KnowledgeGraph
from zhengji_kg.kg.rdf import merged_turtle, turtle_header, weight_turtle
from zhengji_kg.pipeline.cache import ExtractionCache, cache_key
from zhengji_kg.pipeline.distributed import dask_results
from zhengji_kg.pipeline.worker import (  # noqa: F401  (the per-document step, as the build and its API name it)
    DocResult,
    _init_worker,
    extract_document,
    internal_error,
    pack_result,
    process_source,
    slim,
    unpack_result,
)


@dataclass
class BuildReport:
    """What a build read, skipped and produced — printed by the CLI, useful in a notebook."""

    read: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # files in the corpus folders that are not of a document format (SOURCES.tsv, photo.jpg): not read
    not_documents: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (read, extract, merge, write)
    cache_hits: int = 0
    extracted: int = 0  # documents extracted in this build (not taken from the cache)
    triples: int = 0
    warnings: list[str] = field(default_factory=list)


EXECUTORS = ("local", "dask")
MAX_FILE_MB = 20.0  # one document larger than this is skipped (reported): policy texts are far smaller


def _results(
    sources: list[SourceFile],
    rules: RuleSet,
    executor: str,
    scheduler: Any,
    turtle: bool,
    keep_text: bool,
) -> Iterator[DocResult]:
    """The results of ``process_source`` over ``sources``, in order: in this process, or as a map over Dask
    workers. (Local worker processes are fed by ``_Feeder`` while the corpus is being read.)"""
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


class _Feeder:
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
            self.pools[0].submit(int)

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
            future = self.pools[turn].submit(_process_batch, batch, self.turtle, self.keep_text)
        except BrokenProcessPool:  # a worker of this pool died: its batches are retried in ``take``
            self._ended.append(self.pools[turn])
            self.pools[turn] = self._new_pool(self._sizes[turn])
            future = self.pools[turn].submit(_process_batch, batch, self.turtle, self.keep_text)
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
                future = self._spare.submit(_process_batch, [src], self.turtle, self.keep_text)
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


class _PartWriter:
    """Writes the graph file part by part and notes where each document's Turtle lies in it.

    A document taken from the cache whose Turtle sits unchanged in the previous graph file is copied
    from there (runs of such documents in one ``copy_file_range``) instead of being read back from the
    cache: an incremental build of a large corpus then costs little more than the merged part. The last
    run is copied in a thread (``close``: the kernel copies, so it takes no core from the merge that
    follows), which the next ``write`` waits for.
    """

    def __init__(self, out: AtomicFile, previous: tuple[Any, dict[str, tuple[int, int]]] | None, cache) -> None:
        self.out = out
        self.fh = out.handle
        self.old, self.old_parts = previous if previous is not None else (None, {})
        self.cache = cache
        self.pos = 0
        self.layout: dict[str, tuple[int, int]] = {}
        self._run: list[int] = []  # a pending range of the old file: [offset, length]
        self._copying: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, data: bytes) -> None:
        self._copy_run()
        self.join()
        self.fh.write(data)
        self.pos += len(data)

    def document(self, result: DocResult) -> None:
        if result.turtle_size < 0:  # extracted in this build
            data = result.turtle
        else:
            old = self.old_parts.get(result.key)
            if old is not None and old[1] == result.turtle_size:
                offset, length = old
                if self._run and self._run[0] + self._run[1] == offset:
                    self._run[1] += length
                else:
                    self._copy_run()
                    self._run = [offset, length]
                self._note(result.key, length)
                return
            data = self.cache.turtle(result.key)
        self.write(data)
        if result.key:
            self.layout[result.key] = (self.pos - len(data), len(data))

    def _note(self, key: str, length: int) -> None:
        self.layout[key] = (self.pos, length)
        self.pos += length

    def _copy_run(self, background: bool = False) -> None:
        if not self._run:
            return
        offset, length = self._run
        self._run = []
        self.join()
        self.fh.flush()
        if background:
            args = (offset, length, self.out.sync_ahead)
            self._copying = threading.Thread(target=self._copy, args=args, name="copy parts", daemon=True)
            self._copying.start()
        else:
            self._copy(offset, length)
            self._raise()

    def _copy(self, offset: int, length: int, then: Callable[[], None] | None = None) -> None:
        try:
            copy_range(self.old, self.fh, offset, length)
            self.fh.seek(0, os.SEEK_END)  # the copy moved the descriptor, not the buffered writer's idea of it
            if then is not None:
                then()
        except BaseException as exc:  # a thread cannot raise to its caller: ``join`` raises it
            self._error = exc

    def join(self) -> None:
        """Wait for a copy running in the background; raise what it raised."""
        if self._copying is not None:
            self._copying.join()
            self._copying = None
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        """Start copying the last run of unchanged documents; once it is done, start syncing the file
        (``AtomicFile.sync_ahead``) while the merged part is still being worked out."""
        if self._run:
            self._copy_run(background=True)
        else:
            self.out.sync_ahead()

    def abandon(self) -> None:
        """Wait for a copy still running, ignoring its error: the build failed and its file goes."""
        if self._copying is not None:
            self._copying.join()
            self._copying = None
        self._error = None


def _collect(
    paths: Iterable[str | Path],
    rules: RuleSet,
    *,
    jobs: int,
    cache: ExtractionCache | None,
    executor: str,
    scheduler: Any,
    turtle: bool,
    keep_text: bool,
    strict: bool,
    progress: Callable[[int, int, str], None] | None,
    report: BuildReport,
    max_file_mb: float = 0,
    on_tail: Callable[[], None] | None = None,
) -> Iterator[DocResult]:
    """Read every file once (bytes, for the cache key), take cached results, extract the rest; yield the
    results in corpus order, so that the build is the same whatever the jobs, executor or cache."""
    t = time.perf_counter()
    known = cache.keys() if cache is not None else set()
    local = executor == "local" and jobs > 1
    # over a cache that holds results, few files are likely to have changed (see _Feeder)
    feeder = _Feeder(rules, jobs, turtle, keep_text, hold=bool(known)) if local else None
    if feeder is not None and known:
        feeder.prestart()
    try:
        others: list[tuple[Path, Path]] = []
        files = list(iter_corpus_files([Path(p) for p in paths], others))
        report.not_documents = [corpus_name(f, root) for f, root in others]
        # a slot is a result (why the file was skipped), a cache key (a hit, loaded once the files to
        # extract are under way), a file to extract here or on Dask, or the handle of a file a worker
        # process is extracting
        slots: list[DocResult | str | SourceFile | int] = []
        keys: dict[int, str] = {}
        hits: dict[int, SourceFile | _Unread] = {}
        stamps = cache.stamps(rules) if cache is not None else {}
        noted: list[tuple[str, str, str]] = []  # (name, stamp, key) of the files read, for the next build
        settled = time.time_ns() - RACY_NS  # files changed since may change again unseen in the same tick
        for i, (f, root) in enumerate(files):
            name = corpus_name(f, root)
            stamp = ""
            try:
                st = os.stat(f)
                if max_file_mb and st.st_size > max_file_mb * 1e6:
                    raise IngestError(
                        f"{st.st_size / 1e6:.0f} MB: larger than the {max_file_mb:g} MB limit for one document"
                        " (--max-file-mb)"
                    )
                if cache is not None:
                    stamp, newest = _stamp(f, st)
                    seen = stamps.get(name)
                    if stamp and seen is not None and seen[0] == stamp and seen[1] in known:
                        keys[i] = seen[1]  # unchanged since a build read it: no need to read it again
                        slots.append(keys[i])
                        hits[i] = _Unread(name, f, root)
                        continue
                src = load_source(f, root)
            except IngestError as exc:
                slots.append(DocResult(name, error=str(exc)))
                continue
            except OSError as exc:  # stat failed: a dangling link, a file removed while the build ran
                slots.append(DocResult(name, error=f"cannot read file ({exc.strerror or exc})"))
                continue
            except Exception as exc:  # a bug of ours met on a strange file costs that file only
                slots.append(DocResult(name, error=internal_error("reading", exc)))
                continue
            if cache is not None:
                keys[i] = cache_key(src, rules)
                if stamp and newest < settled:
                    noted.append((name, stamp, keys[i]))
                if keys[i] in known:
                    slots.append(keys[i])
                    hits[i] = src
                    continue
            slots.append(feeder.add(src) if feeder is not None else src)
        if noted:
            assert cache is not None
            cache.note_stamps(rules, noted)
        runs = _runs(slots, keys, hits, cache) if cache is not None and turtle else {}
        if feeder is not None:
            feeder.start()
        for i, src in hits.items():  # the cached results, while the workers extract the rest
            assert cache is not None
            row = cache.fetch(keys[i])
            hit = cache.load(keys[i], row) if row is not None else None
            if isinstance(hit, DocResult):
                slots[i] = hit
            else:  # gone or damaged: extract it here
                slots[i] = _read(src) if isinstance(src, _Unread) else src
        del hits
        report.stages["read"] = time.perf_counter() - t
        todo = [s for s in slots if isinstance(s, SourceFile)]
        fresh = _results(todo, rules, executor, scheduler, turtle, keep_text)
        left = sum(1 for s in slots if not isinstance(s, DocResult))  # results still to be extracted
        report.cache_hits = len(files) - left - sum(1 for s in slots if isinstance(s, DocResult) and s.error)
        tail = max(1, left // 50)
        for i, slot in enumerate(slots):
            if on_tail is not None and left <= tail:
                on_tail()
                on_tail = None
            if isinstance(slot, DocResult):
                result = slot
            elif isinstance(slot, SourceFile):
                result = next(fresh)
                left -= 1
            else:
                assert feeder is not None
                result = feeder.take(slot)
                left -= 1
            if progress:
                progress(i + 1, len(slots), result.name)
            if result.error:
                if strict:
                    raise IngestError(f"{result.name}: {result.error}")
                report.skipped.append((result.name, result.error))
                continue
            report.warnings += [f"{result.name}: {w}" for w in result.warnings]
            if not isinstance(slot, DocResult):
                report.extracted += 1
                if cache is not None:
                    result.key = keys[i]
                    cache.put(keys[i], result)
            if i in runs:
                result.run, result.run_size = runs[i]
            report.read.append(result.name)
            yield result
        if cache is not None:
            cache.commit()
    except BaseException:  # an error, an interrupt, or the caller stopped reading (GeneratorExit)
        if feeder is not None:
            feeder.close(abort=True)
        raise
    if feeder is not None:
        feeder.close()


RACY_NS = 2_000_000_000  # a file changed this recently before a build is read again by the next one


class _Unread(NamedTuple):
    """A corpus file the cache knows unchanged (``ExtractionCache.stamps``), not read unless needed."""

    name: str
    path: Path
    root: Path


def _stamp(path: Path, st: os.stat_result) -> tuple[str, int]:
    """``ingest.source_stamp``, or no stamp (read the file) where its sidecar cannot be looked at."""
    try:
        return source_stamp(path, st)
    except OSError:
        return "", 0


def _read(unread: _Unread) -> SourceFile | DocResult:
    """Read a file ``_collect`` had not needed to read after all (its cached result was unusable)."""
    try:
        return load_source(unread.path, unread.root)
    except IngestError as exc:
        return DocResult(unread.name, error=str(exc))


RUN_DOCS = 256  # a run of documents ends, on average, every this many documents …
MAX_RUN_DOCS = 2048  # … and at the latest after this many


def _runs(
    slots: list[DocResult | str | SourceFile | int],
    keys: dict[int, str],
    hits: dict[int, SourceFile | _Unread],
    cache: ExtractionCache,
) -> dict[int, tuple[str, int]]:
    """Cut the documents to merge into runs, and take each run the cache holds whole.

    A run ends after a document whose key (a hash) is 0 modulo ``RUN_DOCS``, so the cuts depend on the
    documents, not on their positions: a changed, added or removed document changes its own run (and at
    most the next), never the others. A run whose documents are all cached and whose merged state is in
    the cache (``ExtractionCache.put_run``) becomes results that need no loading — the first carries
    the run's state for ``KnowledgeGraph.merge_partial``; their ``hits`` entries are dropped. For the
    other runs, return each slot's (run key, run size), so that the build can store their state.
    """
    runs: dict[int, tuple[str, int]] = {}
    run: list[int] = []
    todo = [i for i, s in enumerate(slots) if not isinstance(s, DocResult)]
    for n, i in enumerate(todo):
        run.append(i)
        if n + 1 < len(todo) and int(keys[i][:8], 16) % RUN_DOCS and len(run) < MAX_RUN_DOCS:
            continue
        run_key = hashlib.sha256("\n".join(keys[j] for j in run).encode()).hexdigest()
        whole = cache.run(run_key) if all(j in hits for j in run) else None
        if whole is not None and [m[0] for m in whole[0]] == [keys[j] for j in run]:
            members, state = whole
            for j, (key, tlen, triples) in zip(run, members, strict=True):
                src = hits.pop(j)
                slots[j] = DocResult(src.name, key=key, turtle_size=tlen, triples=triples, run_state=state)
                state = None
        else:
            runs.update((j, (run_key, len(run))) for j in run)
        run = []
    return runs


def build(
    paths: Iterable[str | Path],
    rules: RuleSet | None = None,
    *,
    lexicons: Iterable[Path] = (),
    progress: Callable[[int, int, str], None] | None = None,
    strict: bool = False,
    jobs: int = 1,
    executor: str = "local",
    scheduler: Any = None,
    keep_text: bool = False,
    max_file_mb: float = MAX_FILE_MB,
) -> KnowledgeGraph:
    """Build the knowledge graph of the documents under ``paths``, in memory.

    Returns a ``KnowledgeGraph``; ``.rdf()`` gives an ``rdflib.Graph``, ``.networkx()`` a
    ``networkx.MultiDiGraph``, ``.report`` what was read and skipped. A file that cannot be read is
    reported in ``.report.skipped`` and the rest still build; with ``strict`` the first one raises
    ``IngestError`` naming the file. ``jobs`` > 1 extracts in worker processes, ``executor="dask"`` on
    the Dask cluster at ``scheduler``; the graph is the same either way. ``keep_text`` keeps each
    document's whole text and sentences in ``kg.documents`` (``suggest`` and ``evaluate`` read them).
    For a large corpus written to disk, ``build_to`` streams instead.
    """
    t0 = time.perf_counter()
    rules = rules or load_rules(extra_lexicons=[Path(p) for p in lexicons])
    kg = KnowledgeGraph(rules)
    report = BuildReport()
    for result in _collect(
        paths,
        rules,
        jobs=jobs,
        cache=None,
        executor=executor,
        scheduler=scheduler,
        turtle=False,
        keep_text=keep_text,
        strict=strict,
        progress=progress,
        report=report,
        max_file_mb=max_file_mb,
    ):
        assert result.doc is not None
        kg.add(result.doc)
    kg.finish()
    report.seconds = time.perf_counter() - t0
    kg.report = report
    return kg


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while.

    A build's main process creates millions of long-lived tuples (the merged model, the cached results
    it loads): each pass of the collector walks all of them again, which took more than half of the time
    of loading a 10,000-document cache. The merge makes no reference cycles worth collecting. Turning
    it back on is not free either: the first collection after it walks the whole model once (half a
    second at 10,000 documents), so the ``build`` command keeps it off until it ends.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@gc_paused()
def build_to(
    paths: Iterable[str | Path],
    graph_file: Path,
    rules: RuleSet,
    *,
    jobs: int = 1,
    cache: ExtractionCache | None = None,
    executor: str = "local",
    scheduler: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
    strict: bool = False,
    max_file_mb: float = MAX_FILE_MB,
    on_merged: Callable[[KnowledgeGraph], None] | None = None,
    on_tail: Callable[[], None] | None = None,
) -> tuple[KnowledgeGraph, AtomicFile]:
    """Build and stream the Turtle to a temporary file beside ``graph_file``; return the graph model
    (without its documents) and that file, to be ``commit()``-ed (renamed into place) by the caller once
    everything else is ready. Memory holds the merged model, not the corpus: each document's own
    triples go to disk as soon as its result arrives (in corpus order, so the file is deterministic).
    ``on_merged(kg)`` is called once the model is complete, before its part of the file is written (the
    command starts rendering the page then, in another process); ``on_tail()`` once at most a fiftieth of
    the files to extract are left (at once when few or none are: an incremental build), for work that can
    start early without taking a core from the extraction (the command starts the page's process).
    """
    t0 = time.perf_counter()
    kg = KnowledgeGraph(rules)
    report = BuildReport()
    kg.report = report
    out = AtomicFile(graph_file)
    previous = cache.layout(graph_file) if cache is not None else None
    parts: _PartWriter | None = None
    try:
        parts = _PartWriter(out, previous, cache)
        parts.write(turtle_header())
        parts.write(b"\n# Each source's mentions and the evidence of what it states, source by source.\n")
        pending: tuple[str, int, KnowledgeGraph, list[tuple[str, int, int]]] | None = None

        def merge_run() -> None:
            nonlocal pending
            assert pending is not None
            key, size, graph, members = pending
            if cache is not None and len(members) == size:  # not when one of its documents failed
                cache.put_run(key, members, graph.partial())
            kg.absorb(graph)
            pending = None

        t = time.perf_counter()
        for result in _collect(
            paths,
            rules,
            jobs=jobs,
            cache=cache,
            executor=executor,
            scheduler=scheduler,
            turtle=True,
            keep_text=False,
            strict=strict,
            progress=progress,
            report=report,
            max_file_mb=max_file_mb,
            on_tail=on_tail,
        ):
            parts.document(result)
            report.triples += result.triples
            if pending is not None and result.run != pending[0]:
                merge_run()
            if result.run_state is not None:
                kg.merge_partial(result.run_state)
            elif result.part is None:
                pass  # a document of a run whose state was merged whole
            elif not result.run:
                kg.merge(result.part)
            else:  # a run the cache does not hold yet: merge it apart, keep its state, merge that
                if pending is None:
                    pending = (result.run, result.run_size, KnowledgeGraph(rules), [])
                pending[2].merge(result.part)
                tlen = result.turtle_size if result.turtle_size >= 0 else len(result.turtle)
                pending[3].append((result.key, tlen, result.triples))
                if len(pending[3]) == pending[1]:
                    merge_run()
        if pending is not None:
            merge_run()
        parts.close()  # the documents' parts reach the disk while the merged part is worked out
        report.stages["extract"] = time.perf_counter() - t - report.stages.get("read", 0.0)
        t = time.perf_counter()
        kg.finish()
        if on_merged is not None:
            on_merged(kg)
        report.stages["merge"] = time.perf_counter() - t
        t = time.perf_counter()
        merged, count = merged_turtle(kg)
        report.triples += count
        parts.write(b"\n# Sources, entities and relations.\n")
        parts.write(merged)
        del merged
        weights = weight_turtle(kg)
        report.triples += weights.count(b"\n")
        parts.write(b"\n# The weight of each co-occurrence, on each of its evidence nodes.\n")
        parts.write(weights)
        del weights
        out.flush()
        if cache is not None:  # before the sync starts: a commit behind a 500 MB fsync waits for all of it
            cache.save_layout(graph_file, out.tmp, parts.layout)
        out.finish()
        report.stages["write"] = time.perf_counter() - t
    except BaseException:
        if parts is not None:
            parts.abandon()  # before the file it copies into is closed and removed
        out.discard()
        raise
    finally:
        if previous is not None:
            previous[0].close()
    if cache is not None:
        cache.prune()
    report.seconds = time.perf_counter() - t0
    return kg, out
