"""linescan: a pattern run over the lines that hold its anchor words finds exactly what it finds over the
whole text — checked on every mention pattern of the rule set and on patterns built to defeat it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.linescan import finditer, line_anchors
from zhengji_kg.rules import load_rules

RULE_PATTERNS = [r["_pattern"] for r in load_rules().mention_rules if "_pattern" in r]
TRICKY = [
    re.compile(r"^市委"),  # anchored: must not be run per line
    re.compile(r"市委$"),
    re.compile(r"市[^党]委"),  # a negated set matches a line break
    re.compile(r"市\s*委"),
    re.compile(r"(?s)市.委"),
    re.compile(r"市.委"),
    re.compile(r"(?<=\n)市委"),
    re.compile(r"(?<![省])市委(?!书记)"),
    re.compile(r"([\u4e00-\u9fff]{2,4}?(省|市))?(委员会|委)"),
    re.compile(r"(市|县)?委?"),  # can match empty: no anchors
]
TEXT = st.text(alphabet=st.sampled_from(list("市委省县政府人大书记党中共我本该某XX两三个意识\n，。 ")), max_size=80)


@pytest.mark.parametrize("pattern", RULE_PATTERNS + TRICKY, ids=lambda p: p.pattern[:30])
@given(text=TEXT)
def test_lines_find_what_the_whole_text_finds(pattern: re.Pattern[str], text: str) -> None:
    whole = [(m.span(), m.group(), m.groupdict()) for m in pattern.finditer(text)]
    lines = [(m.span(), m.group(), m.groupdict()) for m in finditer(pattern, text)]
    assert lines == whole


def test_which_patterns_run_by_line() -> None:
    assert line_anchors(re.compile(r"(中共)?([\u4e00-\u9fff]{2,8}?(省|市))?(委员会|委|政府)")) == (
        "委员会",
        "委",
        "政府",
    )
    for p in TRICKY[:5] + TRICKY[6:7] + TRICKY[-1:]:
        assert line_anchors(p) == (), p.pattern
    assert line_anchors(TRICKY[5]) == ("市",)  # "." stops at a line break
