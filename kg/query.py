"""SPARQL over a built graph, with the project's prefixes pre-bound, the network refused and
a time limit.

Two backends give the same answers: rdflib (a ``Dataset`` whose default graph is the union
of the named graphs) for small graphs, and pyoxigraph (a ``Store`` whose default graph holds the
merge of the named graphs) for large ones, about thirty times faster on joins. ``open_graph(...,
store="auto")`` picks pyoxigraph above ``AUTO_THRESHOLD`` quads.

Both engines would send a SERVICE request over the network (and rdflib would load
FROM <url> graphs), so every query is parsed first and SERVICE and FROM / FROM NAMED are
refused unless the caller allows the network. LOAD and other updates are not queries and
fail to parse. With a time limit the query runs in a forked worker process that is killed
when the limit passes: neither engine can be interrupted from inside.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import rdflib.plugins.sparql as rdflib_sparql
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from .errors import GraphLoadError, KGError, QueryError
from .iri import instance_prefixes
from .vocab import bind_prefixes

FORMATS_BY_SUFFIX = {".ttl": "turtle", ".trig": "trig", ".nq": "nquads", ".nt": "nt", ".jsonld": "json-ld", ".json": "json-ld"}
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
STORES = ("auto", "rdflib", "oxigraph")
# above this many quads "auto" keeps the graph in pyoxigraph (rdflib needs ~36 s and
# 1.3 GB to parse a million triples, pyoxigraph 3.4 s and 0.4 GB)
AUTO_THRESHOLD = 100_000
DEFAULT_TIMEOUT = 30.0

# rdflib would otherwise fetch every FROM <url> graph of a query over HTTP
rdflib_sparql.SPARQL_LOAD_GRAPHS = False


class QueryTimeoutError(QueryError):
    """The query ran past its time limit and was stopped."""


def graph_file(path: str | Path, prefer: str = "graph.trig") -> Path:
    """A build folder (its ``prefer`` file when it has one, else its graph.trig) or an RDF
    file, checked to exist and have a known suffix."""
    p = Path(path)
    if p.is_dir():
        p = p / prefer if (p / prefer).is_file() else p / "graph.trig"
    if not p.exists():
        raise GraphLoadError(f"{p}: no such graph file (give a build folder or a .ttl/.trig/.nq/.nt/.jsonld file)")
    if p.suffix.lower() not in FORMATS_BY_SUFFIX:
        raise GraphLoadError(f"{p}: unknown RDF format; use one of {', '.join(sorted(FORMATS_BY_SUFFIX))}")
    return p


def _remote_contexts(node) -> list[str]:
    """Every @context (or @import) given by reference in a JSON-LD document."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("@context", "@import"):
                for c in v if isinstance(v, list) else [v]:
                    if isinstance(c, str):
                        found.append(c)
                    else:
                        found.extend(_remote_contexts(c))
            else:
                found.extend(_remote_contexts(v))
    elif isinstance(node, list):
        for v in node:
            found.extend(_remote_contexts(v))
    return found


def _check_jsonld(p: Path, allow_network: bool) -> None:
    if allow_network:
        return
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GraphLoadError(f"{p}: cannot parse as json-ld: {e}") from None
    remote = _remote_contexts(doc)
    if remote:
        raise GraphLoadError(f"{p}: JSON-LD context {remote[0]!r} would be fetched over the network; inline it (or pass --allow-network)")


def load_graph(path: str | Path, *, allow_network: bool = False) -> Dataset:
    """A build folder (its graph.trig) or an RDF file -> Dataset whose default graph is the union."""
    p = graph_file(path)
    fmt = FORMATS_BY_SUFFIX[p.suffix.lower()]
    if fmt == "json-ld":
        _check_jsonld(p, allow_network)
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    try:
        ds.parse(p, format=fmt)
    except Exception as e:  # rdflib raises many types for bad syntax
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GraphLoadError(f"{p}: cannot parse as {fmt}: {first}") from None
    return ds


