"""Bytes → text: byte-order marks, strict UTF-8, then charset-normalizer among the CJK codecs; files pasted
together from parts in different encodings read line by line; stray control bytes removed and noted."""

from __future__ import annotations

import re
from typing import NamedTuple

from zhengji_kg.ingest.base import IngestError

CJK_ENCODINGS = ["gb18030", "big5", "utf_16", "utf_16_le", "utf_16_be", "utf_8"]


class Decoded(NamedTuple):
    """A file's text, the codec that read it, and what had to be mended to read it (for the report)."""

    text: str
    encoding: str
    notes: tuple[str, ...] = ()


# C0 controls but tab, line feed and carriage return, and DEL: no text file of ours holds them, scraped
# files often hold a few (a NUL from a broken export, a vertical tab from Word). Removing them from the
# bytes is safe in UTF-8, GB18030 and Big5, whose multi-byte sequences never use bytes below 0x30.
_STRAY_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_BYTE_NAMES = {0x00: "NUL", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
BINARY_SHARE = 0.05  # a file more than this share of whose bytes are controls is binary, not text


def decode_bytes(raw: bytes) -> Decoded:
    """Return the text and its codec: BOMs first, then strict UTF-8, then charset-normalizer among CJK
    codecs; a file pasted together from parts in different encodings is read line by line.

    A few stray control bytes are removed (and noted) instead of failing the file; a file with more
    than ``BINARY_SHARE`` of them is binary."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            text = raw[len(bom) :].decode(codec, errors="replace")
            if garbled(text):
                raise IngestError(f"text does not decode cleanly as {codec} (its byte-order mark says {codec})")
            return Decoded(text, codec)
    if b"\x00" in raw[:4000]:
        # UTF-16 without BOM: many NULs in alternating positions
        even = raw[0:4000:2].count(0)
        odd = raw[1:4000:2].count(0)
        if max(even, odd) > len(raw[:4000]) // 8:
            codec = "utf_16_be" if even > odd else "utf_16_le"
            try:
                return Decoded(raw.decode(codec), codec)
            except UnicodeDecodeError:
                pass
    if b"\x00" not in raw:  # stray controls of other kinds decode as text (and ``strip_invisible`` goes)
        try:
            return Decoded(*_decode_text(raw))
        except IngestError:
            if len(raw.translate(None, _STRAY_BYTES)) == len(raw):
                raise
    kept = raw.translate(None, _STRAY_BYTES)
    stray = len(raw) - len(kept)
    if stray > len(raw) * BINARY_SHARE:
        what = "NUL bytes" if b"\x00" in raw else "control bytes"
        raise IngestError(f"binary data ({stray} {what} in {len(raw)}), not text")
    counts = {b: raw.count(b) for b in set(raw) if b in _STRAY_BYTES}
    named = ", ".join(f"{_BYTE_NAMES.get(b, f'0x{b:02X}')} ×{n}" for b, n in sorted(counts.items()))
    text, encoding, more = _decode_text(kept)
    return Decoded(text, encoding, (f"removed {stray} control byte{'s' if stray > 1 else ''} ({named})", *more))


def _decode_text(raw: bytes) -> tuple[str, str, tuple[str, ...]]:
    try:
        return raw.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and len(raw) - exc.start < 4 and exc.start > 0:
            # a half-downloaded UTF-8 file: whole up to a character cut in two at the very end
            return raw[: exc.start].decode("utf-8"), "utf-8 (truncated)", ()
    found = _cjk_decode(raw)
    if found is not None and not found[2]:
        return found
    lines = _decode_lines(raw)  # before a guess: a file pasted together reads better line by line
    if lines is not None:
        return lines
    if found is not None:
        return found
    raise IngestError("unknown text encoding (tried UTF-8, UTF-16, GB18030, Big5)")


def _cjk_decode(raw: bytes) -> tuple[str, str, tuple[str, ...]] | None:
    """``raw`` in the CJK codec charset-normalizer ranks first; failing that (a lossy conversion's runs
    of "?" or a short text make it see noise), a guess noted as such: its first pick when allowed more
    noise, else the first of GB18030 and Big5 that reads it without error into Chinese text."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=CJK_ENCODINGS).best()
    if best is not None and not garbled(text := str(best)):
        return text, best.encoding, ()
    loose = from_bytes(raw, cp_isolation=CJK_ENCODINGS, threshold=0.5).best()
    if loose is not None and not garbled(text := str(loose)):
        return text, loose.encoding, (f"decoded as {loose.encoding}, with low confidence",)
    for codec in ("gb18030", "big5"):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if _HAN_CHAR.search(text):
            return text, codec, (f"decoded as {codec}, the first CJK codec that reads it without error",)
    return None


_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")


def garbled(text: str) -> bool:
    """Whether a decoding left more than a few replacement characters: the codec was the wrong one."""
    return text.count("\ufffd") > max(3, len(text) // 100)


def _decode_lines(raw: bytes) -> tuple[str, str, tuple[str, ...]] | None:
    """A file whose lines are in different encodings (parts pasted together from UTF-8 and GBK files):
    the lines that are not UTF-8 are read together (``_cjk_decode``). ``None`` unless both kinds are
    there and every line reads."""
    lines: list[str | bytes] = []
    other: list[bytes] = []
    for line in raw.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line)
            other.append(line)
    if not other or len(other) == len(lines):
        return None
    found = _cjk_decode(b"\n".join(other))
    if found is None:
        return None
    read = found[0].split("\n")
    if len(read) != len(other):
        return None
    it = iter(read)
    text = "\n".join(line if isinstance(line, str) else next(it) for line in lines)
    n = len(other)
    return text, "mixed", (f"lines in two encodings: {len(lines) - n} UTF-8, {n} {found[1]}", *found[2])
