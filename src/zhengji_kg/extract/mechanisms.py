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
from functools import lru_cache

from zhengji_kg.base.model import Document, Mention, Sentence
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import clause_marks, window_tokens, word_tag
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.patterns import clean_label
from zhengji_kg.extract.registry import register

_NAME_CHAR = re.compile(r"[\u4e00-\u9fffA-Za-z0-9+＋·“”\"、]+")
_CONJ = {"和", "与", "及", "、", "以及"}
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# jieba's classes of words that never stand inside a name found by walking left: c conjunction, u auxiliary
# (not p: a preposition's phrase can be part of a name, 干部政绩情况及时向组织部门报告机制)
_CLOSED_CLASSES = frozenset("cu")
_QUOTE = re.compile(r"[“”\"]")
_QUOTED_PART = re.compile(r"[“\"]([^”\"]{2,20})[”\"]")
_QUOTED_OR_N_IN_ONE = re.compile(r"[”\"]$|[一二三四五六七八九十两]位一体$")
# a count before a name (7个政务平台, 两个容错办法, 三项): a common noun counted, or the count's own word
_NUMERAL = "[一二三四五六七八九十两几多数百千万0-9０-９]+"
_CLASSIFIERS = frozenset("个項项套类類种種张張份条條批家支")
# a dated or numbered instance (2023年…, 第三期…, 第二届…) is an event of an arrangement, not part of its name
_INSTANCE = re.compile(r"([0-9０-９]{4}年度?|第[一二三四五六七八九十百0-9０-９]+[期届次批轮季])")
_COUNT = re.compile(_NUMERAL + "[" + "".join(sorted(_CLASSIFIERS)) + "]")
_NUMBER = re.compile(_NUMERAL)
_PLURAL = re.compile(r"[二三四五六七八九十两几多数百千万2-9２-９]|[0-9０-９]{2,}")
# a zone after a place that opens a name (浙江自贸试验区干部容错机制): it scopes the name as the place does
_ZONE = re.compile(r"[\u4e00-\u9fff]{0,6}?(自由贸易试验区|自贸试验区|自贸区|试验区|示范区|开发区|高新区|新区|园区)")
ALL_HEADS = (
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
    refers: bool = False  # 这一机制, 上述专项工作机制: a reference back, resolved to the name it points to


def _head_regex(rule: dict) -> re.Pattern[str]:
    return _heads_pattern(_heads(rule), tuple(rule.get("not_before") or ()))


def _heads(rule: dict) -> tuple[str, ...]:
    """The rule's heads, longest first."""
    return _longest_first(tuple(rule.get("heads") or ()))


@lru_cache(maxsize=16)
def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=16)
def _heads_pattern(heads: tuple[str, ...], not_before: tuple[str, ...]) -> re.Pattern[str]:
    """One or more ``heads`` in a row (longest first), not followed by a word of ``not_before``."""
    after = "|".join(map(re.escape, not_before)) or "(?!)"
    return re.compile("(?:" + "|".join(map(re.escape, heads)) + f")+(?!{after})")


