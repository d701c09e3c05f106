"""Ingest: corpus files → ``Document`` (decoded, boilerplate removed, folded to simplified, with metadata).

Encodings are detected by charset-normalizer, traditional characters are folded with OpenCC, HTML is
cleaned with BeautifulSoup; the boilerplate patterns themselves are data (``ontology/boilerplate.yaml``).
"""

from __future__ import annotations

import itertools
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import yaml

from .iri import URL_PATTERN, to_iri
from .linescan import Screen
from .model import Document
from .resources import load_yaml, ontology_path

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx")
SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
CJK_ENCODINGS = ["gb18030", "big5", "utf_16", "utf_16_le", "utf_16_be", "utf_8"]


class IngestError(Exception):
    """A document that cannot be read; the message says why, in one line."""


@dataclass(frozen=True)
class Boilerplate:
    drop_lines: list[tuple[str, re.Pattern[str]]]
    drop_inline: list[tuple[str, re.Pattern[str]]]
    metadata: list[tuple[str, re.Pattern[str]]]
    always: frozenset[str] = frozenset()  # ids of drop_lines that go even when a line holds a lexicon term

    @cached_property
    def screen(self) -> Screen:
        """Which of the patterns may match in a text (see ``clean_text``)."""
        return Screen(rx for _, rx in self.drop_lines + self.drop_inline + self.metadata)


@lru_cache(maxsize=4)
def load_boilerplate(path: str | None = None) -> Boilerplate:
    """Compile the boilerplate patterns once; a broken pattern is reported with its id."""
    p = Path(path) if path else ontology_path("boilerplate.yaml")
    data = load_yaml(p.read_text(encoding="utf-8")) or {}
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    always = set()
    for section in ("drop_lines", "drop_inline", "metadata"):
        compiled = []
        for item in data.get(section, []) or []:
            try:
                compiled.append((item["id"], re.compile(item["pattern"].replace("{URL}", URL_PATTERN), re.M)))
            except (KeyError, TypeError, re.error) as exc:
                raise ValueError(f"{p}: {section} entry {item!r}: {exc}") from exc
            if item.get("always"):
                always.add(item["id"])
        out[section] = compiled
    return Boilerplate(out["drop_lines"], out["drop_inline"], out["metadata"], frozenset(always))


# ---------------------------------------------------------------- decoding


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
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
BINARY_SHARE = 0.05  # a file more than this share of whose bytes are controls is binary, not text


