"""A real oxigraph server on loopback: `kg push` uploads the seed build over the Graph Store
Protocol and the competency answers come back as rdflib gives them; `kg serve` is
read-only, refuses SERVICE and serves the HTML view."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.push import PushError, graphs_as_ntriples, push, remote_query
from kg.query import run_query
from kg.serve import free_port, oxigraph_binary, serve, start_oxigraph, stop_process

from conftest import CROSS_SOURCE_QUERIES, QUERIES
from test_store import Listener

runner = CliRunner()
CQS = sorted(p.name for p in QUERIES.glob("cq*.rq"))
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with NO_PROXY.open(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def store_server(tmp_path_factory):
    """A writable oxigraph server (the store `kg push` loads), union of graphs as default graph."""
    oxigraph_binary()
    port = free_port()
    proc = start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "store", port, read_only=False)
    yield f"http://127.0.0.1:{port}"
    stop_process(proc)


@pytest.fixture(scope="module")
def pushed(store_server, seed_build):
    res = runner.invoke(app, ["push", str(seed_build[0]), "--endpoint", store_server + "/store"])
    assert res.exit_code == 0, res.output
    return res


def answer(result):
    return result.variables, Counter(result.rows)


def test_push_sends_every_named_graph(pushed, seed_build, seed_graph):
    lines = pushed.stdout.splitlines()
    names = sorted(str(c.identifier) for c in seed_graph.graphs() if len(c))
    assert sorted(line.split()[1] for line in lines) == names
    assert all(line.split()[0] in ("201", "204") for line in lines)
    assert f"pushed {len(names)} graphs" in pushed.stderr and len(names) == 5  # 2 articles, entities, analysis, corroboration


@pytest.mark.parametrize("name", CQS)
def test_competency_answers_from_the_server_match_rdflib(pushed, store_server, seed_graph, name):
    local = run_query(seed_graph, str(QUERIES / name))
    remote = remote_query(store_server + "/query", str(QUERIES / name))
    assert local.rows or name in CROSS_SOURCE_QUERIES
    assert answer(remote) == answer(local)


def test_named_graphs_are_kept_on_the_server(pushed, store_server, seed_build):
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    remote = {str(g): int(n) for g, n in remote_query(store_server + "/query", q).rows}
    local = {name: count for name, count, _ in graphs_as_ntriples(seed_build[0])}
    assert remote == local and len(remote) == 5


def test_push_again_replaces_rather_than_adds(pushed, store_server, seed_build):
    before = remote_query(store_server + "/query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    push(seed_build[0], store_server + "/store")
    after = remote_query(store_server + "/query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    assert before == after and int(after[0][0]) > 500


def test_push_errors_are_one_line(seed_build, store_server):
    closed = f"http://127.0.0.1:{free_port()}/store"
    res = runner.invoke(app, ["push", str(seed_build[0]), "--endpoint", closed])
    assert res.exit_code == 2 and res.stderr.startswith("error: cannot reach") and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["push", str(seed_build[0]), "--endpoint", "ftp://127.0.0.1/store"])
    assert res.exit_code == 2 and "not an http(s) URL" in res.stderr
    with pytest.raises(PushError) as e:
        push(seed_build[0], store_server + "/no-such-path")
    assert "HTTP 404" in str(e.value) and "\n" not in str(e.value)


# --- kg serve -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(seed_build):
    with serve(seed_build[0], port=0) as server:
        yield server


def test_serve_binds_to_loopback_and_serves_the_html(served, seed_build):
    assert served.sparql_url.startswith("http://127.0.0.1:")
    status, body = http(served.html_url)
    assert status == 200 and body == (seed_build[0] / "graph.html").read_bytes()
    assert http(served.url)[0] in (200, 302)
    assert http(served.url + "..%2Fetc%2Fpasswd")[0] == 404
    assert http(served.url + "nothing.html")[0] == 404


def test_serve_sends_the_build_files_whole_and_in_pieces(served, seed_build, monkeypatch):
    """Every file of the build comes back byte for byte, also one larger than a piece (a
    large build's graph.nq is GBs: it is sent in pieces, never read whole)."""
    import urllib.request

    import kg.serve

    from pathlib import Path

    names = ("graph.nq", "graph.ttl", "report.md", "facts.csv")
    expected = {name: (seed_build[0] / name).read_bytes() for name in names}
    nq = seed_build[0] / "graph.nq"
    assert nq.stat().st_size > 4 * 4096
    monkeypatch.setattr(kg.serve, "STATIC_CHUNK", 4096)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read whole"))
    for name in names:
        status, body = http(served.url + name)
        assert status == 200 and body == expected[name], name
    req = urllib.request.Request(served.url + "graph.nq", method="HEAD")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req) as resp:
        assert resp.headers["Content-Length"] == str(nq.stat().st_size) and resp.read() == b""


def test_served_counts_match_kg_query(served, seed_build):
    """The default graph holds each triple once, as `kg query` reads a build (a triple that
    several articles state is one triple), and `kg serve` reuses kg query's store on disk."""
    from kg.query import load_store

    assert (seed_build[0] / ".kg-store" / "kg-stamp.json").is_file()
    local = load_store(seed_build[0])
    for q in ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "SELECT (COUNT(*) AS ?n) WHERE { ?f a kg:Fact }",
              "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"):
        served_n = remote_query(served.sparql_url, q).rows[0][0]
        assert str(served_n) == str(run_query(local, q).rows[0][0]), q
    total = remote_query(served.sparql_url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0]
    in_graphs = remote_query(served.sparql_url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    assert int(str(total)) < int(str(in_graphs))  # some triples sit in several graphs: counted once


@pytest.mark.parametrize("name", CQS)
def test_served_answers_match_rdflib(served, seed_graph, name):
    assert answer(remote_query(served.sparql_url, str(QUERIES / name))) == answer(run_query(seed_graph, str(QUERIES / name)))


def test_served_get_with_prefixes_prebound(served):
    q = urllib.parse.quote("SELECT ?x WHERE { ?x kg:licensedProducerOf ent:Su-30MKI }")
    status, body = http(served.sparql_url + "?query=" + q, headers={"Accept": "text/csv"})
    assert status == 200 and b"https://w3id.org/defcoop/id/HAL" in body


def test_serve_refuses_updates(served):
    update = b"INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }"
    assert http(served.url + "update", data=update, headers={"Content-Type": "application/sparql-update"})[0] == 403
    assert http(served.url + "sparql", data=b"update=" + urllib.parse.quote(update).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    assert http(served.url + "store?default", data=b"", method="PUT")[0] == 405
    # and the oxigraph process behind the front is itself read-only
    backend = f"http://127.0.0.1:{served.backend_port}/update"
    assert http(backend, data=update, headers={"Content-Type": "application/sparql-update"})[0] >= 400
    n = remote_query(served.sparql_url, "SELECT (COUNT(*) AS ?n) WHERE { <https://example.org/a> ?p ?o }").rows
    assert int(n[0][0]) == 0


def test_serve_refuses_service_and_never_contacts_the_host(served):
    listener = Listener()
    try:
        q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
        status, body = http(served.sparql_url, data=q.encode(), headers={"Content-Type": "application/sparql-query"})
        assert status == 400 and b"SERVICE is refused" in body
        status, _ = http(served.sparql_url + "?query=" + urllib.parse.quote(q))
        assert status == 400
        time.sleep(0.3)
        assert listener.hits == 0
    finally:
        listener.close()


def test_serve_needs_a_build_folder(tmp_path):
    res = runner.invoke(app, ["serve", str(tmp_path)])
    assert res.exit_code == 2 and "graph.nq" in res.stderr
