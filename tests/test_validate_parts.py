"""SHACL validation (kg/validate.py): pyshacl in parts gives the results of one run over the
whole graph, and the rudof engine gives the results pyshacl gives, in parts on spawned
processes or in this one, from rdflib terms or from pyoxigraph triples."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
from contextlib import contextmanager

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SH

from kg import validate as V
from kg.vocab import KG, bind_prefixes

from conftest import EXAMPLES, ROOT


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


# --- rudof's parts on spawned processes, and from pyoxigraph triples ---------------------------


def _dataset(g: Graph) -> Dataset:
    """g's triples spread over a Dataset's default graph and two named graphs, a third of them
    in two graphs (the union holds each once)."""
    ds = Dataset()
    bind_prefixes(ds)
    a = ds.graph(URIRef("https://w3id.org/defcoop/graph/a"))
    b = ds.graph(URIRef("https://w3id.org/defcoop/graph/b"))
    for i, t in enumerate(g):
        (a if i % 2 else b).add(t)
        if i % 3 == 0:
            ds.add(t)
    return ds


def _same(r: V.ValidationResult) -> tuple:
    return _results(r), r.violations, r.conforms, r.text


@pytest.fixture
def pooled(monkeypatch) -> list[int]:
    """The number of parts of each validation whose parts all came back from spawned
    processes (a pool that broke and left its parts to this process is not counted)."""
    runs: list[int] = []
    real = V._bounded_map

    def spy(*args, **kwargs):
        outcomes = real(*args, **kwargs)
        runs.append(len(outcomes))
        return outcomes

    monkeypatch.setattr(V, "_bounded_map", spy)
    return runs


@pytest.mark.parametrize("part_triples", [150, 2_000])
def test_rudof_parts_on_processes_give_the_results_of_one_run(examples_union, monkeypatch, pooled, part_triples):
    """Serial or on two spawned processes, from the Dataset's rdflib terms or from its
    pyoxigraph triples: the results, the count and the text of one rudof run, and the
    results of pyshacl, on a graph with a fault of every kind."""
    from kg.export import ox_quads, union_triples

    ds = _dataset(_broken(examples_union))
    reference = V.validate_graph(ds, engine="pyshacl", workers=1)
    whole = V.validate_graph(ds, engine="rudof", workers=2)  # below PART_MIN_TRIPLES: one run, here
    assert pooled == []
    assert not whole.conforms and whole.violations == reference.violations >= 15
    assert _results(whole) == _results(reference)
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", part_triples)
    triples = union_triples(ox_quads(ds))
    runs = {"serial": V.validate_graph(ds, engine="rudof", workers=1),
            "serial from triples": V.validate_graph(ds, engine="rudof", workers=1, triples=triples),
            "parallel": V.validate_graph(ds, engine="rudof", workers=2),
            "parallel from triples": V.validate_graph(ds, engine="rudof", workers=2, triples=triples)}
    assert len(pooled) == 2 and min(pooled) > 1  # both parallel runs, in several parts
    for name, r in runs.items():
        assert _same(r) == _same(whole), name


def test_pyoxigraph_triples_give_the_results_of_the_dataset(examples_union):
    """The union as pyoxigraph Triples stands for the Dataset with rudof (each triple once, whatever its
    graphs), and pyshacl ignores them."""
    from kg.export import ox_quads, union_triples

    ds = _dataset(_broken(examples_union))
    plain = V.validate_graph(ds, engine="rudof")
    assert not plain.conforms
    assert _same(V.validate_graph(ds, engine="rudof", triples=union_triples(ox_quads(ds)))) == _same(plain)
    reference = V.validate_graph(ds, engine="pyshacl")
    assert _same(V.validate_graph(ds, engine="pyshacl", triples=[])) == _same(reference)


def test_parts_are_cut_alike_from_rdflib_and_pyoxigraph_terms(examples_union):
    """The same nodes in the same order (by IRI: str() of a pyoxigraph NamedNode has <>,
    which sorts "a>" after "a-b>"), and the same graphs that cannot be split."""
    from kg.export import ox_triples

    shapes = V.shapes_graph()
    g = _broken(examples_union)
    for iri in ("https://w3id.org/defcoop/fact/a", "https://w3id.org/defcoop/fact/a-b",
                "https://w3id.org/defcoop/fact/a/b", "https://w3id.org/defcoop/fact/a0"):
        g.add((URIRef(iri), RDFS.label, Literal(iri)))
    g.add((KG.SignedFact, RDFS.subClassOf, KG.Fact))
    ox_terms = V._ox_terms()
    rdflib_index = V._index(g, shapes, V._RDFLIB_TERMS)
    ox_index = V._index(ox_triples(g), shapes, ox_terms)
    assert [ox_terms.name(n) for n in ox_index.nodes] == [str(n) for n in rdflib_index.nodes]
    assert len(ox_index.schema) == len(rdflib_index.schema) == 1
    parts = V._parts(ox_triples(g), shapes, ox_terms)
    focus = [ox_terms.name(n) for f, _ in parts for n in f]
    assert sorted(focus) == sorted(str(n) for n in rdflib_index.nodes)  # each node, once
    # the text family (`kg validate` of a file): the same nodes, and parts of the same triples
    text = V._TEXT_TERMS
    text_index = V._index(V._text_triples(ox_triples(g)), shapes, text)
    assert [text.name(n) for n in text_index.nodes] == [str(n) for n in rdflib_index.nodes]
    text_parts = V._parts(V._text_triples(ox_triples(g)), shapes, text)
    assert [[text.name(n) for n in f] for f, _ in text_parts] == [[ox_terms.name(n) for n in f] for f, _ in parts]
    assert [sorted(text.text(t).splitlines()) for _, t in text_parts] == \
        [sorted(ox_terms.text(t).splitlines()) for _, t in parts]
    fact = URIRef("https://w3id.org/defcoop/fact/x")
    unsplittable = [[(BNode(), RDFS.label, Literal("x"))],
                    [(fact, RDF.subject, Literal("not a node"))],
                    [(fact, RDF.subject, BNode())],
                    [(URIRef("mailto:someone@example.org"), RDFS.label, Literal("x"))]]
    for triples in unsplittable:
        assert V._parts(triples, shapes) is None
        assert V._parts(ox_triples(triples), shapes, ox_terms) is None
        assert V._parts(V._text_triples(ox_triples(triples)), shapes, text) is None


def test_rudof_in_this_process_then_on_processes_completes(examples_union, tmp_path):
    """The case that hangs with a pool forked after rudof ran in the parent: rudof runs in a
    process, then that process validates in parts on spawned processes. In a subprocess with
    a time limit, so that a hang fails the test instead of stopping the run."""
    data = tmp_path / "broken.nt"
    _broken(examples_union).serialize(data, format="nt", encoding="utf-8")
    script = f"""
