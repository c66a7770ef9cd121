"""SHACL validation of a built graph against the project's shapes.

Two engines give the same results (tests/test_validate_parts.py compares them on a graph
with a fault of every kind the shapes check): **rudof** (pyrudof, the Rust SHACL
validator; the default, several times faster) and **pyshacl** (pySHACL, the reference
implementation on rdflib). Reports come as human text (one block per result, sorted) or as
the W3C validation report graph in Turtle.

A large graph is validated in parts, on parallel processes when there are several, with
the same results as one run over the whole graph (tests/test_validate_parts.py checks it).
rudof's parts go to spawned processes as N-Triples text (a process forked after rudof ran
may hang in it; spawned ones start clean). The shapes are local:
every constraint reads the focus node's own triples, and sh:class reads the rdf:type of a
value (kg/ontology/shapes.ttl has no property paths beyond one predicate, no sh:node, no
SPARQL). So a part that holds, for each of its focus nodes, the node's triples, the triples
that make it a target of sh:targetObjectsOf, and the rdf:type triples of its values (with
the graph's rdfs:subClassOf triples), gives that node exactly the results the whole graph
gives; a node's results are kept from its own part only. (pyshacl's focus_nodes option is
not used: it also filters the value nodes of sh:or and qualified shapes, which then pass
unchecked.) Graphs with blank-node subjects or literal targets are validated in one run.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from operator import attrgetter

from rdflib import BNode, ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

# Below this many triples (or with one worker) one pyshacl run is as fast as parts.
PART_MIN_TRIPLES = 20_000
PART_TRIPLES = 25_000  # about this many triples of focus nodes per part
HUB_REFERRERS = 64  # a node referred to by more is not walked back from when forming parts


ENGINES = ("rudof", "pyshacl")
DEFAULT_ENGINE = "rudof"


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    violations: int
    text: str
    report: Graph


def shapes_text() -> str:
    """The project's SHACL shapes (Turtle), from the installed ontology folder."""
    return (resources.files("kg.ontology") / "shapes.ttl").read_text(encoding="utf-8")


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(data=shapes_text(), format="turtle")
    return g


def _run(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    from pyshacl import validate

    return validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)


@contextmanager
def worker_pool(workers: int | None, engine: str) -> Iterator:
    """Processes for :func:`validate_graph`, forked at once: make them before the graph is
    loaded or built, so that each is a copy of a small process, not of the graph (a forked
    copy of a 10 MB build holds 3 GB). None when there is one worker or no fork, and for
    rudof, whose parts go to processes spawned when there are parts (see validate_graph)."""
    from .build import default_workers
    from .process import pool_worker_start

    workers = max(1, workers or default_workers())
    if workers == 1 or engine != "pyshacl" or "fork" not in mp.get_all_start_methods():
        yield None
        return
    pool = mp.get_context("fork").Pool(workers, initializer=pool_worker_start, initargs=(os.getpid(),))
    try:
        yield pool
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def validate_graph(data, *, engine: str = DEFAULT_ENGINE, workers: int | None = 1, pool=None,
                   triples: list | None = None) -> ValidationResult:
    """Validate the union of the triples of a Graph or a Dataset; no inference, no network.

    A graph of PART_MIN_TRIPLES or more is validated in parts (see the module's docstring):
    with rudof always (one run's memory grows with the graph: 2.3 GB for 275,000 triples), on
    `workers` spawned processes (None: every core; 1: one part after the other in this
    process); with pyshacl when workers > 1, on that many processes. The result is the same.
    pool: a :func:`worker_pool` made earlier, used by pyshacl instead of forking now.
    triples: the union of data's graphs as pyoxigraph Triples, each once
    (kg.export.union_triples(kg.export.ox_quads(data))), if already made; rudof then reads
    them instead of converting data's terms again (pyshacl ignores them).

    Spawned processes import the caller's main module, as multiprocessing's spawn does: a
    script that calls this (or kg.build.build) with workers > 1 keeps its top-level work
    under ``if __name__ == "__main__":``, or each process does that work again before the
    pool gives up and the parts run in this process.
    """
    from .build import default_workers

    check_engine(engine)
    workers = max(1, workers or default_workers())
    namespaces = [(str(p), str(n)) for p, n in data.namespaces()]
    if engine == "rudof":
        return _validate_rudof(triples if triples is not None else _ox_union(data), namespaces, workers)
    triples = _triples(data)
    split = len(triples) >= PART_MIN_TRIPLES and workers > 1
    parts = _parts(triples, shapes_graph()) if split else None
    if parts is None:
        conforms, report, blocks = _pyshacl(triples, namespaces)
        return _result(conforms, report, [b for _, b in blocks])
    jobs = [(focus, part, namespaces) for focus, part in parts]
    if pool is not None:
        return _merge_parts(pool.map(_pyshacl_part, jobs, chunksize=1))
    with worker_pool(workers, engine) as own:
        outcomes = own.map(_pyshacl_part, jobs, chunksize=1) if own else [_pyshacl_part(j) for j in jobs]
    return _merge_parts(outcomes)


