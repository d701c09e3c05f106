"""Merge: per-document results → one in-memory graph model, and its networkx view."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from zhengji_kg.base.gazetteer import gazetteer
from zhengji_kg.base.model import SCORED, BuildReport, Document, Evidence
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.kg.netx import to_networkx
from zhengji_kg.kg.rdf import document_triples, merge_triples, relation_evidence_iri, to_rdf

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import networkx as nx
    import pyoxigraph as ox
    import rdflib

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
        # entities whose subtype a derived relation set outright (the last such value): what a partial
        # merge must replay to equal merging its documents one by one (see ``partial``)
        self.forced_subtypes: dict[EntityKey, str] = {}
        self.streamed = False
        self.report: BuildReport | None = None

    # ------------------------------------------------------------ merge
    def add(self, doc: Document, keep: bool = True) -> None:
        """Merge one document's extraction; with ``keep=False`` the document itself is not kept (its
        per-document triples must then have been written already — see ``pipeline.corpus.build_to``)."""
        if keep:
            self.documents[doc.id] = doc
        self.merge(contribution(doc))

    def merge(self, part: Contribution) -> None:
        """Merge what one document contributes (``contribution``) — all a streamed build keeps of it."""
        if part[0] not in self.documents:
            self.streamed = True
        doc_id, metadata, entities, relations, place_codes = part
        self.sources[doc_id] = dict(metadata)
        records = self.entities
        for etype, key, surfaces, aliases, rules, count, code, subtype, category in entities:
            rec = records.get((etype, key)) or self._entity(etype, key)  # found, nearly always
            labels = rec.labels
            for surface, n in surfaces:
                labels[surface] = labels.get(surface, 0) + n
            for a in aliases:
                labels[a] = labels.get(a, 0)
            rec.sources.add(doc_id)
            rec.rules.update(rules)
            rec.count += count
            if code:
                rec.code = code
            if subtype and not rec.subtype:
                rec.subtype = subtype
            if category and not rec.category:
                rec.category = category
        g = gazetteer()
        known = self.relations
        make = tuple.__new__  # Evidence(doc_id, *r[3:]) without the keyword handling: 10^5 of them per corpus
        for r in relations:
            subject, pred, obj = r[0], r[1], r[2]
            evs = known.get((subject, pred, obj))
            if evs is None:
                evs = known[(subject, pred, obj)] = []
            evs.append(make(Evidence, (doc_id, *r[3:])))
            if r[8]:  # derived: the parent of partOf / basedIn / broader, with what the gazetteer knows of it
                parent = self._entity(*obj)
                code = place_codes.get(obj[1], "") if obj[0] == "place" else ""
                if code and code in g.divisions:
                    d = g.divisions[code]
                    parent.code, parent.subtype = d.code, d.level
                    self.forced_subtypes[obj] = d.level
                    parent.labels[d.name] += 0

    def partial(self) -> Partial:
        """This graph's merged state as plain data (cheap to pickle and load), for ``merge_partial``.

        Merging the partials of consecutive runs of documents, in corpus order, gives exactly what
        merging the documents one by one gives: counts add up, sets join, evidence lists concatenate, a
        code is the last one set, a category the first one found, and a subtype the last one a derived
        relation set or else the first one found. An incremental build keeps the partial of each run of
        documents and merges runs instead of thousands of documents.
        """
        entities = [
            (
                etype, key, list(rec.labels.items()), list(rec.sources), list(rec.rules), rec.count,
                rec.code, rec.subtype, rec.category, self.forced_subtypes.get((etype, key), ""),
            )
            for (etype, key), rec in self.entities.items()
        ]  # fmt: skip
        relations = [(k, list(map(tuple, evs))) for k, evs in self.relations.items()]
        return dict(self.sources), entities, relations

    def merge_partial(self, part: Partial) -> None:
        """Merge the ``partial`` of the graph of a run of documents that come next in corpus order."""
        self.streamed = True
        sources, entities, relations = part
        self.sources.update(sources)
        for etype, key, labels, srcs, rules, count, code, subtype, category, forced in entities:
            self._fold(etype, key, labels, srcs, rules, count, code, subtype, category, forced)
        known = self.relations
        for k, evs in relations:
            mine = known.get(k)
            if mine is None:
                mine = known[k] = []
            mine.extend(map(_EVIDENCE, evs))

    def absorb(self, run: KnowledgeGraph) -> None:
        """``merge_partial(run.partial())`` without the round trip: the graph of a run of documents that
        come next in corpus order, merged by taking its records and evidence as they are (``run`` is
        spent). A build that stores each run's partial merges the run itself this way."""
        self.streamed = True
        self.sources.update(run.sources)
        forced = run.forced_subtypes
        for (etype, key), r in run.entities.items():
            self._fold(
                etype, key, r.labels.items(), r.sources, r.rules, r.count, r.code, r.subtype, r.category,
                forced.get((etype, key), ""),
            )  # fmt: skip
        known = self.relations
        for k, evs in run.relations.items():
            mine = known.get(k)
            if mine is None:
                known[k] = evs
            else:
                mine.extend(evs)
        run.entities, run.relations = {}, {}  # its lists now belong to this graph

    def _fold(
        self,
        etype: str,
        key: str,
        labels: Iterable[tuple[str, int]],
        sources: Iterable[str],
        rules: Iterable[str],
        count: int,
        code: str,
        subtype: str,
        category: str,
        forced: str,
    ) -> None:
        """Merge what a run of documents knows of one entity into its record (``merge_partial``, ``absorb``):
        counts add up, sets join, a code is the last one set, a category the first one found, and a subtype
        the one a derived relation set outright (``forced``) or else the first one found."""
        rec = self._entity(etype, key)
        own = rec.labels
        for surface, n in labels:
            own[surface] = own.get(surface, 0) + n
        rec.sources.update(sources)
        rec.rules.update(rules)
        rec.count += count
        if code:
            rec.code = code
        if forced:
            rec.subtype = self.forced_subtypes[(etype, key)] = forced
        elif subtype and not rec.subtype:
            rec.subtype = subtype
        if category and not rec.category:
            rec.category = category

    def _entity(self, etype: str, key: str) -> EntityRecord:
        rec = self.entities.get((etype, key))
        if rec is None:
            rec = self.entities[(etype, key)] = EntityRecord(etype, key)
            lex = self.rules.by_key.get((etype, key))
            if lex:
                rec.category = lex.category
        return rec

    def finish(self) -> None:
        """Corpus-level step after all documents: relations and their evidence in a fixed order."""
        key = itemgetter(0, 2, 4)  # (source, start, rule)
        for ev in self.relations.values():
            ev.sort(key=key)
        # in key order too: the writers and the page each walk them sorted, and sorting what is already
        # in order is one pass
        self.relations = dict(sorted(self.relations.items(), key=itemgetter(0)))

    # ------------------------------------------------------------ views
    def counts(self) -> dict[str, Any]:
        ent = Counter(t for t, _ in self.entities)
        rel = Counter(p for _, p, _ in self.relations)
        return {"entities": dict(sorted(ent.items())), "relations": dict(sorted(rel.items()))}

    def triples(self) -> Iterator[ox.Triple]:
        """Every triple of the graph (pyoxigraph terms): the merged part, then each document's part."""
        if self.streamed:
            raise ValueError("this graph was streamed to disk as it was built; load its graph.ttl instead")
        yield from merge_triples(self)
        for doc_id in sorted(self.documents):
            yield from document_triples(self.documents[doc_id])

    def rdf(self) -> rdflib.Graph:
        return to_rdf(self)

    def networkx(self) -> nx.MultiDiGraph:
        """Entities as nodes (label, type, aliases, count, code), relations as keyed edges (``relation``,
        ``weight`` = evidence sentences) — the same graph ``export --to gexf|graphml`` writes."""
        return to_networkx(self.rdf())


