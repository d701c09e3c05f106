"""Relate: sentences + mentions → relations, each from a rule in ``ontology/rules.yaml`` with its id.

A rule's pattern is matched against the sentence with the two mentions under test written as marks
({S}, {O}) and every other mention as a mark of its type, so patterns read like the language they
describe and never match inside a name.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import combinations, pairwise
from typing import Any

from zhengji_kg.base.dates import DATE_PATTERN
from zhengji_kg.base.gazetteer import level_of
from zhengji_kg.base.linescan import words_needed
from zhengji_kg.base.matcher import Matcher
from zhengji_kg.base.model import Document, Mention, Relation, Sentence
from zhengji_kg.base.rules import PLACEHOLDERS, TYPE_MARK, RuleSet
from zhengji_kg.base.weights import Weights
from zhengji_kg.extract.modality import modality
from zhengji_kg.extract.relation_features import relation_features

S_MARK, O_MARK = PLACEHOLDERS["{S}"], PLACEHOLDERS["{O}"]
COOCCURRENCE_RULE = "relatedTo.same-sentence"
COOC_TYPES = ("concept", "mechanism")
MAX_STATED_MENTIONS = 40
_LEVEL_ENDS = "省市州盟县区旗"  # the characters that close a level of a place's full name
NEARBY_SENTENCES = 2  # a relation's other end may stand this many sentences before, in the paragraph


def mentions_by_sentence(doc: Document, mentions: list[Mention]) -> dict[int, list[Mention]]:
    """Sentence start → the mentions wholly inside that sentence, in text order; one pass, not one per sentence."""
    out: dict[int, list[Mention]] = {}
    starts = [s.start for s in doc.sentences]
    for m in sorted(mentions, key=lambda m: m.start):
        i = bisect_right(starts, m.start) - 1
        if i >= 0 and m.end <= doc.sentences[i].end:
            out.setdefault(starts[i], []).append(m)
    return out


def abstract(sent: Sentence, ms: list[Mention], subj: Mention | None, obj: Mention | None) -> str:
    """The sentence with mentions replaced by one-character marks (subject/object first, then longest)."""
    chosen: list[tuple[int, int, str]] = []
    ordered = [(subj, S_MARK), (obj, O_MARK)] + [
        (m, TYPE_MARK[m.type]) for m in sorted(ms, key=lambda m: -(m.end - m.start)) if m is not subj and m is not obj
    ]
    taken = bytearray(sent.end - sent.start)  # characters already under a mark: linear, not quadratic
    for m, mark in ordered:
        if m is None:
            continue
        a, b = m.start - sent.start, m.end - sent.start
        if any(taken[a:b]):
            continue
        taken[a:b] = b"\x01" * (b - a)
        chosen.append((m.start, m.end, mark))
    chosen.sort()
    out, pos = [], sent.start
    for s, e, mark in chosen:
        out.append(sent.text[pos - sent.start : s - sent.start])
        out.append(mark)
        pos = e
    out.append(sent.text[pos - sent.start :])
    return "".join(out)


class Abstracts:
    """``abstract`` for many (subject, object) pairs of one sentence.

    Where the sentence's mentions are disjoint — nearly always — every mention gets its mark whichever
    pair is under test, so the text between them is cut once and each pair only swaps two marks in;
    otherwise each pair is worked out by ``abstract`` itself.
    """

    def __init__(self, sent: Sentence, ms: list[Mention]) -> None:
        self.sent, self.ms = sent, ms
        order = sorted(ms, key=lambda m: (m.start, m.end))
        self.disjoint = all(m.start < m.end for m in order) and all(a.end <= b.start for a, b in pairwise(order))
        self.cache: dict[tuple[int, int], str] = {}
        if self.disjoint:
            text, base = sent.text, sent.start
            self.pieces: list[str] = []  # text, mark, text, mark … text
            self.slot: dict[int, int] = {}  # id(mention) → index of its mark in pieces
            pos = base
            for m in order:
                self.pieces.append(text[pos - base : m.start - base])
                self.slot[id(m)] = len(self.pieces)
                self.pieces.append(TYPE_MARK[m.type])
                pos = m.end
            self.pieces.append(text[pos - base :])

    def __call__(self, subj: Mention | None, obj: Mention | None) -> str:
        key = (id(subj), id(obj))
        text = self.cache.get(key)
        if text is None:
            if self.disjoint:
                pieces = list(self.pieces)
                if subj is not None:
                    pieces[self.slot[id(subj)]] = S_MARK
                if obj is not None:
                    pieces[self.slot[id(obj)]] = O_MARK
                text = "".join(pieces)
            else:
                text = abstract(self.sent, self.ms, subj, obj)
            self.cache[key] = text
        return text


def paragraph_topics(
    doc: Document, mentions: list[Mention], rules: RuleSet, by_sent: dict[int, list[Mention]]
) -> dict[int, tuple[Sentence, Mention]]:
    """For each paragraph whose first sentence opens with a place, that place (the lowest of a chain);
    ``by_sent`` is ``mentions_by_sentence(doc, mentions)``."""
    rules_p = scoped(rules, "paragraph")
    out: dict[int, tuple[Sentence, Mention]] = {}
    seen: set[int] = set()
    for sent in doc.sentences:
        if sent.paragraph in seen:
            continue
        seen.add(sent.paragraph)
        in_sent = by_sent.get(sent.start, [])
        places = [m for m in in_sent if m.type == "place"]
        for r in rules_p:
            for p in sorted(places, key=lambda m: -m.start):  # 江苏省南京市鼓楼区 → 鼓楼区
                if r["_topic"].search(abstract(sent, in_sent, None, p)):
                    out[sent.paragraph] = (sent, p)
                    break
            if sent.paragraph in out:
                break
    return out


def _paragraph_relations(
    sent: Sentence,
    ms: list[Mention],
    topic: tuple[Sentence, Mention] | None,
    rules: RuleSet,
    out: Proposals,
) -> None:
    """practicedIn from the paragraph's topic place to mechanisms set up in its later sentences."""
    if topic is None or topic[0].start == sent.start:
        return
    place = topic[1]
    for rule in scoped(rules, "paragraph"):
        for s in ms:
            if s.type != rule["subject"] or not rule["_pattern"].search(abstract(sent, ms, s, None)):
                continue
            _add(out, s, rule, place, sent, (sent, s, None))