def read_view(path: str | Path, *, allow_network: bool = False):
    """A build folder (its graph.nq) or an RDF file as the read view of `kg analyze`, `kg
    render` and `kg explain` (kg/analysis.py :class:`~kg.analysis.UnionView`: every triple
    once, indexed by subject). N-Quads, N-Triples, Turtle and TriG are streamed through
    pyoxigraph's strict parser, each term made an rdflib term once (a memo: entities,
    predicates and classes come back), without an rdflib Dataset: a build of 800,000
    triples is read in about 5 s and 0.3 GB instead of 35 s and 1.6 GB, so that a build of
    millions can be analysed on one machine. JSON-LD goes through :func:`load_graph`."""
    from .analysis import UnionView

    p = graph_file(path, prefer="graph.nq")
    if FORMATS_BY_SUFFIX[p.suffix.lower()] == "json-ld":
        return UnionView(load_graph(p, allow_network=allow_network))
    memo: dict = {}

    def term(t):
        got = memo.get(t)
        if got is None:
            got = _rdflib_term(t)
            if got is None:
                raise GraphLoadError(f"{p}: holds an RDF-star quoted triple, which kg does not read")
            if len(memo) >= _TERM_MEMO:
                memo.clear()
            memo[t] = got
        return got

    return UnionView.of_triples((term(q.subject), term(q.predicate), term(q.object)) for q in iter_quads(p))


def _stream(p: Path, fmt, prefixes: dict | None = None):
    """The quads of file p as pyoxigraph's strict parser reads them (the prefixes it declared
    go into ``prefixes`` at the end); an unreadable file or a syntax error (raised as the
    parser comes to it) is a GraphLoadError naming the file."""
    import pyoxigraph as ox

    try:
        parser = ox.parse(path=str(p), format=fmt)
        yield from parser
        if prefixes is not None:
            prefixes.update(parser.prefixes)
    except (SyntaxError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise GraphLoadError(f"{p}: cannot parse as {FORMATS_BY_SUFFIX.get(p.suffix.lower(), p.suffix)}: {first}") from None


def iter_quads(path: str | Path, prefixes: dict | None = None):
    """The quads of an RDF file one by one, as pyoxigraph's strict parser reads them; the
    prefixes the file declared go into ``prefixes`` at the end."""
    p = graph_file(path)
    return _stream(p, _ox_format(p), prefixes)


def _ox_format(p: Path):
    """pyoxigraph's format of a file, by its suffix (.json is JSON-LD)."""
    import pyoxigraph as ox

    return ox.RdfFormat.JSON_LD if p.suffix.lower() == ".json" else ox.RdfFormat.from_extension(p.suffix.lower().lstrip("."))


_TERM_MEMO = 1 << 20  # terms read_view remembers (fact and evidence IRIs and sentences come once)


@dataclass
class OxigraphGraph:
    """A pyoxigraph Store with the prefixes its file declared."""

    store: object
    prefixes: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.store)

    def namespaces(self):
        return iter(self.prefixes.items())


def parse_quads(path: str | Path, *, allow_network: bool = False) -> tuple[list, dict]:
    """A build folder or an RDF file -> (pyoxigraph quads, the prefixes it declared), parsed strictly."""
    p = graph_file(path)
    if p.suffix.lower() in (".jsonld", ".json"):
        _check_jsonld(p, allow_network)
    prefixes: dict = {}
    quads = list(_stream(p, _ox_format(p), prefixes))
    return quads, prefixes


# a build whose graph.nq is larger than this is queried from a store on disk (OUT/.kg-store)
STORE_ON_DISK_BYTES = 64 * 2 ** 20
STORE_DIRNAME = ".kg-store"
STORE_LOCK = ".kg-store.lock"  # held while a query makes the store (and clears a killed one's leftovers)


