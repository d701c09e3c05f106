"""Dates as Chinese texts write them, with the precision they are written with.

A source says 2024年9月2日, 2024-09-02, 二〇二四年九月二日 or only 2024年9月; a sentence says 2019年, 去年 or
今年以来. A diffusion study needs each as precisely as it is known and no more: 2019年 is the year 2019,
not 1 January 2019. ``PartialDate`` keeps year, month and day, any of the last two unknown; ``parse_date``
reads a date written alone (a metadata field, a byline, a signature line); ``find_times`` finds the time
expressions of a sentence and ``TimeExpression.resolve`` turns one into a date, relative ones (去年,
3月) against the source's own date — never against today's, which a corpus read years later does not share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

PRECISIONS = ("year", "month", "day")
_EARLIEST, _LATEST = 1949, 2100  # a year outside is a number, not a date of this field


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day. Ordered as its ISO text is: 2019 < 2019-05 < 2019-05-02
    < 2020 (a year sorts at its start)."""

    year: int
    month: int = 0  # 0: not known
    day: int = 0

    def __post_init__(self) -> None:
        if not _EARLIEST <= self.year <= _LATEST:
            raise ValueError(f"year {self.year} out of range")
        if self.day and not self.month:
            raise ValueError("a day without a month")
        if self.month:
            date(self.year, self.month, self.day or 1)  # raises ValueError for 2月30日

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def iso(self) -> str:
        """2019, 2019-05 or 2019-05-02: the lexical form of xsd:gYear, xsd:gYearMonth or xsd:date."""
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @classmethod
    def from_iso(cls, text: str) -> PartialDate:
        """The inverse of ``iso``; ``ValueError`` for anything else."""
        m = _ISO.fullmatch(text)
        if not m:
            raise ValueError(f"not a date of the form YYYY, YYYY-MM or YYYY-MM-DD: {text!r}")
        return cls(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))

    def __str__(self) -> str:
        return self.iso()


_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")

# ---------------------------------------------------------------- numerals

