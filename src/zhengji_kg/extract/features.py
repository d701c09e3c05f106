"""Features of a candidate mention, for the scored decision (``weights.py``).

Every feature is a short string naming a property of the candidate's form or context — never the
candidate's own text — so that the weights learned from one set of documents carry to others:

- ``r=<rule id>``: the rule that proposed it; ``t=<type>``: its type (a per-type bias);
- ``<type>.h1=`` its last character and, for mechanisms and bodies, ``.h2=`` its last two (the head);
- ``.first=`` / ``.last=`` / ``.prev=`` / ``.next=``: jieba's word class of its first and last word and of
  the words around it (a name does not open with a verb, an adverb or a preposition of its sentence),
  ``.cut`` when an edge falls inside a word;
- ``.quoted``, ``.titled`` (in 《》), ``.vehicle`` (以…为抓手), ``.est`` (a verb of setting up or issuing
  just before it), ``.title`` (in the document's first line), ``.lex`` (a lexicon entry of that type),
  ``.n=`` how often its key recurs in the document, ``.len=`` its length, ``.inside`` / ``.holds`` (nested
  in, or holding, a candidate of its type), ``.ov=<type>`` (overlapping a candidate of another type),
  ``.code=<level>`` for a place the gazetteer knows.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import lru_cache

from zhengji_kg.base.gazetteer import level_of
from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.rules import alternation
from zhengji_kg.base.segment import clause_marks, window_index, window_tokens, word_tag
from zhengji_kg.extract.context import Context

_COARSE = {"ns": "ns", "nr": "nr", "nt": "nt", "nz": "nz", "vn": "vn", "eng": "eng"}
_PUNCT_NAMES = {
    "“": "q",
    "”": "q",
    '"': "q",
    "《": "b",
    "》": "b",
    "，": "comma",
    ",": "comma",
    "、": "enum",
    "：": "colon",
    ":": "colon",
    "；": "semi",
    "（": "paren",
    "(": "paren",
    "）": "paren",
    ")": "paren",
}
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9０-９]")
_LEN_BUCKETS = ((2, "2"), (4, "3-4"), (8, "5-8"), (16, "9-16"))


@lru_cache(maxsize=65536)
def coarse(word: str) -> str:
    """jieba's word class of ``word``, coarsened (n, v, a, d, p, c, u, r, m, q, f …; ns/nr/nt/nz/vn kept)."""
    tag = word_tag(word)
    if not tag:
        if len(word) == 1 and word in _PUNCT_NAMES:
            return "x"
        return "unk"
    return _COARSE.get(tag, tag[0])


def _edge(ch: str) -> str:
    if not ch:
        return "start"
    return _PUNCT_NAMES.get(ch, "x" if not ch.isalnum() else "")


def _len_bucket(n: int) -> str:
    for limit, name in _LEN_BUCKETS:
        if n <= limit:
            return name
    return "17+"


def mention_features(doc: Document, cands: list[Mention], ctx: Context) -> list[tuple[str, ...]]:
    """The features of each candidate, in the order given."""
    text = doc.text
    sents = doc.sentences
    starts = [s.start for s in sents]
    first_line_end = text.find("\n")
    first_line_end = len(text) if first_line_end < 0 else first_line_end
    counts = Counter((m.type, m.key) for m in cands)
    lexicon = ctx.rules.by_key
    establish = alternation(ctx.rules.words.get("establish_cues", frozenset()))
    kinds = tuple(sorted(ctx.rules.words.get("practice_kinds", frozenset()), key=len, reverse=True))
    critical = alternation(ctx.rules.words.get("critical_cues", frozenset()))
    vehicles = tuple(ctx.rules.words.get("vehicle_words", ()))
    words = ctx.jieba_words
    # where the lexicon's terms lie: a name that opens with a known term (澄清正名|程序) or cuts one in two
    lex_starts: dict[int, int] = {}
    lex_inner: set[int] = set()
    for a, b, _surface, _entries in ctx.lexicon_hits(text):
        lex_starts[a] = max(lex_starts.get(a, 0), b)
        lex_inner.update(range(a + 1, b))
    spans = sorted((m.start, m.end, m.type) for m in cands if m.start < m.end)
    span_starts = [s for s, _e, _t in spans]
    longest = max((e - s for s, e, _t in spans), default=0)
    out: list[tuple[str, ...]] = []
    for m in cands:
        t = m.type
        label = m.key if m.start == m.end else m.surface
        f = [f"t={t}", f"r={m.rule}"]
        if label:
            f.append(f"{t}.h1={label[-1]}")
            if t in ("mechanism", "organization") and len(label) >= 3:
                f.append(f"{t}.h2={label[-2:]}")
        f.append(f"{t}.len={_len_bucket(len(label))}")
        f.append(f"{t}.n={min(counts[(t, m.key)], 3)}")
        if (t, m.key) in lexicon:
            f.append(f"{t}.lex")
            if len(label) >= 6:  # a long term of the lexicon is that term wherever it stands (a short one may not be)
                f.append(f"{t}.lexlong")
        if _LATIN_OR_DIGIT.search(label):
            f.append(f"{t}.alnum")
        if m.start == m.end:  # from the metadata, not the text
            f.append(f"{t}.meta")
            out.append(tuple(f))
            continue
        if m.end <= first_line_end:
            f.append(f"{t}.title")
        if m.start in lex_inner:
            f.append(f"{t}.lexcut")
        elif lex_starts.get(m.start, m.end) < m.end:
            f.append(f"{t}.lexstart")
        before = text[m.start - 1] if m.start else ""
        after = text[m.end] if m.end < len(text) else ""
        quoted = before in '“"' and after in '”"'
        if quoted:
            f.append(f"{t}.quoted")
            # what stands outside the quotes says what the quoted words are: a kind word after them
            # (“…”改革, “…”的方式, “…”为载体) names a practice
            rest = text[m.end + 1 : m.end + 6]
            rest = rest[1:] if rest[:1] in "的为" else rest
            if kinds and rest.startswith(kinds):
                f.append(f"{t}.qkind")
        if before == "《" or (m.end < len(text) and after == "》"):
            f.append(f"{t}.titled")
        if vehicles and _vehicle(text, m.start, m.end, vehicles):
            f.append(f"{t}.vehicle")
        i = bisect_right(starts, m.start) - 1
        if i >= 0:
            sent = sents[i]
            a = m.start - sent.start
            # the words of the runs of text the candidate lies in, cut as the whole sentence would be
            # (window_tokens), and often already cut by the extractor that proposed it
            b = m.end - sent.start
            f.extend(_word_class_features(t, sent.text, *window_index(sent.text, a, b, words), a, b))
            if quoted:
                # around a quoted name the quotation marks say nothing: the words beyond them do
                f.extend(_beyond_quotes(t, window_tokens(sent.text, a - 1, b + 1, words), a - 1, b + 1))
            if establish is not None and establish.search(sent.text, max(0, a - 8), a):
                f.append(f"{t}.est")
            elif establish is not None:
                # a verb of setting up further back in the same clause (建立了涵盖…的…平台)
                marks = clause_marks(sent.text)
                i = bisect_left(marks, a)
                lo = marks[i - 1] + 1 if i else 0
                if lo < a - 8 and establish.search(sent.text, lo, a - 8 + 1):
                    f.append(f"{t}.estfar")
            if critical is not None and critical.search(sent.text, max(0, a - 6), a):
                f.append(f"{t}.crit")  # 防止…, 破除…, 不搞…: what is criticised is no arrangement set up
        else:
            f.append(f"{t}.prev={_edge(before)}")
        f.extend(_overlaps(m, spans, span_starts, longest))
        if t == "place":
            f.append(f"place.code={level_of(m.code) or 'none'}")
            if m.key != m.surface and not m.code:
                f.append("place.parent")  # a place written with the one it lies in (红安县|城关镇)
        out.append(tuple(f))
    return out


