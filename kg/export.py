"""Write the graph and the fact table: Turtle, TriG, JSON-LD (local context), N-Quads,
N-Triples, CSV, and the entity projection as GraphML and GEXF for graph tools (Gephi, yEd,
Cytoscape).

Every file is written atomically (a temporary file in the same folder, then a rename), so
an interrupted build leaves the previous outputs whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph

from .extract import Fact, Term
from .graph import dataset_quads
from .rules.pack import RulePack
from .vocab import bind_prefixes, qname

FACT_COLUMNS = (
    "fact", "subject", "subject_label", "predicate", "object", "object_label", "date", "status",
    "modality", "speaker", "quantity", "source", "sentence", "start", "end", "rule", "evidence_count",
)


def write_atomic(path: Path, data: str | bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def union_graph(ds: Dataset) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for s, p, o, _ in dataset_quads(ds):
        g.add((s, p, o))
    return g


def jsonld_context(graph=None) -> dict:
    """The project's JSON-LD context, read from the installed ontology folder (never fetched).

    With a graph built on another base IRI, its instance prefixes (ent:, fact:, ...) are
    taken from the graph, so the document stays compact.
    """
    text = (resources.files("kg.ontology") / "context.jsonld").read_text(encoding="utf-8")
    ctx = json.loads(text)
    ctx = dict(ctx.get("@context", ctx))
    if graph is not None:
        from .iri import INSTANCE_PATHS, instance_prefixes

        bound = instance_prefixes(graph)
        for prefix in INSTANCE_PATHS:
            if prefix in ctx and prefix in bound:
                ctx[prefix] = bound[prefix]
    return ctx


def _ox_converter():
    """rdflib term -> pyoxigraph term, each distinct term converted once."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    memo: dict = {}

    def conv(t):
        o = memo.get(t)
        if o is None:
            if isinstance(t, Literal):
                if t.language:
                    o = ox.Literal(str(t), language=t.language)
                elif t.datatype is not None:
                    o = ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype)))
                else:
                    o = ox.Literal(str(t))
            elif isinstance(t, BNode):
                o = ox.BlankNode(str(t))
            elif t is None or t == DATASET_DEFAULT_GRAPH_ID:
                o = ox.DefaultGraph()
            elif isinstance(t, URIRef):
                o = ox.NamedNode(str(t))
            else:
                raise TypeError(f"cannot write RDF term {t!r}")
            memo[t] = o
        return o

    return conv


def ox_quads(ds: Dataset) -> list:
    """The dataset's quads as pyoxigraph quads, each once, in a fixed order: default graph
    first, then graphs, subjects, predicates and objects by their N-Triples form."""
    import pyoxigraph as ox

    conv = _ox_converter()
    quads = {ox.Quad(conv(s), conv(p), conv(o), conv(g)) for s, p, o, g in dataset_quads(ds)}
    # str(quad) is "s p o g" in N-Triples form: subjects, predicates, objects in order
    return sorted(quads, key=lambda q: (not isinstance(q.graph_name, ox.DefaultGraph), str(q.graph_name), str(q)))


def ox_triples(triples) -> list:
    """rdflib triples (a Graph, or any collection of (s, p, o)) as pyoxigraph Triples, unsorted."""
    import pyoxigraph as ox

    conv = _ox_converter()
    return [ox.Triple(conv(s), conv(p), conv(o)) for s, p, o in triples]


def _prefixes(ds, iris: Iterable[str]) -> dict[str, str]:
    """The dataset's prefixes that some IRI of the output uses, in name order."""
    used = set()
    bound = sorted((str(prefix), str(ns)) for prefix, ns in ds.namespaces() if prefix)
    for iri in iris:
        for prefix, ns in bound:
            if iri.startswith(ns):
                used.add(prefix)
    return {prefix: ns for prefix, ns in bound if prefix in used}


