"""Plain text (.txt): decoded in whatever encoding it is in (``decode.decode_bytes``)."""

from __future__ import annotations

from zhengji_kg.ingest.base import Extracted
from zhengji_kg.ingest.decode import decode_bytes

SUFFIXES = (".txt",)


def read(raw: bytes, suffix: str) -> Extracted:
    decoded = decode_bytes(raw)
    return Extracted(decoded.text, notes=list(decoded.notes))
