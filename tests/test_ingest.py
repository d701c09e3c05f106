"""Ingestion: formats, encodings, traditional → simplified, boilerplate, metadata, bad files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengji_kg.ingest import (
    Boilerplate,
    IngestError,
    clean_text,
    decode_bytes,
    iter_corpus_files,
    load_boilerplate,
    read_document,
    to_simplified,
)

from .conftest import ROOT, SEEDS

TEXT = "我县建立干部实绩档案，既看显绩也看潜绩。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "gbk", "big5"])
def test_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    text = "為基層減負，要反對形式主義，堅持實事求是。" * 3 if encoding == "big5" else TEXT * 3
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = text.encode("utf-16-le")  # no BOM
    decoded = decode_bytes(data).text
    assert decoded == text


def test_binary_named_txt_is_refused() -> None:
    with pytest.raises(IngestError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_traditional_folded_original_kept(tmp_path: Path) -> None:
    f = tmp_path / "t.txt"
    f.write_text("廣東省建立權責清單，反對形式主義。", encoding="big5")
    doc = read_document(f, tmp_path)
    assert doc.text == "广东省建立权责清单，反对形式主义。"
    assert doc.original_text == "廣東省建立權責清單，反對形式主義。"
    assert len(doc.text) == len(doc.original_text)


def test_traditional_page_furniture_goes_as_simplified_does() -> None:
    # the boilerplate's patterns are simplified: a traditional copy is judged by its simplified view, and
    # keeps its own characters
    page = "\n".join(
        [
            "首頁 | 新聞 | 要聞 | 地方 | 幹部",
            "來源：某某日報　作者：張三",
            "將樂縣建立幹部實績檔案，記錄幹部實績。",
            "【打印本頁】【關閉窗口】",
            "相關新聞：",
            "· 沙縣區：小吃產業鋪就鄉村振興路",
            "· 永安市建立年輕幹部培養機制",
            "版權所有 © 某某網　主辦單位：中共某某省委組織部",
        ]
    )
    text, meta = clean_text(page)
    assert text == "將樂縣建立幹部實績檔案，記錄幹部實績。"
    assert meta["publisher"] == "某某日报"
    simplified, _ = clean_text(to_simplified(page))
    assert simplified == to_simplified(text)


def test_to_simplified_keeps_length() -> None:
    s = "幹部們堅持實事求是，發揚釘釘子精神。"
    assert len(to_simplified(s)) == len(s)


def test_markdown_html_docx(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# 标题一\n\n**我县**推行干部实绩档案。\n", encoding="utf-8")
    (tmp_path / "b.html").write_text(
        "<html><head><title>站点 - 新闻</title><meta name='author' content='张三'><script>alert(1)</script></head>"
        "<body><nav>首页 &gt; 新闻</nav><h1>干部考核新办法</h1><p>市里完善干部考核评价机制。</p>"
        "<footer>版权所有</footer></body></html>",
        encoding="utf-8",
    )
    d = docx.Document()
    d.add_paragraph("关于建立容错纠错机制的通知")
    d.add_paragraph("各单位要落实“三个区分开来”。")
    d.save(tmp_path / "c.docx")
    md = read_document(tmp_path / "a.md", tmp_path)
    assert "**" not in md.text and "#" not in md.text and "我县推行干部实绩档案" in md.text
    html = read_document(tmp_path / "b.html", tmp_path)
    assert "alert" not in html.text and "首页" not in html.text and "版权所有" not in html.text
    assert html.metadata["title"] == "干部考核新办法" and html.metadata["author"] == "张三"
    dx = read_document(tmp_path / "c.docx", tmp_path)
    assert "三个区分开来" in dx.text


def test_corrupt_docx_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.docx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(IngestError, match="docx"):
        read_document(tmp_path / "bad.docx", tmp_path)


def test_empty_and_non_chinese(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text("  \n\t", encoding="utf-8")
    (tmp_path / "en.txt").write_text("Only English text here.", encoding="utf-8")
    with pytest.raises(IngestError, match="empty"):
        read_document(tmp_path / "e.txt", tmp_path)
    with pytest.raises(IngestError, match="no Chinese"):
        read_document(tmp_path / "en.txt", tmp_path)


BOILERPLATE = """欢迎访问某某网！
当前位置：首页 > 理论 > 正文
《发言稿.docx》由会员分享，可在线阅读，更多相关《发言稿.docx(3页珍藏版)》请在某某文库上搜索。
发布时间：2024-10-29    来源：某市委组织部    作者：佚名
正确的—2—政绩观要求干部务实。以下由网友整理分享的发言材料，供您学习参考，喜欢就分享吧！
……(某某文库此处省略1164字。不往下看了，点击下载全文)……
预览结束，全文7830字，当前显示3491字
下载全文
[免责声明] 本文来源于网络转载，仅供学习交流使用，版权归原作者所有。
联系电话：010-12345678 15311112222
邮箱：someone@example.com  客服QQ:123456
原文链接：https://example.org/a/1.html
"""


def test_boilerplate_removed_and_metadata_read() -> None:
    text, meta = clean_text(BOILERPLATE)
    assert text == "正确的政绩观要求干部务实。"
    assert meta["date"] == "2024-10-29"
    assert meta["publisher"] == "某市委组织部"
    assert meta["url"] == "https://example.org/a/1.html"


class _EveryPattern:
    """A screen that lets every pattern run: what ``clean_text`` did before it screened them."""

    def __init__(self, bp: Boilerplate) -> None:
        self.patterns = {rx for _, rx in bp.drop_lines + bp.drop_inline + bp.metadata}

    def live(self, text: str) -> set:
        return self.patterns


def _unscreened() -> Boilerplate:
    bp = replace(load_boilerplate())  # a copy, without the cached screen
    bp.__dict__["screen"] = _EveryPattern(bp)
    return bp


PIECES = [
    *BOILERPLATE.replace("\n", "\n\n").split("\n"),
    *"电话—－-12：:@\n 号〔〕",
    "联系",
    "（此处省略12字）",
    "2024年10月29日",
    "来源：",
    "正确政绩观",
    "完善容错纠错机制",
    "1、",
    "发布时间：2024-10-29",
]


def test_screened_patterns_clean_as_all_patterns_do() -> None:
    """The screen skips patterns that cannot match — and sees matches a cut makes (电—12—话 → 电话)."""
    plain = _unscreened()
    joined = "设立举报电—12—话，完善容错纠错机制。\n联系电—3—话：010-1234\n正文。"
    assert clean_text(joined) == clean_text(joined, plain)
    assert "联系电话" not in clean_text(joined)[0]  # the cut made a contact line, and it went
    texts = [BOILERPLATE] + [
        decode_bytes(f.read_bytes())[0]
        for folder in (ROOT / "corpus", SEEDS)
        if folder.is_dir()
        for f, _ in iter_corpus_files([folder])
        if f.suffix == ".txt"
    ]
    for text in texts:
        assert clean_text(text) == clean_text(text, plain)


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_screened_patterns_clean_as_all_patterns_do_on_pieces(text: str) -> None:
    assert clean_text(text) == clean_text(text, _unscreened())


def test_page_split_markers_are_joined() -> None:
    raw = "1、研讨发言：树立正确政绩观\n2、推动干部担当作为，党性是\n3、立身之本，政治\n4、执行力要提高。"
    text, _ = clean_text(raw)
    assert "党性是立身之本" in text and "政治执行力" in text and "、立身" not in text


def test_numbered_list_is_not_a_page_split() -> None:
    raw = "要做好三件事：\n1、建立档案。\n2、完善机制。\n3、加强监督。"
    text, _ = clean_text(raw)
    assert "1、建立档案。" in text and "3、加强监督。" in text


def test_sidecar_overrides(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("发布时间：2020-01-01\n我县推行干部实绩档案。", encoding="utf-8")
    (tmp_path / "d.meta.yaml").write_text("date: 2021-05-06\ntitle: 覆盖标题\n", encoding="utf-8")
    doc = read_document(tmp_path / "d.txt", tmp_path)
    assert doc.metadata["date"] == "2021-05-06" and doc.metadata["title"] == "覆盖标题"


def test_symlink_loop_and_hidden_files(tmp_path: Path) -> None:
    from zhengji_kg.ingest import iter_corpus_files

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("我县推行干部实绩档案。", encoding="utf-8")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / "中文 名称.md").write_text("显绩与潜绩。", encoding="utf-8")
    files = [f.relative_to(tmp_path).as_posix() for f, _ in iter_corpus_files([tmp_path])]
    assert files == ["sub/a.txt", "中文 名称.md"]


def test_corpus_name_is_the_path_under_the_root_or_the_file_name(tmp_path) -> None:
    from zhengji_kg.ingest import corpus_name

    root = tmp_path / "corpus"
    assert corpus_name(root / "a" / "b.txt", root) == "a/b.txt"
    assert corpus_name(root / "b.txt", root) == "b.txt"
    assert corpus_name(tmp_path / "elsewhere" / "c.md", root) == "c.md"
    assert corpus_name(root, root) == "corpus"


def _boilerplate_examples() -> list[tuple[str, str, str]]:
    from zhengji_kg.base.resources import load_yaml, ontology_path

    data = load_yaml(ontology_path("boilerplate.yaml").read_text(encoding="utf-8"))
    out = []
    for section in ("drop_lines", "drop_inline", "metadata", "drop_lists"):
        for item in data.get(section) or []:
            out += [(item["id"], text, after) for text, after in item.get("examples") or []]
            out += [(item["id"], text, text) for text in item.get("unchanged") or []]
    return out


@pytest.mark.parametrize(("rule", "text", "after"), _boilerplate_examples())
def test_boilerplate_examples(rule: str, text: str, after: str) -> None:
    """The examples a boilerplate entry carries: what cleaning leaves of each text."""
    assert clean_text(text)[0] == after, rule


def test_to_simplified_keeps_characters_that_would_leave_the_basic_plane() -> None:
    # opencc folds a few characters to rare ones outside the Basic Multilingual Plane (繐 → U+30B38), which
    # fonts and the [\u4e00-\u9fff] classes do not know: those keep their own form
    assert to_simplified("繐當") == "繐当"
    assert all(ch <= "\uffff" for ch in to_simplified("繐穗縷"))
