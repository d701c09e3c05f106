"""The extraction cache: per-document results keyed by the document's bytes and the rules' digest.

Extraction is a pure function of (document, rules), so its result can be kept: a rebuild re-extracts
only the documents whose bytes (or sidecar) changed, and every document when any rule or lexicon byte
changed (``RuleSet.digest`` covers them and the package version). The store is one SQLite file —
each write is a transaction, so an interrupted build leaves it consistent: entries written are whole,
the rest are simply missing. Entries no build has used for a while are pruned.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any

from .ingest import SourceFile
from .rules import RuleSet

FORMAT = "zhengji-kg-cache-1"  # bump when the cached objects change shape
KEEP_SECONDS = 30 * 24 * 3600  # entries unused for a month are dropped after a build


def cache_key(src: SourceFile, rules: RuleSet) -> str:
    h = hashlib.sha256()
    for part in (FORMAT.encode(), rules.digest.encode(), src.name.encode("utf-8"), src.raw, src.sidecar or b""):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


class ExtractionCache:
    """``get``/``put`` pickled results under their key; ``commit`` makes what was put durable."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("CREATE TABLE IF NOT EXISTS result (key TEXT PRIMARY KEY, used REAL, value BLOB)")
        except sqlite3.DatabaseError as exc:  # not a database (truncated, overwritten): start afresh
            self.path.unlink(missing_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("CREATE TABLE IF NOT EXISTS result (key TEXT PRIMARY KEY, used REAL, value BLOB)")
            self.warning = f"cache {self.path} was unreadable ({exc}); started a new one"
        else:
            self.warning = ""
        self.now = time.time()
        self.hits = 0
        self.misses = 0
        self._pending = 0

    def get(self, key: str) -> Any | None:
        row = self.db.execute("SELECT value FROM result WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        try:
            value = pickle.loads(zlib.decompress(row[0]))
        except Exception:  # a damaged entry is a miss, never a crash
            self.misses += 1
            return None
        self.db.execute("UPDATE result SET used = ? WHERE key = ?", (self.now, key))
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        blob = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
        self.db.execute("INSERT OR REPLACE INTO result VALUES (?, ?, ?)", (key, self.now, blob))
        self._pending += 1
        if self._pending >= 200:
            self.commit()

    def commit(self) -> None:
        self.db.commit()
        self._pending = 0

    def prune(self) -> int:
        """Drop entries no build has used for ``KEEP_SECONDS``; return how many."""
        n = self.db.execute("DELETE FROM result WHERE used < ?", (self.now - KEEP_SECONDS,)).rowcount
        self.commit()
        return n

    def close(self) -> None:
        self.commit()
        self.db.close()
