"""Word documents (.docx), read with python-docx: paragraphs in order, then each table row as a line."""

from __future__ import annotations

from datetime import timedelta

from zhengji_kg.ingest.base import Extracted, IngestError

SUFFIXES = (".docx",)
_BEIJING = timedelta(hours=8)


def read(raw: bytes, suffix: str) -> Extracted:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as exc:
        raise IngestError(f"not a readable .docx ({exc.__class__.__name__}: {exc})") from exc
    meta = {}
    cp = d.core_properties
    if cp.title:
        meta["title"] = cp.title
    if cp.author:
        meta["author"] = cp.author
    # the file's creation date: the document's date only where its text says none (as for a PDF); Word
    # stores it in UTC, and a file made before 8:00 in Beijing was made the day before in UTC
    defaults = {"date": (cp.created + _BEIJING).date().isoformat()} if cp.created else {}
    paragraphs = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            paragraphs.append("　".join(c.text for c in row.cells))
    return Extracted("\n".join(paragraphs), meta, defaults=defaults)
