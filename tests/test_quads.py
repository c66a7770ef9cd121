"""kg.graph.Quads: the dataset as a build holds it (its quads, no rdflib store).

Every reader of kg takes Quads where it takes an rdflib Dataset, and must give the same
thing for both: the files, the validation, the analysis, a rebase.
"""

from __future__ import annotations

import pytest
from rdflib import Dataset, Literal, URIRef

from kg import analysis, build, export, graph, iri, validate
from kg.vocab import ENT, KG


@pytest.fixture(scope="module")
def quads(seed_results, pack) -> graph.Quads:
    return build.assemble(list(seed_results.values()), pack)


def test_a_build_holds_quads_and_they_make_the_same_dataset(quads):
    ds = quads.to_dataset()
    assert isinstance(quads, graph.Quads) and isinstance(ds, Dataset)
    assert sorted(graph.dataset_quads(ds)) == sorted(quads) and len(set(quads)) == len(quads) > 500
    assert dict(ds.namespaces()) == dict(quads.namespaces())


@pytest.mark.parametrize("writer", [export.serialize_turtle, export.serialize_trig, export.serialize_nquads,
                                    export.serialize_ntriples, export.serialize_jsonld,
                                    export.serialize_graphml, export.serialize_gexf])
def test_every_writer_writes_the_same_file_for_quads_and_their_dataset(quads, writer):
    assert writer(quads) == writer(quads.to_dataset())


def test_validation_and_analysis_are_the_same_for_quads_and_their_dataset(quads):
    ds = quads.to_dataset()
    a, b = validate.validate_graph(quads), validate.validate_graph(ds)
    assert (a.conforms, a.violations, a.text) == (b.conforms, b.violations, b.text)
    assert analysis.summary(analysis.projection(quads)) == analysis.summary(analysis.projection(ds))
    assert analysis.fact_records(quads) == analysis.fact_records(ds)


def test_rebase_gives_quads_for_quads_and_the_same_triples_as_for_a_dataset(quads):
    base = "https://example.org/kb/"
    moved, moved_ds = iri.rebase(quads, base), iri.rebase(quads.to_dataset(), base)
    assert isinstance(moved, graph.Quads) and isinstance(moved_ds, Dataset)
    assert export.serialize_nquads(moved) == export.serialize_nquads(moved_ds)
    assert dict(moved.namespaces())["ent"] == URIRef(base + "id/")
    assert not any(str(t).startswith(str(ENT)) for q in moved for t in q)


def test_quads_keep_each_quad_once_in_the_order_added_and_bind_like_rdflib():
    g = URIRef("https://example.org/g")
    q1 = (ENT["A"], KG.totalMTCAgreements, Literal(3), g)
    q2 = (ENT["B"], KG.totalMTCAgreements, Literal(4), g)
    qs = graph.Quads([q2, q1, q2])
    qs.add(q1)
    assert list(qs) == [q2, q1] and len(qs) == 2
    qs.bind("ent", "https://example.org/id/")
    qs.bind("other", "https://example.org/id/")  # a namespace has one prefix, as rdflib's replace=True gives
    names = dict(qs.namespaces())
    assert names["other"] == URIRef("https://example.org/id/") and "ent" not in names
    assert names["kg"] == URIRef(str(KG))
