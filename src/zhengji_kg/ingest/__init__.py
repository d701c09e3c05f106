"""Ingest: corpus files → ``Document`` (read, cleaned, folded to simplified, with metadata).

One reader per format (``readers``: text, Markdown, HTML, Word, OpenDocument, PDF) turns a file's bytes
into text and the metadata the format carries; the steps all formats share follow: invisible characters
out (``clean.strip_invisible``), web-copy boilerplate out with the metadata of its lines
(``clean.clean_text``, patterns in ``ontology/boilerplate.yaml``), traditional folded to simplified,
the sidecar ``NAME.meta.yaml`` over all of it. Which files are documents and how their bytes are read
once is ``files``; decoding text of unknown encoding is ``decode``.
"""

from __future__ import annotations

import re
from pathlib import Path

from zhengji_kg.base.iri import to_iri
from zhengji_kg.base.model import Document
from zhengji_kg.ingest.base import Extracted, IngestError
from zhengji_kg.ingest.clean import (
    Boilerplate,
    clean_text,
    lexicon_guard,
    load_boilerplate,
    strip_invisible,
    to_simplified,
)
from zhengji_kg.ingest.decode import BINARY_SHARE, CJK_ENCODINGS, Decoded, decode_bytes
from zhengji_kg.ingest.files import (
    SIDECAR_SUFFIXES,
    SourceFile,
    corpus_name,
    iter_corpus_files,
    load_source,
    read_sidecar,
    sidecar_path,
    source_stamp,
)
from zhengji_kg.ingest.metadata import guess_title, normalise_date, parse_sidecar
from zhengji_kg.ingest.readers import read_suffixes, reader_for

__all__ = [
    "BINARY_SHARE",
    "CJK_ENCODINGS",
    "SIDECAR_SUFFIXES",
    "Boilerplate",
    "Decoded",
    "Extracted",
    "IngestError",
    "SourceFile",
    "clean_text",
    "corpus_name",
    "decode_bytes",
    "iter_corpus_files",
    "lexicon_guard",
    "load_boilerplate",
    "load_source",
    "normalise_date",
    "parse_sidecar",
    "parse_source",
    "read_document",
    "read_sidecar",
    "read_suffixes",
    "reader_for",
    "sidecar_path",
    "source_stamp",
    "strip_invisible",
    "to_simplified",
]

_HAN = re.compile(r"[\u4e00-\u9fff]")
DATE_BASES = ("metadata", "byline", "signature")  # where a source's date can come from (zj:dateBasis)


def read_document(path: Path, root: Path) -> Document:
    """Read one corpus file into a ``Document``; raise ``IngestError`` with a one-line reason."""
    return parse_source(load_source(path, root))


def parse_source(src: SourceFile) -> Document:
    """Read, clean, fold and describe one corpus file's bytes.

    What had to be mended to read it (control bytes removed, a link that cannot be an IRI left out, a
    page read whole …) is in the document's ``notes``, which the build reports as warnings naming the
    file."""
    reader = reader_for(src.suffix)
    if reader is None:
        raise IngestError(
            f"{src.suffix or 'a file without a suffix'} is not a format zhengji-kg reads ({', '.join(read_suffixes())})"
        )
    if not src.raw.strip():
        raise IngestError("empty file")
    found = reader.read(src.raw, src.suffix)
    notes = list(found.notes)
    meta = dict(found.metadata)
    raw_text, removed = strip_invisible(found.text)
    if removed:
        notes.append(removed)
    # folded once: cleaning judges the page by its simplified form, and a page with no traditional character
    # (nearly all) is its own simplified text
    simple = to_simplified(raw_text)
    original, seen = clean_text(raw_text, simplified=simple)
    for k, v in (*seen.items(), *found.defaults.items()):
        meta.setdefault(k, v)
    if not _HAN.search(original):
        raise IngestError("no Chinese text after cleaning")
    # The source's date, from the first of these that can be read: what the researcher wrote beside the file
    # (a sidecar), the format's own properties (HTML meta tags, PDF/DOCX/ODT properties), the text's lines
    # (a signature's date, else a byline's: clean_text), a file's creation date. A value that cannot be read
    # as a date (发布时间：2023-02-30, a meta tag in a form no one writes) gives way to the next.
    sidecar = parse_sidecar(src.sidecar_name, src.sidecar)
    candidates = [
        (sidecar.get("date"), sidecar.get("date_basis") if sidecar.get("date_basis") in DATE_BASES else "metadata"),
        (found.metadata.get("date"), "metadata"),
        (seen.get("date"), seen.get("date_basis", "byline")),
        (found.defaults.get("date"), "metadata"),
    ]
    meta.update(sidecar)
    meta.pop("date", None)
    meta.pop("date_basis", None)
    for value, basis in candidates:
        iso = normalise_date(value) if value else None
        if iso:
            meta["date"], meta["date_basis"] = iso, basis
            break
    text = original if simple == raw_text else to_simplified(original)
    if "title" not in meta and (t := guess_title(text)):
        meta["title"] = t
    if "url" in meta:
        written = meta.pop("url")
        link = to_iri(written)
        if link is not None:
            meta["url"] = link
        else:
            shown = written if len(written) <= 60 else written[:57] + "…"
            notes.append(f"url {shown!r} is not a web link that can be an IRI: dcterms:source left out")
    return Document(id=src.doc_id, path=src.name, text=text, original_text=original, metadata=meta, notes=notes)
