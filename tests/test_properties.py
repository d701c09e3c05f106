"""Property tests (hypothesis) for the normalisers and the boilerplate cleaner."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengji_kg.base.rules import load_rules
from zhengji_kg.ingest import clean_text, decode_bytes, normalise_date, to_simplified

RULES = load_rules()
TERMS = sorted({e.label for e in RULES.entries if e.type in ("concept", "mechanism") and len(e.label) >= 2})
# words that boilerplate patterns look for, so that content sentences brush against every one of them
# (all but the site furniture that policy prose never contains: ALWAYS, tried as whole lines below)
RISKY = [
    "举报电话",
    "来源：",
    "作者：",
    "版权所有",
    "发布时间：2024-01-02",
    "—12—",
    "（此处省略200字）",
    "邮箱：a@b.cn",
    "地址：",
    "转载请注明",
    "仅供学习交流",
    "客服QQ",
    "相关文章",
    "免责声明",
]
ALWAYS = ["由会员分享", "当前位置：首页", "ICP备12345号", "下载全文", "欢迎访问本网", "全文1200"]
PLAIN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处理府研质"
)


@settings(max_examples=300)
@given(st.text())
def test_to_simplified_keeps_length_and_is_stable(text: str) -> None:
    once = to_simplified(text)
    assert len(once) == len(text)  # offsets into the simplified text hold for the original
    assert to_simplified(once) == once


@given(st.dates(min_value=date(1949, 10, 1), max_value=date(2099, 12, 31)), st.sampled_from(range(5)))
def test_normalise_date_reads_every_usual_form(d: date, form: int) -> None:
    text = [
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
    ][form]
    assert normalise_date(text) == d.isoformat()


@given(st.text(max_size=40))
def test_normalise_date_gives_a_real_date_or_nothing(text: str) -> None:
    out = normalise_date(text)
    assert out is None or date.fromisoformat(out).isoformat() == out


@given(st.text(min_size=1).filter(lambda t: t.strip() and "\x00" not in t), st.sampled_from(["utf-8", "utf-16"]))
def test_unicode_encodings_round_trip(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding))[0] == text


plain = st.text(alphabet=st.sampled_from(PLAIN), max_size=12)
# (core, sentence): the core holds a lexicon term; the sentence may wrap it in boilerplate-like words
cored = st.builds(
    lambda before, pre, term, post, after: (pre + term + post, f"{before}{pre}{term}{post}{after}。"),
    st.just("") | st.sampled_from(RISKY),
    plain,
    st.sampled_from(TERMS),
    plain,
    st.just("") | st.sampled_from(RISKY),
)
sentences = cored.map(lambda c: c[1])


@given(st.lists(sentences, min_size=1, max_size=6), st.sampled_from(["gb18030", "big5", "utf-8"]))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_cjk_encodings_round_trip_real_sentences(body: list[str], encoding: str) -> None:
    text = "关于树立和践行正确政绩观的通知\n" + "\n".join(body)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        return  # a simplified-only character has no Big5 form
    assert decode_bytes(raw)[0] == text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.lists(cored, min_size=1, max_size=3),  # a paragraph of content
            st.sampled_from([*RISKY, *ALWAYS, "上一篇", "责任编辑：王五", "打印本页 关闭窗口", "—3—", "分享到："]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_boilerplate_cleaner_never_removes_a_sentence_with_a_lexicon_term(lines: list) -> None:
    """Whatever page furniture surrounds or touches them, the sentences that carry a lexicon term keep
    that term and the words around it."""
    text = "\n".join(line if isinstance(line, str) else "".join(s for _core, s in line) for line in lines)
    cleaned = clean_text(text)[0].replace("\n", "")
    for line in lines:
        for core, _sentence in [] if isinstance(line, str) else line:
            assert core in cleaned, (core, cleaned)


@given(
    text=st.text(alphabet=st.sampled_from(list("政绩观机制建立，和")), min_size=1, max_size=30),
    spans=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 6), st.sampled_from(["concept", "mechanism", "place"])),
        min_size=1,
        max_size=6,
    ),
    offset=st.integers(0, 50),
)
def test_abstracts_of_a_sentence_equal_abstract(text: str, spans, offset: int) -> None:
    """``relate.Abstracts`` (marks swapped into a sentence cut once) writes what ``relate.abstract`` writes
    for every subject/object pair — with overlapping, nested, empty and coinciding mentions as well."""
    from zhengji_kg.base.model import Mention, Sentence
    from zhengji_kg.extract.relate import Abstracts, abstract

    sent = Sentence(offset, offset + len(text), text)
    ms = [
        Mention(t, "x", f"k{i}", offset + min(a, len(text)), offset + min(a + n, len(text)), "r")
        for i, (a, n, t) in enumerate(spans)
    ]
    abstracts = Abstracts(sent, ms)
    for s in [None, *ms]:
        for o in [None, *ms]:
            if s is o and s is not None:
                continue
            assert abstracts(s, o) == abstract(sent, ms, s, o)


_SEGMENT = st.text(alphabet=st.sampled_from(list("ab政.-_ ")), min_size=1, max_size=4).filter(
    lambda s: s not in (".", "..")
)


@given(root=st.lists(_SEGMENT, max_size=3), rest=st.lists(_SEGMENT, max_size=3), absolute=st.booleans())
def test_corpus_name_is_the_path_under_its_root(root, rest, absolute) -> None:
    """``corpus_name`` cuts strings for speed; it must say what ``Path.relative_to`` says."""
    from pathlib import Path

    from zhengji_kg.ingest import corpus_name

    r = Path("/" if absolute else ".", *root)
    for path in (r.joinpath(*rest), Path("/elsewhere", *rest), r):
        try:
            rel = path.relative_to(r)
            expected = rel.as_posix() if rel.parts else path.name
        except ValueError:
            expected = path.name
        assert corpus_name(path, r) == expected


@given(st.text(alphabet=st.sampled_from(list("要严禁搞，,；;。！？!?：:形象工程 ")), max_size=40), st.integers(-2, 45))
def test_clause_before_a_mention_is_the_last_piece_split_by_clause_marks(text: str, cut: int) -> None:
    """``modality.clause_before`` finds the clause from the sentence's mark positions; splitting the text
    before the mention at every mark, as ``modality`` did, gives the same."""
    from zhengji_kg.extract.modality import _CLAUSE, clause_before

    before = text[:cut] if cut > 0 else ""
    assert clause_before(text, cut) == (_CLAUSE.split(before)[-1] if before else "")


# ---------------------------------------------------------------- names found by walking left (issue 28)

_WALKED = frozenset({"mechanism.head-suffix", "mechanism.coordination"})


def _closed_class_words() -> list[str]:
    """Two-character words of jieba's dictionary that may not open a name (preposition, conjunction,
    auxiliary, adverb, time word), and the rules' verbs of setting up."""
    from zhengji_kg.base.segment import word_tags
    from zhengji_kg.extract.boundaries import NOT_OPENING

    words = sorted(w for w, t in word_tags().items() if len(w) == 2 and t[:1] in NOT_OPENING and not t.startswith("nr"))
    return words[::40] + sorted(RULES.words["triggers"])


