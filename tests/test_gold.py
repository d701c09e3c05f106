"""`zhengji-kg evaluate` on the two development sets of real documents (../shared): the seeds and the web
excerpts. The lines are issue 18's: a build that falls below any of them fails here, with what it missed."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from zhengji_kg.cli import main

from .conftest import SHARED

LINES = {
    "seeds": {"concept": 0.90, "mechanism": 0.90, "place": 0.90, "organization": 0.90, "relation": 0.90},
    "web": {"concept": 0.95, "mechanism": 0.85, "place": 0.90, "organization": 0.85, "relation": 0.75},
}
ROW = re.compile(r"^(concept|mechanism|place|organization|relation)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s", re.M)


@pytest.mark.parametrize("corpus", sorted(LINES))
def test_evaluate_meets_the_lines(corpus: str) -> None:
    docs, gold = SHARED / "corpus" / corpus, SHARED / "gold" / corpus
    if not docs.is_dir() or not gold.is_dir():
        pytest.skip(f"../shared/corpus/{corpus} or ../shared/gold/{corpus} is absent (shared/ beside the repo)")
    result = CliRunner().invoke(main, ["evaluate", str(docs), "--gold", str(gold)])
    assert result.exit_code == 0, result.output
    f1 = {t: float(f) for t, _p, _r, f in ROW.findall(result.output)}
    assert set(f1) == set(LINES[corpus]), result.output
    below = {t: (f1[t], line) for t, line in LINES[corpus].items() if f1[t] < line}
    assert not below, f"{corpus}: F1 below the line for {below}\n{result.output}"
