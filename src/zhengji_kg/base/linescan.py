"""Run a pattern only over the text that can hold a match — the same matches, found sooner.

Most positions of a document cannot start a match of a pattern like the party-body one (an optional
place of 2–8 characters, an optional level, then 委/政府/人大 …), yet ``re`` tries every one of them.
When the parsed pattern shows that (a) every match holds one of a few plain words and (b) no match can
cross a line break or look past its line's end, ``finditer`` over just the lines that
hold one of those words yields exactly the matches of ``finditer`` over the whole text. Patterns that
do not pass both checks are run over the whole text, as before.

``may_match`` (and ``Screen``, for many patterns at once) is the coarser test for patterns run over many
lines or pieces of one text (boilerplate line patterns): a text that holds none of the words every match
must hold cannot match anywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from re import _constants as c  # the parser behind re.compile: private, but stable since Python 3.11
from re import _parser

from zhengji_kg.base.matcher import Matcher

_NL = ord("\n")


@lru_cache(maxsize=256)
def line_anchors(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """The words one of which every match holds, if the pattern can be run line by line; else ()."""
    if pattern.flags & (re.DOTALL | re.IGNORECASE | re.VERBOSE):
        return ()
    try:
        tree = _parser.parse(pattern.pattern)
    except re.error:
        return ()
    if not _within_line(tree, bool(pattern.flags & re.MULTILINE)):
        return ()
    # the words ``necessary_words`` reads, the fewest of them: they are searched for as one alternation
    return _necessary(list(tree), fewest=True) or ()


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, searching only the lines that hold an anchor (``line_anchors``) when the
    pattern has anchors.

    Each such line is searched in place (``finditer(text, start, end)``): offsets are the text's own, and
    a look behind the line's start sees the line break, which no part of such a pattern can match.
    """
    anchors = line_anchors(pattern)
    if not anchors:
        yield from pattern.finditer(text)
        return
    find = _anchor_regex(anchors).search
    hit = find(text)
    while hit is not None:
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        if end < 0:
            yield from pattern.finditer(text, start)
            return
        yield from pattern.finditer(text, start, end)
        hit = find(text, end)  # the next line holding an anchor (an anchor holds no line break)


def remove(pattern: re.Pattern[str], text: str) -> tuple[str, int]:
    """``pattern.subn("", text)``, searching only the lines that hold an anchor (``finditer``): a page's
    reading aids or page markers are on a few of its lines, and the pattern no longer tries every position
    of the others."""
    if not line_anchors(pattern):
        return pattern.subn("", text)
    spans = [m.span() for m in finditer(pattern, text)]
    return cut(text, spans), len(spans)


def cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the (sorted, disjoint) ``spans`` — those ``remove`` found, or found in a text of the
    same length (a page's simplified view, cut where its own characters are)."""
    if not spans:
        return text
    pieces, pos = [], 0
    for a, b in spans:
        pieces.append(text[pos:a])
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces)


@lru_cache(maxsize=64)
def _anchor_regex(anchors: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, anchors)))


# edges a search over one line (``finditer(text, start, end)``) tells as the whole text does: ``^`` (the
# string's start, or with MULTILINE a line's), ``\A``, word boundaries (a line break is no word character,
# and neither is the end of a search). Not ``$`` without MULTILINE, nor ``\Z``: a line's end is not the text's.
_SAME_EDGES = (c.AT_BEGINNING, c.AT_BEGINNING_STRING, c.AT_BOUNDARY, c.AT_NON_BOUNDARY)


