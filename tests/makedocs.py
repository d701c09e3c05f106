"""Test documents in the formats researchers hold, made here from our own sentences: a two-page notice as a
PDF (reportlab's built-in CID font STSong-Light, so no font file is needed), a scan-like PDF (an image, no
text), and news and government pages laid out as Chinese sites lay them out (div-based navigation,
breadcrumbs, 相关阅读, a footer with address and phone, GBK).

Used by the reader tests and by ``bench/formats.py``; nothing here is third-party text.
"""

from __future__ import annotations

import io

# ---------------------------------------------------------------- PDF

NOTICE_HEAD = "中共三明市委组织部文件"
NOTICE_NUMBER = "明组〔2026〕12号"
NOTICE_TITLE = "关于建立干部实绩档案的通知"
NOTICE_PARAGRAPHS = [
    "各县（市、区）委组织部，市直各单位党组（党委）：",
    "为引导干部树立和践行正确政绩观，既重视看得见的显绩，也重视打基础、利长远的潜绩，"
    "市委组织部决定在全市建立干部实绩档案，现将有关事项通知如下。",
    "一、记录内容。干部实绩档案记录干部在重大任务、急难险重工作和基层一线中的表现，"
    "实行一人一档、动态更新，作为干部考核评价和选拔任用的重要依据。",
    "二、工作要求。各单位要完善容错纠错机制，落实“三个区分开来”，为担当者担当、为负责者负责。"
    "对搞形象工程、政绩工程的，要严肃批评，限期整改。",
    "三、组织保障。市委组织部牵头，各县（市、区）委组织部具体负责，每季度报送一次工作进展情况，"
    "年底前形成工作总结报送市委组织部干部监督科。",
]
NOTICE_SIGNATURE = ["中共三明市委组织部", "2026年3月2日"]
RUNNING_HEADER = "三明市委组织部文件汇编"


def _cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    name = "STSong-Light"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


def _wrap(text: str, width: int, indent: int = 2) -> list[tuple[int, str]]:
    """A paragraph as (indent, line) in lines of ``width`` characters, the first indented by ``indent``
    characters — so a line break falls inside words, as it does in typeset Chinese."""
    out, first = [], True
    while text:
        room = width - (indent if first else 0)
        out.append((indent if first else 0, text[:room]))
        text, first = text[room:], False
    return out


def notice_pdf(
    *,
    header: str = RUNNING_HEADER,
    page_number_style: str = "dash",
    width_chars: int = 32,
    paragraphs: list[str] | None = None,
    title: str = NOTICE_TITLE,
    first_page: int = 8,
    page_lines: int = 28,
) -> bytes:
    """The two-page notice as a PDF: a red 红头 and 文号 on page 1, a running header on every page, a
    page number at the foot (``dash``: — 1 —, ``of``: 第1页 共2页), paragraphs wrapped at
    ``width_chars`` (the text width of A4 at 14 pt) so that words are cut by line ends, and a signature
    at the end of the last page.
    ``first_page`` lines of body on the first page (8: the break falls inside a paragraph), ``page_lines``
    on the others; ``paragraphs`` and ``title`` make another document of the same layout."""
    from reportlab.lib.colors import black, red
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(title)
    c.setAuthor("zhengji-kg tests")
    w, h = A4
    size, left, lead = 14, 72, 24
    lines: list[tuple[int, str]] = []
    for para in paragraphs or NOTICE_PARAGRAPHS:
        lines += _wrap(para, width_chars, indent=0 if para.endswith("：") else 2)
    pages = [lines[:first_page]]
    pages += [lines[i : i + page_lines] for i in range(first_page, len(lines), page_lines)] or [[]]
    total = len(pages)
    for n, body in enumerate(pages, start=1):
        c.setFont(font, 9)
        c.setFillColor(black)
        c.drawCentredString(w / 2, h - 40, header)
        y = h - 90
        if n == 1:
            c.setFillColor(red)
            c.setFont(font, 26)
            c.drawCentredString(w / 2, y, NOTICE_HEAD)
            c.setFillColor(black)
            c.setFont(font, size)
            y -= 40
            c.drawCentredString(w / 2, y, NOTICE_NUMBER)
            y -= 36
            c.setFont(font, 18)
            c.drawCentredString(w / 2, y, title)
            y -= 40
        c.setFont(font, size)
        for indent, line in body:
            c.drawString(left + indent * size, y, line)
            y -= lead
        if n == total:
            y -= lead
            for line in NOTICE_SIGNATURE:
                c.drawRightString(w - left, y, line)
                y -= lead
        c.setFont(font, 10)
        label = f"— {n} —" if page_number_style == "dash" else f"第{n}页 共{total}页"
        c.drawCentredString(w / 2, 40, label)
        c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf() -> bytes:
    """A page with only an image on it, as a scanner writes: no text layer."""
    # a 2×2 grey PNG, written by hand so that no image library is needed
    import struct
    import zlib

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x80" for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawImage(ImageReader(io.BytesIO(png)), 50, 50, width=495, height=740)
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    """The notice, locked with a password that opens it."""
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _cid_font()
    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption("secret", canPrint=0)
    c = canvas.Canvas(buf, pagesize=A4, encrypt=enc)
    c.setFont(font, 14)
    c.drawString(72, 700, NOTICE_TITLE)
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------- HTML