def load_store(path: str | Path, *, allow_network: bool = False) -> OxigraphGraph:
    """A build folder or an RDF file -> a pyoxigraph Store (strict parsing). A large build
    is read from its store on disk (:func:`disk_store`), made the first time it is asked for."""
    import pyoxigraph as ox

    folder = Path(path)
    if folder.is_dir() and (folder / "graph.nq").is_file() and (folder / "graph.ttl").is_file() \
            and (folder / "graph.nq").stat().st_size > STORE_ON_DISK_BYTES:
        store = disk_store(folder)
        if store is not None:
            return OxigraphGraph(store, _turtle_prefixes(folder / "graph.ttl"))
    quads, prefixes = parse_quads(path, allow_network=allow_network)
    store = ox.Store()
    store.extend(quads)
    # the default graph is the RDF merge of the named graphs, as in load_graph: a triple
    # stated in two articles is one triple (oxigraph's own union view would repeat it)
    store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads if not isinstance(q.graph_name, ox.DefaultGraph))
    return OxigraphGraph(store, prefixes)


def disk_store(folder: Path):
    """The build's dataset in a pyoxigraph store on disk (``folder``/.kg-store), read-only, or
    None when the folder cannot hold one. The store is made from graph.nq (the named graphs)
    and graph.ttl (their union, each triple once, as the default graph, which is what
    :func:`load_store` gives in memory) by pyoxigraph's bulk loader, which holds neither
    file in memory, and made again when either file has changed since. A build of hundreds
    of MB then answers its first query after a load of a minute or so, and the next ones at
    once, in bounded memory."""
    import fcntl
    import shutil

    import pyoxigraph as ox

    nq, ttl = folder / "graph.nq", folder / "graph.ttl"
    stamp = json.dumps({"format": 1, **{f.name: [f.stat().st_size, f.stat().st_mtime_ns] for f in (nq, ttl)}})
    location = folder / STORE_DIRNAME
    try:
        if (location / "kg-stamp.json").read_text(encoding="utf-8") == stamp:
            return ox.Store.read_only(str(location))
    except OSError:
        pass  # none yet, or not one of ours: make it
    try:
        fd = os.open(folder / STORE_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return None  # a folder we may not write into: the caller loads the graph in memory
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one query makes the store; the others wait, then read it
        try:
            if (location / "kg-stamp.json").read_text(encoding="utf-8") == stamp:
                return ox.Store.read_only(str(location))  # made while this one waited
        except OSError:
            pass
        # what a query killed while making the store left (no one else is making one now)
        for old in folder.glob(STORE_DIRNAME + ".*.tmp"):
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
        return _make_store(folder, location, stamp)
    finally:
        os.close(fd)  # releases the lock


def _make_store(folder: Path, location: Path, stamp: str):
    """Bulk-load graph.nq and graph.ttl into a new store beside ``location`` and move it there."""
    import shutil
    import tempfile

    import pyoxigraph as ox

    nq, ttl = folder / "graph.nq", folder / "graph.ttl"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=STORE_DIRNAME + ".", suffix=".tmp", dir=folder))
    except OSError:
        return None
    try:
        store = ox.Store(str(tmp / "db"))
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
        store.bulk_load(path=str(ttl), format=ox.RdfFormat.TURTLE)
        store.flush()
        del store
        (tmp / "db" / "kg-stamp.json").write_text(stamp, encoding="utf-8")
        shutil.rmtree(location, ignore_errors=True)
        os.replace(tmp / "db", location)
    except OSError:
        return None  # e.g. the disk is full: the caller loads the graph in memory
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ox.Store.read_only(str(location))


def _turtle_prefixes(path: Path) -> dict:
    """The @prefix lines at the top of a Turtle file (a build's graph.ttl), as prefix -> IRI."""
    import re

    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"@prefix ([A-Za-z][\w-]*): <([^>]*)> \.$", line.strip())
            if not m:
                break
            out[m.group(1)] = m.group(2)
    return out


