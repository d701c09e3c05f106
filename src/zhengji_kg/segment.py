"""Segment: document text → sentences with character offsets; jieba for word boundaries.

Sentences end at 。！？!? (with any closing quotes that follow) and at line ends; very long runs
without punctuation are cut at ；/; or, failing that, every ``MAX_SENTENCE`` characters so that
offsets always map back to the exact text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache

from .model import Sentence

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


@lru_cache(maxsize=8)
def tokenizer(words: tuple[str, ...] = ()):
    """A jieba tokenizer that keeps every given word whole (add_word + suggest_freq, not load_userdict).

    With no words it is jieba's own default tokenizer (the one ``jieba.posseg`` uses too), so that a
    process loads the dictionary at most twice, not once per caller.
    """
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    if not words:
        jieba.dt.initialize()
        return jieba.dt
    # start from a copy of the default tokenizer's dictionary: loading it again costs ~1 s per process
    base = tokenizer()
    tk = jieba.Tokenizer(base.dictionary)
    tk.FREQ, tk.total, tk.initialized = dict(base.FREQ), base.total, True
    for w in words:
        if w and not w.isspace():
            tk.add_word(w, freq=max(tk.suggest_freq(w, tune=False), 10000))
    return tk


def tokens(text: str, words: Iterable[str] = ()) -> tuple[tuple[str, int, int], ...]:
    """jieba accurate-mode tokens with offsets: [(word, start, end)].

    Several extractors look at the same sentence (mechanism heads, ``…主义`` words); results are kept
    until ``forget_tokens()`` — called once per document — so each sentence is cut at most once.
    """
    key = words if isinstance(words, tuple) else tuple(sorted(set(words)))
    return _cut(text, key)


_BLOCK_CHAR = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]")  # a character of jieba's own text blocks


def window_tokens(text: str, lo: int, hi: int, words: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    """The tokens of ``text[lo:hi]`` with offsets into ``text`` — widened to jieba's block boundaries.

    jieba cuts each run of block characters (CJK, letters, digits) on its own and yields every other
    character alone, so a window that starts and ends at a block boundary gets exactly the tokens the
    whole text would give there: the cost of a clause, not of the sentence.
    """
    while lo > 0 and _BLOCK_CHAR.match(text[lo - 1]):
        lo -= 1
    while hi < len(text) and _BLOCK_CHAR.match(text[hi]):
        hi += 1
    return [(w, s + lo, e + lo) for w, s, e in tokens(text[lo:hi], words)]


def forget_tokens() -> None:
    """Drop the kept tokens: caching is per document, so a corpus of repeated sentences is not flattered."""
    _cut.cache_clear()


@lru_cache(maxsize=4096)
def _cut(text: str, words: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    return tuple(tokenizer(words).tokenize(text))
