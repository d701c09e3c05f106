"""What reading each format costs, against jieba's segmentation of the same text measured in this run.

    python bench/formats.py              # 60 documents of about 3 KB each, in every format
    python bench/formats.py --docs 200

The documents are made from the paragraphs of the demo and seed corpora (as bench/make_corpus.py draws
them) and written as plain text, as a news page (tests/makedocs.py: div navigation, related list, footer)
and as a typeset PDF (reportlab, STSong-Light, page headers and numbers). For each format it prints the
milliseconds per document of ``parse_source`` (read, clean, fold: what a build does before extraction)
and that as a ratio of jieba's accurate-mode segmentation of the same documents' text, and the rules'
extraction of the same documents for scale. For PDFs it also times the text layer alone through
pypdfium2 (the reader's library) and through pypdf (the pure-Python alternative) — the comparison
behind the choice of reader. Needs ``pip install -e '.[bench]'``. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))


def documents(n: int, size: int = 3000, seed: int = 20261206) -> list[tuple[str, list[str]]]:
    """``n`` (title, paragraphs) of about ``size`` bytes, runs of consecutive source paragraphs."""
    from make_corpus import DEFAULT_SOURCES, source_paragraphs

    paragraphs = source_paragraphs([Path(p) for p in DEFAULT_SOURCES])
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        start = rng.randrange(len(paragraphs))
        body: list[str] = []
        while sum(len(p.encode()) for p in body) < size:
            body.append(paragraphs[start % len(paragraphs)])
            start += 1
        out.append((body[0][:20], body))
    return out


def timed(fn: Callable[[Any], Any], items: list) -> float:
    t = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=60, help="documents per format (default 60)")
    args = ap.parse_args(argv)

    import jieba
    import makedocs
    import pypdf
    import pypdfium2

    from zhengji_kg.base.rules import load_rules
    from zhengji_kg.ingest import SourceFile, parse_source
    from zhengji_kg.pipeline.worker import extract_document

    docs = documents(args.docs)
    made = {
        "txt": [SourceFile(f"{i}.txt", ("\n".join([t, *p])).encode()) for i, (t, p) in enumerate(docs)],
        "html": [
            SourceFile(f"{i}.html", makedocs.news_page("utf-8", title=t, paragraphs=p)) for i, (t, p) in enumerate(docs)
        ],
        "pdf": [SourceFile(f"{i}.pdf", makedocs.notice_pdf(title=t, paragraphs=p)) for i, (t, p) in enumerate(docs)],
    }
    rules = load_rules()
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for sources in made.values():  # warm: libraries imported, dictionaries and automata loaded
        extract_document(parse_source(sources[0]), rules)
    texts = [parse_source(s).text for s in made["txt"]]
    reference = timed(jieba.lcut, texts)
    pages = sum(len(pypdfium2.PdfDocument(s.raw)) for s in made["pdf"])
    chars = sum(map(len, texts)) / args.docs
    print(f"documents:  {args.docs} per format, {chars:.0f} characters each; the PDFs have {pages} pages")
    print(f"reference:  jieba.lcut of the same text  {reference / args.docs * 1000:6.1f} ms/doc")
    extract = timed(lambda d: extract_document(d, rules), [parse_source(s) for s in made["txt"]])
    print(f"for scale:  the rules' extraction of the same text  {extract / args.docs * 1000:6.1f} ms/doc")
    print(f"{'format':8} {'parse ms/doc':>12} {'× jieba':>8}")
    for fmt, sources in made.items():
        parse = timed(parse_source, sources)
        print(f"{fmt:8} {parse / args.docs * 1000:12.1f} {parse / reference:8.2f}")

    def pdfium_text(raw: bytes) -> str:
        pdf = pypdfium2.PdfDocument(raw)
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)

    def pypdf_text(raw: bytes) -> str:
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(raw)).pages)

    raws = [s.raw for s in made["pdf"]]
    a, b = timed(pdfium_text, raws), timed(pypdf_text, raws)
    print(
        f"PDF text layer alone: pypdfium2 {a / args.docs * 1000:.1f} ms/doc, pypdf {b / args.docs * 1000:.1f} ms/doc"
        f" (pypdf / pypdfium2 = {b / a:.2f})"
    )
    same = sum(pdfium_text(r).replace("\r", "").split() == pypdf_text(r).split() for r in raws[:10])
    print(f"same text (whitespace aside) from both in {same} of {min(10, len(raws))} PDFs")
    embedded_fonts(pdfium_text, pypdf_text)


def embedded_fonts(pdfium_text: Callable[[bytes], str], pypdf_text: Callable[[bytes], str]) -> None:
    """The test PDFs use STSong-Light, a CID font PDFs name without embedding it: PDFium then loads a
    system CJK font for every page it opens, which is most of its time above. Published PDFs embed their
    fonts; a TrueType font embedded (DejaVu, Latin text: reportlab embeds no CJK OpenType) shows PDFium's
    speed on those."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not path.exists():
        print("embedded fonts: no DejaVuSans.ttf here (Debian fonts-dejavu-core) — not measured")
        return
    pdfmetrics.registerFont(TTFont("DejaVu", str(path)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(3):
        c.setFont("DejaVu", 12)
        for i in range(30):
            c.drawString(72, 800 - 20 * i, "Performance records are kept up to date for every official.")
        c.showPage()
    c.save()
    raws = [buf.getvalue()] * 20
    a, b = timed(pdfium_text, raws), timed(pypdf_text, raws)
    print(
        f"embedded TrueType font, 3 pages: pypdfium2 {a / 20 * 1000:.1f} ms/doc, pypdf {b / 20 * 1000:.1f} ms/doc"
        f" (pypdf / pypdfium2 = {b / a:.2f})"
    )


if __name__ == "__main__":
    main()