def decode_bytes(raw: bytes) -> Decoded:
    """Return the text and its codec: BOMs first, then strict UTF-8, then charset-normalizer among CJK
    codecs; a file pasted together from parts in different encodings is read line by line.

    A few stray control bytes are removed (and noted) instead of failing the file; a file with more
    than ``BINARY_SHARE`` of them is binary."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            text = raw[len(bom) :].decode(codec, errors="replace")
            if _garbled(text):
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
    if best is not None and not _garbled(text := str(best)):
        return text, best.encoding, ()
    loose = from_bytes(raw, cp_isolation=CJK_ENCODINGS, threshold=0.5).best()
    if loose is not None and not _garbled(text := str(loose)):
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


def _garbled(text: str) -> bool:
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


# ---------------------------------------------------------------- formats


def _read_html(text: str) -> tuple[str, dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or tag.get("property") or "").lower()
        content = (tag.get("content") or "").strip()
        if not content:
            continue
        if name in ("author", "article:author"):
            meta.setdefault("author", content)
        elif name in ("publishdate", "pubdate", "date", "article:published_time"):
            meta.setdefault("date", content)
        elif name in ("source", "publisher", "og:site_name"):
            meta.setdefault("publisher", content)
        elif name in ("og:url",):
            meta.setdefault("url", content)
    for bad in soup(["script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "form"]):
        bad.decompose()
    body = soup.body or soup
    h1 = body.find("h1")
    if h1 and h1.get_text(strip=True):
        meta["title"] = h1.get_text(strip=True)
    return body.get_text("\n"), meta


def _read_docx(raw: bytes) -> tuple[str, dict[str, str]]:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as exc:
        raise IngestError(f"not a readable .docx ({exc.__class__.__name__}: {exc})") from exc
    meta = {}
    cp = d.core_properties
    if cp.title:
        meta["title"] = cp.title
    if cp.author:
        meta["author"] = cp.author
    paragraphs = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            paragraphs.append("　".join(c.text for c in row.cells))
    return "\n".join(paragraphs), meta


def _read_markdown(text: str) -> str:
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\s*[-*+]\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return text


# ---------------------------------------------------------------- cleaning

_TERMINAL = "。！？!?；;：:”」』）)…"
_PAGE_SPLIT = re.compile(r"^(\d{1,3})、")


def _join_page_splits(lines: list[str]) -> list[str]:
    """Undo the ``N、`` page-split markers of document-sharing sites.

    Such sites cut the text into pages and start each with "N、", often mid-sentence or mid-word. A
    numbered list looks the same, so the markers count as page splits only when at least three lines
    start with consecutive numbers from 1 and most of the lines before them end without punctuation.
    """
    numbered = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := _PAGE_SPLIT.match(line))]
    if len(numbered) < 3:
        return lines
    seq = [n for _, n in numbered]
    if seq[0] not in (1, 2) or any(b != a + 1 for a, b in itertools.pairwise(seq)):
        return lines
    cut = 0
    for i, _ in numbered:
        prev = lines[i - 1].rstrip() if i > 0 else ""
        if prev and prev[-1] not in _TERMINAL:
            cut += 1
    if cut * 2 < len(numbered):
        return lines
    out: list[str] = []
    starts = {i for i, _ in numbered}
    for i, line in enumerate(lines):
        if i in starts:
            body = _PAGE_SPLIT.sub("", line, count=1)
            if out and out[-1] and out[-1].rstrip()[-1:] not in _TERMINAL:
                out[-1] = out[-1].rstrip() + body.lstrip()
            else:
                out.append(body)
        else:
            out.append(line)
    return out


@lru_cache(maxsize=1)
def lexicon_guard() -> Callable[[str], bool]:
    """Whether a text holds a concept or mechanism of the built-in lexicon: such text is never boilerplate."""
    from .matcher import Matcher
    from .rules import load_rules

    terms = Matcher(
        {
            surface: surface
            for e in load_rules().entries
            # a byline's 来源：中共中央组织部 is furniture even though the body is a known name
            if e.type in ("concept", "mechanism")
            for surface in (e.label, *e.aliases)
            if len(surface) >= 2
        }
    )
    return terms.occurs_in


def clean_text(
    text: str, bp: Boilerplate | None = None, keep: Callable[[str], bool] | None = None
) -> tuple[str, dict[str, str]]:
    """Remove web-copy boilerplate; return (clean text, metadata read from the removed lines).

    A line for which ``keep`` is true (by default: it holds a concept or mechanism of the lexicon) is not
    removed by a line pattern unless that pattern is marked ``always`` (site furniture such as 由会员分享),
    so a content sentence that happens to match one (设立举报电话，完善容错纠错机制) survives. Control and
    invisible characters are ``strip_invisible``'s, which ``parse_source`` runs first.
    """
    bp = bp or load_boilerplate()
    keep = keep or lexicon_guard()
    meta: dict[str, str] = {}
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    # most pages hold no furniture at all: a pattern runs only over a text that holds a word each of its
    # matches must hold (linescan.Screen), which takes more than half off cleaning a page
    live = bp.screen.live(text)
    for _, rx in bp.metadata:
        if rx not in live:
            continue
        for m in rx.finditer(text):
            for k, v in m.groupdict().items():
                if v and k not in meta:
                    meta[k] = v.strip()
    for _, rx in bp.drop_inline:
        if rx in live:
            text, cut = rx.subn("", text)  # spans of pure furniture (page markers, share notes): no content inside
            if cut:  # what is left around a cut can join into a new match of any pattern
                live = bp.screen.live(text)
    drop_lines = [(rid, rx) for rid, rx in bp.drop_lines if rx in live]
    metadata = [rx for _, rx in bp.metadata if rx in live]
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        hits = {rid for rid, rx in drop_lines if rx.search(stripped)}
        if hits & bp.always:
            continue
        furniture = bool(hits) or (len(stripped) < 160 and any(rx.search(stripped) for rx in metadata))
        if furniture and not keep(stripped):
            continue
        if not _CONTENT_CHAR.search(stripped):
            continue
        lines.append(stripped)
    lines = _join_page_splits(lines)
    # A title line repeated (banner + heading) is kept once.
    deduped: list[str] = []
    for line in lines:
        if deduped and line == deduped[-1]:
            continue
        deduped.append(line)
    return "\n".join(deduped), meta


_CONTENT_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")  # a line without any is punctuation or rule


# ---------------------------------------------------------------- metadata


def normalise_date(value: str) -> str | None:
    """'2024-10-29', '2026/2/26 20:48', '2024年10月29日' → ISO date, or None."""
    m = re.search(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _guess_title(text: str) -> str | None:
    for line in text.split("\n")[:3]:
        line = line.strip().strip('《》“”"')
        if 4 <= len(line) <= 60 and not re.search(r"[。！？!?]$", line):
            return line
    return None


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


def parse_sidecar(name: str, raw: bytes | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        data = load_yaml(raw.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError(f"sidecar {name} is not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestError(f"sidecar {name} must be a mapping of field: value")
    return {str(k): str(v) for k, v in data.items() if v is not None}


# ---------------------------------------------------------------- public API


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional to simplified, keeping the length so offsets hold for the original too."""
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    conv = _t2s().convert
    return "".join(c if len(c := conv(ch)) == 1 else ch for ch in text)


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


