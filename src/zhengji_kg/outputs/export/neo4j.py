"""Neo4j: CSV files for ``neo4j-admin database import`` and an idempotent Cypher script for cypher-shell.

Read from a built graph: entities become nodes labelled by type (Concept, Mechanism, Place, Organization),
sources become Source nodes, every relation a typed relationship with its evidence count (``weight``),
rule ids and up to five evidence sentences. Lists are never empty (``labels`` holds the prefLabel too),
which keeps the Cypher batches typable by stricter engines. The same load statements run on Kùzu after
``schema.kuzu.cypher`` (node and relationship tables), which is how the tests run them for real.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS, SKOS

from zhengji_kg.base.output import write_atomic
from zhengji_kg.kg.netx import CORE, EDGES
from zhengji_kg.kg.rdf import ZJ

# the node labels and relationship types are the graph's own types and relations in Neo4j's spelling
# (Concept, PRACTICED_IN): the same classes and predicates the networkx view and the Gephi files carry
LABELS = {cls: name.capitalize() for cls, name in CORE.items()}
TYPES = {pred: re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for pred, name in EDGES.items()}
MAX_SENTENCES = 5
BATCH = 500


def _q(value: object) -> str:
    """A Cypher literal: strings JSON-quoted (valid Cypher escapes), lists of them, integers as they are."""
    if isinstance(value, list):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _map(row: dict) -> str:
    """A Cypher map literal of the row's public keys."""
    return "{" + ", ".join(f"{k}: {_q(v)}" for k, v in row.items() if not k.startswith("_")) + "}"


def collect(g: Graph) -> tuple[dict, dict, dict]:
    """(entities by iri, sources by iri, relations by (s, TYPE, o)) from a built graph."""
    entities: dict[str, dict] = {}
    for cls, label in LABELS.items():
        for e in g.subjects(RDF.type, cls):
            pref = str(g.value(e, SKOS.prefLabel) or g.value(e, RDFS.label) or "")
            alts = sorted({str(a) for a in g.objects(e, SKOS.altLabel)} - {pref})
            entities[str(e)] = {
                "iri": str(e),
                "label": pref,
                "labels": [pref, *alts],
                "_label": label,
                "count": int(g.value(e, ZJ.mentionCount) or 0),
                "code": str(g.value(e, ZJ.adminCode) or ""),
                "category": str(g.value(e, ZJ.category) or ""),
                "sources": len(set(g.objects(e, ZJ.mentionedIn))),
            }
    sources: dict[str, dict] = {}
    for s in g.subjects(RDF.type, ZJ.Source):
        sources[str(s)] = {
            "iri": str(s),
            "identifier": str(g.value(s, DCTERMS.identifier) or ""),
            "title": str(g.value(s, DCTERMS.title) or ""),
            "date": str(g.value(s, DCTERMS.date) or ""),
            "publisher": str(g.value(s, DCTERMS.publisher) or ""),
            "url": str(g.value(s, DCTERMS.source) or ""),
        }
    rels: dict[tuple[str, str, str], dict] = {}
    evidence: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    dates: dict[tuple, list[str]] = defaultdict(list)  # the event dates of a practicedIn/establishedBy
    for ev in g.subjects(RDF.type, ZJ.Evidence):
        key = (str(g.value(ev, RDF.subject)), g.value(ev, RDF.predicate), str(g.value(ev, RDF.object)))
        evidence[key].append((str(g.value(ev, ZJ.sentence)), str(g.value(ev, ZJ.rule))))
        when = g.value(ev, ZJ.eventDate)
        if when is not None:
            dates[key].append(str(when))
    for p, rtype in [*TYPES.items(), (ZJ.mentionedIn, "MENTIONED_IN")]:
        for s, o in g.subject_objects(p):
            key = (str(s), p, str(o))
            if str(s) not in entities or (str(o) not in entities and str(o) not in sources):
                continue
            evs = sorted(evidence.get(key, []))
            sentences = sorted({t.replace(";", "；") for t, _ in evs})[:MAX_SENTENCES] or [""]
            rels[(str(s), rtype, str(o))] = {
                "s": str(s),
                "o": str(o),
                "weight": max(1, len(evs)),
                "rules": sorted({r for _, r in evs}) or ["-"],
                "sentences": sentences,
                # the earliest date its evidence gives (2019, 2019-05, 2019-05-02), "" where none: when a
                # place took up a mechanism, for diffusion queries in Cypher
                "firstDate": min(dates.get(key, ()), default=""),
            }
    return entities, sources, rels


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([";".join(v) if isinstance(v, list) else v for v in r])
    return buf.getvalue()


