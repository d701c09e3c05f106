"""The published contract, read back with rdflib: classes, labels, evidence, determinism, SHACL, IRIs."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from zhengji_kg import build
from zhengji_kg.kg.rdf import mint, sorted_ntriples
from zhengji_kg.outputs.validate import validate

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = """PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
PREFIX zjr: <https://w3id.org/zhengji-kg/id/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def q(g: Graph, query: str) -> list:
    return list(g.query(PREFIXES + query))


def test_turtle_round_trip_and_shacl(demo_kg) -> None:
    g = demo_kg.rdf()
    back = Graph().parse(data=g.serialize(format="turtle"), format="turtle")
    assert len(back) == len(g) > 500
    ok, report = validate(back)
    assert ok, report


def test_contract_shapes(demo_kg) -> None:
    g = demo_kg.rdf()
    # every relation triple has an evidence node with sentence, offsets, rule, source
    missing = q(
        g,
        """SELECT ?s ?p ?o WHERE {
        VALUES ?p { zj:implements zj:practicedIn zj:establishedBy zj:contrastsWith zj:partOf skos:broader zj:relatedTo }
        ?s ?p ?o . FILTER NOT EXISTS { ?e a zj:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
        zj:sentence ?t ; zj:charStart ?a ; zj:charEnd ?b ; zj:rule ?r ; prov:wasDerivedFrom ?src } }""",
    )
    assert missing == []
    # the evidence offsets point at the sentence in the document's text
    docs = demo_kg.documents
    for row in q(
        g,
        """SELECT ?id ?t ?a ?b WHERE { ?e a zj:Evidence ; zj:sentence ?t ; zj:charStart ?a ;
                         zj:charEnd ?b ; prov:wasDerivedFrom ?s . ?s dcterms:identifier ?id }""",
    ):
        doc = docs[str(row.id)]
        assert doc.text[int(row.a) : int(row.b)] == str(row.t)
    # labels: one prefLabel@zh, rdfs:label equal
    bad = q(
        g,
        """SELECT ?e WHERE { ?e a ?c . VALUES ?c { zj:Concept zj:Mechanism zj:Place zj:Organization }
                   ?e skos:prefLabel ?l ; rdfs:label ?r . FILTER (?l != ?r || lang(?l) != "zh") }""",
    )
    assert bad == []


def test_demo_graph_answers_analyst_questions(demo_kg) -> None:
    g = demo_kg.rdf()
    rows = q(g, """SELECT ?m WHERE { ?m zj:practicedIn ?p . ?p skos:prefLabel "天津市和平区"@zh }""")
    assert len(rows) >= 3
    rows = q(g, """SELECT ?a ?b WHERE { ?a zj:contrastsWith ?b }""")
    assert rows
    rows = q(g, """SELECT ?p WHERE { <https://w3id.org/zhengji-kg/id/place/天津市和平区> zj:partOf ?p }""")
    assert [str(r.p) for r in rows] == ["https://w3id.org/zhengji-kg/id/place/天津市"]
    rows = q(g, """SELECT ?s WHERE { ?s a zj:Source ; dcterms:date ?d ; dcterms:title ?t }""")
    assert len(rows) >= 3


def test_deterministic_in_any_file_order(tmp_path: Path, rules, demo_kg) -> None:
    files = sorted((ROOT / "corpus").iterdir())
    random.Random(7).shuffle(files)
    copy = tmp_path / "corpus"
    copy.mkdir()
    for f in files:  # created in a different order
        (copy / f.name).write_bytes(f.read_bytes())
    again = build([copy], rules)
    assert sorted_ntriples(again.rdf()) == sorted_ntriples(demo_kg.rdf())


@given(st.text(min_size=1, max_size=40))
def test_mint_valid_and_stable(label: str) -> None:
    iri = mint("concept", label)
    assert iri == mint("concept", label)
    g = Graph()
    g.add((iri, URIRef("https://w3id.org/zhengji-kg/ontology#p"), iri))
    back = Graph().parse(data=g.serialize(format="nt11"), format="nt")
    assert len(back) == 1 and next(iter(back))[0] == iri


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_mint_injective(a: str, b: str) -> None:
    if a != b:
        assert mint("concept", a) != mint("concept", b)


def test_mentions_carry_sentence_and_modality(demo_kg) -> None:
    g = demo_kg.rdf()
    rows = q(
        g,
        """SELECT ?m ?t WHERE { ?e rdf:subject ?x ; rdf:predicate zj:mentionedIn ; zj:modality ?m ;
                   zj:sentence ?t . ?x skos:prefLabel "形象工程"@zh }""",
    )
    assert [str(r.m) for r in rows] == ["forbidden"] and "不搞形象工程" in str(rows[0].t)


def test_networkx_view_of_the_api(demo_kg) -> None:
    g = demo_kg.networkx()
    assert g.number_of_nodes() == len(demo_kg.entities)
    rels = {d["relation"] for _, _, d in g.edges(data=True)}
    assert {"implements", "practicedIn", "contrastsWith", "partOf"} <= rels
    hp = "https://w3id.org/zhengji-kg/id/place/天津市和平区"
    assert g.nodes[hp]["type"] == "place" and g.nodes[hp]["code"] == "120101"


@given(st.text(max_size=12) | st.text(alphabet=st.sampled_from(list("政绩观㐀abc09-._~:/% 　")), max_size=12))
def test_mint_fast_path_is_the_encoding(label: str) -> None:
    """Segments ``mint`` leaves as they are, without looking at each character, are those
    ``encode_segment`` would leave as they are."""
    from zhengji_kg.base.iri import encode_segment
    from zhengji_kg.kg.rdf import ZJR

    assert str(mint("concept", label)) == f"{ZJR}concept/{encode_segment(label)}"
