"""The steps every format shares once it is text: invisible characters out, web-copy boilerplate out (its
patterns are data, ``ontology/boilerplate.yaml``) with the metadata its lines carry, traditional folded
to simplified."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from zhengji_kg.base import linescan
from zhengji_kg.base.iri import URL_PATTERN
from zhengji_kg.base.linescan import Screen, finditer, remove
from zhengji_kg.base.matcher import Matcher
from zhengji_kg.base.resources import load_yaml, ontology_path
from zhengji_kg.base.rules import load_rules
from zhengji_kg.ingest.metadata import normalise_date


@dataclass(frozen=True)
class Boilerplate:
    drop_lines: list[tuple[str, re.Pattern[str]]]
    drop_inline: list[tuple[str, re.Pattern[str]]]
    metadata: list[tuple[str, re.Pattern[str]]]
    always: frozenset[str] = frozenset()  # ids of drop_lines that go even when a line holds a lexicon term
    # where a metadata pattern's date comes from (byline, signature): a source's zj:dateBasis
    basis: tuple[tuple[str, str], ...] = ()
    # headers of lists of links (相关链接：): the header and the list's lines after it go (``clean_text``)
    drop_lists: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)

    @cached_property
    def screen(self) -> Screen:
        """Which of the patterns may match in a text (see ``clean_text``)."""
        return Screen(rx for _, rx in self.drop_lines + self.drop_inline + self.metadata + self.drop_lists)


@lru_cache(maxsize=4)
def load_boilerplate(path: str | None = None) -> Boilerplate:
    """Compile the boilerplate patterns once; a broken pattern is reported with its id."""
    p = Path(path) if path else ontology_path("boilerplate.yaml")
    data = load_yaml(p.read_text(encoding="utf-8")) or {}
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    always = set()
    basis = []
    for section in ("drop_lines", "drop_inline", "metadata", "drop_lists"):
        compiled = []
        for item in data.get(section, []) or []:
            try:
                compiled.append((item["id"], re.compile(item["pattern"].replace("{URL}", URL_PATTERN), re.M)))
            except (KeyError, TypeError, re.error) as exc:
                raise ValueError(f"{p}: {section} entry {item!r}: {exc}") from exc
            if item.get("always"):
                always.add(item["id"])
            if item.get("basis"):
                basis.append((item["id"], str(item["basis"])))
        out[section] = compiled
    return Boilerplate(
        out["drop_lines"], out["drop_inline"], out["metadata"], frozenset(always), tuple(basis), out["drop_lists"]
    )


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
    text: str,
    bp: Boilerplate | None = None,
    keep: Callable[[str], bool] | None = None,
    simplified: str | None = None,
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
    text = _normalise(text)
    # the patterns and the lexicon are simplified: a page in traditional characters (相關新聞, 版權所有) is
    # judged by its simplified view — the same length, so a span of one is a span of the other — and keeps
    # its own characters (the document folds them later)
    # (``simplified``: ``to_simplified(text)`` when the caller has it already, before line ends were normalised)
    view = to_simplified(text) if simplified is None else _normalise(simplified)
    if view == text:  # (nearly always: one string then, and the simplified page's own path below)
        view = text
    # most pages hold no furniture at all: a pattern runs only over a text that holds a word each of its
    # matches must hold (linescan.Screen), which takes more than half off cleaning a page
    live = bp.screen.live(view)
    basis = dict(bp.basis)
    dates: list[tuple[str, int, str]] = []  # (basis, where, value) of every readable date a line gives
    for rid, rx in bp.metadata:
        if rx not in live:
            continue
        for m in rx.finditer(view):
            for k, v in m.groupdict().items():
                if not v:
                    continue
                if k == "date":
                    iso = normalise_date(v)  # 发布时间：2023-02-30 is no date: another line may give one
                    if iso is not None:
                        dates.append((basis.get(rid, "byline"), m.start(k), iso))
                elif k not in meta:
                    meta[k] = v.strip()
    if dates:
        meta["date_basis"], meta["date"] = _document_date(dates)
    for _, rx in bp.drop_inline:
        if rx in live:
            # spans of pure furniture (page markers, share notes): no content inside
            if view is text:
                text, cut = remove(rx, text)
                view = text
            else:  # found in the simplified view, cut from both
                spans = [m.span() for m in finditer(rx, view)]
                view, text, cut = linescan.cut(view, spans), linescan.cut(text, spans), len(spans)
            if cut:  # what is left around a cut can join into a new match of any pattern
                live = bp.screen.live(view)
    drop_lines = [(rid, rx) for rid, rx in bp.drop_lines if rx in live]
    metadata = [rx for _, rx in bp.metadata if rx in live]
    list_headers = [rx for _, rx in bp.drop_lists if rx in live]

    def dropped(stripped: str) -> bool:
        """Whether a (non-empty, stripped) line is furniture that goes: an ``always`` pattern's, or any other
        line pattern's or a short metadata line's unless it holds a lexicon term, or no content at all."""
        hits = {rid for rid, rx in drop_lines if rx.search(stripped)}
        if hits & bp.always:
            return True
        furniture = bool(hits) or (len(stripped) < 160 and any(rx.search(stripped) for rx in metadata))
        return (furniture and not keep(stripped)) or not _CONTENT_CHAR.search(stripped)

    raw_lines = [line.strip() for line in text.split("\n")]
    seen = raw_lines if view is text else [line.strip() for line in view.split("\n")]
    tail = _links_at_end(seen, list_headers, dropped) if list_headers else len(raw_lines)
    lines = [line for line, looks in zip(raw_lines[:tail], seen, strict=False) if line and not dropped(looks)]
    lines = _join_page_splits(lines)
    # A title line repeated (banner + heading) is kept once.
    deduped: list[str] = []
    for line in lines:
        if deduped and line == deduped[-1]:
            continue
        deduped.append(line)
    return "\n".join(deduped), meta


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")


def _document_date(dates: list[tuple[str, int, str]]) -> tuple[str, str]:
    """Of the dates a text's lines give, the document's own: the date under its signature (成文日期, the
    last date alone on its line: a signature ends a document, a date line near its top may be of an event
    it tells), else its byline's (the first 发布时间)."""
    signed = [d for d in dates if d[0] == "signature"]
    basis, _at, value = max(signed, key=lambda d: d[1]) if signed else min(dates, key=lambda d: d[1])
    return basis, value