def validate_ntriples(text: str, *, engine: str = DEFAULT_ENGINE, workers: int | None = 1,
                      namespaces: list[tuple[str, str]] | None = None) -> ValidationResult:
    """:func:`validate_graph` of a graph given as N-Triples text (a build hands over what it
    validates this way: it never holds the graph as rdflib terms). namespaces: (prefix, IRI)
    pairs for the report's text; default the project's."""
    from .build import default_workers

    check_engine(engine)
    workers = max(1, workers or default_workers())
    namespaces = namespaces if namespaces is not None else _project_namespaces()
    if engine == "rudof":
        import pyoxigraph as ox

        triples = _text_triples(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
        return _validate_rudof(triples, namespaces, workers, _TEXT_TERMS)
    g = Graph()
    for prefix, ns in namespaces:
        g.bind(prefix, ns, override=True, replace=True)
    g.parse(data=text, format="nt")
    with worker_pool(workers, engine) as pool:
        return validate_graph(g, engine=engine, workers=workers, pool=pool)


def _project_namespaces() -> list[tuple[str, str]]:
    """The project's (prefix, IRI) pairs, for a report's text."""
    from .vocab import PREFIXES

    return [(p, str(ns)) for p, ns in PREFIXES.items()]


def _validate_rudof(triples: list, namespaces, workers: int, terms: "_Terms | None" = None) -> ValidationResult:
    """rudof over triples of pyoxigraph terms (or of `terms`' family): in one run when the
    graph is small or cannot be split, else part by part, on up to `workers` spawned
    processes. A triple given twice counts once."""
    terms = terms or _ox_terms()
    index = _index(triples, shapes_graph(), terms) if len(triples) >= PART_MIN_TRIPLES else None
    if index is None:
        conforms, report, blocks = _rudof(terms.text(dict.fromkeys(triples)), namespaces, None)
        return _result(conforms, report, [b for _, b in blocks])
    parts = list(_cut(index))
    jobs = [(focus, part, namespaces, terms) for focus, part in parts]
    return _merge_parts(_rudof_parts(jobs, min(workers, len(parts))))


def _rudof_parts(parts: list[tuple], processes: int) -> list:
    """:func:`_rudof_part` of each part (focus nodes, pyoxigraph triples, prefixes, terms), in
    order: on `processes` spawned processes, each part's text made only when a process is
    about to be free (all at once, they would be as large as the graph's N-Triples); in this
    process when processes is 1, or when a process could not start or died (it cannot
    re-import a main module read from stdin; the system may kill it for memory), then again
    for every part."""
    from concurrent.futures.process import BrokenProcessPool

    if processes > 1:
        try:
            with _spawn_pool(processes) as pool:
                return _bounded_map(pool, _rudof_part, map(_rudof_job, parts), ahead=2 * processes)
        except BrokenProcessPool:
            pass
    return [_rudof_part(_rudof_job(p)) for p in parts]


def _rudof_job(part: tuple) -> tuple[str, list[str], list]:
    """A part as :func:`_rudof_part` takes it: N-Triples text and the focus IRIs as text
    (quicker to send to a process than pickled terms, and rudof reads text anyway)."""
    focus, triples, namespaces, terms = part
    return terms.text(triples), [terms.name(n) for n in focus], namespaces


@contextmanager
def _spawn_pool(processes: int) -> Iterator:
    """A pool of spawned processes that end with this one, shut down however the block ends."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(processes, mp_context=mp.get_context("spawn"), initializer=_rudof_worker_start,
                               initargs=(os.getpid(),))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _rudof_worker_start(parent: int) -> None:
    """Initializer of a spawned rudof process: end with the build, and load pyrudof before
    the first part arrives."""
    from .process import pool_worker_start

    pool_worker_start(parent)
    import pyrudof  # noqa: F401


def _bounded_map(pool, fn, jobs, ahead: int) -> list:
    """[fn(job) for job in jobs] on pool, with at most `ahead` jobs submitted and not done."""
    from collections import deque

    pending: deque = deque()
    outcomes = []
    for job in jobs:
        if len(pending) >= ahead:
            outcomes.append(pending.popleft().result())
        pending.append(pool.submit(fn, job))
    outcomes.extend(f.result() for f in pending)
    return outcomes


def check_engine(engine: str) -> None:
    """An InputError unless engine is one of ENGINES."""
    if engine not in ENGINES:
        from .errors import InputError

        raise InputError(f"unknown SHACL engine {engine!r}; use one of {', '.join(ENGINES)}")


def _triples(data) -> set | Graph:
    """The triples of a Graph, or the union of the graphs of a Dataset or of anything else
    kg.graph.dataset_quads reads (each once)."""
    if isinstance(data, Graph) and not isinstance(data, ConjunctiveGraph):
        return data
    from .graph import dataset_quads

    return {(s, p, o) for s, p, o, _g in dataset_quads(data)}


def _graph(triples, namespaces) -> Graph:
    g = Graph()
    for prefix, ns in namespaces:
        g.bind(prefix, ns, override=True, replace=True)
    for t in triples:
        g.add(t)
    return g


def _ox_union(data) -> list:
    """The union of data's graphs as pyoxigraph Triples, each once."""
    from .export import ox_triples

    return ox_triples(_triples(data))


def _ntriples(triples) -> str:
    """pyoxigraph Triples as N-Triples text."""
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def _pyshacl(triples, namespaces) -> tuple[bool, Graph, list[tuple[object, str]]]:
    """(conforms, report graph, [(focus node, text block)]) of a pyshacl run over the triples
    (a Graph or a collection of rdflib triples). Conforming: no result of severity
    sh:Violation (warnings and infos allowed)."""
    from pyshacl.rdfutil import stringify_node

    g = triples if isinstance(triples, Graph) else _graph(triples, namespaces)
    conforms, report, text = _run(g, shapes_graph())
    by_name = {stringify_node(g, n): n for n in report.objects(None, SH.focusNode)}
    return bool(conforms), report, [(by_name.get(m.group(1)) if (m := _FOCUS_LINE.search(b)) else None, b)
                                    for b in _blocks(text)]


def _rudof(data: str, namespaces, focus: set[str] | None) -> tuple[bool, Graph, list[tuple[object, str]]]:
    """What :func:`_pyshacl` gives, from a rudof run over N-Triples text. focus: the IRIs
    whose results are wanted (when none of them has a result, the report is not read; the
    caller still filters)."""
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data, format=pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_shacl(shapes_text())
    entries = rudof.validate_shacl()
    report = Graph()
    if focus is not None and not any(e.focus_node in focus for e in entries):
        # (most parts: results only of nodes placed elsewhere)
        report.add((BNode(), RDF.type, SH.ValidationReport))
        return True, report, []
    g = _graph((), namespaces)  # for the prefixes of the text
    report.parse(data=rudof.serialize_shacl_validation_results(format=pyrudof.ResultShaclValidationFormat.NTriples),
                 format="nt")
    conforms = _violations(report) == 0
    for root in list(report.subjects(RDF.type, SH.ValidationReport)):
        report.set((root, SH.conforms, Literal(conforms)))
    return conforms, report, [(report.value(r, SH.focusNode), _block(report, r, g)) for r in report.objects(None, SH.result)]


def _block(report: Graph, result, names: Graph) -> str:
    """One result as a block of the human text, in pySHACL's layout."""
    def show(node) -> str:
        return node.n3(names.namespace_manager) if node is not None else ""

    component = report.value(result, SH.sourceConstraintComponent)
    severity = report.value(result, SH.resultSeverity)
    lines = [f"Constraint {'Violation' if severity == SH.Violation else _local(severity)} in "
             f"{_local(component)} ({show(component)}):",
             f"\tSeverity: {show(severity)}",
             f"\tSource Shape: {show(report.value(result, SH.sourceShape))}",
             f"\tFocus Node: {show(report.value(result, SH.focusNode))}"]
    value = report.value(result, SH.value)
    if value is not None:
        lines.append(f"\tValue Node: {show(value)}")
    path = report.value(result, SH.resultPath)
    if path is not None:
        lines.append(f"\tResult Path: {show(path)}")
    messages = sorted(report.objects(result, SH.resultMessage), key=lambda m: (not getattr(m, "language", None), str(m)))
    if messages:  # the shape's own sh:message first (it has a language), then the engine's
        lines.append(f"\tMessage: {messages[0]}")
    return "\n".join(lines) + "\n"


def _violations(report: Graph) -> int:
    """The results of severity sh:Violation (not the sh:detail results under them, which rudof
    gives for sh:or)."""
    return sum(1 for r in report.objects(None, SH.result) if (r, SH.resultSeverity, SH.Violation) in report)


def _local(iri) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1] if iri is not None else ""


