"""Dated sources, dated relations and the adoption table (`zhengji-kg diffusion`).

The corpus here is our own: six short reports whose dates are known because we wrote them — stated in the
sentence (2019年5月, 2020年), relative (去年以来) against a signature in Chinese numerals, from a sidecar only,
from a byline only, undated, and two sources that disagree about one place.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg import build
from zhengji_kg.base.dates import PartialDate, find_times, parse_date
from zhengji_kg.base.model import Sentence
from zhengji_kg.cli import main
from zhengji_kg.extract.dating import PLAN, stated_date
from zhengji_kg.ingest import normalise_date, parse_source
from zhengji_kg.ingest.files import SourceFile
from zhengji_kg.outputs.diffusion import COLUMNS, adoptions, adoptions_from_file, cumulative, select, to_csv

# ---------------------------------------------------------------- dates as written

_CN = "〇一二三四五六七八九"


def _cn_year(y: int) -> str:
    return "".join(_CN[int(c)] for c in str(y))


def _cn_small(n: int) -> str:
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (_CN[ones] if ones else "")


@pytest.mark.parametrize(
    ("written", "iso", "precision"),
    [
        ("2024-09-02", "2024-09-02", "day"),
        ("2026/2/26 20:48", "2026-02-26", "day"),
        ("发布时间：2023-09-01 10:00", "2023-09-01", "day"),
        ("2024年10月29日", "2024-10-29", "day"),
        ("二〇二四年九月二日", "2024-09-02", "day"),
        ("二〇一九年十二月三十一日", "2019-12-31", "day"),
        ("２０２４年１０月", "2024-10", "month"),
        ("2024年9月", "2024-09", "month"),
        ("2024年", "2024", "year"),
    ],
)
def test_a_date_keeps_the_precision_it_is_written_with(written: str, iso: str, precision: str) -> None:
    d = parse_date(written)
    assert d is not None and d.iso() == iso and d.precision == precision


@pytest.mark.parametrize("written", ["2024年2月30日", "2024-13-01", "3000余名干部", "近年来", ""])
def test_what_is_no_date_gives_none(written: str) -> None:
    assert parse_date(written) is None


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_every_written_form_of_a_day_reads_back_to_it(d: date) -> None:
    forms = [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{_cn_year(d.year)}年{_cn_small(d.month)}月{_cn_small(d.day)}日",
    ]
    for form in forms:
        assert parse_date(form) == PartialDate(d.year, d.month, d.day), form
    assert PartialDate.from_iso(d.isoformat()).iso() == d.isoformat()


def test_a_year_or_a_month_sorts_before_the_days_inside_it() -> None:
    assert PartialDate(2019) < PartialDate(2019, 5) < PartialDate(2019, 5, 2) < PartialDate(2020)
    assert normalise_date("2024") == "2024" and normalise_date("二〇二四年九月") == "2024-09"


@pytest.mark.parametrize(
    ("sentence", "source", "expected"),
    [
        ("2019年5月，湖州市建立了干部实绩档案。", PartialDate(2023, 9, 1), ["2019-05"]),
        ("去年以来，我市推行干部实绩档案。", PartialDate(2023, 9, 1), ["2022"]),
        ("今年3月，该县出台办法。", PartialDate(2023, 9, 1), ["2023-03"]),
        # a day later in the year than the source's date is last year's
        ("12月11日，市委召开会议。", PartialDate(2024, 3, 5), ["2023-12-11"]),
        ("3月8日，市委召开会议。", PartialDate(2024, 3, 5), ["2023-03-08"]),
        # a relative time without the source's date dates nothing: never today's year
        ("去年以来，我市推行干部实绩档案。", None, [None]),
        ("近年来，各地探索建立容错纠错机制。", PartialDate(2023), [None]),
        # deadlines and targets are no dates of events (kind "ahead"); a range dates from its start
        ("到2025年，全面建成容错纠错机制。", PartialDate(2023), [None]),
        ("力争2025年前完成。", PartialDate(2023), [None]),
        ("2018年至2020年，三地试点这一机制。", PartialDate(2023), ["2018", None]),
        ("2018—2020年，三地试点这一机制。", PartialDate(2023), ["2018"]),
        ("截至2023年底，长兴县已建立这一机制。", PartialDate(2024, 3, 1), ["2023"]),
        # words that hold no time: 统一月度, 以上年龄, 以前年度; 2019年前后 and 2019年要求 are dates
        ("统一月度考核，60岁以上年龄段，以前年度。", PartialDate(2023), []),
        ("2019年前后，2019年要求各地。", PartialDate(2023), ["2019", "2019"]),
    ],
)
def test_times_of_a_sentence_resolved_against_the_source(sentence: str, source, expected: list) -> None:
    found = [t.resolve(source) for t in find_times(sentence)]
    assert [d.iso() if d else None for d in found] == expected


def _sent(text: str) -> Sentence:
    return Sentence(0, len(text), text)


def _stated(text: str, subject: str, place: str, source=None):
    subj = [m.start() for m in re.finditer(re.escape(subject), text)]
    obj = [m.start() for m in re.finditer(re.escape(place), text)]
    return stated_date(_sent(text), list(find_times(text)), subj, obj, source)


@pytest.mark.parametrize(
    ("text", "subject", "place", "source", "expected"),
    [
        # the subject's own clause
        ("温州市于2014年出台《若干意见》，此后又于2016年出台容错免责办法。", "容错免责办法", "温州市", None, "2016"),
        # an opening adverbial dates the sentence; after a semicolon, its part
        ("2019年5月，湖州市在全市推行干部实绩档案，记录实绩。", "干部实绩档案", "湖州市", None, "2019-05"),
        ("2016年，安吉县出台容错免责办法；2021年，德清县出台容错免责办法。", "容错免责办法", "安吉县", None, "2016"),
        ("2016年，安吉县出台容错免责办法；2021年，德清县出台容错免责办法。", "容错免责办法", "德清县", None, "2021"),
        # a name twice: the mention nearest the place is the relation's
        ("继2015年安吉县建立干部实绩档案后，德清县于2021年推行干部实绩档案。", "干部实绩档案", "德清县", None, "2021"),
        # a time between the place and the name is theirs
        ("安吉县在2015年、德清县在2020年分别建立干部实绩档案。", "干部实绩档案", "德清县", None, "2020"),
        # a vague word does not hide the date beside it
        ("德清县目前已于2019年建立容错纠错机制。", "容错纠错机制", "德清县", PartialDate(2023, 6, 1), "2019"),
        ("近年来，德清县建立容错纠错机制。", "容错纠错机制", "德清县", PartialDate(2023, 6, 1), None),
    ],
)
def test_the_relation_takes_its_own_time(text: str, subject: str, place: str, source, expected) -> None:
    d = _stated(text, subject, place, source)
    assert (d.iso() if d else None) == expected


@pytest.mark.parametrize(
    "text",
    [
        "到2025年，德清县将全面推行容错纠错机制。",
        "德清县拟于2024年建立容错纠错机制。",
        "德清县计划明年建立容错纠错机制。",
        "为实现2035年远景目标，德清县建立容错纠错机制。",
        "德清县将于2026年建立容错纠错机制。",
    ],
)
def test_a_plan_is_no_adoption_and_gets_no_date(text: str) -> None:
    """Not the source's date either: that would date as done what is still to come."""
    assert _stated(text, "容错纠错机制", "德清县", PartialDate(2024, 1, 1)) is PLAN


