"""SPARQL over a built graph, with the project's prefixes pre-bound and the network refused.

rdflib executes SERVICE (a real request) and loads FROM <url> graphs; both are refused
unless the caller allows the network. LOAD and other updates are not queries and fail to
parse here.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import rdflib.plugins.sparql as rdflib_sparql
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from .errors import GraphLoadError, QueryError
from .vocab import PREFIXES, bind_prefixes

FORMATS_BY_SUFFIX = {".ttl": "turtle", ".trig": "trig", ".nq": "nquads", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")

# rdflib would otherwise fetch every FROM <url> graph of a query over HTTP
rdflib_sparql.SPARQL_LOAD_GRAPHS = False


def load_graph(path: str | Path) -> Dataset:
    """A build folder (its graph.trig) or an RDF file -> Dataset whose default graph is the union."""
    p = Path(path)
    if p.is_dir():
        p = p / "graph.trig"
    if not p.exists():
        raise GraphLoadError(f"{p}: no such graph file (give a build folder or a .ttl/.trig/.nq/.nt/.jsonld file)")
    fmt = FORMATS_BY_SUFFIX.get(p.suffix.lower())
    if fmt is None:
        raise GraphLoadError(f"{p}: unknown RDF format; use one of {', '.join(sorted(FORMATS_BY_SUFFIX))}")
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    try:
        ds.parse(p, format=fmt)
    except Exception as e:  # rdflib raises many types for bad syntax
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GraphLoadError(f"{p}: cannot parse as {fmt}: {first}") from None
    return ds


def read_query(query: str) -> str:
    """A query string, or the text of a .rq/.sparql file."""
    p = Path(query)
    if query.endswith((".rq", ".sparql")) or (len(query) < 4096 and "\n" not in query and p.is_file()):
        try:
            return p.read_text(encoding="utf-8")
        except OSError as e:
            raise QueryError(f"{query}: cannot read query file: {e.strerror or e}") from None
    return query


def _walk(node):
    if isinstance(node, CompValue):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _walk(v)


def prepare(text: str, *, allow_network: bool = False):
    """Parse with the prefixes bound; refuse SERVICE and remote FROM unless allowed."""
    try:
        q = prepareQuery(text, initNs={k: str(v) for k, v in PREFIXES.items()})
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise QueryError(f"cannot parse the query: {msg}") from None
    if not allow_network:
        for node in _walk(q.algebra):
            if node.name == "ServiceGraphPattern":
                raise QueryError("SERVICE is refused: it sends a request over the network (pass --allow-network to permit)")
            if node.name == "DatasetClause":
                raise QueryError("FROM / FROM NAMED is refused: it loads graphs from elsewhere (pass --allow-network to permit)")
    return q


@dataclass(frozen=True)
class QueryResult:
    kind: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    variables: tuple[str, ...]
    rows: tuple[tuple, ...]
    boolean: bool | None
    raw: object

    def cell_text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, URIRef):
            return _short(str(value))
        return str(value)


def _short(iri: str) -> str:
    from .vocab import qname

    return qname(iri)


def run_query(graph: Dataset, query: str, *, allow_network: bool = False) -> QueryResult:
    q = prepare(read_query(query), allow_network=allow_network)
    try:
        res = graph.query(q)
    except Exception as e:
        raise QueryError(f"query failed: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from None
    if res.type == "SELECT":
        variables = tuple(str(v) for v in res.vars)
        return QueryResult("SELECT", variables, tuple(tuple(row) for row in res), None, res)
    if res.type == "ASK":
        return QueryResult("ASK", (), (), bool(res.askAnswer), res)
    return QueryResult(res.type, (), (), None, res)


def _tsv_term(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (URIRef, Literal, BNode)):
        return v.n3()
    return str(v)


def format_result(result: QueryResult, fmt: str) -> str:
    """SPARQL results as csv, tsv (SPARQL 1.1 formats), json, xml; graphs as Turtle."""
    if result.kind in ("CONSTRUCT", "DESCRIBE"):
        g = result.raw.graph
        bind_prefixes(g)
        return g.serialize(format="turtle")
    if fmt == "tsv":
        if result.kind == "ASK":
            return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        w.writerow(["?" + v for v in result.variables])
        for row in result.rows:
            w.writerow([_tsv_term(v) for v in row])
        return buf.getvalue()
    if fmt in ("csv", "json", "xml"):
        out = result.raw.serialize(format=fmt)
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        if fmt == "json":
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        return text
    raise QueryError(f"unknown result format {fmt!r}; use one of {', '.join(RESULT_FORMATS)}")
