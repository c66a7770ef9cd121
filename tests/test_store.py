"""The query backends: rdflib and pyoxigraph give the same answers; time limits stop a
query; nothing is ever fetched from the network unless allowed."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter

import pytest

from kg.errors import GraphLoadError, QueryError
from kg.query import OxigraphGraph, QueryTimeoutError, load_graph, load_store, open_graph, run_query

from conftest import CROSS_SOURCE_QUERIES, QUERIES

CQS = sorted(p.name for p in QUERIES.glob("cq*.rq"))
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def ox_graph(seed_build):
    return load_store(seed_build[0])


@pytest.fixture(scope="module")
def rdflib_graph(seed_build):
    return load_graph(seed_build[0])


def answer(result):
    return result.variables, Counter(result.rows)


def test_nine_queries_exist():
    assert len(CQS) == 9


@pytest.mark.parametrize("name", CQS)
def test_competency_answers_match_between_rdflib_and_oxigraph(rdflib_graph, ox_graph, name):
    a = run_query(rdflib_graph, str(QUERIES / name))
    b = run_query(ox_graph, str(QUERIES / name))
    assert (a.backend, b.backend) == ("rdflib", "oxigraph")
    assert a.rows or name in CROSS_SOURCE_QUERIES, f"{name} has no answer on the seed build"
    assert answer(a) == answer(b)


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",  # the default graph is the merge: a triple in two graphs counts once
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "ASK { ent:Russia a kg:Country }",
    "CONSTRUCT { ?s a kg:Country } WHERE { ?s a kg:Country }",
])
def test_other_query_forms_match(rdflib_graph, ox_graph, query):
    a, b = run_query(rdflib_graph, query), run_query(ox_graph, query)
    assert (a.kind, a.boolean, a.triples) == (b.kind, b.boolean, b.triples)
    assert answer(a) == answer(b)


def test_auto_picks_oxigraph_only_above_the_threshold(seed_build):
    assert isinstance(open_graph(seed_build[0], store="auto", threshold=10), OxigraphGraph)
    assert not isinstance(open_graph(seed_build[0], store="auto", threshold=10**9), OxigraphGraph)
    assert not isinstance(open_graph(seed_build[0], store="rdflib"), OxigraphGraph)
    with pytest.raises(QueryError):
        open_graph(seed_build[0], store="virtuoso")


@pytest.mark.parametrize("backend", ["rdflib", "oxigraph"])
def test_time_limit_stops_a_runaway_query(rdflib_graph, ox_graph, backend):
    graph = rdflib_graph if backend == "rdflib" else ox_graph
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as e:
        run_query(graph, SLOW, timeout=1)
    assert time.monotonic() - started < 6
    assert "time limit of 1 s" in str(e.value)


def test_time_limit_returns_the_same_answer_when_in_time(rdflib_graph, ox_graph):
    for graph in (rdflib_graph, ox_graph):
        q = str(QUERIES / "cq1_licence.rq")
        assert answer(run_query(graph, q, timeout=30)) == answer(run_query(graph, q))


def test_errors_in_the_worker_come_back_as_one_line(ox_graph):
    with pytest.raises(QueryError) as e:
        run_query(ox_graph, "SELECT ?x WHERE { ?x ?p ?o } GROUP BY ?y", timeout=10)
    assert "\n" not in str(e.value)


# --- the network --------------------------------------------------------------------------


class Listener:
    """A loopback TCP listener that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def test_the_listener_does_see_a_connection(listener):
    """The check below can fail: a real connection is counted."""
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    time.sleep(0.5)
    assert listener.hits == 1


@pytest.mark.parametrize("backend", ["rdflib", "oxigraph"])
@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x a kg:Country . OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?x ?p ?o }} }} }}",
    "SELECT * FROM <http://127.0.0.1:{port}/data.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <http://127.0.0.1:{port}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "LOAD <http://127.0.0.1:{port}/data.ttl>",
])
def test_network_is_refused_and_never_contacted(rdflib_graph, ox_graph, listener, backend, template):
    graph = rdflib_graph if backend == "rdflib" else ox_graph
    for timeout in (None, 10):
        with pytest.raises(QueryError) as e:
            run_query(graph, template.format(port=listener.port), timeout=timeout)
        assert "\n" not in str(e.value)
    time.sleep(0.3)
    assert listener.hits == 0


