"""Network analysis of the fact graph: the entity projection, central actors, paths, timelines.

The RDF model (docs/design.md) stores every fact as an n-ary node (``rdf:subject``,
``rdf:predicate``, ``rdf:object``, ``kg:modality``, qualifiers, ``prov:wasDerivedFrom``
evidence). Graph algorithms want plain nodes and edges, so :func:`entity_graph` projects:

* **nodes** are the entities (``ent:`` IRIs and anything typed with an entity class) and
  the unnamed-party counts (``count:8-Country``); node attributes are ``label`` (English
  label preferred), ``cls`` (short class name) and ``iri``;
* **each fact becomes one labelled edge** from its subject to its object, keyed by the
  fact IRI in a ``MultiDiGraph``, so two facts between the same parties stay two edges;
* **qualifiers become edge attributes** (``modality``, ``date``, ``evidence`` and the rest
  under ``qualifiers``) instead of extra nodes, so a path or a degree counts parties, not
  bookkeeping nodes;
* a fact whose object is a literal (``kg:totalMTCAgreements 14``) has no second party: it
  becomes an entry of the subject's ``literal_facts`` node attribute.

Every modality is kept (a planned or negated fact is still an edge, marked as such), so
callers filter on ``modality`` when they want only what was asserted.

Paths and neighbourhoods (:func:`shortest_path`, :func:`party_graph`) also count an entity
named in a fact's qualifier (licensor, supplier, speaker, location) as linked to the
fact's parties: "HAL licensedProducerOf Su-30MKI (licensor Rosoboronexport)" is a
contract between HAL and Rosoboronexport. Centrality and communities use the fact edges
only. Network measures can be written back as triples in their own named graph
(:func:`analysis_triples`), apart from the extracted facts.

The input is an rdflib ``Dataset`` (one named graph per article) or a plain ``Graph``; the
functions read the union of all graphs. Everything is deterministic: nodes, edges and
results come out in sorted order.

Reading a large dataset and projecting it is the expensive part, so every function also
takes a :class:`Projection`: the dataset read once (:func:`projection`), with its fact
records, entity graph, articles and network measures computed on first use and then kept.
A build never reads its own RDF back: it makes its Projection from its facts
(:meth:`Projection.of`, :func:`fact_record`, :func:`entity_nodes`), the same as reading the
files it writes would give (tests/test_analysis_once.py), and hands it to the report, the
HTML page and the GraphML / GEXF exports.

>>> from rdflib import Dataset
>>> G = entity_graph(Dataset())
>>> G.number_of_nodes(), G.number_of_edges()
(0, 0)
"""

from __future__ import annotations

import difflib
import json
from collections import Counter, defaultdict
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .errors import InputError, KGError
from .graph import ANALYSIS_GRAPH
from .vocab import COUNT, ENT, KG, MODALITIES, PREFIXES, qname
from .markdown import md_cell

# Entity classes of the ontology, by local name (kg:Entity is their common superclass).
ENTITY_CLASSES = (
    "Country",
    "CountryGroup",
    "Region",
    "Organization",
    "Company",
    "GovernmentBody",
    "Person",
    "WeaponSystem",
    "Legislation",
    "CooperationArea",
)
COUNT_CLASS = "UnnamedParties"

# Modality short names in the order a reader trusts them most; used to pick one fact
# among parallel facts and to sort.
MODALITY_ORDER = tuple(MODALITIES)
_MODALITY_NAME = {iri: name for name, iri in MODALITIES.items()}

# Properties of a fact node that have their own field; every other one is a qualifier.
_FACT_FIELDS = frozenset({RDF.type, RDF.subject, RDF.predicate, RDF.object, KG.modality, KG.date, PROV.wasDerivedFrom})


class UnknownEntityError(KGError, KeyError):
    """An entity IRI (or qname) asked for is not a node of the entity graph."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class Evidence(NamedTuple):
    """Where one fact was read: the sentence, its article, the rule and the character span."""

    sentence: str
    article: str
    rule: str
    start: int | None
    end: int | None


class FactRecord(NamedTuple):
    """One fact node of the graph, flattened; ``object`` is an IRI or a literal's lexical form."""

    iri: str
    subject: str
    predicate: str  # qname, e.g. "kg:signedMTCAgreementWith"
    object: str
    object_is_literal: bool
    modality: str | None  # short name ("asserted", "planned", ...), or None when missing
    date: str | None  # lexical form of kg:date ("2017-08-02", "2022-02", "2000")
    evidence: tuple[Evidence, ...]
    qualifiers: tuple[tuple[str, str], ...]  # (qname of property, IRI or lexical value), sorted
    conflicts: tuple[str, ...] = ()  # IRIs of the kg:Contradiction groups naming this fact, sorted

    @property
    def articles(self) -> tuple[str, ...]:
        """The distinct article IRIs this fact was read in, sorted."""
        return tuple(sorted({e.article for e in self.evidence if e.article}))

    @property
    def is_edge(self) -> bool:
        """Whether the fact joins two parties (its object is not a literal)."""
        return not self.object_is_literal


# --- reading the RDF -----------------------------------------------------------------


_INDEXED = {RDF.type: "type", RDF.subject: "subject", KG.article: "article",  # predicates UnionView indexes
            KG.conflictingFact: "conflict"}


class _Values(set):
    """The several values of one subject and predicate in a :class:`UnionView`."""


