"""The scored decision (issue 28): weights as checked data, ``train`` deterministic and round-tripping,
``evaluate --folds`` cross-validated, ``explain`` showing the features that decided."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from zhengji_kg import build
from zhengji_kg.base.rules import RuleError, load_rules
from zhengji_kg.base.weights import Weights, WeightsError, dump_weights, load_weights, parse_weights
from zhengji_kg.cli import main
from zhengji_kg.outputs.learn import TrainError, cross_validate, fit, folds, load_samples

from .conftest import ROOT, SHARED

pytest.importorskip("sklearn", reason="scikit-learn (the `train` extra) is not installed")

# a small corpus of our own, with its gold: reports of places setting arrangements up, and speeches
DOCS = {
    "a1": "安吉县推行干部实绩档案\n安吉县今年推行干部实绩档案，把干部在重点项目中的表现逐项记入。"
    "县委组织部牵头建立容错纠错机制，落实“三个区分开来”要求。考核既看显绩，也看潜绩。",
    "a2": "德清县建立村级事务准入清单\n德清县探索建立村级事务准入清单，为基层减负。"
    "县里还推出了“码上办”平台，群众说方便。",
    "a3": "在干部大会上的讲话\n同志们，要树立正确政绩观，不搞形象工程。"
    "各地要健全干部考核评价机制，以科学考核匡正政绩观。",
    "a4": "湖州市出台容错免责办法\n湖州市委组织部出台《湖州市容错免责办法》，明确容错情形。"
    "该办法落实“三个区分开来”，激励干部担当作为。",
    "a5": "长兴县推行一线考察\n长兴县推行“一线考察”干部工作法，在重大项目一线识别干部。"
    "县委组织部建立干部实绩档案，按季度更新。",
    "a6": "评论：政绩观的两本账\n既要看显绩，也要看潜绩；既要比速度，也要比质量。"
    "有的干部热衷于搞形象工程，这是政绩观偏差。",
}
GOLD = {
    "a1": {
        "concepts": ["三个区分开来", "显绩", "潜绩"],
        "mechanisms": ["干部实绩档案", "容错纠错机制"],
        "places": [{"label": "湖州市安吉县", "aliases": ["安吉县"]}],
        "organizations": ["县委组织部"],
        "relations": [
            ["干部实绩档案", "practicedIn", "湖州市安吉县"],
            ["容错纠错机制", "establishedBy", "县委组织部"],
            ["容错纠错机制", "implements", "三个区分开来"],
            ["显绩", "contrastsWith", "潜绩"],
        ],
    },
    "a2": {
        "concepts": ["为基层减负"],
        "mechanisms": ["村级事务准入清单", "码上办"],
        "places": [{"label": "湖州市德清县", "aliases": ["德清县"]}],
        "relations": [["村级事务准入清单", "practicedIn", "湖州市德清县"], ["码上办", "practicedIn", "湖州市德清县"]],
    },
    "a3": {
        "concepts": ["正确政绩观", "形象工程", "政绩观"],
        "mechanisms": ["干部考核评价机制"],
        "relations": [["干部考核评价机制", "implements", "政绩观"]],
    },
    "a4": {
        "concepts": ["三个区分开来", "担当作为"],
        "mechanisms": ["湖州市容错免责办法"],
        "places": ["湖州市"],
        "organizations": [{"label": "中共湖州市委组织部", "aliases": ["湖州市委组织部"]}],
        "relations": [
            ["湖州市容错免责办法", "establishedBy", "中共湖州市委组织部"],
            ["湖州市容错免责办法", "practicedIn", "湖州市"],
            ["湖州市容错免责办法", "implements", "三个区分开来"],
        ],
    },
    "a5": {
        "mechanisms": ["一线考察干部工作法", "干部实绩档案"],
        "places": [{"label": "湖州市长兴县", "aliases": ["长兴县"]}],
        "organizations": ["县委组织部"],
        "relations": [
            ["一线考察干部工作法", "practicedIn", "湖州市长兴县"],
            ["干部实绩档案", "establishedBy", "县委组织部"],
        ],
    },
    "a6": {
        "concepts": ["显绩", "潜绩", "形象工程", "政绩观偏差"],
        "relations": [["显绩", "contrastsWith", "潜绩"]],
    },
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("learn")
    docs, gold = root / "docs", root / "gold"
    docs.mkdir()
    gold.mkdir()
    for name, text in DOCS.items():
        (docs / f"{name}.txt").write_text(text, encoding="utf-8")
        (gold / f"{name}.yaml").write_text(
            yaml.safe_dump({"doc": f"{name}.txt", **GOLD[name]}, allow_unicode=True), encoding="utf-8"
        )
    return docs, gold


def test_train_is_deterministic_and_its_weights_round_trip(corpus, tmp_path: Path) -> None:
    docs, gold = corpus
    runner = CliRunner()
    outs = []
    for i in range(2):
        out = tmp_path / f"w{i}.yaml"
        result = runner.invoke(main, ["train", str(docs), "--gold", str(gold), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "from 6 documents with gold" in result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]  # the same gold, the same weights, byte for byte
    w = load_weights(tmp_path / "w0.yaml")
    assert w.mention and w.relation and w.fitted["documents"] == 6
    assert dump_weights(w).encode() == outs[0]  # read back and written again: the same file
    # a build with the written weights decides as the weights fitted in memory do
    rules = load_rules()
    fitted = fit(load_samples([docs], gold, rules), rules)
    assert dump_weights(fitted).encode() == outs[0]
    with_file = build([docs], load_rules(weights_file=tmp_path / "w0.yaml"))
    from dataclasses import replace

    in_memory = build([docs], replace(rules, weights=fitted))
    for doc_id, doc in with_file.documents.items():
        other = in_memory.documents[doc_id]
        assert [(m.type, m.key, m.score) for m in doc.mentions] == [(m.type, m.key, m.score) for m in other.mentions]
        assert [(r.subject, r.predicate, r.object, r.score) for r in doc.relations] == [
            (r.subject, r.predicate, r.object, r.score) for r in other.relations
        ]


def test_trained_weights_change_what_is_kept(corpus, tmp_path: Path) -> None:
    """Weights are what decides: a model that rejects every mention leaves no entity, and a build's cache
    does not serve the extraction of other weights."""
    docs, _gold = corpus
    reject = tmp_path / "reject.yaml"
    reject.write_text(dump_weights(Weights(mention={"bias": -5.0}, relation={"bias": -5.0})), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(docs), "-o", str(out), "-q", "-j", "1"])
    assert first.exit_code == 0, first.output
    assert "concept" in first.output
    second = runner.invoke(main, ["build", str(docs), "-o", str(out), "-q", "-j", "1", "--weights", str(reject)])
    assert second.exit_code == 0, second.output
    assert "extracted: 6 (cache: 0 unchanged)" in second.output
    assert "entities:  none" in second.output or "concept" not in second.output.split("entities:")[1].split("\n")[0]


def test_cross_validation_scores_each_fold_with_weights_fitted_on_the_others(corpus) -> None:
    docs, gold = corpus
    rules = load_rules()
    samples = load_samples([docs], gold, rules)
    parts = folds(samples, 3)
    assert [[s.doc.id for s in p] for p in parts] == [["a1", "a4"], ["a2", "a5"], ["a3", "a6"]]
    scores = cross_validate(samples, rules, gold, 3)
    # every gold item of every document is counted once: as found in its fold, or missed
    total = sum(len(GOLD[d].get("concepts", [])) for d in DOCS)
    assert scores["concept"].tp + scores["concept"].fn == total
    result = CliRunner().invoke(main, ["evaluate", str(docs), "--gold", str(gold), "--folds", "3", "--no-details"])
    assert result.exit_code == 0, result.output
    assert "cross-validated: 3 folds of 6 documents with gold" in result.output
    with pytest.raises(TrainError, match="more than the 6 documents"):
        folds(samples, 7)


def test_train_needs_gold_that_matches_the_corpus(corpus, tmp_path: Path) -> None:
    docs, _gold = corpus
    other = tmp_path / "gold"
    other.mkdir()
    (other / "zz.yaml").write_text("doc: zz.txt\nconcepts: [显绩]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", str(docs), "--gold", str(other), "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 1
    assert "no document of the corpus has a gold file" in result.output
    assert not (tmp_path / "w.yaml").exists()


def test_train_without_scikit_learn_says_how_to_get_it(corpus, tmp_path: Path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    docs, gold = corpus
    result = CliRunner().invoke(main, ["train", str(docs), "--gold", str(gold), "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 1
    assert "zhengji-kg[train]" in result.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("- 1\n- 2\n", "a weights file is a mapping"),
        ("format: 2\nmention: {}\n", "'format' must be 1"),
        ("format: 1\nmentions: {}\n", "unknown key 'mentions'"),
        ("format: 1\nmention: {bias: high}\n", "feature 'bias' has weight 'high'"),
        ("format: 1\nmention: {bias: .nan}\n", "feature 'bias' has weight nan"),
        ("format: 1\nrelation: [1, 2]\n", "'relation' must map feature names to numbers"),
        ("format: 1\ncuts: {mentions: 0}\n", "'cuts' maps mention and relation"),
        ("format: 1\nmention: {bias: [1\n", "invalid YAML"),
    ],
)
def test_a_bad_weights_file_is_refused_with_its_problem(tmp_path: Path, content: str, problem: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(WeightsError, match=problem):
        load_weights(bad)
    with pytest.raises(RuleError, match=problem):
        load_rules(weights_file=bad)
    result = CliRunner().invoke(main, ["explain", "--weights", str(bad), "县里建立了干部实绩档案。"])
    assert result.exit_code == 1
    assert f"{bad}: " in result.output and problem.split("'")[0] in result.output


def test_scores_are_the_sum_of_the_weights() -> None:
    w = parse_weights({"format": 1, "mention": {"bias": -1.0, "r=x": 2.5, "t=concept": 0.25}, "cuts": {"mention": 1}})
    assert math.isclose(w.score("mention", ("r=x", "t=concept", "unknown")), 1.75)
    assert w.keeps("mention", 1.75) and not w.keeps("mention", 0.5)
    assert w.contributions("mention", ("r=x", "t=concept"))[:2] == [("r=x", 2.5), ("bias", -1.0)]
    assert Weights().score("relation", ("anything",)) == 0.0  # no weights: every candidate kept


def test_explain_shows_scores_and_the_features_that_decided() -> None:
    result = CliRunner().invoke(main, ["explain", "--all", "区里每季度举办一期“擂台赛”，县委组织部建立干部实绩档案。"])
    assert result.exit_code == 0, result.output
    assert re.search(r"干部实绩档案  \[22:28\]  mechanism\.lexicon  score \+\d+\.\d\d", result.output)
    assert re.search(r"\n      \S+ [+-]\d+\.\d\d · ", result.output)  # the features, with their weights
    assert "bias " in result.output
    assert "✗ " in result.output and ("(rejected" in result.output or "(lost to" in result.output)
    quiet = CliRunner().invoke(main, ["explain", "--features", "0", "县委组织部建立干部实绩档案。"])
    assert "bias" not in quiet.output and "干部实绩档案" in quiet.output


def test_the_shipped_weights_are_what_train_fits_on_the_shared_gold(tmp_path: Path) -> None:
    """ontology/weights.yaml is reproducible: `train` on all shared gold (seeds and web) writes it again."""
    corpus, gold = SHARED / "corpus", SHARED / "gold"
    if not corpus.is_dir() or not gold.is_dir():
        pytest.skip("../shared/corpus or ../shared/gold is absent (shared/ beside the repo)")
    out = tmp_path / "w.yaml"
    result = CliRunner().invoke(main, ["train", str(corpus), "--gold", str(gold), "-o", str(out)])
    assert result.exit_code == 0, result.output
    shipped = (ROOT / "ontology" / "weights.yaml").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == shipped, "ontology/weights.yaml is stale: run the train command again"


def test_explain_file_of_no_document_format_says_so(tmp_path: Path) -> None:
    meta = tmp_path / "a.meta.yaml"
    meta.write_text("title: 一篇\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["explain", "--file", str(meta)])
    assert result.exit_code == 1
    assert "is not a format zhengji-kg reads" in result.output and "Traceback" not in result.output
