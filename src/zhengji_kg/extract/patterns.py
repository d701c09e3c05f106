"""Pattern extractors: regular expressions, quoted terms classified by form, word endings (…主义)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Document, Mention
from ..segment import tokens
from . import register
from .context import Context

QUOTED = re.compile(r"[“\"『「]([^“”\"『』「」\n]{2,12})[”\"』」]")


def clean_label(s: str) -> str:
    return re.sub(r"[“”\"'‘’《》「」『』\s]", "", s)


@register("regex")
def regex_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    rx: re.Pattern[str] = rule["_pattern"]
    group = rule.get("group") or 0
    generic = ctx.rules.words.get("generic_orgs", frozenset())
    for m in rx.finditer(doc.text):
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
            continue
        if rule["type"] == "organization":
            if not _named_org(m):
                continue
            start, label = _trim_org(m, start, label)
            if label in generic or len(label) < 2:
                continue
        yield Mention(
            type=rule["type"],
            surface=label,
            key=label,
            start=start,
            end=end,
            rule=rule["id"],
            subtype=rule.get("subtype", ""),
        )


def _trim_org(m: re.Match[str], start: int, label: str) -> tuple[int, str]:
    """The place part of a body's name must be a real place: 按照市政协党组 → 市政协党组."""
    from ..gazetteer import gazetteer

    place = m.group("place")
    if not place:
        return start, label
    names = gazetteer().names
    if place in names or place[:-1] in names or re.match(r"^(XX|某|X)", place):
        return start, label
    cut = m.end("place") - 1 - start  # keep the level character (市, 县 …)
    return start + cut, label[cut:]


def _named_org(m: re.Match[str]) -> bool:
    """A party or state body counts when it has a place, a level (市委, 县政协) or a department."""
    gd = m.groupdict()
    return bool(gd.get("place") or gd.get("level") or gd.get("dept"))


@register("quoted")
def quoted_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    forms: list[re.Pattern[str]] = rule["_forms"]
    metaphors = ctx.rules.words.get("metaphors", frozenset())
    for m in QUOTED.finditer(doc.text):
        label = clean_label(m.group(1))
        if label in metaphors or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9、+·]+", label):
            continue
        other = {e.type for e in ctx.rules.entries if e.label == label or label in e.aliases}
        if other and rule["type"] not in other:
            continue
        if any(f.search(label) for f in forms):
            yield Mention(type=rule["type"], surface=label, key=label, start=m.start(1), end=m.end(1), rule=rule["id"])


@register("token_suffix")
def suffix_mentions(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    suffixes = tuple(rule.get("suffixes") or ())
    exclude = set(rule.get("exclude") or ())
    min_chars = int(rule.get("min_chars", 3))
    for sent in doc.sentences:
        if not any(s in sent.text for s in suffixes):
            continue
        for word, s, e in tokens(sent.text, ctx.jieba_words):
            if (
                word.endswith(suffixes)
                and len(word) >= min_chars
                and word not in exclude
                and re.fullmatch(r"[\u4e00-\u9fff]+", word)
            ):
                yield Mention(
                    type=rule["type"], surface=word, key=word, start=sent.start + s, end=sent.start + e, rule=rule["id"]
                )
