"""Shared fixtures: the rule set, the demo build, and the seed corpus from ../shared (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengji_kg import build, extract_document, load_rules
from zhengji_kg.model import Document

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
GOLD = SHARED / "gold" / "seeds"


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture(scope="session")
def demo_kg(rules):
    return build([ROOT / "corpus"], rules, keep_text=True)


@pytest.fixture(scope="session")
def seeds_kg(rules):
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is absent (tests of the real documents need shared/ beside the repo)")
    return build([SEEDS], rules, keep_text=True)


@pytest.fixture
def run(rules):
    """Extract from one text, as `zhengji-kg explain` does."""

    def _run(text: str) -> Document:
        return extract_document(Document(id="t", path="t", text=text, original_text=text), rules)

    return _run