def write_neo4j(g: Graph, out: Path) -> list[Path]:
    """Write the CSV files, ``load.cypher``, ``schema.kuzu.cypher`` and ``README.md`` into ``out``."""
    entities, sources, rels = collect(g)
    out = Path(out)
    written = []
    by_label: dict[str, list[dict]] = defaultdict(list)
    for e in sorted(entities.values(), key=lambda e: e["iri"]):
        by_label[e["_label"]].append(e)
    for label, items in sorted(by_label.items()):
        rows = [
            [e["iri"], e["label"], e["labels"], e["count"], e["code"], e["category"], e["sources"], label]
            for e in items
        ]
        written.append(
            write_atomic(
                out / f"nodes-{label}.csv",
                _csv(
                    [
                        "iri:ID(Entity)",
                        "label",
                        "labels:string[]",
                        "count:int",
                        "code",
                        "category",
                        "sources:int",
                        ":LABEL",
                    ],
                    rows,
                ),
            )
        )
    written.append(
        write_atomic(
            out / "nodes-Source.csv",
            _csv(
                ["iri:ID(Source)", "identifier", "title", "date", "publisher", "url", ":LABEL"],
                [
                    [s["iri"], s["identifier"], s["title"], s["date"], s["publisher"], s["url"], "Source"]
                    for s in sorted(sources.values(), key=lambda s: s["iri"])
                ],
            ),
        )
    )
    written.append(
        write_atomic(
            out / "relationships.csv",
            _csv(
                [
                    ":START_ID(Entity)",
                    ":END_ID(Entity)",
                    ":TYPE",
                    "weight:int",
                    "rules:string[]",
                    "sentences:string[]",
                    "firstDate",
                ],
                [
                    [r["s"], r["o"], k[1], r["weight"], r["rules"], r["sentences"], r["firstDate"]]
                    for k, r in sorted(rels.items())
                    if k[1] != "MENTIONED_IN"
                ],
            ),
        )
    )
    written.append(
        write_atomic(
            out / "mentions.csv",
            _csv(
                [":START_ID(Entity)", ":END_ID(Source)", ":TYPE", "weight:int"],
                [
                    [r["s"], r["o"], "MENTIONED_IN", r["weight"]]
                    for k, r in sorted(rels.items())
                    if k[1] == "MENTIONED_IN"
                ],
            ),
        )
    )
    written.append(write_atomic(out / "load.cypher", _cypher(by_label, sources, rels, entities)))
    written.append(write_atomic(out / "schema.kuzu.cypher", _kuzu_schema(rels, entities)))
    written.append(write_atomic(out / "README.md", _readme(sorted(by_label))))
    return written


