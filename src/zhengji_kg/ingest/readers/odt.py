"""OpenDocument text (.odt, LibreOffice and WPS can save it), read with odfdo: headings and paragraphs in
document order (those in tables and frames too), one line each."""

from __future__ import annotations

from zhengji_kg.ingest.base import Extracted, IngestError

SUFFIXES = (".odt",)


def read(raw: bytes, suffix: str) -> Extracted:
    import io
    import zipfile

    from odfdo import Document

    try:
        doc = Document(io.BytesIO(raw))
        body = doc.body
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise IngestError(f"not a readable .odt ({exc.__class__.__name__}: {exc})") from exc
    lines = [el.inner_text for el in body.xpath(".//text:h|.//text:p")]
    meta = {}
    if title := doc.meta.get_title():
        meta["title"] = title
    # the creation date (dc:date is when it was last saved): the document's date only where its text says
    # none (as for a PDF and a .docx)
    when = doc.meta.get_creation_date()
    defaults = {"date": when.date().isoformat()} if hasattr(when, "date") else {}
    return Extracted("\n".join(lines), meta, defaults=defaults)
