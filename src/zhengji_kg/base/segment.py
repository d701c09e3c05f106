"""Segment: document text → sentences with character offsets; jieba for word boundaries.

Sentences end at 。！？!? (with any closing quotes that follow) and at line ends; very long runs
without punctuation are cut at ；/; or, failing that, every ``MAX_SENTENCE`` characters so that
offsets always map back to the exact text.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import logging
import marshal
import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from zhengji_kg.base.model import Sentence
from zhengji_kg.base.output import write_atomic

MAX_SENTENCE = 400
_END = re.compile(r"[。！？!?]+[”’」』\"')）]*|\n")
_SOFT = re.compile(r"[；;]")


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences whose ``text == text[start:end]`` (whitespace trimmed)."""
    out: list[Sentence] = []
    paragraph = 0
    pos = 0
    for m in _END.finditer(text):
        _emit(text, pos, m.end() if m.group() != "\n" else m.start(), paragraph, out)
        if m.group() == "\n":
            paragraph += 1
        pos = m.end()
    _emit(text, pos, len(text), paragraph, out)
    return out


def _emit(text: str, start: int, end: int, paragraph: int, out: list[Sentence]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    if end - start > MAX_SENTENCE:
        cut = None
        for m in _SOFT.finditer(text, start + 20, end - 1):
            if m.end() - start <= MAX_SENTENCE:
                cut = m.end()
        if cut is None:
            cut = start + MAX_SENTENCE
        _emit(text, start, cut, paragraph, out)
        _emit(text, cut, end, paragraph, out)
        return
    out.append(Sentence(start, end, text[start:end], paragraph))


def sentence_at(sentences: list[Sentence], offset: int) -> Sentence | None:
    """The sentence holding character ``offset`` (sentences are sorted and disjoint), by bisection."""
    return sentence_lookup(sentences)(offset)


def sentence_lookup(sentences: list[Sentence]) -> Callable[[int], Sentence | None]:
    """``sentence_at`` for many offsets of one document: the index of sentence starts is built once."""
    starts = [s.start for s in sentences]

    def at(offset: int) -> Sentence | None:
        i = bisect_right(starts, offset) - 1
        if i >= 0 and sentences[i].start <= offset < sentences[i].end:
            return sentences[i]
        return None

    return at


class WordTuple(tuple):
    """Words to keep whole, as a tuple that works out its hash once.

    Every cut looks its tokenizer and its cached tokens up by the word set (``_tokenizer``, ``_cut``):
    hashing the rule set's 400-odd words cost 3.5 µs per lookup, twice per cut. Equal to, and hashing as,
    the plain tuple of the same words.
    """

    def __hash__(self) -> int:
        try:
            return self._hash  # type: ignore[attr-defined]
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash

    def __reduce__(self) -> tuple:
        return WordTuple, (tuple(self),)  # without the hash: another process hashes strings differently


def tokenizer(words: Iterable[str] = ()):
    """The segmenter behind ``tokens``: jieba's accurate mode as jieba-rs implements it (``rjieba``),
    keeping every given word whole (added with the frequency jieba's ``suggest_freq`` would give, at least
    10,000 — as ``jieba.add_word`` did here before).

    jieba-rs reads jieba's own dictionary with jieba's algorithm (prefix DAG, best route, HMM for unknown
    runs) at twenty times the speed — word boundaries were the largest single cost of a build — and cuts
    the same tokens: on every sentence of the demo and seed corpora (tests/test_segment.py) and of a
    thousand benchmark documents (77,000 cuts) not one differed. Where they are known to part ways
    (``_JIEBA_ONLY``) jieba itself cuts; on made-up strings of unknown characters their HMMs can still
    break a tie differently (全立立立全), which real text has not shown.
    """
    # one cache key per word set, however it is passed: ``tokenizer()`` and ``tokenizer(())`` are one
    # tokenizer (each costs ~0.25 s and tens of MB: a worker once built an unused one at its start)
    return _tokenizer(words if isinstance(words, tuple) else tuple(words))


@lru_cache(maxsize=8)
def _tokenizer(words: tuple[str, ...]):
    import rjieba

    tk = rjieba.Jieba()
    for w in words:
        if w and not w.isspace():
            tk.add_word(w, max(tk.suggest_freq(w), 10000), None)
    return tk


def word_tag(word: str) -> str:
    """jieba's part-of-speech tag of a dictionary word (``ns`` place name, ``n…`` noun, ``v…`` verb), or ""."""
    return word_tags().get(word, "")


@lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's part-of-speech table (word → tag), from the snapshot when there is one (see ``posseg``).

    Apart from the dictionary because every document needs the tags while few need jieba's own cutting:
    a worker starts (on the path of an incremental build) without the 500,000-entry dictionary.
    """
    try:
        [tags] = _snapshot_parts(0)
        if isinstance(tags, dict):
            return tags
    except Exception:  # none yet, or unreadable
        pass
    return posseg().dt.word_tag_tab  # loaded the slow way, which writes the snapshot


@lru_cache(maxsize=1)
def posseg():
    """``jieba.posseg`` with jieba's dictionary, both from the snapshot when there is one.

    Every worker process needs them, and jieba loads them slowly: its cache takes ~1 s to read (it
    rebuilds its prefix dictionary from a marshalled list) and ``jieba.posseg`` parses its 350,000-line
    dictionary again on import (~0.7 s). The first process to load them writes the tag table and the
    dictionary, as they are, to the user's cache directory with ``marshal`` — in two parts, so that
    ``word_tags`` reads the first alone — and later ones read that. A snapshot that cannot be read or
    written is simply not used.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)
    collecting = gc.isenabled()
    gc.disable()  # a million new objects would set the collector off again and again, for nothing
    try:
        try:
            if word_tags.cache_info().currsize:  # the tags are read already
                [(freq, total)], tags = _snapshot_parts(1), word_tags()
            else:  # both parts from one read of the file
                tags, (freq, total) = _snapshot_parts(0, 1)
            if not (isinstance(freq, dict) and isinstance(total, int) and isinstance(tags, dict)):
                raise ValueError("not a dictionary snapshot")
        except Exception:  # none yet, or unreadable: load the slow way, then write one
            jieba.dt.initialize()
            import jieba.posseg

            first = marshal.dumps(jieba.posseg.dt.word_tag_tab)
            rest = marshal.dumps((jieba.dt.FREQ, jieba.dt.total))
            with contextlib.suppress(OSError):  # renamed into place whole: no process reads half of it
                write_atomic(snapshot_path(), len(first).to_bytes(8, "little") + first + rest)
            return jieba.posseg
    finally:
        if collecting:
            gc.enable()
    if not jieba.dt.initialized:
        jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = freq, total, True
    if "jieba.posseg" not in sys.modules:
        # posseg builds its tag table from the dictionary file at import: give it an empty file, then the
        # table of the snapshot
        jieba.dt.get_dict_file = lambda: io.BytesIO(b"")
        try:
            import jieba.posseg
        finally:
            del jieba.dt.get_dict_file
        jieba.posseg.dt.word_tag_tab = tags
    return jieba.posseg