def _name_relations(
    sent: Sentence, ms: list[Mention], rule: dict, rules: RuleSet, out: Proposals, named: dict[str, Mention]
) -> None:
    """A rule of ``scope: name``: the object opens the subject's own name (抚州市容错免责办法 → 抚州市), for
    subjects whose name ends with one of the rule's ``heads`` — a mention of the sentence, or else an object
    the document names elsewhere (``named``: surface → mention) whose surface opens the name."""
    heads = tuple(rule.get("heads") or ())
    for s in ms:
        if s.type != rule["subject"] or not s.key.endswith(heads):
            continue
        inside = [o for o in ms if o.type == rule["object"] and o.start == s.start and o.end < s.end]
        if not inside:
            opener = max((w for w in named if s.surface.startswith(w) and len(w) < len(s.surface)), key=len, default="")
            inside = [named[opener]] if opener else []
        for o in inside:
            _add(out, s, rule, o, sent, (sent, s, None))


# scopes of the relation rules that only put two ends together: they propose, the scored decision keeps
GENERIC_SCOPES = ("cooccurrence", "nearby", "document-place")


def rules_alone(rules: RuleSet) -> Weights:
    """Weights that leave the decision to the rules: every mention candidate is kept (score 0), and every
    relation that a rule of a stated form proposes — none that a rule of co-occurrence alone does. The
    baseline the learned weights are measured against, and what the rules' own examples are tested with."""
    stated = {f"r={r['id']}": 1.0 for r in rules.relation_rules if r.get("scope") not in GENERIC_SCOPES}
    return Weights(relation={"bias": -1.0, **stated})


