"""RDF: the graph model → rdflib.Graph following the published contract (DESIGN.md).

Every IRI is minted by ``mint``: readable (Chinese labels stay Chinese, as IRIs allow), with the few
characters an IRI may not hold percent-encoded, so that any label gives a valid, stable IRI and two
distinct labels never share one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import repeat
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
    return f"{ZJR}evidence/{_evidence_hash(s, p, o, source, start, end)}"


def _evidence_hash(s: str, p: str, o: str, source: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{s}\x1f{p}\x1f{o}\x1f{source}\x1f{start}\x1f{end}".encode()).hexdigest()[:20]


def relation_evidence_iri(doc_id: str, r) -> str:
    """``evidence_iri`` of a ``Relation`` stated in the document ``doc_id``."""
    return evidence_iri(
        _entity_node(*r.subject).value,
        _PRED[r.predicate].value,
        _entity_node(*r.object).value,
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

_T = {
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
_CLASS = {k: ox.NamedNode(str(v)) for k, v in CLASS.items()}
_PRED = {k: ox.NamedNode(str(v)) for k, v in PREDICATE.items()}


@lru_cache(maxsize=65536)
def _entity_node(etype: str, key: str) -> ox.NamedNode:
    return ox.NamedNode(str(entity_iri(etype, key)))


@lru_cache(maxsize=65536)
def _source_node(doc_id: str) -> ox.NamedNode:
    return ox.NamedNode(str(source_iri(doc_id)))


def _zh(text: str) -> ox.Literal:
    return ox.Literal(text, language="zh")


# Literals that recur across evidence nodes (offsets, rule ids, modalities, a sentence behind several
# relations) are made once: building terms is most of the cost of a document's triples.
_zh_cached = lru_cache(maxsize=4096)(_zh)
_plain = lru_cache(maxsize=65536)(ox.Literal)
_EVIDENCE = (
    _T["type"],
    _T["subject"],
    _T["predicate"],
    _T["object"],
    _T["derived"],
    _T["zj:sentence"],
    _T["zj:charStart"],
    _T["zj:charEnd"],
    _T["zj:rule"],
    _T["zj:modality"],
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
        Triple(n, t_type, _T["zj:Evidence"]),
        Triple(n, t_s, s),
        Triple(n, t_p, p),
        Triple(n, t_o, o),
        Triple(n, t_src, _source_node(ev.source)),
        Triple(n, t_sent, _zh_cached(ev.sentence)),
        Triple(n, t_start, _plain(ev.start)),
        Triple(n, t_end, _plain(ev.end)),
        Triple(n, t_rule, _plain(ev.rule)),
    ]
    if modality:
        out.append(Triple(n, t_mod, _plain(ev.modality)))
    if ev.score is not None:
        out.append(Triple(n, _T["zj:score"], _score_literal(ev.score)))
    if ev.date:
        out.append(Triple(n, _T["zj:eventDate"], date_literal(ev.date)))
        out.append(Triple(n, _T["zj:dateBasis"], _plain(ev.date_basis)))
    return out


def document_triples(doc: Document) -> Iterator[ox.Triple]:
    """What one document alone determines: ``zj:mentionedIn`` with one evidence per mentioning sentence
    (and that mention's modality), the evidence of every relation the document states, and the evidence
    of the relations the gazetteer and lexicon derive from what it mentions (``hierarchy.derive``)."""
    src = _source_node(doc.id)
    mentioned = _T["zj:mentionedIn"]
    for (etype, key), evs in _mention_evidence(doc):
        e = _entity_node(etype, key)
        yield ox.Triple(e, mentioned, src)
        for start in sorted(evs):
            yield from _evidence_triples(e, mentioned, src, evs[start], modality=True)
    seen: set[ox.Triple] = set()  # two rules finding one relation in one sentence share its node
    for r in _sorted_relations(doc):
        ev = _relation_evidence(doc.id, r)
        for t in _evidence_triples(
            _entity_node(*r.subject), _PRED[r.predicate], _entity_node(*r.object), ev, r.predicate in STATED
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
        for entity, evs in _mention_sentences(doc)
    ]


def _relation_evidence(doc_id: str, r: Relation) -> Evidence:
    """A relation's evidence; the relations the scored decision decides carry its score."""
    score = r.score if r.predicate in SCORED else None  # (derived relations are partOf, broader, basedIn)
    return Evidence(
        doc_id, r.sentence.text, r.sentence.start, r.sentence.end, r.rule, r.modality, score=score, date=r.date,
        date_basis=r.date_basis,
    )  # fmt: skip


def _sorted_relations(doc: Document) -> list:
    return sorted(
        doc.relations + doc.derived, key=lambda r: (r.subject, r.predicate, r.object, r.sentence.start, r.rule)
    )


# ---------------------------------------------------------------- one document's Turtle, written directly
#
# A document's part is ~900 triples of one fixed shape (mostly ten per evidence node); making an
# Oxigraph term for each and serialising them was a quarter of a worker's time. ``document_turtle``
# writes the same bytes as ``serialize_turtle(document_triples(doc), header=False)`` — the tests compare
# the two on every corpus and on generated text — by formatting each distinct term once *with Oxigraph*
# (so escaping is Oxigraph's own) and laying the statements out as its serialiser does: consecutive
# triples of one subject joined with " ;", of one subject and predicate with " ,".

_PROBE = ox.NamedNode(f"{ZJ}probe")
_PROBE_LEAD = "zj:probe zj:probe "


def _term_turtle(term: ox.NamedNode | ox.Literal) -> str:
    """How Oxigraph writes ``term`` in object position with the contract's prefixes."""
    out = ox.serialize([ox.Triple(_PROBE, _PROBE, term)], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    line = out.decode("utf-8").rstrip("\n").rsplit("\n", 1)[-1]  # literals never hold a raw line break
    if not (line.startswith(_PROBE_LEAD) and line.endswith(" .")):
        raise AssertionError(f"unexpected Turtle from Oxigraph: {line!r}")
    return line[len(_PROBE_LEAD) : -2]


@lru_cache(maxsize=65536)
def _entity_turtle(etype: str, key: str) -> tuple[str, str]:
    """An entity's IRI and its Turtle form."""
    node = _entity_node(etype, key)
    return node.value, _term_turtle(node)


@lru_cache(maxsize=65536)
def _source_turtle(doc_id: str) -> tuple[str, str]:
    node = _source_node(doc_id)
    return node.value, _term_turtle(node)


@lru_cache(maxsize=4096)
def _zh_turtle(text: str) -> str:
    """A sentence as a Turtle literal: quoted as it is when nothing in it needs escaping (Oxigraph escapes
    only quotes, backslashes and control characters), else as Oxigraph writes it."""
    return _term_turtle(_zh(text)) if _NEEDS_ESCAPE.search(text) else f'"{text}"@zh'


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_plain_turtle = lru_cache(maxsize=4096)(lambda text: _term_turtle(ox.Literal(text)))
_T_TURTLE = {name: "a" if name == "type" else _term_turtle(node) for name, node in _T.items()}
_PRED_TURTLE = {name: (node.value, _term_turtle(node)) for name, node in _PRED.items()}
_EVIDENCE_CLASS = _T_TURTLE["zj:Evidence"]
# the classes of the merged part by the names ``_merged_parts`` gives them: entity types and zj: classes
_CLASS_TURTLE = {**{name: _term_turtle(node) for name, node in _CLASS.items()}, **_T_TURTLE}


_EV_NAME = "zjr:evidence\\/"  # an evidence node in Turtle: this, then its hex name (Oxigraph escapes the /)


def _evidence_node(s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence) -> str:
    """``evidence_iri`` as Turtle: its hex name after ``_EV_NAME``."""
    return _EV_NAME + _evidence_hash(s[0], p[0], o[0], ev.source, ev.start, ev.end)


def _evidence_pairs(
    s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence, modality: bool
) -> list[tuple[str, str]]:
    """``_evidence_triples`` as Turtle (predicate, object) pairs; terms are (IRI, Turtle) pairs."""
    T = _T_TURTLE
    pairs = [
        ("a", _EVIDENCE_CLASS),
        (T["subject"], s[1]),
        (T["predicate"], p[1]),
        (T["object"], o[1]),
        (T["derived"], _source_turtle(ev.source)[1]),
        (T["zj:sentence"], _zh_turtle(ev.sentence)),
        (T["zj:charStart"], str(ev.start)),
        (T["zj:charEnd"], str(ev.end)),
        (T["zj:rule"], _plain_turtle(ev.rule)),
    ]
    if modality:
        pairs.append((T["zj:modality"], _plain_turtle(ev.modality)))
    if ev.score is not None:
        pairs.append((T["zj:score"], score_text(ev.score)))
    if ev.date:
        pairs.append((T["zj:eventDate"], _date_turtle(ev.date)))
        pairs.append((T["zj:dateBasis"], _plain_turtle(ev.date_basis)))
    return pairs


@lru_cache(maxsize=4096)
def _date_turtle(iso: str) -> str:
    return _term_turtle(date_literal(iso))


# The usual evidence node, written by one f-string: its predicates as Oxigraph writes them, looked up once.
_EV_LEAD = f" a {_EVIDENCE_CLASS} ;\n\t{_T_TURTLE['subject']} "
_EV_P = f" ;\n\t{_T_TURTLE['predicate']} "
_EV_O = f" ;\n\t{_T_TURTLE['object']} "
_EV_SRC = f" ;\n\t{_T_TURTLE['derived']} "
_EV_SENT = f" ;\n\t{_T_TURTLE['zj:sentence']} "
_EV_START = f" ;\n\t{_T_TURTLE['zj:charStart']} "
_EV_END = f" ;\n\t{_T_TURTLE['zj:charEnd']} "
_EV_RULE = f" ;\n\t{_T_TURTLE['zj:rule']} "
_EV_MOD = f" ;\n\t{_T_TURTLE['zj:modality']} "
_EV_SCORE = f" ;\n\t{_T_TURTLE['zj:score']} "
_EV_DATE = f" ;\n\t{_T_TURTLE['zj:eventDate']} "
_EV_BASIS = f" ;\n\t{_T_TURTLE['zj:dateBasis']} "


def _evidence_text(
    n: str, s: tuple[str, str], p: tuple[str, str], o: tuple[str, str], ev: Evidence, modality: bool
) -> str:
    """``_statement(n, _evidence_pairs(…))``, faster: the evidence node written in one go."""
    mood = f"{_EV_MOD}{_plain_turtle(ev.modality)}" if modality else ""
    if ev.score is not None:
        mood += f"{_EV_SCORE}{score_text(ev.score)}"
    if ev.date:
        mood += f"{_EV_DATE}{_date_turtle(ev.date)}{_EV_BASIS}{_plain_turtle(ev.date_basis)}"
    mood += " .\n"
    return (
        f"{n}{_EV_LEAD}{s[1]}{_EV_P}{p[1]}{_EV_O}{o[1]}{_EV_SRC}{_source_turtle(ev.source)[1]}"
        f"{_EV_SENT}{_zh_turtle(ev.sentence)}{_EV_START}{ev.start}{_EV_END}{ev.end}{_EV_RULE}"
        f"{_plain_turtle(ev.rule)}{mood}"
    )


def _statement(subject: str, pairs: list[tuple[str, str]]) -> str:
    """One subject's triples as Oxigraph lays them out: " ;" between predicates, " ," between objects."""
    out = [subject]
    last = None
    for p, o in pairs:
        out.append(f" , {o}" if p == last else f" ;\n\t{p} {o}" if last is not None else f" {p} {o}")
        last = p
    out.append(" .\n")
    return "".join(out)


def document_turtle(doc: Document, cooccurrence_iris: dict | None = None) -> tuple[bytes, int]:
    """The Turtle of ``document_triples(doc)`` without @prefix lines, and how many triples it holds.

    ``cooccurrence_iris``, if given, receives the evidence IRI of each co-occurrence (relatedTo) under
    (subject, object, sentence start, sentence end), for ``graph.contribution`` not to hash them again.
    """
    chunks: list[str] = []
    count = 0
    doc_id = doc.id
    src = _source_turtle(doc_id)
    mentioned = (_T["zj:mentionedIn"].value, _T_TURTLE["zj:mentionedIn"])
    # a mention's evidence node is (entity, zj:mentionedIn, this source): all but the entity, the sentence
    # and the rule is the same for the whole document — written, and hashed, once
    hashed = f"\x1f{mentioned[0]}\x1f{src[0]}\x1f{doc_id}\x1f"
    middle = f"{_EV_P}{mentioned[1]}{_EV_O}{src[1]}{_EV_SRC}{src[1]}{_EV_SENT}"
    sha1 = hashlib.sha1
    for (etype, key), evs in _mention_sentences(doc):
        e_iri, e_t = _entity_turtle(etype, key)
        chunks.append(f"{e_t} {mentioned[1]} {src[1]} .\n")
        lead = f"{_EV_LEAD}{e_t}{middle}"
        for start in sorted(evs):
            sent, rule, mood, score = evs[start]
            name = sha1(f"{e_iri}{hashed}{start}\x1f{sent.end}".encode()).hexdigest()[:20]
            chunks.append(
                f"{_EV_NAME}{name}{lead}{_zh_turtle(sent.text)}{_EV_START}{start}{_EV_END}{sent.end}{_EV_RULE}"
                f"{_plain_turtle(rule)}{_EV_MOD}{_plain_turtle(mood)}{_EV_SCORE}{score_text(score)} .\n"
            )
        count += 1 + 11 * len(evs)
    # Two rules finding one relation in one sentence share its evidence node; sorted, they are neighbours,
    # and the node is written once with the triples of both (as document_triples' ``seen`` does).
    relations = _sorted_relations(doc)
    # what names each relation's node (the inputs of evidence_iri), worked out once
    nodes = [(r.subject, r.predicate, r.object, r.sentence.start, r.sentence.end) for r in relations]
    for i, r in enumerate(relations):
        if i and nodes[i - 1] == nodes[i]:
            continue  # written with the first relation of its node
        ev = _relation_evidence(doc_id, r)
        s, p, o = _entity_turtle(*r.subject), _PRED_TURTLE[r.predicate], _entity_turtle(*r.object)
        n = _evidence_node(s, p, o, ev)
        if cooccurrence_iris is not None and r.predicate == "relatedTo":
            cooccurrence_iris[(r.subject, r.object, ev.start, ev.end)] = _EVIDENCE_NS + n[len(_EV_NAME) :]
        stated = r.predicate in STATED
        if i + 1 < len(relations) and nodes[i + 1] == nodes[i]:
            pairs = _evidence_pairs(s, p, o, ev, stated)
            for j in range(i + 1, len(relations)):
                if nodes[j] != nodes[i]:
                    break
                r2 = relations[j]
                ev2 = _relation_evidence(doc_id, r2)
                pairs += [x for x in _evidence_pairs(s, p, o, ev2, stated) if x not in pairs]
            chunks.append(_statement(n, pairs))
            count += len(pairs)
        else:
            chunks.append(_evidence_text(n, s, p, o, ev, stated))
            count += (10 if stated else 9) + (ev.score is not None) + 2 * bool(ev.date)
    return "".join(chunks).encode("utf-8"), count


def _mention_sentences(
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
# ("plain", text) ("date", text) ("int", n) ("iri", url); predicates are ``_T`` names, or ("rel", name)
# for the relations. ``merge_triples`` makes Oxigraph terms of them, ``merged_turtle`` writes them.
Term = tuple


def _merged_statements(kg: KnowledgeGraph) -> Iterator[tuple[Term, list[tuple[Any, Term]]]]:
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


def _ox_term(term: Term) -> ox.NamedNode | ox.Literal:
    kind = term[0]
    if kind == "entity":
        return _entity_node(term[1], term[2])
    if kind == "source":
        return _source_node(term[1])
    if kind == "class":
        return _T[term[1]] if term[1].startswith("zj:") else _CLASS[term[1]]
    if kind == "zh":
        return _zh(term[1])
    if kind == "date":
        return date_literal(term[1])
    if kind == "iri":
        return ox.NamedNode(term[1])
    return ox.Literal(term[1])  # plain text, or an integer


def merge_triples(kg: KnowledgeGraph, weights: bool = True) -> Iterator[ox.Triple]:
    """What needs the whole corpus: sources, entities, each relation once, and the co-occurrence weights
    (unless ``weights`` is false: the streamed build writes those with ``weight_turtle``)."""
    for subject, pairs in _merged_statements(kg):
        s = _ox_term(subject)
        for p, o in pairs:
            obj = _ox_term(o)
            if isinstance(p, tuple):  # a relation
                yield ox.Triple(s, _PRED[p[1]], obj)
                if p[1] == "relatedTo" and weights:
                    n, iris = _weighted(s.value, _PRED[p[1]].value, obj.value, kg.relations[(subject[1:], p[1], o[1:])])
                    weight = ox.Literal(n)
                    for iri in iris:
                        yield ox.Triple(ox.NamedNode(iri), _T["zj:weight"], weight)
            else:
                yield ox.Triple(s, _T[p], obj)


def merged_turtle(kg: KnowledgeGraph) -> tuple[bytes, int]:
    """``serialize_turtle(merge_triples(kg, weights=False), header=False)`` and its number of triples,
    written directly (as ``document_turtle`` writes a document's part): making an Oxigraph term of each
    of the merged part's triples and serialising them took 0.5–0.9 s on a corpus of 10,000 documents, on
    the path of every incremental build (now 0.2–0.6 s). The tests compare the two."""
    # every source's and entity's IRI in its Turtle form, from one call to Oxigraph's serialiser (one
    # call per IRI was half of this on a large corpus, where the build process had formatted none yet)
    named = [("source", d) for d in kg.sources] + [("entity", *k) for k in kg.entities]
    forms = dict(zip(named, _iri_turtles([_ox_term(t).value for t in named]), strict=True))
    chunks = []
    count = 0
    for subject, pairs in _merged_statements(kg):
        chunks.append(
            _statement(
                _turtle_term(subject, forms),
                [
                    (_PRED_TURTLE[p[1]][1] if isinstance(p, tuple) else _T_TURTLE[p], _turtle_term(o, forms))
                    for p, o in pairs
                ],
            )
        )
        count += len(pairs)
    return "".join(chunks).encode("utf-8"), count


def _iri_turtles(iris: list[str]) -> list[str]:
    """How Oxigraph writes each IRI (with the contract's prefixes), found by serialising them all at once:
    each the subject of a statement of its own, on a line of its own."""
    if not iris:
        return []
    tail = f" {_PROBE_LEAD.strip()} ."  # " zj:probe zj:probe ."
    out = ox.serialize(
        [ox.Triple(ox.NamedNode(i), _PROBE, _PROBE) for i in iris], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES
    )
    lines = [ln for ln in out.decode("utf-8").split("\n") if ln and not ln.startswith("@prefix ")]
    if len(lines) != len(iris) or not all(ln.endswith(tail) for ln in lines):  # (duplicates, or a new layout)
        return [_term_turtle(ox.NamedNode(i)) for i in iris]
    return [ln[: -len(tail)] for ln in lines]


def _turtle_term(term: Term, forms: dict[Term, str]) -> str:
    kind = term[0]
    if kind == "entity" or kind == "source":
        form = forms.get(term)
        if form is None:
            form = _entity_turtle(term[1], term[2])[1] if kind == "entity" else _source_turtle(term[1])[1]
        return form
    if kind == "zh":
        return _zh_turtle(term[1])
    if kind == "plain":
        return f'"{term[1]}"' if not _NEEDS_ESCAPE.search(term[1]) else _plain_turtle(term[1])
    if kind == "int":
        return str(term[1])
    if kind == "class":
        return _CLASS_TURTLE[term[1]]
    return _other_turtle(term)


@lru_cache(maxsize=4096)
def _other_turtle(term: Term) -> str:
    """A date or a URL, as Oxigraph writes it (a URL in one of the contract's namespaces is abbreviated)."""
    return _term_turtle(_ox_term(term))


def _weighted(s: str, p: str, o: str, evs: list[Evidence]) -> tuple[int, list[str]]:
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
_EVIDENCE_NS = f"{ZJR}evidence/"


def weight_turtle(kg: KnowledgeGraph) -> bytes:
    """The ``zj:weight`` triples of ``merge_triples`` as Turtle, written directly.

    A large corpus has hundreds of thousands of them, all of one shape — an evidence IRI (a hex hash)
    and an integer — so formatting the lines is an order of magnitude faster than making terms and
    serialising them, and there is nothing to escape. The result equals Oxigraph's (see the tests).
    """
    chunks = []
    rel = _PRED["relatedTo"].value
    name = itemgetter(slice(len(_EVIDENCE_NS), None))
    for (sk, pred, ok), evs in sorted(kg.relations.items()):  # one pass: ``finish`` left them in order
        if pred != "relatedTo":
            continue
        iris = list(dict.fromkeys(map(_IRI, evs)))
        if "" in iris:  # evidence merged from documents without their IRIs (``KnowledgeGraph.add``)
            iris = _weighted(_entity_node(*sk).value, rel, _entity_node(*ok).value, evs)[1]
        names = list(map(name, iris))
        # evidence_iri makes hex names: anything else is a bug, and must not reach the file unescaped
        if not all(map(str.startswith, iris, repeat(_EVIDENCE_NS))) or not _HEX.fullmatch("".join(names)):
            raise ValueError("an evidence IRI that is not zjr:evidence/ and hex digits")
        # one evidence node per sentence: an IRI is a hash of the sentence's source and offsets, so there
        # are as many distinct IRIs as distinct sentences — ``_weighted``'s weight, without counting those
        tail = f" zj:weight {len(iris)} .\n"
        chunks.append(_EV_NAME + f"{tail}{_EV_NAME}".join(names) + tail)
    return "".join(chunks).encode("ascii")


_HEX = re.compile(r"[0-9a-f]+")


def serialize_turtle(triples: Iterable[ox.Triple], header: bool = True) -> bytes:
    """Turtle by Oxigraph, with the contract's prefixes; without ``header`` the @prefix lines are left
    off, so that per-document parts can follow one header in a single file."""
    out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    if header:
        return out
    body = out.split(b"\n")
    i = 0
    while i < len(body) and body[i].startswith(b"@prefix "):
        i += 1
    return b"\n".join(body[i:])


def turtle_header() -> bytes:
    """The @prefix lines of the contract's namespaces, for a file assembled from header-less parts."""
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items()).encode("utf-8")


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