OPENERS = _closed_class_words()
NOUNS = ["干部", "实绩", "考核", "评价", "项目", "事项", "信息", "基层", "村级", "履职", "数据", "档案", "队伍", "责任"]
HEADS = ["机制", "制度", "清单", "台账", "平台", "办法", "体系", "档案", "程序", "系统"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subject=st.sampled_from(["县里", "区委组织部", "各地", "我们", "该镇", ""]),
    opener=st.sampled_from(OPENERS),
    core=st.lists(st.sampled_from(NOUNS), min_size=1, max_size=3),
    head=st.sampled_from(HEADS),
)
def test_no_walked_mechanism_name_opens_with_a_closed_class_word_or_a_setting_up_verb(
    proposing, subject: str, opener: str, core: list[str], head: str
) -> None:
    """Whatever word of those classes stands before it, a name found by walking left from its head does
    not start with such a word of its sentence: the name's first word, as jieba cuts the sentence (分时 may
    be cut 分|时 there), is checked."""
    from zhengji_kg import extract_document
    from zhengji_kg.base.model import Document
    from zhengji_kg.base.segment import tokens
    from zhengji_kg.extract.boundaries import opens_wrongly

    text = f"{subject}{opener}{''.join(core)}{head}。"
    doc = extract_document(Document(id="p", path="p", text=text, original_text=text), proposing)
    triggers = RULES.words["triggers"]
    toks = tokens(text, ())
    for m in doc.mentions:
        if m.type != "mechanism" or m.rule not in _WALKED:
            continue
        first = next((w for w, s, e in toks if s <= m.start < e), "")
        assert not opens_wrongly(first, triggers), (text, m.surface, first)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("干部考核机制，。a1-“”、 \n湖州市")), min_size=1, max_size=40),
    data=st.data(),
)
def test_window_tokens_widen_to_the_runs_jieba_cuts(text: str, data) -> None:
    """``window_tokens`` widens a window to the runs of block characters around it — the same window as
    widening it character by character — and so gives the tokens the whole text gives there."""
    from zhengji_kg.base.segment import _BLOCK_CHAR, forget_tokens, tokens, window_tokens

    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    forget_tokens()
    got = window_tokens(text, lo, hi)
    a, b = lo, hi
    while a > 0 and _BLOCK_CHAR.match(text[a - 1]):
        a -= 1
    while b < len(text) and _BLOCK_CHAR.match(text[b]):
        b += 1
    assert got == [(w, s + a, e + a) for w, s, e in tokens(text[a:b])]
    whole = [t for t in tokens(text) if a <= t[1] and t[2] <= b]
    assert [t for t in got if t[0].strip()] == [t for t in whole if t[0].strip()]
