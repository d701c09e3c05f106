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

from .dates import PartialDate, TimeExpression, find_times
from .model import Document, Relation, Sentence
from .segment import clause_marks

DATED = frozenset({"practicedIn", "establishedBy"})
# an opening clause this short is an adverbial of time (2019年5月， 去年以来， 自2020年起，), not a statement
_OPENER_MAX = 12


def source_date(doc: Document) -> PartialDate | None:
    """The document's own date (ingest put it in ISO form), or None."""
    try:
        return PartialDate.from_iso(doc.metadata.get("date", ""))
    except ValueError:
        return None


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
            own = _positions((r.subject,), sent, spans)
            at = _positions((r.subject, r.object), sent, spans)
            stated = stated_date(sent, found, at, source, own) if found else None
            if stated is not None:
                r = replace(r, date=stated.iso(), date_basis="stated")
            elif source is not None:
                r = replace(r, date=source.iso(), date_basis="by-source")
        out.append(r)
    return out


def stated_date(
    sent: Sentence, times: list[TimeExpression], at: list[int], source: PartialDate | None, own: list[int] = ()
) -> PartialDate | None:
    """The date a sentence states for a relation whose mentions stand at ``at`` (offsets in the sentence;
    empty when neither is in it) and whose subject stands at ``own``: the first time of the subject's own
    clause (温州市于2014年出台…，此后又于2016年出台《办法》: the 办法 is of 2016), else the first time of the
    clauses the relation spans, else the time of an opening adverbial. A vague time (近年来) there dates
    nothing, and nor does a time after the source's date."""
    text = sent.text
    marks = clause_marks(text)
    lo = len(text)
    for span in (own, at):
        if not span:
            continue
        lo_i = bisect_left(marks, min(span))
        hi_i = bisect_right(marks, max(span))
        lo = marks[lo_i - 1] + 1 if lo_i else 0
        hi = marks[hi_i] if hi_i < len(marks) else len(text)
        inside = [t for t in times if lo <= t.start < hi]
        if inside:
            return _event(inside[0], source)
    first = marks[0] if marks else len(text)
    if first <= _OPENER_MAX and first < lo:
        opener = [t for t in times if t.end <= first]
        if opener:
            return _event(opener[0], source)
    return None


def _event(t: TimeExpression, source: PartialDate | None) -> PartialDate | None:
    d = t.resolve(source)
    if d is None or (source is not None and d > source and not _within(d, source)):
        return None  # vague, unresolvable, or later than the source: a plan, not what happened
    return d


def _within(d: PartialDate, source: PartialDate) -> bool:
    """9月5日 in a source dated only 2023-09 is not after it: it falls inside the source's own period."""
    return d.year == source.year and (not source.month or d.month == source.month) and not source.day


def _mention_spans(doc: Document) -> dict[tuple[str, str], list[int]]:
    spans: dict[tuple[str, str], list[int]] = {}
    for m in doc.mentions:
        spans.setdefault((m.type, m.key), []).append(m.start)
    return spans


def _positions(keys: tuple[tuple[str, str], ...], sent: Sentence, spans: dict[tuple[str, str], list[int]]) -> list[int]:
    """Where the entities ``keys`` are mentioned in the sentence (offsets in the sentence)."""
    at = []
    for key in keys:
        for start in spans.get(key, ()):
            if sent.start <= start < sent.end:
                at.append(start - sent.start)
    return at