def _iris(terms) -> set[str]:
    import pyoxigraph as ox

    out = set()
    for t in terms:
        if isinstance(t, ox.NamedNode):
            out.add(t.value)
        elif isinstance(t, ox.Literal) and t.language is None:
            out.add(t.datatype.value)
    return out


def union_triples(quads: list) -> list:
    """The union of the graphs of :func:`ox_quads`: each triple once, sorted by its N-Triples form."""
    return sorted({q.triple for q in quads}, key=str)


def serialize_turtle(ds: Dataset, quads: list | None = None, *, triples: list | None = None) -> str:
    """The union of the dataset's graphs in Turtle, written by pyoxigraph: each triple once,
    grouped by subject. quads: ox_quads(ds), or triples: union_triples of them, if already made."""
    import pyoxigraph as ox

    if triples is None:
        triples = union_triples(quads or ox_quads(ds))
    prefixes = _prefixes(ds, _iris(x for t in triples for x in (t.subject, t.predicate, t.object)))
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")


def serialize_trig(ds: Dataset, quads: list | None = None) -> str:
    """TriG written by pyoxigraph: the default graph, if not empty, first, then the named
    graphs in IRI order (rdflib's own writer ordered them by hash, so its output changed
    with PYTHONHASHSEED). quads: ox_quads(ds) if already made."""
    import pyoxigraph as ox

    quads = quads or ox_quads(ds)
    prefixes = _prefixes(ds, _iris(x for q in quads for x in (q.subject, q.predicate, q.object, q.graph_name)))
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes).decode("utf-8")


def serialize_nquads(ds: Dataset, quads: list | None = None) -> str:
    """N-Quads, one quad per line, the lines sorted. quads: ox_quads(ds) if already made."""
    import pyoxigraph as ox

    text = ox.serialize(quads or ox_quads(ds), format=ox.RdfFormat.N_QUADS).decode("utf-8")
    lines = text.split("\n")  # not splitlines(): \u2028 or \x85 may sit in a literal
    return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())


def serialize_jsonld(ds: Dataset) -> str:
    """JSON-LD compacted with the project's context (one object per named graph), with
    sorted keys and nodes so the file is byte-stable."""
    doc = json.loads(json.dumps(_jsonld_document(ds, jsonld_context(ds))))  # plain JSON values, as a reader gets them
    return json.dumps(_stable(doc), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _jsonld_document(ds: Dataset, context: dict) -> dict:
    """What rdflib's JSON-LD serializer makes of a Dataset, one graph at a time, made from
    the quads by kg/jsonld.py (rdflib's Converter took 50 µs a triple; its whole-dataset path
    is quadratic in the number of graphs). tests/test_jsonld_writer.py and
    tests/test_rdf_serialisations.py compare it with rdflib's."""
    from .jsonld import jsonld_document

    return jsonld_document(dataset_quads(ds), context)


def serialize_ntriples(ds: Dataset) -> str:
    """The union of every named graph as N-Triples, sorted, each triple once."""
    lines = union_graph(ds).serialize(format="nt").split("\n")  # not splitlines(): \u2028 may sit in a literal
    return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())


def _stable(x):
    if isinstance(x, dict):
        return {k: _stable(v) for k, v in x.items()}
    if isinstance(x, list):
        items = [_stable(v) for v in x]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return x


# --- the flat fact table --------------------------------------------------------------------


def _label(t: Term | None, pack: RulePack) -> str:
    if t is None:
        return ""
    if t.kind == "entity":
        e = pack.gazetteer.entities.get(t.value)
        return e.label("en") if e else t.value
    if t.kind == "count":
        n, cls = t.value.split("-", 1)
        from .graph import COUNT_LABELS

        return f"{n} {COUNT_LABELS.get(cls, (cls,))[0]}"
    return t.value


def _id(t: Term | None) -> str:
    if t is None:
        return ""
    from .graph import term_node

    node = term_node(t)
    return qname(str(node)) if t.kind != "literal" else t.value