class UnionView:
    """Every triple of a Dataset's graphs (or of a Graph) once, indexed by subject, to read.

    Cheaper than copying into a new rdflib Graph (no store indexes, no contexts) and it
    does not touch the caller's dataset.
    """

    def __init__(self, graph=None):
        # subject -> predicate -> its object, or a _Values set of them when there are several
        # (most properties have one value: a set each would be most of the view's memory)
        self.spo: dict = {}
        self.by_type: dict = defaultdict(set)
        self.facts: set = set()
        self.evidence_articles: set = set()
        self.conflicts_of: dict = defaultdict(set)  # fact -> the kg:Contradiction nodes naming it
        if graph is None:
            return
        from .graph import dataset_quads, is_dataset

        if is_dataset(graph):  # every named graph and the default graph
            self.add_all(dataset_quads(graph))
        else:
            self.add_all(graph.triples((None, None, None)))

    @classmethod
    def of_triples(cls, triples: Iterable[tuple]) -> "UnionView":
        """The view of triples (or quads: the graph is left aside) of rdflib terms, read once
        as they come: a large file streamed through a parser is never held as a Dataset."""
        view = cls()
        view.add_all(triples)
        return view

    def add_all(self, triples: Iterable[tuple]) -> None:
        add = self._add
        for s, p, o, *_ in triples:
            add(s, p, o)

    def _add(self, s, p, o) -> None:
        props = self.spo.get(s)
        if props is None:
            props = self.spo[s] = {}
        v = props.get(p)
        if v is None:
            props[p] = o
        elif type(v) is _Values:
            v.add(o)
        elif v != o:
            props[p] = _Values((v, o))
        kind = _INDEXED.get(p)  # a dict look-up: cheaper than comparing p with each of them
        if kind is None:
            return
        if kind == "type":
            self.by_type[o].add(s)
        elif kind == "subject":
            self.facts.add(s)
        elif kind == "conflict":
            self.conflicts_of[o].add(s)
        else:
            self.evidence_articles.add(o)

    def values(self, s, p) -> Iterable:
        """The values of ``s p ?``, in no order."""
        props = self.spo.get(s)
        v = props.get(p) if props else None
        return () if v is None else v if type(v) is _Values else (v,)

    def subjects(self) -> Iterable:
        return self.spo.keys()

    def objects(self, s, p) -> list:
        """The values of ``s p ?``, sorted."""
        return sorted(self.values(s, p), key=_term_key)

    def first(self, s, p):
        """The smallest value of ``s p ?`` (a deterministic pick among several), or None."""
        values = self.objects(s, p)
        return values[0] if values else None

    def properties(self, s) -> list[tuple]:
        """Every (predicate, object) of ``s``, sorted."""
        props = self.spo.get(s, {})
        pairs = ((p, o) for p, v in props.items() for o in (v if type(v) is _Values else (v,)))
        return sorted(pairs, key=lambda po: (str(po[0]), _term_key(po[1])))


def union_view(graph) -> UnionView:
    """A read view of ``graph`` (Dataset, Graph, an existing view or a :class:`Projection`).

    Build it once and pass it to several functions to read a large dataset only once (a
    :class:`Projection` also keeps what is computed from the view).
    """
    if isinstance(graph, Projection):
        return graph.view
    return graph if isinstance(graph, UnionView) else UnionView(graph)


def _term_key(term) -> tuple:
    """Sort key for mixed rdflib terms (IRIs, literals of any datatype) that never raises."""
    datatype = getattr(term, "datatype", None) or ""
    return (type(term).__name__, str(term), str(datatype), getattr(term, "language", None) or "")


def _local_name(iri: str) -> str:
    for ns in (ENT, COUNT):
        if iri.startswith(str(ns)):
            return iri[len(str(ns)):]
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def label_of(graph, node) -> str:
    """English ``rdfs:label`` if there is one, else any label (sorted), else the local name."""
    if isinstance(node, Literal):
        return str(node)
    g = union_view(graph)
    labels = [lit for lit in g.objects(URIRef(node), RDFS.label) if isinstance(lit, Literal)]
    english = sorted(str(lit) for lit in labels if (lit.language or "").lower().startswith("en"))
    if english:
        return english[0]
    if labels:
        return sorted((lit.language or "", str(lit)) for lit in labels)[0][1]
    return _local_name(str(node))


def _class_of(g: UnionView, node: URIRef) -> str:
    """The most specific kg: class of a node, by short name ("Company" over "Organization")."""
    names = sorted(str(t)[len(str(KG)):] for t in g.objects(node, RDF.type) if str(t).startswith(str(KG)))
    for general in ("Entity", "Organization"):
        if len(names) > 1 and general in names:
            names.remove(general)
    if names:
        return names[0]
    return COUNT_CLASS if str(node).startswith(str(COUNT)) else "Entity"


def _node_iris(g: UnionView, facts: Iterable[FactRecord]) -> set[str]:
    """Entities and count nodes: typed with an entity/count class, or minted in ent:/count:."""
    typed = {KG[name] for name in (*ENTITY_CLASSES, "Entity", COUNT_CLASS)}
    nodes = {str(s) for cls in typed for s in g.by_type.get(cls, ()) if isinstance(s, URIRef)}
    for f in facts:
        for iri in (f.subject, None if f.object_is_literal else f.object):
            if iri and (iri.startswith(str(ENT)) or iri.startswith(str(COUNT))):
                nodes.add(iri)
    return nodes


def _evidence(g: UnionView, ev) -> Evidence:
    def text(p) -> str:
        v = g.first(ev, p)
        return str(v) if v is not None else ""

    def number(p) -> int | None:
        v = g.first(ev, p)
        try:
            return int(v) if v is not None else None
        except (TypeError, ValueError):
            return None

    return Evidence(text(KG.sentence), text(KG.article), text(KG.rule), number(KG.startOffset), number(KG.endOffset))


def _evidence_key(e: Evidence):
    return (e.article, e.start if e.start is not None else -1, e.end if e.end is not None else -1, e.rule, e.sentence)


def fact_records(graph) -> list[FactRecord]:
    """Every fact node of ``graph`` (nodes with rdf:subject/predicate/object), sorted by IRI."""
    return list(projection(graph).facts)


def _read_facts(g: UnionView) -> tuple[FactRecord, ...]:
    """The work of :func:`fact_records`, done once per :class:`Projection`."""
    names: dict[str, str] = {}  # qname() of each property, worked out once per property

    def short(iri) -> str:
        iri = str(iri)
        name = names.get(iri)
        if name is None:
            name = names[iri] = qname(iri)
        return name

    records = []
    for fact in sorted(g.facts, key=_term_key):
        s, p, o = (g.first(fact, prop) for prop in (RDF.subject, RDF.predicate, RDF.object))
        if s is None or p is None or o is None:
            continue
        modality = g.first(fact, KG.modality)
        date = g.first(fact, KG.date)
        evidence = sorted((_evidence(g, ev) for ev in g.objects(fact, PROV.wasDerivedFrom)), key=_evidence_key)
        qualifiers = sorted((short(q), str(v)) for q, v in g.properties(fact) if q not in _FACT_FIELDS)
        records.append(
            FactRecord(
                iri=str(fact),
                subject=str(s),
                predicate=short(p),
                object=str(o),
                object_is_literal=isinstance(o, Literal),
                modality=None if modality is None else _MODALITY_NAME.get(modality, _local_name(str(modality))),
                date=None if date is None else str(date),
                evidence=tuple(evidence),
                qualifiers=tuple(qualifiers),
                conflicts=tuple(sorted(str(c) for c in g.conflicts_of.get(fact, ()))),
            )
        )
    return tuple(records)