def _result(conforms: bool, report: Graph, blocks: list[str]) -> ValidationResult:
    violations = _violations(report)
    return ValidationResult(conforms, violations, _merge_texts(conforms, blocks), report)


_BLOCK_START = re.compile(r"^(?!\t)", re.M)
_FOCUS_LINE = re.compile(r"^\tFocus Node: (.*)$", re.M)


def _blocks(text: str) -> list[str]:
    """The result blocks of pySHACL's report text ("Constraint Violation in ...", then its
    tab-indented lines)."""
    head, sep, body = text.partition("):\n")  # "Results (N):" ends the header
    if not sep or "Results (" not in head:
        return []
    starts = [m.start() for m in _BLOCK_START.finditer(body) if m.start() < len(body)]
    return [body[a:b].rstrip("\n") + "\n" for a, b in zip(starts, [*starts[1:], len(body)]) if body[a:b].strip()]


def _merge_texts(conforms: bool, blocks: list[str]) -> str:
    """pySHACL's report text made of result blocks in sorted order (so the text does not
    depend on how the graph was split)."""
    lines = ["Validation Report", f"Conforms: {conforms}"]
    if blocks:
        lines.append(f"Results ({len(blocks)}):")
    return "\n".join(lines) + "\n" + "".join(sorted(blocks))