@dataclass
class Proposal:
    """A candidate relation: the first rule that proposed it and every other rule that did too."""

    relation: Relation  # its modality is worked out for the kept ones only (``mood``)
    subj: Mention
    obj: Mention
    rules: list[str]
    generic: bool = False  # proposed only by rules of co-occurrence (scope cooccurrence, nearby, document-place)
    mood: Mood = "reported"


# how a proposal's sentence takes it: the modality itself, or what ``modality`` needs to work it out
# (sentence, first mention, last mention) — only for the proposals the decision keeps
Mood = str | tuple[Sentence, Mention, Mention | None]


class Proposals(dict):
    """(subject, predicate, object, sentence start) → ``Proposal``, in the order they were proposed; and the
    mentions of each sentence they were proposed among (``by_sent``), which features and decision read."""

    def __init__(self, by_sent: dict[int, list[Mention]]) -> None:
        super().__init__()
        self.by_sent = by_sent

    def add(
        self, s: Mention, o: Mention, pred: str, rule_id: str, sent: Sentence, mood: Mood, generic: bool = False
    ) -> None:
        """Propose ``s pred o`` stated by ``sent``. A ``generic`` proposer (a pair that only stands together)
        gives the evidence its rule id only where no rule of a stated form proposed the relation too."""
        a, b = (o, s) if pred == "contrastsWith" and o.key < s.key else (s, o)
        k = ((a.type, a.key), pred, (b.type, b.key), sent.start)
        p = self.get(k)
        if p is None:
            self[k] = Proposal(Relation(k[0], pred, k[2], sent, rule_id), s, o, [rule_id], generic, mood)
        elif rule_id not in p.rules:
            p.rules.append(rule_id)
            if p.generic and not generic:  # the evidence names the rule of the stated form
                p.relation = Relation(k[0], pred, k[2], sent, rule_id)
                p.subj, p.obj, p.generic, p.mood = s, o, False, mood


def relate(doc: Document, rules: RuleSet, weights: Weights | None = None) -> list[Relation]:
    """The relations the scored decision keeps among the candidates (``relation_candidates``), one per
    (subject, predicate, object, sentence), and the co-occurrences (relatedTo) of what they leave unstated."""
    props = relation_candidates(doc, rules)
    feats = relation_features(doc, props, rules)
    return decide_relations(doc, props, feats, weights or rules.weights, rules)


def decide_relations(
    doc: Document, props: Proposals, feats: list[tuple[str, ...]], weights: Weights, rules: RuleSet
) -> list[Relation]:
    out: dict[tuple, Relation] = {}
    for (k, p), f in zip(props.items(), feats, strict=True):
        score = weights.score("relation", f)
        if weights.keeps("relation", score):
            mood = p.mood if isinstance(p.mood, str) else modality(p.mood[0], p.mood[1], rules, p.mood[2])
            out[k] = replace(p.relation, score=round(score, 4), modality=mood)
    stated: dict[int, set[frozenset]] = {}
    for k, r in out.items():
        stated.setdefault(k[3], set()).add(frozenset((r.subject, r.object)))
    for sent, ms in _sentences(doc, props.by_sent):
        first_of: dict[tuple[str, str], Mention] = {}
        for m in ms:
            if m.type in COOC_TYPES:
                first_of.setdefault((m.type, m.key), m)
        said = stated.get(sent.start, set())
        for a, b in combinations(sorted(first_of), 2):
            if frozenset((a, b)) in said:
                continue
            ma, mb = sorted((first_of[a], first_of[b]), key=lambda m: m.start)
            out[(a, "relatedTo", b, sent.start)] = Relation(
                a, "relatedTo", b, sent, COOCCURRENCE_RULE, modality(sent, ma, rules, mb)
            )
    return sorted(out.values(), key=lambda r: (r.sentence.start, r.predicate, r.subject, r.object))


