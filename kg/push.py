"""Load a built graph into another store over the SPARQL 1.1 Graph Store Protocol, and ask
a SPARQL 1.1 Protocol endpoint a query; the client side of both, with urllib only.

Every named graph is sent with one ``PUT <endpoint>?graph=<iri>`` (N-Triples), so the
store ends up with the same named graphs, each replaced whole; triples in the default
graph go to ``PUT <endpoint>?default``. Only the URL the user gave is contacted.
"""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from .errors import KGError


class PushError(KGError):
    """The endpoint could not be reached or refused what was sent."""


@dataclass(frozen=True)
class PushedGraph:
    graph: str  # the graph IRI, or "default"
    triples: int
    status: int


@dataclass(frozen=True)
class PushSummary:
    endpoint: str
    graphs: tuple[PushedGraph, ...]
    seconds: float

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)


def _check_url(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PushError(f"endpoint {url!r} is not an http(s) URL (e.g. http://127.0.0.1:7878/store)")
    return parts


def _opener(parts: urllib.parse.SplitResult):
    """No proxy for loopback hosts (an http_proxy setting must not carry local data away)."""
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    handlers = [urllib.request.ProxyHandler({})] if loopback else []
    return urllib.request.build_opener(*handlers)


def _send(opener, req: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace").strip()
        first = body.splitlines()[0][:200] if body else e.reason
        raise PushError(f"{req.get_method()} {req.full_url}: HTTP {e.code}: {first}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise PushError(f"cannot reach {req.full_url}: {reason}") from None


def graphs_as_ntriples(path) -> list[tuple[str, int, bytes]]:
    """(graph IRI or "default", triple count, N-Triples bytes) for every non-empty graph of
    a build folder or RDF file, the default graph first, then in IRI order; parsed strictly
    with pyoxigraph."""
    import pyoxigraph as ox

    from .query import parse_quads

    quads, _ = parse_quads(path)
    groups: dict[str, set] = {}
    for q in quads:
        name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
        groups.setdefault(name, set()).add(ox.Triple(q.subject, q.predicate, q.object))
    out = []
    for name in sorted(groups):
        triples = sorted(groups[name], key=str)
        out.append((name or "default", len(triples), ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)))
    return out


def push(path, endpoint: str, *, timeout: float = 60.0) -> PushSummary:
    """PUT every graph of a build folder or RDF file to a Graph Store Protocol endpoint.

    ``endpoint`` is the store's GSP URL, e.g. ``http://127.0.0.1:7878/store`` for oxigraph.
    """
    started = time.perf_counter()
    parts = _check_url(endpoint)
    opener = _opener(parts)
    sep = "&" if parts.query else "?"
    pushed = []
    for name, count, body in graphs_as_ntriples(path):
        target = endpoint + sep + ("default" if name == "default" else "graph=" + urllib.parse.quote(name, safe=""))
        req = urllib.request.Request(target, data=body, method="PUT", headers={"Content-Type": "application/n-triples"})
        status, _ = _send(opener, req, timeout)
        pushed.append(PushedGraph(name, count, status))
    return PushSummary(endpoint, tuple(pushed), time.perf_counter() - started)


# --- asking an endpoint -------------------------------------------------------------------


def _term(b: dict):
    kind = b["type"]
    if kind == "uri":
        return URIRef(b["value"])
    if kind == "bnode":
        return BNode(b["value"])
    if "xml:lang" in b:
        return Literal(b["value"], lang=b["xml:lang"])
    dt = b.get("datatype")
    if dt in (None, str(XSD.string)):
        return Literal(b["value"])
    if dt == str(XSD.decimal):  # oxigraph answers "40" for the stored "40.0"
        from .graph import canonical_decimal

        return Literal(canonical_decimal(b["value"]), datatype=XSD.decimal)
    return Literal(b["value"], datatype=URIRef(dt))


def remote_query(endpoint: str, query: str, *, timeout: float = 60.0):
    """Send a SELECT or ASK query (project prefixes pre-bound, SERVICE and FROM refused) to a
    SPARQL 1.1 Protocol endpoint and return a kg.query.QueryResult."""
    from .query import QueryResult, prepare, read_query
    from .vocab import sparql_prologue

    text = read_query(query)
    q = prepare(text)
    kind = q.algebra.name.removesuffix("Query").upper()
    if kind not in ("SELECT", "ASK"):
        raise PushError(f"only SELECT and ASK can be sent to an endpoint here, not {kind}")
    parts = _check_url(endpoint)
    started = time.perf_counter()
    req = urllib.request.Request(endpoint, data=(sparql_prologue() + text).encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    _, body = _send(_opener(parts), req, timeout)
    doc = json.loads(body)
    if kind == "ASK":
        return QueryResult("ASK", (), (), bool(doc["boolean"]), (), "endpoint", time.perf_counter() - started)
    variables = tuple(doc["head"]["vars"])
    rows = tuple(tuple(_term(b[v]) if v in b else None for v in variables) for b in doc["results"]["bindings"])
    return QueryResult("SELECT", variables, rows, None, (), "endpoint", time.perf_counter() - started)
