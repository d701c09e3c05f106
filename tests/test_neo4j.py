"""export --to neo4j: import CSV headers, and the Cypher script run for real (Kùzu), twice, with counts
equal to the RDF graph's."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from zhengji_kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Graph]:
    out = tmp_path_factory.mktemp("kg")
    assert CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q"]).exit_code == 0
    res = CliRunner().invoke(main, ["export", "--graph", str(out), "--to", "neo4j"])
    assert res.exit_code == 0, res.output
    return out / "neo4j", Graph().parse(out / "graph.ttl")


def _rdf_counts(g: Graph) -> tuple[int, int]:
    pre = "PREFIX zj: <https://w3id.org/zhengji-kg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
    nodes = len(
        list(
            g.query(
                pre + "SELECT DISTINCT ?e WHERE { VALUES ?c { zj:Concept zj:Mechanism zj:Place "
                "zj:Organization zj:Source } ?e a ?c }"
            )
        )
    )
    rels = len(
        list(
            g.query(
                pre + "SELECT ?s ?p ?o WHERE { VALUES ?p { zj:implements zj:practicedIn "
                "zj:establishedBy zj:contrastsWith zj:partOf skos:broader zj:relatedTo zj:basedIn "
                "zj:mentionedIn } ?s ?p ?o }"
            )
        )
    )
    return nodes, rels


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("//"))
    return [s.strip() for s in text.split(";\n") if s.strip()]


def test_import_csv_headers(exported) -> None:
    folder, g = exported
    nodes, rels = _rdf_counts(g)
    n_rows = r_rows = 0
    for f in sorted(folder.glob("nodes-*.csv")):
        raw = f.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
        rows = list(csv.reader(raw.decode("utf-8").splitlines()))
        assert rows[0][0].startswith("iri:ID(") and rows[0][-1] == ":LABEL"
        n_rows += len(rows) - 1
    for f in ("relationships.csv", "mentions.csv"):
        rows = list(csv.reader((folder / f).read_text(encoding="utf-8").splitlines()))
        assert rows[0][:3] == [rows[0][0], rows[0][1], ":TYPE"] and rows[0][0].startswith(":START_ID(")
        r_rows += len(rows) - 1
    assert (n_rows, r_rows) == (nodes, rels)


def test_cypher_script_runs_on_a_real_engine(exported, tmp_path: Path) -> None:
    kuzu = pytest.importorskip("kuzu", reason="Kùzu (pip install kuzu) runs the Cypher script in this test")
    folder, g = exported
    db = kuzu.Database(str(tmp_path / "db"))
    conn = kuzu.Connection(db)
    for stmt in _statements(folder / "schema.kuzu.cypher"):
        conn.execute(stmt)
    # the Neo4j script as written, less its constraints (Neo4j syntax; Kùzu's keys come from the schema)
    load = [s for s in _statements(folder / "load.cypher") if not s.startswith("CREATE CONSTRAINT")]
    assert load
    for _ in range(2):  # idempotent: a second run changes nothing
        for stmt in load:
            conn.execute(stmt)
    n = conn.execute("MATCH (n) RETURN count(n)").get_next()[0]
    r = conn.execute("MATCH ()-[r]->() RETURN count(r)").get_next()[0]
    assert (n, r) == _rdf_counts(g)
    row = conn.execute(
        "MATCH (m:Mechanism {label: '生态产品价值实现机制'})-[r:PRACTICED_IN]->(p:Place {label: '湖州市安吉县'}) "
        "RETURN m.label, r.weight, r.rules"
    ).get_next()
    assert row[0] == "生态产品价值实现机制" and row[1] >= 1 and row[2] == ["practicedIn.place-sets-up"]
    # when each place took up 容错纠错机制 (itself or a local variant), as the export's README shows: the same
    # first dates as the adoption table
    from zhengji_kg.outputs.diffusion import adoptions_from_file, select

    first = conn.execute(
        "MATCH (m:Mechanism {label: '容错纠错机制'})<-[:BROADER*0..5]-(v:Mechanism)-[r:PRACTICED_IN]->(p:Place) "
        "WHERE r.firstDate <> '' RETURN p.label, min(r.firstDate) ORDER BY p.label"
    )
    rows = []
    while first.has_next():
        rows.append(tuple(first.get_next()))
    table = select(adoptions_from_file(folder.parent / "graph.ttl"), "容错纠错机制")
    assert rows and rows == sorted((a.place, a.date) for a in table if a.date)
