"""query and suggest as a user runs them; the smaller capabilities of issue-level features."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from zhengji_kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _built(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def test_query_formats_and_errors(tmp_path: Path) -> None:
    out = _built(tmp_path)
    q = "SELECT ?a ?b WHERE { ?x zj:contrastsWith ?y . ?x skos:prefLabel ?a . ?y skos:prefLabel ?b } ORDER BY ?a"
    res = CliRunner().invoke(main, ["query", q, "--graph", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {"a": "显绩", "b": "潜绩"} in json.loads(res.output)
    res = CliRunner().invoke(main, ["query", q, "--graph", str(out), "--format", "csv"])
    assert res.output.splitlines()[0] == "a,b"
    rq = tmp_path / "ask.rq"
    rq.write_text('ASK { ?p skos:prefLabel "天津市和平区"@zh ; zj:adminCode "120101" }', encoding="utf-8")
    res = CliRunner().invoke(main, ["query", str(rq), "--graph", str(out / "graph.ttl")])
    assert res.output.split()[-1] == "true"
    res = CliRunner().invoke(main, ["query", "SELECT ?x WHERE { ?x zj:foo }", "--graph", str(out)])
    assert res.exit_code == 1 and "line 1, column" in res.output


def test_suggest_lists_uncovered_terms(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["suggest", str(ROOT / "corpus"), "--min-count", "1", "--format", "csv"])
    assert res.exit_code == 0, res.output
    terms = {line.split(",")[0] for line in res.output.splitlines()[1:]}
    assert "短平快" in terms
    assert "显绩" not in terms and "定盘星" not in terms  # covered by the lexicon / a metaphor


def test_strict_stops_at_first_bad_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00\xff" * 100)
    (tmp_path / "b.txt").write_text("我县推行干部实绩档案。", encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(tmp_path), "-o", str(tmp_path / "o"), "-q", "--strict"])
    assert res.exit_code == 1 and "a.txt" in res.output and not (tmp_path / "o" / "graph.ttl").exists()


def test_deictic_alias_docno_based_in(tmp_path: Path, rules) -> None:
    from zhengji_kg import build

    (tmp_path / "n.txt").write_text(
        "关于印发《关于激励干部担当作为的若干措施》的通知\n秦发〔2024〕12号\n"
        "中共甘肃省天水市秦州区委印发《关于激励干部担当作为的若干措施》（以下简称《措施》）。\n"
        "我区将按照《措施》推行干部实绩档案。",
        encoding="utf-8",
    )
    (tmp_path / "n.meta.yaml").write_text("place: 秦州区\n", encoding="utf-8")
    (tmp_path / "notice.txt").write_text(
        "关于做好年度考核工作的通知\n各单位要推行干部实绩档案。\n中共甘肃省天水市秦州区委\n2024年9月2日",
        encoding="utf-8",
    )
    kg = build([tmp_path], rules)
    assert kg.sources["n"]["docno"] == "秦发〔2024〕12号"
    assert kg.sources["notice"]["issuer"] == "中共甘肃省天水市秦州区委"
    doc = kg.documents["n"]
    assert any(m.surface == "措施" and m.key == "关于激励干部担当作为的若干措施" for m in doc.mentions)
    assert any(m.surface == "我区" and m.key == "天水市秦州区" for m in doc.mentions)
    rel = {(s[1], p, o[1]) for s, p, o in kg.relations}
    assert ("干部实绩档案", "practicedIn", "天水市秦州区") in rel
    assert ("中共甘肃省天水市秦州区委", "basedIn", "天水市秦州区") in rel
    assert ("关于激励干部担当作为的若干措施", "establishedBy", "中共甘肃省天水市秦州区委") in rel


def test_an_unbound_variable_keeps_its_column(tmp_path: Path) -> None:
    """Rows are read from each solution in the order of its variables: an unbound one is "" in its own
    column, on both engines."""
    from rdflib import Graph

    from zhengji_kg.outputs.query import load_store, run_query, run_query_oxigraph

    ttl = tmp_path / "g.ttl"
    ttl.write_text(
        "@prefix zj: <https://w3id.org/zhengji-kg/ontology#> .\n"
        '<https://x/a> zj:p "1" . <https://x/b> zj:p "2" ; zj:q "q" .\n',
        encoding="utf-8",
    )
    text = "SELECT ?s ?missing ?o WHERE { ?s zj:p ?o OPTIONAL { ?s zj:q ?missing } } ORDER BY ?o"
    expected = (["s", "missing", "o"], [["https://x/a", "", "1"], ["https://x/b", "q", "2"]])
    assert run_query_oxigraph(load_store(ttl), text) == expected
    assert run_query(Graph().parse(ttl), text) == expected
