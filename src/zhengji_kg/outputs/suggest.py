"""Suggest: frequent candidate terms of a corpus that no rule or lexicon entry covers yet.

Candidates are the forms an analyst would look at first: quoted terms, words ending in a mechanism head
(…机制, …制度 …) or a notion suffix (…观, …主义, …意识 …), and numbered formulas. A candidate is
listed when no mention of the built graph covers it; the analyst adds the good ones to a lexicon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zhengji_kg.base.segment import tokens
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.patterns import QUOTED, clean_label
from zhengji_kg.kg.graph import KnowledgeGraph

NOTION = re.compile(r"(观|主义|意识|精神|思想|理念|思维|导向|作风|效应|工程)$")
FORMULA = re.compile(r"^[一二三四五六七八九十两]+[个项条张本下不位][\u4e00-\u9fff]{1,6}$")


@dataclass
class Candidate:
    term: str
    form: str
    count: int = 0
    docs: set[str] = field(default_factory=set)
    example: str = ""


def suggest(kg: KnowledgeGraph, min_docs: int = 1, min_count: int = 2) -> list[Candidate]:
    rules = kg.rules
    heads = tuple(next((r.get("heads") for r in rules.mention_rules if r.get("kind") == "mechanism_head"), ()) or ())
    skip = set(rules.words.get("metaphors", ())) | set(rules.words.get("generic_orgs", ()))
    for r in rules.mention_rules:
        skip |= set(r.get("generic") or ())
    known = {label for rec in kg.entities.values() for label in rec.labels} | {k for _, k in kg.entities}
    words = Context.for_rules(rules).jieba_words
    found: dict[str, Candidate] = {}

    def add(term: str, form: str, doc_id: str, sentence: str) -> None:
        if len(term) < 2 or term in skip or term in known or not re.search(r"[\u4e00-\u9fff]", term):
            return
        c = found.setdefault(term, Candidate(term, form))
        c.count += 1
        c.docs.add(doc_id)
        c.example = c.example or sentence

    for doc_id, doc in sorted(kg.documents.items()):
        if not doc.text:
            raise ValueError("suggest reads whole sentences: build the graph with build(..., keep_text=True)")
        spans = [(m.start, m.end) for m in doc.mentions]
        for sent in doc.sentences:
            for m in QUOTED.finditer(sent.text):
                a, b = sent.start + m.start(1), sent.start + m.end(1)
                if not any(s <= a and b <= e for s, e in spans):
                    term = clean_label(m.group(1))
                    add(term, "formula" if FORMULA.match(term) else "quoted", doc_id, sent.text)
            for w, s, e in tokens(sent.text, words):
                a, b = sent.start + s, sent.start + e
                if len(w) < 3 or any(x <= a and b <= y for x, y in spans):
                    continue
                if w.endswith(heads):
                    add(w, "mechanism-head", doc_id, sent.text)
                elif NOTION.search(w):
                    add(w, "notion-suffix", doc_id, sent.text)
    out = [c for c in found.values() if len(c.docs) >= min_docs and c.count >= min_count]
    return sorted(out, key=lambda c: (-len(c.docs), -c.count, c.term))
