"""`kg query`, `kg validate` and `kg export` as a user meets them: formats, engines, time
limits, exit codes, one-line errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import networkx as nx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.namespace import SH
from typer.testing import CliRunner

from kg.analysis import entity_graph
from kg.cli import app
from kg.query import load_graph, run_query

from conftest import CROSS_SOURCE_QUERIES, QUERIES

runner = CliRunner()
SR = "{http://www.w3.org/2005/sparql-results#}"
BAD_FACT = """@prefix kg: <https://w3id.org/defcoop/ontology#> .
<https://w3id.org/defcoop/fact/0000000000000000> a kg:Fact .
"""


def kg(*args):
    return runner.invoke(app, [str(a) for a in args])


# --- query ------------------------------------------------------------------------------


def test_query_xml_is_sparql_results_xml(seed_build, seed_graph):
    q = "SELECT ?s ?label WHERE { ?s a kg:Country ; rdfs:label ?label } ORDER BY ?s ?label"
    res = kg("query", seed_build[0], q, "--format", "xml")
    assert res.exit_code == 0, res.output
    root = ET.fromstring(res.stdout)
    assert root.tag == SR + "sparql"
    assert [v.get("name") for v in root.iter(SR + "variable")] == ["s", "label"]
    got = []
    for result in root.iter(SR + "result"):
        b = {x.get("name"): x for x in result.iter(SR + "binding")}
        lit = b["label"].find(SR + "literal")
        got.append((b["s"].find(SR + "uri").text, lit.text, lit.get("{http://www.w3.org/XML/1998/namespace}lang")))
    want = [(str(s), str(label), label.language) for s, label in run_query(seed_graph, q).rows]
    assert got == want and ("https://w3id.org/defcoop/id/Russia", "Rusia", "id") in got


@pytest.mark.parametrize("name", sorted(p.name for p in QUERIES.glob("cq*.rq")))
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_query_output_is_the_same_on_both_engines(seed_build, name, fmt):
    a = kg("query", seed_build[0], QUERIES / name, "--format", fmt, "--store", "rdflib")
    b = kg("query", seed_build[0], QUERIES / name, "--format", fmt, "--store", "oxigraph")
    assert a.exit_code == b.exit_code == 0, a.output + b.output
    assert len(a.stdout.splitlines()) > 1 or name in CROSS_SOURCE_QUERIES
    assert sorted(a.stdout.splitlines()[1:]) == sorted(b.stdout.splitlines()[1:])
    assert a.stdout.splitlines()[0] == b.stdout.splitlines()[0]


def test_query_timeout_exits_2_with_one_line(seed_build):
    res = kg("query", seed_build[0], "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
             "--timeout", "1", "--store", "oxigraph")
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("error: query stopped after its time limit of 1 s")
    assert len(res.stderr.strip().splitlines()) == 1


def test_query_service_is_refused_by_the_cli(seed_build):
    res = kg("query", seed_build[0], "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert res.exit_code == 2 and "SERVICE is refused" in res.stderr and "--allow-network" in res.stderr


def test_query_unknown_store_is_a_usage_error(seed_build):
    res = kg("query", seed_build[0], "ASK {}", "--store", "virtuoso")
    assert res.exit_code == 2


# --- validate ---------------------------------------------------------------------------


def test_validate_turtle_report_of_a_conforming_build(seed_build):
    res = kg("validate", seed_build[0], "--format", "turtle")
    assert res.exit_code == 0, res.output
    g = Graph().parse(data=res.stdout, format="turtle")
    assert (None, SH.conforms, None) in g
    assert [bool(o) for o in g.objects(None, SH.conforms)] == [True]


@pytest.mark.parametrize("engine", ["rudof", "pyshacl"])
def test_validate_turtle_report_of_a_broken_graph(tmp_path, engine):
    bad = tmp_path / "bad.ttl"
    bad.write_text(BAD_FACT, encoding="utf-8")
    res = kg("validate", bad, "--format", "turtle", "--shacl-engine", engine)
    assert res.exit_code == 1
    g = Graph().parse(data=res.stdout, format="turtle")
    assert [bool(o) for o in g.objects(None, SH.conforms)] == [False]
    assert len(set(g.objects(None, SH.result))) >= 3
    human = kg("validate", bad, "--shacl-engine", engine)
    assert human.exit_code == 1 and "Conforms: False" in human.stdout
    assert f"Results ({len(set(g.objects(None, SH.result)))}):" in human.stdout


def test_validate_errors_exit_2(tmp_path):
    res = kg("validate", tmp_path / "missing.ttl")
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and "no such graph file" in res.stderr
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    res = kg("validate", broken)
    assert res.exit_code == 2 and "cannot parse as turtle" in res.stderr
    res = kg("validate", broken, "--format", "pdf")
    assert res.exit_code == 2


# --- export -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def projection(seed_graph):
    return entity_graph(seed_graph)


def test_export_graphml_reads_back_with_strings_and_numbers(seed_build, projection, tmp_path):
    out = tmp_path / "g.graphml"
    res = kg("export", seed_build[0], "--format", "graphml", "--out", out)
    assert res.exit_code == 0, res.output
    G = nx.read_graphml(out, force_multigraph=True)
    assert G.is_directed()
    assert set(G.nodes) == set(projection.nodes)
    assert G.number_of_edges() == projection.number_of_edges() > 10
    assert {k for _, _, k in G.edges(keys=True)} == {k for _, _, k in projection.edges(keys=True)}  # edge id: the fact IRI
    for _, data in G.nodes(data=True):
        assert data["label"] and data["cls"] and all(isinstance(v, (str, int, float)) for v in data.values())
    for _, _, data in G.edges(data=True):
        assert data["predicate"].startswith("kg:") and data["evidence_count"] >= 1 and data["sentence"]
        assert all(isinstance(v, (str, int, float)) for v in data.values())


def test_export_gexf_reads_back_and_is_byte_stable(seed_build, projection, tmp_path):
    a, b = tmp_path / "a.gexf", tmp_path / "b.gexf"
    for out in (a, b):
        assert kg("export", seed_build[0], "--format", "gexf", "--out", out).exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert b"lastmodifieddate" not in a.read_bytes()
    G = nx.read_gexf(a)
    assert G.number_of_nodes() == projection.number_of_nodes()
    assert G.number_of_edges() == projection.number_of_edges()
    labels = {d["label"] for _, d in G.nodes(data=True)}
    assert "Rosoboronexport" in labels


@pytest.mark.parametrize("fmt,oxfmt", [("nquads", ox.RdfFormat.N_QUADS), ("ntriples", ox.RdfFormat.N_TRIPLES),
                                       ("turtle", ox.RdfFormat.TURTLE), ("trig", ox.RdfFormat.TRIG), ("jsonld", ox.RdfFormat.JSON_LD)])
def test_export_rdf_formats_parse_strictly(seed_build, seed_graph, tmp_path, fmt, oxfmt):
    out = tmp_path / f"g.{fmt}"
    res = kg("export", seed_build[0], "--format", fmt, "--out", out)
    assert res.exit_code == 0, res.output
    quads = list(ox.parse(path=str(out), format=oxfmt))
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    assert len(triples) == len(set(seed_graph.triples((None, None, None))))
    if fmt == "ntriples":
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(set(lines))


def test_export_errors_exit_2(seed_build, tmp_path):
    res = kg("export", seed_build[0], "--format", "graphml", "--out", tmp_path)
    assert res.exit_code == 2 and "is a folder" in res.stderr
    res = kg("export", tmp_path / "none", "--format", "gexf", "--out", tmp_path / "x.gexf")
    assert res.exit_code == 2 and "no such graph file" in res.stderr
    res = kg("export", seed_build[0], "--format", "svg", "--out", tmp_path / "x.svg")
    assert res.exit_code == 2


def test_build_outputs_follow_the_umask_not_0600(seed_build):
    """mkstemp makes 0600 files; outputs get the mode any other written file would."""
    import os

    mask = os.umask(0)
    os.umask(mask)
    for name in ("graph.ttl", "graph.nq", "facts.csv"):
        assert (seed_build[0] / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_load_graph_union_matches_seed_graph(seed_build, seed_graph):
    assert len(load_graph(seed_build[0] / "graph.nq")) == len(seed_graph)
