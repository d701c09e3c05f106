"""The per-document step of a build — a pure function of (document, rules) — and what a worker process
returns for one corpus file: ``extract_document`` (segment → extract → relate → date → derive),
``process_source`` (read, extract, and the document's own triples), ``DocResult``. The corpus build
(``corpus``) and the Dask executor (``distributed``) both run it."""

from __future__ import annotations

import gc
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zhengji_kg.base.children import die_with_parent, worker_started
from zhengji_kg.base.model import Document
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import forget_tokens, sentence_lookup, split_sentences, tokenizer
from zhengji_kg.extract import extract_mentions
from zhengji_kg.extract.dating import date_relations
from zhengji_kg.extract.hierarchy import derive
from zhengji_kg.extract.modality import mention_modalities
from zhengji_kg.extract.relate import issuer_lines, mentions_by_sentence, relate
from zhengji_kg.ingest import (
    IngestError,
    SourceFile,
    parse_source,
)
from zhengji_kg.kg.graph import Contribution, contribution
from zhengji_kg.kg.turtle import document_turtle


def extract_document(doc: Document, rules: RuleSet) -> Document:
    """segment → extract → relate → derive on one document. Pure: same document and rules, same result."""
    forget_tokens()
    doc.sentences = split_sentences(doc.text)
    doc.mentions = extract_mentions(doc, rules)
    doc.relations = date_relations(doc, relate(doc, rules))
    doc.mentions = mention_modalities(doc, rules)
    doc.derived, doc.place_codes = derive(doc, rules)
    issuer = _issuer(doc)
    if issuer and "issuer" not in doc.metadata:
        doc.metadata["issuer"] = issuer
    doc.__dict__.pop("_mech_cache", None)
    return doc


def _issuer(doc: Document) -> str:
    """The issuing body (发文机关): the first organization of a line made of bodies only, as in a
    document's signature or its 红头 (``relate.issuer_lines``)."""
    lines = issuer_lines(doc, mentions_by_sentence(doc, doc.mentions))
    return next((orgs[0].key for _sent, orgs in lines), "")


def slim(doc: Document) -> Document:
    """The part of an extracted document the merge and the per-document triples need: metadata,
    mentions, relations and only the sentences that hold a mention — not the text."""
    at = sentence_lookup(doc.sentences)
    kept = {s.start: s for m in doc.mentions if (s := at(m.start)) is not None}
    return replace(doc, text="", original_text="", sentences=[kept[k] for k in sorted(kept)])


@dataclass
class DocResult:
    """One corpus file after a worker is done with it: the (slim) document and its Turtle part, or why
    it was skipped."""

    name: str
    doc: Document | None = None  # the extracted document (``build``); a streamed build needs only ``part``
    error: str = ""
    part: Contribution | None = None  # what the document contributes to the merge (graph.contribution)
    turtle: bytes = b""  # the document's own triples (rdf.document_turtle), without @prefix lines
    triples: int = 0
    key: str = ""  # its cache key, when a cache is used
    warnings: tuple[str, ...] = ()  # what had to be mended to read it (``Document.notes``)
    turtle_size: int = -1  # from the cache: the length of its Turtle, which stays in the cache until needed
    run: str = ""  # the key of the run of documents it belongs to (see ``_runs``), when a cache is used
    run_size: int = 0  # how many documents that run holds
    run_state: Any = None  # on the first document of a run taken whole from the cache: the run's merged state
    # from a worker process: the rest of the result pickled there, without the Turtle — what the cache
    # stores, so that the build process unpickles it once (``unpack_result``) and never pickles it again
    packed: bytes = b""


def pack_result(result: DocResult) -> DocResult:
    """``result`` as a worker sends it back: its Turtle and the rest pickled (see ``DocResult.packed``)."""
    if result.part is None:
        return result
    blob = pickle.dumps(replace(result, turtle=b""), protocol=pickle.HIGHEST_PROTOCOL)
    return DocResult(result.name, turtle=result.turtle, triples=result.triples, packed=blob)


def unpack_result(result: DocResult) -> DocResult:
    """The result ``pack_result`` packed, whole again (its ``packed`` bytes kept for the cache)."""
    if not result.packed:
        return result
    value = pickle.loads(result.packed)
    value.turtle, value.packed = result.turtle, result.packed
    return value


_WARMUP = SourceFile("warmup.txt", "机制建设：建立容错纠错机制，树立正确政绩观。".encode())
_WORKER_RULES: RuleSet | None = None


def _init_worker(rules: RuleSet, parent: int | None = None) -> None:
    """Set a worker up: ended with the build's process even if that is killed outright
    (``children.die_with_parent``), its rules, the dictionaries and automata loaded (while the main
    process is still reading the corpus), and a collector that never walks them again (frozen: they live
    as long as the worker). Forked from a build that paused the collector, it turns it back on."""
    global _WORKER_RULES
    worker_started()
    die_with_parent(parent)
    _WORKER_RULES = rules
    process_source(_WARMUP, rules, turtle=False)
    tokenizer()
    gc.freeze()
    gc.enable()


def process_source(
    src: SourceFile, rules: RuleSet | None = None, turtle: bool = True, keep_text: bool = False
) -> DocResult:
    """parse → extract → (slim) → serialise one file. Runs in a worker: never raises for a bad file.

    With ``turtle`` (a streamed build) the result carries the document's own Turtle and its contribution
    to the merge — plain tuples, cheap to send back and to cache — instead of the document."""
    rules = rules or _WORKER_RULES
    assert rules is not None, "process_source needs rules (or a worker initialised with them)"
    try:
        doc = extract_document(parse_source(src), rules)
        warnings = tuple(doc.notes)
        if not keep_text:
            doc = slim(doc)
        if not turtle:
            return DocResult(src.name, doc, warnings=warnings)
        iris: dict = {}
        data, triples = document_turtle(doc, iris)
        return DocResult(src.name, part=contribution(doc, iris), turtle=data, triples=triples, warnings=warnings)
    except IngestError as exc:
        return DocResult(src.name, error=str(exc))
    except RecursionError:
        return DocResult(src.name, error="too deeply nested to read")
    except Exception as exc:  # a bug met on strange input must cost this file only
        return DocResult(src.name, error=internal_error("extracting", exc))


def internal_error(doing: str, exc: BaseException) -> str:
    """The one line a skipped file gets for a bug of ours: what failed, and where (for a bug report)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "zhengji_kg" in f.filename] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    message = str(exc).replace("\n", " ")
    message = message if len(message) <= 200 else message[:197] + "…"
    return f"internal error while {doing} ({exc.__class__.__name__}: {message}){where} — please report it"