class Conflict(NamedTuple):
    """A kg:Contradiction node: facts that cannot all be true (kg/corroborate.py)."""

    kinds: tuple[str, ...]  # sorted
    facts: tuple[str, ...]  # fact IRIs, sorted


def _read_conflicts(g: UnionView) -> dict[str, Conflict]:
    """The work of :attr:`Projection.conflicts`."""
    return {
        str(c): Conflict(tuple(sorted(str(k) for k in g.objects(c, KG.conflictKind))),
                         tuple(sorted(str(f) for f in g.objects(c, KG.conflictingFact))))
        for c in sorted(g.by_type.get(KG.Contradiction, ()), key=_term_key)
    }


def article_names(graph) -> dict[str, str]:
    """Article IRI -> a name to show: its ``dcterms:title``, else its file name, else its slug.

    Sorted by IRI.
    """
    if isinstance(graph, Projection):
        return dict(graph.article_names)
    return _article_names(union_view(graph))


def _article_names(g: UnionView) -> dict[str, str]:
    articles = {str(a) for a in g.by_type.get(KG.Article, ())}
    articles |= {str(a) for a in g.evidence_articles}
    names = {}
    for art in sorted(articles):
        title = g.first(URIRef(art), DCTERMS.title) or g.first(URIRef(art), KG.fileName)
        names[art] = str(title) if title is not None else _local_name(art)
    return names


def article_info(graph) -> dict[str, dict]:
    """Article IRI -> ``name`` (as :func:`article_names`), ``url``, ``date``, ``publisher``, ``file``.

    Missing values are None; sorted by IRI.
    """
    if isinstance(graph, Projection):
        return {art: dict(meta) for art, meta in graph.article_info.items()}
    g = union_view(graph)
    return _article_info(g, _article_names(g))


def _article_info(g: UnionView, names: dict[str, str]) -> dict[str, dict]:
    info = {}
    for art, name in names.items():
        ref = URIRef(art)

        def value(p):
            v = g.first(ref, p)
            return None if v is None else str(v)

        info[art] = {
            "name": name,
            "url": value(DCTERMS.source),
            "date": value(DCTERMS.date),
            "publisher": value(DCTERMS.publisher),
            "file": value(KG.fileName),
        }
    return info


# --- the same, made from facts (a build never reads its own RDF back) ---------------------

_FACT_FIELD_IRIS = frozenset(map(str, _FACT_FIELDS))
_MODALITY_BY_IRI = {str(iri): name for name, iri in MODALITIES.items()}
_RDF_SUBJECT, _RDF_PREDICATE, _RDF_OBJECT = str(RDF.subject), str(RDF.predicate), str(RDF.object)
_KG_MODALITY, _KG_DATE = str(KG.modality), str(KG.date)


def fact_record(node: str, core: Iterable[tuple], evidence: Iterable[Evidence], extra: Iterable[tuple[str, str]] = (),
                conflicts: Iterable[str] = ()) -> FactRecord:
    """The :class:`FactRecord` of a fact node from its own triples in plain terms
    (kg/graph.py :class:`~kg.graph.PlainTerms`; for a fact read in several articles, the
    union of each article's), its evidence, other (property qname, value) pairs it has
    elsewhere (its confidence and source count) and its contradiction groups: what
    :func:`fact_records` reads for the node from the RDF."""
    from .graph import Lit

    values: dict[str, list] = defaultdict(list)
    for _s, p, o in core:
        values[p].append(o)

    def first(p):
        found = values.get(p)
        return min(found, key=_plain_key) if found else None

    def text(o) -> str:
        return o.lexical if isinstance(o, Lit) else o

    obj, modality, date = first(_RDF_OBJECT), first(_KG_MODALITY), first(_KG_DATE)
    qualifiers = [(qname(p), text(o)) for p, found in values.items() if p not in _FACT_FIELD_IRIS for o in found]
    return FactRecord(
        iri=node,
        subject=text(first(_RDF_SUBJECT)),
        predicate=qname(text(first(_RDF_PREDICATE))),
        object=text(obj),
        object_is_literal=isinstance(obj, Lit),
        modality=None if modality is None else _MODALITY_BY_IRI.get(modality, _local_name(modality)),
        date=None if date is None else text(date),
        evidence=tuple(sorted(set(evidence), key=_evidence_key)),
        qualifiers=tuple(sorted(set(qualifiers) | set(extra))),
        conflicts=tuple(sorted(set(conflicts))),
    )


def _plain_key(t) -> tuple:
    """:func:`_term_key` of the rdflib term a plain term stands for."""
    if isinstance(t, str):
        return ("URIRef", t, "", "")
    return ("Literal", t.lexical, t.datatype or "", t.lang or "")


def entity_nodes(pack, entity_ids: Iterable[str], counts: Iterable[str], T) -> dict[str, dict]:
    """The nodes of the entity graph of a build, from the gazetteer: what :attr:`Projection.nodes`
    reads from the RDF the build writes (kg/graph.py :func:`~kg.graph.entity_graph_triples`)."""
    from .graph import COUNT_LABELS

    nodes = {}
    for eid in entity_ids:
        e = pack.gazetteer.entities[eid]
        iri = T.ent(eid)
        english = sorted(text for lang, text in e.labels.items() if lang.lower().startswith("en"))
        if english:
            label = english[0]
        elif e.labels:
            label = sorted((lang, text) for lang, text in e.labels.items())[0][1]
        else:
            label = _local_name(iri)
        labels = set(e.labels.values())
        nodes[iri] = _node_attrs(iri, label, e.cls, labels, set(e.aliases) - labels)
    for value in counts:
        n, cls = value.split("-", 1)
        en, id_ = COUNT_LABELS.get(cls, (cls, cls))
        iri = T.instance("count", value)
        nodes[iri] = _node_attrs(iri, f"{n} {en}", COUNT_CLASS, {f"{n} {en}", f"{n} {id_}"}, set())
    return dict(sorted(nodes.items()))


