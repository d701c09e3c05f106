"""Sentence splitting keeps exact offsets; lexicon terms stay whole tokens in jieba."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.base.segment import MAX_SENTENCE, split_sentences, tokens


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


_PROBE = """
import json, sys
import jieba
from zhengji_kg.base import segment
if "--snapshot-only" in sys.argv:  # jieba's own loading must not run: the snapshot has to serve
    jieba.dt.initialize = None
if "--tags-only" in sys.argv:  # the tags alone, without jieba's dictionary
    tags = [segment.word_tag(w) for w in ["北京", "机制", "推进"]]
    print(json.dumps({"tags": tags, "dictionary": jieba.dt.initialized, "posseg": "jieba.posseg" in sys.modules}))
    sys.exit()
segment.posseg()
tk = jieba.dt
words = ["北京", "机制", "考核", "推进", "干部", "潜绩", "的"]
print(json.dumps({
    "snapshot": segment.snapshot_path().is_file(),
    "total": tk.total, "size": len(tk.FREQ),
    "tags": [segment.word_tag(w) for w in words],
    "cut": tk.lcut("天津市和平区建立容错预审报备机制，树立正确政绩观。"),
    "pos": [(p.word, p.flag) for p in segment.posseg().lcut("推行干部实绩档案")],
}, ensure_ascii=False))
"""


def _probe(cache_home, *args: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_dictionary_snapshot_loads_what_jieba_loads(tmp_path) -> None:
    """The first process loads jieba's dictionary and POS table its own way and writes the snapshot; the
    next reads the snapshot and must see the same dictionary, tags and cuts. A damaged snapshot is not
    used (and is replaced)."""
    import marshal

    first = _probe(tmp_path)
    assert first.pop("snapshot") is True  # written by the first process
    assert first["tags"][0] == "ns" and first["tags"][3].startswith("v") and first["size"] > 300_000
    second = _probe(tmp_path, "--snapshot-only")
    second.pop("snapshot")
    assert second == first
    # the tags are read without the dictionary (a worker needs jieba's own cutting only for a few documents)
    alone = _probe(tmp_path, "--snapshot-only", "--tags-only")
    assert alone == {"tags": first["tags"][:2] + first["tags"][3:4], "dictionary": False, "posseg": False}
    [snap] = (tmp_path / "zhengji-kg").glob("jieba-*.marshal")
    whole = snap.read_bytes()
    for damage in (b"not a snapshot", marshal.dumps(("a tuple", "of other", "things")), whole[: len(whole) // 2]):
        snap.write_bytes(damage)
        third = _probe(tmp_path)
        assert third.pop("snapshot") is True and third == first
        assert snap.read_bytes() != damage


def _jieba_tokens(text: str, words: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """What jieba itself (the Python package) cuts, with the given words kept whole as segment once did."""
    import jieba

    from zhengji_kg.base.segment import posseg

    posseg()  # loads jieba's dictionary (from the snapshot)
    tk = _JIEBA.get(words)
    if tk is None:
        tk = _JIEBA[words] = jieba.Tokenizer(jieba.dt.dictionary)
        tk.FREQ, tk.total, tk.initialized = dict(jieba.dt.FREQ), jieba.dt.total, True
        for w in words:
            tk.add_word(w, freq=max(tk.suggest_freq(w, tune=False), 10000))
    return list(tk.tokenize(text))


_JIEBA: dict = {}


@pytest.mark.parametrize("corpus", ["demo_kg", "seeds_kg"])
def test_tokens_are_jiebas_own(rules, corpus, request) -> None:
    """``tokens`` runs jieba-rs; on every sentence of the demo and seed corpora it must cut exactly what
    jieba cuts, with and without the lexicon's words kept whole."""
    from zhengji_kg.base.segment import forget_tokens
    from zhengji_kg.extract.context import Context

    words = Context.for_rules(rules).jieba_words
    checked = 0
    for doc in request.getfixturevalue(corpus).documents.values():
        forget_tokens()
        for sent in doc.sentences:
            for ws in ((), words):
                assert list(tokens(sent.text, ws)) == _jieba_tokens(sent.text, ws), sent.text
                checked += 1
    assert checked > 50


