"""Corpus files: which files of a folder are documents, their names in the corpus, their bytes (and their
sidecars') read once, and the stamp that tells a cache whether they changed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from zhengji_kg.ingest.base import IngestError
from zhengji_kg.ingest.metadata import parse_sidecar
from zhengji_kg.ingest.readers import reader_for

SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")


def sidecar_path(path: Path) -> Path | None:
    """``NAME.meta.yaml`` (or ``.meta.yml``) beside ``NAME.ext``, if there is one."""
    stem = _stem(path)
    for suffix in SIDECAR_SUFFIXES:
        if os.path.isfile(stem + suffix):  # strings, not pathlib: this runs for every file of every build
            return Path(stem + suffix)
    return None


def _stem(path: Path) -> str:
    """``path`` without its suffix, as a string (what ``path.with_name(path.stem + …)`` starts from)."""
    base = os.fspath(path)
    return base[: len(base) - len(path.suffix)] if path.suffix else base


def source_stamp(path: Path, st: os.stat_result) -> tuple[str, int]:
    """What identifies the bytes ``load_source`` would read without reading them: the file's size,
    modification and change times, inode and device (``st``, its ``os.stat``) and the same of its
    sidecar (or that it has none) — and the latest of those times, for the caller's racy-time check.

    The change time cannot be set back by a program (a copy that keeps the modification time still
    changes it), so an edit that leaves size and modification time as they were is still seen.
    """
    parts = [f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"]
    newest = max(st.st_mtime_ns, st.st_ctime_ns)
    stem = _stem(path)
    for suffix in SIDECAR_SUFFIXES:  # as ``sidecar_path`` finds it: the first one that is a file
        try:
            side = os.stat(stem + suffix)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISREG(side.st_mode):
            parts.append(f"{suffix}:{side.st_size}:{side.st_mtime_ns}:{side.st_ctime_ns}:{side.st_ino}")
            newest = max(newest, side.st_mtime_ns, side.st_ctime_ns)
            break
    return "|".join(parts), newest


def read_sidecar(path: Path) -> dict[str, str]:
    """Metadata overrides from ``NAME.meta.yaml`` beside ``NAME.ext`` (title, date, publisher, url, …)."""
    side = sidecar_path(path)
    return parse_sidecar(side.name, side.read_bytes()) if side else {}


@dataclass(frozen=True)
class SourceFile:
    """A corpus file's bytes (and its sidecar's), read once: what the cache hashes and what workers parse.

    Carrying bytes rather than a path lets a worker on another machine (Dask) parse a file it cannot see.
    """

    name: str  # path relative to the corpus root, with extension (POSIX separators)
    raw: bytes
    sidecar: bytes | None = None
    sidecar_name: str = ""

    @property
    def doc_id(self) -> str:
        return PurePosixPath(self.name).with_suffix("").as_posix()

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def load_source(path: Path, root: Path) -> SourceFile:
    """Read a corpus file and its sidecar; raise ``IngestError`` if either cannot be read."""
    name = corpus_name(path, root)
    side = sidecar_path(path)
    try:
        raw = path.read_bytes()
        side_raw = side.read_bytes() if side else None
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror or exc})") from exc
    return SourceFile(name, raw, side_raw, side.name if side else "")


def corpus_name(path: Path, root: Path) -> str:
    """A file's name in the corpus: its path under ``root`` (POSIX separators), or its file name when it
    is not under ``root``."""
    p, r = os.fspath(path), os.fspath(root)
    if p.startswith(r) and p[len(r) : len(r) + 1] == os.sep and len(p) > len(r) + 1:  # the usual case, fast
        return p[len(r) + 1 :].replace(os.sep, "/")
    try:
        rel = path.relative_to(root)
    except ValueError:
        return path.name
    return rel.as_posix() if rel.parts else path.name


def iter_corpus_files(
    paths: Iterable[Path], others: list[tuple[Path, Path]] | None = None
) -> Iterator[tuple[Path, Path]]:
    """Yield (file, corpus root) for every document under the given paths, in sorted order: every file
    of a format a reader knows (``readers``), including those recognised only to be reported (.doc).

    Folders are walked without following symbolic links to folders, so a link loop cannot trap the
    build; hidden files, sidecars and README.md are not documents. The other files found are appended
    to ``others`` (when given), so that a build can say what it did not read. A file named on its own
    is always yielded: the reader decides.
    """

    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = []
            skipped = []
            for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    if name.startswith(".") or name == "README.md" or name.endswith(SIDECAR_SUFFIXES):
                        continue
                    f = Path(dirpath) / name
                    (found if reader_for(f.suffix) is not None else skipped).append(f)
            for f in sorted(found, key=lambda f: corpus_name(f, p)):
                yield f, p
            if others is not None:
                others += [(f, p) for f in sorted(skipped, key=lambda f: corpus_name(f, p))]
        else:
            yield p, p.parent
