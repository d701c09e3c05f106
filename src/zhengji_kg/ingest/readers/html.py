"""Saved web pages (.html, .htm, .shtml, .xhtml): the article, not the site around it.

The page is decoded in the charset it declares (GBK pages often say gb2312 and use GBK: read as
GB18030, their superset), else in the one detected. trafilatura — the field's reference main-content
extractor — keeps the article and leaves navigation, breadcrumbs, related-article lists, share bars,
comment boxes and footers out; its metadata (title, date, site name, author, canonical URL) describes
the source. When it finds no main text (a list page, a page that is all furniture) the page's text is
read whole with the scripts, styles and ``nav``/``header``/``footer`` elements stripped, and a note
says so.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from typing import Any

from zhengji_kg.ingest.base import Extracted
from zhengji_kg.ingest.decode import BOMS, Decoded, decode_bytes, garbled

SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")

_DECLARED = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,30})""", re.I)
# what pages declare → the codec that reads every page that declares it
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
# an article holds at least one sentence: a run of Chinese ending in a full stop (a page of links holds none)
_SENTENCE = re.compile(r"[\u4e00-\u9fff][^\n。！？]{10,}[。！？]")


def decode_page(raw: bytes) -> Decoded:
    """The page as text: a byte-order mark first, then the charset the page declares if it reads the
    page cleanly, else the one ``decode_bytes`` detects (and a note that the declaration was wrong)."""
    if raw.startswith(tuple(bom for bom, _ in BOMS)):
        return decode_bytes(raw)
    m = _DECLARED.search(raw[:4096])
    if m is None:
        return decode_bytes(raw)
    declared = m.group(1).decode("ascii").lower()
    try:
        codec = codecs.lookup(_WIDER.get(declared, declared)).name
    except LookupError:
        found = decode_bytes(raw)
        return found._replace(notes=(f"unknown charset {declared!r} declared; read as {found.encoding}", *found.notes))
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        text = ""
    if text and not garbled(text):
        return Decoded(text, codec)
    found = decode_bytes(raw)
    note = f"the page declares {declared} but is not in it; read as {found.encoding}"
    return found._replace(notes=(note, *found.notes))


def read(raw: bytes, suffix: str) -> Extracted:
    from trafilatura.utils import load_html

    decoded = decode_page(raw)
    notes = list(decoded.notes)
    tree = load_html(decoded.text)
    tags = _meta_tags(tree) if tree is not None else {}  # before trafilatura, which prunes the tree it is given
    if tree is not None:
        strip_furniture(tree)
    found = main_text(tree, tags) if tree is not None else None
    if found is not None:
        found.notes[:0] = notes
        return found
    text, meta = whole_page(decoded.text, tags)
    notes.append("no main text found in the page: read whole (navigation and footers may be in it)")
    return Extracted(text, meta, notes)


@lru_cache(maxsize=1)
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # Chinese says in 100 characters what a European language says in 250: trafilatura's default least
    # size of a main text makes it distrust short Chinese articles and fall back to whole-page heuristics
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "100")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # it would use a signal: not in worker threads
    return config


def main_text(tree: Any, tags: dict[str, str]) -> Extracted | None:
    """The article of the page ``tree`` (lxml) and its metadata — ``tags`` (the page's own ``<meta>``)
    over trafilatura's —; ``None`` if trafilatura finds no Chinese main text."""
    import trafilatura

    found = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        config=_config(),
        # a date from the page's own markup (meta tags, the canonical URL), never one guessed from the
        # article's text (早在2015年… made a page of 2023 one of 2015-01-01); the 发布时间 line is the byline's
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if found is None or not found.text or not _SENTENCE.search(found.text):
        return None  # nothing, or only furniture: where it finds no article, trafilatura returns the page
    meta = dict(tags)
    for key, value in (
        ("title", found.title),
        ("date", found.date),
        ("publisher", found.sitename),
        ("author", found.author),
        ("url", found.url),
    ):
        if value:  # what the page's own tags say first: trafilatura guesses a site name from the host
            meta.setdefault(key, str(value).strip())
    text = found.text
    title = meta.get("title", "")
    if title and not text.lstrip().startswith(title):
        text = f"{title}\n{text}"  # the heading is the document's first line, as in the other formats
    return Extracted(text, meta)


# what a footer says (版权所有 …, 京ICP备 …, 主办单位: …): a short block saying it is not the article
_FOOTER = re.compile(r"版权所有|Copyright|©|ICP备|ICP证|公网安备|技术支持|主办单位|承办单位|联系我们|网站地图")
_BLOCKS = ("div", "ul", "ol", "dl", "table", "section", "aside", "p", "td", "span")
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_LINK_SHARE = 0.6  # a block whose text is mostly link text is a list of links: navigation, related reading


def strip_furniture(tree: Any) -> None:
    """Take the page furniture out of ``tree`` before the article is looked for, whatever the length of
    the article: blocks whose text is mostly the text of links (a bar of cities, a related-reading list)
    and short blocks that say what a footer says (版权所有, ICP备). trafilatura leaves them out of a long
    article, but on a page whose article is two paragraphs it keeps the page whole; so does the fallback.
    A block that holds a sentence of its own (not link text) is never taken out."""
    drop = []
    for el in tree.iter(*_BLOCKS):
        text = el.text_content().strip()
        words = len(_WORD.findall(text))  # characters of words: separators (|, ·, spaces) do not count
        if not words:
            continue
        own = text
        for piece in (a.text_content() for a in el.iter("a")):
            own = own.replace(piece, "", 1)
        if _SENTENCE.search(own):
            continue
        linked = words - len(_WORD.findall(own))
        if linked >= _LINK_SHARE * words or (words < 200 and _FOOTER.search(text)):
            drop.append(el)
    dropped: set[Any] = set()
    for el in drop:
        if any(a in dropped for a in el.iterancestors()):
            continue
        parent = el.getparent()
        if parent is None:
            continue
        tail, prev = el.tail, el.getprevious()
        parent.remove(el)  # its tail (the text after it) is the parent's: kept where it stood
        if tail and tail.strip():
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        dropped.add(el)


_TAG_KEYS = {
    "author": "author",
    "article:author": "author",
    "publishdate": "date",
    "pubdate": "date",
    "date": "date",
    "article:published_time": "date",
    "source": "publisher",
    "publisher": "publisher",
    "og:site_name": "publisher",
    "og:url": "url",
}


def _meta_tags(tree: Any) -> dict[str, str]:
    """What the page's ``<meta>`` tags say (trafilatura leaves some out: a Chinese author name, a
    ``publishdate`` as government CMSs write it)."""
    meta: dict[str, str] = {}
    for tag in tree.iter("meta"):
        name = (tag.get("name") or tag.get("property") or "").lower()
        content = (tag.get("content") or "").strip()
        if content and name in _TAG_KEYS:
            meta.setdefault(_TAG_KEYS[name], content)
    return meta


_FURNITURE = ["script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "form"]


def whole_page(page: str, tags: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The fallback: every text of the page but scripts, styles and the elements that say they are
    navigation, header or footer; the title from ``<h1>`` or ``<title>``, the rest from ``tags``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "lxml")
    meta = dict(tags)
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for bad in soup(_FURNITURE):
        bad.decompose()
    body = soup.body or soup
    h1 = body.find("h1")
    if h1 and h1.get_text(strip=True):
        meta["title"] = h1.get_text(strip=True)
    return body.get_text("\n"), meta
