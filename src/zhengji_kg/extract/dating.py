"""Date what a document states: when a place took up a mechanism (practicedIn), when a body set it up
(establishedBy).

A sentence may say when — 2019年5月，湖州市建立了… ; 去年以来，该县推行… — in the clause of the relation or
in an opening adverbial that governs the whole sentence. Such a date is ``stated`` (a relative one is
resolved against the source's own date, and a time after the source's date is a target, not an event).
Where the sentence says nothing, or only 近年来, the source's date is the latest the event can have
happened: ``by-source``. Where the source has no date either, the relation has none: a date is never
invented, and never today's.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace

from zhengji_kg.base.dates import PartialDate, TimeExpression, find_times
from zhengji_kg.base.model import Document, Relation, Sentence
from zhengji_kg.base.segment import clause_marks

DATED = frozenset({"practicedIn", "establishedBy"})
# an opening clause this short is an adverbial of time (2019年5月， 去年以来， 自2020年起，), not a statement
_OPENER_MAX = 12


def source_date(doc: Document) -> PartialDate | None:
    """The document's own date (ingest put it in ISO form), or None."""
    try:
        return PartialDate.from_iso(doc.metadata.get("date", ""))
    except ValueError:
        return None


# what ``stated_date`` says of a sentence that speaks of a plan (到2025年, 拟于2024年, a time after the source's
# date): no date at all — not even the source's, which would date as done what is still to come
PLAN = PartialDate(2100)  # a sentinel, told by identity (``is PLAN``)


def date_relations(doc: Document, relations: list[Relation]) -> list[Relation]:
    """``relations`` (the document's, found by ``relate``) with a date on each practicedIn and establishedBy
    that can have one."""
    source = source_date(doc)
    if not any(r.predicate in DATED for r in relations):
        return relations
    times: dict[int, list[TimeExpression]] = {}
    spans = _mention_spans(doc)
    out = []
    for r in relations:
        if r.predicate in DATED:
            sent = r.sentence
            found = times.get(sent.start)
            if found is None:
                found = times[sent.start] = list(find_times(sent.text))
            subj, obj = _positions(r.subject, sent, spans), _positions(r.object, sent, spans)
            stated = stated_date(sent, found, subj, obj, source) if found else None
            if stated is PLAN:
                pass  # what is planned has not happened: no date
            elif stated is not None:
                r = replace(r, date=stated.iso(), date_basis="stated")
            elif source is not None:
                r = replace(r, date=source.iso(), date_basis="by-source")
        out.append(r)
    return out


def stated_date(
    sent: Sentence, times: list[TimeExpression], subj: list[int], obj: list[int], source: PartialDate | None
) -> PartialDate | None:
    """The date a sentence states for a relation whose subject is mentioned at ``subj`` and object at ``obj``
    (offsets in the sentence; either may be empty), ``PLAN`` when it speaks of a plan, ``None`` when it
    says no time.

    Of the subject's mentions the one nearest the object is the relation's (继2015年安吉县建立干部实绩档案后，
    德清县于2021年推行干部实绩档案: 德清县's is the second). The time is looked for in the subject's own
    clause (温州市于2014年出台…，此后又于2016年出台容错免责办法: the 办法 is of 2016), then in the clauses
    the relation spans — a time between the place and the name first (安吉县在2015年、德清县在2020年分别建立…) —,
    then in an adverbial opening the sentence or its part after a semicolon (2019年5月，湖州市…). A vague
    time (近年来) is passed over; a deadline, a target or a time after the source's date is a plan."""
    text = sent.text
    marks = clause_marks(text)
    if subj and obj:  # the subject's mention in the object's clause, else the nearest one

        def apart(p: tuple[int, int]) -> tuple[bool, int, tuple[int, int]]:
            return bisect_left(marks, p[0]) != bisect_left(marks, p[1]), abs(p[0] - p[1]), p

        s, o = min(((s, o) for s in subj for o in obj), key=apart)
        subj, obj = [s], [o]
    elif subj:
        subj = subj[:1]
    lo = len(text)
    for span in (subj, subj + obj):
        if not span:
            continue
        lo_i, hi_i = bisect_left(marks, min(span)), bisect_right(marks, max(span))
        lo = marks[lo_i - 1] + 1 if lo_i else 0
        hi = marks[hi_i] if hi_i < len(marks) else len(text)
        inside = [t for t in times if lo <= t.start < hi and t.kind != "vague"]
        if subj and obj:  # a time between the place and the name is theirs
            a, b = sorted((subj[0], obj[0]))
            inside = [t for t in inside if a < t.start < b] + [t for t in inside if not a < t.start < b]
        if inside:
            return _event(inside[0], source)
    # an opening adverbial of the sentence, or of its part after a semicolon, that holds the relation
    seg = max((i + 1 for i, ch in enumerate(text[:lo]) if ch in "；;"), default=0)
    first = next((m for m in marks if m > seg), len(text))
    if first - seg <= _OPENER_MAX and first <= lo:
        opener = [t for t in times if seg <= t.start and t.end <= first and t.kind != "vague"]
        if opener:
            return _event(opener[0], source)
    return None


def _event(t: TimeExpression, source: PartialDate | None) -> PartialDate | None:
    if t.kind == "ahead":
        return PLAN
    d = t.resolve(source)
    if d is None:
        return None  # relative without the source's date to resolve it against
    if source is not None and d > source and not _within(d, source):
        return PLAN  # later than the source: a plan, not what happened
    return d


def _within(d: PartialDate, source: PartialDate) -> bool:
    """9月5日 in a source dated only 2023-09 is not after it: it falls inside the source's own period."""
    return d.year == source.year and (not source.month or d.month == source.month) and not source.day


def _mention_spans(doc: Document) -> dict[tuple[str, str], list[int]]:
    spans: dict[tuple[str, str], list[int]] = {}
    for m in doc.mentions:
        spans.setdefault((m.type, m.key), []).append(m.start)
    return spans


def _positions(key: tuple[str, str], sent: Sentence, spans: dict[tuple[str, str], list[int]]) -> list[int]:
    """Where the entity ``key`` is mentioned in the sentence (offsets in the sentence), in order."""
    return [start - sent.start for start in spans.get(key, ()) if sent.start <= start < sent.end]