@lru_cache(maxsize=4096)
def _last_head(head: str, heads: tuple[str, ...]) -> str:
    """Of a chain of heads (考核|台账), the last (``heads`` longest first)."""
    return next((h for h in heads if head.endswith(h)), head)


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
    scope_objects = w.get("scope_objects", frozenset())
    setting_up = w.get("establish_cues", frozenset())
    passive = w.get("passive_markers", frozenset())
    prefixes = tuple(w.get("stop_prefixes", ()))
    openers = w.get("clause_verbs", ())
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
        elif word in ("“",) and (in_quote or collected):
            in_quote = False
            start = s
            i -= 1
            collected += 1
            # a quotation is a name's own unit: a verb of setting up or an adverb right before it acts on the name
            # (试行“一线工作法”), where another verb may be the name's own (政绩观检视“正面+负面”两清单)
            if i >= 0 and (toks[i][0] in setting_up or word_tag(toks[i][0]).startswith("d")):
                break
            continue
        if in_quote:
            if word in "。！？\n":
                break
            start = s
            i -= 1
            continue
        if word in ("）", ")") and collected:
            j = _open_paren(toks, i)
            if j is not None:
                start = toks[j][1]  # 乡镇（街道）履行职责事项清单: a short gloss in brackets is part of the name
                i = j - 1
                continue
        if not _NAME_CHAR.fullmatch(word) or word == "、":
            break
        if collected == 0 and word in {"落实", "推进", "执行", "转化", "运用"}:
            start = s  # 决策部署落实机制: a verb right before the head belongs to the name
            collected += 1
            i -= 1
            continue
        if word in scopes and (
            (head_end is not None and clean_label(sent.text[start:head_end]) in generic)
            or (i + 1 < len(toks) and toks[i + 1][0] in scope_objects)
        ):
            # 重要事项监督台账: without its scope word the name would be generic; 工作事项准入制度: the word after it
            # acts on the items (准入, 清单), so they are the name's own
            start = s
            collected += 1
            i -= 1
            continue
        if word in passive and collected and i > 0 and toks[i - 1][0] in setting_up:
            start, i = s, i - 1  # 建立|被|问责干部教育帮扶机制: a passive participle opens the name the verb takes
            break
        if word in triggers or word in mods or word in scopes or word in stops:
            k = _object_of_cue(toks, i, setting_up, triggers) if word in triggers else None
            if k is not None:  # 建立报表|统筹|审核机制: the verb sits inside the name a setting-up verb takes
                start, i = toks[k][1], k - 1
            break
        tag = word_tag(word)
        if tag[:1] in _CLOSED_CLASSES:
            break  # a conjunction or auxiliary of the sentence (以及, 所) ends the name
        if not tag and _place_at(ctx, sent.start + start) is not None:
            break  # a name begins at its place: what no dictionary knows before it is not its part (乱码瓜州县…)
        if word in openers and (i == 0 or not _NAME_CHAR.fullmatch(toks[i - 1][0])):
            break
        if word[-1] in _CLASSIFIERS and _COUNT.fullmatch(word):
            break
        if word in _CLASSIFIERS and i > 0 and _NUMBER.fullmatch(toks[i - 1][0]):
            break  # 10|支: a count written in two words
        if _INSTANCE.search(word) or (i > 0 and _INSTANCE.fullmatch(toks[i - 1][0] + word)):
            break
        if len(word) > 1 and word.startswith(prefixes):
            break
        if len(word) > 2 and (word[-2:] in triggers or word[:2] in mods) and word not in w["keep_whole"]:
            break
        start = s
        collected += 1
        i -= 1
    return start, i


def _object_of_cue(
    toks: list[tuple[str, int, int]], verb: int, setting_up: frozenset[str], triggers: frozenset[str]
) -> int | None:
    """Where a name starts when the verb at ``verb`` is its own word: one to three nouns (or counts, 两级) before
    it, and a verb of setting up right before them (建立|报表|统筹|审核机制, 形成|县乡|两级|权责|对照|清单) —
    else None."""
    if toks[verb][0] in setting_up:
        return None  # 探索|乡村|推行|积分制: a verb of setting up of its own heads a clause, not a name
    j, nouns = verb - 1, 0
    while j > 0 and verb - j <= 3:
        word = toks[j][0]
        tag = word_tag(word)
        if word in triggers or not _HAN.fullmatch(word):
            return None
        if not tag or (tag.startswith("n") and not tag.startswith("nr")):
            nouns += 1
        elif not tag.startswith("m"):
            return None
        before = toks[j - 1][0]
        if before.removesuffix("了") in setting_up or (before == "了" and j > 1 and toks[j - 2][0] in setting_up):
            return j if nouns else None  # (建立了|报表|统筹|审核机制, 建立|了|…)
        j -= 1
    return None


def _place_at(ctx: Context, pos: int) -> tuple[int, int] | None:
    """The span of the place found in the document that starts at ``pos``, if one does."""
    i = bisect_left(ctx.place_spans, (pos, -1))
    return ctx.place_spans[i] if i < len(ctx.place_spans) and ctx.place_spans[i][0] == pos else None


def _open_paren(toks: list[tuple[str, int, int]], close: int) -> int | None:
    """The token opening the bracket that ``toks[close]`` closes, when what it holds is one to four
    characters of Chinese (街道, 试行 …) right after a word: else None."""
    j = close - 1
    while j >= 0 and toks[j][0] not in ("（", "("):
        if not _HAN.fullmatch(toks[j][0]) or toks[close][1] - toks[j][1] > 4:
            return None
        j -= 1
    if j <= 0 or j == close - 1 or not _HAN.fullmatch(toks[j - 1][0]):
        return None
    return j


