"""Markdown (.md, .markdown): decoded as text, then heading marks, list bullets, emphasis and link targets
taken out so that only the words remain."""

from __future__ import annotations

import re

from zhengji_kg.ingest.base import Extracted
from zhengji_kg.ingest.decode import decode_bytes

SUFFIXES = (".md", ".markdown")


def read(raw: bytes, suffix: str) -> Extracted:
    decoded = decode_bytes(raw)
    return Extracted(plain(decoded.text), notes=list(decoded.notes))


def plain(text: str) -> str:
    """The words of a Markdown text, without its markup."""
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text
