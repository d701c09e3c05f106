"""export --to each format, read back by the tool that consumes it (rdflib, networkx)."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph
from rdflib.namespace import DCTERMS

from zhengji_kg.cli import main
from zhengji_kg.kg.rdf import sorted_ntriples

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kg")
    res = CliRunner().invoke(main, ["build", str(ROOT / "corpus"), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def _export(built: Path, fmt: str, tmp_path: Path) -> Path:
    res = CliRunner().invoke(main, ["export", "--graph", str(built), "--to", fmt, "-o", str(tmp_path) + "/"])
    assert res.exit_code == 0, res.output
    return tmp_path / f"graph.{fmt}"


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld"])
def test_rdf_forms_round_trip(built: Path, tmp_path: Path, fmt: str) -> None:
    original = Graph().parse(built / "graph.ttl")
    back = Graph().parse(_export(built, fmt, tmp_path), format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}[fmt])
    assert sorted_ntriples(back) == sorted_ntriples(original)


def test_jsonld_short_keys(built: Path, tmp_path: Path) -> None:
    data = json.loads(_export(built, "jsonld", tmp_path).read_text(encoding="utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    assert '"prefLabel": {"zh":' in text and '"sentence": {"zh":' in text and '"practicedIn":' in text


def test_trig_named_graph_per_source(built: Path, tmp_path: Path) -> None:
    ds = Dataset()
    ds.parse(_export(built, "trig", tmp_path), format="trig")
    rows = list(
        ds.query("""
        PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?g WHERE { GRAPH ?g { ?m zj:practicedIn ?p } ?m skos:prefLabel "生态产品价值实现机制"@zh }""")
    )
    assert [str(r.g) for r in rows] == ["https://w3id.org/zhengji-kg/id/source/01-anji-county"]
    union = Graph()
    for t in ds.quads((None, None, None, None)):
        union.add(t[:3])
    assert len(union) == len(Graph().parse(built / "graph.ttl"))


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_gephi_forms_read_back(built: Path, tmp_path: Path, fmt: str) -> None:
    path = _export(built, fmt, tmp_path)
    g = nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)
    rdf = Graph().parse(built / "graph.ttl")
    n_entities = len(
        list(
            rdf.query("""PREFIX zj: <https://w3id.org/zhengji-kg/ontology#>
        SELECT DISTINCT ?e WHERE { VALUES ?c { zj:Concept zj:Mechanism zj:Place zj:Organization } ?e a ?c }""")
        )
    )
    assert g.number_of_nodes() == n_entities
    types = {d["type"] for _, d in g.nodes(data=True)}
    assert types == {"concept", "mechanism", "place", "organization"}
    edge_types = {d.get("relation") for _, _, d in g.edges(data=True)}
    assert {"implements", "practicedIn", "partOf", "relatedTo"} <= edge_types
    assert all(float(d["weight"]) >= 1 for _, _, d in g.edges(data=True))
    label = {d["label"] for _, d in g.nodes(data=True)}
    assert "天津市和平区" in label
    if fmt == "gexf":
        from lxml import etree

        root = etree.parse(str(path)).getroot()
        assert root.tag.endswith("gexf") and "viz:color" in path.read_text(encoding="utf-8")
        edge_kinds = {e.get("type") for e in root.iter("{*}edge")}
        assert edge_kinds <= {None, "directed", "undirected", "mutual"}  # GEXF's own meaning of "type"


# ---------------------------------------------------------------- Gephi files, checked by the format's own tools

SCHEMA = ROOT.parent / "shared" / "schemas" / "gexf" / "1.3" / "gexf.rnc"
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
READER = ROOT / "tests" / "js" / "read-gephi.js"


@pytest.fixture(scope="module", params=["demo", "seeds"])
def graph_of(request, built: Path, tmp_path_factory) -> Path:
    """The demo build, and a build of the seed corpus (skipped where ../shared is absent)."""
    if request.param == "demo":
        return built
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is absent (the seed export needs shared/ beside the repo)")
    out = tmp_path_factory.mktemp("seeds")
    res = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def test_gexf_valid_against_the_official_schema(graph_of: Path, tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("jing") is None:
        pytest.skip("jing is not installed (Debian: apt-get install jing; .ci/run installs it)")
    if not SCHEMA.is_file():
        pytest.skip(f"the GEXF schema is absent ({SCHEMA.relative_to(ROOT.parent)} needs shared/ beside the repo)")
    path = _export(graph_of, "gexf", tmp_path)
    proc = subprocess.run(["jing", "-c", str(SCHEMA), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout  # jing prints what it finds on stdout


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_gephi_exports_are_the_same_bytes_every_time(built: Path, tmp_path: Path, fmt: str) -> None:
    first = _export(built, fmt, tmp_path / "a").read_bytes()
    second = _export(built, fmt, tmp_path / "b").read_bytes()
    assert first == second
    assert b"networkx_key" not in first
    if fmt == "gexf":  # no xsi:schemaLocation (the schema refuses it); the date is the newest source's
        dates = sorted(str(d)[:10] for d in Graph().parse(built / "graph.ttl").objects(None, DCTERMS.date))
        assert f'lastmodifieddate="{dates[-1]}"'.encode() in first


def _node_reader(path: Path) -> dict:
    import shutil
    import subprocess

    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (graphology's parsers run on it)")
    if not (READER.parent / "node_modules" / "graphology-gexf").is_dir():
        pytest.skip("graphology's parsers are not installed: npm ci --prefix tests/js (.ci/run does it)")
    proc = subprocess.run(["node", str(READER), str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_graphology_reads_what_networkx_reads(graph_of: Path, tmp_path: Path, fmt: str) -> None:
    path = _export(graph_of, fmt, tmp_path)
    theirs = _node_reader(path)
    ours = nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)
    columns = ("label", "type", "aliases", "count", "sources", "code", "category")
    assert set(theirs["nodes"]) == set(ours.nodes)
    for node, data in ours.nodes(data=True):
        assert {c: theirs["nodes"][node][c] for c in columns} == {c: data[c] for c in columns}, node
    assert theirs["type"] == "directed"

    def edges(rows) -> list[tuple[str, str, str, float]]:
        return sorted((s, o, d["relation"], float(d["weight"])) for s, o, d in rows)

    assert edges(theirs["edges"]) == edges(ours.edges(data=True))
    assert len(theirs["edges"]) == ours.number_of_edges() > 0