# ---------------------------------------------------------------- a source's date and where it came from


def _read(name: str, text: str, sidecar: str | None = None):
    side = sidecar.encode("utf-8") if sidecar else None
    return parse_source(SourceFile(name, text.encode("utf-8"), side, f"{Path(name).stem}.meta.yaml"))


@pytest.mark.parametrize(
    ("text", "sidecar", "date_", "basis"),
    [
        ("发布时间：2023-03-10 09:00\n湖州市推行干部实绩档案。\n", None, "2023-03-10", "byline"),
        ("时间:2023-09-01 来源:学习强国\n金台区举办擂台赛，激励干部担当。\n", None, "2023-09-01", "byline"),
        ("安吉县推行干部实绩档案。\n中共安吉县委组织部\n二〇二四年九月二日\n", None, "2024-09-02", "signature"),
        ("德清县建立容错纠错机制。\n", "date: 2022年8月\n", "2022-08", "metadata"),
        # a signature's date is the document's own, before its byline's; the last date alone on its line
        (
            "发布时间：2023-03-10\n湖州市推行干部实绩档案。\n中共湖州市委组织部\n2021年6月1日\n",
            None,
            "2021-06-01",
            "signature",
        ),
        ("2015年3月2日\n湖州市推行干部实绩档案。\n中共湖州市委\n2021年6月1日\n", None, "2021-06-01", "signature"),
        ("湖州市推行干部实绩档案。\n成文日期：2021年06月01日\n", None, "2021-06-01", "signature"),
        ("来源：人民网　2023年05月12日08:21\n湖州市推行干部实绩档案。\n", None, "2023-05-12", "byline"),
        # a date that cannot be read gives way to the next one; a sidecar's basis must be one of the three
        ("发布时间：2023-02-30\n湖州市推行干部实绩档案。\n二〇二一年六月一日\n", None, "2021-06-01", "signature"),
        ("发布时间：2023-03-10\n湖州市推行干部实绩档案。\n", "date: 不详\n", "2023-03-10", "byline"),
        ("发布时间：2023-03-10\n湖州市推行干部实绩档案。\n", "date_basis: guessed\n", "2023-03-10", "byline"),
        # a meeting's time in a notice is not the notice's date
        ("会议通知\n时间：2023年5月12日上午9时\n地点：县委会议室\n", None, None, None),
        ("会议通知\n时间：2023-05-12 上午9时\n地点：县委会议室\n", None, None, None),
        ("长兴县建立容错纠错机制。\n", None, None, None),
    ],
)
def test_a_source_is_dated_by_what_it_carries(text: str, sidecar, date_, basis) -> None:
    doc = _read("x.txt", text, sidecar)
    assert doc.metadata.get("date") == date_
    assert doc.metadata.get("date_basis") == basis


