"""SHACL validation (kg/validate.py): pyshacl in parts gives the results of one run over the
whole graph, and the rudof engine gives the results pyshacl gives."""

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
    conflict = URIRef("https://w3id.org/defcoop/fact/conflict-broken")
    g.add((conflict, RDF.type, KG.Contradiction))  # a contradiction group of one member, not a fact
    g.add((conflict, KG.conflictingFact, evidence[-1]))
    g.add((conflict, KG.conflictKind, Literal("rumour")))
    # qualifiers, whose shapes target the subjects of their property
    g.add((facts[11], KG.confidence, Literal("high")))
    g.add((facts[12], KG.status, KG.Delivered))
    g.add((facts[12], KG.status, KG.Signed))
    g.add((facts[13], KG.date, Literal("2020-13")))
    return g


@pytest.mark.parametrize("engine", V.ENGINES)
@pytest.mark.parametrize("part_triples", [150, 2_000])
def test_parts_give_the_results_of_one_run(examples_union, monkeypatch, part_triples, engine):
    data = _broken(examples_union)
    whole = V.validate_graph(data, engine=engine, workers=1)
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", part_triples)
    parts = V._parts(data, V.shapes_graph())
    assert parts is not None and len(parts) > 1
    # every node a shape could target is the focus of exactly one part
    focus = [n for f, _ in parts for n in f]
    assert len(focus) == len(set(focus))
    split = V.validate_graph(data, engine=engine, workers=2)
    alone = V.validate_graph(data, engine=engine, workers=1)  # parts one after the other in this process
    assert not whole.conforms and not split.conforms
    assert whole.violations >= 12
    assert _results(split) == _results(whole)
    assert split.violations == whole.violations
    assert split.text == whole.text
    assert (_results(alone), alone.violations, alone.text) == (_results(whole), whole.violations, whole.text)


def test_a_conforming_graph_conforms_in_parts(examples_union, monkeypatch):
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", 300)
    whole = V.validate_graph(examples_union, engine="pyshacl", workers=1)
    split = V.validate_graph(examples_union, engine="pyshacl", workers=2)
    assert (split.conforms, split.violations, split.text) == (whole.conforms, whole.violations, whole.text)


def test_rudof_gives_the_results_of_pyshacl(examples_union):
    """The default engine and the reference one agree result by result (focus node, path,
    constraint, value, shape, severity) on a graph with a fault of every kind."""
    data = _broken(examples_union)
    reference = V.validate_graph(data, engine="pyshacl", workers=1)
    fast = V.validate_graph(data, engine="rudof")
    assert not fast.conforms and fast.violations == reference.violations >= 15
    assert _results(fast) == _results(reference)
    # the text: one block per result, sorted, naming the focus node and the shape's message
    assert fast.text.startswith(f"Validation Report\nConforms: False\nResults ({fast.violations}):\n")
    blocks = V._blocks(fast.text)
    assert len(blocks) == fast.violations and blocks == sorted(blocks)
    assert any("Focus Node: ev:stray" in b and "Result Path: kg:sentence" in b for b in blocks)
    assert any("A contradiction names at least two facts" in b for b in blocks)
    # and the same on the graph as it is built: both conform
    assert V.validate_graph(examples_union, engine="rudof").conforms
    assert V.validate_graph(examples_union, engine="pyshacl").conforms


def test_an_unknown_engine_is_an_input_error(examples_union):
    from kg.errors import InputError

    with pytest.raises(InputError, match="unknown SHACL engine 'jena'; use one of rudof, pyshacl"):
        V.validate_graph(examples_union, engine="jena")


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
