"""The direct Turtle writers (kg/turtle.py) against Oxigraph's serialiser: byte for byte the same file."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.base.model import Document, Mention, Relation, Sentence
from zhengji_kg.base.rules import load_rules
from zhengji_kg.kg.graph import Evidence, KnowledgeGraph
from zhengji_kg.kg.rdf import PREDICATE, PREFIXES, document_triples, merge_triples
from zhengji_kg.kg.turtle import document_turtle, merged_turtle, serialize_turtle, turtle_header, weight_turtle


def test_written_weights_equal_oxigraph_terms(demo_kg, seeds_kg) -> None:
    """``weight_turtle`` formats the co-occurrence weights directly (counting a co-occurrence's distinct
    evidence IRIs for its weight); they are the triples ``merge_triples`` makes (counting its distinct
    sentences), byte for byte as Oxigraph writes them."""

    weight = f"{PREFIXES['zj']}weight"
    for kg in (demo_kg, seeds_kg):
        expected = [t for t in merge_triples(kg) if t.predicate.value == weight]
        written = weight_turtle(kg)
        assert expected and written == serialize_turtle(expected, header=False)
        assert {q.triple for q in ox.parse(turtle_header() + written, format=ox.RdfFormat.TURTLE)} == set(expected)
        assert len({t.object.value for t in expected}) > 1  # weights differ: the count is tested
    assert {t for t in merge_triples(demo_kg, weights=False) if t.predicate.value == weight} == set()


def _same_turtle(doc) -> None:

    triples = list(document_triples(doc))
    assert document_turtle(doc) == (serialize_turtle(triples, header=False), len(triples))


def test_document_turtle_is_oxigraphs(demo_kg, seeds_kg) -> None:
    """A document's part of the file is written without Oxigraph's serialiser, for speed: byte for byte
    it must be what Oxigraph writes for the same triples, on every document of the demo and seed corpora."""
    docs = [*demo_kg.documents.values(), *seeds_kg.documents.values()]
    assert sum(bool(d.relations) for d in docs) > 10
    for doc in docs:
        _same_turtle(doc)


def _same_merged_turtle(kg) -> None:

    triples = list(merge_triples(kg, weights=False))
    assert merged_turtle(kg) == (serialize_turtle(triples, header=False), len(triples))


def test_merged_turtle_is_oxigraphs(demo_kg, seeds_kg) -> None:
    """The merged part (sources, entities, relation triples) is written without Oxigraph's serialiser
    too: byte for byte what Oxigraph writes for ``merge_triples``."""
    for kg in (demo_kg, seeds_kg):
        assert kg.sources and kg.relations
        _same_merged_turtle(kg)


_HOSTILE = st.text(
    alphabet=st.sampled_from(list("政绩观\"\\'\n\r\t\x00\x01\x7f\u2028\u00a0 <>{}|^`%#?/:@.-_~é😀𠀀")),
    min_size=1,
    max_size=12,
)


@given(
    doc_id=_HOSTILE,
    keys=st.lists(st.tuples(st.sampled_from(["concept", "mechanism", "place", "organization"]), _HOSTILE), min_size=2),
    sentences=st.lists(_HOSTILE, min_size=1, max_size=4),
    rules=st.lists(_HOSTILE, min_size=1, max_size=3),
    picks=st.lists(
        st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)), max_size=8
    ),
)
def test_document_turtle_is_oxigraphs_on_any_text(doc_id, keys, sentences, rules, picks) -> None:
    """The same on generated documents: labels, sentences, rule ids and file names holding quotes,
    backslashes, control characters, IRI delimiters and characters beyond the BMP — and relations that
    share an evidence node (one relation found by two rules in one sentence)."""

    text, sents = "", []
    for i, s in enumerate(sentences):
        sents.append(Sentence(len(text), len(text) + len(s), s, i))
        text += s + "。"
    doc = Document(id=doc_id, path=doc_id, text=text, original_text=text, sentences=sents)
    preds = sorted(PREDICATE)
    for a, b, c, d in picks:
        sent = sents[a % len(sents)]
        (t1, k1), (t2, k2) = keys[b % len(keys)], keys[c % len(keys)]
        doc.mentions.append(Mention(t1, k1, k1, sent.start, sent.end, rules[d % len(rules)], modality="required"))
        # a date as dating.py gives one (any precision, stated or by the source), or none
        when = ("", "2019", "2019-05", "2019-05-02")[c % 4]
        basis = ("stated", "by-source")[b % 2] if when else ""
        rel = Relation(
            (t1, k1), preds[d % len(preds)], (t2, k2), sent, rules[a % len(rules)], "reported", 0.0, when, basis
        )
        doc.relations.append(rel)
        if d % 3 == 0:  # the same relation in the same sentence by another rule
            doc.relations.append(
                Relation(rel.subject, rel.predicate, rel.object, sent, rules[b % len(rules)], "criticised")
            )
    _same_turtle(doc)


@given(
    names=st.lists(_HOSTILE, min_size=1, max_size=4),
    meta=st.lists(
        st.tuples(
            st.sampled_from(["title", "publisher", "author", "docno", "date", "date_basis", "url", "issuer"]),
            _HOSTILE
            | st.sampled_from(
                [
                    "2024-10-29",
                    "2024-10",
                    "2024",
                    "byline",
                    "https://example.org/a?b=1&c",
                    "https://w3id.org/zhengji-kg/id/x",
                ]
            ),
        ),
        max_size=6,
    ),
    entities=st.lists(
        st.tuples(st.sampled_from(["concept", "mechanism", "place", "organization"]), _HOSTILE, _HOSTILE),
        min_size=1,
        max_size=5,
    ),
    subtypes=st.lists(st.sampled_from(["", "anonymised", "region", "province", "county"]), min_size=1),
    picks=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)), max_size=6),
)
def test_merged_turtle_is_oxigraphs_on_any_text(names, meta, entities, subtypes, picks) -> None:
    """The same on generated graphs: names, titles, labels and URLs holding quotes, backslashes, control
    characters and IRI delimiters; URLs in the contract's own namespace; places of every subtype; a
    subject whose relations follow its own entity statement."""

    kg = KnowledgeGraph(load_rules())
    for i, name in enumerate(names):
        kg.sources[name] = {k: v for k, v in meta[i % max(1, len(meta)) :][:3]} if meta else {}
    for i, (etype, key, alias) in enumerate(entities):
        rec = kg._entity(etype, key)
        rec.labels[key] = 1
        rec.labels[alias] += 0 if alias in rec.labels else 1
        rec.count = i
        rec.subtype = subtypes[i % len(subtypes)] if etype == "place" else ""
        rec.code = str(110000 + i) if i % 2 else ""
    keys = sorted(kg.entities)
    preds = sorted(PREDICATE)
    for a, b, c in picks:
        ev = Evidence(names[a % len(names)], "句", 0, 1, "r", "reported", "", "")
        kg.relations.setdefault((keys[a % len(keys)], preds[c % len(preds)], keys[b % len(keys)]), []).append(ev)
    if keys:  # the last entity as the first subject of a relation: one statement in Oxigraph's file
        kg.relations.setdefault((keys[-1], "relatedTo", keys[0]), [])
    kg.finish()
    _same_merged_turtle(kg)