ARTICLE_TITLE = "三明：用干部实绩档案引导干部创实绩"
ARTICLE_PARAGRAPHS = [
    "近年来，三明市把树立和践行正确政绩观作为干部队伍建设的重要内容，为落实正确政绩观提供制度保障。",
    "该市建立干部实绩档案，把干部在乡村振兴一线的表现逐项记录，既看显绩，也看潜绩。",
    "市委组织部有关负责人介绍，去年以来全市共有126名干部因实绩突出得到提拔使用。",
    "与此同时，三明市完善容错纠错机制，落实“三个区分开来”，让敢于担当的干部放下包袱。",
]


def news_page(
    charset: str = "gbk", *, article: bool = True, title: str = ARTICLE_TITLE, paragraphs: list[str] | None = None
) -> bytes:
    """A news page as regional news sites build it: a top bar, a div navigation bar of cities, a
    breadcrumb, the article with its byline, a share bar, a 相关阅读 list, a side column and a footer
    with the site's address and phone — all from ``div``s, in ``charset``. ``article=False`` leaves the
    article out (a list page): no main text; ``title`` and ``paragraphs`` make another article."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs or ARTICLE_PARAGRAPHS) if article else ""
    page = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}_福建要闻_海峡示例网</title>
<meta name="keywords" content="三明,干部实绩档案,正确政绩观">
<meta name="author" content="林晓">
<meta name="publishdate" content="2026-03-05 09:15">
<meta property="og:site_name" content="海峡示例网">
<link rel="canonical" href="https://news.example.com.cn/fj/2026-03/05/c_1130.htm">
</head><body>
<div class="topbar"><span>设为首页</span> <span>加入收藏</span> <a href="/app">客户端</a></div>
<div class="nav"><ul>
<li><a href="/">首页</a></li><li><a href="/fz">福州</a></li><li><a href="/xm">厦门</a></li>
<li><a href="/pt">莆田</a></li><li><a href="/qz">泉州</a></li><li><a href="/zz">漳州</a></li>
</ul></div>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/fj">福建要闻</a> &gt; 正文</div>
<div class="wrap"><div class="main">
<div class="article">
<h1>{title}</h1>
<div class="info"><span>2026-03-05 09:15</span> <span>来源：海峡示例网</span> <span>作者：林晓</span></div>
<div class="content" id="detail">{body}</div>
<div class="share">分享到：<a>微信</a> <a>微博</a> <a>QQ空间</a></div>
<div class="editor">【责任编辑：陈明】</div>
</div>
<div class="related"><h3>相关阅读</h3><ul>
<li><a href="/a1">泉州市上线干部考核数据平台</a></li>
<li><a href="/a2">莆田推行重点项目攻坚激励机制 鼓励干部担当作为</a></li>
<li><a href="/a3">漳州：为基层减负 让干部把精力用在抓落实上</a></li>
</ul></div>
</div>
<div class="side"><div class="hot"><h3>热点排行</h3><ul><li><a>宁德开展乡村振兴擂台赛</a></li>
<li><a>南平推出生态银行模式</a></li></ul></div></div>
</div>
<div class="footer">
<p>关于我们 | 联系我们 | 广告服务 | 网站地图</p>
<p>海峡示例网版权所有 未经授权不得转载</p>
<p>地址：福州市鼓楼区示例路18号 电话：0591-87000000</p>
<p>闽ICP备00000000号</p>
</div>
</body></html>"""
    return page.encode(charset)