def _sentences(doc: Document, by_sent: dict[int, list[Mention]]) -> Iterator[tuple[Sentence, list[Mention]]]:
    """Each sentence with its mentions (``by_sent``) — but a place inside an organization's name (四川省委组织部)
    is the body's place, not a subject of its own."""
    orgs = [(m.start, m.end) for m in doc.mentions if m.type == "organization"]
    for sent in doc.sentences:
        ms = [
            m
            for m in by_sent.get(sent.start, [])
            if not (m.type == "place" and any(s <= m.start and m.end <= e for s, e in orgs))
        ]
        if ms:
            yield sent, ms


def relation_candidates(doc: Document, rules: RuleSet) -> Proposals:
    """Every relation a rule proposes: the patterns of ``rules.yaml`` over each sentence, a paragraph's topic
    place, a name's opening place, a document's issuers, and the pairs a sentence (or the document's own
    place) only puts together — which the scored decision weighs by their cues."""
    mentions = sorted(doc.mentions, key=lambda m: m.start)
    by_sent = mentions_by_sentence(doc, mentions)
    out = Proposals(by_sent)
    topics = paragraph_topics(doc, mentions, rules, by_sent)
    home_rules = scoped(rules, "document-place")
    home = document_place(doc, mentions) if home_rules else None
    near_rules = scoped(rules, "nearby")
    recent: list[tuple[Sentence, list[Mention]]] = []  # the sentences just before, in the same paragraph
    name_rules = scoped(rules, "name")
    sentence_rules, cue_words = rules.derived("relate.sentence", _sentence_rules)
    named: dict[str, dict[str, Mention]] = {}  # object type → surface → its first mention, for names opening with it
    for m in mentions:
        forms = [m.surface]
        if m.type == "place":  # 岳阳县毛田镇 is also named by its lowest level alone: 毛田镇…办法
            forms += [m.surface[i + 1 :] for i, ch in enumerate(m.surface[:-2]) if ch in _LEVEL_ENDS]
        for w in forms:
            if len(w) >= 2:
                named.setdefault(m.type, {}).setdefault(w, m)
    for sent, ms in _sentences(doc, by_sent):
        _paragraph_relations(sent, ms, topics.get(sent.paragraph), rules, out)
        for rule in name_rules:
            _name_relations(sent, ms, rule, rules, out, named.get(rule["object"], {}))
        recent = [(x, xs) for x, xs in recent if x.paragraph == sent.paragraph][-NEARBY_SENTENCES:]
        for rule in near_rules:
            for s in ms:
                if s.type != rule["subject"]:
                    continue
                for _x, xs in recent:
                    for o in xs:
                        if o.type == rule["object"] and o.key != s.key:
                            out.add(s, o, rule["relation"], rule["id"], sent, (sent, s, None), True)
        recent.append((sent, ms))
        if home is not None:
            for rule in home_rules:
                for s in ms:
                    if s.type == rule["subject"] and (s.start > home.end or s.end <= home.start):
                        out.add(s, home, rule["relation"], rule["id"], sent, (sent, s, None), True)
        if len(ms) < 2 or len(ms) > MAX_STATED_MENTIONS:
            # a "sentence" naming dozens of entities is a list or a run-on line, not a statement: pairing every
            # subject with every object under every rule would cost its mentions to the fourth power
            continue
        abstracts = Abstracts(sent, ms)  # several rules look at the same (subject, object) pair
        of_type: dict[str, list[Mention]] = {}
        for m in ms:
            of_type.setdefault(m.type, []).append(m)
        held = {w for _s, _e, w, _v in cue_words.find(sent.text)}
        for rule, pred, pattern, pairs_only, proposes, needed in sentence_rules:
            if needed and held.isdisjoint(needed):
                continue  # a word every match of the pattern holds is not in the sentence
            subs = of_type.get(rule["subject"], ())
            objs = of_type.get(rule["object"], ())
            if not subs or not objs:
                continue
            for s in subs:
                for o in objs:
                    if s is o or s.key == o.key or (s.start < o.end and o.start < s.end):
                        continue
                    if pairs_only and frozenset((s.key, o.key)) not in rules.contrast_pairs:
                        continue
                    if not pattern.search(abstracts(s, o)):
                        continue
                    first, last = (s, o) if s.start < o.start else (o, s)
                    out.add(s, o, pred, rule["id"], sent, (sent, first, last), proposes)
    adjacent_rules = scoped(rules, "adjacent")
    if adjacent_rules:
        _adjacent_relations(doc, by_sent, adjacent_rules, rules, out)
    for rule in scoped(rules, "document"):
        _issuer_relations(doc, mentions, by_sent, rule, rules, out)
    return out