SNAPSHOT_FORMAT = 3  # bump when the snapshot's content changes shape (3: tags, then dictionary, marshalled)


def snapshot_path() -> Path:
    """Where the dictionary snapshot lives: the user's cache directory, one file per jieba release and
    dictionary file (its size and modification time are in the name, so an upgrade never reads a stale one)."""
    import jieba
    import platformdirs

    st = (Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME).stat()
    # marshal's format belongs to the Python version: its version is in the name too
    stamp = (
        f"{SNAPSHOT_FORMAT}:{marshal.version}:{sys.version_info[:2]}:{jieba.__version__}:{st.st_size}:{st.st_mtime_ns}"
    )
    name = f"jieba-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.marshal"
    return platformdirs.user_cache_path("zhengji-kg") / name


def _snapshot_parts(*parts: int) -> list:
    """Parts 0 (the tag table) and/or 1 (the dictionary and its total) of the snapshot, which holds the
    length of part 0 (8 bytes, little-endian), then the two parts marshalled one after the other."""
    data = memoryview(snapshot_path().read_bytes())
    first = int.from_bytes(data[:8], "little")
    return [marshal.loads(data[8 : 8 + first] if part == 0 else data[8 + first :]) for part in parts]


def tokens(text: str, words: Iterable[str] = ()) -> tuple[tuple[str, int, int], ...]:
    """jieba accurate-mode tokens with offsets: [(word, start, end)].

    Several extractors look at the same sentence (mechanism heads, ``…主义`` words); results are kept
    until ``forget_tokens()`` — called once per document — so each sentence is cut at most once.
    """
    key = words if isinstance(words, tuple) else WordTuple(sorted(set(words)))
    return _cut(text, key)


# a character of a text block as jieba cuts it (jieba-rs counts every CJK ideograph block; jieba only
# U+4E00–U+9FD5): a superset of both, so that a window widened to it starts and ends at a block boundary
_BLOCK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1fa-zA-Z0-9+#&\\._%\\-]")
_BLOCK_RUNS = re.compile(_BLOCK_CHAR.pattern + "+")


