"""SHACL validation of a built graph against the project's shapes (pyshacl).

Reports come as pySHACL's human text or as the W3C validation report graph in Turtle.

A large graph is validated in parts, in parallel processes, with the same results as one
run over the whole graph (tests/test_validate_parts.py checks it). The shapes are local:
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, RDFS, SH

# Below this many triples (or with one worker) one pyshacl run is as fast as parts.
PART_MIN_TRIPLES = 20_000
PART_TRIPLES = 25_000  # about this many triples of focus nodes per part
HUB_REFERRERS = 64  # a node referred to by more is not walked back from when forming parts


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    violations: int
    text: str
    report: Graph


def shapes_graph() -> Graph:
    g = Graph()
    g.parse(data=(resources.files("kg.ontology") / "shapes.ttl").read_text(encoding="utf-8"), format="turtle")
    return g


def _run(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    from pyshacl import validate

    return validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)


@contextmanager
def worker_pool(workers: int | None) -> Iterator:
    """Processes for :func:`validate_graph`, forked at once: make them before the graph is
    loaded or built, so that each is a copy of a small process, not of the graph (a forked
    copy of a 10 MB build holds 3 GB). None when there is one worker or no fork."""
    from .build import default_workers
    from .process import pool_worker_start

    workers = max(1, workers or default_workers())
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        yield None
        return
    pool = mp.get_context("fork").Pool(workers, initializer=pool_worker_start, initargs=(os.getpid(),))
    try:
        yield pool
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def validate_graph(data: Graph, *, workers: int | None = 1, pool=None) -> ValidationResult:
    """Validate the union of a graph's triples; no inference, no network.

    With workers > 1 (None: every core) a graph of PART_MIN_TRIPLES or more is validated in
    parts on that many processes (see the module's docstring); the result is the same.
    pool: a :func:`worker_pool` made earlier, used instead of forking now.
    """
    from .build import default_workers

    workers = max(1, workers or default_workers())
    shapes = shapes_graph()
    parts = _parts(data, shapes) if workers > 1 and len(data) >= PART_MIN_TRIPLES else None
    if parts is None:
        conforms, report, text = _run(data, shapes)
        return _result(bool(conforms), report, _blocks(text))
    namespaces = [(str(p), str(n)) for p, n in data.namespaces()]
    jobs = [(focus, triples, namespaces) for focus, triples in parts]
    if pool is not None:
        return _merge_parts(pool.map(_validate_part, jobs, chunksize=1))
    with worker_pool(workers) as own:
        outcomes = own.map(_validate_part, jobs, chunksize=1) if own else [_validate_part(j) for j in jobs]
    return _merge_parts(outcomes)


def _result(conforms: bool, report: Graph, blocks: list[str]) -> ValidationResult:
    violations = sum(1 for _ in report.subjects(SH.resultSeverity, SH.Violation))
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


def _parts(data: Graph, shapes: Graph) -> list[tuple[list, list]] | None:
    """[(focus nodes, triples)] covering every node a shape can target, or None when the
    graph is not one that can be split safely. A node's targets of sh:targetObjectsOf
    (its evidence, its article, its entities) join its part when not yet placed, and so do
    the nodes that point to those (up to HUB_REFERRERS), so most parts hold whole articles and
    little is validated twice (a node present only through a type or a referring triple is
    validated in that part too, and its results dropped)."""
    target_preds = set(shapes.objects(None, SH.targetObjectsOf))
    if any(True for _ in shapes.objects(None, SH.targetNode)):
        return None
    # a node typed with a class that the same shape targets needs no referring triple to
    # be a focus node (and the referring nodes, validated on a single triple, cost much)
    covered = {p: set() for p in target_preds}
    for shape, p in shapes.subject_objects(SH.targetObjectsOf):
        covered[p].update(shapes.objects(shape, SH.targetClass))
    # only sh:class reads a value's triples (its rdf:type)
    class_paths = {shapes.value(ps, SH.path) for ps in shapes.subjects(SH["class"], None)}
    by_subject: dict = defaultdict(list)
    referrers: dict = defaultdict(list)
    types: dict = defaultdict(list)
    schema: list = []
    for t in data:
        s, p, o = t
        if isinstance(s, BNode):
            return None  # a blank node's shape may span nodes the parts would not hold together
        by_subject[s].append(t)
        if p == RDF.type:
            types[s].append(t)
        elif p == RDFS.subClassOf:
            schema.append(t)
        if p in target_preds:
            if isinstance(o, (Literal, BNode)):
                return None
            referrers[o].append(t)
    # nodes nothing points to first (facts), so that a walk from each places the nodes it
    # points to (evidence, articles, entities) in its part
    nodes = sorted(set(by_subject) | set(referrers), key=lambda n: (n in referrers, str(n)))
    if not all(str(n).lower().startswith(("http:", "https:", "urn:", "file:")) for n in nodes):
        return None  # pyshacl reads other focus IRIs as CURIEs
    placed: set = set()
    parts: list[tuple[list, list]] = []
    focus: list = []
    triples: set = set()
    size = 0
    for root in nodes:
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
                parts.append((focus, list(triples)))
                focus, triples, size = [], set(), 0
    if focus:
        parts.append((focus, list(triples)))
    for _focus, part in parts:
        part.extend(schema)
    return parts


def _validate_part(job: tuple) -> tuple[bool, str, list[str]]:
    """Validate one part (focus nodes, triples, prefixes); keep the results whose focus node
    belongs to the part (other nodes in it carry only some of their triples, and are
    validated in their own part)."""
    from pyshacl.rdfutil import stringify_node

    focus, triples, namespaces = job
    g = Graph()
    for prefix, ns in namespaces:
        g.bind(prefix, ns, override=True, replace=True)
    for t in triples:
        g.add(t)
    conforms, report, text = _run(g, shapes_graph())
    own = set(focus)
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
    names = {stringify_node(g, n) for n in focus}
    blocks = [b for b in _blocks(text) if (m := _FOCUS_LINE.search(b)) and m.group(1) in names]
    return ok, kept.serialize(format="nt"), blocks


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
        for result in set(g.subjects(SH.focusNode, None)):
            report.add((root, SH.result, result))
        for t in g:
            report.add(t)
    return _result(conforms, report, [b for _, _, blocks in outcomes for b in blocks])


REPORT_FORMATS = ("human", "turtle")


def validate_path(path, *, workers: int | None = 1) -> ValidationResult:
    """Load a build folder or an RDF file and validate the union of its graphs."""
    from .export import union_graph
    from .query import load_graph

    with worker_pool(workers) as pool:  # forked before the graph is loaded
        return validate_graph(union_graph(load_graph(path)), workers=workers, pool=pool)


def format_report(result: ValidationResult, fmt: str = "human") -> str:
    """The report as pySHACL's text ("human") or as the sh:ValidationReport graph in Turtle."""
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