def _within_line(items, multiline: bool = False, behind: bool = False) -> bool:
    """No part of the pattern can match a line break, and nothing looks past the end of its line or at the
    text's end. (A search from ``start`` still sees the text before it — sre's looks behind and ``^`` read
    the whole string —, so a look behind may read anything (``behind``: the body of one) but what lies at or
    past the search's position: a look ahead, or the text's end; ``end`` cuts the text short for those.)"""
    for op, av in items:
        if behind and op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
            ok = True
        elif op is c.LITERAL:
            ok = av != _NL
        elif op is c.ANY:
            ok = True  # "." stops at a line break without DOTALL
        elif op is c.IN:
            ok = _set_excludes_newline(av)
        elif op is c.SUBPATTERN:
            ok = not av[1] and not av[2] and _within_line(av[3], multiline, behind)
        elif op is c.BRANCH:
            ok = all(_within_line(b, multiline, behind) for b in av[1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            ok = _within_line(av[2], multiline, behind)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            # behind: the whole text's; ahead: one that cannot see a line break sees the same at a line's end
            ok = _within_line(av[1], multiline, True) if av[0] < 0 else not behind and _within_line(av[1], multiline)
        elif op is c.AT:
            ok = av in _SAME_EDGES or (multiline and av is c.AT_END)
        else:  # backreferences, conditionals, atomic groups …: not analysed
            ok = False
        if not ok:
            return False
    return True


def _set_excludes_newline(items) -> bool:
    """Whether a character set surely leaves out the line break: ``[^…\n]``, or a set of characters, ranges and
    classes none of which holds it."""
    if items and items[0][0] is c.NEGATE:  # [^…\n]: what it leaves out must hold the line break
        return _set_holds_newline(items[1:])
    return all(op in (c.LITERAL, c.RANGE, c.CATEGORY) for op, _ in items) and not _set_holds_newline(items)


def _set_holds_newline(items) -> bool:
    """Whether the (positive) set items surely hold the line break; False where unsure."""
    for op, av in items:
        if op is c.LITERAL and av == _NL:
            return True
        if op is c.RANGE and av[0] <= _NL <= av[1]:
            return True
        if op is c.CATEGORY and av in (c.CATEGORY_SPACE, c.CATEGORY_NOT_DIGIT, c.CATEGORY_NOT_WORD):
            return True
    return False


def necessary_words(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """Words one of which every match of ``pattern`` holds, read from the parsed pattern; () if it shows none.

    The words may come from anywhere in the pattern — after an optional part, in each branch of an
    alternation; ``line_anchors`` gives the same words for the patterns it lets run line by line.
    """
    return words_needed(pattern, "")


@lru_cache(maxsize=512)
def words_needed(pattern: re.Pattern[str], marks: str) -> tuple[str, ...]:
    """``necessary_words``, for a pattern over a text in which the characters of ``marks`` stand for things
    (a relation rule's {S}, {O}, {M} … over a sentence whose mentions are replaced by them): no word holds
    a mark, so every word found is one the plain text must hold where the pattern matches its marked copy."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return ()
    try:
        tree = _parser.parse(pattern.pattern)
    except re.error:
        return ()
    return _necessary(list(tree), ignore=frozenset(map(ord, marks))) or ()


def may_match(pattern: re.Pattern[str], text: str) -> bool:
    """False only if no part of ``text`` (no line, no slice of it) can hold a match of ``pattern``."""
    words = necessary_words(pattern)
    return not words or any(w in text for w in words)


class Screen:
    """``may_match`` for many patterns over one text at once: one Aho-Corasick pass over the text finds
    which of their necessary words it holds (fifty ``in`` tests cost five times as much)."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self._words = {p: necessary_words(p) for p in patterns}
        self._matcher = Matcher({w: None for ws in self._words.values() for w in ws})

    def live(self, text: str) -> set[re.Pattern[str]]:
        """The patterns that may match somewhere in ``text`` (``may_match``)."""
        found = {w for _s, _e, w, _v in self._matcher.find(text)}
        return {p for p, ws in self._words.items() if not ws or not found.isdisjoint(ws)}


def _necessary(items, fewest: bool = False, ignore: frozenset[int] = frozenset()) -> tuple[str, ...] | None:
    """For a sequence: the most selective of the word sets its parts require (a run of plain characters is
    one word; a group, an alternation whose every branch requires words, a repeat done at least once) —
    with ``fewest``, the set of fewest words (a regular expression finds ten characters faster than
    sixteen words)."""
    found: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is c.LITERAL and av not in ignore:
            run.append(chr(av))
            continue
        if run:
            found.append(("".join(run),))
            run = []
        if op is None:
            break
        ws: tuple[str, ...] | None = None
        if op is c.IN and av and all(o is c.LITERAL and a not in ignore for o, a in av):
            ws = tuple(chr(a) for _, a in av)
        elif op is c.BRANCH:
            each = [_necessary(list(b), fewest, ignore) for b in av[1]]
            ws = tuple(dict.fromkeys(w for e in each for w in e)) if all(each) else None  # type: ignore[union-attr]
        elif op is c.SUBPATTERN and not av[1] and not av[2]:
            ws = _necessary(list(av[3]), fewest, ignore)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            ws = _necessary(list(av[2]), fewest, ignore)
        # anything else (., classes, anchors, looks, backreferences …) requires no word of its own
        if ws:
            found.append(ws)
    if not found:
        return None
    if fewest:
        return max(found, key=lambda ws: (-len(ws), min(map(len, ws))))
    # the rarest in text: the longest shortest word, then the fewest words
    return max(found, key=lambda ws: (min(map(len, ws)), -len(ws)))


def finditer_ending(pattern: re.Pattern[str], tail: re.Pattern[str], text: str, reach: int) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` that end where a match of ``tail`` ends, each searched for only in the
    ``reach`` characters before that end (within its line).

    For a pattern that opens with a lazy run of any characters (a place name of 2 to 8) the regular
    expression engine would try it at every character of the text; its tail (局, 厅 …) is rare, so trying
    it only there costs a few windows per document instead.
    """
    seen: set[tuple[int, int]] = set()
    for hit in finditer(tail, text):
        lo = max(text.rfind("\n", 0, hit.start()) + 1, hit.end() - reach)
        for m in pattern.finditer(text, lo, hit.end()):
            if m.end() == hit.end() and m.span() not in seen:
                seen.add(m.span())
                yield m