def scoped(rules: RuleSet, scope: str) -> list[dict]:
    """The relation rules of one ``scope``, in their order (read off the rules once per rule set)."""
    by_scope = rules.derived("relate.scopes", _by_scope)
    return by_scope.get(scope, [])


def _by_scope(rules: RuleSet) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rules.relation_rules:
        out.setdefault(r.get("scope") or "", []).append(r)
    return out


def _sentence_rules(rules: RuleSet) -> tuple[list[tuple[dict, str, Any, Any, bool, frozenset[str]]], Matcher]:
    """The rules read over each sentence's (subject, object) pairs — those of no scope (stated forms) and
    those of co-occurrence, which only propose —, each with its predicate, pattern, ``lexicon_pair``,
    whether it only proposes, and the words one of which a sentence must hold for its pattern to match
    (``linescan.words_needed``: a sentence without 建立, 出台 … tries no pair under a rule that needs one);
    and the automaton that finds those words in a sentence."""
    marks = "".join(PLACEHOLDERS.values())
    out = []
    for r in rules.relation_rules:
        if not r.get("scope") or r.get("scope") == GENERIC_SCOPES[0]:
            needed = frozenset(words_needed(r["_pattern"], marks))
            out.append((r, r["relation"], r["_pattern"], r.get("lexicon_pair"), bool(r.get("scope")), needed))
    return out, Matcher({w: None for *_r, needed in out for w in needed})


def _adjacent_relations(
    doc: Document, by_sent: dict[int, list[Mention]], adjacent_rules: list[dict], rules: RuleSet, out: Proposals
) -> None:
    """Rules of ``scope: adjacent``: the pattern read over two adjacent sentences of one paragraph as one
    span (第一条 为……落实X……。根据……，制定本办法。), the subject in the second, the object in the first — or,
    with ``subject_in: first``, the other way round (…推行X制度。A镇、B镇作为首批试点)."""
    prev: Sentence | None = None
    for sent in doc.sentences:
        if prev is not None and prev.paragraph == sent.paragraph:
            span = Sentence(prev.start, sent.end, doc.text[prev.start : sent.end], sent.paragraph)
            firsts = by_sent.get(prev.start, [])
            seconds = by_sent.get(sent.start, [])
            ms = firsts + seconds
            if 2 <= len(ms) <= MAX_STATED_MENTIONS:
                for rule in adjacent_rules:
                    subjects, objects = (firsts, seconds) if rule.get("subject_in") == "first" else (seconds, firsts)
                    for s in subjects:
                        if s.type != rule["subject"]:
                            continue
                        for o in objects:
                            if o.type != rule["object"] or o.key == s.key:
                                continue
                            if rule["_pattern"].search(abstract(span, ms, s, o)):
                                out.add(s, o, rule["relation"], rule["id"], span, (span, o, s))
        prev = sent


def document_place(doc: Document, mentions: list[Mention]) -> Mention | None:
    """The place a document is about: the lowest-level place named in its first two sentences (its title
    and lead) when there is one — 辽宁省沈阳市浑南区 of a report on 浑南区's practice."""
    lead = doc.sentences[:2]
    if not lead:
        return None
    end = lead[-1].end
    orgs = [(m.start, m.end) for m in mentions if m.type == "organization"]
    places = [
        m
        for m in mentions
        if m.type == "place"
        and m.start < m.end <= end
        and m.subtype not in ("anonymised", "region")
        and not any(s <= m.start and m.end <= e for s, e in orgs)  # 中共X县委's place is the body's
    ]
    if not places:
        return None
    return max(places, key=lambda m: (_DEPTH.get(level_of(m.code), 4), -m.start))