def _word_class_features(
    t: str, text: str, toks: tuple[tuple[str, int, int], ...], starts: list[int], lo: int, hi: int, a: int, b: int
) -> list[str]:
    """Word classes at the candidate's edges (``a``, ``b``) and around it: ``toks[lo:hi]`` are the words of the
    runs of ``text`` (its sentence) it lies in (``window_index``), with offsets into ``text``; just outside
    them is a mark. (Reading the words off the dictionary by longest match instead was tried: slower than
    jieba-rs.)"""
    i = min(bisect_right(starts, a, lo, hi), hi) - 1
    j = min(bisect_right(starts, b - 1, lo, hi), hi) - 1 if b > a else i
    if i < lo or j < lo:
        return []
    w0, s0, _e0 = toks[i]
    wl, _sl, el = toks[j]
    f = [f"{t}.first={coarse(w0)}", f"{t}.last={coarse(wl)}"]
    if s0 != a:
        f.append(f"{t}.cut")
    if el != b:
        f.append(f"{t}.endcut")
    if i > lo:
        f.append(f"{t}.prev={_word_or_mark(toks[i - 1][0])}")
    else:
        first = toks[lo][1]
        f.append(f"{t}.prev={_word_or_mark(text[first - 1]) if first else 'start'}")
    if j + 1 < hi:
        f.append(f"{t}.next={_word_or_mark(toks[j + 1][0])}")
    else:
        last = toks[hi - 1][2]
        f.append(f"{t}.next={_word_or_mark(text[last]) if last < len(text) else 'end'}")
    return f


def _beyond_quotes(t: str, toks: list[tuple[str, int, int]], a: int, b: int) -> list[str]:
    """Word classes of the words before the opening quotation mark (at ``a``) and after the closing one
    (at ``b - 1``); ``toks`` hold the runs of text around them."""
    pw = next((w for w, _s, e in reversed(toks) if e <= a), "")
    nw = next((w for w, s, _e in toks if s >= b), "")
    return [f"{t}.qprev={_word_or_mark(pw) if pw else 'start'}", f"{t}.qnext={_word_or_mark(nw) if nw else 'end'}"]


def _word_or_mark(word: str) -> str:
    return _PUNCT_NAMES.get(word, coarse(word)) if len(word) == 1 else coarse(word)


def _vehicle(text: str, start: int, end: int, vehicles: tuple[str, ...]) -> bool:
    """以…为抓手 / 以“…”为载体 around the candidate: the text makes it the means of its work."""
    a = start - 1 if text[start - 1 : start] in '“"' else start
    if text[a - 1 : a] != "以":
        return False
    b = end + 1 if text[end : end + 1] in '”"' else end
    return text.startswith("为", b) and text.startswith(vehicles, b + 1)


def _overlaps(m: Mention, spans: list[tuple[int, int, str]], starts: list[int], longest: int) -> list[str]:
    """How the candidate lies against the others (sorted by start): only those that can reach it are read."""
    f: list[str] = []
    lo, hi = bisect_left(starts, m.start - longest), bisect_left(starts, m.end)
    for s, e, other in spans[lo:hi]:
        if e <= m.start or (s, e, other) == (m.start, m.end, m.type):
            continue
        if other != m.type:
            f.append(f"{m.type}.ov={other}")
        elif s <= m.start and m.end <= e:
            f.append(f"{m.type}.inside")
        elif m.start <= s and e <= m.end:
            f.append(f"{m.type}.holds")
        else:
            f.append(f"{m.type}.cross")
    return sorted(set(f))
