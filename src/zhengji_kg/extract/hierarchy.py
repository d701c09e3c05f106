"""Derived relations of one document: what the gazetteer and the lexicon know about what it mentions.

A document that names 和平区 also tells us, through the gazetteer, that 和平区 lies in 天津市
(``zj:partOf``); an organization named 辽宁省委组织部 is based in 辽宁省 (``zj:basedIn``); a mechanism
the lexicon files under a broader one gets ``skos:broader``. These relations are not stated by a
sentence, but the contract wants evidence for every relation, so each carries the first sentence of
the document that implies it (the first mention of the child, or of anything below it).

That makes derivation a pure function of (document, rules) like the rest of extraction: it runs in the
workers, is cached with the document, and its evidence is written with the document's own triples,
so neither a full nor an incremental build has to recompute it in the merge.
"""

from __future__ import annotations

from functools import lru_cache

from zhengji_kg.base.gazetteer import gazetteer
from zhengji_kg.base.model import Document, Relation
from zhengji_kg.base.rules import RuleSet
from zhengji_kg.base.segment import sentence_lookup
from zhengji_kg.extract.places import _scan

EntityKey = tuple[str, str]
Edge = tuple[EntityKey, str, EntityKey, str]  # child, predicate, parent, rule


def derive(doc: Document, rules: RuleSet) -> tuple[list[Relation], dict[str, str]]:
    """The derived relations of ``doc`` (one per relation, with its first implying sentence) and the
    administrative code of every place they name (so that the merge can record the places' codes)."""
    at = sentence_lookup(doc.sentences)
    codes: dict[str, str] = {}
    for m in doc.mentions:  # a key resolved once in the document is resolved everywhere in it
        if m.type == "place" and m.code:
            codes.setdefault(m.key, m.code)
    edges_of: dict[EntityKey, list[Edge]] = {}
    out: dict[tuple[EntityKey, str, EntityKey], Relation] = {}
    for m in doc.mentions:
        sent = at(m.start)
        if sent is None:
            continue
        key = (m.type, m.key)
        if key not in edges_of:
            edges_of[key] = _edges(m.type, m.key, codes.get(m.key, ""), rules, codes)
        for child, pred, parent, rule in edges_of[key]:
            if (child, pred, parent) not in out:
                out[(child, pred, parent)] = Relation(child, pred, parent, sentence=sent, rule=rule)
    named = {r.object[1] for r in out.values() if r.object[0] == "place"}
    return list(out.values()), {k: v for k, v in codes.items() if k in named}


def _edges(etype: str, key: str, code: str, rules: RuleSet, codes: dict[str, str]) -> list[Edge]:
    """The chain of derived relations one mentioned entity implies, child first."""
    out: list[Edge] = []
    if etype == "place" and code:
        out.extend(_chain(code, codes, (etype, key)))
    elif etype == "organization":
        place = place_in_name(key)
        if place is not None:
            codes.setdefault(place.label, place.code)
            out.append(((etype, key), "basedIn", ("place", place.label), "basedIn.name"))
            out.extend(_chain(place.code, codes, ("place", place.label)))
    elif etype in ("concept", "mechanism"):
        broader = broader_of(rules, etype, key)
        if broader:
            out.append(((etype, key), "broader", (etype, broader), broader_rule(rules, etype, key)))
    return out


def _chain(code: str, codes: dict[str, str], child: EntityKey) -> list[Edge]:
    """partOf from a division up to its province: 和平区 → 天津市, 新罗区 → 龙岩市 → 福建省."""
    g = gazetteer()
    out: list[Edge] = []
    for parent_code in g.ancestors(code):
        d = g.divisions[parent_code]
        codes.setdefault(d.label, d.code)
        out.append((child, "partOf", ("place", d.label), "partOf.gazetteer"))
        child = ("place", d.label)
    return out


def broader_of(rules: RuleSet, etype: str, key: str) -> str:
    """The broader concept or mechanism: from the lexicon, else from a name family (…容错…机制 → 容错纠错机制)."""
    lex = rules.by_key.get((etype, key))
    if lex and lex.broader and lex.broader != key:
        return lex.broader
    if etype == "mechanism":
        for fam in rules.rules.get("families") or []:
            if fam["contains"] in key and key.endswith(tuple(fam["head"])) and key != fam["broader"]:
                return fam["broader"]
    return ""


def broader_rule(rules: RuleSet, etype: str, key: str) -> str:
    lex = rules.by_key.get((etype, key))
    return "broader.lexicon" if lex and lex.broader else "broader.name-family"


@lru_cache(maxsize=65536)
def place_in_name(name: str):
    """The longest unambiguous administrative name inside an organization's name (辽宁省委组织部 → 辽宁省)."""
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
