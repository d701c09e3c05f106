"""Turtle written directly: a document's part, the merged part and the co-occurrence weights of graph.ttl.

A build writes hundreds of thousands of triples of a few fixed shapes; making an Oxigraph term of each and
serialising them was a quarter of a worker's time and most of an incremental build's merge. These writers
give the same bytes as ``serialize_turtle`` over ``rdf.document_triples`` / ``rdf.merge_triples`` — the tests
compare them on every corpus and on generated text — by formatting each distinct term once *with Oxigraph*
(so escaping is Oxigraph's own) and laying out statements as its serialiser does. What the triples are is
``rdf``'s business (the contract's mapping); how they are written fast is this module's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

import pyoxigraph as ox

from zhengji_kg.base.model import Evidence
from zhengji_kg.kg.rdf import (
    CLASS_NODES,
    PRED_NODES,
    PREFIXES,
    STATED,
    TERMS,
    ZJ,
    ZJR,
    Term,
    date_literal,
    entity_node,
    evidence_hash,
    mention_sentences,
    merged_statements,
    ox_term,
    relation_evidence,
    score_text,
    sorted_relations,
    source_node,
    weighted_evidence,
    zh_literal,
)

if TYPE_CHECKING:
    from zhengji_kg.base.model import Document
    from zhengji_kg.kg.graph import KnowledgeGraph

# ---------------------------------------------------------------- one document's Turtle, written directly
#
# A document's part is ~900 triples of one fixed shape (mostly ten per evidence node); making an
# Oxigraph term for each and serialising them was a quarter of a worker's time. ``document_turtle``
# writes the same bytes as ``serialize_turtle(document_triples(doc), header=False)`` — the tests compare
# the two on every corpus and on generated text — by formatting each distinct term once *with Oxigraph*
# (so escaping is Oxigraph's own) and laying the statements out as its serialiser does: consecutive
# triples of one subject joined with " ;", of one subject and predicate with " ,".

_PROBE = ox.NamedNode(f"{ZJ}probe")
_PROBE_LEAD = "zj:probe zj:probe "


def _term_turtle(term: ox.NamedNode | ox.Literal) -> str:
    """How Oxigraph writes ``term`` in object position with the contract's prefixes."""
    out = ox.serialize([ox.Triple(_PROBE, _PROBE, term)], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    line = out.decode("utf-8").rstrip("\n").rsplit("\n", 1)[-1]  # literals never hold a raw line break
    if not (line.startswith(_PROBE_LEAD) and line.endswith(" .")):
        raise AssertionError(f"unexpected Turtle from Oxigraph: {line!r}")
    return line[len(_PROBE_LEAD) : -2]


@lru_cache(maxsize=65536)
def _entity_turtle(etype: str, key: str) -> tuple[str, str]:
    """An entity's IRI and its Turtle form."""
    node = entity_node(etype, key)
    return node.value, _term_turtle(node)


@lru_cache(maxsize=65536)
def _source_turtle(doc_id: str) -> tuple[str, str]:
    node = source_node(doc_id)
    return node.value, _term_turtle(node)


@lru_cache(maxsize=4096)
def _zh_turtle(text: str) -> str:
    """A sentence as a Turtle literal: quoted as it is when nothing in it needs escaping (Oxigraph escapes
    only quotes, backslashes and control characters), else as Oxigraph writes it."""
    return _term_turtle(zh_literal(text)) if _NEEDS_ESCAPE.search(text) else f'"{text}"@zh'


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_plain_turtle = lru_cache(maxsize=4096)(lambda text: _term_turtle(ox.Literal(text)))
_T_TURTLE = {name: "a" if name == "type" else _term_turtle(node) for name, node in TERMS.items()}
_PRED_TURTLE = {name: (node.value, _term_turtle(node)) for name, node in PRED_NODES.items()}
_EVIDENCE_CLASS = _T_TURTLE["zj:Evidence"]
# the classes of the merged part by the names ``_merged_parts`` gives them: entity types and zj: classes
_CLASS_TURTLE = {**{name: _term_turtle(node) for name, node in CLASS_NODES.items()}, **_T_TURTLE}


_EV_NAME = "zjr:evidence\\/"  # an evidence node in Turtle: this, then its hex name (Oxigraph escapes the /)


def _evidence_node(s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence) -> str:
    """``evidence_iri`` as Turtle: its hex name after ``_EV_NAME``."""
    return _EV_NAME + evidence_hash(s[0], p[0], o[0], ev.source, ev.start, ev.end)


def _evidence_pairs(
    s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence, modality: bool
) -> list[tuple[str, str]]:
    """``_evidence_triples`` as Turtle (predicate, object) pairs; terms are (IRI, Turtle) pairs."""
    T = _T_TURTLE
    pairs = [
        ("a", _EVIDENCE_CLASS),
        (T["subject"], s[1]),
        (T["predicate"], p[1]),
        (T["object"], o[1]),
        (T["derived"], _source_turtle(ev.source)[1]),
        (T["zj:sentence"], _zh_turtle(ev.sentence)),
        (T["zj:charStart"], str(ev.start)),
        (T["zj:charEnd"], str(ev.end)),
        (T["zj:rule"], _plain_turtle(ev.rule)),
    ]
    if modality:
        pairs.append((T["zj:modality"], _plain_turtle(ev.modality)))
    if ev.score is not None:
        pairs.append((T["zj:score"], score_text(ev.score)))
    if ev.date:
        pairs.append((T["zj:eventDate"], _date_turtle(ev.date)))
        pairs.append((T["zj:dateBasis"], _plain_turtle(ev.date_basis)))
    return pairs


@lru_cache(maxsize=4096)
def _date_turtle(iso: str) -> str:
    return _term_turtle(date_literal(iso))


# The usual evidence node, written by one f-string: its predicates as Oxigraph writes them, looked up once.
_EV_LEAD = f" a {_EVIDENCE_CLASS} ;\n\t{_T_TURTLE['subject']} "
(_EV_P, _EV_O, _EV_SRC, _EV_SENT, _EV_START, _EV_END, _EV_RULE, _EV_MOD, _EV_SCORE, _EV_DATE, _EV_BASIS) = (
    f" ;\n\t{_T_TURTLE[name]} "
    for name in (
        "predicate", "object", "derived", "zj:sentence", "zj:charStart", "zj:charEnd", "zj:rule", "zj:modality",
        "zj:score", "zj:eventDate", "zj:dateBasis",
    )
)  # fmt: skip


def _evidence_text(
    n: str, s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence, modality: bool
) -> str:
    """``_statement(n, _evidence_pairs(…))``, faster: the evidence node written in one go."""
    mood = f"{_EV_MOD}{_plain_turtle(ev.modality)}" if modality else ""
    if ev.score is not None:
        mood += f"{_EV_SCORE}{score_text(ev.score)}"
    if ev.date:
        mood += f"{_EV_DATE}{_date_turtle(ev.date)}{_EV_BASIS}{_plain_turtle(ev.date_basis)}"
    mood += " .\n"
    return (
        f"{n}{_EV_LEAD}{s[1]}{_EV_P}{p[1]}{_EV_O}{o[1]}{_EV_SRC}{_source_turtle(ev.source)[1]}"
        f"{_EV_SENT}{_zh_turtle(ev.sentence)}{_EV_START}{ev.start}{_EV_END}{ev.end}{_EV_RULE}"
        f"{_plain_turtle(ev.rule)}{mood}"
    )


def _statement(subject: str, pairs: list[tuple[str, str]]) -> str:
    """One subject's triples as Oxigraph lays them out: " ;" between predicates, " ," between objects."""
    out = [subject]
    last = None
    for p, o in pairs:
        out.append(f" , {o}" if p == last else f" ;\n\t{p} {o}" if last is not None else f" {p} {o}")
        last = p
    out.append(" .\n")
    return "".join(out)


def document_turtle(doc: Document, cooccurrence_iris: dict | None = None) -> tuple[bytes, int]:
    """The Turtle of ``document_triples(doc)`` without @prefix lines, and how many triples it holds.

    ``cooccurrence_iris``, if given, receives the evidence IRI of each co-occurrence (relatedTo) under
    (subject, object, sentence start, sentence end), for ``graph.contribution`` not to hash them again.
    """
    chunks: list[str] = []
    count = 0
    doc_id = doc.id
    src = _source_turtle(doc_id)
    mentioned = (TERMS["zj:mentionedIn"].value, _T_TURTLE["zj:mentionedIn"])
    # a mention's evidence node is (entity, zj:mentionedIn, this source): all but the entity, the sentence
    # and the rule is the same for the whole document — written, and hashed, once
    hashed = f"\x1f{mentioned[0]}\x1f{src[0]}\x1f{doc_id}\x1f"
    middle = f"{_EV_P}{mentioned[1]}{_EV_O}{src[1]}{_EV_SRC}{src[1]}{_EV_SENT}"
    sha1 = hashlib.sha1
    for (etype, key), evs in mention_sentences(doc):
        e_iri, e_t = _entity_turtle(etype, key)
        chunks.append(f"{e_t} {mentioned[1]} {src[1]} .\n")
        lead = f"{_EV_LEAD}{e_t}{middle}"
        for start in sorted(evs):
            sent, rule, mood, score = evs[start]
            name = sha1(f"{e_iri}{hashed}{start}\x1f{sent.end}".encode()).hexdigest()[:20]
            chunks.append(
                f"{_EV_NAME}{name}{lead}{_zh_turtle(sent.text)}{_EV_START}{start}{_EV_END}{sent.end}{_EV_RULE}"
                f"{_plain_turtle(rule)}{_EV_MOD}{_plain_turtle(mood)}{_EV_SCORE}{score_text(score)} .\n"
            )
        count += 1 + 11 * len(evs)
    # Two rules finding one relation in one sentence share its evidence node; sorted, they are neighbours,
    # and the node is written once with the triples of both (as document_triples' ``seen`` does).
    relations = sorted_relations(doc)
    # what names each relation's node (the inputs of evidence_iri), worked out once
    nodes = [(r.subject, r.predicate, r.object, r.sentence.start, r.sentence.end) for r in relations]
    for i, r in enumerate(relations):
        if i and nodes[i - 1] == nodes[i]:
            continue  # written with the first relation of its node
        ev = relation_evidence(doc_id, r)
        s, p, o = _entity_turtle(*r.subject), _PRED_TURTLE[r.predicate], _entity_turtle(*r.object)
        n = _evidence_node(s, p, o, ev)
        if cooccurrence_iris is not None and r.predicate == "relatedTo":
            cooccurrence_iris[(r.subject, r.object, ev.start, ev.end)] = _EVIDENCE_NS + n[len(_EV_NAME) :]
        stated = r.predicate in STATED
        if i + 1 < len(relations) and nodes[i + 1] == nodes[i]:
            pairs = _evidence_pairs(s, p, o, ev, stated)
            for j in range(i + 1, len(relations)):
                if nodes[j] != nodes[i]:
                    break
                r2 = relations[j]
                ev2 = relation_evidence(doc_id, r2)
                pairs += [x for x in _evidence_pairs(s, p, o, ev2, stated) if x not in pairs]
            chunks.append(_statement(n, pairs))
            count += len(pairs)
        else:
            chunks.append(_evidence_text(n, s, p, o, ev, stated))
            count += (10 if stated else 9) + (ev.score is not None) + 2 * bool(ev.date)
    return "".join(chunks).encode("utf-8"), count


def merged_turtle(kg: KnowledgeGraph) -> tuple[bytes, int]:
    """``serialize_turtle(merge_triples(kg, weights=False), header=False)`` and its number of triples,
    written directly (as ``document_turtle`` writes a document's part): making an Oxigraph term of each
    of the merged part's triples and serialising them took 0.5–0.9 s on a corpus of 10,000 documents, on
    the path of every incremental build (now 0.2–0.6 s). The tests compare the two."""
    # every source's and entity's IRI in its Turtle form, from one call to Oxigraph's serialiser (one
    # call per IRI was half of this on a large corpus, where the build process had formatted none yet)
    named = [("source", d) for d in kg.sources] + [("entity", *k) for k in kg.entities]
    forms = dict(zip(named, _iri_turtles([ox_term(t).value for t in named]), strict=True))
    chunks = []
    count = 0
    for subject, pairs in merged_statements(kg):
        chunks.append(
            _statement(
                _turtle_term(subject, forms),
                [
                    (_PRED_TURTLE[p[1]][1] if isinstance(p, tuple) else _T_TURTLE[p], _turtle_term(o, forms))
                    for p, o in pairs
                ],
            )
        )
        count += len(pairs)
    return "".join(chunks).encode("utf-8"), count


def _iri_turtles(iris: list[str]) -> list[str]:
    """How Oxigraph writes each IRI (with the contract's prefixes), found by serialising them all at once:
    each the subject of a statement of its own, on a line of its own."""
    if not iris:
        return []
    tail = f" {_PROBE_LEAD.strip()} ."  # " zj:probe zj:probe ."
    out = ox.serialize(
        [ox.Triple(ox.NamedNode(i), _PROBE, _PROBE) for i in iris], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    lines = [ln for ln in out.decode("utf-8").split("\n") if ln and not ln.startswith("@prefix ")]
    if len(lines) != len(iris) or not all(ln.endswith(tail) for ln in lines):  # (duplicates, or a new layout)
        return [_term_turtle(ox.NamedNode(i)) for i in iris]
    return [ln[: -len(tail)] for ln in lines]


def _turtle_term(term: Term, forms: dict[Term, str]) -> str:
    kind = term[0]
    if kind == "entity" or kind == "source":
        form = forms.get(term)
        if form is None:
            form = _entity_turtle(term[1], term[2])[1] if kind == "entity" else _source_turtle(term[1])[1]
        return form
    if kind == "zh":
        return _zh_turtle(term[1])
    if kind == "plain":
        return f'"{term[1]}"' if not _NEEDS_ESCAPE.search(term[1]) else _plain_turtle(term[1])
    if kind == "int":
        return str(term[1])
    if kind == "class":
        return _CLASS_TURTLE[term[1]]
    return _other_turtle(term)


@lru_cache(maxsize=4096)
def _other_turtle(term: Term) -> str:
    """A date or a URL, as Oxigraph writes it (a URL in one of the contract's namespaces is abbreviated)."""
    return _term_turtle(ox_term(term))


_IRI = itemgetter(7)
_EVIDENCE_NS = f"{ZJR}evidence/"


def weight_turtle(kg: KnowledgeGraph) -> bytes:
    """The ``zj:weight`` triples of ``merge_triples`` as Turtle, written directly.

    A large corpus has hundreds of thousands of them, all of one shape — an evidence IRI (a hex hash)
    and an integer — so formatting the lines is an order of magnitude faster than making terms and
    serialising them, and there is nothing to escape. The result equals Oxigraph's (see the tests).
    """
    chunks = []
    rel = PRED_NODES["relatedTo"].value
    name = itemgetter(slice(len(_EVIDENCE_NS), None))
    for (sk, pred, ok), evs in sorted(kg.relations.items()):  # one pass: ``finish`` left them in order
        if pred != "relatedTo":
            continue
        iris = list(dict.fromkeys(map(_IRI, evs)))
        if "" in iris:  # evidence merged from documents without their IRIs (``KnowledgeGraph.add``)
            iris = weighted_evidence(entity_node(*sk).value, rel, entity_node(*ok).value, evs)[1]
        names = list(map(name, iris))
        # evidence_iri makes hex names: anything else is a bug, and must not reach the file unescaped
        if not all(map(str.startswith, iris, repeat(_EVIDENCE_NS))) or not _HEX.fullmatch("".join(names)):
            raise ValueError("an evidence IRI that is not zjr:evidence/ and hex digits")
        # one evidence node per sentence: an IRI is a hash of the sentence's source and offsets, so there
        # are as many distinct IRIs as distinct sentences — ``weighted_evidence``'s weight, without counting those
        tail = f" zj:weight {len(iris)} .\n"
        chunks.append(_EV_NAME + f"{tail}{_EV_NAME}".join(names) + tail)
    return "".join(chunks).encode("ascii")


_HEX = re.compile(r"[0-9a-f]+")


def serialize_turtle(triples: Iterable[ox.Triple], header: bool = True) -> bytes:
    """Turtle by Oxigraph, with the contract's prefixes; without ``header`` the @prefix lines are left
    off, so that per-document parts can follow one header in a single file."""
    out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    if header:
        return out
    body = out.split(b"\n")
    i = 0
    while i < len(body) and body[i].startswith(b"@prefix "):
        i += 1
    return b"\n".join(body[i:])


def turtle_header() -> bytes:
    """The @prefix lines of the contract's namespaces, for a file assembled from header-less parts."""
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items()).encode("utf-8")
