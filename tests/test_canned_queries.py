"""Every canned query runs on rdflib and on Oxigraph with the same answers, and answers; the queries are
read as the installed package reads them (package data), and reached by name from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main
from zhengji_kg.outputs.query import CannedQuery, canned_queries, load_store, run_query, run_query_oxigraph

ROOT = Path(__file__).resolve().parent.parent
QUERIES = canned_queries()


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out / "graph.ttl"


def test_there_are_canned_queries() -> None:
    assert len(QUERIES) >= 7


def test_the_package_reads_the_repositorys_queries_folder() -> None:
    """The package data is the top-level queries/ folder itself (a link in the checkout), not a copy."""
    on_disk = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "queries").glob("*.rq")}
    assert {q.name: q.text for q in QUERIES} == on_disk


@pytest.mark.parametrize("q", QUERIES, ids=[q.name for q in QUERIES])
def test_each_states_its_purpose_in_one_line(q: CannedQuery) -> None:
    assert q.purpose[:1].isupper() and q.purpose.endswith("."), q.purpose
    assert len(q.purpose) <= 110 and "\n" not in q.purpose


@pytest.mark.parametrize("rq", QUERIES, ids=[q.name for q in QUERIES])
def test_same_answers_on_both_engines(graph_file: Path, rq: CannedQuery) -> None:
    from rdflib import Graph

    text = rq.text
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
    # the winner's evidence found by joining all of the evidence again, its fields read from the graph
    "adoptions": """
SELECT ?mechanism ?place ?year ?date ?precision ?basis ?code ?level (MIN(?provinceLabel) AS ?province)
       ?source ?sentence ?variant
WHERE {
  {
    SELECT ?arr ?p (MIN(?k) AS ?first) WHERE {
      ?e rdf:predicate zj:practicedIn ; rdf:subject ?m ; rdf:object ?p ; prov:wasDerivedFrom ?src ;
         zj:charStart ?start .
      FILTER NOT EXISTS { ?p a zj:AnonymisedPlace }
      ?m skos:broader* ?arr ; skos:prefLabel ?ml . ?arr a zj:Mechanism .
      ?src dcterms:identifier ?sid .
      OPTIONAL { ?e zj:eventDate ?d }
      OPTIONAL { ?e zj:dateBasis ?b }
      BIND (CONCAT(COALESCE(STR(?d), "~"), "\\t", IF(COALESCE(?b, "") = "stated", "0", "1"), "\\t", ?sid, "\\t",
                   SUBSTR(CONCAT("0000000000", STR(?start)), STRLEN(STR(?start)) + 1), "\\t",
                   IF(?m = ?arr, "", STR(?ml))) AS ?k)
    } GROUP BY ?arr ?p
  }
  ?e rdf:predicate zj:practicedIn ; rdf:subject ?m ; rdf:object ?p ; prov:wasDerivedFrom ?src ;
     zj:charStart ?start ; zj:sentence ?sentence .
  ?m skos:broader* ?arr ; skos:prefLabel ?ml .
  ?src dcterms:identifier ?source .
  ?arr skos:prefLabel ?mechanism . ?p skos:prefLabel ?place .
  OPTIONAL { ?e zj:eventDate ?date }
  OPTIONAL { ?e zj:dateBasis ?basis }
  BIND (IF(?m = ?arr, "", STR(?ml)) AS ?variant)
  FILTER (CONCAT(COALESCE(STR(?date), "~"), "\\t", IF(COALESCE(?basis, "") = "stated", "0", "1"), "\\t", ?source, "\\t",
                 SUBSTR(CONCAT("0000000000", STR(?start)), STRLEN(STR(?start)) + 1), "\\t", ?variant) = ?first)
  OPTIONAL { ?p zj:adminCode ?code }
  OPTIONAL { ?p zj:adminLevel ?level }
  OPTIONAL { ?p zj:partOf* ?prov . ?prov zj:adminLevel "province" ; skos:prefLabel ?provinceLabel }
  BIND (IF(BOUND(?date), xsd:integer(SUBSTR(STR(?date), 1, 4)), ?nothing) AS ?year)
  BIND (IF(BOUND(?date), IF(STRLEN(STR(?date)) = 4, "year", IF(STRLEN(STR(?date)) = 7, "month", "day")), ?nothing)
        AS ?precision)
}
GROUP BY ?mechanism ?place ?year ?date ?precision ?basis ?code ?level ?source ?sentence ?variant
ORDER BY ?mechanism COALESCE(STR(?date), "~") ?place""",
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
    fast_text, plain_text = next(q.text for q in QUERIES if q.name == name), PLAIN[name]
    if name == "edge-evidence":  # ask about a mechanism this graph has relations of
        _cols, [[label]] = run_query_oxigraph(
            store, "SELECT ?l WHERE { ?m zj:practicedIn ?p ; skos:prefLabel ?l } ORDER BY ?l LIMIT 1"
        )
        fast_text, plain_text = (t.replace('"干部实绩档案"@zh', f'"{label}"@zh') for t in (fast_text, plain_text))
    _cols, fast = run_query_oxigraph(store, fast_text)
    _cols, plain = run_query_oxigraph(store, plain_text)
    assert fast, f"{name} gives no answer on the {which} graph"
    assert sorted(fast) == sorted(plain)


def test_list_names_each_with_its_purpose(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no checkout, no build: --list needs neither
    res = CliRunner().invoke(main, ["query", "--list", "--format", "tsv"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "name\tpurpose"
    assert lines[1:] == [f"{q.name}\t{q.purpose}" for q in QUERIES]


def test_a_canned_query_runs_by_name_from_anywhere(graph_file: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    def run(query: str) -> str:
        res = CliRunner().invoke(main, ["query", query, "--graph", str(graph_file), "--format", "csv"])
        assert res.exit_code == 0, res.output
        return res.output

    by_name = run("where-practiced")
    assert by_name.startswith("mechanism,province,places\n") and by_name.count("\n") > 3
    assert run("where-practiced.rq") == by_name
    own = tmp_path / "mine.rq"
    own.write_text(next(q.text for q in QUERIES if q.name == "where-practiced"), encoding="utf-8")
    assert run(str(own)) == by_name


def test_show_prints_the_text_to_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["query", "place-adopted", "--show"])
    assert res.exit_code == 0, res.output
    assert res.output == next(q.text for q in QUERIES if q.name == "place-adopted").rstrip("\n") + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["where-practise"], "no canned query named 'where-practise'; did you mean where-practiced?"),
        (["nothing-like-it"], "zhengji-kg query --list names them all"),
        (["queries/where-practiced.rq"], "no such query file: queries/where-practiced.rq; the canned query of"),
        (["elsewhere/mine.rq"], "no such query file: elsewhere/mine.rq\n"),
        (["where-practiced"], "output/graph.ttl not found; run zhengji-kg build first"),
        ([], "give a QUERY"),
        (["where-practiced", "--list"], "--list takes no QUERY"),
    ],
)
def test_clear_errors(args: list[str], message: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["query", *args])
    assert res.exit_code in (1, 2)
    assert message in res.output
