"""`zhengji-kg evaluate` on the development sets of real documents (../shared): the seeds, the web excerpts
w001–w026 (issue 18's lines: a build that falls below any of them fails here, with what it missed), the
excerpts shared later, w027 on, and — the figure the team climbs on since issue 28 — the score cross-validated
over all shared gold (5 folds: weights fitted on four fifths of the documents decide the fifth). The lines of
w027 on and of the cross-validation are floors just under what 0.6.1 scores, so that no change makes them
worse; issue 28's targets for the cross-validated figure are 0.90 / 0.85 / 0.90 / 0.85 / 0.75."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main

from .conftest import SHARED

LINES = {
    "seeds": {"concept": 0.90, "mechanism": 0.90, "place": 0.90, "organization": 0.90, "relation": 0.90},
    "web": {"concept": 0.95, "mechanism": 0.85, "place": 0.90, "organization": 0.85, "relation": 0.75},
    # 0.3.9 scored 0.78 / 0.57 / 0.83 / 0.71 / 0.33 here (blind: docs/quality.md); the weights of 0.4.0 are
    # fitted on these documents too, so this is no longer a blind figure — the cross-validated one is
    # (0.6.1 scores 0.92 / 0.89 / 0.94 / 0.88 / 0.78 here)
    "web-new": {"concept": 0.90, "mechanism": 0.85, "place": 0.91, "organization": 0.86, "relation": 0.75},
    # all 66 excerpts: issue 28's plain targets (0.6.1 prints 0.95 / 0.91 / 0.96 / 0.91 / 0.83)
    "web-all": {"concept": 0.95, "mechanism": 0.90, "place": 0.95, "organization": 0.90, "relation": 0.80},
}
# 0.6.1 scores 0.95 / 0.89 / 0.96 / 0.91 / 0.79 cross-validated over the 71 documents of seeds and web
CROSS_VALIDATED = {"concept": 0.93, "mechanism": 0.87, "place": 0.93, "organization": 0.89, "relation": 0.77}
# which documents of ../shared/corpus/web each line is for (by the number in w001 …)
PARTS = {"web": range(1, 27), "web-new": range(27, 10_000)}
ROW = re.compile(r"^(concept|mechanism|place|organization|relation)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s", re.M)


@pytest.mark.parametrize("corpus", sorted(LINES))
def test_evaluate_meets_the_lines(corpus: str, tmp_path: Path) -> None:
    folder = corpus.split("-")[0]
    docs, gold = SHARED / "corpus" / folder, SHARED / "gold" / folder
    if not docs.is_dir() or not gold.is_dir():
        pytest.skip(f"../shared/corpus/{folder} or ../shared/gold/{folder} is absent (shared/ beside the repo)")
    if corpus in PARTS:
        docs, gold = _part(docs, gold, PARTS[corpus], tmp_path)
    result = CliRunner().invoke(main, ["evaluate", str(docs), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    f1 = {t: float(f) for t, _p, _r, f in ROW.findall(result.output)}
    assert set(f1) == set(LINES[corpus]), result.output
    below = {t: (f1[t], line) for t, line in LINES[corpus].items() if f1[t] < line}
    assert not below, f"{corpus}: F1 below the line for {below}\n{result.output}"


def _part(docs: Path, gold: Path, numbers: range, tmp_path: Path) -> tuple[Path, Path]:
    """Folders of links to the documents (and their gold) whose number is in ``numbers``."""
    part_docs, part_gold = tmp_path / "docs", tmp_path / "gold"
    part_docs.mkdir()
    part_gold.mkdir()
    for f in sorted(docs.iterdir()):
        m = re.fullmatch(r"w(\d+)", f.stem)
        if m and int(m.group(1)) in numbers and (gold / f"{f.stem}.yaml").is_file():
            (part_docs / f.name).symlink_to(f)
            (part_gold / f"{f.stem}.yaml").symlink_to(gold / f"{f.stem}.yaml")
    if not any(part_gold.iterdir()):
        pytest.skip(f"no documents of {docs} numbered {numbers.start}–{numbers.stop - 1}")
    return part_docs, part_gold


def test_cross_validated_score_over_all_shared_gold_meets_the_lines() -> None:
    """Issue 28's figure: `evaluate ../shared/corpus --gold ../shared/gold --folds 5`."""
    pytest.importorskip("sklearn", reason="scikit-learn (the `train` extra) is not installed")
    docs, gold = SHARED / "corpus", SHARED / "gold"
    if not docs.is_dir() or not gold.is_dir():
        pytest.skip("../shared/corpus or ../shared/gold is absent (shared/ beside the repo)")
    result = CliRunner().invoke(main, ["evaluate", str(docs), "--gold", str(gold), "--folds", "5", "--no-details"])
    assert result.exit_code == 0, result.output
    assert "cross-validated: 5 folds of" in result.output
    f1 = {t: float(f) for t, _p, _r, f in ROW.findall(result.output)}
    below = {t: (f1[t], line) for t, line in CROSS_VALIDATED.items() if f1[t] < line}
    assert not below, f"cross-validated F1 below the line for {below}\n{result.output}"
