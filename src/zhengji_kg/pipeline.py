"""Per-document extraction — a pure function of (document, rules) — and the corpus build around it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .extract import extract_mentions
from .graph import KnowledgeGraph
from .ingest import IngestError, iter_corpus_files, read_document
from .model import Document
from .relate import mention_modalities, relate
from .rules import RuleSet, load_rules
from .segment import forget_tokens, sentence_at, split_sentences


def extract_document(doc: Document, rules: RuleSet) -> Document:
    """segment → extract → relate on one document. Pure: same document and rules, same result."""
    forget_tokens()
    doc.sentences = split_sentences(doc.text)
    doc.mentions = extract_mentions(doc, rules)
    doc.relations = relate(doc, rules)
    doc.mentions = mention_modalities(doc, rules)
    issuer = _issuer(doc)
    if issuer and "issuer" not in doc.metadata:
        doc.metadata["issuer"] = issuer
    doc.__dict__.pop("_mech_cache", None)
    return doc


def _issuer(doc: Document) -> str:
    """The issuing body (发文机关): an organization standing alone on a line, as in a document's signature."""
    lines = {s.paragraph: s for s in doc.sentences}
    for m in doc.mentions:
        if m.type != "organization" or m.start == m.end:
            continue
        sent = sentence_at(doc.sentences, m.start)
        if sent and lines.get(sent.paragraph) is sent and sent.start == m.start and sent.end == m.end:
            return m.key
    return ""


@dataclass
class BuildReport:
    """What a build read, skipped and produced — printed by the CLI, useful in a notebook."""

    read: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def build(
    paths: Iterable[str | Path],
    rules: RuleSet | None = None,
    *,
    lexicons: Iterable[Path] = (),
    progress: Callable[[int, int, str], None] | None = None,
    strict: bool = False,
) -> KnowledgeGraph:
    """Build the knowledge graph of the documents under ``paths``.

    Returns a ``KnowledgeGraph``; ``.rdf()`` gives an ``rdflib.Graph``, ``.networkx()`` a
    ``networkx.MultiDiGraph``, ``.report`` what was read and skipped. A file that cannot be read is
    reported in ``.report.skipped`` and the rest still build; with ``strict`` the first one raises
    ``IngestError`` naming the file.
    """
    t0 = time.perf_counter()
    rules = rules or load_rules(extra_lexicons=[Path(p) for p in lexicons])
    files = list(iter_corpus_files([Path(p) for p in paths]))
    kg = KnowledgeGraph(rules)
    report = BuildReport()
    for i, (f, root) in enumerate(files, 1):
        name = f.relative_to(root).as_posix() if root in f.parents else f.name
        if progress:
            progress(i, len(files), name)
        try:
            doc = read_document(f, root)
        except IngestError as exc:
            if strict:
                raise IngestError(f"{name}: {exc}") from exc
            report.skipped.append((name, str(exc)))
            continue
        kg.add(extract_document(doc, rules))
        report.read.append(name)
    kg.finish()
    report.seconds = time.perf_counter() - t0
    kg.report = report
    return kg
