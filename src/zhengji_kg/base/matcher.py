"""Many strings found at once in a text — lexicon terms, gazetteer names — by Aho-Corasick.

The automaton is ahocorasick_rs (the Rust ``aho-corasick`` crate): with a few thousand Chinese names
its scan runs at tens of MB/s, where pyahocorasick's, whose nodes look their children up one by one,
fell to about 2 MB/s over CJK text — slower than the rest of extraction put together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

import ahocorasick_rs

V = TypeVar("V")


class Matcher(Generic[V]):
    """Every occurrence of any of the given strings, overlapping ones included, with the string's value."""

    def __init__(self, table: Mapping[str, V]) -> None:
        self._keys = [k for k in table if k]  # the automaton takes no empty pattern
        self._values = [table[k] for k in self._keys]
        self._ac = ahocorasick_rs.AhoCorasick(self._keys) if self._keys else None

    def find(self, text: str) -> list[tuple[int, int, str, V]]:
        """(start, end, string, value) of every occurrence, with character offsets into ``text``."""
        if self._ac is None:
            return []
        keys, values = self._keys, self._values
        return [(s, e, keys[i], values[i]) for i, s, e in self._ac.find_matches_as_indexes(text, overlapping=True)]

    def occurs_in(self, text: str) -> bool:
        """Whether any of the strings occurs in ``text``."""
        return self._ac is not None and bool(self._ac.find_matches_as_indexes(text))