import json, sys
from rdflib import Graph
from kg import validate as V

def main():
    g = Graph().parse({str(data)!r}, format="nt")
    first = V.validate_graph(g, engine="rudof", workers=1)
    V.PART_MIN_TRIPLES, V.PART_TRIPLES = 0, 300
    pooled, real = [], V._bounded_map
    V._bounded_map = lambda *a, **k: pooled.append(1) or real(*a, **k)
    split = V.validate_graph(g, engine="rudof", workers=2)
    print(json.dumps({{"pooled": pooled, "results": [[r.conforms, r.violations, r.text] for r in (first, split)]}}))

if __name__ == "__main__":
    main()
"""
    (tmp_path / "run.py").write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "run.py")], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["pooled"] == [1]
    first, split = out["results"]
    assert split == first and first[0] is False and first[1] >= 15


def test_the_pool_is_shut_down_when_a_part_fails(examples_union, monkeypatch):
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", 300)
    real, made = V._rudof_job, []

    def failing(part):
        if len(made) == 3:
            raise RuntimeError("a part that cannot be written")
        made.append(part)
        return real(part)

    monkeypatch.setattr(V, "_rudof_job", failing)
    with pytest.raises(RuntimeError, match="cannot be written"):
        V.validate_graph(examples_union, engine="rudof", workers=2)
    assert len(made) == 3
    assert mp.active_children() == []


def test_parts_are_validated_here_when_the_pool_breaks(examples_union, monkeypatch):
    """A process that cannot start (a main module read from stdin) or dies (killed for its
    memory) breaks the pool: the parts are validated in this process instead, alike."""
    from concurrent.futures.process import BrokenProcessPool

    whole = V.validate_graph(_broken(examples_union), engine="rudof")

    class Broken:
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("a process died")

    @contextmanager
    def broken_pool(processes):
        yield Broken()

    monkeypatch.setattr(V, "_spawn_pool", broken_pool)
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", 300)
    assert _same(V.validate_graph(_broken(examples_union), engine="rudof", workers=2)) == _same(whole)


@pytest.mark.parametrize("suffix, fmt", [(".ttl", "turtle"), (".nq", "nquads"), (".trig", "trig")])
def test_a_file_validated_by_rudof_is_read_by_pyoxigraph_with_the_results_of_rdflib(examples_union, tmp_path,
                                                                                     monkeypatch, suffix, fmt):
    """`kg validate FILE` with rudof parses the file with pyoxigraph (no rdflib terms, so that
    a large build fits); the report is the one the rdflib-loaded Dataset gives, also when
    triples sit in several graphs and the graph is cut into parts."""
    from kg.query import load_graph

    data = _broken(examples_union)
    f = tmp_path / f"broken{suffix}"
    (data if fmt == "turtle" else _dataset(data)).serialize(f, format=fmt)
    monkeypatch.setattr(V, "PART_MIN_TRIPLES", 0)
    monkeypatch.setattr(V, "PART_TRIPLES", 500)
    expected = V.validate_graph(load_graph(f), engine="rudof", workers=1)
    monkeypatch.setattr("kg.query.load_graph", lambda *a, **k: pytest.fail("loaded into rdflib"))
    got = V.validate_path(f, engine="rudof", workers=1)
    assert not got.conforms and got.violations >= 12
    assert _same(got) == _same(expected)