def test_remote_jsonld_context_is_refused_and_never_fetched(tmp_path, listener):
    doc = {"@context": f"http://127.0.0.1:{listener.port}/context.jsonld", "@id": "https://example.org/x", "name": "x"}
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for load in (load_graph, load_store):
        with pytest.raises(GraphLoadError) as e:
            load(path)
        assert "would be fetched over the network" in str(e.value)
    nested = {"@context": [{"kg": "https://w3id.org/defcoop/ontology#"}, {"@import": f"http://127.0.0.1:{listener.port}/c"}], "@graph": []}
    path.write_text(json.dumps(nested), encoding="utf-8")
    with pytest.raises(GraphLoadError):
        load_graph(path)
    time.sleep(0.3)
    assert listener.hits == 0


def test_the_build_jsonld_loads_without_the_network(seed_build):
    g = load_graph(seed_build[0] / "graph.jsonld")
    assert len(g) > 500


def test_bad_files_give_one_line_errors(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<https://x/a b> <https://x/p> 1 .\n")
    with pytest.raises(GraphLoadError) as e:
        load_store(bad)
    assert str(bad) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(GraphLoadError):
        load_store(tmp_path / "missing.nq")
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(GraphLoadError):
        load_graph(tmp_path / "x.csv")


def test_a_large_build_is_queried_from_its_store_on_disk(tmp_path, monkeypatch):
    """Above STORE_ON_DISK_BYTES of N-Quads, `kg query` reads the build from OUT/.kg-store,
    made once by pyoxigraph's bulk loader: the same answers as the store in memory, made again
    when the build changes, and removed by the next build."""
    import os
    import shutil

    import kg.query
    from kg.build import build

    from conftest import EXAMPLES

    out = tmp_path / "out"
    build([EXAMPLES], out, workers=1, cache=False)
    in_memory = load_store(out)
    monkeypatch.setattr(kg.query, "STORE_ON_DISK_BYTES", 0)
    killed = out / ".kg-store.k1ll3d.tmp"  # what a query killed while loading left
    (killed / "db").mkdir(parents=True)
    (killed / "db" / "000001.sst").write_bytes(b"\0" * 64)
    on_disk = load_store(out)
    assert not killed.exists()
    assert (out / ".kg-store" / "kg-stamp.json").is_file() and len(on_disk) == len(in_memory) > 1000
    for name in CQS:
        text = (QUERIES / name).read_text(encoding="utf-8")
        assert answer(run_query(on_disk, text)) == answer(run_query(in_memory, text)), name
    assert on_disk.prefixes["ent"] == "https://w3id.org/defcoop/id/"
    made = os.stat(out / ".kg-store" / "kg-stamp.json").st_mtime_ns
    del on_disk
    again = load_store(out)  # the same build: the store is reused, not made again
    assert os.stat(out / ".kg-store" / "kg-stamp.json").st_mtime_ns == made
    del again
    with (out / "graph.ttl").open("a", encoding="utf-8") as fh:  # the files changed: made again
        fh.write("<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n")
    changed = load_store(out)
    assert len(changed) == len(in_memory) + 1
    del changed
    assert not list(out.glob(".kg-store.*.tmp"))  # no half-made store left
    build([EXAMPLES], out, workers=1, cache=False)
    assert not (out / ".kg-store").exists()  # a build removes the store of the files it replaced
    readonly = tmp_path / "ro"
    shutil.copytree(out, readonly)
    os.chmod(readonly, 0o555)
    try:
        if os.access(readonly, os.W_OK):  # root writes anywhere: then the test cannot make the folder read-only
            return
        assert len(load_store(readonly)) == len(in_memory)  # no store on disk: in memory, as before
    finally:
        os.chmod(readonly, 0o755)
