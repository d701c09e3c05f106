"""Mechanisms named without a head word where they stand: a quoted practice and the regulation a document is.

``mechanisms.py`` finds names by their head (…机制, …办法); here the evidence of a name is elsewhere. A quoted
name is a mechanism when a kind word follows it (“最多跑一次”改革) or the place that introduced it comes right
before it (上海“一网通办”); 本办法, 本意见 … in a measure refer to the measure itself, whose name is its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.extract.context import Context
from zhengji_kg.extract.mechanisms import ALL_HEADS
from zhengji_kg.extract.patterns import clean_label
from zhengji_kg.extract.registry import register


@register("named_practice")
def named_practices(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """A quoted name with no head word is a mechanism when a kind word follows it (“最多跑一次”改革), when
    the place that introduced it comes right before it (上海“一网通办”, 嘉兴市推出的“村情通”), or when the
    sentence makes it the vehicle of the work (以“揭榜挂帅”“赛道比拼”为载体: each quoted name of the run).

    Not when the quote is a term of another type (a concept, a metaphor) or shaped like a concept."""
    suffixes = sorted(rule.get("suffixes") or (), key=len, reverse=True)
    kept = set(rule.get("kept_suffixes") or ())
    verbs = sorted(rule.get("verbs") or (), key=len, reverse=True)
    carriers = sorted(rule.get("carriers") or (), key=len, reverse=True)
    called = sorted(rule.get("called") or (), key=len, reverse=True)
    with_kind, after_place, vehicle, named_as = _practice_patterns(
        tuple(suffixes), tuple(verbs), tuple(carriers), tuple(called)
    )
    # where each quoted name starts → (name, its end, the kind word after it, whether 的 stands before that)
    found: dict[int, tuple[str, int, str, bool]] = {}
    for m in with_kind.finditer(doc.text):
        found[m.start(1)] = (m.group(1), m.end(2), m.group(2), m.group(0)[-len(m.group(2)) - 1] == "的")
    for _s, e in ctx.place_spans:
        m = after_place.match(doc.text, e)
        if m and m.start(1) not in found:
            found[m.start(1)] = (m.group(1), m.end(2) if m.group(2) else m.end(1), m.group(2) or "", False)
    for m in vehicle.finditer(doc.text):
        for q in _QUOTED_NAME.finditer(m.group(1)):
            found.setdefault(m.start(1) + q.start(1), (q.group(1), m.start(1) + q.end(1), "", False))
    for m in named_as.finditer(doc.text):
        found.setdefault(m.start(1), (m.group(1), m.end(1), "", False))
    concept_forms = ctx.rules.derived(
        "named.concept-forms",
        lambda rs: [f for r in rs.mention_rules if r.get("kind") == "quoted" for f in r.get("_forms", ())],
    )
    metaphors = ctx.rules.words.get("metaphors", frozenset())
    for start in sorted(found):
        name, end, suffix, de = found[start]
        other = ctx.rules.surface_types.get(name, frozenset())
        if name in metaphors or (other and "mechanism" not in other) or any(f.search(name) for f in concept_forms):
            continue
        if name.endswith(ALL_HEADS):
            continue  # a head word of its own: the head rule names it
        key = name + suffix if suffix in kept and not de else name
        aliases = tuple(a for a in (name, name + suffix) if a != key and suffix)
        yield Mention(type="mechanism", surface=key, key=key, start=start, end=end, rule=rule["id"], aliases=aliases)


# a quoted name: inner quotation marks (‘…’ inside a quotation) quote a name as well
_NAME = r"[“\"‘]([\u4e00-\u9fffA-Za-z0-9+＋·]{2,10})[”\"’]"
_QUOTED_NAME = re.compile(_NAME)


@lru_cache(maxsize=8)
def _practice_patterns(
    suffixes: tuple[str, ...], verbs: tuple[str, ...], carriers: tuple[str, ...], called: tuple[str, ...] = ()
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A quoted name with its kind word after it; one right after a place (matched at the place's end),
    with at most a verb of introducing and 的 between, its kind word optional; a run of quoted names
    that 以…为 makes the vehicle of the work (以“…”“…”为载体); and a quoted name a kind word is said to be
    (…的做法是“街坊评议”) — the quotation ending its clause, not opening a description of its own."""
    kinds = "|".join(map(re.escape, suffixes)) or "(?!)"
    intro = "|".join(map(re.escape, verbs))
    held = "|".join(map(re.escape, carriers)) or "(?!)"
    said = "|".join(map(re.escape, called)) or "(?!)"
    return (
        re.compile(f"{_NAME}的?({kinds})"),
        re.compile(f"(?:{intro})?的?{_NAME}({kinds})?" if intro else f"的?{_NAME}({kinds})?"),
        re.compile(f"以((?:{_NAME.replace('(', '(?:', 1)}[、，,和及]?){{1,4}})为(?:{held})"),
        re.compile(f"(?:{said}){_NAME}(?=[，,。；;！!]|$)"),
    )


_TRIAL = re.compile(r"[（(](试行|暂行|修订|修订稿|征求意见稿)[）)]\s*$")
_IN_TITLE = re.compile(r"《([^《》\n]{4,80})》")
_NOT_A_HEADING = re.compile(r"[。！？；，,：:]")


def own_regulation(doc: Document, heads: tuple[str, ...]) -> tuple[str, int, int] | None:
    """The regulation the document is: (name, start, end of its heading line in the text, or 0, 0).

    Its title in 《》 (…印发《抚州市容错免责办法（试行）》的通知), else a title or one of the first lines that is
    a heading ending as a regulation's name does (滨海新区…容错免责实施办法（试行）); （试行） and spaces are not
    part of the name."""
    lines: list[tuple[str, int]] = [(doc.metadata.get("title", ""), -1)]
    pos = 0
    while len(lines) <= 8 and pos <= len(doc.text):  # the first 8 lines, without splitting the whole text
        end = doc.text.find("\n", pos)
        end = len(doc.text) if end < 0 else end
        lines.append((doc.text[pos:end], pos))
        pos = end + 1
    for line, at in lines:
        inner = _IN_TITLE.search(line)
        text = inner.group(1) if inner else line.strip()
        if not inner and (len(text) > 80 or _NOT_A_HEADING.search(text)):
            continue
        name = clean_label(_TRIAL.sub("", text))
        if len(name) >= 6 and name.endswith(heads) and not name.startswith("本"):
            if at < 0 or inner:
                return name, 0, 0
            lead = len(line) - len(line.lstrip())
            return name, at + lead, at + len(line.rstrip())
    return None


@register("self_reference")
def self_references(doc: Document, rule: dict, ctx: Context) -> Iterator[Mention]:
    """本办法, 本实施办法, 本意见 …: the regulation the document is (``own_regulation``); its heading line, when
    the name is read from the text, is a mention of it too. Nothing when the document names no such title."""
    refs = list(rule["_pattern"].finditer(doc.text))
    if not refs:
        return  # most documents: no 本X, no need to look for a title
    heads = tuple(sorted(ctx.rules.words.get("regulation_heads", ()), key=len, reverse=True))
    found = own_regulation(doc, heads)
    if found is None:
        return
    name, hs, he = found
    refs = [m for m in refs if name.endswith(m.group("head"))]
    if refs and he > hs:
        yield Mention(type="mechanism", surface=name, key=name, start=hs, end=he, rule=rule["id"])
    for m in refs:
        yield Mention(type="mechanism", surface=m.group(), key=name, start=m.start(), end=m.end(), rule=rule["id"])
