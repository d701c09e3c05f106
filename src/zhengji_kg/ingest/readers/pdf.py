"""PDF (.pdf), read with pypdfium2 — the bindings of PDFium, the engine of Chrome's PDF viewer.

PDFium reads the CJK text layers that Word, WPS and the 公文 typesetting systems write (CID fonts with
ToUnicode maps) and gives each line's box, which the rest of this module needs: lines are taken in the
order of the page's content (the order they were written, reading order for single-column official
documents), the running header and footer (a line repeated at the top or bottom of most pages, page
numbers counted as the same) and page-number lines (— 3 —, 第3页 共8页, 3/8) are removed, and a line
that runs to the right margin is joined to the next one unless that one is indented — typeset Chinese
breaks lines inside words (干部实绩档|案), and a paragraph's first line is indented. The 红头, 文号 and
signature stay lines of their own, so the shared steps read them as for a text file.

A PDF with no text layer (a scan) is skipped with that reason (OCR is not done here), so is an
encrypted or damaged one. (pypdf, the pure-Python alternative, reads the same text layer but without
line boxes and, on the benchmark's documents, several times slower: ``bench/formats.py``.)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from zhengji_kg.ingest.base import Extracted, IngestError

SUFFIXES = (".pdf",)

# a line that is only a page number: — 3 —, - 3 -, 3, 第3页, 第3页 共8页, 第 3 页/共 8 页, 3/8, Page 3 of 8
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[—－\-–·]*\s*\d{1,4}\s*[—－\-–·]*|第\s*\d{1,4}\s*页(?:\s*[，,/／]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页|\d{1,4}\s*[/／]\s*\d{1,4}|(?i:page)\s*\d{1,4}(?:\s*(?i:of)\s*\d{1,4})?)\s*$"
)
_DIGITS = re.compile(r"\d+")
_EDGE = 2  # lines at the top and at the bottom of a page that may be running header or footer
_SCAN_CHARS = 20  # fewer readable characters than this per page on average: no text layer
_READABLE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass
class Line:
    text: str
    left: float
    right: float
    bottom: float
    top: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


def read(raw: bytes, suffix: str) -> Extracted:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise IngestError("encrypted PDF (it needs a password): save an unlocked copy and build again") from exc
        raise IngestError(f"not a readable PDF ({exc})") from exc
    try:
        pages = [_lines(page) for page in pdf]
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    if not pages:
        raise IngestError("PDF without pages")
    readable = sum(len(_READABLE.findall(line.text)) for lines in pages for line in lines)
    if readable < _SCAN_CHARS * len(pages):
        raise IngestError(
            f"PDF without a text layer ({readable} characters of text on {len(pages)} page"
            f"{'s' if len(pages) > 1 else ''}: a scan?) — OCR is not done here; run it through OCR first "
            "(e.g. `ocrmypdf -l chi_sim FILE OUT.pdf`) and build the result"
        )
    body = _without_furniture(pages)
    meta, defaults = _metadata(info)
    return Extracted(_join(body), meta, defaults=defaults)


def _lines(page: Any) -> list[Line]:
    """The page's text lines with their boxes, in content order: PDFium's text rectangles (one per run
    of text on a line), those on the same line as the one before merged."""
    text = page.get_textpage()
    try:
        out: list[Line] = []
        for i in range(text.count_rects()):
            left, bottom, right, top = text.get_rect(i)
            words = text.get_text_bounded(left, bottom, right, top).replace("\r", "").replace("\n", "")
            if not words.strip():
                continue
            last = out[-1] if out else None
            if last is not None and min(top, last.top) - max(bottom, last.bottom) > 0.5 * min(
                top - bottom, last.height
            ):
                last.text += words if left - last.right < (top - bottom) * 0.5 else " " + words
                last.left, last.right = min(last.left, left), max(last.right, right)
                last.bottom, last.top = min(last.bottom, bottom), max(last.top, top)
            else:
                out.append(Line(words, left, right, bottom, top))
        for line in out:
            line.text = line.text.strip()
        return out
    finally:
        text.close()


def _without_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without page-number lines and without running headers and footers: a line among the
    first or last ``_EDGE`` of a page that recurs (numbers aside) at that edge of at least half the pages,
    and of two at least."""

    def shape(line: Line) -> str:
        return _DIGITS.sub("#", line.text.replace(" ", ""))

    top: Counter[str] = Counter()
    bottom: Counter[str] = Counter()
    for lines in pages:
        top.update({shape(line) for line in lines[:_EDGE]})
        bottom.update({shape(line) for line in lines[-_EDGE:]})
    least = max(2, (len(pages) + 1) // 2)
    out = []
    for lines in pages:
        n = len(lines)
        kept = []
        for i, line in enumerate(lines):
            edge = i < _EDGE or i >= n - _EDGE
            if edge and _PAGE_NUMBER.match(line.text):
                continue
            if (i < _EDGE and top[shape(line)] >= least) or (i >= n - _EDGE and bottom[shape(line)] >= least):
                continue
            kept.append(line)
        out.append(kept)
    return out


_NO_JOIN_AFTER = "。！？!?：:；;…"


def _join(pages: list[list[Line]]) -> str:
    """The text, a line per paragraph: a line that reaches the right margin (within a character) is
    continued by the next unless that one is indented, or the line ends a sentence or an address (：).
    A paragraph cut by a page break is joined the same way."""
    lines = [line for page in pages for line in page]
    if not lines:
        return ""
    margin_left = min(line.left for line in lines)
    margin_right = _right_margin(lines, margin_left)
    out: list[str] = []
    continued = False
    for line in lines:
        if continued and line.left - margin_left < 0.6 * line.height:
            out[-1] = _glue(out[-1], line.text)
        else:
            out.append(line.text)
        continued = margin_right - line.right < 1.2 * line.height and line.text[-1:] not in _NO_JOIN_AFTER
    return "\n".join(out)


def _right_margin(lines: list[Line], left: float) -> float:
    """Where full lines end: the rightmost edge of the lines that start at the left margin (a first
    line's indent allowed) — not of all lines: a signature or a date set to the right may pass it."""
    return max((line.right for line in lines if line.left - left < 3 * line.height), default=0.0)


def _glue(left: str, right: str) -> str:
    """Two parts of a line cut by a line end: Chinese joins without a space, two Latin words with one."""
    latin = left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum()
    return left + (" " if latin else "") + right


_FILE_TITLE = re.compile(r"^(Microsoft Word|WPS|Untitled|无标题)|\.(docx?|wps|pdf)$", re.I)


def _metadata(info: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The title of the PDF's information dictionary when it is a real one (Chinese, not a file name);
    its creation date as a date to use only when the text gives none."""
    meta: dict[str, str] = {}
    title = info.get("Title", "").strip()
    if title and re.search(r"[\u4e00-\u9fff]", title) and not _FILE_TITLE.search(title):
        meta["title"] = title
    defaults = {}
    created = info.get("CreationDate", "")
    if m := re.match(r"D:(\d{4})(\d{2})(\d{2})", created):
        defaults["date"] = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return meta, defaults