def read_document(path: Path, root: Path) -> Document:
    """Read one corpus file into a ``Document``; raise ``IngestError`` with a one-line reason."""
    return parse_source(load_source(path, root))


def parse_source(src: SourceFile) -> Document:
    """Decode, clean, fold and describe one corpus file's bytes.

    What had to be mended to read it (control bytes removed, a link that cannot be an IRI left out …)
    is in the document's ``notes``, which the build reports as warnings naming the file."""
    suffix = src.suffix
    raw = src.raw
    if not raw.strip():
        raise IngestError("empty file")
    notes: list[str] = []
    if suffix == ".docx":
        raw_text, meta = _read_docx(raw)
    else:
        decoded = decode_bytes(raw)
        notes += decoded.notes
        raw_text, meta = decoded.text, {}
        if suffix in (".html", ".htm"):
            raw_text, meta = _read_html(raw_text)
        elif suffix in (".md", ".markdown"):
            raw_text = _read_markdown(raw_text)
    raw_text, removed = strip_invisible(raw_text)
    if removed:
        notes.append(removed)
    original, found = clean_text(raw_text)
    for k, v in found.items():
        meta.setdefault(k, v)
    if not re.search(r"[\u4e00-\u9fff]", original):
        raise IngestError("no Chinese text after cleaning")
    meta.update(parse_sidecar(src.sidecar_name, src.sidecar))
    text = to_simplified(original)
    if "title" not in meta and (t := _guess_title(text)):
        meta["title"] = t
    if "date" in meta:
        iso = normalise_date(meta["date"])
        if iso:
            meta["date"] = iso
        else:
            meta.pop("date")
    if "url" in meta:
        written = meta.pop("url")
        link = to_iri(written)
        if link is not None:
            meta["url"] = link
        else:
            shown = written if len(written) <= 60 else written[:57] + "…"
            notes.append(f"url {shown!r} is not a web link that can be an IRI: dcterms:source left out")
    return Document(id=src.doc_id, path=src.name, text=text, original_text=original, metadata=meta, notes=notes)


# Characters that are in a text but not of it: C0 controls but tab and line breaks, DEL, C1 controls,
# zero-width characters, direction marks and embeddings, the byte-order mark inside a text,
# noncharacters, and private-use characters (they mean nothing without the font that drew them, and the
# rules use a few as marks). They are removed before anything else reads the text: 容错\u200b纠错 is
# 容错纠错. Line and paragraph separators are line breaks.
_INVISIBLE = re.compile(
    "[\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ufdd0-\ufdef\ufffe\uffff\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_SEPARATORS = re.compile("[\u2028\u2029\x85]")


def strip_invisible(text: str) -> tuple[str, str]:
    """``text`` without the characters ``_INVISIBLE`` names (separators made line breaks), and a note
    saying how many went, or ``""``."""
    text = _SEPARATORS.sub("\n", text)
    found = _INVISIBLE.findall(text)
    if not found:
        return text, ""
    kinds = sorted({f"U+{ord(ch):04X}" for ch in found})
    shown = ", ".join(kinds[:4]) + (" …" if len(kinds) > 4 else "")
    plural = "s" if len(found) > 1 else ""
    return _INVISIBLE.sub("", text), f"removed {len(found)} invisible or control character{plural} ({shown})"


def iter_corpus_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Yield (file, corpus root) for every document under the given paths, in sorted order.

    Folders are walked without following symbolic links to folders, so a link loop cannot trap the
    build; hidden files and README.md are not documents.
    """
    import os

    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    f = Path(dirpath) / name
                    if f.suffix.lower() in SUFFIXES and not name.startswith(".") and name != "README.md":
                        found.append(f)
            for f in sorted(found, key=lambda f: corpus_name(f, p)):
                yield f, p
        else:
            yield p, p.parent
