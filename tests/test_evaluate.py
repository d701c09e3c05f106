"""Scoring by the gold guidelines: aliases match, optional items count neither way, contrasts either way."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from zhengji_kg import build
from zhengji_kg.cli import main
from zhengji_kg.outputs.evaluate import evaluate


def test_scoring_rules(tmp_path: Path, rules) -> None:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    docs.mkdir()
    gold.mkdir()
    (docs / "d1.txt").write_text("天津市和平区既看显绩也看潜绩，推行干部实绩档案，坚持“四下基层”。", encoding="utf-8")
    (gold / "d1.yaml").write_text(
        "doc: d1.txt\n"
        "concepts:\n  - {label: 潜绩, aliases: []}\n  - {label: 显绩}\n  - {label: 人民至上}\n"
        "concepts_optional:\n  - {label: 四下基层}\n"
        "mechanisms:\n  - {label: 实绩档案, aliases: [干部实绩档案]}\n"
        "places:\n  - {label: 天津市和平区, aliases: [和平区]}\n"
        "places_optional:\n  - {label: 天津市}\n"
        "relations:\n  - [潜绩, contrastsWith, 显绩]\n  - [干部实绩档案, practicedIn, 和平区]\n",
        encoding="utf-8",
    )
    s = evaluate(build([docs], rules), gold)
    assert (s["concept"].tp, s["concept"].fp, s["concept"].fn) == (2, 0, 1)
    assert s["concept"].misses == ["d1: 人民至上"]
    assert (s["mechanism"].tp, s["mechanism"].fp) == (1, 0)
    assert (s["place"].tp, s["place"].fp, s["place"].fn) == (1, 0, 0)
    assert (s["relation"].tp, s["relation"].fp, s["relation"].fn) == (2, 0, 0)
    res = CliRunner().invoke(main, ["evaluate", str(docs), "--gold", str(gold)])
    assert res.exit_code == 0 and "concept misses (1):" in res.output and "人民至上" in res.output