def article_parts(articles: Iterable[tuple[str, str, dict]]) -> tuple[dict[str, str], dict[str, dict]]:
    """:attr:`Projection.article_names` and :attr:`Projection.article_info` of articles given
    as (article IRI, file name, metadata), as the RDF a build writes gives them."""
    names, info = {}, {}
    for iri, file, meta in sorted(articles):
        names[iri] = meta.get("title") or file or _local_name(iri)
        info[iri] = {"name": names[iri], "url": meta.get("url"), "date": meta.get("date"),
                     "publisher": meta.get("publisher"), "file": file}
    return names, info


# --- the projection ------------------------------------------------------------------


def _edge_attrs(f: FactRecord) -> dict:
    qualifiers: dict[str, list[str]] = defaultdict(list)
    for q, v in f.qualifiers:
        qualifiers[q].append(v)
    attrs = {
        "predicate": f.predicate,
        "modality": f.modality,
        "date": f.date,
        "evidence": list(f.evidence),
        "qualifiers": dict(qualifiers),
    }
    if f.conflicts:
        attrs["conflicts"] = list(f.conflicts)
    return attrs


def _entity_nodes(g: UnionView, facts: Iterable[FactRecord]) -> dict[str, dict]:
    """The nodes of :func:`entity_graph` and their attributes, read from the RDF once per
    :class:`Projection`."""
    nodes = _node_iris(g, facts)
    out = {}
    for iri in sorted(nodes):
        ref = URIRef(iri)
        label = label_of(g, ref)
        labels = {str(v) for v in g.objects(ref, RDFS.label) if isinstance(v, Literal)}
        alt = {str(v) for v in g.objects(ref, SKOS.altLabel) if isinstance(v, Literal)}
        out[iri] = _node_attrs(iri, label, _class_of(g, ref), labels, alt)
    return _with_literal_facts(out, facts)


def _node_attrs(iri: str, label: str, cls: str, labels: set[str], alt: set[str]) -> dict:
    return {"label": label, "cls": cls, "iri": iri, "labels": sorted(labels - {label}),
            "aliases": sorted(alt - labels - {label}), "literal_facts": []}


def _with_literal_facts(nodes: dict[str, dict], facts: Iterable[FactRecord]) -> dict[str, dict]:
    """Each node's ``literal_facts``: (predicate, value, modality) of the facts whose object
    is a literal (``kg:totalMTCAgreements 14``), sorted."""
    literal_facts: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for f in facts:
        if f.object_is_literal and f.subject in nodes:
            literal_facts[f.subject].append((f.predicate, f.object, f.modality))
    for iri, found in literal_facts.items():
        nodes[iri]["literal_facts"] = sorted(found, key=lambda t: (t[0], t[1], t[2] or ""))
    return nodes


def _edges(nodes: dict, facts: Iterable[FactRecord]) -> Iterable[FactRecord]:
    """The facts that are edges of the entity graph: both parties are nodes."""
    return (f for f in facts if not f.object_is_literal and f.subject in nodes and f.object in nodes)


def _multigraph(nodes: dict[str, dict], facts: Iterable[FactRecord]) -> nx.MultiDiGraph:
    """The work of :func:`entity_graph`, done once per :class:`Projection`."""
    G = nx.MultiDiGraph()
    for iri, attrs in nodes.items():
        G.add_node(iri, **attrs)
    for f in sorted(_edges(nodes, facts), key=lambda f: (f.subject, f.object, f.iri)):
        G.add_edge(f.subject, f.object, key=f.iri, **_edge_attrs(f))
    return G


def _simple(nodes: dict, facts: Iterable[FactRecord]) -> nx.DiGraph:
    """:func:`simple_digraph` of the entity graph, made from the facts without it."""
    return _weighted_digraph(nodes, ((f.subject, f.object) for f in _edges(nodes, facts)))


