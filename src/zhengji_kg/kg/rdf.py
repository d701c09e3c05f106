"""RDF: the graph model → rdflib.Graph following the published contract (DESIGN.md).

Every IRI is minted by ``mint``: readable (Chinese labels stay Chinese, as IRIs allow), with the few
characters an IRI may not hold percent-encoded, so that any label gives a valid, stable IRI and two
distinct labels never share one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS, XSD

from zhengji_kg.base.iri import encode_segment, is_iri
from zhengji_kg.base.model import SCORED, Evidence
from zhengji_kg.base.segment import sentence_lookup

if TYPE_CHECKING:
    from zhengji_kg.base.model import Document, Relation, Sentence
    from zhengji_kg.kg.graph import KnowledgeGraph

ZJ = Namespace("https://w3id.org/zhengji-kg/ontology#")
ZJR = Namespace("https://w3id.org/zhengji-kg/id/")
CLASS = {"concept": ZJ.Concept, "mechanism": ZJ.Mechanism, "place": ZJ.Place, "organization": ZJ.Organization}
PREFIXES = {
    "zj": str(ZJ),
    "zjr": str(ZJR),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "rdfs": str(RDFS),
    "rdf": str(RDF),
    "owl": str(OWL),
    "xsd": str(XSD),
}
PREDICATE = {
    "implements": ZJ.implements,
    "practicedIn": ZJ.practicedIn,
    "establishedBy": ZJ.establishedBy,
    "contrastsWith": ZJ.contrastsWith,
    "partOf": ZJ.partOf,
    "broader": SKOS.broader,
    "relatedTo": ZJ.relatedTo,
    "basedIn": ZJ.basedIn,
}
# relations whose evidence says how the sentence takes them (zj:modality)
STATED = ("implements", "practicedIn", "establishedBy", "contrastsWith", "relatedTo")


def mint(*segments: str) -> URIRef:
    """An instance IRI under ``zjr:`` from path segments, each percent-encoded where an IRI needs it."""
    return URIRef(str(ZJR) + "/".join(seg if _PLAIN.fullmatch(seg) else encode_segment(seg) for seg in segments))


# segments made only of these need no encoding (``encode_segment`` would return them as they are): the
# common case of Chinese labels, checked by one regex instead of a test per character
_PLAIN = re.compile(r"[A-Za-z0-9\-._~:\u3400-\u4db5\u4e00-\u9fa5]+")


def entity_iri(etype: str, key: str) -> URIRef:
    return mint(etype, key)


def source_iri(doc_id: str) -> URIRef:
    return mint("source", *doc_id.split("/"))


def evidence_iri(s: str, p: str, o: str, source: str, start: int, end: int) -> str:
    """The IRI of the evidence of (s, p, o) in one sentence of one source: a hash, so it is stable and
    the same whichever worker or build computes it (hex digits need no escaping, hence no ``mint``)."""
    return f"{ZJR}evidence/{evidence_hash(s, p, o, source, start, end)}"


def evidence_hash(s: str, p: str, o: str, source: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{s}\x1f{p}\x1f{o}\x1f{source}\x1f{start}\x1f{end}".encode()).hexdigest()[:20]


def relation_evidence_iri(doc_id: str, r) -> str:
    """``evidence_iri`` of a ``Relation`` stated in the document ``doc_id``."""
    return evidence_iri(
        entity_node(*r.subject).value,
        PRED_NODES[r.predicate].value,
        entity_node(*r.object).value,
        doc_id,
        r.sentence.start,
        r.sentence.end,
    )


def bind(g: Graph) -> Graph:
    for prefix, ns in (
        ("zj", ZJ),
        ("zjr", ZJR),
        ("skos", SKOS),
        ("prov", PROV),
        ("dcterms", DCTERMS),
        ("rdfs", RDFS),
        ("owl", OWL),
        ("xsd", XSD),
    ):
        g.bind(prefix, ns, override=True)
    return g


# ---------------------------------------------------------------- triples
#
# The graph is generated once, as pyoxigraph terms, in two parts that together are the whole graph:
# ``document_triples`` (what one document alone determines: its mentions with their sentences, the
# evidence of the relations it states and of those derived from what it mentions) runs in the workers,
# beside extraction, and is cached with it; ``merge_triples`` (sources, entities, relation triples,
# co-occurrence weights) runs once over the merged model. ``to_rdf`` and the Turtle writer both walk
# these generators, so the rdflib graph of the API and the streamed file never disagree.

# a date is typed by its precision (DESIGN.md, dates): 2019 xsd:gYear, 2019-05 xsd:gYearMonth, 2019-05-02 xsd:date
_DATE_TYPES = {4: ox.NamedNode(str(XSD.gYear)), 7: ox.NamedNode(str(XSD.gYearMonth)), 10: ox.NamedNode(str(XSD.date))}


def date_literal(iso: str) -> ox.Literal:
    """``dates.PartialDate.iso`` text as a literal typed by its precision (ingest gives sources no other
    form; a date set by hand through the API that is none stays a plain string rather than a false type)."""
    kind = _DATE_TYPES.get(len(iso)) if _ISO_DATE.fullmatch(iso) else None
    return ox.Literal(iso, datatype=kind) if kind else ox.Literal(iso)


_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

TERMS = {
    name: ox.NamedNode(str(iri))
    for name, iri in {
        "type": RDF.type,
        "subject": RDF.subject,
        "predicate": RDF.predicate,
        "object": RDF.object,
        "prefLabel": SKOS.prefLabel,
        "altLabel": SKOS.altLabel,
        "label": RDFS.label,
        "derived": PROV.wasDerivedFrom,
        "identifier": DCTERMS.identifier,
        "title": DCTERMS.title,
        "date": DCTERMS.date,
        "publisher": DCTERMS.publisher,
        "creator": DCTERMS.creator,
        "source": DCTERMS.source,
        **{
            f"zj:{n}": ZJ[n]
            for n in (
                "Source",
                "Evidence",
                "AnonymisedPlace",
                "Region",
                "mentionedIn",
                "sentence",
                "charStart",
                "charEnd",
                "rule",
                "modality",
                "score",
                "eventDate",
                "dateBasis",
                "weight",
                "mentionCount",
                "category",
                "adminCode",
                "adminLevel",
                "issuedBy",
                "documentNumber",
            )
        },
    }.items()
}
CLASS_NODES = {k: ox.NamedNode(str(v)) for k, v in CLASS.items()}
PRED_NODES = {k: ox.NamedNode(str(v)) for k, v in PREDICATE.items()}


@lru_cache(maxsize=65536)
def entity_node(etype: str, key: str) -> ox.NamedNode:
    return ox.NamedNode(str(entity_iri(etype, key)))


@lru_cache(maxsize=65536)
def source_node(doc_id: str) -> ox.NamedNode:
    return ox.NamedNode(str(source_iri(doc_id)))


def zh_literal(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


# Literals that recur across evidence nodes (offsets, rule ids, modalities, a sentence behind several
# relations) are made once: building terms is most of the cost of a document's triples.
_zh_cached = lru_cache(maxsize=4096)(zh_literal)
_plain = lru_cache(maxsize=65536)(ox.Literal)
_EVIDENCE = (
    TERMS["type"],
    TERMS["subject"],
    TERMS["predicate"],
    TERMS["object"],
    TERMS["derived"],
    TERMS["zj:sentence"],
    TERMS["zj:charStart"],
    TERMS["zj:charEnd"],
    TERMS["zj:rule"],
    TERMS["zj:modality"],
)
_XSD_DECIMAL = ox.NamedNode(str(XSD.decimal))


def score_text(score: float) -> str:
    """A score as the xsd:decimal both writers give it (two places: 4.31, -0.50)."""
    return f"{score:.2f}"


@lru_cache(maxsize=4096)
def _score_literal(score: float) -> ox.Literal:
    return ox.Literal(score_text(score), datatype=_XSD_DECIMAL)


def _evidence_triples(
    s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode, ev: Evidence, modality: bool
) -> list[ox.Triple]:
    """One zj:Evidence node: the reified triple, its sentence with offsets, rule, source (and modality)."""
    n = ox.NamedNode(evidence_iri(s.value, p.value, o.value, ev.source, ev.start, ev.end))
    t_type, t_s, t_p, t_o, t_src, t_sent, t_start, t_end, t_rule, t_mod = _EVIDENCE
    Triple = ox.Triple
    out = [
        Triple(n, t_type, TERMS["zj:Evidence"]),
        Triple(n, t_s, s),
        Triple(n, t_p, p),
        Triple(n, t_o, o),
        Triple(n, t_src, source_node(ev.source)),
        Triple(n, t_sent, _zh_cached(ev.sentence)),
        Triple(n, t_start, _plain(ev.start)),
        Triple(n, t_end, _plain(ev.end)),
        Triple(n, t_rule, _plain(ev.rule)),
    ]
    if modality:
        out.append(Triple(n, t_mod, _plain(ev.modality)))
    if ev.score is not None:
        out.append(Triple(n, TERMS["zj:score"], _score_literal(ev.score)))
    if ev.date:
        out.append(Triple(n, TERMS["zj:eventDate"], date_literal(ev.date)))
        out.append(Triple(n, TERMS["zj:dateBasis"], _plain(ev.date_basis)))
    return out


def document_triples(doc: Document) -> Iterator[ox.Triple]:
    """What one document alone determines: ``zj:mentionedIn`` with one evidence per mentioning sentence
    (and that mention's modality), the evidence of every relation the document states, and the evidence
    of the relations the gazetteer and lexicon derive from what it mentions (``hierarchy.derive``)."""
    src = source_node(doc.id)
    mentioned = TERMS["zj:mentionedIn"]
    for (etype, key), evs in _mention_evidence(doc):
        e = entity_node(etype, key)
        yield ox.Triple(e, mentioned, src)
        for start in sorted(evs):
            yield from _evidence_triples(e, mentioned, src, evs[start], modality=True)
    seen: set[ox.Triple] = set()  # two rules finding one relation in one sentence share its node
    for r in sorted_relations(doc):
        ev = relation_evidence(doc.id, r)
        for t in _evidence_triples(
            entity_node(*r.subject), PRED_NODES[r.predicate], entity_node(*r.object), ev, r.predicate in STATED
        ):
            if t not in seen:
                seen.add(t)
                yield t


def _mention_evidence(doc: Document) -> list[tuple[tuple[str, str], dict[int, Evidence]]]:
    """Each mentioned entity, in order, with the evidence of its first mention in each sentence."""
    return [
        (
            entity,
            {
                at: Evidence(doc.id, s.text, s.start, s.end, rule, mood, score=score)
                for at, (s, rule, mood, score) in evs.items()
            },
        )
        for entity, evs in mention_sentences(doc)
    ]


def relation_evidence(doc_id: str, r: Relation) -> Evidence:
    """A relation's evidence; the relations the scored decision decides carry its score."""
    score = r.score if r.predicate in SCORED else None  # (derived relations are partOf, broader, basedIn)
    return Evidence(
        doc_id, r.sentence.text, r.sentence.start, r.sentence.end, r.rule, r.modality, score=score, date=r.date,
        date_basis=r.date_basis,
    )  # fmt: skip


def sorted_relations(doc: Document) -> list:
    return sorted(
        doc.relations + doc.derived, key=lambda r: (r.subject, r.predicate, r.object, r.sentence.start, r.rule)
    )


def mention_sentences(
    doc: Document,
) -> list[tuple[tuple[str, str], dict[int, tuple[Sentence, str, str, float]]]]:
    """Each mentioned entity, in order, with its first mention's (sentence, rule, modality, score) in each
    sentence, by sentence start: ``_mention_evidence`` as ``document_turtle`` reads it."""
    at = sentence_lookup(doc.sentences)
    per_entity: dict[tuple[str, str], dict[int, tuple[Sentence, str, str, float]]] = {}
    for m in doc.mentions:
        sent = at(m.start)
        evs = per_entity.setdefault((m.type, m.key), {})
        if sent is not None and sent.start not in evs:
            evs[sent.start] = (sent, m.rule, m.modality or "reported", m.score)
    return sorted(per_entity.items())


# The merged part as statements — (subject, [(predicate, object) …]) in the order of the file — with its
# terms as small tuples: ("source", doc id) ("entity", type, key) ("class", name) ("zh", text)
# ("plain", text) ("date", text) ("int", n) ("iri", url); predicates are ``TERMS`` names, or ("rel", name)
# for the relations. ``merge_triples`` makes Oxigraph terms of them, ``merged_turtle`` writes them.
Term = tuple


def merged_statements(kg: KnowledgeGraph) -> Iterator[tuple[Term, list[tuple[Any, Term]]]]:
    """Consecutive triples of one subject make one statement, as Oxigraph's serialiser writes them."""
    last: Term | None = None
    acc: list[tuple[Any, Term]] = []
    for subject, pairs in _merged_parts(kg):
        if subject != last:
            if acc:
                yield last, acc  # type: ignore[misc]
            last, acc = subject, []
        acc += pairs
    if acc:
        yield last, acc  # type: ignore[misc]


def _merged_parts(kg: KnowledgeGraph) -> Iterator[tuple[Term, list[tuple[Any, Term]]]]:
    for doc_id, meta in sorted(kg.sources.items()):
        pairs: list[tuple[Any, Term]] = [("type", ("class", "zj:Source")), ("identifier", ("plain", doc_id))]
        if meta.get("title"):
            pairs.append(("title", ("zh", meta["title"])))
        if meta.get("date"):
            pairs.append(("date", ("date", meta["date"])))
            if meta.get("date_basis"):
                pairs.append(("zj:dateBasis", ("plain", meta["date_basis"])))
        if meta.get("publisher"):
            pairs.append(("publisher", ("zh", meta["publisher"])))
        if meta.get("issuer") and ("organization", meta["issuer"]) in kg.entities:
            pairs.append(("zj:issuedBy", ("entity", "organization", meta["issuer"])))
        if meta.get("docno"):
            pairs.append(("zj:documentNumber", ("plain", meta["docno"])))
        if meta.get("author"):
            pairs.append(("creator", ("zh", meta["author"])))
        url = meta.get("url", "")
        if url and is_iri(url):  # ingest made it one (iri.to_iri); checked again where the term is made
            pairs.append(("source", ("iri", url)))
        yield ("source", doc_id), pairs
    for (etype, key), rec in sorted(kg.entities.items()):
        pairs = [("type", ("class", etype))]
        if etype == "place" and rec.subtype == "anonymised":
            pairs.append(("type", ("class", "zj:AnonymisedPlace")))
        if etype == "place" and rec.subtype == "region":
            pairs.append(("type", ("class", "zj:Region")))
        pairs += [("prefLabel", ("zh", key)), ("label", ("zh", key))]
        pairs += [("altLabel", ("zh", alt)) for alt in sorted(set(rec.labels) - {key})]
        if rec.count:
            pairs.append(("zj:mentionCount", ("int", rec.count)))
        if rec.category:
            pairs.append(("zj:category", ("zh", rec.category)))
        if rec.code:
            pairs.append(("zj:adminCode", ("plain", rec.code)))
        if etype == "place" and rec.subtype in ("province", "city", "county"):
            pairs.append(("zj:adminLevel", ("plain", rec.subtype)))
        yield ("entity", etype, key), pairs
    for sk, pred, ok in sorted(kg.relations):
        yield ("entity", *sk), [(("rel", pred), ("entity", *ok))]


def ox_term(term: Term) -> ox.NamedNode | ox.Literal:
    kind = term[0]
    if kind == "entity":
        return entity_node(term[1], term[2])
    if kind == "source":
        return source_node(term[1])
    if kind == "class":
        return TERMS[term[1]] if term[1].startswith("zj:") else CLASS_NODES[term[1]]
    if kind == "zh":
        return zh_literal(term[1])
    if kind == "date":
        return date_literal(term[1])
    if kind == "iri":
        return ox.NamedNode(term[1])
    return ox.Literal(term[1])  # plain text, or an integer


def merge_triples(kg: KnowledgeGraph, weights: bool = True) -> Iterator[ox.Triple]:
    """What needs the whole corpus: sources, entities, each relation once, and the co-occurrence weights
    (unless ``weights`` is false: the streamed build writes those with ``weight_turtle``)."""
    for subject, pairs in merged_statements(kg):
        s = ox_term(subject)
        for p, o in pairs:
            obj = ox_term(o)
            if isinstance(p, tuple):  # a relation
                yield ox.Triple(s, PRED_NODES[p[1]], obj)
                if p[1] == "relatedTo" and weights:
                    n, iris = weighted_evidence(
                        s.value, PRED_NODES[p[1]].value, obj.value, kg.relations[(subject[1:], p[1], o[1:])]
                    )
                    weight = ox.Literal(n)
                    for iri in iris:
                        yield ox.Triple(ox.NamedNode(iri), TERMS["zj:weight"], weight)
            else:
                yield ox.Triple(s, TERMS[p], obj)


def weighted_evidence(s: str, p: str, o: str, evs: list[Evidence]) -> tuple[int, list[str]]:
    """A co-occurrence's weight — the number of sentences that hold both — and the IRIs of its evidence
    nodes, once each, in the order of its evidence (fixed by ``KnowledgeGraph.finish``).

    Workers give each co-occurrence's evidence its IRI (a hash of subject, predicate, object, source and
    sentence offsets, so equal IRIs are equal evidence); the C-level maps below keep this corpus-wide
    step — hundreds of thousands of evidence rows — out of per-row Python code.
    """
    weight = len(set(map(_SOURCE_START, evs)))
    iris = list(dict.fromkeys(map(_IRI, evs)))
    if "" in iris:  # evidence merged from documents without their IRIs (``KnowledgeGraph.add``)
        iris = list(dict.fromkeys(e.iri or evidence_iri(s, p, o, e.source, e.start, e.end) for e in evs))
    return weight, iris


_SOURCE_START = itemgetter(0, 2)
_IRI = itemgetter(7)


def to_rdf(kg: KnowledgeGraph) -> Graph:
    """The whole graph as an ``rdflib.Graph`` (for notebooks and rdflib's own serialisers)."""
    g = bind(Graph())
    for t in kg.triples():
        g.add((_to_rdflib(t.subject), URIRef(t.predicate.value), _to_rdflib(t.object)))
    return g


def _to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def canonical_ntriples(path) -> str:
    """Canonical text of a graph file (Turtle, N-Triples …): parsed by Oxigraph, N-Triples lines sorted.
    Two builds are the same graph exactly when these are equal."""
    triples = ox.parse(path=str(path))
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return "\n".join(sorted(line for line in data.splitlines() if line.strip())) + "\n"


def sorted_ntriples(g: Graph) -> str:
    """Canonical text of the graph: UTF-8 N-Triples (nt11, not ASCII-escaped), lines sorted."""
    data = g.serialize(format="nt11")
    return "\n".join(sorted(line for line in data.splitlines() if line.strip())) + "\n"