def test_a_page_is_never_dated_by_a_year_its_article_mentions() -> None:
    """trafilatura would guess 2015-01-01 from 早在2015年 where the page has no date tag; the byline says."""
    page = (
        "<html><head><title>德清的实绩档案</title></head><body><article><p>发布时间：2023年5月20日</p>"
        "<p>早在2015年，湖州市推行干部实绩档案，记录干部推动高质量发展的实绩，防止只看显绩不看潜绩。</p>"
        "<p>2021年3月，德清县建立容错纠错机制，为担当者担当，为干事者撑腰。</p></article></body></html>"
    )
    doc = parse_source(SourceFile("p.html", page.encode("utf-8")))
    assert (doc.metadata.get("date"), doc.metadata.get("date_basis")) == ("2023-05-20", "byline")


@pytest.mark.parametrize("tag", ["Sun, 18 Jun 2024 08:00:00 +0800", "20240618", "2024-06-18T08:00:00+08:00"])
def test_a_page_is_dated_by_its_meta_tags(tag: str) -> None:
    page = (
        f'<html><head><meta name="publishdate" content="{tag}"><title>湖州推行实绩档案</title></head>'
        "<body><article><p>湖州市推行干部实绩档案，记录干部推动高质量发展的实绩，防止只看显绩不看潜绩。</p>"
        "<p>发布时间：2023-01-01</p></article></body></html>"
    )
    doc = parse_source(SourceFile("p.html", page.encode("utf-8")))
    assert (doc.metadata["date"], doc.metadata["date_basis"]) == ("2024-06-18", "metadata")


