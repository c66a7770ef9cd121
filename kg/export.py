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
    """Write a whole file at once (:class:`AtomicWriter` of one piece)."""
    w = AtomicWriter(path)
    try:
        w.write(data)
        w.commit()
    except BaseException:
        w.discard()
        raise


class AtomicWriter:
    """A file written in pieces and put in place at once: the pieces go to a temporary file
    beside it (".NAME.XXXX.tmp", so a killed build's leftovers are removed by the next one,
    kg/lock.py), which :meth:`commit` renames over the target."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix="." + self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        self._fh = os.fdopen(fd, "wb", buffering=1 << 20)

    def write(self, data: str | bytes) -> None:
        self._fh.write(data.encode("utf-8") if isinstance(data, str) else data)

    def copy_from(self, stream) -> None:
        """Append what is left of a binary file object."""
        import shutil

        shutil.copyfileobj(stream, self._fh, 1 << 20)

    def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.chmod(self.tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """Drop the temporary file (the target stays as it was)."""
        self._fh.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


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


def prefixes_for_base(base: str | None = None) -> dict[str, str]:
    """The project's prefixes, with the instance ones (ent:, fact:, ...) under ``base``."""
    from .iri import namespaces
    from .vocab import BASE, PREFIXES

    out = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
    out.update(namespaces(base or BASE))
    return out


def context_for_base(base: str | None = None) -> dict:
    """:func:`jsonld_context` with the instance prefixes under ``base``."""
    ctx = jsonld_context()
    for prefix, ns in prefixes_for_base(base).items():
        if prefix in ctx:
            ctx[prefix] = ns
    return ctx


