"""validate: the oxigraph engine (the shapes translated into SPARQL) against pySHACL, the reference.

Both engines must agree — conforms or not, and the same (focus node, path, constraint component, value)
for every violation — on the built corpora, and on a small built graph broken on purpose once for each
kind of constraint in ontology/shapes.ttl. pySHACL takes about a second per 1,000 triples (its SPARQL
constraints run once per focus node), so it sees the small graphs whole and the web corpus (19,000
triples, a minute) without its SPARQL constraints, which the other graphs cover.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from zhengji_kg import build
from zhengji_kg.base.resources import ontology_path
from zhengji_kg.cli import main
from zhengji_kg.outputs.validate import (
    SUPPORTED,
    ShapesError,
    ValidationReport,
    read_shapes,
    validate,
    validate_file,
    validate_graph,
)

from .conftest import SHARED

ZJ = Namespace("https://w3id.org/zhengji-kg/ontology#")
ZJR = Namespace("https://w3id.org/zhengji-kg/id/")
SH = Namespace("http://www.w3.org/ns/shacl#")
INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
WEB = SHARED / "corpus" / "web"

# the document of the broken graphs: every kind of entity and relation, and a source with metadata
TEXT = (
    "天津市和平区委组织部探索建立干部实绩档案，既看显绩也看潜绩，落实“三个区分开来”要求。\n"
    "浙江省杭州市推行容错免责备案机制。\n"
)
META = "title: 示例\ndate: 2024-10-29\nurl: https://example.org/a.html\npublisher: 中共天津市和平区委组织部\n"


def _agree(ours: ValidationReport, reference: ValidationReport) -> set[tuple[str, str, str, str]]:
    """Both reports say the same; return the violations as (focus, path, component, value)."""
    got = {(*v.key, v.value) for v in ours.violations}
    want = {(*v.key, v.value) for v in reference.violations}
    assert got == want, f"oxigraph only: {sorted(got - want)}\npyshacl only: {sorted(want - got)}"
    assert ours.conforms == reference.conforms
    return got


def _both(data: Graph, shapes: Path | None = None) -> set[tuple[str, str, str, str]]:
    return _agree(validate_graph(data, shapes=shapes), validate_graph(data, engine="pyshacl", shapes=shapes))


# ---------------------------------------------------------------- the built corpora


def test_demo_build_both_engines_agree(demo_kg, tmp_path: Path) -> None:
    demo_kg.rdf().serialize(destination=tmp_path / "graph.ttl", format="turtle")
    ours = validate_file(tmp_path)  # a build folder: its graph.ttl, loaded by Oxigraph
    assert _agree(ours, validate_file(tmp_path, engine="pyshacl")) == set()
    assert ours.conforms and ours.triples > 3000
    assert str(ours).startswith(f"conforms: {tmp_path / 'graph.ttl'} passes ontology/shapes.ttl")


def test_seed_build_both_engines_agree(seeds_kg) -> None:
    assert _both(seeds_kg.rdf()) == set()


@pytest.fixture(scope="module")
def web_graph(rules) -> Graph:
    if not WEB.is_dir():
        pytest.skip("../shared/corpus/web is absent (tests of the real documents need shared/ beside the repo)")
    return build([WEB], rules).rdf()


def test_web_build_both_engines_agree(web_graph: Graph, tmp_path: Path) -> None:
    assert validate_graph(web_graph).conforms
    core = Graph().parse(ontology_path("shapes.ttl"))
    for node in set(core.objects(None, SH.sparql)):
        core.remove((None, SH.sparql, node))
        core.remove((node, None, None))
    core.serialize(destination=tmp_path / "core.ttl", format="turtle")
    assert _both(web_graph, shapes=tmp_path / "core.ttl") == set()


# ---------------------------------------------------------------- graphs broken on purpose


@pytest.fixture(scope="module")
def small(rules, tmp_path_factory) -> Graph:
    folder = tmp_path_factory.mktemp("small")
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.meta.yaml").write_text(META, encoding="utf-8")
    g = build([folder], rules).rdf()
    assert len(g) > 250 and validate_graph(g).conforms
    return g


def _evidence(g: Graph, predicate: URIRef) -> URIRef:
    return min(e for e in g.subjects(RDF.predicate, predicate) if (e, RDF.type, ZJ.Evidence) in g)


def _replace(g: Graph, s, p, o) -> None:
    g.remove((s, p, None))
    g.add((s, p, o))


CONCEPT = ZJR["concept/显绩"]
MECHANISM = ZJR["mechanism/干部实绩档案"]
PLACE = ZJR["place/杭州市"]
SOURCE = ZJR["source/a"]

# one graph broken on purpose per kind of constraint: (the change, the (shape, path, component) it must raise)
BREAKS: dict[str, tuple[Callable[[Graph], None], tuple[str, str, str]]] = {
    "minCount": (
        lambda g: g.remove((CONCEPT, SKOS.prefLabel, None)),
        ("zjs:EntityShape", SKOS.prefLabel.n3(), "sh:MinCountConstraintComponent"),
    ),
    "minCount of evidence": (
        lambda g: g.remove((_evidence(g, ZJ.practicedIn), ZJ.charStart, None)),
        ("zjs:EvidenceShape", ZJ.charStart.n3(), "sh:MinCountConstraintComponent"),
    ),
    "maxCount": (
        lambda g: g.add((PLACE, RDFS.label, Literal("杭州", lang="zh"))),
        ("zjs:EntityShape", RDFS.label.n3(), "sh:MaxCountConstraintComponent"),
    ),
    "maxCount of evidence": (
        lambda g: g.add((_evidence(g, ZJ.practicedIn), ZJ.modality, Literal("required"))),
        ("zjs:EvidenceShape", ZJ.modality.n3(), "sh:MaxCountConstraintComponent"),
    ),
    "datatype": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), ZJ.charEnd, Literal("61")),
        ("zjs:EvidenceShape", ZJ.charEnd.n3(), "sh:DatatypeConstraintComponent"),
    ),
    "datatype, ill-typed": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), ZJ.charEnd, Literal("6l", datatype=INTEGER)),
        ("zjs:EvidenceShape", ZJ.charEnd.n3(), "sh:DatatypeConstraintComponent"),
    ),
    "a date typed by its precision: a plain string": (
        lambda g: _replace(g, SOURCE, DCTERMS.date, Literal("2024-10-29")),
        ("zjs:SourceShape", "", "sh:SPARQLConstraintComponent"),
    ),
    "a date typed by its precision: a year typed as a day": (
        lambda g: _replace(g, SOURCE, DCTERMS.date, Literal("2024", datatype=XSD.date)),
        ("zjs:SourceShape", "", "sh:SPARQLConstraintComponent"),
    ),
    "an event date that is no date": (
        lambda g: g.add((_evidence(g, ZJ.practicedIn), ZJ.eventDate, Literal("去年"))),
        ("zjs:EventDateShape", "", "sh:SPARQLConstraintComponent"),
    ),
    "sh:in: a date basis no source has": (
        lambda g: g.add((SOURCE, ZJ.dateBasis, Literal("stated"))),
        ("zjs:SourceShape", ZJ.dateBasis.n3(), "sh:InConstraintComponent"),
    ),
    "datatype rdf:langString": (
        lambda g: g.add((PLACE, SKOS.altLabel, Literal("杭城"))),
        ("zjs:EntityShape", SKOS.altLabel.n3(), "sh:DatatypeConstraintComponent"),
    ),
    "class": (
        lambda g: _replace(g, CONCEPT, ZJ.mentionedIn, PLACE),
        ("zjs:EntityShape", ZJ.mentionedIn.n3(), "sh:ClassConstraintComponent"),
    ),
    "class of a relation": (
        lambda g: _replace(g, ZJR["mechanism/容错免责备案机制"], ZJ.practicedIn, CONCEPT),
        ("zjs:MechanismShape", ZJ.practicedIn.n3(), "sh:ClassConstraintComponent"),
    ),
    "class of a source's issuer": (
        lambda g: g.add((SOURCE, ZJ.issuedBy, PLACE)),
        ("zjs:SourceShape", ZJ.issuedBy.n3(), "sh:ClassConstraintComponent"),
    ),
    "nodeKind": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), RDF.object, Literal("杭州市")),
        ("zjs:EvidenceShape", RDF.object.n3(), "sh:NodeKindConstraintComponent"),
    ),
    "nodeKind of a source": (
        lambda g: _replace(g, SOURCE, DCTERMS.source, Literal("https://example.org/a.html")),
        ("zjs:SourceShape", DCTERMS.source.n3(), "sh:NodeKindConstraintComponent"),
    ),
    "in": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), RDF.predicate, ZJ.locatedIn),
        ("zjs:EvidenceShape", RDF.predicate.n3(), "sh:InConstraintComponent"),
    ),
    "in, a literal": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), ZJ.modality, Literal("maybe")),
        ("zjs:EvidenceShape", ZJ.modality.n3(), "sh:InConstraintComponent"),
    ),
    "languageIn": (
        lambda g: _replace(g, CONCEPT, SKOS.prefLabel, Literal("visible achievements", lang="en")),
        ("zjs:EntityShape", SKOS.prefLabel.n3(), "sh:LanguageInConstraintComponent"),
    ),
    "minInclusive": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), ZJ.charStart, Literal(-1)),
        ("zjs:EvidenceShape", ZJ.charStart.n3(), "sh:MinInclusiveConstraintComponent"),
    ),
    "pattern": (
        lambda g: _replace(g, PLACE, ZJ.adminCode, Literal("3301a0")),
        ("zjs:PlaceShape", ZJ.adminCode.n3(), "sh:PatternConstraintComponent"),
    ),
    "targetClass of a subclass": (  # zj:Region is a zj:Place: PlaceShape targets it, sh:class accepts it
        lambda g: (_replace(g, PLACE, RDF.type, ZJ.Region), _replace(g, PLACE, ZJ.adminCode, Literal("x"))),
        ("zjs:PlaceShape", ZJ.adminCode.n3(), "sh:PatternConstraintComponent"),
    ),
    "sparql: mentioned": (
        lambda g: g.remove((CONCEPT, ZJ.mentionedIn, None)),
        ("zjs:MentionedShape", "", "sh:SPARQLConstraintComponent"),
    ),
    "sparql: offsets": (
        lambda g: _replace(g, _evidence(g, ZJ.practicedIn), ZJ.charEnd, Literal(44)),
        ("zjs:EvidenceShape", "", "sh:SPARQLConstraintComponent"),
    ),
    "sparql and targetSubjectsOf: relation without evidence": (
        lambda g: g.add((MECHANISM, ZJ.practicedIn, PLACE)),
        ("zjs:RelationEvidenceShape", ZJ.practicedIn.n3(), "sh:SPARQLConstraintComponent"),
    ),
    "targetSubjectsOf an untyped node": (
        lambda g: g.add((ZJR["place/某地"], ZJ.partOf, PLACE)),
        ("zjs:RelationEvidenceShape", ZJ.partOf.n3(), "sh:SPARQLConstraintComponent"),
    ),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_both_engines_reject_a_graph_broken_on_purpose(small: Graph, name: str) -> None:
    change, (shape, path, component) = BREAKS[name]
    g = Graph()
    for t in small:
        g.add(t)
    change(g)
    ours = validate_graph(g)
    assert _agree(ours, validate_graph(g, engine="pyshacl"))
    assert not ours.conforms
    assert any((v.shape, v.path, v.component) == (shape, path, component) for v in ours.violations), ours.text()


def test_only_targets_are_checked(small: Graph) -> None:
    """A value on a node that no shape targets breaks nothing: a source's adminCode, a place's dcterms:date."""
    g = Graph()
    for t in small:
        g.add(t)
    g.add((SOURCE, ZJ.adminCode, Literal("not digits")))
    g.add((PLACE, DCTERMS.date, Literal("not a date")))
    g.add((PLACE, DCTERMS.identifier, Literal("x", lang="zh")))
    assert _both(g) == set()


def test_every_kind_of_constraint_is_broken_once() -> None:
    """BREAKS covers every constraint component and target kind that shapes.ttl uses."""
    text = ontology_path("shapes.ttl").read_text(encoding="utf-8")
    used = set(re.findall(r"\bsh:([a-zA-Z]+)", text)) - {"NodeShape", "property", "path", "message", "select", "IRI"}
    covered = {w for name in BREAKS for w in re.findall(r"[a-zA-Z]+", name)}
    assert used - covered == set(), f"no broken graph for sh:{', sh:'.join(sorted(used - covered))}"


def test_the_report_reads_well(small: Graph) -> None:
    g = Graph()
    for t in small:
        g.add(t)
    for e in list(g.subjects(RDF.type, ZJ.Evidence)):
        g.remove((e, ZJ.rule, None))
    report = validate_graph(g)
    n = len(list(g.subjects(RDF.type, ZJ.Evidence)))
    assert len(report.violations) == n and report.violations == sorted(report.violations)
    text = report.text(limit=5)
    assert text.startswith(f"does not conform: {n} violations of ontology/shapes.ttl")
    assert f"  {n}  zjs:EvidenceShape  zj:rule  sh:minCount 1" in text
    assert "zjr:evidence/" in text and f"… and {n - 5} more" in text
    ok, first = validate(g)
    # the same report, but for the seconds it took (a second run may take longer: a loaded machine)
    timeless = re.compile(r"(loaded|checked) in [0-9.]+ s")
    assert not ok and timeless.sub("", first) == timeless.sub("", report.text())


# ---------------------------------------------------------------- the translator


def test_the_shipped_shapes_translate() -> None:
    checks = read_shapes()
    text = ontology_path("shapes.ttl").read_text(encoding="utf-8")
    assert {f"sh:{w}" for w in re.findall(r"\bsh:([a-zA-Z]+)", text)} - {"sh:IRI"} <= SUPPORTED
    parameters = (
        "minCount",
        "maxCount",
        "datatype",
        "class",
        "nodeKind",
        "in",
        "languageIn",
        "minInclusive",
        "pattern",
    )
    for parameter in parameters:
        stated = len(re.findall(rf"\bsh:{parameter}\b", text))  # each stated once per property shape
        assert sum(c.parameter == parameter for c in checks) == stated, parameter
    assert sum(c.parameter == "sparql" for c in checks) == text.count("sh:sparql") == 5


@pytest.mark.parametrize(
    ("addition", "named"),
    [
        ("sh:property [ sh:path zj:adminLevel ; sh:minLength 2 ] .", "sh:minLength"),
        ("sh:property [ sh:path [ sh:inversePath zj:partOf ] ; sh:class zj:Place ] .", "a complex path"),
        ("sh:xone ( [ sh:class zj:Place ] [ sh:class zj:Region ] ) .", "sh:xone"),
        ("sh:closed true .", "sh:closed"),
    ],
)
def test_an_unknown_construct_fails_loudly(tmp_path: Path, addition: str, named: str) -> None:
    text = ontology_path("shapes.ttl").read_text(encoding="utf-8")
    text = text.replace("zjs:PlaceShape a sh:NodeShape ;", f"zjs:PlaceShape a sh:NodeShape ;\n    {addition[:-2]} ;", 1)
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(text, encoding="utf-8")
    with pytest.raises(ShapesError, match=re.escape(named)):
        read_shapes(shapes)
    with pytest.raises(ShapesError):  # before the graph is even read
        validate_file(tmp_path / "no-such-graph.ttl", shapes=shapes)


def test_progress_on_stderr(small: Graph, tmp_path: Path, capsys) -> None:
    small.serialize(destination=tmp_path / "graph.ttl", format="turtle")
    assert validate_file(tmp_path, progress=True).conforms
    err = capsys.readouterr().err
    n = len(read_shapes())
    assert "loading: 100%" in err and "checking: 100%" in err and f"{n}/{n} [" in err
    assert validate_file(tmp_path, progress=None).conforms  # (None: only on a terminal, which pytest's is not)
    assert validate_file(tmp_path).conforms and capsys.readouterr().err == ""


# ---------------------------------------------------------------- the command


def test_validate_command(small: Graph, tmp_path: Path) -> None:
    small.serialize(destination=tmp_path / "graph.ttl", format="turtle")
    res = CliRunner().invoke(main, ["validate", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"conforms: {tmp_path / 'graph.ttl'} passes ontology/shapes.ttl ({len(small)} triples")
    g = Graph()
    for t in small:
        g.add(t)
    g.add((MECHANISM, ZJ.practicedIn, PLACE))
    g.serialize(destination=tmp_path / "broken.ttl", format="turtle")
    for engine in ("oxigraph", "pyshacl"):
        res = CliRunner().invoke(main, ["validate", str(tmp_path / "broken.ttl"), "--engine", engine, "-q"])
        assert res.exit_code == 1, res.output
        assert "does not conform: 1 violation" in res.output and "zjs:RelationEvidenceShape" in res.output
        assert re.search(r"\n  zjr:mechanism/干部实绩档案 +zj:practicedIn +sh:sparql +zjr:place/杭州市 ", res.output)
    (tmp_path / "bad.ttl").write_text("<a> <b> .", encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "bad.ttl"), "-q"])
    assert res.exit_code == 1 and "not a readable" in res.output and "Traceback" not in res.output
