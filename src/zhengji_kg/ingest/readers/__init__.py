"""One reader per file format, behind one interface: bytes in, ``Extracted`` (text, metadata, notes) out.

A reader is a module of this package that defines ``SUFFIXES`` (the file name endings it takes, lower
case, with the dot) and ``read(raw: bytes, suffix: str) -> Extracted``. A format that is recognised
but not read (old Word files) sets ``READS = False`` and has a ``read`` that raises ``IngestError``
saying how to convert it. Adding a format is adding one module here: the modules are found by name,
so nothing else needs to change. Readers import their libraries inside ``read``, so that listing the
formats costs nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from zhengji_kg.ingest.base import Extracted


@dataclass(frozen=True)
class Reader:
    name: str  # the module's name: text, html, pdf …
    suffixes: tuple[str, ...]
    read: Callable[[bytes, str], Extracted]
    reads: bool  # False for a format that is recognised only to say how to convert it


@lru_cache(maxsize=1)
def readers() -> dict[str, Reader]:
    """Every reader, by the suffix it takes."""
    out: dict[str, Reader] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        reader = Reader(info.name, tuple(module.SUFFIXES), module.read, getattr(module, "READS", True))
        for suffix in reader.suffixes:
            if suffix in out:
                raise RuntimeError(f"readers {out[suffix].name} and {info.name} both take {suffix}")
            out[suffix] = reader
    return out


def reader_for(suffix: str) -> Reader | None:
    """The reader of files ending in ``suffix`` (any case), or ``None``: not a document format."""
    return readers().get(suffix.lower())


def read_suffixes() -> tuple[str, ...]:
    """The suffixes of the formats that are read (for messages and ``--help``)."""
    return tuple(s for s, r in readers().items() if r.reads)