def find_mechanisms(doc: Document, rule: dict, ctx: Context) -> list[Found]:
    """All head-based names in the document, with coordination expanded."""
    cache = doc.__dict__.setdefault("_mech_cache", {})
    key = (rule["id"], ctx.rules.digest)
    if key in cache:
        return cache[key]
    rx = _head_regex(rule)
    generic = frozenset(rule.get("generic") or [])
    max_chars = int(rule.get("max_chars", 24))
    abstract = tuple(rule.get("abstract_ends") or ())
    words = ctx.rules.words
    min_chars = int(rule.get("min_chars", 2))
    heads = _heads(rule)
    out: list[Found] = []
    for sent in doc.sentences:
        if not rx.search(sent.text):
            continue
        quoted = _QUOTE.search(sent.text)
        for m in rx.finditer(sent.text):
            hs, he = m.span()
            head = m.group()
            if he < len(sent.text) and sent.text[he] == "》" and hs > 0 and sent.text[hs - 1] == "《":
                continue  # 容错免责《办法》: found by _wrapped_heads, with the words before 《 as the name
            # the walk left never crosses a clause mark outside quotes: cut only that clause (see window_tokens)
            lo = 0 if quoted and quoted.start() < hs else _clause_start(sent.text, hs)
            toks = window_tokens(sent.text, lo, he, ctx.jieba_words)
            if not any(e == he for _w, _s, e in toks):
                continue  # a head inside a word (控制, 体制度, 系统思维): no name ends here
            if quoted and _inside_open_quote(sent.text, hs) and sent.text[he : he + 1] not in ("”", '"'):
                continue  # a head inside a quotation that goes on (“考核暗度陈仓”): the quotation is the unit
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
                if q.end() == len(raw) - len(head):
                    aliases.append(clean_label(q.group(1)) + head)  # …“四位一体”制度: 四位一体制度 for short
            if "的" in raw:
                aliases.append(clean_label(raw))
            if stop_word in words.get("references", ()):
                # 这一机制, 上述专项工作机制: a name written before; which one is settled once all are found
                out.append(Found(sent.start + name_start, sent.start + he, label, head, (), False, refers=True))
                continue
            if _counted(local, stop_i):
                continue  # 7个政务平台, 两个容错办法: a common noun counted, not the name of one arrangement
            nxt = next((w for w, s_, _e in local if s_ >= he), "")
            end = he
            if nxt == "管理" and head.endswith(("清单", "台账", "计划", "档案", "目录")):
                end = he + 2  # 项目清单管理: a way of managing by list is the arrangement
                label += "管理"
            if stop_word == "各" and stop_i + 1 < len(local) and local[stop_i + 1][2] < hs:
                # 各部门各单位目标任务…机制: 各 and the noun it distributes over scope the name
                name_start = local[stop_i + 1][2]
                label = clean_label(sent.text[name_start:end])
            held = _holders(sent.text, local, stop_i, words) if stop_word in _CONJ else 0
            if held and held < hs:
                # 领导班子和领导干部分级分类考核评价体系: whom the scheme is for, not part of its name
                name_start, stop_word = held, ""
                label = clean_label(sent.text[name_start:end])
            if not head.endswith(tuple(words.get("regulation_heads", ()))):  # (…管理办法 is one too)
                name_start, label, scoped = _unscoped(sent, name_start, end, label, ctx)
                if scoped:
                    aliases.append(scoped)
            # a chain of heads (考核|台账) is measured by its last head: 考核台账 names a ledger
            last = _last_head(head, heads)
            ok = label not in generic and len(label) - len(last) >= min_chars and len(label) <= max_chars
            ok = ok and not label.endswith(abstract)
            if ok and end == he and nxt and _is_noun(nxt) and nxt not in words.get("meetings", ()):
                # (a meeting of the arrangement, …机制会议, still names it)
                ok = False  # 制度刚性, 队伍建设: the head modifies a following noun; no name ends here
            right_single = stop_i + 1 < len(local) and local[stop_i + 1][2] == hs and len(local[stop_i + 1][0]) <= 2
            # (a name with a head of its own left of 和 is a name of its own: 潜绩档案与干部考核评价机制 are two)
            left_named = stop_i > 0 and sent.text[: local[stop_i][1]].endswith(heads)
            if stop_word in ("和", "与") and stop_i > 0 and right_single and label not in generic and not left_named:
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
                and not _known_mechanism(ctx, sent.text[local[stop_i + 1][1] : he])
            ):
                # verb coordination inside a name (a single verb left of 和): 防范和纠治政绩观偏差工作机制
                name_start, stop_i = _walk_left(sent, local, stop_i - 1, ctx)
                label = clean_label(sent.text[name_start:he])
                stop_word = local[stop_i][0] if stop_i >= 0 else ""
            if ok:
                out.append(Found(sent.start + name_start, sent.start + end, label, head, tuple(aliases), False))
            if (stop_word in _CONJ and ok) or (stop_word == "等" and label in generic):
                out.extend(_conjuncts(sent, local, stop_i, head, generic, max_chars, ctx))
        out.extend(_wrapped_heads(sent, ctx, generic))
    cache[key] = out
    return out