@given(
    st.text(
        alphabet=st.sampled_from(list("考核干部政绩观显潜容错纠错机制建立健全和与的，。“”、 \n\tabZ19-.%+_#&㐀𠀀龥")),
        max_size=60,
    ),
    st.booleans(),
)
def test_tokens_tile_any_text(text: str, with_words: bool) -> None:
    """Whichever segmenter cuts a piece (jieba-rs, or jieba where they part ways), the tokens are the
    text itself, in order, with offsets that map back to it."""
    from zhengji_kg.base.rules import load_rules
    from zhengji_kg.extract.context import Context

    words = Context.for_rules(load_rules()).jieba_words if with_words else ()
    toks = tokens(text, words)
    assert "".join(w for w, _, _ in toks) == text
    pos = 0
    for w, s, e in toks:
        assert (s, e) == (pos, pos + len(w)) and w
        pos = e


def test_jieba_cuts_what_jieba_rs_would_not() -> None:
    """Runs joined by - . % … and ideographs beyond U+9FD5 go to jieba itself, piece by piece."""
    for text in ("国j-a全观，2024-01-01发布", "增长3.5%的指标", "㐀㐀立与Z", "建纠、全立，_.观Z纠"):
        assert list(tokens(text)) == _jieba_tokens(text, ())


def test_a_started_worker_has_every_tokenizer_extraction_uses(rules) -> None:
    """A worker builds its tokenizers at its start (``pipeline.worker._init_worker``) — each costs a quarter of a
    second — and extracting documents then builds none: one per word set, however the set is passed."""
    import gc

    from zhengji_kg.base.segment import _tokenizer, tokenizer
    from zhengji_kg.ingest import load_source
    from zhengji_kg.pipeline.worker import _init_worker, process_source

    assert tokenizer() is tokenizer(()) is tokenizer([])
    _tokenizer.cache_clear()
    try:
        _init_worker(rules)
    finally:
        gc.unfreeze()
    built = _tokenizer.cache_info().currsize
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    for f in sorted(corpus.glob("*.txt")):
        assert not process_source(load_source(f, corpus), rules).error
    assert _tokenizer.cache_info().currsize == built


def test_a_word_tuple_is_the_plain_tuple_to_every_cache() -> None:
    """``WordTuple`` only remembers its hash: caches keyed by a word set find its entries either way."""
    import pickle

    from zhengji_kg.base.segment import WordTuple, _tokenizer, forget_tokens, tokens

    plain = ("干部实绩档案", "容错纠错机制")
    words = WordTuple(plain)
    assert words == plain and hash(words) == hash(plain) == hash(words)
    assert _tokenizer(words) is _tokenizer(plain)
    forget_tokens()
    assert tokens("建立干部实绩档案。", words) is tokens("建立干部实绩档案。", plain)  # one cache entry
    again = pickle.loads(pickle.dumps(words))
    assert again == words and hash(again) == hash(plain) and "_hash" not in pickle.dumps(words).decode("latin-1")


@given(
    st.text(alphabet=st.sampled_from(list("考核干部政绩观容错纠错机制建立健全和的，。“”、 \tab19-.%㐀")), max_size=40),
    st.integers(0, 45),
    st.integers(0, 45),
    st.booleans(),
)
def test_a_window_is_its_slice_of_the_whole_cut(text: str, lo: int, hi: int, with_words: bool) -> None:
    """A window's words, read off the whole text's cut (``window_tokens``, ``window_index``), are the words
    of its stretch cut alone once widened to the runs it touches: what extractors and features asked of
    jieba before the text was cut once."""
    from zhengji_kg.base.rules import load_rules
    from zhengji_kg.base.segment import _widen, forget_tokens, window_index, window_tokens
    from zhengji_kg.extract.context import Context

    words = Context.for_rules(load_rules()).jieba_words if with_words else ()
    lo, hi = min(lo, len(text)), min(hi, len(text))
    a, b = _widen(text, lo, hi)
    alone = [(w, s + a, e + a) for w, s, e in tokens(text[a:b], words)]
    forget_tokens()
    assert window_tokens(text, lo, hi, words) == alone
    toks, firsts, i, j = window_index(text, lo, hi, words)
    assert list(toks[i:j]) == alone and firsts == [s for _w, s, _e in toks]
