"""Merge: per-document results → one in-memory graph model, and its networkx view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .gazetteer import gazetteer
from .model import Document, Mention, Relation
from .rules import RuleSet

if TYPE_CHECKING:
    from collections.abc import Iterator

    import networkx as nx
    import pyoxigraph as ox
    import rdflib

    from .pipeline import BuildReport

EntityKey = tuple[str, str]


@dataclass
class EntityRecord:
    type: str
    key: str
    labels: Counter[str] = field(default_factory=Counter)
    sources: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    category: str = ""
    subtype: str = ""
    code: str = ""
    count: int = 0


@dataclass(frozen=True)
class Evidence:
    source: str
    sentence: str
    start: int
    end: int
    rule: str
    modality: str = "reported"
    derived: bool = False  # known from the gazetteer or lexicon (partOf, broader, basedIn), not stated


class KnowledgeGraph:
    """Entities, sources and relations with their evidence; exports to rdflib and networkx."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.entities: dict[EntityKey, EntityRecord] = {}
        self.sources: dict[str, dict[str, str]] = {}
        self.relations: dict[tuple[EntityKey, str, EntityKey], list[Evidence]] = {}
        # the per-document results the graph was merged from (slim: only the sentences that hold a
        # mention); ``add(doc, keep=False)`` drops them when a build streams its output to disk
        self.documents: dict[str, Document] = {}
        self.streamed = False
        self.report: BuildReport | None = None

    # ------------------------------------------------------------ merge
    def add(self, doc: Document, keep: bool = True) -> None:
        """Merge one document's extraction; with ``keep=False`` the document itself is not kept (its
        per-document triples must then have been written already — see ``pipeline.build_to``)."""
        self.sources[doc.id] = dict(doc.metadata)
        if keep:
            self.documents[doc.id] = doc
        else:
            self.streamed = True
        for m in doc.mentions:
            self._add_mention(doc, m)
        for r in doc.relations:
            self._add_relation(doc, r)
        self._add_derived(doc)

    def _entity(self, etype: str, key: str) -> EntityRecord:
        rec = self.entities.get((etype, key))
        if rec is None:
            rec = self.entities[(etype, key)] = EntityRecord(etype, key)
            lex = self.rules.by_key.get((etype, key))
            if lex:
                rec.category = lex.category
        return rec

    def _add_mention(self, doc: Document, m: Mention) -> None:
        rec = self._entity(m.type, m.key)
        rec.labels[m.surface] += 1
        for a in m.aliases:
            rec.labels[a] += 0
        rec.sources.add(doc.id)
        rec.rules.add(m.rule)
        rec.count += 1
        if m.code:
            rec.code = m.code
        if m.subtype and not rec.subtype:
            rec.subtype = m.subtype
        if m.category and not rec.category:
            rec.category = m.category

    def _add_relation(self, doc: Document, r: Relation) -> None:
        ev = Evidence(doc.id, r.sentence.text, r.sentence.start, r.sentence.end, r.rule, r.modality)
        self.relations.setdefault((r.subject, r.predicate, r.object), []).append(ev)

    def _add_derived(self, doc: Document) -> None:
        """partOf / basedIn / broader from the document's ``derived`` (see ``hierarchy.derive``): the
        relation with its evidence, and the parent entity with what the gazetteer knows of it."""
        g = gazetteer()
        for r in doc.derived:
            ev = Evidence(doc.id, r.sentence.text, r.sentence.start, r.sentence.end, r.rule, derived=True)
            self.relations.setdefault((r.subject, r.predicate, r.object), []).append(ev)
            parent = self._entity(*r.object)
            code = doc.place_codes.get(r.object[1], "") if r.object[0] == "place" else ""
            if code and code in g.divisions:
                d = g.divisions[code]
                parent.code, parent.subtype = d.code, d.level
                parent.labels[d.name] += 0

    def finish(self) -> None:
        """Corpus-level step after all documents: every relation's evidence in a fixed order."""
        for ev in self.relations.values():
            ev.sort(key=lambda e: (e.source, e.start, e.rule))

    # ------------------------------------------------------------ views
    def counts(self) -> dict[str, Any]:
        ent = Counter(t for t, _ in self.entities)
        rel = Counter(p for _, p, _ in self.relations)
        return {"entities": dict(sorted(ent.items())), "relations": dict(sorted(rel.items()))}

    def triples(self) -> Iterator[ox.Triple]:
        """Every triple of the graph (pyoxigraph terms): the merged part, then each document's part."""
        from .rdf import document_triples, merge_triples

        if self.streamed:
            raise ValueError("this graph was streamed to disk as it was built; load its graph.ttl instead")
        yield from merge_triples(self)
        for doc_id in sorted(self.documents):
            yield from document_triples(self.documents[doc_id])

    def rdf(self) -> rdflib.Graph:
        from .rdf import to_rdf

        return to_rdf(self)

    def networkx(self) -> nx.MultiDiGraph:
        """Entities as nodes (label, type, aliases, count, code), relations as keyed edges (``relation``,
        ``weight`` = evidence sentences) — the same graph ``export --to gexf|graphml`` writes."""
        from .export.gephi import to_networkx

        return to_networkx(self.rdf())