@dataclass(frozen=True)
class _Terms:
    """What :func:`_parts` needs of a family of RDF terms (rdflib's or pyoxigraph's), so that
    one algorithm cuts either."""
    not_subject: type | tuple  # a subject of these types stops the split (blank nodes)
    not_node: type | tuple  # an object of these types cannot be a focus node
    name: Callable  # a named node's IRI as plain text
    term: Callable  # an rdflib URIRef (of the shapes) as a term of the family
    text: Callable | None = None  # triples of the family -> N-Triples text (for rudof)


_RDFLIB_TERMS = _Terms(BNode, (Literal, BNode), str, lambda u: u)


def _ox_terms() -> _Terms:
    """pyoxigraph's terms (an RDF-star quoted triple is no node either)."""
    import pyoxigraph as ox

    return _Terms((ox.BlankNode, ox.Triple), (ox.Literal, ox.BlankNode, ox.Triple), attrgetter("value"),
                  lambda u: ox.NamedNode(str(u)), _ntriples)


class _TextLiteral(str):
    """A literal of the text family: its N-Triples text."""


class _TextBlank(str):
    """A blank node of the text family: its N-Triples text ("_:b0")."""


# Terms as their N-Triples text ("<iri>", '"text"@en', "_:b0"), each text held once: a third
# of the memory of pyoxigraph's objects (which hold every term of every triple apart), for
# the graphs of hundreds of MB that `kg validate` reads. An IRI is a plain str.
_TEXT_TERMS = _Terms(_TextBlank, (_TextLiteral, _TextBlank), lambda n: n[1:-1], lambda u: f"<{u}>",
                     lambda triples: "".join([f"{s} {p} {o} .\n" for s, p, o in triples]))
