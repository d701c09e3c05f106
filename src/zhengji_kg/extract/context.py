"""Per-rule-set state shared by the extractors (automata, word sets, tokenizer words), built once."""

from __future__ import annotations

from dataclasses import dataclass, field

import ahocorasick

from ..rules import RuleSet


@dataclass
class Context:
    rules: RuleSet
    automaton: ahocorasick.Automaton
    jieba_words: tuple[str, ...]
    org_spans: list[tuple[int, int]] = field(default_factory=list)

    @staticmethod
    def for_rules(rules: RuleSet) -> Context:
        base = _CACHE.get(rules.digest)
        if base is None:
            base = _CACHE[rules.digest] = _base(rules)
        return Context(rules=rules, automaton=base[0], jieba_words=base[1])


_CACHE: dict[str, tuple[ahocorasick.Automaton, tuple[str, ...]]] = {}


def _base(rules: RuleSet) -> tuple[ahocorasick.Automaton, tuple[str, ...]]:
    """Aho-Corasick over every lexicon surface: matching on characters sidesteps jieba's dictionary."""
    auto = ahocorasick.Automaton()
    table: dict[str, list[tuple[str, str, str, str]]] = {}
    for e in rules.entries:
        for surface in (e.label, *e.aliases):
            table.setdefault(surface, []).append((e.type, e.label, e.category, e.subtype))
    for surface, values in table.items():
        auto.add_word(surface, (surface, tuple(values)))
    auto.make_automaton()
    words = set(table)
    for r in rules.mention_rules:
        words.update(r.get("heads") or [])
    for key in ("triggers", "modifiers", "scope_ends", "keep_whole"):
        words.update(rules.words.get(key, ()))
    return auto, tuple(sorted(w for w in words if len(w) <= 12))
