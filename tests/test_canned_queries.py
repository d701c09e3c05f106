"""Every canned query under queries/ runs on rdflib and on Oxigraph with the same answers, and answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main
from zhengji_kg.query import load_store, run_query, run_query_oxigraph

ROOT = Path(__file__).resolve().parent.parent
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out / "graph.ttl"


def test_there_are_canned_queries() -> None:
    assert len(QUERIES) >= 7


@pytest.mark.parametrize("rq", QUERIES, ids=[q.stem for q in QUERIES])
def test_same_answers_on_both_engines(graph_file: Path, rq: Path) -> None:
    from rdflib import Graph

    text = rq.read_text(encoding="utf-8")
    cols_r, rows_r = run_query(Graph().parse(graph_file), text)
    cols_o, rows_o = run_query_oxigraph(load_store(graph_file), text)
    assert cols_r == cols_o
    assert sorted(rows_r) == sorted(rows_o)
    assert rows_r, f"{rq.name} gives no answer on the demo corpus"
    if "ORDER BY" in text and "LIMIT" not in text:
        assert rows_r == rows_o  # a total order gives the same sequence


# The plain formulations of the canned queries that are written in a faster, less obvious form for
# Oxigraph: the fast form must give the same answers (the rewrite is an optimisation, not a new question).
PLAIN = {
    "concept-cooccurrence": """
SELECT ?a ?b ?sentences WHERE {
  { SELECT ?x ?y (COUNT(DISTINCT ?e) AS ?sentences) WHERE {
      ?e rdf:predicate zj:relatedTo ; rdf:subject ?x ; rdf:object ?y .
  } GROUP BY ?x ?y }
  ?x skos:prefLabel ?a . ?y skos:prefLabel ?b .
} ORDER BY DESC(?sentences) ?a ?b LIMIT 20""",
    "condemned": """
SELECT ?term ?type ?modality ?sentences WHERE {
  { SELECT ?x ?modality (COUNT(DISTINCT ?e) AS ?sentences) WHERE {
      VALUES ?modality { "forbidden" "criticised" }
      ?e zj:modality ?modality ; rdf:predicate zj:mentionedIn ; rdf:subject ?x .
    } GROUP BY ?x ?modality }
  ?x skos:prefLabel ?term ; a ?cls .
  VALUES (?cls ?type) { (zj:Concept "concept") (zj:Mechanism "mechanism") }
}""",
    "edge-evidence": """
SELECT ?subject ?relation ?object ?source ?rule ?modality ?sentence WHERE {
  VALUES ?label { "干部实绩档案"@zh }
  VALUES ?p { zj:implements zj:practicedIn zj:establishedBy zj:contrastsWith }
  ?x skos:prefLabel ?label .
  { ?e rdf:subject ?x } UNION { ?e rdf:object ?x }
  ?e rdf:predicate ?p ; rdf:subject ?s ; rdf:object ?o ;
     prov:wasDerivedFrom ?src ; zj:rule ?rule ; zj:modality ?modality ; zj:sentence ?sentence .
  ?s skos:prefLabel ?subject . ?o skos:prefLabel ?object . ?src dcterms:identifier ?source .
  BIND (STRAFTER(STR(?p), "#") AS ?relation)
}""",
    "where-practiced": """
SELECT ?mechanism ?province (COUNT(?p) AS ?places) WHERE {
  ?m zj:practicedIn ?p ; skos:prefLabel ?mechanism .
  FILTER NOT EXISTS { ?p a zj:AnonymisedPlace }
  OPTIONAL { ?p zj:partOf* ?prov . ?prov zj:adminLevel "province" ; skos:prefLabel ?province }
} GROUP BY ?mechanism ?province""",
}


@pytest.fixture(scope="module")
def seed_graph_file(tmp_path_factory) -> Path:
    seeds = ROOT.parent / "shared" / "corpus" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/corpus/seeds is absent (the seed documents are not part of this repository)")
    out = tmp_path_factory.mktemp("seed-kg")
    res = CliRunner().invoke(main, ["build", str(seeds), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out / "graph.ttl"


@pytest.mark.parametrize("name", sorted(PLAIN))
@pytest.mark.parametrize("which", ["demo", "seeds"])
def test_fast_form_answers_as_the_plain_one(name: str, which: str, request) -> None:
    graph = request.getfixturevalue("graph_file" if which == "demo" else "seed_graph_file")
    store = load_store(graph)
    fast_text, plain_text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8"), PLAIN[name]
    if name == "edge-evidence":  # ask about a mechanism this graph has relations of
        _cols, [[label]] = run_query_oxigraph(
            store, "SELECT ?l WHERE { ?m zj:practicedIn ?p ; skos:prefLabel ?l } ORDER BY ?l LIMIT 1"
        )
        fast_text, plain_text = (t.replace('"干部实绩档案"@zh', f'"{label}"@zh') for t in (fast_text, plain_text))
    _cols, fast = run_query_oxigraph(store, fast_text)
    _cols, plain = run_query_oxigraph(store, plain_text)
    assert fast, f"{name} gives no answer on the {which} graph"
    assert sorted(fast) == sorted(plain)
