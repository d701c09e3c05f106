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

from ..iri import to_iri
from ..model import Document
from .base import Extracted, IngestError
from .clean import Boilerplate, clean_text, lexicon_guard, load_boilerplate, strip_invisible, to_simplified
from .decode import BINARY_SHARE, CJK_ENCODINGS, Decoded, decode_bytes
from .files import (
    SIDECAR_SUFFIXES,
    SourceFile,
    corpus_name,
    iter_corpus_files,
    load_source,
    read_sidecar,
    sidecar_path,
    source_stamp,
)
from .metadata import guess_title, normalise_date, parse_sidecar
from .readers import read_suffixes, reader_for

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
    original, seen = clean_text(raw_text)
    # the format's own properties (HTML meta tags, PDF/DOCX/ODT properties), or a file's creation date where
    # the text's own lines say nothing; else clean_text says which line dated it (byline, signature)
    if "date" in meta or ("date" not in seen and "date" in found.defaults):
        meta["date_basis"] = "metadata"
    for k, v in (*seen.items(), *found.defaults.items()):
        meta.setdefault(k, v)
    if "date" not in meta:
        meta.pop("date_basis", None)
    if not _HAN.search(original):
        raise IngestError("no Chinese text after cleaning")
    sidecar = parse_sidecar(src.sidecar_name, src.sidecar)
    if "date" in sidecar:  # what the researcher wrote beside the file wins, and says so
        meta["date_basis"] = sidecar.get("date_basis", "metadata")
    meta.update(sidecar)
    text = to_simplified(original)
    if "title" not in meta and (t := guess_title(text)):
        meta["title"] = t
    if "date" in meta:
        iso = normalise_date(meta["date"])
        if iso:
            meta["date"] = iso
        else:
            meta.pop("date")
            meta.pop("date_basis", None)
    if "url" in meta:
        written = meta.pop("url")
        link = to_iri(written)
        if link is not None:
            meta["url"] = link
        else:
            shown = written if len(written) <= 60 else written[:57] + "…"
            notes.append(f"url {shown!r} is not a web link that can be an IRI: dcterms:source left out")
    return Document(id=src.doc_id, path=src.name, text=text, original_text=original, metadata=meta, notes=notes)