# ---------------------------------------------------------------- the adoption table

CORPUS = {
    # stated in its sentence (2019年5月), the source dated by its byline
    "a.txt": "发布时间：2023-03-10\n湖州市推行干部实绩档案\n"
    "2019年5月，浙江省湖州市建立干部实绩档案，记录干部推动发展的实绩。\n",
    # relative (去年以来), resolved against a signature date in Chinese numerals
    "b.txt": "安吉县深化实绩考核\n去年以来，安吉县推行干部实绩档案，把潜绩纳入考核。\n"
    "中共安吉县委组织部\n二〇二四年九月二日\n",
    # dated by its sidecar only (to the month): the source's date is the latest the event can be
    "c.txt": "德清县探索容错纠错\n德清县建立容错纠错机制，为担当者担当。\n",
    "c.meta.yaml": "date: 2022年8月\n",
    # undated: stays undated
    "d.txt": "长兴县的做法\n长兴县建立容错纠错机制，激励干部担当作为。\n",
    # two sources disagree on 德清县 and 干部实绩档案: the earliest (2020, stated) wins over 2021-01-05
    # (by-source); a target year (到2025年) dates nothing
    "e.txt": "发布时间：2023-05-20\n德清县的实绩档案\n"
    "2020年，德清县建立了干部实绩档案。到2025年，德清县将全面推行容错纠错机制。\n",
    "f.txt": "发布时间：2021-01-05\n德清县推行干部实绩档案\n德清县推行干部实绩档案，实绩考核更加精准。\n",
}

EXPECTED = [
    # mechanism, place, year, date, precision, basis, code, level, province, source
    ("实绩考核", "湖州市安吉县", "2024", "2024-09-02", "day", "by-source", "330523", "county", "浙江省", "b"),
    ("容错纠错机制", "湖州市德清县", "2022", "2022-08", "month", "by-source", "330521", "county", "浙江省", "c"),
    ("容错纠错机制", "湖州市长兴县", "", "", "", "", "330522", "county", "浙江省", "d"),
    ("干部实绩档案", "湖州市", "2019", "2019-05", "month", "stated", "330500", "city", "浙江省", "a"),
    ("干部实绩档案", "湖州市德清县", "2020", "2020", "year", "stated", "330521", "county", "浙江省", "e"),
    ("干部实绩档案", "湖州市安吉县", "2023", "2023", "year", "stated", "330523", "county", "浙江省", "b"),
]