def window_tokens(text: str, lo: int, hi: int, words: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """The tokens of ``text[lo:hi]`` with offsets into ``text`` — widened to jieba's block boundaries.

    jieba cuts each run of block characters (CJK, letters, digits) on its own and yields every other
    character alone, so a window that starts and ends at a block boundary gets exactly the tokens the
    whole text would give there.
    """
    if lo < 0:  # (a window before the text's start reads as Python slices it: from its end)
        lo, hi = _widen(text, lo, hi)
        return [(w, s + lo, e + lo) for w, s, e in tokens(text[lo:hi], words)]
    toks, _firsts, i, j = window_index(text, lo, hi, words)
    return list(toks[i:j])


def window_index(
    text: str, lo: int, hi: int, words: tuple[str, ...] = ()
) -> tuple[tuple[tuple[str, int, int], ...], list[int], int, int]:
    """``window_tokens`` without the copy: all the words of ``text`` (cut once per document, as ``tokens``),
    where each starts, and the bounds ``i:j`` of the window's words among them (``lo`` ≥ 0).

    The extractors and the features ask for ~85 windows a document, most of them in sentences cut anyway:
    reading a window's words in place is what makes them cheap. (A window cut alone could differ in one
    case: where its run is joined by a space to a run holding - . % …, which the whole text has jieba cut
    (``_cut``), alone it went to jieba-rs — and the two part ways on about one run in 6,500. A run's words
    no longer depend on which window asked for them.)"""
    lo, hi = _widen(text, lo, hi)
    toks, firsts = _cut_indexed(text, words if isinstance(words, tuple) else WordTuple(sorted(set(words))))
    return toks, firsts, bisect_left(firsts, lo), bisect_left(firsts, hi)


def _widen(text: str, lo: int, hi: int) -> tuple[int, int]:
    """``lo`` and ``hi`` moved out to the edges of the runs of block characters they fall in."""
    starts, ends = _block_spans(text)
    if lo > 0:
        j = bisect_right(starts, lo - 1) - 1  # the run of block characters holding text[lo - 1], if any
        if j >= 0 and ends[j] > lo - 1:
            lo = starts[j]
    k = bisect_right(starts, hi) - 1  # the run holding text[hi], if any
    if k >= 0 and ends[k] > hi:
        hi = ends[k]
    return lo, hi


@lru_cache(maxsize=1024)
def _cut_indexed(text: str, words: tuple[str, ...]) -> tuple[tuple[tuple[str, int, int], ...], list[int]]:
    """``tokens(text, words)`` and where each token starts (for ``bisect``)."""
    toks = _cut(text, words)
    return toks, [s for _w, s, _e in toks]


@lru_cache(maxsize=1024)
def _block_spans(text: str) -> tuple[list[int], list[int]]:
    """Where the runs of block characters of ``text`` start and end: found once per text (a sentence whose
    candidates each ask for their window), where widening each window character by character cost more
    than cutting it."""
    starts, ends = [], []
    for m in _BLOCK_RUNS.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
    return starts, ends


_CLAUSE_MARK = re.compile("[，,；;：:。！？\n]")


@lru_cache(maxsize=1024)
def clause_marks(text: str) -> list[int]:
    """Where the clause marks of ``text`` (a sentence) stand, in order: a name never crosses one, and every
    candidate of the sentence asks where its clause opens (``bisect``)."""
    return [m.start() for m in _CLAUSE_MARK.finditer(text)]


def forget_tokens() -> None:
    """Drop the kept tokens: caching is per document, so a corpus of repeated sentences is not flattered."""
    _cut.cache_clear()
    _cut_indexed.cache_clear()
    _block_spans.cache_clear()
    clause_marks.cache_clear()


@lru_cache(maxsize=4096)
def _cut(text: str, words: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    if not _JIEBA_ONLY.search(text):
        return tuple(_tokenizer(words).tokenize(text))
    # cut piece by piece between the marks no block holds (，。“ …), each a token of its own for both;
    # a piece where jieba-rs would differ is cut by jieba itself
    out: list[tuple[str, int, int]] = []
    pos = 0
    for m in [*_SEPARATOR.finditer(text), None]:
        end = m.start() if m else len(text)
        if pos < end:
            piece = text[pos:end]
            tk = _jieba_tokenizer(words) if _JIEBA_ONLY.search(piece) else _tokenizer(words)
            out.extend((w, s + pos, e + pos) for w, s, e in tk.tokenize(piece))
        if m:
            out.append((m.group(), m.start(), m.end()))
            pos = m.end()
    return tuple(out)


# jieba-rs and jieba part ways on runs joined by these (j-a, 2024-01-01, 3.5%) and on CJK ideographs
# beyond jieba's U+4E00–U+9FD5 (jieba-rs counts them as Chinese): text holding one is cut by jieba itself
_JIEBA_ONLY = re.compile("[+#&._%\\-\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# a character outside every text block of either: both yield it as a token of its own
_SEPARATOR = re.compile("[^\\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1fa-zA-Z0-9+#&._%\\-]")


@lru_cache(maxsize=8)
def _jieba_tokenizer(words: tuple[str, ...]):
    """jieba's own tokenizer keeping ``words`` whole, on a copy of its dictionary (the snapshot's)."""
    import jieba

    posseg()  # the dictionary, from the snapshot when there is one
    if not words:
        return jieba.dt
    tk = jieba.Tokenizer(jieba.dt.dictionary)
    tk.FREQ, tk.total, tk.initialized = dict(jieba.dt.FREQ), jieba.dt.total, True
    for w in words:
        if w and not w.isspace():
            tk.add_word(w, freq=max(tk.suggest_freq(w, tune=False), 10000))
    return tk