def _batches(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _cypher(by_label: dict, sources: dict, rels: dict, entities: dict) -> str:
    lines = ["// zhengji-kg → Neo4j. Run with: cypher-shell -f load.cypher (idempotent: MERGE on iri).", ""]
    for label in [*sorted(by_label), "Source"]:
        lines.append(f"CREATE CONSTRAINT {label.lower()}_iri IF NOT EXISTS FOR (n:{label}) REQUIRE n.iri IS UNIQUE;")
    lines.append("")
    for label, items in sorted(by_label.items()):
        for batch in _batches(items):
            rows = ", ".join(_map(e) for e in batch)
            lines.append(
                f"UNWIND [{rows}] AS row MERGE (n:{label} {{iri: row.iri}}) SET n.label = row.label, "
                "n.labels = row.labels, n.count = row.count, n.code = row.code, n.category = row.category, "
                "n.sources = row.sources;"
            )
    src = sorted(sources.values(), key=lambda s: s["iri"])
    for batch in _batches(src):
        rows = ", ".join(_map(s) for s in batch)
        lines.append(
            f"UNWIND [{rows}] AS row MERGE (n:Source {{iri: row.iri}}) SET n.identifier = row.identifier, "
            "n.title = row.title, n.date = row.date, n.publisher = row.publisher, n.url = row.url;"
        )
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for (s, rtype, o), r in sorted(rels.items()):
        to_label = "Source" if rtype == "MENTIONED_IN" else entities[o]["_label"]
        groups[(rtype, entities[s]["_label"], to_label)].append(r)
    for (rtype, a, b), items in sorted(groups.items()):
        for batch in _batches(items):
            rows = ", ".join(_map(r) for r in batch)
            lines.append(
                f"UNWIND [{rows}] AS row MATCH (a:{a} {{iri: row.s}}), (b:{b} {{iri: row.o}}) "
                f"MERGE (a)-[r:{rtype}]->(b) SET r.weight = row.weight, r.rules = row.rules, "
                "r.sentences = row.sentences, r.firstDate = row.firstDate;"
            )
    return "\n".join(lines) + "\n"


def _kuzu_schema(rels: dict, entities: dict) -> str:
    """Node and relationship tables for Kùzu, which needs a schema before the same load statements."""
    lines = ["// Kùzu: run before load.cypher (skip its CREATE CONSTRAINT lines, Neo4j-only)."]
    for label in sorted({e["_label"] for e in entities.values()}):
        lines.append(
            f"CREATE NODE TABLE {label}(iri STRING, label STRING, labels STRING[], count INT64, "
            "code STRING, category STRING, sources INT64, PRIMARY KEY(iri));"
        )
    lines.append(
        "CREATE NODE TABLE Source(iri STRING, identifier STRING, title STRING, date STRING, "
        "publisher STRING, url STRING, PRIMARY KEY(iri));"
    )
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for s, rtype, o in rels:
        pairs[rtype].add((entities[s]["_label"], "Source" if rtype == "MENTIONED_IN" else entities[o]["_label"]))
    for rtype, ps in sorted(pairs.items()):
        conns = ", ".join(f"FROM {a} TO {b}" for a, b in sorted(ps))
        lines.append(
            f"CREATE REL TABLE {rtype}({conns}, weight INT64, rules STRING[], sentences STRING[], firstDate STRING);"
        )
    return "\n".join(lines) + "\n"


def _readme(labels: list[str]) -> str:
    nodes = " ".join(f"--nodes=nodes-{label}.csv" for label in labels)
    return f"""# Loading this graph into Neo4j

Three routes, pick one.

1. **Bulk import into an empty database** (fastest; Neo4j stopped):

   ```bash
   neo4j-admin database import full {nodes} --nodes=nodes-Source.csv \\
     --relationships=relationships.csv --relationships=mentions.csv neo4j
   ```

   Files are UTF-8 without BOM; arrays (`labels`, `rules`, `sentences`) use the default delimiter `;`
   (a `;` inside a sentence was written as the full-width `；`).

2. **cypher-shell into a running database** (idempotent: constraints first, then `MERGE` on `iri` in
   batches, so running it twice changes nothing):

   ```bash
   cypher-shell -u neo4j -p PASSWORD -f load.cypher
   ```

3. **neosemantics (n10s) on the Turtle** — keeps every RDF detail (evidence nodes, language tags):

   ```cypher
   CREATE CONSTRAINT n10s_unique_uri IF NOT EXISTS FOR (r:Resource) REQUIRE r.uri IS UNIQUE;
   CALL n10s.graphconfig.init({{handleMultival: 'ARRAY', keepLangTag: true, handleVocabUris: 'SHORTEN'}});
   CALL n10s.rdf.import.fetch('file:///path/to/graph.ttl', 'Turtle');
   ```

   `handleMultival: 'ARRAY'` keeps every `skos:altLabel`, `keepLangTag: true` the `@zh` tags (the n10s
   defaults would keep only the last value and drop the tags).

Relationship types: IMPLEMENTS, PRACTICED_IN, ESTABLISHED_BY, CONTRASTS_WITH, PART_OF, BROADER,
RELATED_TO, BASED_IN, MENTIONED_IN; each carries `weight` (the number of evidence sentences), `rules`,
up to {MAX_SENTENCES} `sentences` and `firstDate`: the earliest date its evidence gives a PRACTICED_IN or
ESTABLISHED_BY (2019, 2019-05 or 2019-05-02; "" where nothing dates it). When each place took up a mechanism:

    MATCH (m:Mechanism {{label: "容错纠错机制"}})<-[:BROADER*0..]-(v)-[r:PRACTICED_IN]->(p:Place)
    WHERE r.firstDate <> "" RETURN p.label, min(r.firstDate) AS first ORDER BY first
"""
