"""linescan: a pattern run over the lines that hold its anchor words finds exactly what it finds over the
whole text, and a text without a pattern's necessary words holds no match — checked on every mention and
boilerplate pattern and on patterns built to defeat the analysis."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.base.linescan import (
    Screen,
    finditer,
    finditer_ending,
    line_anchors,
    may_match,
    necessary_words,
    remove,
    words_needed,
)
from zhengji_kg.base.rules import load_rules
from zhengji_kg.ingest import load_boilerplate

RULE_PATTERNS = [r["_pattern"] for r in load_rules().mention_rules if "_pattern" in r]
TRICKY = [
    re.compile(r"市委$"),  # the text's end, not a line's: must not be run per line
    re.compile(r"市委\Z"),
    re.compile(r"市[^党]委"),  # a negated set matches a line break
    re.compile(r"市\s*委"),
    re.compile(r"(?s)市.委"),
    re.compile(r"市委(?=\n)"),  # a look ahead that sees the line break
    re.compile(r"市委(?![^书])"),  # … and one that sees it by a negated set
    re.compile(r"(市|县)?委?"),  # can match empty: no anchors
    # a look behind that holds a look ahead or the text's end reads at or past its position
    re.compile(r"(?<=市(?=委\n))委"),
    re.compile(r"市委(?<=委$)"),
    re.compile(r"市委(?<=委(?=[^x]))"),
    # run per line, the same matches:
    re.compile(r"市.委"),  # "." stops at a line break
    re.compile(r"(?<![省])市委(?!书记)"),
    re.compile(r"([\u4e00-\u9fff]{2,4}?(省|市))?(委员会|委)"),
    re.compile(r"^市委"),  # the string's start: a search from a line's start does not take it for one
    re.compile(r"\A市委|(?<=\n)县委"),  # a look behind reads the text before the line
    re.compile(r"(?m)^市委|县委$"),  # with MULTILINE, ^ and $ are a line's edges
    re.compile(r"(?<=[省\n])市委"),
    re.compile(r"\b市委\B"),
    re.compile(r"市[^党\n]委"),  # a negated set that leaves the line break out
    re.compile(r"市委(?:(?![省市])|(?=书记))"),
]
RUN_WHOLE = 11  # the first eleven of TRICKY
TEXT = st.text(
    alphabet=st.sampled_from(
        list("市委省县政府人大书记党中共我本该某XX两三个意识关于的意见印发通知精神āǒa()（）【】\n，。 ")
    ),
    max_size=80,
)


BOILERPLATE = load_boilerplate()
BOILERPLATE_PATTERNS = [rx for _, rx in BOILERPLATE.drop_lines + BOILERPLATE.drop_inline + BOILERPLATE.metadata]


@pytest.mark.parametrize("pattern", RULE_PATTERNS + TRICKY + BOILERPLATE_PATTERNS, ids=lambda p: p.pattern[:30])
@given(text=TEXT)
def test_lines_find_what_the_whole_text_finds(pattern: re.Pattern[str], text: str) -> None:
    whole = [(m.span(), m.group(), m.groupdict()) for m in pattern.finditer(text)]
    lines = [(m.span(), m.group(), m.groupdict()) for m in finditer(pattern, text)]
    assert lines == whole
    if pattern.search("市委") is None or pattern.sub("", "市委") != "市委":  # (a pattern that cannot match empty)
        assert remove(pattern, text) == pattern.subn("", text)


def test_which_patterns_run_by_line() -> None:
    assert line_anchors(re.compile(r"(中共)?([\u4e00-\u9fff]{2,8}?(省|市))?(委员会|委|政府)")) == (
        "委员会",
        "委",
        "政府",
    )
    for p in TRICKY[:RUN_WHOLE]:
        assert line_anchors(p) == (), p.pattern
    for p in TRICKY[RUN_WHOLE:]:
        assert line_anchors(p), p.pattern
    assert line_anchors(TRICKY[RUN_WHOLE]) == ("市",)  # "." stops at a line break


UNSURE = [
    re.compile(r"(?i)qq"),  # case-folded: the words would be wrong
    re.compile(r"电?话?"),  # can match empty
    re.compile(r"(电话)?"),
    re.compile(r"[^电]"),  # a negated set is no word
    re.compile(r"电{0,2}"),
]
ALL = (
    RULE_PATTERNS
    # (hypothesis writes no text for \b … \B, nor for a look behind holding a look ahead or $)
    + [p for p in TRICKY if "\\b" not in p.pattern.lower() and not re.search(r"\(\?<=[^)]*(\(\?=|\$)", p.pattern)]
    + BOILERPLATE_PATTERNS
    + UNSURE
    + [
        re.compile(r"(联系|监督)电话|客服QQ|^\s*邮箱[:：]"),
        re.compile(r"(?:机制|制度)+(?![化性])"),
        re.compile(r"请在.{0,12}上搜索"),
        re.compile(r"(?P<a>[甲乙])(?P=a)丙"),
        re.compile(r"(?<=甲)乙{2,3}|丙(?=丁)"),
    ]
)


@pytest.mark.parametrize("pattern", ALL, ids=lambda p: p.pattern[:30])
@given(data=st.data())
def test_a_text_holding_a_match_holds_a_necessary_word(pattern: re.Pattern[str], data: st.DataObject) -> None:
    text = data.draw(st.from_regex(pattern), label="text")
    assert pattern.search(text)
    assert may_match(pattern, text)
    assert pattern in Screen([pattern, re.compile("无关")]).live(text)


def test_necessary_words() -> None:
    assert necessary_words(re.compile(r"(联系|监督|举报)电话|客服QQ|^\s*邮箱[:：]|[\w.]+@[\w.]+")) == (
        "电话",
        "客服QQ",
        "邮箱",
        "@",
    )
    assert necessary_words(re.compile(r"^\s*(点击)?下载(全文|此文档|本文)")) == ("下载",)  # the optional part is not
    assert necessary_words(re.compile(r"【(提纲|目录)】")) == ("提纲", "目录")  # longer than 【 or 】
    assert necessary_words(re.compile(r"[—－-]{1,2}\d")) == ("—", "－", "-")
    for p in UNSURE:
        assert necessary_words(p) == (), p.pattern
    screen = Screen(BOILERPLATE_PATTERNS)
    live = screen.live("本页无任何站点杂项。")
    assert live == {p for p in BOILERPLATE_PATTERNS if not necessary_words(p)}
    assert live < set(BOILERPLATE_PATTERNS)


TAILED = [r for r in load_rules().mention_rules if "_tail" in r]
DEPT_TEXT = st.text(alphabet=st.sampled_from(list("省市县温岭审计财政金融厅局委办和法员党，。\n ")), max_size=60)


@pytest.mark.parametrize("rule", TAILED, ids=[r["id"] for r in TAILED])
@given(text=DEPT_TEXT)
def test_tailed_search_finds_the_matches_that_end_at_a_tail(rule: dict, text: str) -> None:
    """Everything ``finditer_ending`` yields is a match of the pattern ending at a tail; and every match the
    whole-text search finds that ends at a tail, within reach, is among them (the windowed search may find
    more: one the whole-text search swallowed into an earlier, longer match)."""
    rx, tail, reach = rule["_pattern"], rule["_tail"], int(rule.get("reach", 32))
    tail_ends = {m.end() for m in finditer(tail, text)}
    got = {m.span() for m in finditer_ending(rx, tail, text, reach)}
    assert all(e in tail_ends and rx.fullmatch(text, s, e) for s, e in got)
    whole = {m.span() for m in rx.finditer(text) if m.end() in tail_ends and m.end() - m.start() <= reach}
    assert whole <= got


def test_tail_lists_the_offices_of_its_pattern() -> None:
    for rule in TAILED:
        office = re.search(r"\(\?P<office>([^)]*)\)", rule["pattern"])
        assert office is None or office.group(1) in rule["tail"], rule["id"]


RELATION_PATTERNS = [r["_pattern"] for r in load_rules().relation_rules if r["_pattern"].pattern]
MARKS = "\ue000\ue001\ue002\ue003\ue004\ue005"


@pytest.mark.parametrize("pattern", RELATION_PATTERNS, ids=lambda p: p.pattern[:30])
@given(data=st.data())
def test_a_marked_sentence_a_relation_rule_matches_holds_a_word_it_needs(
    pattern: re.Pattern[str], data: st.DataObject
) -> None:
    """``words_needed``: no word holds a mark, and a text the pattern matches holds one of the words — so a
    sentence without any of them is skipped for the rule (``relate``)."""
    words = words_needed(pattern, MARKS)
    assert not any(m in w for w in words for m in MARKS)
    text = data.draw(st.from_regex(pattern), label="text")
    assert not words or any(w in text for w in words)
