"""Writing graph.ttl as it arrives: each document's part appended in corpus order, the parts of unchanged
documents copied from the previous file (``copy_range``) instead of being formatted again, the layout noted
for the next incremental build."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from zhengji_kg.base.output import AtomicFile, copy_range
from zhengji_kg.pipeline.worker import (
    DocResult,
)


class PartWriter:
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
