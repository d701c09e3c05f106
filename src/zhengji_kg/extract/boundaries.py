"""Boundaries by word class: a name found by walking left from its head does not open with a preposition,
a conjunction, an auxiliary or an adverb of its sentence (通过…, 如果…, 必须…, 要以…), nor with a verb that
sets a mechanism up (推动…, 建立…) — whatever the word is, as jieba's word classes say. Names delimited by
the writer (in 《》 or quotation marks, a lexicon entry) keep their words as written."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.segment import tokens, word_tag
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.patterns import clean_label

# jieba's classes that never open a name: p preposition, c conjunction, u auxiliary, d adverb, t time word
NOT_OPENING = ("p", "c", "u", "d", "t")
# rule kinds whose left edge is found by walking, and so can take in a word of the sentence
WALKED_KINDS = frozenset({"mechanism_head", "mechanism_coordination"})


def opens_wrongly(word: str, triggers: frozenset[str]) -> bool:
    """Whether a name may not start with ``word``: its class is one of ``NOT_OPENING`` (jieba's tag
    table), or it is a verb of setting up (the rules' ``triggers``)."""
    tag = word_tag(word)
    return word in triggers or (bool(tag) and tag[0] in NOT_OPENING and not tag.startswith("nr"))


def trim_openings(doc: Document, found: list[Mention], ctx: Context) -> list[Mention]:
    """The walked mechanism names with the words that may not open a name cut from their start; a name that
    is all such words, or is left with its head alone, is dropped.

    (Proposing, besides, each name without a plain verb that opens it — 启动|澄清正名程序 — and letting the
    scored decision pick the boundary was tried: cross-validated F1 on mechanisms fell from 0.78 to 0.75,
    as 防范和纠治…机制 lost its first verb. A plain verb's part in a name is left to the model's features.)"""
    walked = ctx.rules.derived(
        "boundaries.walked", lambda rs: {r["id"] for r in rs.mention_rules if r.get("kind") in WALKED_KINDS}
    )
    if not any(m.rule in walked for m in found):
        return found
    triggers = ctx.rules.words.get("triggers", frozenset())
    passive = ctx.rules.words.get("passive_markers", frozenset())
    starts = [s.start for s in doc.sentences]
    out = []
    for m in found:
        if m.rule not in walked or m.start >= m.end:
            out.append(m)
            continue
        i = bisect_right(starts, m.start) - 1
        if i < 0:
            out.append(m)
            continue
        sent = doc.sentences[i]
        words = [
            (sent.start + s, sent.start + e, w)
            for w, s, e in tokens(sent.text, ctx.jieba_words)
            if m.start <= sent.start + s and sent.start + e <= m.end
        ]
        cut = m.start
        for k, (a, e, w) in enumerate(words):
            if a != cut or e >= m.end or not opens_wrongly(w, triggers):
                break
            if w in passive and k + 1 < len(words) and word_tag(words[k + 1][2])[:1] in ("v", ""):
                break  # 被|问责|干部…: a passive participle opens a noun, no preposition of the sentence
            cut = e
        if cut == m.start:
            out.append(m)
        elif m.end - cut >= 3:  # (a coordinated name's span is its own words: 激励|和容错纠错机制)
            out.append(_cut(doc, m, cut))
    return out


def _cut(doc: Document, m: Mention, start: int) -> Mention:
    if start == m.start:
        return m
    label = clean_label(doc.text[start : m.end])
    key = label if m.key == m.surface else m.key
    aliases = tuple(a for a in m.aliases if a != label)
    return replace(m, start=start, surface=label, key=key, aliases=aliases)
