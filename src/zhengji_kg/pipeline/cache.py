"""The extraction cache: per-document results keyed by the document's bytes and the rules' digest.

Extraction is a pure function of (document, rules), so its result can be kept: a rebuild re-extracts
only the documents whose bytes (or sidecar) changed, and every document when any rule or lexicon byte
changed (``RuleSet.digest`` covers them and the package version). The store is one SQLite file (with
its write-ahead log) — each write is a transaction, so an interrupted build leaves it consistent: entries
written are whole, the rest are simply missing. Entries no build has used for a while are pruned.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import zstandard

from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.version import __version__
from zhengji_kg.ingest import SourceFile

# bump when the cached objects change shape (a new release re-extracts anyway: its version is in the key)
FORMAT = "zhengji-kg-cache-8"
# Turtle is kept compressed by Zstandard at its fast level -3: compressing it is in the build process's
# path, and there it costs 0.7 s per 500 MB of a large corpus's Turtle (→ 87 MB) where level 1 costs 1.2 s
# (→ 71 MB) and zlib's fastest level four times as much; reading it back is faster too
_ZSTD_C = zstandard.ZstdCompressor(level=-3)
_ZSTD_D = zstandard.ZstdDecompressor()
_SCHEMA = 3  # PRAGMA user_version of the SQLite layout
KEEP_SECONDS = 30 * 24 * 3600  # entries unused for a month are dropped after a build
TOUCH_SECONDS = 24 * 3600  # an entry's last use is written again only when it is older than this


def cache_key(src: SourceFile, rules: RuleSet) -> str:
    h = hashlib.sha256()
    # the release is part of the key: a new one may read the same bytes differently (its readers)
    head = (FORMAT.encode(), __version__.encode(), rules.digest.encode())
    for part in (*head, src.name.encode("utf-8"), src.raw, src.sidecar or b""):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def _stamp_prefix(rules: RuleSet) -> str:
    """A stamp holds for the cache format and rules it was noted under: it is stored after them."""
    return f"{FORMAT}|{__version__}|{rules.digest}|"


class ExtractionCache:
    """``fetch``/``load``/``put`` pickled results under their key; ``commit`` makes what was put durable."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:  # not a database (truncated, overwritten): start afresh
            self.path.unlink(missing_ok=True)
            self.db = self._open()
            self.warning = f"cache {self.path} was unreadable ({exc}); started a new one"
        else:
            self.warning = ""
        self.now = time.time()
        self.hits = 0
        self.misses = 0
        self._pending = 0
        self._used: list[str] = []
        self._used_runs: list[str] = []

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        # a new cache gets 32 KiB pages (a page size is fixed once the file has a table): a document's row
        # (~8 KB) then fits one page, where 4 KiB pages chained it over three — inserting ten thousand took
        # twice the time; an existing cache keeps its pages
        db.execute("PRAGMA page_size = 32768")
        # write-ahead log, synced at checkpoints only: a commit costs no fsync (it cost a second per
        # incremental build, waiting behind the graph file's own sync), and a crash or a power cut can
        # lose the last commits — entries to be extracted again — but never leave the file inconsistent
        if db.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
            db.execute("PRAGMA synchronous = NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != _SCHEMA:  # an older layout: its entries could not be read anyway
            db.executescript("DROP TABLE IF EXISTS result; DROP TABLE IF EXISTS layout;")
            db.execute(f"PRAGMA user_version = {_SCHEMA}")
        # the result without its Turtle (the merge needs only that), and the Turtle on its own
        db.execute(
            "CREATE TABLE IF NOT EXISTS result (key TEXT PRIMARY KEY, used REAL, value BLOB, turtle BLOB, tlen INTEGER)"
        )
        # the merged state of runs of documents (``KnowledgeGraph.partial``), keyed by their keys (``run``)
        db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, used REAL, value BLOB)")
        # where each document's Turtle lies in the graph file the last build wrote (see ``layout``)
        db.execute("CREATE TABLE IF NOT EXISTS layout (name TEXT PRIMARY KEY, value BLOB)")
        # what each corpus file looked like (``ingest.source_stamp``) when its key was computed (``stamps``)
        db.execute("CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, stamp TEXT, key TEXT)")
        # when the cache was last pruned (see ``prune``)
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value REAL)")
        db.commit()
        return db

    def fetch(self, key: str) -> tuple[bytes, int] | None:
        """The stored bytes of a result (``load`` makes it a result), or None: a build looks up every file
        first and loads the results only once the files to extract are under way."""
        row = self.db.execute("SELECT value, tlen, used FROM result WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        if row[2] < self.now - TOUCH_SECONDS:  # note the use (for ``prune``), at most once a day
            self._used.append(key)
        return row[0], row[1]

    def keys(self) -> set[str]:
        """Every key with a stored result: one query, where ten thousand lookups cost a second."""
        return {k for (k,) in self.db.execute("SELECT key FROM result")}

    def stamps(self, rules: RuleSet) -> dict[str, tuple[str, str]]:
        """Corpus name → (stamp, key) of every file whose key an earlier build computed with these rules.

        A file whose ``ingest.source_stamp`` is still the one noted has the bytes it had then, so its key
        is known without reading it: a rebuild of 10,000 documents reads the few that changed, not all
        (opening, reading and hashing 50 MB took a third of a second, a twentieth of such a rebuild).
        """
        prefix = _stamp_prefix(rules)
        return {
            name: (stamp[len(prefix) :], key)
            for name, stamp, key in self.db.execute("SELECT name, stamp, key FROM files")
            if stamp.startswith(prefix)
        }

    def note_stamps(self, rules: RuleSet, rows: list[tuple[str, str, str]]) -> None:
        """Remember (name, stamp, key) of files read in this build (see ``stamps``)."""
        prefix = _stamp_prefix(rules)
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", ((n, prefix + st, k) for n, st, k in rows))

    def run(self, key: str) -> Any | None:
        """The stored ``(members, partial)`` of a run of documents (see ``put_run``), or None."""
        row = self.db.execute("SELECT value, used FROM runs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            members, state = pickle.loads(row[0])
            keys = [k for k, _tlen, _triples in members]
        except Exception:  # a damaged entry is a miss, never a crash
            return None
        if row[1] < self.now - TOUCH_SECONDS:  # the run and its documents were used (for ``prune``)
            self._used_runs.append(key)
            self._used.extend(keys)
        return members, state

    def put_run(self, key: str, members: list[tuple[str, int, int]], partial: Any) -> None:
        """Keep the merged state of a run of documents — ``members`` are their (key, Turtle length,
        triples) in order, ``partial`` their ``KnowledgeGraph.partial()`` — under the run's key."""
        blob = pickle.dumps((members, partial), protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?)", (key, self.now, blob))

    def load(self, key: str, row: tuple[bytes, int]) -> Any | None:
        """The result ``fetch`` found (a ``DocResult`` whose ``turtle`` is left empty: see ``turtle``), or
        None if it cannot be read."""
        try:
            value = pickle.loads(row[0])
            value.key, value.turtle_size = key, row[1]
        except Exception:  # a damaged entry is a miss, never a crash
            self.misses += 1
            return None
        self.hits += 1
        return value

    def turtle(self, key: str) -> bytes:
        """The Turtle of a cached result (kept apart: an incremental build copies most of it from the
        previous graph file instead)."""
        row = self.db.execute("SELECT turtle FROM result WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return _ZSTD_D.decompress(row[0])

    def put(self, key: str, value: Any) -> None:
        turtle = value.turtle
        # not compressed: loading ten thousand of them is on the path of every incremental build
        blob = value.packed or pickle.dumps(replace(value, turtle=b""), protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute(
            "INSERT OR REPLACE INTO result VALUES (?, ?, ?, ?, ?)",
            (key, self.now, blob, _ZSTD_C.compress(turtle), len(turtle)),
        )
        self._pending += 1
        if self._pending >= 200:
            self.commit()

    def layout(self, graph: Path) -> tuple[Any, dict[str, tuple[int, int]]] | None:
        """The previous graph file, open, and where each document's Turtle lies in it — if that file is
        still the one the last build wrote (same inode, size and modification time), else None."""
        row = self.db.execute("SELECT value FROM layout WHERE name = ?", (Path(graph).name,)).fetchone()
        if row is None:
            return None
        try:
            stamp, parts = pickle.loads(zlib.decompress(row[0]))
            fh = open(graph, "rb")  # noqa: SIM115 (the caller closes it when the copy is done)
        except Exception:
            return None
        st = os.fstat(fh.fileno())
        if (st.st_ino, st.st_size, st.st_mtime_ns) != stamp:
            fh.close()
            return None
        return fh, parts

    def save_layout(self, graph: Path, written: Path, parts: dict[str, tuple[int, int]]) -> None:
        """Remember where each document's Turtle lies in ``written`` — the finished temporary file that
        will be renamed to ``graph`` (a rename keeps inode, size and modification time)."""
        st = os.stat(written)
        blob = zlib.compress(pickle.dumps(((st.st_ino, st.st_size, st.st_mtime_ns), parts)), 1)
        self.db.execute("INSERT OR REPLACE INTO layout VALUES (?, ?)", (Path(graph).name, blob))
        self.commit()
        # the log into the database now, before the build syncs its graph file: else closing the cache
        # does it, and its fsync waits behind the graph's
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def commit(self) -> None:
        if self._used:
            self.db.executemany("UPDATE result SET used = ? WHERE key = ?", ((self.now, k) for k in self._used))
            self._used = []
        if self._used_runs:
            self.db.executemany("UPDATE runs SET used = ? WHERE key = ?", ((self.now, k) for k in self._used_runs))
            self._used_runs = []
        self.db.commit()
        self._pending = 0

    def prune(self) -> int:
        """Drop entries no build has used for ``KEEP_SECONDS``; return how many.

        At most once every ``TOUCH_SECONDS``: looking at every entry's last use costs half a second in a
        large cache, on the path of every incremental build, and uses are only noted once a day anyway.
        """
        self.commit()  # the uses noted in this build first
        last = self.db.execute("SELECT value FROM meta WHERE name = 'pruned'").fetchone()
        if last is not None and self.now - TOUCH_SECONDS < last[0] <= self.now:
            return 0
        n = self.db.execute("DELETE FROM result WHERE used < ?", (self.now - KEEP_SECONDS,)).rowcount
        self.db.execute("DELETE FROM runs WHERE used < ?", (self.now - KEEP_SECONDS,))
        self.db.execute("DELETE FROM files WHERE key NOT IN (SELECT key FROM result)")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned', ?)", (self.now,))
        self.commit()
        return n

    def close(self) -> None:
        self.commit()
        self.db.close()