# the lowest level is the document's place; a place the gazetteer does not hold (a township) is lower still
_DEPTH = {"province": 1, "city": 2, "county": 3, "": 4}


_ISSUER_GAP = re.compile(r"[\s、，,。]*")
# a byline under a regulation's title: （中共X县委组织部 2025年4月印发）, （2025年4月2日X印发）
_ISSUER_LEAD = re.compile(rf"[\s（(]*(?:{DATE_PATTERN})?[\s、，,。]*")
_ISSUER_TAIL = re.compile(rf"[\s、，,。]*(?:{DATE_PATTERN})?\s*(?:印发|发布|制发|颁布|修订)?[\s）)。]*")
SELF_REFERENCE_KIND = "self_reference"


def issuer_lines(doc: Document, by_sent: dict[int, list[Mention]]) -> Iterator[tuple[Sentence, list[Mention]]]:
    """The organizations of each line made of nothing else (a 红头's 中共湖州市委  湖州市人民政府, a
    signature, a byline under the title: （中共湖州市委组织部 2020年3月印发）): the bodies that issue a document,
    in text order. A place inside a body's name is the
    body's (中共湖州市委 holds 湖州市)."""
    first_of: dict[int, Sentence] = {}
    last_of: dict[int, Sentence] = {}
    for sent in doc.sentences:
        first_of.setdefault(sent.paragraph, sent)
        last_of[sent.paragraph] = sent
    for sent in doc.sentences:
        if not (first_of[sent.paragraph] is sent is last_of[sent.paragraph]):
            continue  # a line (paragraph) of one sentence only
        ms = by_sent.get(sent.start, [])
        orgs = [m for m in ms if m.type == "organization" and m.start < m.end]
        if not orgs or any(not any(o.start <= m.start and m.end <= o.end for o in orgs) for m in ms):
            continue
        pos, gap = sent.start, _ISSUER_LEAD  # (before the first body a byline's bracket and date, then gaps)
        for o in orgs:
            if o.start < pos or not gap.fullmatch(doc.text, pos, o.start):
                break
            pos, gap = o.end, _ISSUER_GAP
        else:
            if _ISSUER_TAIL.fullmatch(doc.text, pos, sent.end):
                yield sent, orgs


def _issuer_relations(
    doc: Document,
    mentions: list[Mention],
    by_sent: dict[int, list[Mention]],
    rule: dict,
    rules: RuleSet,
    out: Proposals,
) -> None:
    """A rule of ``scope: document``: the bodies on lines of their own (``issuer_lines``) issued the
    regulation the document is — the key of its self-reference mentions."""
    own_rules = rules.derived(
        "relate.own", lambda rs: {r["id"] for r in rs.mention_rules if r.get("kind") == SELF_REFERENCE_KIND}
    )
    own = [m for m in mentions if m.rule in own_rules and m.type == rule["subject"]][:1]
    issued = rule.get("_issued")
    if issued is not None:  # what a notice issues: 现将《…》印发给你们, 关于印发《…》的通知
        seen = {m.key for m in own}
        for sent in doc.sentences:
            ms = by_sent.get(sent.start, [])
            for s in ms:
                if s.type == rule["subject"] and s.key not in seen and issued.search(abstract(sent, ms, s, None)):
                    seen.add(s.key)
                    own.append(s)
    if not own:
        return
    for sent, orgs in issuer_lines(doc, by_sent):
        for m in orgs:
            for s in own:
                _add(out, s, rule, m, sent, "reported")


def _add(out: Proposals, s: Mention, rule: dict, o: Mention, sent: Sentence, mood: Mood) -> None:
    """The rule's relation from ``s`` to ``o`` stated by ``sent``, proposed."""
    out.add(s, o, rule["relation"], rule["id"], sent, mood)
