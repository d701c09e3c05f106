"""Per-rule-set state shared by the extractors (automata, word sets, tokenizer words), built once."""

from __future__ import annotations

from dataclasses import dataclass, field

from zhengji_kg.base.matcher import Matcher
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import WordTuple


@dataclass
class Context:
    rules: RuleSet
    automaton: Matcher[tuple[tuple[str, str, str, str], ...]]  # lexicon surface → its entries
    jieba_words: tuple[str, ...]
    org_spans: list[tuple[int, int]] = field(default_factory=list)  # found so far (bodies come first)
    place_spans: list[tuple[int, int]] = field(default_factory=list)  # sorted; places come before mechanisms
    _lexicon_hits: tuple[str, list] | None = None

    def lexicon_hits(self, text: str) -> list[tuple[int, int, str, tuple[tuple[str, str, str, str], ...]]]:
        """Every lexicon surface in ``text`` (overlapping ones too) — scanned once for all lexicon rules."""
        if self._lexicon_hits is None or self._lexicon_hits[0] is not text:
            self._lexicon_hits = (text, self.automaton.find(text))
        return self._lexicon_hits[1]

    @staticmethod
    def for_rules(rules: RuleSet) -> Context:
        base = _CACHE.get(rules.digest)
        if base is None:
            base = _CACHE[rules.digest] = _base(rules)
        return Context(rules=rules, automaton=base[0], jieba_words=base[1])


_CACHE: dict[str, tuple[Matcher, tuple[str, ...]]] = {}


def _base(rules: RuleSet) -> tuple[Matcher, tuple[str, ...]]:
    """Aho-Corasick over every lexicon surface: matching on characters sidesteps jieba's dictionary."""
    table: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in rules.entries:
        for surface in (e.label, *e.aliases):
            table.setdefault(surface, []).append((e.type, e.label, e.category, e.subtype))
    auto = Matcher({surface: tuple(values) for surface, values in table.items()})
    words = set(table)
    for r in rules.mention_rules:
        words.update(r.get("heads") or [])
    for key in ("triggers", "modifiers", "scope_ends", "keep_whole"):
        words.update(rules.words.get(key, ()))
    return auto, WordTuple(sorted(w for w in words if len(w) <= 12))