def facts_csv(facts: Iterable[Fact], pack: RulePack, sources: dict[str, str]) -> str:
    """One row per fact, evidence summarised: first sentence, every source."""
    from .graph import fact_iri

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FACT_COLUMNS)
    rows = []
    for f in facts:
        ev = min(f.evidence)
        speaker = f.qualifier("kg:speaker")
        quantity = f.qualifier("kg:quantity")
        rows.append((
            qname(str(fact_iri(f))), _id(f.subject), _label(f.subject, pack), f.predicate, _id(f.object),
            _label(f.object, pack), f.date or "", f.status or "", f.modality, _label(speaker, pack),
            quantity.value if quantity else "",
            ";".join(sorted({sources.get(e.article, e.article) for e in f.evidence})),
            " ".join(ev.sentence.split()), ev.start, ev.end, ev.rule, len(f.evidence),
        ))
    for row in sorted(rows, key=lambda r: (r[11], r[13], r[1], r[3], r[4])):
        w.writerow(row)
    return buf.getvalue()


# --- the entity projection for graph tools --------------------------------------------------

GRAPH_FORMATS = ("graphml", "gexf", "nquads", "ntriples", "turtle", "trig", "jsonld")


def _plain(value):
    """An attribute value GraphML and GEXF can hold: str, int, float or bool; None -> ""; the
    rest as sorted-key JSON text."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def projection_for_tools(graph):
    """``kg.analysis.entity_graph`` with every attribute a string or a number, plus
    ``evidence_count`` and ``sentence`` (the first evidence sentence) on each edge.

    ``graph`` is a Dataset or Graph, or a :class:`kg.analysis.Projection` of one (then its
    entity graph is read, not built again)."""
    import networkx as nx

    from .analysis import projection

    G = projection(graph).graph
    H = nx.MultiDiGraph()
    for n, data in G.nodes(data=True):
        H.add_node(n, **{k: _plain(v) for k, v in sorted(data.items())})
    for u, v, key, data in G.edges(keys=True, data=True):
        attrs = {k: _plain(x) for k, x in sorted(data.items())}
        evidence = data.get("evidence") or []
        attrs["evidence_count"] = len(evidence)
        attrs["sentence"] = " ".join(str(evidence[0][0]).split()) if evidence else ""
        H.add_edge(u, v, key=key, **attrs)
    return H


def serialize_graphml(graph) -> str:
    """The entity projection as GraphML (node id and edge id: the IRI of the entity / fact).

    ``graph``: as for :func:`projection_for_tools`."""
    import networkx as nx

    return "\n".join(nx.generate_graphml(projection_for_tools(graph), encoding="utf-8", prettyprint=True)) + "\n"


def serialize_gexf(graph) -> str:
    """The entity projection as GEXF 1.2 (Gephi), without the writer's date, so it is byte-stable.

    ``graph``: as for :func:`projection_for_tools`."""
    import networkx as nx

    text = "\n".join(nx.generate_gexf(projection_for_tools(graph), encoding="utf-8", prettyprint=True)) + "\n"
    return re.sub(r' lastmodifieddate="[0-9-]+"', "", text, count=1)


def export_graph(source, fmt: str, out: str | Path) -> Path:
    """Load a build folder or RDF file and write it in ``fmt`` (one of GRAPH_FORMATS) to ``out``."""
    from .errors import InputError
    from .query import load_graph

    writers = {
        "graphml": serialize_graphml, "gexf": serialize_gexf, "nquads": serialize_nquads,
        "ntriples": serialize_ntriples, "turtle": serialize_turtle, "trig": serialize_trig, "jsonld": serialize_jsonld,
    }
    if fmt not in writers:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(GRAPH_FORMATS)}")
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give a file name for --out")
    ds = load_graph(source)
    write_atomic(out, writers[fmt](ds))
    return out
