"""Mechanism names found by their head (…机制, …制度, …清单, …档案 …) with the left boundary found by rule.

Walking left from the head over jieba tokens, a name stops at a trigger verb (建立, 健全 …), a modifier
(有效, 进一步 …), a scope noun (…事项), a function word, punctuation outside quotation marks, or an
organization's name. Coordinated names sharing one head are expanded (A和B机制 → A机制 + B机制;
A、B、C等工作机制 → three).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from ..model import Document, Mention, Sentence
from ..segment import window_tokens, word_tag
from . import register
from .context import Context
from .patterns import clean_label

_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9+＋·“”\"、]+")
_CONJ = {"和", "与", "及", "、", "以及"}
_QUOTE = re.compile(r"[“”\"]")
_QUOTED_PART = re.compile(r"[“\"]([^”\"]{2,20})[”\"]")
_QUOTED_OR_N_IN_ONE = re.compile(r"[”\"]$|[一二三四五六七八九十两]位一体$")
_CLAUSE_MARKS = "，；：,;:。！？\n"
_ALL_HEADS = (
    "机制",
    "制度",
    "体系",
    "办法",
    "清单",
    "档案",
    "台账",
    "平台",
    "队伍",
    "库",
    "计划",
    "细则",
    "制",
    "工作法",
)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    label: str
    head: str
    aliases: tuple[str, ...]
    coordinated: bool


def _head_regex(rule: dict) -> re.Pattern[str]:
    heads = sorted(rule.get("heads") or [], key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, heads)) + ")+(?![化性])")


def _walk_left(
    sent: Sentence,
    toks: list[tuple[str, int, int]],
    idx: int,
    ctx: Context,
    head_end: int | None = None,
    generic: frozenset[str] = frozenset(),
) -> tuple[int, int]:
    """Return (name start offset in sentence, index of the token that stopped the walk)."""
    w = ctx.rules.words
    stops, triggers, mods, scopes = w["stops"], w["triggers"], w["modifiers"], w["scope_ends"]
    start = toks[idx + 1][1] if idx + 1 < len(toks) else len(sent.text)
    in_quote = False
    i = idx
    collected = 0
    while i >= 0:
        word, s, _e = toks[i]
        abs_s = sent.start + s
        if any(os <= abs_s < oe for os, oe in ctx.org_spans):
            break
        if word in ("”", '"') and not in_quote:
            in_quote = True
        elif word in ("“",) and in_quote:
            in_quote = False
            start = s
            i -= 1
            collected += 1
            continue
        if in_quote:
            if word in "。！？\n":
                break
            start = s
            i -= 1
            continue
        if not _NAME_CHAR.fullmatch(word) or word == "、":
            break
        if collected == 0 and word in {"落实", "推进", "执行", "转化", "运用"}:
            start = s  # 决策部署落实机制: a verb right before the head belongs to the name
            collected += 1
            i -= 1
            continue
        if word in scopes and head_end is not None and clean_label(sent.text[start:head_end]) in generic:
            start = s  # 重要事项监督台账: without its scope word the name would be generic
            collected += 1
            i -= 1
            continue
        if word in triggers or word in mods or word in scopes or word in stops:
            break
        if len(word) > 2 and (word[-2:] in triggers or word[:2] in mods):
            break
        start = s
        collected += 1
        i -= 1
    return start, i


def find_mechanisms(doc: Document, rule: dict, ctx: Context) -> list[Found]:
    """All head-based names in the document, with coordination expanded."""
    cache = doc.__dict__.setdefault("_mech_cache", {})
    key = (rule["id"], ctx.rules.digest)
    if key in cache:
        return cache[key]
    rx = _head_regex(rule)
    generic = frozenset(rule.get("generic") or [])
    max_chars = int(rule.get("max_chars", 24))
    min_chars = int(rule.get("min_chars", 2))
    out: list[Found] = []
    for sent in doc.sentences:
        if not rx.search(sent.text):
            continue
        quoted = _QUOTE.search(sent.text)
        for m in rx.finditer(sent.text):
            hs, he = m.span()
            head = m.group()
            # the walk left never crosses a clause mark outside quotes: cut only that clause (see window_tokens)
            lo = 0 if quoted and quoted.start() < hs else max(sent.text.rfind(c, 0, hs) for c in _CLAUSE_MARKS) + 1
            toks = window_tokens(sent.text, lo, he, ctx.jieba_words)
            # split the token that straddles the head start, if any
            idx = bisect_left([s for _, s, _e in toks], hs) - 1  # the last token starting before the head
            local = list(toks)
            if idx >= 0 and local[idx][2] > hs:
                w, s, _e = local[idx]
                local[idx] = (w[: hs - s], s, hs)
            name_start, stop_i = _walk_left(sent, local, idx, ctx, he, generic)
            raw = sent.text[name_start:he]
            label = clean_label(raw)
            stop_word = local[stop_i][0] if stop_i >= 0 else ""
            # "X的 + generic head": 五位一体的制度体系 → 五位一体制度体系
            if label == head and head in generic and stop_word == "的" and stop_i > 0:
                s2, stop_i2 = _walk_left(sent, local, stop_i - 1, ctx)
                left = sent.text[s2 : local[stop_i][1]]
                if s2 < local[stop_i][1] and _QUOTED_OR_N_IN_ONE.search(left):
                    raw = sent.text[s2:he]
                    label = clean_label(raw.replace("的", "", 1)) if raw.count("的") == 1 else clean_label(raw)
                    name_start, stop_i = s2, stop_i2
                    stop_word = local[stop_i][0] if stop_i >= 0 else ""
            aliases = []
            q = _QUOTED_PART.search(raw)
            if q:
                aliases.append(clean_label(q.group(1)))
            if "的" in raw:
                aliases.append(clean_label(raw))
            ok = label not in generic and len(label) - len(head) >= min_chars and len(label) <= max_chars
            nxt = next((w for w, s_, _e in local if s_ >= he), "")
            if ok and nxt and _is_noun(nxt):
                ok = False  # 制度刚性, 队伍建设: the head modifies a following noun; no name ends here
            right_single = stop_i + 1 < len(local) and local[stop_i + 1][2] == hs and len(local[stop_i + 1][0]) <= 2
            if stop_word in ("和", "与") and stop_i > 0 and right_single and label not in generic:
                # a single word right of 和 shares the left part: 干部担当作为激励和保护机制 is one name
                name_start, stop_i = _walk_left(sent, local, stop_i - 1, ctx)
                label = clean_label(sent.text[name_start:he])
                stop_word = local[stop_i][0] if stop_i >= 0 else ""
                ok = len(label) <= max_chars
            elif (
                ok
                and stop_word in ("和", "与")
                and stop_i > 0
                and len(local[stop_i - 1][0]) == 2
                and _walk_left(sent, local, stop_i - 1, ctx)[1] == stop_i - 2
                and (_is_verb(local[stop_i - 1][0]) or _is_verb(local[stop_i + 1][0]))
            ):
                # verb coordination inside a name (a single verb left of 和): 防范和纠治政绩观偏差工作机制
                name_start, stop_i = _walk_left(sent, local, stop_i - 1, ctx)
                label = clean_label(sent.text[name_start:he])
                stop_word = local[stop_i][0] if stop_i >= 0 else ""
            if ok:
                out.append(Found(sent.start + name_start, sent.start + he, label, head, tuple(aliases), False))
            if (stop_word in _CONJ and ok) or (stop_word == "等" and head in generic):
                out.extend(_conjuncts(sent, local, stop_i, head, generic, max_chars, ctx))
    cache[key] = out
    return out


def _conjuncts(
    sent: Sentence,
    local: list[tuple[str, int, int]],
    stop_i: int,
    head: str,
    generic: frozenset[str],
    max_chars: int,
    ctx: Context,
) -> list[Found]:
    """Names coordinated to the left of a head (A和B机制, A、B、C等工作机制), each with the head restored.

    Only when the chain of conjuncts is itself the object of a trigger verb (建立/完善 …), so that a list
    of verbs or topics (思想认识、体制机制) is not mistaken for a list of names.
    """
    base_head = _base_head(head)
    found: list[Found] = []
    j = stop_i
    while j >= 0 and local[j][0] in (_CONJ | {"等"}):
        cs, cstop = _walk_left(sent, local, j - 1, ctx)
        conj_end = local[j][1]
        conj = clean_label(sent.text[cs:conj_end])
        if not conj or len(conj) < 2 or conj in generic or len(conj) > max_chars:
            return []
        if conj.endswith(_ALL_HEADS):
            label, als = conj, ()
        else:
            label, als = conj + base_head, tuple(dict.fromkeys((conj, conj + head)))
        found.append(Found(sent.start + cs, sent.start + conj_end, label, base_head, als, True))
        j = cstop
    if j < 0 or local[j][0] not in ctx.rules.words["triggers"]:
        return []
    return found


def _is_noun(word: str) -> bool:
    return word_tag(word).startswith("n") and word not in ("中", "上", "下", "内")


def _base_head(head: str) -> str:
    for h in ("机制", "制度", "体系", "办法", "清单", "档案", "台账", "平台", "队伍"):
        if head.endswith(h):
            return h
    return head


def _is_verb(word: str) -> bool:
    if len(word) != 2:
        return False
    return word_tag(word).startswith("v")


def _mentions(found: list[Found], rule_id: str, coordinated: bool) -> Iterator[Mention]:
    for f in found:
        if f.coordinated == coordinated:
            yield Mention(
                type="mechanism",
                surface=f.label,
                key=f.label,
                start=f.start,
                end=f.end,
                rule=rule_id,
                aliases=f.aliases,
            )


@register("mechanism_head")
def head_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    yield from _mentions(find_mechanisms(doc, rule, ctx), rule["id"], coordinated=False)


@register("mechanism_coordination")
def coordination_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """Members of a coordination (A和B机制) found by the head rule, reported under this rule's id."""
    head_rule = next((r for r in ctx.rules.mention_rules if r.get("kind") == "mechanism_head"), None)
    if head_rule is not None:
        yield from _mentions(find_mechanisms(doc, head_rule, ctx), rule["id"], coordinated=True)
