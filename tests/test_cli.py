"""The CLI as a user sees it (CliRunner on small fixture folders)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from rdflib import Graph

from zhengji_kg.cli import EXIT_SKIPPED, main


def test_build_summary_and_outputs(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("天津市和平区探索建立干部实绩档案，既看显绩也看潜绩。", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["build", str(src), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert "documents: 1 read, 0 skipped" in res.output
    assert "entities:  concept 2, mechanism 1" in res.output
    assert "graph.html" in res.output
    assert len(Graph().parse(out / "graph.ttl")) > 20
    assert not list(out.glob(".*.tmp"))


def test_bad_file_reported_and_rest_built(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "good.txt").write_text("我县推行干部实绩档案。", encoding="utf-8")
    (src / "bad.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    (src / "empty.md").write_text("", encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(src), "-o", str(tmp_path / "out"), "-q"])
    assert res.exit_code == EXIT_SKIPPED
    assert "skipped bad.txt: binary data" in res.output
    assert "skipped empty.md: empty file" in res.output
    assert "documents: 1 read, 2 skipped" in res.output
    strict = CliRunner().invoke(main, ["build", str(src), "-o", str(tmp_path / "o2"), "-q", "--strict"])
    assert strict.exit_code == 1 and "Error:" in strict.output


def test_validate_and_explain(tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "a.txt").write_text("北京市朝阳区建立干部实绩档案。", encoding="utf-8")
    CliRunner().invoke(main, ["build", str(src), "-o", str(tmp_path / "out"), "-q"])
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "out")])
    assert res.exit_code == 0 and "conforms" in res.output
    res = CliRunner().invoke(main, ["explain", "精准落实“三个区分开来”要求，探索建立容错申报备案机制。"])
    assert res.exit_code == 0
    assert "implements.requirement-then-establish" in res.output
    assert "容错申报备案机制" in res.output and "mechanism.head-suffix" in res.output


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["build", str(tmp_path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and res.output.startswith("Error: no documents (.docx .html")
    bad = tmp_path / "lex.yaml"
    bad.write_text("concepts: [ {label: }\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("我县推行干部实绩档案。", encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(tmp_path), "--lexicon", str(bad), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "lex.yaml" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "nothing-here")])
    assert res.exit_code == 2
