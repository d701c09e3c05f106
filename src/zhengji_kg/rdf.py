"""RDF: the graph model → rdflib.Graph following the published contract (DESIGN.md).

Every IRI is minted by ``mint``: readable (Chinese labels stay Chinese, as IRIs allow), with the few
characters an IRI may not hold percent-encoded, so that any label gives a valid, stable IRI and two
distinct labels never share one.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import TYPE_CHECKING

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS, XSD

if TYPE_CHECKING:
    from .graph import KnowledgeGraph

ZJ = Namespace("https://w3id.org/zhengji-kg/ontology#")
ZJR = Namespace("https://w3id.org/zhengji-kg/id/")
CLASS = {"concept": ZJ.Concept, "mechanism": ZJ.Mechanism, "place": ZJ.Place, "organization": ZJ.Organization}
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
_UNSAFE = set(" <>\"{}|\\^`%#?[]@!$&'()*+,;=")


def _ok(ch: str) -> bool:
    o = ord(ch)
    if o < 0x21 or o == 0x7F or ch in _UNSAFE:
        return False
    if o < 0x7F:
        return True
    if unicodedata.category(ch)[0] in "ZC":
        return False  # separators, controls, unassigned, private use: never bare in an IRI
    return (
        0xA0 <= o <= 0xD7FF
        or 0xF900 <= o <= 0xFDCF
        or 0xFDF0 <= o <= 0xFFEF
        or (0x10000 <= o <= 0xEFFFD and (o & 0xFFFE) != 0xFFFE)
    )


def mint(*segments: str) -> URIRef:
    """An instance IRI under ``zjr:`` from path segments, each percent-encoded where an IRI needs it."""
    parts = []
    for seg in segments:
        parts.append(
            "".join(ch if _ok(ch) and ch != "/" else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in seg)
            or "%20"
        )
    return URIRef(str(ZJR) + "/".join(parts))


def entity_iri(etype: str, key: str) -> URIRef:
    return mint(etype, key)


def source_iri(doc_id: str) -> URIRef:
    return mint("source", *doc_id.split("/"))


def evidence_iri(s: URIRef, p: URIRef, o: URIRef, source: str, start: int, end: int) -> URIRef:
    h = hashlib.sha1("\x1f".join((s, p, o, source, str(start), str(end))).encode("utf-8")).hexdigest()[:20]
    return mint("evidence", h)


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


def to_rdf(kg: KnowledgeGraph) -> Graph:
    g = bind(Graph())
    for doc_id, meta in sorted(kg.sources.items()):
        s = source_iri(doc_id)
        g.add((s, RDF.type, ZJ.Source))
        g.add((s, DCTERMS.identifier, Literal(doc_id)))
        if meta.get("title"):
            g.add((s, DCTERMS.title, Literal(meta["title"], lang="zh")))
        if meta.get("date"):
            g.add((s, DCTERMS.date, Literal(meta["date"], datatype=XSD.date)))
        if meta.get("publisher"):
            g.add((s, DCTERMS.publisher, Literal(meta["publisher"], lang="zh")))
        if meta.get("issuer") and ("organization", meta["issuer"]) in kg.entities:
            g.add((s, ZJ.issuedBy, entity_iri("organization", meta["issuer"])))
        if meta.get("docno"):
            g.add((s, ZJ.documentNumber, Literal(meta["docno"])))
        if meta.get("author"):
            g.add((s, DCTERMS.creator, Literal(meta["author"], lang="zh")))
        url = meta.get("url", "")
        if url.startswith(("http://", "https://")) and all(_ok(c) or c in "/?#&=%+@!$'()*,;:[]" for c in url):
            g.add((s, DCTERMS.source, URIRef(url)))
    for (etype, key), rec in sorted(kg.entities.items()):
        e = entity_iri(etype, key)
        g.add((e, RDF.type, CLASS[etype]))
        if etype == "place" and rec.subtype == "anonymised":
            g.add((e, RDF.type, ZJ.AnonymisedPlace))
        if etype == "place" and rec.subtype == "region":
            g.add((e, RDF.type, ZJ.Region))
        g.add((e, SKOS.prefLabel, Literal(key, lang="zh")))
        g.add((e, RDFS.label, Literal(key, lang="zh")))
        for alt in sorted(set(rec.labels) - {key}):
            g.add((e, SKOS.altLabel, Literal(alt, lang="zh")))
        for src in sorted(rec.sources):
            g.add((e, ZJ.mentionedIn, source_iri(src)))
            for ev in sorted(kg.mentions.get(((etype, key), src), {}).values(), key=lambda ev: ev.start):
                _evidence(g, e, ZJ.mentionedIn, source_iri(src), ev, modality=True)
        if rec.count:
            g.add((e, ZJ.mentionCount, Literal(rec.count)))
        if rec.category:
            g.add((e, ZJ.category, Literal(rec.category, lang="zh")))
        if rec.code:
            g.add((e, ZJ.adminCode, Literal(rec.code)))
        if etype == "place" and rec.subtype in ("province", "city", "county"):
            g.add((e, ZJ.adminLevel, Literal(rec.subtype)))
    for (sk, pred, ok), evs in sorted(kg.relations.items()):
        s, p, o = entity_iri(*sk), PREDICATE[pred], entity_iri(*ok)
        g.add((s, p, o))
        weight = len({(e.source, e.start) for e in evs}) if pred == "relatedTo" else None
        for ev in evs:
            n = _evidence(g, s, p, o, ev, modality=pred in STATED)
            if weight is not None:
                g.add((n, ZJ.weight, Literal(weight)))
    return g


def _evidence(g: Graph, s: URIRef, p: URIRef, o: URIRef, ev, modality: bool) -> URIRef:
    """One zj:Evidence node: the reified triple, its sentence with offsets, rule, source (and modality)."""
    n = evidence_iri(s, p, o, ev.source, ev.start, ev.end)
    g.add((n, RDF.type, ZJ.Evidence))
    g.add((n, RDF.subject, s))
    g.add((n, RDF.predicate, p))
    g.add((n, RDF.object, o))
    g.add((n, PROV.wasDerivedFrom, source_iri(ev.source)))
    g.add((n, ZJ.sentence, Literal(ev.sentence, lang="zh")))
    g.add((n, ZJ.charStart, Literal(ev.start)))
    g.add((n, ZJ.charEnd, Literal(ev.end)))
    g.add((n, ZJ.rule, Literal(ev.rule)))
    if modality:
        g.add((n, ZJ.modality, Literal(ev.modality)))
    return n


def sorted_ntriples(g: Graph) -> str:
    """Canonical text of the graph: UTF-8 N-Triples (nt11, not ASCII-escaped), lines sorted."""
    data = g.serialize(format="nt11")
    return "\n".join(sorted(line for line in data.splitlines() if line.strip())) + "\n"
