"""Every serialisation `kg build` writes, read back by two independent strict parsers
(pyoxigraph and raptor's `rapper`) and by rdflib, must give the graph the build made:
isomorphic per named graph and as a union. And two builds under different hash seeds must
write byte-identical files.

rapper (Debian raptor2-utils) has no JSON-LD parser, so graph.jsonld is checked by
pyoxigraph and rdflib only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kg.build import OUTPUTS
from kg.build import assemble_dataset

from conftest import ROOT, seeds_dir

DEFAULT = "urn:x-default-graph"
OX_FORMATS = {
    "graph.ttl": ox.RdfFormat.TURTLE, "graph.trig": ox.RdfFormat.TRIG,
    "graph.nq": ox.RdfFormat.N_QUADS, "graph.jsonld": ox.RdfFormat.JSON_LD,
}
RAPPER_FORMATS = {"graph.ttl": "turtle", "graph.trig": "trig", "graph.nq": "nquads"}
RDFLIB_FORMATS = {"graph.ttl": "turtle", "graph.trig": "trig", "graph.nq": "nquads", "graph.jsonld": "json-ld"}


def rapper_path() -> str:
    path = shutil.which("rapper")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("rapper not installed (apt-get install raptor2-utils)")
    pytest.skip("rapper not installed (apt-get install raptor2-utils)")


# --- graphs as {graph name: rdflib Graph} -------------------------------------------------


def by_graph(quads) -> dict[str, Graph]:
    graphs: dict[str, Graph] = {}
    for s, p, o, g in quads:
        graphs.setdefault(g, Graph()).add((s, p, o))
    return graphs


def from_dataset(ds: Dataset) -> dict[str, Graph]:
    out = []
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = str(g.identifier if hasattr(g, "identifier") else g)
        out.append((s, p, o, DEFAULT if name == str(DATASET_DEFAULT_GRAPH_ID) else name))
    return by_graph(out)


def exact(term):
    """A pyoxigraph term as the rdflib term with the very same lexical form."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    dt = term.datatype.value
    return Literal(term.value) if dt == "http://www.w3.org/2001/XMLSchema#string" else Literal(term.value, datatype=URIRef(dt))


def from_oxigraph(quads) -> dict[str, Graph]:
    return by_graph(
        (exact(q.subject), exact(q.predicate), exact(q.object),
         DEFAULT if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value)
        for q in quads
    )


def union(graphs: dict[str, Graph]) -> Graph:
    g = Graph()
    for part in graphs.values():
        for t in part:
            g.add(t)
    return g


def assert_same(got: dict[str, Graph], want: dict[str, Graph], *, named: bool) -> None:
    assert isomorphic(union(got), union(want)), "the union differs"
    if named:
        assert sorted(got) == sorted(want), "the named graphs differ"
        for name in want:
            assert isomorphic(got[name], want[name]), f"graph {name} differs"


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(seed_results, pack):
    """The rdflib dataset the build serialises, made again in memory from the same facts."""
    graphs = from_dataset(assemble_dataset(list(seed_results.values()), pack))
    assert len(graphs) == 5 and sum(len(g) for g in graphs.values()) > 500
    return graphs


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OX_FORMATS))
def test_pyoxigraph_strict_parse_is_isomorphic(seed_build, reference, name):
    out, _ = seed_build
    quads = list(ox.parse(path=str(out / name), format=OX_FORMATS[name]))  # strict: raises on any bad IRI
    assert_same(from_oxigraph(quads), reference, named=name != "graph.ttl")


@pytest.mark.parametrize("name", sorted(RAPPER_FORMATS))
def test_rapper_parse_is_isomorphic(seed_build, reference, name):
    rapper = rapper_path()
    out, _ = seed_build
    proc = subprocess.run([rapper, "-q", "-i", RAPPER_FORMATS[name], "-o", "nquads", str(out / name), "https://example.invalid/base/"],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode().strip() == ""  # no warnings either
    quads = list(ox.parse(proc.stdout, format=ox.RdfFormat.N_QUADS))
    assert_same(from_oxigraph(quads), reference, named=name != "graph.ttl")


@pytest.mark.parametrize("name", sorted(RDFLIB_FORMATS))
def test_rdflib_round_trip_is_isomorphic(seed_build, reference, name):
    out, _ = seed_build
    ds = Dataset()
    ds.parse(out / name, format=RDFLIB_FORMATS[name])
    assert_same(from_dataset(ds), reference, named=name != "graph.ttl")


def test_the_checkers_reject_an_iri_with_a_space(tmp_path):
    """rdflib reads `<a b>` without complaint; the two strict parsers must not."""
    bad = tmp_path / "bad.ttl"
    bad.write_text("<https://w3id.org/defcoop/id/Su 30> a <https://w3id.org/defcoop/ontology#WeaponSystem> .\n")
    with pytest.raises(SyntaxError):
        list(ox.parse(path=str(bad), format=ox.RdfFormat.TURTLE))
    proc = subprocess.run([rapper_path(), "-q", "-i", "turtle", "-o", "nquads", str(bad)], capture_output=True, timeout=60)
    assert proc.returncode != 0 or proc.stderr


def test_builds_under_different_hash_seeds_are_byte_identical(tmp_path):
    """Two `kg build` processes with different PYTHONHASHSEED write the same bytes."""
    procs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        cmd = [sys.executable, "-m", "kg.cli", "build", str(seeds_dir()), "--out", str(tmp_path / seed), "--quiet"]
        procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for p in procs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr.decode()
    for name in OUTPUTS:
        a, b = (tmp_path / "1" / name).read_bytes(), (tmp_path / "4242" / name).read_bytes()
        assert a, name
        assert a == b, f"{name} differs between hash seeds"


def test_jsonld_is_what_rdflibs_dataset_serializer_writes(seed_results, pack):
    """kg/export.py converts one named graph at a time (rdflib's whole-dataset path is
    quadratic in the number of graphs); the document is the one rdflib writes, byte for byte,
    for the built dataset and for one with triples in its default graph too."""
    import json

    from kg.export import _stable, jsonld_context, serialize_jsonld

    def rdflib_way(ds):
        text = ds.serialize(format="json-ld", context=jsonld_context(ds), auto_compact=True)
        return json.dumps(_stable(json.loads(text)), indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    ds = assemble_dataset(list(seed_results.values()), pack)
    assert serialize_jsonld(ds) == rdflib_way(ds)
    ds.add((URIRef("https://w3id.org/defcoop/entity/X"), URIRef("https://w3id.org/defcoop/ontology#note"), Literal("in the default graph")))
    assert serialize_jsonld(ds) == rdflib_way(ds)
