"""Facts -> an RDF dataset: one named graph per article, a graph for entity descriptions.

IRIs are derived from content (entity ids, hashes of fact keys and evidence), never from
blank nodes or counters, so the same input gives the same graph. Facts are n-ary nodes
(rdf:subject/predicate/object plus qualifiers and provenance); asserted and reported facts
also get the plain triple. See docs/design.md.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Iterable, Iterator, Mapping

from rdflib import ConjunctiveGraph, Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from .extract import DocResult, Fact, Term
from .rules.pack import RulePack
from .vocab import ART, BASE, COUNT, ENT, EV, FACT, KG, MODALITIES, SCHEMA, STATUSES, TRUTHY_MODALITIES, WD, bind_prefixes

ENTITY_GRAPH = URIRef(BASE + "graph/entities")
# confidence, source counts and contradictions, computed across articles (kg/corroborate.py)
CORROBORATION_GRAPH = URIRef(BASE + "graph/corroboration")
COUNT_LABELS = {
    "Country": ("countries", "negara"),
    "Organization": ("organisations", "organisasi"),
    "Company": ("companies", "perusahaan"),
    "Person": ("people", "orang"),
    "WeaponSystem": ("systems", "sistem"),
}


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=4096)  # a rule pack's few hundred terms, asked for a few times per fact
def qname_to_iri(qname: str) -> URIRef:
    prefix, local = qname.split(":", 1)
    assert prefix == "kg", qname
    return KG[local]


@lru_cache(maxsize=65536)
def entity_iri(eid: str) -> URIRef:
    """ENT[eid], made once per entity (an entity is named in many facts and articles)."""
    return ENT[eid]


def term_node(t: Term):
    if t.kind == "entity":
        return entity_iri(t.value)
    if t.kind == "count":
        return COUNT[t.value]
    if t.kind == "iri":
        return qname_to_iri(t.value)
    if t.datatype in (None, "string"):
        return Literal(t.value)
    if t.datatype == "decimal":  # canonical form: "40" would come back from Turtle as 40.0
        return Literal(canonical_decimal(t.value), datatype=XSD.decimal)
    return Literal(t.value, datatype=XSD[t.datatype])


def canonical_decimal(text: str) -> str:
    """The canonical xsd:decimal lexical form, which every serialisation keeps unchanged.

    >>> [canonical_decimal(x) for x in ("40", "40.50", "-0", "0.25", "1e2")]
    ['40.0', '40.5', '0.0', '0.25', '100.0']
    """
    from decimal import Decimal

    s = format(Decimal(text).normalize(), "f")
    if s.startswith("-") and Decimal(s) == 0:
        s = s[1:]
    return s if "." in s else s + ".0"


# Qualifiers that change what a fact claims: two reports of one contract with different
# quantities, or of one deadline worded "by 1995" and "before the end of 1995", are two facts
# (kg/corroborate.py identity); the shapes allow one value of each per fact.
IDENTITY_QUALIFIERS = (("kg:quantity", "quantity"), ("kg:dateModifier", "dateModifier"), ("kg:datePeriod", "datePeriod"))


def fact_iri(f: Fact) -> URIRef:
    """The hash of subject, predicate, object, date, modality and, when given, the
    IDENTITY_QUALIFIERS."""
    s, p, o, date, modality = f.key
    extra = [f"{name}={t.value}" for prop, name in IDENTITY_QUALIFIERS if (t := f.qualifier(prop)) is not None]
    return FACT[_hash(s, p, o, date, modality, *extra)]


def article_iri(slug: str) -> URIRef:
    return ART[slug]


def _fact_triples(f: Fact) -> Iterable[tuple]:
    node = fact_iri(f)
    pred = qname_to_iri(f.predicate)
    s, o = term_node(f.subject), term_node(f.object)
    yield node, RDF.type, KG.Fact
    if f.type:
        yield node, RDF.type, qname_to_iri(f.type)
    yield node, RDF.subject, s
    yield node, RDF.predicate, pred
    yield node, RDF.object, o
    yield node, KG.modality, MODALITIES[f.modality]
    if f.status:
        yield node, KG.status, STATUSES[f.status]
    if f.cue:
        yield node, KG.cue, Literal(f.cue)
    for prop, t in f.qualifiers:
        yield node, qname_to_iri(prop), term_node(t)
    if f.modality in TRUTHY_MODALITIES:
        yield s, pred, o


def _evidence_triples(f: Fact, slug: str) -> Iterable[tuple]:
    node = fact_iri(f)
    for e in f.evidence:
        if e.article != slug:
            continue
        ev = EV[_hash(e.article, e.start, e.end, e.rule, f.key)]
        yield node, PROV.wasDerivedFrom, ev
        yield ev, RDF.type, KG.Evidence
        yield ev, KG.article, article_iri(e.article)
        yield ev, KG.sentence, Literal(e.sentence)
        yield ev, KG.sentenceIndex, Literal(e.sentence_index)
        yield ev, KG.startOffset, Literal(e.start)
        yield ev, KG.endOffset, Literal(e.end)
        yield ev, KG.rule, Literal(e.rule)
        yield ev, KG.section, Literal(e.section)


def _article_triples(r: DocResult) -> Iterable[tuple]:
    a = article_iri(r.doc.slug)
    meta = r.doc.meta
    yield a, RDF.type, KG.Article
    yield a, RDF.type, SCHEMA.NewsArticle
    yield a, KG.fileName, Literal(r.doc.path.replace("\\", "/").rsplit("/", 1)[-1])
    if meta.get("title"):
        yield a, DCTERMS.title, Literal(meta["title"])
    if meta.get("url"):
        yield a, DCTERMS.source, Literal(meta["url"], datatype=XSD.anyURI)
    if meta.get("date"):
        yield a, DCTERMS.date, _date_literal(meta["date"])
    if meta.get("language"):
        yield a, DCTERMS.language, Literal(meta["language"])
    if meta.get("publisher"):
        yield a, DCTERMS.publisher, Literal(meta["publisher"])
    for eid in r.mentions:
        yield a, SCHEMA.mentions, entity_iri(eid)


def _date_literal(text: str) -> Literal:
    import re

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return Literal(text, datatype=XSD.date)
    return Literal(text)


def _entity_triples(pack: RulePack, ids: set[str]) -> Iterable[tuple]:
    for eid in sorted(ids):
        e = pack.gazetteer.entities[eid]
        node = ENT[eid]
        yield node, RDF.type, KG[e.cls]
        for lang, label in sorted(e.labels.items()):
            yield node, RDFS.label, Literal(label, lang=lang)
        labels = set(e.labels.values())
        for alias in sorted(set(e.aliases) - labels):
            yield node, SKOS.altLabel, Literal(alias)
        if e.wikidata:
            yield node, OWL.sameAs, WD[e.wikidata]


def _count_triples(t: Term) -> Iterable[tuple]:
    n, cls = t.value.split("-", 1)
    node = COUNT[t.value]
    en, id_ = COUNT_LABELS.get(cls, (cls, cls))
    yield node, RDF.type, KG.UnnamedParties
    yield node, KG["count"], Literal(int(n))
    yield node, KG.partyClass, KG[cls]
    yield node, RDFS.label, Literal(f"{n} {en}", lang="en")
    yield node, RDFS.label, Literal(f"{n} {id_}", lang="id")


class Quads:
    """A dataset held as its quads (s, p, o, graph IRI) of rdflib terms, each once, in the
    order added: what a build makes, validates, analyses and writes.

    A build reads its dataset whole and never looks a triple up, so rdflib's Dataset, whose
    store indexes every triple three ways in every graph, was its largest cost: adding the
    250,000 quads of a 3 MB corpus took 8-11 s, and reading them back out again had to go
    graph by graph (:func:`dataset_quads`). The readers of kg (the writers in kg/export.py,
    kg/analysis.py, kg/validate.py, kg/iri.py) take a Quads wherever they take a Dataset;
    :meth:`to_dataset` gives an rdflib Dataset for anything else (rdflib's SPARQL, its
    serialisers). Prefixes are those :func:`kg.vocab.bind_prefixes` gives a Dataset.
    """

    def __init__(self, quads: Iterable[tuple] = (), namespaces: Mapping[str, str] | None = None):
        self._quads = dict.fromkeys(quads)
        self._namespaces = ({p: str(ns) for p, ns in dict(namespaces).items()} if namespaces is not None
                            else _default_namespaces())

    def add(self, quad: tuple) -> None:
        """Add (s, p, o, graph IRI) unless it is there already."""
        self._quads[quad] = None

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._quads)

    def __len__(self) -> int:
        return len(self._quads)

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        """(prefix, namespace IRI) pairs, as an rdflib graph's namespaces() gives them."""
        return ((prefix, URIRef(ns)) for prefix, ns in self._namespaces.items())

    def bind(self, prefix: str, namespace: str) -> None:
        """Bind prefix to namespace, replacing whatever either was bound to."""
        self._namespaces = {p: ns for p, ns in self._namespaces.items() if ns != str(namespace) and p != prefix}
        self._namespaces[prefix] = str(namespace)

    def to_dataset(self) -> Dataset:
        """The same quads and prefixes in an rdflib Dataset."""
        ds = Dataset()
        for prefix, ns in self._namespaces.items():
            ds.bind(prefix, ns, override=True, replace=True)
        graphs = {g: ds.graph(g) for g in dict.fromkeys(q[3] for q in self._quads)}
        ds.addN((s, p, o, graphs[g]) for s, p, o, g in self._quads)
        return ds


