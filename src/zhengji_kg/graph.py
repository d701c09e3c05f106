"""Merge: per-document results → one in-memory graph model, and its networkx view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .gazetteer import gazetteer
from .model import Document, Mention, Relation, Sentence
from .rules import RuleSet
from .segment import sentence_lookup

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
        # entity → source → the first sentence that mentions it there (evidence for derived relations)
        self._first_sentence: dict[EntityKey, dict[str, Evidence]] = {}

    # ------------------------------------------------------------ merge
    def add(self, doc: Document, keep: bool = True) -> None:
        """Merge one document's extraction; with ``keep=False`` the document itself is not kept (its
        per-document triples must then have been written already — see ``pipeline.build_to``)."""
        self.sources[doc.id] = dict(doc.metadata)
        if keep:
            self.documents[doc.id] = doc
        else:
            self.streamed = True
        at = sentence_lookup(doc.sentences)
        for m in doc.mentions:
            self._add_mention(doc, m, at(m.start))
        for r in doc.relations:
            self._add_relation(doc, r)

    def _entity(self, etype: str, key: str) -> EntityRecord:
        rec = self.entities.get((etype, key))
        if rec is None:
            rec = self.entities[(etype, key)] = EntityRecord(etype, key)
            lex = self.rules.by_key.get((etype, key))
            if lex:
                rec.category = lex.category
        return rec

    def _add_mention(self, doc: Document, m: Mention, sent: Sentence | None) -> None:
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
        if sent:
            firsts = self._first_sentence.setdefault((m.type, m.key), {})
            if doc.id not in firsts:
                firsts[doc.id] = Evidence(doc.id, sent.text, sent.start, sent.end, m.rule, m.modality or "reported")

    def _add_relation(self, doc: Document, r: Relation) -> None:
        ev = Evidence(doc.id, r.sentence.text, r.sentence.start, r.sentence.end, r.rule, r.modality)
        self.relations.setdefault((r.subject, r.predicate, r.object), []).append(ev)

    def finish(self) -> None:
        """Corpus-level steps after all documents: hierarchy (partOf, broader), weights, sorting."""
        g = gazetteer()
        for (etype, key), rec in list(self.entities.items()):
            if etype == "place" and rec.code:
                child: EntityKey = ("place", key)
                for parent_code in g.ancestors(rec.code):
                    d = g.divisions[parent_code]
                    prec = self._entity("place", d.label)
                    prec.code, prec.subtype = d.code, d.level
                    prec.labels[d.name] += 0
                    self._derived(child, "partOf", ("place", d.label), "partOf.gazetteer")
                    child = ("place", d.label)
            if etype == "organization":
                place = _place_in_name(key)
                if place:
                    prec = self._entity("place", place.label)
                    prec.code, prec.subtype = place.code, place.level
                    prec.labels[place.name] += 0
                    self._derived((etype, key), "basedIn", ("place", place.label), "basedIn.name")
                    for parent_code in g.ancestors(place.code):
                        d = g.divisions[parent_code]
                        self._entity("place", d.label).code = d.code
                        self._entity("place", d.label).subtype = d.level
                        self._derived(("place", place.label), "partOf", ("place", d.label), "partOf.gazetteer")
                        place = d
            if etype in ("concept", "mechanism"):
                broader = self._broader(etype, key)
                if broader:
                    self._entity(etype, broader)
                    self._derived((etype, key), "broader", (etype, broader), broader_rule(self.rules, etype, key))
        for ev in self.relations.values():
            ev.sort(key=lambda e: (e.source, e.start, e.rule))

    def _broader(self, etype: str, key: str) -> str:
        lex = self.rules.by_key.get((etype, key))
        if lex and lex.broader and lex.broader != key:
            return lex.broader
        if etype == "mechanism":
            for fam in self.rules.rules.get("families") or []:
                if fam["contains"] in key and key.endswith(tuple(fam["head"])) and key != fam["broader"]:
                    return fam["broader"]
        return ""

    def _derived(self, child: EntityKey, pred: str, parent: EntityKey, rule: str) -> None:
        """A relation known from the gazetteer or lexicon: its evidence is each source's first mention."""
        firsts = self._first_sentence.get(child, {})
        evs = [firsts[src] for src in sorted(firsts)]
        if not evs:
            return
        self.relations.setdefault((child, pred, parent), []).extend(
            Evidence(e.source, e.sentence, e.start, e.end, rule, derived=True) for e in evs
        )
        for e in evs:
            self._first_sentence.setdefault(parent, {}).setdefault(
                e.source, Evidence(e.source, e.sentence, e.start, e.end, rule)
            )

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


def _place_in_name(name: str):
    """The longest unambiguous administrative name inside an organization's name (辽宁省委组织部 → 辽宁省)."""
    from .extract.places import _scan

    g = gazetteer()
    scanned = [cs for _s, _e, _n, cs in _scan(name)]
    unique = {cs[0] for cs in scanned if len(cs) == 1}
    hits = set(unique)
    for cs in scanned:
        if len(cs) > 1:  # 朝阳区 of 北京市朝阳区纪委监委: the candidate under a place the name also gives
            under = [c for c in cs if unique & set(g.ancestors(c))]
            if len(under) == 1:
                hits.add(under[0])
    lowest = [c for c in hits if not any(c in g.ancestors(o) for o in hits)]
    return g.divisions[lowest[0]] if len(lowest) == 1 else None


def broader_rule(rules: RuleSet, etype: str, key: str) -> str:
    lex = rules.by_key.get((etype, key))
    return "broader.lexicon" if lex and lex.broader else "broader.name-family"
