"""Segment: document text → sentences with character offsets; jieba for word boundaries.

Sentences end at 。！？!? (with any closing quotes that follow) and at line ends; very long runs
without punctuation are cut at ；/; or, failing that, every ``MAX_SENTENCE`` characters so that
offsets always map back to the exact text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
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
    i = bisect_right([s.start for s in sentences], offset) - 1 if sentences else -1
    if i >= 0 and sentences[i].start <= offset < sentences[i].end:
        return sentences[i]
    return None


@lru_cache(maxsize=8)
def tokenizer(words: tuple[str, ...] = ()):
    """A jieba tokenizer that keeps every given word whole (add_word + suggest_freq, not load_userdict)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in words:
        if w and not w.isspace():
            tk.add_word(w, freq=max(tk.suggest_freq(w, tune=False), 10000))
    return tk


def tokens(text: str, words: Iterable[str] = ()) -> list[tuple[str, int, int]]:
    """jieba accurate-mode tokens with offsets: [(word, start, end)]."""
    tk = tokenizer(tuple(sorted(set(words))))
    return [(w, s, e) for w, s, e in tk.tokenize(text)]