@pytest.fixture(scope="module")
def dated(tmp_path_factory) -> tuple[Path, object]:
    src = tmp_path_factory.mktemp("dated")
    for name, text in CORPUS.items():
        (src / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("dated-out")
    res = CliRunner().invoke(main, ["build", str(src), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out, build([src])


def test_diffusion_csv_gives_exactly_the_expected_rows(dated, tmp_path: Path) -> None:
    out, _kg = dated
    f = tmp_path / "adoptions.csv"
    res = CliRunner().invoke(main, ["diffusion", "--graph", str(out), "--csv", str(f)])
    assert res.exit_code == 0, res.output
    data = f.read_bytes()
    assert data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    assert [tuple(r[:10]) for r in rows[1:]] == EXPECTED
    # every row names its sentence, and the sentence holds the place
    assert all(r[10] and r[1].removeprefix("湖州市")[:2] in r[10] for r in rows[1:])


def test_the_canned_query_the_cli_and_the_model_agree(dated) -> None:
    out, kg = dated
    from_query = adoptions_from_file(out / "graph.ttl")
    assert from_query == adoptions(kg)
    cli = CliRunner().invoke(main, ["diffusion", "--graph", str(out), "--format", "tsv"]).output
    lines = [ln.split("\t") for ln in cli.rstrip("\n").split("\n")]
    assert lines[0] == list(COLUMNS)
    assert lines[1:] == [[getattr(a, c) for c in COLUMNS] for a in from_query]
    # the canned query, run as any other, prints the same table
    canned = CliRunner().invoke(main, ["query", "adoptions", "--graph", str(out), "--format", "tsv"]).output
    assert canned == cli
    assert len(list(csv.reader(io.StringIO(to_csv(from_query))))) == len(from_query) + 1


def test_one_mechanism_and_a_clear_error_for_an_unknown_one(dated) -> None:
    out, _kg = dated
    res = CliRunner().invoke(main, ["diffusion", "干部实绩档案", "--graph", str(out)])
    assert res.exit_code == 0 and "湖州市德清县" in res.output and "容错纠错机制" not in res.output
    assert "3 adoptions of 1 mechanism in 3 places; 3 dated (3 stated in their sentence), 0 undated" in res.output
    res = CliRunner().invoke(main, ["diffusion", "干部实绩档", "--graph", str(out)])
    assert res.exit_code == 1 and "did you mean 干部实绩档案" in res.output


def test_the_graph_types_each_date_by_its_precision(dated) -> None:
    from rdflib import Graph, Namespace
    from rdflib.namespace import DCTERMS, XSD

    zj = Namespace("https://w3id.org/zhengji-kg/ontology#")
    out, _kg = dated
    g = Graph().parse(out / "graph.ttl")
    sources = {str(s).rsplit("/", 1)[-1]: (o, g.value(s, zj.dateBasis)) for s, o in g.subject_objects(DCTERMS.date)}
    assert {k: (str(o), o.datatype, str(b)) for k, (o, b) in sources.items()} == {
        "a": ("2023-03-10", XSD.date, "byline"),
        "b": ("2024-09-02", XSD.date, "signature"),
        "c": ("2022-08", XSD.gYearMonth, "metadata"),
        "e": ("2023-05-20", XSD.date, "byline"),
        "f": ("2021-01-05", XSD.date, "byline"),
    }
    events = {(str(d), d.datatype, str(g.value(e, zj.dateBasis))) for e, d in g.subject_objects(zj.eventDate)}
    assert ("2020", XSD.gYear, "stated") in events and ("2022-08", XSD.gYearMonth, "by-source") in events
    # the undated document's relation has no date at all
    undated = [e for e in g.subjects(zj.sentence, None) if "长兴县建立" in str(g.value(e, zj.sentence))]
    assert undated and all(g.value(e, zj.eventDate) is None for e in undated)


def test_the_dated_graph_validates(dated) -> None:
    out, _kg = dated
    res = CliRunner().invoke(main, ["validate", str(out)])
    assert res.exit_code == 0, res.output


def test_cumulative_counts_and_the_svg_chart(dated, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) not installed")
    out, kg = dated
    rows = select(adoptions(kg), "干部实绩档案")
    assert cumulative(rows) == {"干部实绩档案": [(2019, 1), (2020, 2), (2023, 3)]}
    svg = tmp_path / "chart.svg"
    res = CliRunner().invoke(main, ["diffusion", "干部实绩档案", "--graph", str(out), "--plot", str(svg)])
    assert res.exit_code == 0, res.output
    root = ET.parse(svg).getroot()  # well-formed SVG
    texts = "".join(root.itertext())
    # the Chinese labels are text (svg.fonttype none): readable with any Chinese font, and searchable
    assert "湖州市德清县" in texts and "湖州市安吉县" in texts and "2020" in texts
    again = tmp_path / "again.svg"
    CliRunner().invoke(main, ["diffusion", "干部实绩档案", "--graph", str(out), "--plot", str(again)])
    assert again.read_bytes() == svg.read_bytes()  # the same table draws the same file
