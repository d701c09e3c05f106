"""Pattern extractors: regular expressions, quoted terms classified by form, word endings (…主义)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from zhengji_kg.base.linescan import finditer, finditer_ending
from zhengji_kg.base.model import Document, Mention
from zhengji_kg.base.segment import window_tokens, word_tag
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.places import _scan, verb_after_body
from zhengji_kg.extract.registry import register

QUOTED = re.compile(r"[“\"『「]([^“”\"『』「」\n]{2,12})[”\"』」]")


def clean_label(s: str) -> str:
    return _QUOTES_AND_SPACE.sub("", s)


# compiled once: these run for most names of every document (``re``'s own cache costs a lookup per call)
_QUOTES_AND_SPACE = re.compile(r"[“”\"'‘’《》〈〉<>「」『』\s]")
_NAME = re.compile(r"[\u4e00-\u9fffA-Za-z0-9、+·]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@register("regex")
def regex_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """A mention per match: its group ``group`` (else the whole match), or each of the groups ``groups``
    that took part in it — a pair that only its frame shows, 既看近绩、又看远绩, gives two."""
    rx: re.Pattern[str] = rule["_pattern"]
    groups = rule.get("groups") or [rule.get("group") or 0]
    # only the lines that can hold a match, where that can be told; or only before a rule's ``tail``
    tail = rule.get("_tail")
    hits = finditer(rx, doc.text) if tail is None else finditer_ending(rx, tail, doc.text, int(rule.get("reach", 32)))
    body_ends = {e for _s, e in ctx.org_spans}  # bodies found by the rules before, and by this one so far
    coined = rule.get("coined")
    for m in hits:
        if coined and all(word_tag(v) for g in groups if (v := m.group(g)) is not None):
            continue  # every word of the match is one of jieba's dictionary: everyday words, no coined notion
        for group in groups:
            if m.group(group) is not None:
                found = _regex_mention(doc, rule, ctx, m, group, body_ends)
                if found is not None:
                    if found.type == "organization":
                        body_ends.add(found.end)
                    yield found


def _regex_mention(
    doc: Document, rule: dict, ctx: Context, m: re.Match[str], group: int | str, body_ends: set[int]
) -> Mention | None:
    generic = ctx.rules.words.get("generic_orgs", frozenset())
    start, end = m.span(group)
    surface = m.group(group)
    if rule.get("same_length") and m.groupdict().get("a"):
        # three-phase slogans: cut the last phase to the length of the first (年底亮绩评议闭环管理 → 年底亮绩评议)
        seg = len(m.group("a"))
        cut = surface.rfind("年")
        end = start + min(len(surface), cut + 2 + seg)
        surface = doc.text[start:end]
    label = clean_label(surface)
    if not label or label in generic:
        return None
    key, aliases = label, ()
    if rule["type"] == "organization":
        if not _named_org(m, rule.get("needs")):
            return None
        start, label = _trim_org(m, start, label)
        verb = verb_after_body(doc.text, start, label, body_ends, ctx) if m.groupdict().get("place") else ""
        start, label = start + len(verb), label[len(verb) :]  # 县纪委监委|会同|县委组织部: the body is 县委组织部
        if label in generic or len(label) < 2:
            return None
        key, aliases = _party_key(m, label, rule.get("party_prefix", ""))
    return Mention(
        type=rule["type"],
        surface=label,
        key=key,
        start=start,
        end=end,
        rule=rule["id"],
        subtype=rule.get("subtype", ""),
        aliases=aliases,
    )


def _party_key(m: re.Match[str], label: str, prefix: str) -> tuple[str, tuple[str, ...]]:
    """A named place's party committee (重庆市委, 重庆市委组织部) is keyed by its full form (中共重庆市委 …), so
    that both spellings are one body; the written form stays an alias."""
    gd = m.groupdict()
    # after _trim_org the label opens with a real place, or with a bare level (市委 …: no place, no prefix)
    party = gd.get("place") and gd.get("body") in ("委", "委员会") and not gd.get("cpc")
    if prefix and party and not label.startswith(prefix) and label[0] not in "省市县区州镇乡":
        return prefix + label, (label,)
    return label, ()


def _trim_org(m: re.Match[str], start: int, label: str) -> tuple[int, str]:
    """The place part of a body's name must be made of real places: 北京市朝阳区纪委监委 stays whole,
    按照市政协党组 → 市政协党组 (按照市 is no place)."""
    if not m.groupdict().get("place") or re.match(r"^(XX|某|X)", m.group("place")):
        return start, label
    # the place and level characters together (甘肃省天水市秦州 + 区) must be made of real places
    place = m.string[m.start("place") : m.end("level") if m.group("level") else m.end("place")]
    pos = len(place)
    for s_, e_, _n, _c in reversed(_scan(place)):
        if e_ == pos:
            pos = s_
    if pos == 0:
        return start, label
    cut = m.start("place") + pos - start
    if pos == len(place):
        cut -= 1  # keep the level character (市, 县 …) of a non-place prefix
    return start + cut, label[cut:]


def _named_org(m: re.Match[str], needs: list[str] | None = None) -> bool:
    """A party or state body counts when it has a place, a level (市委, 县政协) or a department — or, for
    a rule that says which groups it ``needs``, one of those."""
    gd = m.groupdict()
    return any(gd.get(g) for g in (needs or ("place", "level", "dept")))


@register("quoted")
def quoted_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    forms: list[re.Pattern[str]] = rule["_forms"]
    metaphors = ctx.rules.words.get("metaphors", frozenset())
    for m in QUOTED.finditer(doc.text):
        label = clean_label(m.group(1))
        if label in metaphors or not _NAME.fullmatch(label):
            continue
        other = ctx.rules.surface_types.get(label, frozenset())
        if other and rule["type"] not in other:
            continue
        if any(f.search(label) for f in forms):
            yield Mention(type=rule["type"], surface=label, key=label, start=m.start(1), end=m.end(1), rule=rule["id"])


@register("token_suffix")
def suffix_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    suffixes = tuple(rule.get("suffixes") or ())
    exclude = set(rule.get("exclude") or ())
    min_chars = int(rule.get("min_chars", 3))
    if not any(suf in doc.text for suf in suffixes):
        return
    for sent in doc.sentences:
        if not any(suf in sent.text for suf in suffixes):
            continue
        hits = sorted({i.start() for suf in suffixes for i in re.finditer(re.escape(suf), sent.text)})
        if not hits:
            continue
        # a word ending in a suffix lies in the jieba block around it: cut those blocks, not the sentence
        found: dict[int, tuple[str, int, int]] = {}
        for pos in hits:
            for tok in window_tokens(sent.text, pos, pos + 1, ctx.jieba_words):
                found[tok[1]] = tok
        for word, s, e in (found[k] for k in sorted(found)):
            if word.endswith(suffixes) and len(word) >= min_chars and word not in exclude and _HAN.fullmatch(word):
                yield Mention(
                    type=rule["type"], surface=word, key=word, start=sent.start + s, end=sent.start + e, rule=rule["id"]
                )


@register("declared_alias")
def declared_alias_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """《全称》（以下简称《简称》）: every later 《简称》 or “简称” is the full name. With ``bare`` (bodies:
    某某市人力资源和社会保障局（以下简称市人社局）) the short form counts written bare as well, and the full
    name must be an organization already found ending right there (the pattern alone cannot tell where a
    body's name begins)."""
    bare = bool(rule.get("bare"))
    for decl in finditer(rule["_pattern"], doc.text):  # only lines with 以下简称
        full_start = decl.start("full")
        if bare:
            found = [s for s, e in ctx.org_spans if e == decl.end("full")]
            if not found:
                continue
            full_start = min(found)
        full = clean_label(doc.text[full_start : decl.end("full")])
        short = decl.group("short")
        yield Mention(
            type=rule["type"],
            surface=full,
            key=full,
            start=full_start,
            end=decl.end("full"),
            rule=rule["id"],
            aliases=(clean_label(short),),
        )
        if bare:  # the short form inside the declaration is the body too, not a body of its own
            yield Mention(
                type=rule["type"],
                surface=clean_label(short),
                key=full,
                start=decl.start("short"),
                end=decl.end("short"),
                rule=rule["id"],
            )
        later = re.escape(short) if bare else r"[《“\"]" + re.escape(short) + r"[》”\"]"
        for m in re.finditer(later, doc.text[decl.end() :]):
            start = decl.end() + m.start() + (0 if bare else 1)
            yield Mention(
                type=rule["type"],
                surface=clean_label(short),
                key=full,
                start=start,
                end=start + len(short),
                rule=rule["id"],
            )