def _weighted_digraph(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> nx.DiGraph:
    """The nodes, and one edge per (u, v) pair of ``edges`` whose ``weight`` is how often it comes."""
    weights: Counter = Counter(edges)
    D = nx.DiGraph()
    D.add_nodes_from(sorted(nodes))
    for (u, v) in sorted(weights):
        D.add_edge(u, v, weight=weights[(u, v)])
    return D


def entity_graph(graph) -> nx.MultiDiGraph:
    """Project the fact graph onto its parties: entities as nodes, facts as keyed edges.

    Node attributes: ``label``, ``cls``, ``iri``, ``labels`` (its other ``rdfs:label``s, in
    other languages), ``aliases`` (its ``skos:altLabel``s), ``literal_facts`` (list of (predicate, value, modality)). Edge key: the fact IRI; edge attributes: ``predicate`` (qname),
    ``modality``, ``date`` (str or None), ``evidence`` (sorted list of (sentence, article,
    rule, start, end)), ``qualifiers`` (qname -> list of values) and, for a fact in a
    contradiction, ``conflicts`` (the IRIs of its kg:Contradiction groups).

    Given a :class:`Projection`, returns the projection's own graph (shared: do not change it).
    """
    return projection(graph).graph


def simple_digraph(G: nx.MultiDiGraph) -> nx.DiGraph:
    """Collapse parallel facts into one edge whose ``weight`` is how many facts it stands for."""
    return _weighted_digraph(G.nodes, G.edges())


def _simple_undirected(G: nx.MultiDiGraph | nx.DiGraph) -> nx.Graph:
    U = nx.Graph()
    U.add_nodes_from(sorted(G.nodes))
    U.add_edges_from(sorted({tuple(sorted((u, v))) for u, v in G.edges()}))
    return U


# --- one read of the dataset, shared -------------------------------------------------


class Projection:
    """A dataset read once: its :class:`UnionView` and what the functions here compute from it.

    Each part is computed the first time it is asked for and then kept: ``facts`` (as
    :func:`fact_records`, a tuple), ``nodes`` (the entity graph's nodes and their
    attributes), ``graph`` (as :func:`entity_graph`), ``conflicts`` (kg:Contradiction IRI
    -> :class:`Conflict`), ``article_names``, ``article_info``, ``simple``
    (:func:`simple_digraph` of ``graph``, made from the facts without it), ``pagerank`` (of
    ``simple``), ``centrality`` and ``communities``. Every function of this module (and
    :func:`kg.render.render_page`, :func:`kg.export.projection_for_tools`) takes a
    Projection wherever it takes a graph, and gives the same result as for the graph itself.
    The parts are shared between those callers, so treat them as read-only.

    A build makes its Projection from its facts (:meth:`of`), never holding the dataset,
    and never makes ``graph`` (one networkx edge per fact) unless a reader asks for it.
    A Projection reflects the dataset when it was made; it does not follow later changes.

    >>> from rdflib import Dataset
    >>> p = projection(Dataset())
    >>> p.facts, p.graph.number_of_nodes(), projection(p) is p
    ((), 0, True)
    """

    def __init__(self, graph):
        self.view = union_view(graph)

    @classmethod
    def of(cls, *, nodes: dict[str, dict], facts: Iterable[FactRecord], conflicts: dict[str, Conflict],
           article_names: dict[str, str], article_info: dict[str, dict], **parts) -> "Projection":
        """A Projection of given parts, read from no RDF: ``nodes`` as :attr:`nodes` gives them
        (with their ``literal_facts`` filled in here), ``facts`` sorted by IRI. ``parts`` may
        preset computed parts (e.g. ``pagerank`` of a larger graph this one is a piece of)."""
        p = cls.__new__(cls)
        p.view = None
        facts = tuple(facts)
        p.__dict__.update(nodes=_with_literal_facts(nodes, facts), facts=facts, conflicts=conflicts,
                          article_names=article_names, article_info=article_info, **parts)
        return p

    @cached_property
    def facts(self) -> tuple[FactRecord, ...]:
        return _read_facts(self.view)

    @cached_property
    def nodes(self) -> dict[str, dict]:
        return _entity_nodes(self.view, self.facts)

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        return _multigraph(self.nodes, self.facts)

    @cached_property
    def conflicts(self) -> dict[str, Conflict]:
        return _read_conflicts(self.view)

    @cached_property
    def article_names(self) -> dict[str, str]:
        return _article_names(self.view)

    @cached_property
    def article_info(self) -> dict[str, dict]:
        return _article_info(self.view, self.article_names)

    @cached_property
    def simple(self) -> nx.DiGraph:
        return _simple(self.nodes, self.facts)

    @cached_property
    def pagerank(self) -> dict[str, float]:
        return pagerank(self.simple)

    @cached_property
    def centrality(self) -> dict[str, dict]:
        return _centrality(self.simple, self.pagerank)

    @cached_property
    def communities(self) -> list[list[str]]:
        return communities(self.simple)

    def label(self, iri: str) -> str:
        """The label of a node, or of anything else the dataset labels."""
        node = self.nodes.get(iri)
        if node is not None:
            return node["label"]
        return label_of(self.view, URIRef(iri)) if self.view is not None else _local_name(iri)


def projection(graph) -> Projection:
    """``graph`` (Dataset, Graph or :class:`UnionView`) read into a :class:`Projection`; a
    Projection is returned as it is."""
    return graph if isinstance(graph, Projection) else Projection(graph)


# --- measures ------------------------------------------------------------------------


def pagerank(D: nx.DiGraph, *, alpha: float = 0.85) -> dict[str, float]:
    """networkx's PageRank with edge ``weight``s; dangling nodes spread their rank evenly.

    >>> pr = pagerank(nx.DiGraph([("a", "b"), ("c", "b")]))
    >>> max(pr, key=pr.get)
    'b'
    """
    if len(D) == 0:
        return {}
    return nx.pagerank(D, alpha=alpha, weight="weight", tol=1.0e-10, max_iter=500)


def centrality(G: nx.MultiDiGraph) -> dict[str, dict]:
    """Per node IRI: ``degree`` (facts it takes part in), ``pagerank`` and ``betweenness``.

    PageRank runs on the directed graph with parallel facts as edge weights; betweenness on
    the simple directed graph, normalised.
    """
    D = simple_digraph(G)
    return _centrality(D, pagerank(D))


def _centrality(D: nx.DiGraph, pr: dict[str, float]) -> dict[str, dict]:
    """Per node of the simple graph D (edge weights: facts): degree (the facts, as the
    multigraph counts them), PageRank pr and betweenness."""
    bc = nx.betweenness_centrality(D, normalized=True)
    return {
        n: {"degree": D.degree(n, weight="weight"), "pagerank": pr[n], "betweenness": bc[n]}
        for n in sorted(D.nodes)
    }


def _sorted_groups(groups: Iterable[Iterable[str]]) -> list[list[str]]:
    return sorted((sorted(c) for c in groups), key=lambda c: (-len(c), c))


def communities(G: nx.MultiDiGraph | nx.DiGraph) -> list[list[str]]:
    """Greedy-modularity communities of the undirected simple graph, largest first.

    Each community is a sorted list of IRIs; ties in size are broken by the first IRI.
    A graph without edges gives one community per node.
    """
    U = _simple_undirected(G)
    if U.number_of_edges() == 0:
        return _sorted_groups([n] for n in U.nodes)
    return _sorted_groups(nx.community.greedy_modularity_communities(U))


def components(G: nx.MultiDiGraph | nx.DiGraph) -> list[list[str]]:
    """Weakly connected components, largest first, each a sorted list of IRIs."""
    return _sorted_groups(nx.weakly_connected_components(G))


def _modality_rank(modality: str | None) -> int:
    return MODALITY_ORDER.index(modality) if modality in MODALITY_ORDER else len(MODALITY_ORDER)


def timeline(graph, *, last: int | None = None) -> list[dict]:
    """Dated facts in date order (ISO lexical order: "2000" < "2000-05" < "2017-08-02"); with
    ``last``, only the last (the most recent) that many.

    Each row: ``date``, ``fact``, ``subject``, ``subject_label``, ``predicate``, ``object``,
    ``object_label`` (a literal object is its own label), ``modality``, ``source`` (the first
    article IRI, sorted) and ``sources`` (every article it was read in).
    """
    import heapq

    p = projection(graph)
    keyed = ((f.date, p.label(f.subject), f.predicate, f.object if f.object_is_literal else p.label(f.object), f.iri, f)
             for f in p.facts if f.date is not None)
    chosen = sorted(keyed, key=lambda k: k[:5]) if last is None else heapq.nlargest(last, keyed, key=lambda k: k[:5])[::-1]
    rows = []
    for date, subject_label, predicate, object_label, iri, f in chosen:
        articles = list(f.articles)
        rows.append({"date": date, "fact": iri, "subject": f.subject, "subject_label": subject_label,
                     "predicate": predicate, "object": f.object, "object_label": object_label, "modality": f.modality,
                     "source": articles[0] if articles else None, "sources": articles})
    return rows


def facts_per_source(graph) -> dict[str, int]:
    """Article IRI -> number of distinct facts with evidence from it (0 for articles with none)."""
    p = projection(graph)
    counts: Counter[str] = Counter()
    for f in p.facts:
        counts.update(f.articles)
    return {art: counts.get(art, 0) for art in sorted(set(p.article_names) | set(counts))}


def _expand(iri: str) -> str:
    prefix, sep, rest = iri.partition(":")
    if sep and prefix in PREFIXES and not rest.startswith("//"):
        return str(PREFIXES[prefix]) + rest
    return iri


def _links(G: nx.MultiDiGraph) -> dict[tuple[str, str], list[tuple]]:
    """Undirected pair of nodes -> the facts that join them, as (rank, subject, object, key, role, data).

    A fact joins its subject and object (role None), and also joins each entity named in
    one of its qualifiers (licensor, supplier, location, speaker, ...) to both parties, with
    that qualifier as the role: "HAL licensedProducerOf Su-30MKI (licensor Rosoboronexport)"
    links HAL and Rosoboronexport, which is what an analyst asking for a path means.
    """
    links: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for s, o, key, d in G.edges(keys=True, data=True):
        rank = _modality_rank(d["modality"])
        if s != o:
            links[tuple(sorted((s, o)))].append((0, rank, key, "", s, o, d))
        for q, values in sorted(d.get("qualifiers", {}).items()):
            for x in values:
                if x in G:
                    for party in (s, o):
                        if x != party:
                            links[tuple(sorted((x, party)))].append((1, rank, key, q, s, o, d))
    return links


def party_graph(G: nx.MultiDiGraph) -> nx.Graph:
    """The undirected simple graph of who is linked to whom by a fact or a fact's qualifier.

    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("hal", "su30", key="f1", modality="asserted", qualifiers={"kg:licensor": ["roe"]})
    'f1'
    >>> G.add_node("roe")
    >>> sorted(party_graph(G).edges())
    [('hal', 'roe'), ('hal', 'su30'), ('roe', 'su30')]
    """
    U = nx.Graph()
    U.add_nodes_from(sorted(G.nodes))
    U.add_edges_from(sorted(_links(G)))
    return U


def shortest_path(G: nx.MultiDiGraph, a: str, b: str) -> list[dict]:
    """The facts on a shortest undirected path from entity ``a`` to entity ``b``.

    ``a`` and ``b`` are IRIs or qnames (``ent:Russia``). Two entities are adjacent when a
    fact has one as subject and the other as object, or names one as a party and the other
    in a qualifier (see :func:`_links`). Each step is a dict: ``from`` and ``to`` (the
    path's direction), ``fact``, ``subject``, ``object``, ``role`` (None, or the qualifier
    that joins the step, e.g. "kg:licensor") and ``direction`` ("forward" when the fact
    points along the path, "backward" against it, "qualifier" for a qualifier link),
    ``predicate``, ``modality``, ``date``, ``evidence``. Where several facts join two
    steps, a direct fact beats a qualifier, then the most trusted modality wins, then the
    smallest fact IRI. No path gives []; an IRI not in ``G`` raises UnknownEntityError.
    """
    a, b = _expand(a), _expand(b)
    for iri in (a, b):
        if iri not in G:
            raise UnknownEntityError(f"{iri} is not an entity of the graph; check the IRI or qname")
    links = _links(G)
    U = nx.Graph()
    U.add_nodes_from(sorted(G.nodes))
    U.add_edges_from(sorted(links))
    try:
        nodes = nx.shortest_path(U, a, b)
    except nx.NetworkXNoPath:
        return []
    steps = []
    for u, v in zip(nodes, nodes[1:]):
        indirect, _, key, role, s, o, d = min(links[tuple(sorted((u, v)))], key=lambda c: c[:4])
        if indirect:
            direction = "qualifier"
        else:
            direction = "forward" if s == u else "backward"
        steps.append(
            {
                "from": u,
                "to": v,
                "fact": key,
                "subject": s,
                "object": o,
                "role": role or None,
                "direction": direction,
                "predicate": d["predicate"],
                "modality": d["modality"],
                "date": d["date"],
                "evidence": [list(e) for e in d["evidence"]],
            }
        )
    return steps


class AmbiguousEntityError(UnknownEntityError):
    """A name asked for matches several entities equally well."""


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def resolve_entity(G: nx.MultiDiGraph, name: str) -> str:
    """The node IRI of ``G`` that ``name`` means: an IRI, a qname, an id, a label or an alias.

    Matching ignores case and extra spaces. An id beats a label (in any language), a label
    beats an alias;
    two matches at the same level raise :class:`AmbiguousEntityError` naming both, no match
    raises :class:`UnknownEntityError` with the closest names.

    >>> G = nx.MultiDiGraph()
    >>> G.add_node("https://w3id.org/defcoop/id/HAL", label="Hindustan Aeronautics Limited", aliases=["HAL"])
    >>> resolve_entity(G, "hindustan aeronautics limited")
    'https://w3id.org/defcoop/id/HAL'
    >>> resolve_entity(G, "ent:HAL") == resolve_entity(G, "hal")
    True
    """
    expanded = _expand(name.strip())
    if expanded in G:
        return expanded
    key = _norm(name)
    levels: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for n, d in G.nodes(data=True):
        if _norm(_local_name(n)) == key:
            levels[0].add(n)
        if any(_norm(x) == key for x in (d.get("label", ""), *d.get("labels", ()))):
            levels[1].add(n)
        if any(_norm(a) == key for a in d.get("aliases", ())):
            levels[2].add(n)
    for found in levels:
        if len(found) == 1:
            return next(iter(found))
        if found:
            shown = ", ".join(f"{qname(n)} ({G.nodes[n].get('label', '')})" for n in sorted(found))
            raise AmbiguousEntityError(f"{name!r} names several entities: {shown}; give one of these ids")
    names = sorted({_local_name(n) for n in G} | {d.get("label", "") for _, d in G.nodes(data=True)})
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else "; check the id, label or alias"
    raise UnknownEntityError(f"{name!r} is not an entity of the graph{hint}")


def explain_path(graph, a: str, b: str) -> dict:
    """The shortest chain of facts from ``a`` to ``b``, each with its evidence and sources.

    ``a`` and ``b`` are anything :func:`resolve_entity` accepts. Returns ``from`` and ``to``
    (IRI and label), ``found`` and ``steps``: :func:`shortest_path`'s steps with
    ``subject_label``, ``object_label`` and ``sources`` (one per evidence: ``article``,
    ``article_name``, ``url``, ``sentence``, ``rule``, ``start``, ``end``).
    """
    if isinstance(graph, nx.MultiDiGraph):
        G, info = graph, {}
    else:
        p = projection(graph)
        G, info = p.graph, p.article_info
    start, end = resolve_entity(G, a), resolve_entity(G, b)
    steps = []
    for step in shortest_path(G, start, end):
        sources = []
        for sentence, article, rule, s, e in step["evidence"]:
            meta = info.get(article, {})
            sources.append({
                "article": article,
                "article_name": meta.get("name") or _local_name(article),
                "url": meta.get("url"),
                "sentence": sentence,
                "rule": rule,
                "start": s,
                "end": e,
            })
        steps.append({
            **{k: v for k, v in step.items() if k != "evidence"},
            "from_label": G.nodes[step["from"]]["label"],
            "to_label": G.nodes[step["to"]]["label"],
            "subject_label": G.nodes[step["subject"]]["label"],
            "object_label": G.nodes[step["object"]]["label"],
            "sources": sources,
        })
    return {
        "from": {"iri": start, "label": G.nodes[start]["label"]},
        "to": {"iri": end, "label": G.nodes[end]["label"]},
        "found": bool(steps) or start == end,
        "steps": steps,
    }


# --- everything at once --------------------------------------------------------------


def _round(x: float) -> float:
    return round(x, 6)


def summary(graph, *, top: int = 10, limit: int | None = None) -> dict:
    """Counts, central actors, communities, components, timeline and per-source counts.

    JSON-serialisable (lists, dicts, str, int, float, None), floats rounded to 6 places,
    every list in a fixed order, so the same graph always gives the same JSON. With
    ``limit``, the timeline holds only the most recent that many facts (``timeline_total``
    says how many are dated).
    """
    p = projection(graph)
    nodes, facts, cent = p.nodes, p.facts, p.centrality
    by_rank = sorted(cent, key=lambda n: (-cent[n]["pagerank"], n))
    classes = Counter(d["cls"] for d in nodes.values())
    return {
        "counts": {
            "nodes": len(nodes),
            "entities": sum(1 for d in nodes.values() if d["cls"] != COUNT_CLASS),
            "count_nodes": classes.get(COUNT_CLASS, 0),
            "facts": len(facts),
            "edges": sum(w for _u, _v, w in p.simple.edges(data="weight")),
            "literal_facts": sum(len(d["literal_facts"]) for d in nodes.values()),
            "articles": len(p.article_names),
        },
        "classes": dict(sorted(classes.items())),
        "modalities": dict(sorted(Counter(f.modality or "unknown" for f in facts).items())),
        "predicates": dict(sorted(Counter(f.predicate for f in facts).items())),
        "top_actors": [
            {"iri": n, "label": nodes[n]["label"], "pagerank": _round(cent[n]["pagerank"]), "degree": cent[n]["degree"]}
            for n in by_rank[:top]
        ],
        "centrality": {
            n: {"degree": c["degree"], "pagerank": _round(c["pagerank"]), "betweenness": _round(c["betweenness"])}
            for n, c in cent.items()
        },
        "communities": [list(c) for c in p.communities],
        "components": components(p.simple),
        "timeline": timeline(p, last=limit),
        "timeline_total": sum(1 for f in facts if f.date is not None),
        "facts_per_source": facts_per_source(p),
    }


# --- the analysis as a report and as triples -----------------------------------------

_MD_BEGIN = "<!-- kg analyze: begin -->"
_MD_END = "<!-- kg analyze: end -->"


def _decimal(x: float) -> str:
    return str(Decimal(f"{x:.6f}"))


def analysis_graph_triples(graph, T) -> Iterator[tuple]:
    """The network measures of every node, in a family of terms (kg/graph.py): the triples
    of the named graph :data:`kg.graph.ANALYSIS_GRAPH`.

    Per node of :func:`entity_graph`: ``kg:pageRank`` and ``kg:betweenness`` (``xsd:decimal``,
    6 places), ``kg:factCount`` (facts it is a party to, ``xsd:integer``) and
    ``kg:community`` (index of its community in :func:`communities`, 0 the largest). The
    graph node itself says what it is, so a query never mistakes a score for a fact read
    in an article.
    """
    p = projection(graph)
    cent = p.centrality
    g, v = T.instance("graph", "analysis"), T.v
    yield g, v(RDF.type), v(PROV.Entity)
    yield g, v(RDFS.label), T.lang("Network analysis of the extracted facts (not extracted facts)", "en")
    yield g, v(RDFS.label), T.lang("Analisis jaringan atas fakta yang diekstraksi (bukan fakta ekstraksi)", "id")
    for index, members in enumerate(p.communities):
        for n in members:
            yield T.iri(n), v(KG.community), T.integer(index)
    for n, c in cent.items():
        node = T.iri(n)
        yield node, v(KG.pageRank), T.typed(_decimal(c["pagerank"]), "decimal", canonical=False)  # six places
        yield node, v(KG.betweenness), T.typed(_decimal(c["betweenness"]), "decimal", canonical=False)
        yield node, v(KG.factCount), T.integer(c["degree"])


def analysis_triples(dataset) -> list[tuple]:
    """:func:`analysis_graph_triples` as rdflib quads in :data:`ANALYSIS_GRAPH`, sorted, so
    serialisations are stable.

    >>> from rdflib import Dataset
    >>> analysis_triples(Dataset())[0][3] == ANALYSIS_GRAPH
    True
    """
    from .graph import RdfTerms

    quads = [(*t, ANALYSIS_GRAPH) for t in analysis_graph_triples(dataset, RdfTerms())]
    return sorted(quads, key=lambda q: tuple(_term_key(t) for t in q))


def analyze(graph, *, path: tuple[str, str] | None = None, top: int = 10) -> dict:
    """:func:`summary` of ``graph`` plus, when ``path`` is (A, B), :func:`explain_path` from A to B.

    Returns ``{"analysis": summary, "path": explained path or None, "labels": IRI -> label,
    "articles": article IRI -> info}``; JSON-serialisable and deterministic.
    """
    p = projection(graph)
    explained = None
    if path is not None:
        explained = explain_path(p, *path)
    return {
        "analysis": summary(p, top=top),
        "path": explained,
        "labels": {n: d["label"] for n, d in p.nodes.items()},
        "classes": {n: d["cls"] for n, d in p.nodes.items()},
        "articles": article_info(p),
    }


def _md(text: object) -> str:
    """Like md_cell, with every run of white space made one space."""
    return md_cell(" ".join(str(text).split()))


def _path_lines(p: dict) -> list[str]:
    head = f"Path from {_md(p['from']['label'])} to {_md(p['to']['label'])}"
    if not p["steps"]:
        return [head + ": none (the two are not connected by any fact)."]
    lines = [f"{head} ({len(p['steps'])} fact{'s' if len(p['steps']) != 1 else ''}):", ""]
    for i, st in enumerate(p["steps"], 1):
        extra = ", ".join(x for x in (st["modality"] or "unknown modality", st["date"]) if x)
        via = ""
        if st.get("role"):
            via = f"; joins {_md(st['from_label'])} as `{st['role']}`" if st["from"] not in (st["subject"], st["object"]) \
                else f"; joins {_md(st['to_label'])} as `{st['role']}`"
        lines.append(f"{i}. {_md(st['subject_label'])} `{st['predicate']}` {_md(st['object_label'])} ({extra}{via})")
        for src in st["sources"]:
            where = _md(src["article_name"]) + (f" <{_md(src['url'])}>" if src.get("url") else "")
            span = f", chars {src['start']}-{src['end']}" if src["start"] is not None else ""
            lines.append(f"   - \"{_md(src['sentence'])}\" ({where}; rule {_md(src['rule'])}{span})")
    return lines


def _actor_lines(report: dict) -> list[str]:
    a = report["analysis"]
    classes = report.get("classes", {})
    lines = ["| # | entity | class | PageRank | betweenness | facts |", "|---|---|---|---|---|---|"]
    for i, t in enumerate(a["top_actors"], 1):
        c = a["centrality"][t["iri"]]
        lines.append(f"| {i} | {_md(t['label'])} | {_md(classes.get(t['iri'], ''))} | {t['pagerank']:.4f} | "
                     f"{c['betweenness']:.4f} | {t['degree']} |")
    return lines


def report_text(report: dict) -> str:
    """What `kg analyze` prints: counts, the central actors and, if asked, the explained path."""
    c = report["analysis"]["counts"]
    lines = [f"{c['entities']} entities, {c['count_nodes']} unnamed-party counts, {c['facts']} facts "
             f"from {c['articles']} articles.", "", "Central actors (PageRank):", ""]
    lines += _actor_lines(report)
    if report.get("path") is not None:
        lines += [""] + _path_lines(report["path"])
    return "\n".join(lines) + "\n"


def report_markdown(report: dict) -> str:
    """The analysis sections of report.md: actors, communities, components, path, timeline, sources."""
    a, labels, arts = report["analysis"], report.get("labels", {}), report.get("articles", {})

    def names(group: list[str]) -> str:
        return ", ".join(_md(labels.get(n, n)) for n in group)

    lines = [_MD_BEGIN, "## Analysis (kg analyze)", "", "### Central actors", ""]
    lines += _actor_lines(report)
    lines += ["", "### Communities (greedy modularity)", ""]
    lines += [f"{i}. {names(g)}" for i, g in enumerate(a["communities"], 1)] or ["None."]
    lines += ["", f"### Connected components: {len(a['components'])}", ""]
    lines += [f"{i}. {names(g)}" for i, g in enumerate(a["components"], 1)] or ["None."]
    if report.get("path") is not None:
        lines += ["", "### Path", ""] + _path_lines(report["path"])
    lines += ["", "### Timeline of dated facts", ""]
    if a["timeline"]:
        lines += ["| date | subject | relation | object | modality | source |", "|---|---|---|---|---|---|"]
        for t in a["timeline"]:
            src = arts.get(t["source"], {}).get("name", t["source"]) if t["source"] else ""
            lines.append(f"| {_md(t['date'])} | {_md(t['subject_label'])} | `{t['predicate']}` | "
                         f"{_md(t['object_label'])} | {t['modality']} | {_md(src)} |")
    else:
        lines.append("None.")
    lines += ["", "### Facts per source", "", "| source | facts |", "|---|---|"]
    lines += [f"| {_md(arts.get(art, {}).get('name', art))} | {n} |" for art, n in a["facts_per_source"].items()]
    lines += [_MD_END]
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir) -> list[Path]:
    """Write the analysis into ``out_dir``/report.json and report.md, keeping what else they hold.

    report.json gets (or has replaced) its ``analysis`` and ``path`` keys; report.md gets
    (or has replaced) the section between the ``kg analyze`` markers, so running this on a
    build folder updates the build report instead of overwriting it. Written atomically.
    """
    from .export import write_atomic

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: not a folder; --out takes a folder for report.json and report.md")
    js, md = out / "report.json", out / "report.md"
    data: dict = {}
    if js.exists():
        try:
            data = json.loads(js.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{js}: exists but is not a JSON report ({e}); move it away or pick another --out") from None
        if not isinstance(data, dict):
            raise InputError(f"{js}: exists but is not a JSON object; move it away or pick another --out")
    data["analysis"] = report["analysis"]
    data["path"] = report.get("path")
    section = report_markdown(report)
    text = md.read_text(encoding="utf-8") if md.exists() else "# Analysis report\n\n"
    if _MD_BEGIN in text and _MD_END in text:
        before, rest = text.split(_MD_BEGIN, 1)
        text = before + section.rstrip("\n") + rest.split(_MD_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    write_atomic(js, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    write_atomic(md, text)
    return [js, md]


def run_analysis(graph, *, path: tuple[str, str] | None = None, out_dir=None, top: int = 10) -> tuple[dict, list[Path]]:
    """The library form of `kg analyze`: :func:`analyze`, then :func:`write_report` if ``out_dir``.

    Returns the report and the files written.
    """
    report = analyze(graph, path=path, top=top)
    written = write_report(report, out_dir) if out_dir is not None else []
    return report, written
