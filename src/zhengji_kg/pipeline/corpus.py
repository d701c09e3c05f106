"""The corpus build: read every file, take what the cache holds, extract the rest (here, in worker processes
or on Dask), merge the results in corpus order and write the graph (``build``, ``build_to``)."""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from zhengji_kg.base.model import BuildReport
from zhengji_kg.base.output import AtomicFile
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
from zhengji_kg.kg.turtle import merged_turtle, turtle_header, weight_turtle
from zhengji_kg.pipeline.cache import ExtractionCache, cache_key
from zhengji_kg.pipeline.pool import Feeder, extract_sources
from zhengji_kg.pipeline.worker import (
    DocResult,
    internal_error,
)
from zhengji_kg.pipeline.writer import PartWriter

EXECUTORS = ("local", "dask")
MAX_FILE_MB = 20.0  # one document larger than this is skipped (reported): policy texts are far smaller


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
    # over a cache that holds results, few files are likely to have changed (see Feeder)
    feeder = Feeder(rules, jobs, turtle, keep_text, hold=bool(known)) if local else None
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
        fresh = extract_sources(todo, rules, executor, scheduler, turtle, keep_text)
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
    parts: PartWriter | None = None
    try:
        parts = PartWriter(out, previous, cache)
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