_TEXT_MEMO = 1 << 20  # term texts kept to share (predicates, classes, entities, subjects come back)


def _text_triples(quads) -> list[tuple[str, str, str]]:
    """The triples of pyoxigraph quads (or triples) in the text family (graph names left aside;
    a triple in several graphs comes as often: the parts hold sets)."""
    import pyoxigraph as ox

    memo: dict = {}

    def text(t) -> str:
        s = str(t)
        got = memo.get(s)
        if got is None:
            if len(memo) >= _TEXT_MEMO:
                memo.clear()
            got = memo[s] = _TextLiteral(s) if isinstance(t, ox.Literal) else _TextBlank(s) \
                if isinstance(t, (ox.BlankNode, ox.Triple)) else s
        return got

    return [(text(q.subject), text(q.predicate), text(q.object)) for q in quads]


def _parts(data, shapes: Graph, terms: _Terms = _RDFLIB_TERMS) -> list[tuple[list, list]] | None:
    """[(focus nodes, triples)] covering every node a shape can target, or None when the
    graph is not one that can be split safely. A node's targets of sh:targetObjectsOf
    (its evidence, its article, its entities) join its part when not yet placed, and so do
    the nodes that point to those (up to HUB_REFERRERS), so most parts hold whole articles and
    little is validated twice (a node present only through a type or a referring triple is
    validated in that part too, and its results dropped). data: triples (each once) of the
    family of terms."""
    index = _index(data, shapes, terms)
    return None if index is None else list(_cut(index))


@dataclass(frozen=True)
class _Index:
    """The graph as :func:`_cut` walks it."""
    nodes: list  # every node a shape can target, in the order parts are grown from them
    by_subject: dict
    referrers: dict  # node -> the triples that make it a target of sh:targetObjectsOf
    types: dict  # node -> its rdf:type triples
    schema: list  # the rdfs:subClassOf triples, in every part
    target_preds: set
    covered: dict  # predicate of sh:targetObjectsOf -> classes its shapes also target
    class_paths: set  # the paths of sh:class constraints