# 〇 as written, ○ and Ｏ as often typed for it
_DIGIT = dict(zip("〇○零Ｏ一二三四五六七八九", (0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_CN = "〇○零Ｏ一二三四五六七八九十"


def _number(text: str) -> int | None:
    """12, 一二, 十二, 二十一, 三十: a Chinese number of at most two places (months, days) or digits."""
    text = text.translate(_FULLWIDTH)
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        t = _DIGIT.get(tens, -1) if tens else 1
        o = _DIGIT.get(ones, -1) if ones else 0
        return None if t < 0 or o < 0 else t * 10 + o
    if len(text) == 1 and text in _DIGIT:
        return _DIGIT[text]
    return None


def _year(text: str) -> int | None:
    """2024, ２０２４ or 二〇二四 (a year is written digit by digit)."""
    text = text.translate(_FULLWIDTH)
    if text.isdigit():
        return int(text) if len(text) == 4 else None
    if len(text) == 4 and all(c in _DIGIT for c in text):
        return int("".join(str(_DIGIT[c]) for c in text))
    return None


# ---------------------------------------------------------------- a date written alone

_Y = "[0-9０-９]{4}|[〇○零Ｏ一二三四五六七八九]{4}"
_MD = "[0-9０-９]{1,2}|[〇一二三四五六七八九十]{1,3}"
# 2024年9月2日 / 二〇二四年九月二日 / 2024年9月 / 2024年 (the 日 may be left off, spaces may stand between)
_WRITTEN = re.compile(rf"({_Y})\s*年(?:\s*({_MD})\s*月(?:\s*({_MD})\s*[日号]?)?)?")
# 2024-09-02, 2024/9/2, 2024.9.2, 2024-09 (ISO and the forms web pages print)
_NUMERIC = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})(?:[-/.](\d{1,2}))?(?!\d)")
# either form, as a pattern to write into others (a byline's date: （中共X县委组织部 2025年4月印发）)
DATE_PATTERN = f"(?:{_WRITTEN.pattern}|{_NUMERIC.pattern})"


def parse_date(text: str) -> PartialDate | None:
    """The first date written in ``text`` (a metadata value, a byline, a signature line), as precisely as it
    is written; ``None`` when there is none or it cannot be a date (2024年2月30日)."""
    text = text.strip()
    best: tuple[int, PartialDate] | None = None
    for rx in (_NUMERIC, _WRITTEN):
        for m in rx.finditer(text):
            d = _from_parts(m.group(1), m.group(2), m.group(3))
            if d is not None:
                if best is None or m.start() < best[0]:
                    best = (m.start(), d)
                break
    return best[1] if best else None


def _from_parts(y: str, mo: str | None, d: str | None) -> PartialDate | None:
    year = _year(y)
    month = _number(mo) if mo else 0
    day = _number(d) if d else 0
    if year is None or month is None or day is None:
        return None
    try:
        return PartialDate(year, month, day)
    except ValueError:
        return None


# ---------------------------------------------------------------- times in a sentence


@dataclass(frozen=True)
class TimeExpression:
    """A time a sentence states: absolute (2019年5月), relative to the source's date (去年, 今年以来,
    3月12日 without a year), vague (近年来, 近期: it dates nothing), or ahead (到2025年, 明年: a plan)."""

    start: int
    end: int
    text: str
    kind: str  # "absolute", "relative", "vague" or "ahead" (a deadline or a target: no event's date)
    date: PartialDate | None = None  # absolute: the date written
    years_back: int | None = None  # relative: 0 this year (今年), 1 last year (去年), 2 (前年); None: not said
    month: int = 0  # relative: a month (and day), with a relative year or none
    day: int = 0

    def resolve(self, source: PartialDate | None) -> PartialDate | None:
        """The date this expression names: an absolute one as written; a relative one against ``source``
        (the document's own date; ``None`` without it); a vague one never. A month without a year is the
        source's year, or the year before when that month has not come yet at the source's date."""
        if self.kind == "absolute":
            return self.date
        if self.kind != "relative" or source is None:
            return None
        if self.years_back is not None:  # 去年, 今年3月
            year = source.year - self.years_back
        elif not source.month:
            return None  # a source dated only by its year cannot place 3月 in a year for sure
        else:  # 3月12日: the source's year, or the one before when that day has not come yet
            year = source.year - ((self.month, self.day) > (source.month, source.day or 31))
        try:
            return PartialDate(year, self.month, self.day)
        except ValueError:
            return None


_RELATIVE_YEARS = {"今年": 0, "本年": 0, "去年": 1, "上一年": 1, "上年": 1, "前年": 2}
_MONTH_DAY = rf"(?:\s*(?:{_MD})\s*月(?:\s*(?:{_MD})\s*[日号])?)?"
_TIME = re.compile(
    # 2018—2020年, 2018-2020年: a span of years, dated by its start
    rf"(?P<range>({_Y})\s*[—–\-~～]\s*(?:{_Y})\s*年)"
    rf"|(?P<abs>(?:{_Y})\s*年{_MONTH_DAY}|(?<!\d)\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d))"
    # 以上年龄, 以前年度, 提前年: no 上年 or 前年 there
    rf"|(?P<rel>(?<![以之提])(?:今年|本年|去年|上一年|上年|前年){_MONTH_DAY})"
    r"|(?P<future>明年|后年|下一年|下一步|下半年)"
    # 统一月度, 单一月份, 每一月: no 一月 there
    rf"|(?P<md>(?<![0-9０-９年{_CN}统单同每唯逐])(?:{_MD})\s*月(?:\s*(?:{_MD})\s*[日号])?)"
    r"|(?P<vague>近年来|近年|近些年|近几年|近期|近日|日前|此前|目前|当前|以往|过去)"
)
# before a time, these make it a deadline or a plan (到2025年, 力争2025年, 拟于2024年), not when something
# happened; 至 is also the second end of a range (2018年至2020年), which is dated by its start (截至2023年底:
# as of then, a date)
_AHEAD = re.compile(r"(到|(?<!截)至|力争|争取|计划|预计|目标|拟|拟于|将于|将在|要在|力争在|确保)\s*$")
# after it: 2025年前, 2035年远景目标, 2024年将… (but 2019年前后, 今年前三季度, 2019年要求 are no plans)
_AHEAD_AFTER = re.compile(
    r"^\s*(以前|之前|底前|年底前|前(?![后三两一二四五六七八九十]|季|期)|将|要(?!求)|力争|远景|目标)"
)


def find_times(text: str) -> Iterator[TimeExpression]:
    """The time expressions of ``text`` in order. A deadline or a target (到2025年, 2025年前, 力争2025年,
    2035年远景目标, 明年) is of kind "ahead": it dates no event, and says the sentence speaks of a plan."""
    for m in _TIME.finditer(text):
        before = text[max(0, m.start() - 4) : m.start()]
        after = text[m.end() : m.end() + 4]
        kind = m.lastgroup
        if kind == "future" or (kind != "vague" and (_AHEAD.search(before) or _AHEAD_AFTER.match(after))):
            yield TimeExpression(m.start(), m.end(), m.group(), "ahead")
            continue
        if kind == "range":
            d = parse_date(m.group(2) + "年")
            if d is not None:
                yield TimeExpression(m.start(), m.end(), m.group(), "absolute", date=d)
        elif kind == "abs":
            d = parse_date(m.group())
            if d is not None:
                yield TimeExpression(m.start(), m.end(), m.group(), "absolute", date=d)
        elif kind in ("rel", "md"):
            written = m.group()
            back = None
            if kind == "rel":
                word = next(w for w in _RELATIVE_YEARS if written.startswith(w))
                back, written = _RELATIVE_YEARS[word], written[len(word) :]
            month = day = 0
            if written.strip():
                mo, _, rest = written.partition("月")
                month = _number(mo.strip()) or 0
                day = _number(rest.strip().rstrip("日号").strip()) if rest.strip() else 0
                if not 1 <= month <= 12 or day is None:
                    continue
            yield TimeExpression(m.start(), m.end(), m.group(), "relative", years_back=back, month=month, day=day)
        else:
            yield TimeExpression(m.start(), m.end(), m.group(), "vague")
