"""SHACL validation in parts (kg/validate.py) gives the results of one run over the whole graph."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SH

from kg import validate as V
from kg.vocab import KG, bind_prefixes

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def examples_union(pack):
    from kg.build import assemble_dataset, extract_all
    from kg.export import union_graph

    results, _ = extract_all([EXAMPLES], pack, keep_text=False)
    return union_graph(assemble_dataset(results, pack))


def _results(r: V.ValidationResult) -> set[tuple]:
    g = r.report
    return {tuple(g.value(x, p) for p in (SH.focusNode, SH.resultPath, SH.sourceConstraintComponent, SH.value,
                                           SH.sourceShape, SH.resultSeverity))
            for x in g.objects(None, SH.result)}


def _broken(union: Graph) -> Graph:
    """The examples' graph with faults of every kind a shape checks, spread over the graph."""
    g = Graph()
    bind_prefixes(g)
    for t in union:
        g.add(t)
    facts = sorted(set(g.subjects(RDF.type, KG.Fact)))
    evidence = sorted(set(g.subjects(RDF.type, KG.Evidence)))
    articles = sorted(set(g.subjects(RDF.type, KG.Article)))
    assert len(facts) > 40 and len(evidence) > 40 and articles
    g.remove((facts[0], KG.modality, None))  # a fact without modality
    g.add((facts[5], KG.modality, KG.Rumoured))  # a modality outside the list
    g.add((facts[9], KG.quantity, Literal("many")))  # a quantity that is not an integer
    g.remove((evidence[3], KG.sentence, None))  # evidence without its sentence
    g.remove((articles[0], KG.fileName, None))  # an article without file name
    untyped = URIRef("https://w3id.org/defcoop/entity/NoTypeAtAll")
    g.set((facts[20], RDF.subject, untyped))  # a subject that is no entity
    stray = URIRef("https://w3id.org/defcoop/evidence/stray")
    g.add((facts[30], PROV.wasDerivedFrom, stray))  # evidence with no triples of its own
    g.add((facts[-1], KG.contradicts, evidence[-1]))  # contradicts a non-fact
    # qualifiers, whose shapes target the subjects of their property
    g.add((facts[11], KG.confidence, Literal("high")))
    g.add((facts[12], KG.status, KG.Delivered))
    g.add((facts[12], KG.status, KG.Signed))
    g.add((facts[13], KG.date, Literal("2020-13")))
    return g


@pytest.mark.parametrize("part_triples", [150, 2_000])
def test_parts_give_the_results_of_one_run(examples_union, monkeypatch, part_triples):
    data = _broken(examples_union)
    whole = V.validate_graph(data, workers=1)
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", part_triples)
    parts = V._parts(data, V.shapes_graph())
    assert parts is not None and len(parts) > 1
    # every node a shape could target is the focus of exactly one part
    focus = [n for f, _ in parts for n in f]
    assert len(focus) == len(set(focus))
    split = V.validate_graph(data, workers=2)
    assert not whole.conforms and not split.conforms
    assert whole.violations >= 12
    assert _results(split) == _results(whole)
    assert split.violations == whole.violations
    assert split.text == whole.text


def test_a_conforming_graph_conforms_in_parts(examples_union, monkeypatch):
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", 300)
    whole = V.validate_graph(examples_union, workers=1)
    split = V.validate_graph(examples_union, workers=2)
    assert (split.conforms, split.violations, split.text) == (whole.conforms, whole.violations, whole.text)


def test_graphs_that_cannot_be_split_are_validated_whole(examples_union):
    shapes = V.shapes_graph()
    with_bnode = Graph()
    for t in examples_union:
        with_bnode.add(t)
    with_bnode.add((BNode(), RDFS.label, Literal("x")))
    assert V._parts(with_bnode, shapes) is None
    literal_target = Graph()
    literal_target.add((URIRef("https://w3id.org/defcoop/fact/x"), RDF.subject, Literal("not a node")))
    assert V._parts(literal_target, shapes) is None


def test_text_lists_results_in_sorted_order():
    text = ("Validation Report\nConforms: False\nResults (2):\n"
            "Constraint Violation in B (x):\n\tFocus Node: b\n"
            "Constraint Violation in A (x):\n\tFocus Node: a\n")
    merged = V._merge_texts(False, V._blocks(text))
    assert merged.index("in A") < merged.index("in B")
    assert merged.startswith("Validation Report\nConforms: False\nResults (2):\n")