def _inside_open_quote(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside a quotation opened before it and not yet closed."""
    opened = max(text.rfind("“", 0, pos), -1)
    return opened >= 0 and text.rfind("”", opened, pos) < 0


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` opens: a name never crosses a clause mark."""
    marks = clause_marks(text)
    i = bisect_left(marks, pos)
    return marks[i - 1] + 1 if i else 0


def _counted(local: list[tuple[str, int, int]], stop_i: int) -> bool:
    """Whether the walk stopped at a count of more than one (7个, 两项, 多个): names one arrangement each."""
    if stop_i < 0:
        return False
    word = local[stop_i][0]
    if _COUNT.fullmatch(word):
        return bool(_PLURAL.search(word))
    if word in _CLASSIFIERS and stop_i > 0:
        before = local[stop_i - 1][0]
        return bool(_NUMBER.fullmatch(before) and _PLURAL.search(before))
    return False


def _holders(text: str, local: list[tuple[str, int, int]], stop_i: int, words: dict[str, frozenset[str]]) -> int:
    """A和B right before the rest of a name, both of them holders (领导班子和领导干部): a scope. Returns
    where the name starts after B (0 when this is no such coordination)."""
    holders = words.get("holders", frozenset())
    if not 0 < stop_i < len(local) - 1 or local[stop_i - 1][0] not in holders:
        return 0
    after = local[stop_i][2]
    longest = max((h for h in holders if text.startswith(h, after)), key=len, default="")
    return after + len(longest) if longest else 0


def _unscoped(sent: Sentence, name_start: int, end: int, label: str, ctx: Context) -> tuple[int, str, str]:
    """A place (and a zone of it) opening a name that is not a regulation's only says where: the name
    starts after it (浙江“村级事务准入清单” → 村级事务准入清单). Returns the start, the label, and the
    written whole as an alias ("" when nothing was cut)."""
    abs_start = sent.start + name_start
    place = _place_at(ctx, abs_start)
    if place is None:
        return name_start, label, ""
    cut = place[1] - sent.start
    zone = _ZONE.match(sent.text, cut, end)
    if zone:
        cut = zone.end()
    while cut < end and sent.text[cut] in '“"的':
        cut += 1
    rest = clean_label(sent.text[cut:end])
    if len(rest) < 4:
        return name_start, label, ""
    return cut, rest, label


def _known_mechanism(ctx: Context, text: str) -> bool:
    """Whether ``text`` is a mechanism of the lexicon: 激励和容错纠错机制 coordinates two names."""
    return "mechanism" in ctx.rules.surface_types.get(text, frozenset())


_WRAPPED = re.compile(r"《(办法|规定|意见|细则|措施|条例|决定)》")


def _wrapped_heads(sent: Sentence, ctx: Context, generic: frozenset[str]) -> list[Found]:
    """改革创新容错免责《办法》: a short title in 《》 after the words of its name; the name is those words
    (walked left as for any head) and the title, the bare title its alias."""
    out = []
    for m in _WRAPPED.finditer(sent.text):
        toks = window_tokens(sent.text, _clause_start(sent.text, m.start()), m.start(), ctx.jieba_words)
        toks = [t for t in toks if t[2] <= m.start()]
        if not toks:
            continue
        name_start, _stop = _walk_left(sent, toks, len(toks) - 1, ctx)
        words = clean_label(sent.text[name_start : m.start()])
        if len(words) < 2 or name_start >= m.start():
            continue
        label = words + m.group(1)
        if label not in generic:
            out.append(Found(sent.start + name_start, sent.start + m.end(), label, m.group(1), (m.group(1),), False))
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
        if conj.endswith(ALL_HEADS):
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


def _mentions(found: list[Found], rule_id: str, coordinated: bool, refers: bool = False) -> Iterator[Mention]:
    for f in found:
        if f.coordinated == coordinated and f.refers == refers:
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
    head_rule = _head_rule(ctx.rules)
    if head_rule is not None:
        yield from _mentions(find_mechanisms(doc, head_rule, ctx), rule["id"], coordinated=True)


@register("mechanism_reference")
def reference_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """这一机制, 上述专项工作机制 as written; ``resolve_references`` makes each the name it points back to."""
    head_rule = _head_rule(ctx.rules)
    if head_rule is not None:
        yield from _mentions(find_mechanisms(doc, head_rule, ctx), rule["id"], coordinated=False, refers=True)


def _head_rule(rules: RuleSet) -> dict | None:
    """The rule of names by their head word, which the coordination and reference rules read the names of."""
    return rules.derived(
        "mechanisms.head-rule",
        lambda rs: next((r for r in rs.mention_rules if r.get("kind") == "mechanism_head"), None),
    )
