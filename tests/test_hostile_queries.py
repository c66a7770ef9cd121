"""Hostile queries and graphs reach nothing: SERVICE in every disguise, LOAD, remote FROM and
remote JSON-LD contexts make no request (a loopback listener counts connections), through
the library, the CLI and `kg serve`; the server listens on 127.0.0.1 only and refuses
updates in every form. (The basic cases are in test_store.py and test_serve.py.)"""

from __future__ import annotations

import json
import socket
import time
import urllib.parse

import pytest
from test_serve import http
from test_store import Listener
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import GraphLoadError, QueryError
from kg.query import load_graph, load_store, run_query
from kg.serve import serve

runner = CliRunner()

DISGUISES = [
    "SELECT * WHERE {{ service <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?u {{ <http://127.0.0.1:{port}/s> }} SERVICE ?u {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ MINUS {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?s ?p ?o }} }}",
    "DESCRIBE <http://127.0.0.1:{port}/x>",
    "SELECT * FROM <http://127.0.0.1:{port}/d.ttl> WHERE {{ ?s ?p ?o }}",
    "LOAD <http://127.0.0.1:{port}/d.ttl> INTO GRAPH <http://x/g>",
    "CLEAR ALL",
    "INSERT DATA {{ <http://x/a> <http://x/b> <http://x/c> }}",
]


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def ox_seed(seed_build):
    return load_store(seed_build[0] / "graph.nq")


@pytest.mark.parametrize("template", DISGUISES)
def test_no_disguise_reaches_the_network(seed_graph, ox_seed, listener, template):
    q = template.format(port=listener.port)
    for graph in (seed_graph, ox_seed):
        try:
            run_query(graph, q, timeout=10)
        except QueryError as e:
            assert "\n" not in str(e)
        else:  # only a query that names the host without asking for it may run (DESCRIBE)
            assert q.startswith("DESCRIBE")
    time.sleep(0.3)
    assert listener.hits == 0


@pytest.mark.parametrize("context", [
    "http://127.0.0.1:{port}/c.jsonld",
    {"p": {"@id": "http://x/p", "@context": "http://127.0.0.1:{port}/scoped"}},
    [{"@version": 1.1}, {"@import": "http://127.0.0.1:{port}/i"}],
])
@pytest.mark.parametrize("command", [["query", "{file}", "ASK {{}}"], ["validate", "{file}"],
                                     ["export", "{file}", "--format", "turtle", "--out", "{out}"]])
def test_remote_jsonld_contexts_are_refused_by_every_command(tmp_path, listener, context, command):
    ctx = json.loads(json.dumps(context).replace("{port}", str(listener.port)))
    doc = {"@context": ctx, "@id": "http://x/a", "p": "v"}
    f = tmp_path / "g.jsonld"
    f.write_text(json.dumps(doc), encoding="utf-8")
    res = runner.invoke(app, [a.format(file=f, out=tmp_path / "o.ttl") for a in command])
    assert res.exit_code == 2, res.output
    assert "would be fetched over the network" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    with pytest.raises(GraphLoadError):
        load_graph(f)
    time.sleep(0.3)
    assert listener.hits == 0


@pytest.fixture(scope="module")
def served(seed_build):
    with serve(seed_build[0], port=0) as server:
        yield server


def _listening(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.rsplit(":", 1)
            if int(p, 16) == port and state == "0A":
                found.add(addr)
    return found


def test_the_server_and_its_engine_listen_on_loopback_only(served):
    if not _listening(served.port):
        pytest.skip("/proc/net/tcp is not readable here")
    for port in (served.port, served.backend_port):
        assert _listening(port) == {"0100007F"}, (port, _listening(port))  # 127.0.0.1, nothing else
    # and a non-loopback address of this host is refused
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            own = s.getsockname()[0]
    except OSError:
        own = None
    if own and not own.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((own, served.port), timeout=2).close()


def count(server) -> str:
    q = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    status, body = http(server.sparql_url + "?query=" + q, headers={"Accept": "text/csv"})
    assert status == 200
    return body.decode().split()[-1]


def test_the_server_refuses_updates_and_network_in_every_form(served, listener):
    base = served.url
    before = count(served)
    update = f"LOAD <http://127.0.0.1:{listener.port}/d.ttl>"
    for method_url, data, headers in [
        (base + "sparql?query=" + urllib.parse.quote(update), None, {}),
        (base + "sparql?update=" + urllib.parse.quote(update), None, {}),
        (base + "sparql", update.encode(), {"Content-Type": "application/sparql-update"}),
        (base + "sparql", update.encode(), {"Content-Type": "application/sparql-query"}),
        (base + "sparql", b"update=" + urllib.parse.quote(update).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
        (base + "sparql", b"query=" + urllib.parse.quote(update).encode(), {"Content-Type": "application/x-www-form-urlencoded"}),
        (base + "update", update.encode(), {"Content-Type": "application/sparql-update"}),
    ]:
        status, _ = http(method_url, data=data, headers=headers)
        assert status >= 400, (method_url, data)
    for template in DISGUISES[:6]:
        q = template.format(port=listener.port)
        status, body = http(served.sparql_url, data=q.encode(), headers={"Content-Type": "application/sparql-query"})
        assert status == 400, (q, body)
    for method in ("PUT", "DELETE", "PATCH"):
        assert http(base + "store?default", data=b"", method=method)[0] >= 400
    time.sleep(0.3)
    assert listener.hits == 0
    assert count(served) == before  # nothing was changed