def open_graph(path: str | Path, *, store: str = "auto", allow_network: bool = False, threshold: int = AUTO_THRESHOLD):
    """Load a graph for querying with the chosen backend: "rdflib", "oxigraph" or "auto"
    (pyoxigraph when the graph has more than ``threshold`` quads)."""
    if store not in STORES:
        raise QueryError(f"unknown store {store!r}; use one of {', '.join(STORES)}")
    if store == "rdflib":
        return load_graph(path, allow_network=allow_network)
    g = load_store(path, allow_network=allow_network)
    if store == "oxigraph" or len(g) > threshold:
        return g
    return load_graph(path, allow_network=allow_network)


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


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def prepare(text: str, *, allow_network: bool = False, prefixes: dict | None = None, refuse_from: bool = True):
    """Parse with the prefixes bound; refuse SERVICE and FROM / FROM NAMED unless allowed.

    ``refuse_from=False`` lets FROM through (for a store such as oxigraph that reads FROM
    as the name of one of its own graphs and fetches nothing)."""
    ns = prefixes if prefixes is not None else instance_prefixes(None)
    try:
        q = prepareQuery(text, initNs=ns)
    except Exception as e:
        raise QueryError(f"cannot parse the query: {_first_line(e)}") from None
    if not allow_network:
        for node in _walk(q.algebra):
            if node.name == "ServiceGraphPattern":
                raise QueryError("SERVICE is refused: it sends a request over the network (pass --allow-network to permit)")
            if node.name == "DatasetClause" and refuse_from:
                raise QueryError("FROM / FROM NAMED is refused: it loads graphs from elsewhere (pass --allow-network to permit)")
    return q


@dataclass(frozen=True)
class QueryResult:
    """The answer of a query as plain rdflib terms, whichever backend ran it."""

    kind: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    variables: tuple[str, ...]
    rows: tuple[tuple, ...]
    boolean: bool | None
    triples: tuple[tuple, ...] = ()
    backend: str = "rdflib"
    seconds: float = 0.0

    def cell_text(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, URIRef):
            from .vocab import qname

            return qname(str(value))
        return str(value)


# --- the two backends -------------------------------------------------------------------


def _from_ox(term):
    """A pyoxigraph term of a query's answer -> the equal rdflib term (xsd:string literals
    become plain ones)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value == str(XSD.decimal):
        # oxigraph keeps the value, not the lexical form: "40.0" comes back "40"
        from .graph import canonical_decimal

        return Literal(canonical_decimal(term.value), datatype=XSD.decimal)
    got = _rdflib_term(term)
    if got is None:
        raise QueryError(f"unsupported term in the answer: {term!r}")
    return got


def _rdflib_term(term):
    """A pyoxigraph term as the rdflib term a parser makes of the same text (xsd:string
    literals plain ones); None for a term rdflib has no kind for (a quoted triple)."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value) if dt == _XSD_STRING else Literal(term.value, datatype=URIRef(dt))
    return None


_XSD_STRING = str(XSD.string)


def _run_rdflib(graph, q, started: float) -> QueryResult:
    res = graph.query(q)
    if res.type == "SELECT":
        variables = tuple(str(v) for v in res.vars)
        return QueryResult("SELECT", variables, tuple(tuple(row) for row in res), None, (), "rdflib", time.perf_counter() - started)
    if res.type == "ASK":
        return QueryResult("ASK", (), (), bool(res.askAnswer), (), "rdflib", time.perf_counter() - started)
    return QueryResult(res.type, (), (), None, tuple(sorted(res.graph, key=lambda t: tuple(x.n3() for x in t))),
                       "rdflib", time.perf_counter() - started)