class GraphChunks:
    """One named graph of plain-term triples (kg/graph.py) as pieces of graph.nq, graph.trig,
    graph.ttl and graph.jsonld: a build makes each article's pieces on its workers and
    :class:`DatasetFiles` puts them together. N-Quads lines are sorted; TriG and Turtle are
    written by :class:`_TurtleWriter` (without the prefix lines, which the file has once); the JSON-LD
    piece is the graph's object (kg/jsonld.py) in the document's top-level "@graph" list,
    one node per line. (``kg export --format jsonld`` writes the same document as rdflib
    lays it out, indented: :func:`serialize_jsonld`.)"""

    def __init__(self, prefixes: dict[str, str], context: dict):
        from .jsonld import JSON_TEXT, JsonLdWriter

        self.prefixes = prefixes
        self.jsonld_writer = JsonLdWriter(context)
        self.json_text = JSON_TEXT
        self.turtle = _TurtleWriter(prefixes)
        self.printed: dict = {}  # term -> N-Triples, bounded like _TurtleWriter.names

    def pieces(self, name: str, triples: Iterable[tuple], union: Iterable[tuple] | None = None) -> tuple:
        """(N-Quads, TriG, Turtle, JSON-LD) pieces of the graph ``name`` holding ``triples``
        (each once); the Turtle piece holds ``union`` (some of the triples; default all).

        One pass over the graph's subjects in N-Triples order, each subject's predicates and
        objects in order too, so the N-Quads lines come out sorted (an IRI ends with ">",
        which no IRI holds, and a literal is never followed by a space in its own text) and
        each term is printed once."""
        from .graph import nt
        from .jsonld import _Unsupported

        printed = self.printed
        if len(printed) >= _TurtleWriter.MEMO:
            printed.clear()
        known = printed.get

        def term(t) -> str:
            text = printed[t] = nt(t)
            return text

        triples = list(triples)
        subjects: dict = {}
        for t in triples:
            subjects.setdefault(t[0], []).append(t)
        kept = None if union is None else set(union)
        tail = f" <{name}> .\n"
        turtle, writer = self.turtle, self.jsonld_writer
        nquads, trig, ttl, nodes = [], [], [], []
        for s_nt, s in sorted((known(s) or term(s), s) for s in subjects):
            rows = sorted([(known(p) or term(p), known(o) or term(o), p, o) for _s, p, o in subjects[s]])
            nquads.extend(f"{s_nt} {p_nt} {o_nt}{tail}" for p_nt, o_nt, _p, _o in rows)
            s_ttl = turtle.term(s, s_nt)
            parts = turtle.parts(rows)
            trig.append(f"\t{s_ttl} " + " ;\n\t\t".join(parts) + " .\n")
            if kept is not None:
                own = [r for r in rows if (s, r[2], r[3]) in kept]
                parts = parts if len(own) == len(rows) else turtle.parts(own) if own else None
            if parts:
                ttl.append(f"{s_ttl} " + " ;\n\t".join(parts) + " .\n")
            if nodes is not None:
                try:
                    nodes.append(writer.node_text(s, rows))
                except _Unsupported:
                    nodes = None  # the whole graph goes to rdflib's Converter (kg/jsonld.py)
        body = "".join(trig)
        return ("".join(nquads).encode("utf-8"), (f"{turtle.iri(name)} {{\n{body}}}\n" if body else "").encode("utf-8"),
                "".join(ttl).encode("utf-8"),
                self._jsonld_lines(name, nodes) if nodes is not None else self.jsonld(name, triples))

    def turtle_of(self, triples: Iterable[tuple]) -> bytes:
        """Turtle of plain-term triples, without the prefix lines."""
        from .graph import nt

        return self.turtle.blocks({t: tuple(map(nt, t)) for t in triples}, "", "\t").encode("utf-8")

    def jsonld(self, name: str, triples: Iterable[tuple]) -> str:
        """The graph's object in the document's "@graph" list (see :meth:`_jsonld_text`)."""
        obj = self.jsonld_writer.graph_object(name, triples)
        return self._jsonld_text(name, obj["@graph"]) if obj is not None else ""

    def _jsonld_text(self, name: str, nodes: list[dict]) -> str:
        """A named graph's object: its nodes one per line, keys, values and nodes sorted (what
        :func:`_stable` sorts), written by json's C encoder (an indented dump runs json's
        Python encoder: 20x slower)."""
        dump = self.json_text
        lines = []
        for node in nodes:
            for key, value in node.items():
                if isinstance(value, list):
                    node[key] = sorted(value, key=dump)
            lines.append(dump(node))
        return self._jsonld_lines(name, lines)

    def _jsonld_lines(self, name: str, lines: list[str]) -> str:
        """A named graph's object of its nodes' JSON texts (JsonLdWriter.node_text)."""
        if not lines:
            return ""
        return (f'    {{"@id": {self.json_text(self.jsonld_writer._shrink(name))}, "@graph": [\n      '
                + ",\n      ".join(sorted(lines)) + "\n    ]}")

    def header(self) -> bytes:
        """The prefix lines at the top of a Turtle or TriG file."""
        return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in self.prefixes.items()).encode("utf-8")


# a local name a prefixed name may carry as it is (Turtle's PN_LOCAL allows more, written with escapes)
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
_INTEGER = re.compile(r"-?[0-9]+")
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