def _index(data, shapes: Graph, terms: _Terms) -> _Index | None:
    """The :class:`_Index` of data, or None when it cannot be split."""
    if any(True for _ in shapes.objects(None, SH.targetNode)):
        return None
    target_preds = {terms.term(p) for p in shapes.objects(None, SH.targetObjectsOf)}
    # a node typed with a class that the same shape targets needs no referring triple to
    # be a focus node (and the referring nodes, validated on a single triple, cost much)
    covered = {p: set() for p in target_preds}
    for shape, p in shapes.subject_objects(SH.targetObjectsOf):
        covered[terms.term(p)].update(terms.term(c) for c in shapes.objects(shape, SH.targetClass))
    # only sh:class reads a value's triples (its rdf:type)
    class_paths = {terms.term(shapes.value(ps, SH.path)) for ps in shapes.subjects(SH["class"], None)}
    by_subject: dict = defaultdict(list)
    referrers: dict = defaultdict(list)
    types: dict = defaultdict(list)
    schema: list = []
    # (a namespace's attribute is slow to look up: once, not per triple)
    rdf_type, sub_class_of = terms.term(RDF.type), terms.term(RDFS.subClassOf)
    not_subject, not_node = terms.not_subject, terms.not_node
    for t in data:
        s, p, o = t
        if isinstance(s, not_subject):
            return None  # a blank node's shape may span nodes the parts would not hold together
        by_subject[s].append(t)
        if p == rdf_type:
            types[s].append(t)
        elif p == sub_class_of:
            schema.append(t)
        if p in target_preds:
            if isinstance(o, not_node):
                return None
            referrers[o].append(t)
    # nodes nothing points to first (facts), so that a walk from each places the nodes it
    # points to (evidence, articles, entities) in its part; by IRI, the same in either family
    name = terms.name
    named = sorted(((n in referrers, name(n)), n) for n in set(by_subject) | set(referrers))
    if not all(iri.lower().startswith(("http:", "https:", "urn:", "file:")) for (_r, iri), _n in named):
        return None  # pyshacl reads other focus IRIs as CURIEs
    return _Index([n for _k, n in named], by_subject, referrers, types, schema, target_preds, covered, class_paths)


def _cut(index: _Index) -> Iterator[tuple[list, list]]:
    """The parts of :func:`_parts`, one by one."""
    by_subject, referrers, types = index.by_subject, index.referrers, index.types
    target_preds, covered, class_paths = index.target_preds, index.covered, index.class_paths
    placed: set = set()
    focus: list = []
    triples: set = set()
    size = 0
    for root in index.nodes:
        stack = [root]
        while stack:
            n = stack.pop()
            if n in placed:
                continue
            placed.add(n)
            focus.append(n)
            own = by_subject.get(n, ())
            triples.update(own)
            kinds = {o for _s, _p, o in types.get(n, ())}
            triples.update(t for t in referrers.get(n, ()) if kinds.isdisjoint(covered[t[1]]))
            for _s, p, o in own:
                if p in class_paths:
                    triples.update(types.get(o, ()))
                if (p in target_preds or p in class_paths) and o not in placed:
                    stack.append(o)
            # and back: the other evidence of an article, the facts of that evidence, so an
            # article's nodes share a part (hubs such as entities are not walked back from)
            back = referrers.get(n, ())
            if len(back) <= HUB_REFERRERS:
                stack.extend(x for x, _p, _o in back if x not in placed)
            size += len(own)
            if size >= PART_TRIPLES:  # also inside a walk: a graph may be one connected walk
                yield focus, _with_schema(triples, index.schema)
                focus, triples, size = [], set(), 0
    if focus:
        yield focus, _with_schema(triples, index.schema)


def _with_schema(triples: set, schema: list) -> list:
    """A part's triples and the graph's rdfs:subClassOf triples, each once."""
    return [*triples, *(t for t in schema if t not in triples)]


def _pyshacl_part(job: tuple) -> tuple[bool, str, list[str]]:
    """Validate one part (focus nodes, rdflib triples, prefixes) with pyshacl; see :func:`_own_results`."""
    focus, triples, namespaces = job
    return _own_results(*_pyshacl(triples, namespaces), set(focus))