def _run_oxigraph(graph: OxigraphGraph, text: str, prefixes: dict, kind: str, started: float) -> QueryResult:
    import pyoxigraph as ox

    res = graph.store.query(text, prefixes=prefixes)
    if isinstance(res, ox.QuerySolutions):
        variables = tuple(v.value for v in res.variables)
        rows = tuple(tuple(_from_ox(sol[v]) for v in variables) for sol in res)
        return QueryResult("SELECT", variables, rows, None, (), "oxigraph", time.perf_counter() - started)
    if isinstance(res, ox.QueryBoolean):
        return QueryResult("ASK", (), (), bool(res), (), "oxigraph", time.perf_counter() - started)
    triples = tuple(sorted(((_from_ox(t.subject), _from_ox(t.predicate), _from_ox(t.object)) for t in res),
                           key=lambda t: tuple(x.n3() for x in t)))
    return QueryResult(kind, (), (), None, triples, "oxigraph", time.perf_counter() - started)


def _execute(graph, text: str, allow_network: bool) -> QueryResult:
    started = time.perf_counter()
    prefixes = instance_prefixes(graph)
    q = prepare(text, allow_network=allow_network, prefixes=prefixes)
    try:
        if isinstance(graph, OxigraphGraph):
            kind = q.algebra.name.removesuffix("Query").upper()  # SELECT, ASK, CONSTRUCT, DESCRIBE
            return _run_oxigraph(graph, text, prefixes, kind, started)
        return _run_rdflib(graph, q, started)
    except KGError:
        raise
    except Exception as e:
        raise QueryError(f"query failed: {_first_line(e)}") from None


def _worker(conn, graph, text, allow_network) -> None:
    try:
        conn.send(("ok", _execute(graph, text, allow_network)))
    except KGError as e:
        conn.send(("error", type(e).__name__, str(e)))
    except BaseException as e:  # anything else still reaches the parent as one line
        conn.send(("error", "QueryError", f"query failed: {_first_line(e)}"))
    finally:
        conn.close()


def run_query(graph, query: str, *, allow_network: bool = False, timeout: float | None = None) -> QueryResult:
    """Run a SPARQL query (a string or a .rq file) on an rdflib Dataset/Graph or an OxigraphGraph.

    With ``timeout`` (seconds) the query runs in a forked worker that is killed at the
    limit, raising QueryTimeoutError; without it, in this process.
    """
    text = read_query(query)
    if not timeout:
        return _execute(graph, text, allow_network)
    # refuse what is refused before paying for a process
    prepare(text, allow_network=allow_network, prefixes=instance_prefixes(graph))
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(child, graph, text, allow_network), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise QueryTimeoutError(f"query stopped after its time limit of {timeout:g} s (raise it with --timeout)")
        try:
            msg = parent.recv()
        except EOFError:
            raise QueryError(f"query worker died (exit code {proc.exitcode})") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    if msg[0] == "ok":
        return msg[1]
    cls = QueryTimeoutError if msg[1] == "QueryTimeoutError" else QueryError
    raise cls(msg[2])


# --- result formats ---------------------------------------------------------------------


def _tsv_term(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (URIRef, Literal, BNode)):
        return v.n3()
    return str(v)


def _rdflib_result(result: QueryResult) -> Result:
    r = Result(result.kind)
    if result.kind == "ASK":
        r.askAnswer = bool(result.boolean)
        return r
    r.vars = [Variable(v) for v in result.variables]
    r.bindings = [{Variable(k): v for k, v in zip(result.variables, row) if v is not None} for row in result.rows]
    return r


def format_result(result: QueryResult, fmt: str) -> str:
    """SPARQL results as csv, tsv (SPARQL 1.1 formats), json, xml; graphs as Turtle."""
    if result.kind in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        bind_prefixes(g)
        for t in result.triples:
            g.add(t)
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
        out = _rdflib_result(result).serialize(format=fmt)
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        if fmt == "json":
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        return text if text.endswith("\n") else text + "\n"
    raise QueryError(f"unknown result format {fmt!r}; use one of {', '.join(RESULT_FORMATS)}")
