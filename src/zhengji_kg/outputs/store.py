"""The Oxigraph store beside a build's graph.ttl: the graph, loaded once, that queries open at once.

Loading the Turtle is what a query on a large graph waits for (24 s for the 6.8 million triples of a
10,000-document build; the query itself takes under a second). ``zhengji-kg build --store`` also writes
``OUT/graph.oxigraph/`` — an on-disk Oxigraph (RocksDB) store of the same triples — and ``query``,
``diffusion`` and ``serve`` open it read-only (0.1 s) instead of loading the file.

A store answers for one graph file only: it holds a stamp of the file it was loaded from (its inode,
size and modification time — a rename into place keeps them, any rewrite changes them) and of the
pyoxigraph release installed beside the ``oxigraph`` program that wrote it (both are pinned to one
minor release, whose on-disk format they share). A store whose stamp is not that of the graph.ttl beside it now is
never read: the graph is loaded from the file as before. A build without ``--store`` removes the store
of the previous graph, saying so, as it removes stale exports.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from zhengji_kg.base.children import forking_workers, parent_death_preexec

STORE_NAME = "graph.oxigraph"
STAMP_NAME = "zhengji-kg-stamp.json"
_FORMAT = 1  # bump when what the store holds for a graph changes shape


def store_path(graph_file: Path) -> Path:
    """Where the store of a build's ``graph.ttl`` lives: beside it."""
    return Path(graph_file).parent / STORE_NAME


def _stamp(graph_file: Path) -> dict[str, object]:
    import pyoxigraph as ox

    st = os.stat(graph_file)
    return {
        "format": _FORMAT,
        "oxigraph": ox.__version__,
        "inode": st.st_ino,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }


def fresh_store(graph_file: Path) -> Path | None:
    """The store beside ``graph_file`` if it was loaded from that very file by this release of Oxigraph;
    else None (none there, another graph, a store being replaced, an unreadable stamp)."""
    graph_file = Path(graph_file)
    if graph_file.name != "graph.ttl":
        return None  # only a build's graph has a store (an export is read from its file)
    where = store_path(graph_file)
    try:
        stamp = json.loads((where / STAMP_NAME).read_text(encoding="utf-8"))
        return where if stamp == _stamp(graph_file) else None
    except (OSError, ValueError):
        return None


def open_store(graph_file: Path):
    """The graph of ``graph_file`` as an Oxigraph store: its fresh store beside it, opened read-only, or
    else an in-memory store the file is loaded into."""
    import pyoxigraph as ox

    where = fresh_store(graph_file)
    if where is not None:
        try:
            return ox.Store.read_only(str(where))
        except OSError:  # removed or replaced between the check and the open: the file is the truth
            pass
    return load_memory_store(graph_file)


def load_memory_store(graph_file: Path):
    """An in-memory Oxigraph store holding the graph file (Turtle, N-Triples, TriG …, by extension)."""
    import pyoxigraph as ox

    store = ox.Store()
    fmt = ox.RdfFormat.from_extension(Path(graph_file).suffix.lstrip(".") or "ttl") or ox.RdfFormat.TURTLE
    store.load(path=str(graph_file), format=fmt)  # in memory: as fast as bulk_load, 18 % less peak memory
    return store


class StoreError(RuntimeError):
    """The store could not be written: Oxigraph's program is missing, or it failed (its message)."""