def _default_namespaces() -> dict[str, str]:
    ds = Dataset()
    bind_prefixes(ds)
    return {prefix: str(ns) for prefix, ns in ds.namespaces()}


def is_dataset(x) -> bool:
    """Whether x holds named graphs (an rdflib Dataset or ConjunctiveGraph, or Quads) rather
    than being one graph."""
    return isinstance(x, (ConjunctiveGraph, Quads))


def dataset_quads(ds) -> Iterable[tuple]:
    """(s, p, o, graph IRI) for every triple of every graph of Quads or an rdflib Dataset:
    for a Dataset, what ds.quads() gives, read graph by graph (2.3x faster: quads() looks
    up each triple's graphs). A ConjunctiveGraph is read through quads()."""
    if isinstance(ds, Quads):
        yield from ds
        return
    if not isinstance(ds, Dataset):
        for s, p, o, g in ds.quads((None, None, None, None)):
            yield s, p, o, getattr(g, "identifier", g)
        return
    for g in ds.graphs():
        name = g.identifier
        for s, p, o in g:
            yield s, p, o, name


def build_quads(results: Iterable[DocResult], pack: RulePack) -> Quads:
    """One named graph per article (facts, evidence, article metadata) and one for entities,
    in the results' order (deterministic; the writers sort)."""
    out = Quads()
    add = out.add
    entity_ids: set[str] = set()
    for r in results:
        g = article_iri(r.doc.slug)
        entity_ids.update(r.mentions)
        for t in _article_triples(r):
            add((*t, g))
        for f in r.facts:
            for term in (f.subject, f.object, *(t for _, t in f.qualifiers)):
                if term.kind == "entity":
                    entity_ids.add(term.value)
                elif term.kind == "count":
                    for t in _count_triples(term):
                        add((*t, ENTITY_GRAPH))
            for t in _fact_triples(f):
                add((*t, g))
            for t in _evidence_triples(f, r.doc.slug):
                add((*t, g))
    for t in _entity_triples(pack, entity_ids):
        add((*t, ENTITY_GRAPH))
    return out


def build_dataset(results: Iterable[DocResult], pack: RulePack) -> Dataset:
    """:func:`build_quads` as an rdflib Dataset."""
    return build_quads(results, pack).to_dataset()