def _rudof_part(job: tuple) -> tuple[bool, str, list[str]]:
    """Validate one part (N-Triples text, focus IRIs, prefixes) with rudof; see :func:`_own_results`.
    Runs in a spawned process, or in the calling one."""
    data, iris, namespaces = job
    return _own_results(*_rudof(data, namespaces, set(iris)), {URIRef(i) for i in iris})


def _own_results(conforms: bool, report: Graph, blocks: list, own: set) -> tuple[bool, str, list[str]]:
    """(conforms, kept results in N-Triples, their text blocks) of a part's run: the results
    whose focus node belongs to the part (other nodes in it carry only some of their triples,
    and are validated in their own part)."""
    kept = Graph()
    for result in report.objects(None, SH.result):
        if report.value(result, SH.focusNode) not in own:
            continue
        todo = [result]
        while todo:  # the result and the blank nodes under it (a complex sh:resultPath)
            node = todo.pop()
            for _s, p, o in report.triples((node, None, None)):
                kept.add((node, p, o))
                if isinstance(o, BNode):
                    todo.append(o)
    allowed = {SH.Info, SH.Warning}
    ok = bool(conforms) or not any(o not in allowed for o in kept.objects(None, SH.resultSeverity))
    return ok, kept.serialize(format="nt"), [b for node, b in blocks if node in own]


def _merge_parts(outcomes: list) -> ValidationResult:
    """One report from the parts' (conforms, kept results in N-Triples, result blocks)."""
    report = Graph()
    report.bind("sh", str(SH))
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    conforms = all(c for c, _, _ in outcomes)
    report.add((root, SH.conforms, Literal(conforms)))
    for _c, nt, _t in outcomes:  # each part's kept results, under the one report node
        g = Graph()
        g.parse(data=nt, format="nt")
        for result in set(g.subjects(SH.focusNode, None)) - set(g.objects(None, SH.detail)):  # not rudof's sh:detail
            report.add((root, SH.result, result))
        for t in g:
            report.add(t)
    return _result(conforms, report, [b for _, _, blocks in outcomes for b in blocks])


REPORT_FORMATS = ("human", "turtle")


def validate_path(path, *, engine: str = DEFAULT_ENGINE, workers: int | None = 1) -> ValidationResult:
    """Load a build folder or an RDF file and validate the union of its graphs.

    rudof reads the file with pyoxigraph's strict parser (a build folder: its graph.ttl, the
    union with each triple once) into triples of N-Triples texts (:data:`_TEXT_TERMS`), never
    rdflib terms, so a build of millions of triples can be validated; pyshacl, and JSON-LD
    files, go through rdflib."""
    from .build import default_workers
    from .query import FORMATS_BY_SUFFIX, graph_file, iter_quads, load_graph

    check_engine(engine)
    source = graph_file(path, prefer="graph.ttl")
    if engine == "rudof" and FORMATS_BY_SUFFIX[source.suffix.lower()] != "json-ld":
        prefixes: dict = {}
        triples = _text_triples(iter_quads(source, prefixes))
        namespaces = _project_namespaces() + sorted(prefixes.items())
        return _validate_rudof(triples, namespaces, max(1, workers or default_workers()), _TEXT_TERMS)
    with worker_pool(workers, engine) as pool:  # forked before the graph is loaded
        return validate_graph(load_graph(path), engine=engine, workers=workers, pool=pool)


def format_report(result: ValidationResult, fmt: str = "human") -> str:
    """The report as text ("human", one block per result) or as the sh:ValidationReport graph in Turtle."""
    if fmt == "human":
        return result.text.strip() + "\n"
    if fmt == "turtle":
        from .vocab import bind_prefixes

        g = Graph()
        bind_prefixes(g)
        g.bind("sh", "http://www.w3.org/ns/shacl#")
        for t in result.report:
            g.add(t)
        return g.serialize(format="turtle")
    from .errors import InputError

    raise InputError(f"unknown report format {fmt!r}; use one of {', '.join(REPORT_FORMATS)}")