# ``KnowledgeGraph.partial``: (sources, entities, relations) as plain data, where an entity is (type, key,
# [(label, n)], sources, rules, count, code, subtype, category, subtype forced by a derived relation or "")
# and a relation ((subject, predicate, object), [evidence as plain tuples]).
Partial = tuple[dict[str, dict[str, str]], list[tuple], list[tuple]]
_EVIDENCE = functools.partial(tuple.__new__, Evidence)

# What one document contributes to the merge, as plain tuples (cheap to send from a worker, to cache and
# to load again): (id, metadata, entities, relations, place codes), where an entity is (type, key,
# [(surface, n)], aliases, rules, count, code, subtype, category) in order of first mention, and a
# relation (subject, predicate, object, sentence, start, end, rule, modality, derived, evidence IRI or "",
# score or None, date, date basis).
Contribution = tuple[str, dict[str, str], list[tuple], list[tuple], dict[str, str]]


def contribution(doc: Document, cooccurrence_iris: dict | None = None) -> Contribution:
    """The merge's input from one document: its mentions summed per entity (the merge adds them the
    same way one by one), its stated relations, then its derived ones, each with its sentence.
    ``cooccurrence_iris`` are the evidence IRIs ``turtle.document_turtle`` already worked out."""
    known = cooccurrence_iris or {}

    ents: dict[EntityKey, list[Any]] = {}
    for m in doc.mentions:
        e = ents.get((m.type, m.key))
        if e is None:
            e = ents[(m.type, m.key)] = [m.type, m.key, {}, {}, {}, 0, "", "", ""]
        surfaces = e[2]  # surface → count, in order of first use (as a Counter would keep them)
        surfaces[m.surface] = surfaces.get(m.surface, 0) + 1
        if m.aliases:
            e[3].update(dict.fromkeys(m.aliases))
        e[4][m.rule] = None
        e[5] += 1
        if m.code:
            e[6] = m.code
        if m.subtype and not e[7]:
            e[7] = m.subtype
        if m.category and not e[8]:
            e[8] = m.category
    entities = [
        (t, k, list(c.items()), list(a), list(r), n, code, sub, cat)
        for t, k, c, a, r, n, code, sub, cat in ents.values()
    ]
    relations = [
        (
            r.subject,
            r.predicate,
            r.object,
            # a co-occurrence's sentence is written with its evidence node in the document's own part and
            # never read from the model (the page shows the first sentence of the other relations only):
            # leaving it out takes ~40 % off what a worker sends and a cached run of documents holds
            "" if r.predicate == "relatedTo" else r.sentence.text,
            r.sentence.start,
            r.sentence.end,
            r.rule,
            r.modality,
            derived,
            # the co-occurrence weight goes on each evidence node: its IRI is computed here, in the worker
            (
                known.get((r.subject, r.object, r.sentence.start, r.sentence.end)) or relation_evidence_iri(doc.id, r)
                if r.predicate == "relatedTo"
                else ""
            ),
            None if derived or r.predicate not in SCORED else r.score,
            r.date,
            r.date_basis,
        )
        for rels, derived in ((doc.relations, False), (doc.derived, True))
        for r in rels
    ]
    return doc.id, dict(doc.metadata), entities, relations, dict(doc.place_codes)
