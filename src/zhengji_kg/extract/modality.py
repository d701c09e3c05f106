"""Modality: how a sentence takes what it states — forbidden, criticised, required, encouraged or reported.

The cue words are data (``modality`` in ontology/rules.yaml); what is decided here is *where* they count: the
clause that opens before a mention, and for a relation the clauses that state it. A mention's modality goes
into its evidence; a relation's is worked out when it is decided (``relate.decide_relations``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from zhengji_kg.base.model import Document, Mention, Sentence
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import sentence_lookup

_CLAUSE = re.compile(r"[，,；;。！？!?：:]")
_SCOPING_MOODS = ("required", "encouraged")  # a modal after the subject scopes all its clauses


def modality(sent: Sentence, first: Mention, rules: RuleSet, last: Mention | None = None) -> str:
    """How the sentence takes what it states: forbidden, criticised, required, encouraged or reported.

    The cue words (ontology/rules.yaml ``modality``) are looked for in the clause that opens before the
    first mention, so 严禁搞形象工程 reads as forbidden, not as an endorsement. For two mentions, the stance
    is the clauses' that state the relation: the start of the last one's clause counts too, but not whole
    clauses between them, which state something of their own (德清县推行干部实绩档案，坚决反对形象工程，探索
    建立容错纠错机制: the place and the last mechanism are reported, the opposition is to 形象工程); of the
    rest of the first one's clause only a modal that scopes all it goes on to do (安吉县要…，建立…: required),
    not a stance toward an object of that clause (湖州市不搞形象工程，坚持推行…: reported).
    """
    clause = clause_before(sent.text, first.start - sent.start)
    rest = ""
    if last is not None and last.start > first.end:
        between = sent.text[first.end - sent.start : last.start - sent.start]
        marks = [m.start() for m in _CLAUSE.finditer(between)]
        if marks:
            rest, clause = between[: marks[0]], clause + between[marks[-1] :]
        else:
            clause += between
    for mood, rx in rules.modality_cues:
        if rx.search(clause) or (rest and mood in _SCOPING_MOODS and rx.search(rest)):
            return mood
    return "reported"


def clause_before(text: str, cut: int) -> str:
    """The part of ``text[:cut]`` after its last clause mark (``_CLAUSE.split(text[:cut])[-1]``), found
    from the sentence's mark positions, worked out once per sentence: each of its mentions and relations
    asks (``modality``)."""
    if cut <= 0:
        return ""
    marks = _clause_marks(text)
    i = bisect_left(marks, cut)  # the marks before ``cut``: the clause opens after the last of them
    return text[marks[i - 1] + 1 if i else 0 : cut]


@lru_cache(maxsize=256)
def _clause_marks(text: str) -> list[int]:
    return [m.start() for m in _CLAUSE.finditer(text)]


def mention_modalities(doc: Document, rules: RuleSet) -> list[Mention]:
    """Each mention with the modality of its own clause (严禁搞形象工程 → 形象工程: forbidden)."""
    out = []
    at = sentence_lookup(doc.sentences)
    for m in doc.mentions:
        sent = at(m.start)
        out.append(_with_modality(m, modality(sent, m, rules) if sent else "reported"))
    return out


_new = object.__new__


def _with_modality(m: Mention, mood: str) -> Mention:
    """``dataclasses.replace(m, modality=mood)`` at a sixth of its cost (a new object: ``m`` is not
    changed) — it runs for every mention of every document."""
    new = _new(Mention)
    d = new.__dict__
    d.update(m.__dict__)
    d["modality"] = mood
    return new