class _TurtleWriter:
    """Triples of plain terms (kg/graph.py) as Turtle blocks, one per subject, subjects and
    their predicates and objects in N-Triples order, objects of one predicate joined by
    commas: the layout pyoxigraph writes. An IRI under a prefix is a prefixed name when its
    local part is a plain name (else it is written whole), rdf:type is "a", an xsd:integer a
    bare number, every other literal as N-Triples writes it (which Turtle reads as it is),
    its datatype a prefixed name. A build writes hundreds of thousands of small graphs:
    making each piece here costs a fifth of parsing N-Triples into pyoxigraph to write it
    back (tests/test_rdf_serialisations.py and tests/test_streaming_build.py read every
    piece with strict parsers)."""

    MEMO = 65536  # terms remembered (predicates, classes, entities come back; facts do not)

    def __init__(self, prefixes: dict[str, str]):
        self.namespaces = sorted(((ns, p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
        self.names: dict = {}

    def iri(self, iri: str) -> str:
        for ns, prefix in self.namespaces:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if _PLAIN_LOCAL.fullmatch(local):
                    return f"{prefix}:{local}"
                break
        return f"<{iri}>"

    def term(self, t, nt_text: str) -> str:
        """t as Turtle (nt_text: t as N-Triples, which also names it in the memo: a string's
        hash is kept, a literal's tuple is hashed at every lookup)."""
        names = self.names
        text = names.get(nt_text)
        if text is None:
            if type(t) is str:
                text = "a" if t == _RDF_TYPE else self.iri(t)
            elif t.datatype == _XSD_INTEGER and _INTEGER.fullmatch(t.lexical):
                text = t.lexical
            elif t.datatype and not t.lang:
                text = f"{nt_text[:nt_text.rindex('^^')]}^^{self.iri(t.datatype)}"
            else:
                text = nt_text
            if len(names) >= self.MEMO:
                names.clear()
            names[nt_text] = text
        return text

    def parts(self, rows: list[tuple]) -> list[str]:
        """"predicate object , object" of one subject's rows (predicate and object as
        N-Triples, then as plain terms), in order."""
        term = self.term
        parts, last = [], None
        for np, no, p, o in rows:
            if p == last:
                parts[-1] += " , " + term(o, no)
            else:
                parts.append(f"{term(p, np)} {term(o, no)}")
                last = p
        return parts

    def blocks(self, rows: dict, first: str, more: str) -> str:
        """The blocks of rows ((s, p, o) -> their N-Triples): each starts with ``first`` and
        goes on with ``more`` (indents)."""
        subjects: dict = {}
        for (s, p, o), (ns, np, no) in rows.items():
            subjects.setdefault((ns, s), []).append((np, no, p, o))
        return "".join(f"{first}{self.term(s, ns)} " + f" ;\n{more}".join(self.parts(sorted(subjects[(ns, s)]))) + " .\n"
                       for ns, s in sorted(subjects))


class DatasetFiles:
    """graph.nq, graph.trig, graph.ttl and graph.jsonld written piece by piece (each named
    graph's pieces from :class:`GraphChunks`), atomically: :meth:`commit` puts all four in
    place, :meth:`discard` leaves the old ones."""

    NAMES = ("graph.nq", "graph.trig", "graph.ttl", "graph.jsonld")

    def __init__(self, out: Path, chunks: GraphChunks, context: dict):
        self.files = {name: AtomicWriter(Path(out) / name) for name in self.NAMES}
        self.chunks = chunks
        header = chunks.header()
        self.files["graph.trig"].write(header)
        self.files["graph.ttl"].write(header)
        ctx = json.dumps(context, indent=2, ensure_ascii=False, sort_keys=True).replace("\n", "\n  ")
        self.files["graph.jsonld"].write('{\n  "@context": ' + ctx + ',\n  "@graph": [\n')
        self._jsonld_items = 0

    def add_graph(self, nquads: bytes, trig: bytes, jsonld: str) -> None:
        """One named graph's pieces (its Turtle goes to :meth:`add_turtle`: the Turtle file is
        the union of the graphs, and shares what several graphs hold only once)."""
        self.files["graph.nq"].write(nquads)
        self.files["graph.trig"].write(trig)
        if jsonld:
            self.files["graph.jsonld"].write((",\n" if self._jsonld_items else "") + jsonld)
            self._jsonld_items += 1

    def add_jsonld_from(self, stream) -> None:
        """Append graph objects already joined by ",\\n" (what is left of a binary file object)."""
        f = self.files["graph.jsonld"]
        if self._jsonld_items:
            f.write(",\n")
        f.copy_from(stream)
        self._jsonld_items += 1

    def add_turtle(self, turtle: bytes) -> None:
        self.files["graph.ttl"].write(turtle)

    def commit(self) -> None:
        self.files["graph.jsonld"].write("\n  ]\n}\n")
        for f in self.files.values():
            f.commit()

    def discard(self) -> None:
        for f in self.files.values():
            f.discard()


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
    if t.kind == "literal":
        return t.value
    if t.kind == "iri":  # already a qname ("kg:InForce")
        return t.value
    from .vocab import COUNT, ENT

    return qname((ENT if t.kind == "entity" else COUNT) + t.value)


def fact_row(f: Fact, pack: RulePack, sources: dict[str, str], local: str | None = None) -> tuple:
    """One row of facts.csv: the fact, its parties and labels, its date, status, modality,
    speaker and quantity, every source, and its first evidence (sentence, span, rule).
    local: the fact's kg.graph.fact_local, if known."""
    from .graph import fact_local

    ev = min(f.evidence)
    speaker = f.qualifier("kg:speaker")
    quantity = f.qualifier("kg:quantity")
    return (
        "fact:" + (local or fact_local(f)), _id(f.subject), _label(f.subject, pack), f.predicate, _id(f.object),
        _label(f.object, pack), f.date or "", f.status or "", f.modality, _label(speaker, pack),
        quantity.value if quantity else "",
        ";".join(sorted({sources.get(e.article, e.article) for e in f.evidence})),
        " ".join(ev.sentence.split()), ev.start, ev.end, ev.rule, len(f.evidence),
    )


def csv_rows(rows: Iterable[tuple], *, header: bool = False) -> str:
    """facts.csv text of rows (:func:`fact_row`) in the table's order: by sources, first
    evidence, subject, predicate, object; with the header line if asked."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(FACT_COLUMNS)
    w.writerows(sorted(rows, key=lambda r: (r[11], r[13], r[1], r[3], r[4])))
    return buf.getvalue()


def facts_csv(facts: Iterable[Fact], pack: RulePack, sources: dict[str, str]) -> str:
    """One row per fact, evidence summarised: first sentence, every source."""
    return csv_rows((fact_row(f, pack, sources) for f in facts), header=True)


# --- the entity projection for graph tools --------------------------------------------------

GRAPH_FORMATS = ("graphml", "gexf", "nquads", "ntriples", "turtle", "trig", "jsonld")


def _plain(value):
    """An attribute value GraphML and GEXF can hold: str, int, float or bool; None -> ""; the
    rest as sorted-key JSON text."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return _JSON_ANY(value)


# one encoder each, made once (json.dumps with options makes a new encoder per call); a
# JSON-LD node's is kg/jsonld.py's
_JSON_ANY = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode
_NODE_ATTRS = ("aliases", "cls", "iri", "label", "labels", "literal_facts")
_EDGE_ATTRS = ("conflicts", "date", "evidence", "modality", "predicate", "qualifiers", "evidence_count", "sentence")
_LONG = frozenset({"evidence_count"})


def tool_nodes(graph) -> Iterable[tuple[str, dict]]:
    """(IRI, attributes) of each node of ``kg.analysis.entity_graph``, every attribute a
    string or a number, in IRI order."""
    from .analysis import projection

    for n, data in projection(graph).nodes.items():
        yield n, {k: _plain(data[k]) for k in _NODE_ATTRS if k in data}


def tool_edges(graph) -> Iterable[tuple[str, str, str, dict]]:
    """(subject, object, fact IRI, attributes) of each edge of ``kg.analysis.entity_graph``
    (one per fact between two parties), every attribute a string or a number, plus
    ``evidence_count`` and ``sentence`` (the first evidence sentence); in (subject, object,
    fact) order. Made from the fact records, without the networkx graph."""
    from .analysis import _edges, projection

    p = projection(graph)
    for f in sorted(_edges(p.nodes, p.facts), key=lambda f: (f.subject, f.object, f.iri)):
        yield f.subject, f.object, f.iri, edge_attrs(f)


def projection_for_tools(graph):
    """``kg.analysis.entity_graph`` with every attribute a string or a number, plus
    ``evidence_count`` and ``sentence`` (the first evidence sentence) on each edge.

    ``graph`` is a Dataset or Graph, or a :class:`kg.analysis.Projection` of one (then its
    entity graph is read, not built again)."""
    import networkx as nx

    H = nx.MultiDiGraph()
    for n, attrs in tool_nodes(graph):
        H.add_node(n, **attrs)
    for u, v, key, attrs in tool_edges(graph):
        H.add_edge(u, v, key=key, **attrs)
    return H


# XML 1.0 cannot hold these characters at all, escaped or not
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value) -> str:
    """Text for an XML element: & < > escaped (and what XML cannot hold at all replaced)."""
    text = str(value)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(value) -> str:
    """A quoted XML attribute value: & < > " escaped, and tab, line feed and carriage return as
    character references (a parser would turn them into spaces)."""
    text = _xml_text(value).replace('"', "&quot;")
    if "\n" in text or "\r" in text or "\t" in text:
        text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{text}"'


class GraphML:
    """The entity projection as GraphML (node id and edge id: the IRI of the entity / fact),
    in pieces: :meth:`head` (the keys and every node), one :meth:`edge` per fact, :meth:`tail`.
    A build writes the nodes first and each article's edges as its workers make them, so a
    graph of any size is written without being held. The layout is networkx's
    (``nx.read_graphml`` reads it back, tests/test_rdf_cli.py)."""

    _KEYS = {name: f"d{i}" for i, name in enumerate((*_NODE_ATTRS, *_EDGE_ATTRS))}

    @classmethod
    def head(cls, nodes: Iterable[tuple[str, dict]]) -> str:
        keys = cls._KEYS
        out = ['<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n']
        for kind, names in (("node", _NODE_ATTRS), ("edge", _EDGE_ATTRS)):
            for name in names:
                kind_type = "long" if name in _LONG else "string"
                out.append(f'  <key id="{keys[name]}" for="{kind}" attr.name="{name}" attr.type="{kind_type}" />\n')
        out.append('  <graph edgedefault="directed">\n')
        for n, attrs in nodes:
            out.append(f"    <node id={_xml_attr(n)}>\n")
            out.extend(f'      <data key="{keys[k]}">{_xml_text(v)}</data>\n' for k, v in attrs.items())
            out.append("    </node>\n")
        return "".join(out)

    @classmethod
    def edge(cls, u: str, v: str, key: str, attrs: dict) -> str:
        keys = cls._KEYS
        return (f"    <edge source={_xml_attr(u)} target={_xml_attr(v)} id={_xml_attr(key)}>\n"
                + "".join(f'      <data key="{keys[k]}">{_xml_text(x)}</data>\n' for k, x in attrs.items())
                + "    </edge>\n")

    tail = "  </graph>\n</graphml>\n"


class GEXF:
    """The entity projection as GEXF 1.2 (Gephi), in pieces as :class:`GraphML`; byte-stable
    (no date). The layout is networkx's (``nx.read_gexf`` reads it back); an edge's id and
    its ``networkx_key`` attribute are the fact's IRI."""

    _NODE = [a for a in _NODE_ATTRS if a != "label"]  # a node's label is its label attribute
    _EDGE = [*_EDGE_ATTRS, "networkx_key"]
    _IDS = {name: str(i) for i, name in enumerate((*_NODE, *_EDGE))}

    @classmethod
    def head(cls, nodes: Iterable[tuple[str, dict]]) -> str:
        from . import __version__

        ids = cls._IDS
        out = ['<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n',
               f"  <meta>\n    <creator>kg {_xml_text(__version__)}</creator>\n  </meta>\n",
               '  <graph defaultedgetype="directed" mode="static" name="">\n']
        for kind, names in (("edge", cls._EDGE), ("node", cls._NODE)):
            out.append(f'    <attributes mode="static" class="{kind}">\n')
            for name in names:
                out.append(f'      <attribute id="{ids[name]}" title="{name}" type="{"long" if name in _LONG else "string"}" />\n')
            out.append("    </attributes>\n")
        out.append("    <nodes>\n")
        for n, attrs in nodes:
            out.append(f"      <node id={_xml_attr(n)} label={_xml_attr(attrs.get('label', n))}>\n        <attvalues>\n")
            out.extend(f'          <attvalue for="{ids[k]}" value={_xml_attr(v)} />\n' for k, v in attrs.items() if k != "label")
            out.append("        </attvalues>\n      </node>\n")
        out.append("    </nodes>\n    <edges>\n")
        return "".join(out)

    @classmethod
    def edge(cls, u: str, v: str, key: str, attrs: dict) -> str:
        ids = cls._IDS
        attrs = {**attrs, "networkx_key": key}
        return (f"      <edge source={_xml_attr(u)} target={_xml_attr(v)} id={_xml_attr(key)}>\n        <attvalues>\n"
                + "".join(f'          <attvalue for="{ids[k]}" value={_xml_attr(x)} />\n' for k, x in attrs.items())
                + "        </attvalues>\n      </edge>\n")

    tail = "    </edges>\n  </graph>\n</gexf>\n"


def edge_attrs(f) -> dict:
    """The attributes of a fact record's edge for graph tools: every one a string or a number
    (:func:`tool_edges`)."""
    from .analysis import _edge_attrs

    attrs = {k: _plain(x) for k, x in sorted(_edge_attrs(f).items())}
    attrs["evidence_count"] = len(f.evidence)
    attrs["sentence"] = " ".join(str(f.evidence[0][0]).split()) if f.evidence else ""
    return attrs


def write_graphml(graph, out) -> None:
    """:class:`GraphML` of a graph (as for :func:`projection_for_tools`), written to ``out``
    (anything with ``write(str)``) node by node and edge by edge."""
    _write_tool_graph(GraphML, graph, out)


def write_gexf(graph, out) -> None:
    """:class:`GEXF` of a graph (as for :func:`projection_for_tools`), written to ``out``."""
    _write_tool_graph(GEXF, graph, out)


def _write_tool_graph(kind, graph, out) -> None:
    out.write(kind.head(tool_nodes(graph)))
    for u, v, key, attrs in tool_edges(graph):
        out.write(kind.edge(u, v, key, attrs))
    out.write(kind.tail)


def serialize_graphml(graph) -> str:
    """:func:`write_graphml` as a string."""
    buf = io.StringIO()
    write_graphml(graph, buf)
    return buf.getvalue()


def serialize_gexf(graph) -> str:
    """:func:`write_gexf` as a string."""
    buf = io.StringIO()
    write_gexf(graph, buf)
    return buf.getvalue()


def export_graph(source, fmt: str, out: str | Path) -> Path:
    """Load a build folder or RDF file and write it in ``fmt`` (one of GRAPH_FORMATS) to ``out``.
    GraphML and GEXF, made from the facts, read the graph as `kg analyze` does, so they work
    on builds of any size; the RDF formats load it into rdflib."""
    from .errors import InputError
    from .query import load_graph, read_view

    writers = {
        "graphml": serialize_graphml, "gexf": serialize_gexf, "nquads": serialize_nquads,
        "ntriples": serialize_ntriples, "turtle": serialize_turtle, "trig": serialize_trig, "jsonld": serialize_jsonld,
    }
    if fmt not in writers:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(GRAPH_FORMATS)}")
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give a file name for --out")
    # the entity graph is read from the streamed view (kg/query.py read_view), RDF through rdflib
    graph = read_view(source) if fmt in ("graphml", "gexf") else load_graph(source)
    write_atomic(out, writers[fmt](graph))
    return out
