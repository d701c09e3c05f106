"""Merge: the merged state of runs of documents (``partial``), merged run by run, equals merging the
documents one by one — whatever the runs. Incremental builds rest on it."""

from __future__ import annotations

import pickle
import random

import pytest

from zhengji_kg.ingest import iter_corpus_files, load_source
from zhengji_kg.kg.graph import KnowledgeGraph
from zhengji_kg.pipeline.worker import process_source

from .conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def parts(rules) -> list:
    """The contributions of the demo and seed documents (and of the demo ones again, under other names,
    so that entities recur across runs), in corpus order."""
    roots = [ROOT / "corpus"] + ([SEEDS] if SEEDS.is_dir() else [])
    out = []
    for f, root in iter_corpus_files(roots):
        result = process_source(load_source(f, root), rules)
        assert not result.error, result.error
        out.append(result.part)
    again = [(f"again/{p[0]}", *p[1:]) for p in out]
    return out + again


def _state(kg: KnowledgeGraph) -> tuple:
    kg.finish()
    entities = {
        k: (dict(r.labels), sorted(r.sources), sorted(r.rules), r.category, r.subtype, r.code, r.count)
        for k, r in kg.entities.items()
    }
    return kg.sources, entities, kg.relations


def _by_runs(rules, parts: list, cuts: list[int], through_pickle: bool, absorb: bool = False) -> KnowledgeGraph:
    kg = KnowledgeGraph(rules)
    for lo, hi in zip([0, *cuts], [*cuts, len(parts)], strict=True):
        run = KnowledgeGraph(rules)
        for p in parts[lo:hi]:
            run.merge(p)
        if absorb:  # what a build that stores the run's partial does with the run itself
            kg.absorb(run)
            continue
        state = run.partial()
        kg.merge_partial(pickle.loads(pickle.dumps(state)) if through_pickle else state)
    return kg


@pytest.mark.parametrize("seed", range(6))
def test_runs_merge_as_documents_do(rules, parts, seed: int) -> None:
    one_by_one = KnowledgeGraph(rules)
    for p in parts:
        one_by_one.merge(p)
    expected = _state(one_by_one)
    n = len(parts)
    if seed == 0:
        cuts = list(range(1, n))  # runs of one document
    elif seed == 1:
        cuts = [n - 1]  # one run of all but the last
    else:
        cuts = sorted(random.Random(seed).sample(range(1, n), [2, 3, 5, 8][seed - 2]))
    for absorb in (False, True):
        got = _state(_by_runs(rules, parts, cuts, through_pickle=seed % 2 == 0, absorb=absorb))
        assert got[0] == expected[0] and list(got[0]) == list(expected[0])  # sources, in corpus order
        assert got[1] == expected[1]
        assert got[2] == expected[2] and list(got[2]) == list(expected[2])
    # a subtype set outright by a derived relation (gazetteer levels) is part of what must survive
    assert any(r.subtype in ("province", "city", "county") for r in one_by_one.entities.values())


def test_a_partial_is_plain_data(rules, parts) -> None:
    run = KnowledgeGraph(rules)
    for p in parts[:3]:
        run.merge(p)
    blob = pickle.dumps(run.partial())
    assert b"zhengji_kg" not in blob  # no classes of ours: loading it runs no code of this package


def test_contribution_takes_the_cooccurrence_iris_of_the_turtle_writer(rules) -> None:
    """``document_turtle`` hands its co-occurrence evidence IRIs to ``contribution``: the same IRIs as
    ``evidence_iri`` computes on its own, for every document of the demo and seed corpora."""
    from zhengji_kg.ingest import parse_source
    from zhengji_kg.kg.graph import contribution
    from zhengji_kg.kg.turtle import document_turtle
    from zhengji_kg.pipeline.worker import extract_document, slim

    roots = [ROOT / "corpus"] + ([SEEDS] if SEEDS.is_dir() else [])
    cooccurrences = 0
    for f, root in iter_corpus_files(roots):
        doc = slim(extract_document(parse_source(load_source(f, root)), rules))
        iris: dict = {}
        document_turtle(doc, iris)
        assert contribution(doc, iris) == contribution(doc)
        assert len(iris) == len(
            {(r.subject, r.object, r.sentence.start) for r in doc.relations if r.predicate == "relatedTo"}
        )
        cooccurrences += len(iris)
    assert cooccurrences > 10


def test_a_subtype_a_later_run_sets_outright_survives_runs(rules) -> None:
    """A place first mentioned with a subtype of its own, then named as the parent of a derived partOf
    (the gazetteer gives its level outright): merged by runs as one by one, whichever way runs merge."""
    from zhengji_kg.base.gazetteer import gazetteer

    code, division = next((c, d) for c, d in sorted(gazetteer().divisions.items()) if d.level == "city")
    place = ("place", division.name)
    first = ("a", {}, [("place", division.name, [(division.name, 1)], [], ["r"], 1, "", "generic", "")], [], {})
    child = ("place", "某区")
    derived = (child, "partOf", place, "", 0, 4, "partOf.gazetteer", "reported", True, "")
    second = ("b", {}, [("place", "某区", [("某区", 1)], [], ["r"], 1, "", "", "")], [derived], {place[1]: code})
    one_by_one = KnowledgeGraph(rules)
    for p in (first, second):
        one_by_one.merge(p)
    assert one_by_one.entities[place].subtype == "city"
    for absorb in (False, True):
        by_runs = _by_runs(rules, [first, second], [1], through_pickle=False, absorb=absorb)
        assert _state(by_runs)[1] == _state(one_by_one)[1]
