"""Sentence splitting keeps exact offsets; lexicon terms stay whole tokens in jieba."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.segment import MAX_SENTENCE, split_sentences, tokens


def test_sentences_and_quotes() -> None:
    text = "他说：“要树立正确政绩观。”我们照办！第二段\n第三行"
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["他说：“要树立正确政绩观。”", "我们照办！", "第二段", "第三行"]
    assert [s.paragraph for s in sents] == [0, 0, 0, 1]


@given(st.text(alphabet=st.sampled_from(list("政绩观显潜。！？；，\n “”ab 1")), max_size=2000))
def test_offsets_map_back(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text.strip() == s.text and s.text
        assert len(s.text) <= MAX_SENTENCE


def test_long_runs_are_cut() -> None:
    text = "政" * 1000
    sents = split_sentences(text)
    assert "".join(s.text for s in sents) == text and len(sents) == 3


def test_lexicon_terms_survive_as_tokens(rules) -> None:
    from zhengji_kg.extract.context import Context

    words = Context.for_rules(rules).jieba_words
    for e in rules.entries:
        for term in (e.label, *e.aliases):
            if len(term) > 12 or not term.isalnum():
                continue  # terms with punctuation (、) are matched on characters, not as one token
            toks = [w for w, _, _ in tokens("我们" + term + "了", words)]
            assert term in toks, (term, toks)