def oxigraph_binary() -> str:
    """The ``oxigraph`` executable installed with the ``oxigraph`` package (beside this Python, or on PATH)."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise StoreError("the oxigraph program is not installed (pip install oxigraph)")


def write_store(graph_file: Path) -> Path:
    """Load ``graph_file`` into a new on-disk store in a temporary folder beside it, compacted for reading;
    return that folder, to be put in place with ``place_store``. The stamp is the file's — a build loads
    its temporary graph file, which is renamed to graph.ttl keeping what the stamp names.

    Oxigraph's own program does the work (``oxigraph load``, its bulk loader, then ``oxigraph optimize``,
    which makes the queries that read much of the graph a third faster), in a child process: a stop
    signal, which Python acts on only between calls, is not held up for the half-minute a large load
    takes — the child is ended, and nothing is left behind, whatever ends the wait."""
    graph_file = Path(graph_file)
    tmp = graph_file.parent / f".{STORE_NAME}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    program = oxigraph_binary()
    try:
        _run(
            [program, "load", "--location", str(tmp), "--file", str(graph_file), "--format", "ttl"],
            f"{graph_file.name}: oxigraph could not load it",
        )
        _run([program, "optimize", "--location", str(tmp)], "oxigraph could not compact the store")
        stamp = _stamp(graph_file)
        (tmp / STAMP_NAME).write_text(json.dumps(stamp, sort_keys=True) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def start_oxigraph(args: list[str], log: Any) -> subprocess.Popen[bytes]:
    """Start one of Oxigraph's commands (``args``, the program first): its messages to ``log``, in a session
    of its own — a Ctrl-C at the terminal reaches this process only, which ends the child itself — and
    bound to this process's life (killed with it on Linux, even by SIGKILL)."""
    preexec = parent_death_preexec(signal.SIGKILL)
    # the preexec runs Python in the child: no stop may run the command's handler there (children.py)
    with forking_workers() if preexec is not None else contextlib.nullcontext():
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
            preexec_fn=preexec,  # (started before any thread of serve's front)
        )


def _run(args: list[str], failure: str) -> None:
    """Run one of Oxigraph's commands to its end, in a session of its own and bound to this process's
    life; killed if the wait is interrupted."""
    with tempfile.TemporaryFile() as log:
        proc = start_oxigraph(args, log)
        try:
            code = proc.wait()
        except BaseException:
            # its work is thrown away: killed at once, and reaped even if another Ctrl-C comes meanwhile
            proc.kill()
            while True:
                try:
                    proc.wait()
                    break
                except KeyboardInterrupt:
                    continue
            raise
        if code != 0:
            raise StoreError(f"{failure} (exit code {code}): {log_tail(log)}")


def log_tail(log: Any) -> str:
    """The end of what an Oxigraph program wrote to ``log`` (a binary file): what a message can quote."""
    log.seek(0)
    return log.read().decode("utf-8", "replace").strip()[-300:]


def sweep_leftovers(folder: Path) -> None:
    """Remove what builds that were killed left while writing or replacing a store (``.graph.oxigraph.*``):
    a build does this first, holding the folder's lock, so no other build is writing one."""
    for stale in Path(folder).glob(f".{STORE_NAME}.*"):
        shutil.rmtree(stale, ignore_errors=True)


def set_aside(folder: Path) -> Path | None:
    """Move the folder's store out of the way (a rename: instant whatever its size); return where it went,
    to be put back (``put_back``) or removed (``discard_store``) — or None if there was none."""
    target = Path(folder) / STORE_NAME
    aside = Path(folder) / f".{STORE_NAME}.{os.getpid()}.old"
    shutil.rmtree(aside, ignore_errors=True)
    try:
        target.rename(aside)
    except FileNotFoundError:
        return None
    return aside


def place_store(tmp: Path, folder: Path) -> Path | None:
    """Put a store ``write_store`` made in place as ``folder/graph.oxigraph``; the previous one is set aside
    (returned, or None), to be removed once the build's outputs are all in place — or put back if they
    cannot be. Two renames, as a folder cannot replace a non-empty one in one: a reader in between finds no
    store, or one whose stamp is not its graph's, and reads the graph file — never a wrong answer."""
    aside = set_aside(folder)
    try:
        tmp.rename(Path(folder) / STORE_NAME)
    except BaseException:
        put_back(folder, aside)
        raise
    return aside


def put_back(folder: Path, aside: Path | None) -> None:
    """Undo ``place_store`` / ``set_aside``: whatever store is in place now goes, the one set aside returns."""
    target = Path(folder) / STORE_NAME
    if target.is_dir():
        gone = Path(folder) / f".{STORE_NAME}.{os.getpid()}.gone"
        shutil.rmtree(gone, ignore_errors=True)
        target.rename(gone)
        shutil.rmtree(gone, ignore_errors=True)
    if aside is not None:
        aside.rename(target)


def discard_store(path: Path | None) -> None:
    """Remove a store folder that is not (or no longer) in place."""
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)
