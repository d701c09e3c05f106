"""Formats people drop into a corpus that are not read here, each reported as skipped with how to
convert it — so that no file is left out silently.

Old Word (.doc) and WPS (.wps) files are binary formats without a maintained pure-Python reader; OFD
(.ofd, the national fixed-layout format of many government portals) likewise. LibreOffice converts the
first two; an OFD reader (数科OFD阅读器 and others) prints or exports it to PDF.
"""

from __future__ import annotations

from zhengji_kg.ingest.base import Extracted, IngestError

SUFFIXES = (".doc", ".wps", ".ofd")
READS = False

_HOW = {
    ".doc": "old Word .doc files are not read: convert them to .docx, e.g. "
    "`libreoffice --headless --convert-to docx *.doc`, and build again",
    ".wps": "WPS .wps files are not read: save them as .docx in WPS Office (另存为 → .docx) or convert them with "
    "`libreoffice --headless --convert-to docx *.wps`, and build again",
    ".ofd": "OFD files are not read: export them to PDF with an OFD reader, and build again",
}


def read(raw: bytes, suffix: str) -> Extracted:
    raise IngestError(_HOW[suffix])