def _links_at_end(lines: list[str], headers: list[re.Pattern[str]], furniture: Callable[[str], bool]) -> int:
    """Where a list of links under its header (相关链接：) begins, when it runs to the end of the page: every
    (stripped) line after the header an item of such a list (``_LIST_ITEM``), a line of site furniture that
    goes anyway (the footer: ``furniture``) or empty; else ``len(lines)``. The related articles are other
    documents; a header followed by prose, headings or articles is not such a list."""
    for i, line in enumerate(lines):
        if any(rx.search(line) for rx in headers) and all(
            not rest or _LIST_ITEM.match(rest) or furniture(rest) for rest in lines[i + 1 :]
        ):
            return i
    return len(lines)


# a line of a list of links (or of the footer after it): a bulleted item, or a headline — short, with no
# sentence ending or comma inside it, and not a heading of the text (一、…, （二）…, 第三条 …, 1. …)
_LIST_ITEM = re.compile(
    r"(?![一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|第[一二三四五六七八九十百\d]+[条章节]|\d+[、.．])"
    r"(?:[·•▪■□◆◇●○\-*].{0,80}|[^。！？；;!?，,]{2,40})$"
)
_CONTENT_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")  # a line without any is punctuation or rule


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
# Variation selectors (VS1–16, and VS17–256 of the ideographic variation sequences that documents with
# rare characters carry) and the tag characters choose how a character is drawn, not which one it is:
# 州 with a selector is 州, and a term is found through it. They go without a note (nothing was wrong).
_VARIANT_MARKS = re.compile("[\ufe00-\ufe0f\U000e0000-\U000e0fff]")


def strip_invisible(text: str) -> tuple[str, str]:
    """``text`` without the characters ``_INVISIBLE`` names (separators made line breaks), and a note
    saying how many went, or ``""``."""
    text = _VARIANT_MARKS.sub("", _SEPARATORS.sub("\n", text))
    found = _INVISIBLE.findall(text)
    if not found:
        return text, ""
    kinds = sorted({f"U+{ord(ch):04X}" for ch in found})
    shown = ", ".join(kinds[:4]) + (" …" if len(kinds) > 4 else "")
    plural = "s" if len(found) > 1 else ""
    return _INVISIBLE.sub("", text), f"removed {len(found)} invisible or control character{plural} ({shown})"


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional to simplified, keeping the length so offsets hold for the original too."""
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        if _ASTRAL.search(converted) is None:
            return converted
        # a few characters fold to rare ones outside the Basic Multilingual Plane (繐 → U+30B38), which fonts
        # and the patterns' [\u4e00-\u9fff] classes do not know: those keep their own form
        return "".join(c if c <= "\uffff" or o > "\uffff" else o for c, o in zip(converted, text, strict=True))
    conv = _t2s().convert
    return "".join(c if len(c := conv(ch)) == 1 and (c <= "\uffff" or ch > "\uffff") else ch for ch in text)
