"""Every rule's own examples (ontology/rules.yaml): positives fire, negatives do not. Bad rule files are
reported with file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengji_kg.base.rules import RuleError, load_rules
from zhengji_kg.extract.relate import relation_candidates

RULES = load_rules()
CASES = [
    (r["id"], kind, s)
    for r in RULES.mention_rules + RULES.relation_rules
    for kind in ("positive", "negative")
    for s in r.get(kind) or []
]


def test_every_rule_has_examples() -> None:
    for r in RULES.mention_rules + RULES.relation_rules:
        assert r.get("positive") and r.get("negative"), f"rule {r['id']} needs positive and negative examples"


@pytest.mark.parametrize(
    ("rule_id", "kind", "sentence"), CASES, ids=[f"{r}-{k}-{i}" for i, (r, k, _) in enumerate(CASES)]
)
def test_rule_examples(run, proposing, rule_id: str, kind: str, sentence: str) -> None:
    """A rule fires when it proposes: a mention the rules keep (each candidate, overlaps settled, references
    resolved), or a relation among them."""
    doc = run(sentence)
    props = relation_candidates(doc, proposing)
    fired = [m for m in doc.mentions if m.rule == rule_id] + [p.relation for p in props.values() if rule_id in p.rules]
    if kind == "positive":
        assert fired, f"{rule_id} should fire on: {sentence}"
    else:
        assert not fired, f"{rule_id} should not fire on: {sentence} (got {fired})"


def test_rule_ids_unique_and_stable() -> None:
    ids = [r["id"] for r in RULES.mention_rules + RULES.relation_rules]
    assert len(ids) == len(set(ids))
    assert all("." in i for i in ids)


def test_bad_yaml_reports_line(tmp_path: Path) -> None:
    bad = tmp_path / "lex.yaml"
    bad.write_text("concepts:\n  - label: 显绩\n    aliases: [潜功\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"lex\.yaml:\d+: invalid YAML"):
        load_rules(extra_lexicons=[bad])


def test_bad_regex_reported(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parent.parent / "ontology" / "rules.yaml"
    text = src.read_text(encoding="utf-8").replace("pattern: '年初(?P<a>", "pattern: '年初(?P<a", 1)
    bad = tmp_path / "rules.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match=r"rules\.yaml:\d+: rule mechanism\.phase-slogan: invalid regular expression"):
        load_rules(rules_file=bad)


def test_extra_lexicon_extends(tmp_path: Path, rules) -> None:
    from zhengji_kg import extract_document
    from zhengji_kg.base.model import Document

    extra = tmp_path / "mine.yaml"
    extra.write_text("concepts:\n  - label: 干事创业精气神\n    aliases: [精气神]\n", encoding="utf-8")
    mine = load_rules(extra_lexicons=[extra])
    assert mine.version != rules.version
    t = "要提振干部的精气神。"
    doc = extract_document(Document(id="x", path="x", text=t, original_text=t), mine)
    assert [(m.key, m.rule) for m in doc.mentions] == [("干事创业精气神", "concept.lexicon")]


def test_what_is_derived_from_rules_is_worked_out_once_per_rule_set() -> None:
    """``RuleSet.derived`` keeps what an extractor reads off the rules for every document; a new rule set
    (other rules, or the same ones replaced) works it out again."""
    from dataclasses import replace

    rules = load_rules()
    calls: list[int] = []

    def ids(rs) -> list[str]:
        calls.append(1)
        return [r["id"] for r in rs.mention_rules]

    first = rules.derived("test.ids", ids)
    assert rules.derived("test.ids", ids) is first and len(calls) == 1
    other = replace(rules, mention_rules=rules.mention_rules[:3])
    assert other.derived("test.ids", ids) == first[:3] and len(calls) == 2
