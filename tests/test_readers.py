"""The readers of PDFs, saved web pages, OpenDocument and the formats only reported: on documents made here
(``makedocs``) as researchers hold them, asserting on what becomes an entity and what does not."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengji_kg.ingest import IngestError, SourceFile, iter_corpus_files, parse_source
from zhengji_kg.ingest.readers import pdf as pdf_reader
from zhengji_kg.ingest.readers import readers

from . import makedocs

pytest.importorskip("reportlab", reason="the PDF tests make their PDFs with reportlab (pip install -e '.[test]')")


def doc_of(name: str, raw: bytes, run_extract=None):
    doc = parse_source(SourceFile(name, raw))
    return run_extract(doc) if run_extract else doc


@pytest.fixture
def extract():
    from zhengji_kg.base.rules import load_rules
    from zhengji_kg.pipeline.worker import extract_document

    rules = load_rules()
    return lambda doc: extract_document(doc, rules)


def keys(doc, etype: str) -> set[str]:
    return {m.key for m in doc.mentions if m.type == etype}


# ---------------------------------------------------------------- PDF


@pytest.mark.parametrize("numbers", ["dash", "of"])
def test_pdf_text_without_page_furniture_and_with_paragraphs_whole(numbers: str) -> None:
    doc = doc_of("notice.pdf", makedocs.notice_pdf(page_number_style=numbers))
    lines = doc.text.split("\n")
    assert makedocs.RUNNING_HEADER not in doc.text
    assert "— 1 —" not in doc.text and "第1页" not in doc.text and "共2页" not in doc.text
    # every paragraph is one line again: words cut by line ends (and the one cut by the page break) joined
    for para in makedocs.NOTICE_PARAGRAPHS:
        assert para in lines
    # the 红头 and the title open the text; 文号 and date are metadata (their lines are not text)
    assert lines[:2] == [makedocs.NOTICE_HEAD, makedocs.NOTICE_TITLE]
    assert lines[-1] == makedocs.NOTICE_SIGNATURE[0]
    assert doc.metadata["title"] == makedocs.NOTICE_TITLE
    assert doc.metadata["docno"] == makedocs.NOTICE_NUMBER
    assert doc.metadata["date"] == "2026-03-02"  # the signature's date, not the file's creation date


def test_pdf_entities_and_issuer(extract) -> None:
    doc = doc_of("notice.pdf", makedocs.notice_pdf(), extract)
    assert {"正确政绩观", "显绩", "潜绩", "三个区分开来"} <= keys(doc, "concept")
    assert {"干部实绩档案", "容错纠错机制"} <= keys(doc, "mechanism")
    assert "中共三明市委组织部" in keys(doc, "organization")
    assert not any(k.startswith("委") for k in keys(doc, "organization"))  # 县（市、区）委组织部 names no body
    # evidence offsets index the extracted text
    for m in doc.mentions:
        assert doc.text[m.start : m.end] in (m.surface, m.surface.replace("”", "").replace("“", ""))


def test_pdf_without_text_layer_encrypted_or_damaged_is_skipped_with_the_reason() -> None:
    with pytest.raises(IngestError, match=r"without a text layer.*OCR"):
        parse_source(SourceFile("scan.pdf", makedocs.scanned_pdf()))
    with pytest.raises(IngestError, match="encrypted PDF"):
        parse_source(SourceFile("locked.pdf", makedocs.encrypted_pdf()))
    whole = makedocs.notice_pdf()
    with pytest.raises(IngestError, match="not a readable PDF"):
        parse_source(SourceFile("cut.pdf", whole[: len(whole) // 3]))
    with pytest.raises(IngestError, match="not a readable PDF"):
        parse_source(SourceFile("fake.pdf", "这不是PDF文件，只是改了扩展名。".encode()))


def _wrapped(paragraphs: list[str], width: int, size: float = 14.0) -> list[pdf_reader.Line]:
    """Paragraphs typeset as a PDF page sets them: first lines indented two characters, lines cut at
    ``width`` characters wherever that falls."""
    out = []
    y = 800.0
    for para in paragraphs:
        for indent, text in makedocs._wrap(para, width):
            left = 72 + indent * size
            out.append(pdf_reader.Line(text, left, left + len(text) * size, y - size, y))
            y -= 1.7 * size
    return out


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_PARAGRAPH = st.builds(
    lambda body, end: body + end,
    st.text(alphabet=st.one_of(_HAN, st.sampled_from("，、")), min_size=1, max_size=120),
    st.sampled_from(["。", "！", "；", ""]),
)


_LONG = st.text(alphabet=_HAN, min_size=41, max_size=90).map(lambda t: t + "。")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_PARAGRAPH, max_size=6),
    _LONG,
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=12, max_value=40),
    st.integers(1, 3),
)
def test_join_restores_the_paragraphs_a_page_wrapped(
    others: list[str], long: str, at: int, width: int, pages: int
) -> None:
    # one paragraph longer than a line at least: the page has a full line, so where its margins are is seen
    paragraphs = [*others[:at], long, *others[at:]]
    lines = _wrapped(paragraphs, width)
    # a page break anywhere: the lines split into pages in order
    step = max(1, len(lines) // pages)
    split = [lines[i : i + step] for i in range(0, len(lines), step)]
    # a paragraph ending in mid-sentence at the margin is joined with the next unless that one is
    # indented — and every paragraph's first line is
    assert pdf_reader._join(split).split("\n") == paragraphs


@pytest.mark.parametrize(
    ("line", "is_number"),
    [
        ("— 3 —", True),
        ("- 12 -", True),
        ("3", True),
        ("第3页 共8页", True),
        ("第 3 页", True),
        ("3/8", True),
        ("Page 2 of 9", True),
        ("共8页 第3页", True),
        ("第三章 考核评价", False),
        ("2024年", False),
        ("三、工作要求", False),
    ],
)
def test_page_number_lines(line: str, is_number: bool) -> None:
    assert bool(pdf_reader._PAGE_NUMBER.match(line)) is is_number


# ---------------------------------------------------------------- saved web pages


def test_news_page_article_only_with_its_metadata(extract) -> None:
    doc = doc_of("news.html", makedocs.news_page("gbk"), extract)
    for para in makedocs.ARTICLE_PARAGRAPHS:
        assert para in doc.text
    for furniture in (
        "福州",
        "厦门",
        "莆田",
        "泉州",
        "漳州",
        "宁德",
        "南平",
        "鼓楼区",
        "相关阅读",
        "责任编辑",
        "分享到",
    ):
        assert furniture not in doc.text, furniture
    assert keys(doc, "place") == {"三明市"} or keys(doc, "place") <= {"三明市", "福建省"}
    assert "正确政绩观" in keys(doc, "concept")
    mechanisms = keys(doc, "mechanism")
    assert {"干部实绩档案", "容错纠错机制"} <= mechanisms
    assert not any(k.endswith("提供制度") for k in mechanisms)
    assert "重点项目攻坚激励机制" not in mechanisms and "干部考核数据平台" not in mechanisms
    assert doc.metadata == {
        "title": makedocs.ARTICLE_TITLE,
        "date": "2026-03-05",
        "date_basis": "metadata",
        "publisher": "海峡示例网",
        "author": "林晓",
        "url": "https://news.example.com.cn/fj/2026-03/05/c_1130.htm",
    }
    assert doc.text.split("\n")[0] == makedocs.ARTICLE_TITLE


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "GB18030", "utf-8"])
def test_page_decoded_in_the_charset_it_declares(charset: str) -> None:
    doc = doc_of("p.htm", makedocs.news_page(charset))
    assert makedocs.ARTICLE_PARAGRAPHS[1] in doc.text
    assert not doc.notes


def test_page_that_declares_the_wrong_charset_is_read_and_noted() -> None:
    raw = makedocs.news_page("gbk").replace(b"charset=gbk", b"charset=utf-8")
    doc = doc_of("p.html", raw)
    assert makedocs.ARTICLE_PARAGRAPHS[0] in doc.text
    assert any("declares utf-8" in n for n in doc.notes)


def test_page_without_main_text_is_read_whole_and_noted() -> None:
    doc = doc_of("list.html", makedocs.news_page("utf-8", article=False))
    assert any("no main text" in n for n in doc.notes)
    assert "三明：用干部实绩档案引导干部创实绩" in doc.text and "福州" in doc.text  # the page, nav and all
    assert "泉州市上线干部考核数据平台" not in doc.text  # but a list of links under its header is still furniture


# ---------------------------------------------------------------- other formats


def test_odt_is_read() -> None:
    odfdo = pytest.importorskip("odfdo")
    d = odfdo.Document("text")
    d.body.append(odfdo.Header(1, "关于完善容错纠错机制的意见"))
    d.body.append(odfdo.Paragraph("各地要落实“三个区分开来”，完善容错纠错机制。"))
    buf = io.BytesIO()
    d.save(buf)
    doc = doc_of("a.odt", buf.getvalue())
    assert doc.text.split("\n") == ["关于完善容错纠错机制的意见", "各地要落实“三个区分开来”，完善容错纠错机制。"]
    with pytest.raises(IngestError, match=r"not a readable \.odt"):
        doc_of("b.odt", b"PK\x03\x04 broken")


@pytest.mark.parametrize(("suffix", "hint"), [(".doc", "--convert-to docx"), (".wps", "另存为"), (".ofd", "to PDF")])
def test_formats_not_read_say_how_to_convert(suffix: str, hint: str) -> None:
    with pytest.raises(IngestError, match="not read") as err:
        doc_of("old" + suffix, b"\xd0\xcf\x11\xe0 binary")
    assert hint in str(err.value)


def test_every_reader_declares_its_suffixes() -> None:
    found = readers()
    assert {".txt", ".md", ".html", ".htm", ".docx", ".odt", ".pdf", ".doc", ".wps"} <= set(found)
    assert all(s.startswith(".") and s == s.lower() for s in found)


def test_files_of_no_document_format_are_listed_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("各地要完善容错纠错机制。", encoding="utf-8")
    (tmp_path / "a.meta.yaml").write_text("title: 甲\n", encoding="utf-8")
    (tmp_path / "SOURCES.tsv").write_text("a\tb\n", encoding="utf-8")
    (tmp_path / "photo.JPG").write_bytes(b"\xff\xd8")
    (tmp_path / "old.DOC").write_bytes(b"\xd0\xcf")
    others: list = []
    found = [f.name for f, _ in iter_corpus_files([tmp_path], others)]
    assert found == ["a.txt", "old.DOC"]
    assert sorted(f.name for f, _ in others) == ["SOURCES.tsv", "photo.JPG"]


# ---------------------------------------------------------------- the build, as a user runs it


def test_build_of_a_folder_of_pages_and_pdfs(tmp_path: Path) -> None:
    import rdflib

    docs = tmp_path / "pages"
    docs.mkdir()
    (docs / "news.html").write_bytes(makedocs.news_page("gbk"))
    (docs / "notice.pdf").write_bytes(makedocs.notice_pdf())
    (docs / "scan.pdf").write_bytes(makedocs.scanned_pdf())
    (docs / "old.wps").write_bytes(b"\xd0\xcf\x11\xe0")
    (docs / "list.tsv").write_text("a\tb\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "zhengji_kg", "build", str(docs), "-o", str(out), "-q", "--no-cache"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 3, proc.stderr
    assert "documents: 2 read, 2 skipped, 1 not documents" in proc.stdout
    assert "skipped scan.pdf: PDF without a text layer" in proc.stderr
    assert "skipped old.wps: WPS .wps files are not read" in proc.stderr
    assert "not read: 1 file of no document format (list.tsv)" in proc.stderr
    g = rdflib.Graph().parse(out / "graph.ttl")
    rows = g.query(
        """PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
        SELECT ?type ?label WHERE { ?e a ?t ; skos:prefLabel ?label . BIND(STRAFTER(STR(?t), "#") AS ?type) }"""
    )
    labels: dict[str, set[str]] = {}
    for t, label in rows:
        labels.setdefault(str(t), set()).add(str(label))
    assert labels["Place"] <= {"三明市", "福建省"}
    assert "正确政绩观" in labels["Concept"]
    assert not any(k.endswith("提供制度") for k in labels["Mechanism"])
    assert "中共三明市委组织部" in labels["Organization"]


def test_short_article_page_leaves_its_furniture_out(extract) -> None:
    """Issue 28: a two-paragraph article on a GBK page with a bar of five cities, two related headlines and a
    copyright footer — trafilatura keeps such a page whole; none of the furniture may become text, or
    entities."""
    paragraphs = [
        "三明市近日推行干部实绩档案，把干部在重点项目中的表现逐项记入档案。",
        "市委组织部表示，这一做法引导干部树立正确政绩观。",
    ]
    raw = makedocs.news_page("gbk", paragraphs=paragraphs).replace(
        b"</body>", "<div class='bottom'>版权所有：海峡示例网 闽ICP备00000000号</div></body>".encode("gbk")
    )
    doc = doc_of("short.html", raw, extract)
    for para in paragraphs:
        assert para in doc.text
    furnitures = ("福州", "厦门", "泉州", "漳州", "相关阅读", "干部考核数据平台", "重点项目攻坚激励机制", "版权所有")
    for furniture in furnitures:
        assert furniture not in doc.text, furniture
    assert keys(doc, "place") <= {"三明市", "福建省"}
    assert keys(doc, "mechanism") == {"干部实绩档案"}
    assert not any("no main text" in n for n in doc.notes)
