"""Compacted JSON-LD made straight from triples, one named graph at a time.

rdflib's JSON-LD `Converter` is the slowest of the writers: about 25-50 µs a triple, spent
asking the store about every subject and object (`graph.subjects`, `predicate_objects`,
`graph.value(o, RDF.first)`) and choosing a term for every triple again. For a graph of
IRIs and literals the answers depend only on the predicate and the object's kind, datatype
and language, so :class:`JsonLdWriter` makes the nodes that
`Converter(Context(context), use_native_types=False, use_rdf_type=False)` makes of one
graph by deciding each such combination once, with rdflib's own `Context`, and reusing the
decision.

The writer reads triples of plain terms (kg/graph.py :class:`~kg.graph.PlainTerms`: an IRI
is its ``str``, a literal a :class:`~kg.graph.Lit`), which a build makes for every article
without an rdflib object per term. :func:`jsonld_document` gives the document of a whole
dataset of rdflib terms (``kg export``), converting each graph's terms first.

The fast path covers graphs whose subjects are IRIs and whose objects are IRIs or literals:
term selection by @type / @language coercion, @id and @vocab coercion, rdf:type as "@type",
native JSON values for xsd:boolean / integer / double / string (rdflib turns these on
whenever a context is active), and one value versus a list of values. Anything else in a
graph (blank nodes, rdf:List structures, rdf:nil objects, terms with a @container, keys
that clash, a falsy value among several, which rdflib keeps or drops depending on store
order) sends that graph alone through rdflib's `Converter`, so the output never depends
on the fast path covering everything.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF
from rdflib.plugins.serializers.jsonld import PLAIN_LITERAL_TYPES, Converter
from rdflib.plugins.shared.jsonld.context import UNDEF, Context
from rdflib.plugins.shared.jsonld.keys import ID, VOCAB

from .graph import Lit, to_rdflib

_LIST_PREDICATES = (str(RDF.first), str(RDF.rest))
_RDF_TYPE, _RDF_NIL = str(RDF.type), str(RDF.nil)
_NATIVE = frozenset(str(t) for t in PLAIN_LITERAL_TYPES)
# a node's JSON text, as graph.jsonld holds it (kg/export.py GraphChunks)
JSON_TEXT = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_MEMO = 65536  # IRIs a writer remembers how it wrote (entities, classes and predicates come back)


class _Unsupported(Exception):
    """The graph holds something the fast path does not model."""


def jsonld_document(quads: Iterable[tuple], context: dict) -> dict:
    """The document rdflib's Converter makes of these quads (rdflib terms), one graph at a
    time; the nodes of graphs not named by an IRI (the default graph, None, blank-node names)
    go together at the top."""
    writer = JsonLdWriter(context)
    ctx = writer.ctx
    named, unnamed = _graphs(quads)
    objs = []
    for name in sorted(named, key=str):
        nodes = writer.rdflib_nodes(named[name])
        if nodes:
            objs.append({ctx.id_key: ctx.shrink_iri(name), ctx.graph_key: nodes})
    default_nodes = [node for name in sorted(unnamed, key=str) for node in writer.rdflib_nodes(unnamed[name])]
    if default_nodes:
        objs.insert(0, default_nodes[0] if len(default_nodes) == 1 else {ctx.graph_key: default_nodes})
    doc = objs[0] if len(objs) == 1 else {ctx.get_key("@graph"): objs}
    doc["@context"] = context
    return doc


def _graphs(quads: Iterable[tuple]) -> tuple[dict, dict]:
    """Each graph's distinct triples in the order given, split into graphs named by an IRI
    and the rest (the default graph, None, blank-node names)."""
    graphs: dict[Any, dict] = {}
    for s, p, o, g in quads:
        triples = graphs.get(g)
        if triples is None:
            triples = graphs[g] = {}
        triples[(s, p, o)] = None
    named, unnamed = {}, {}
    for g, triples in graphs.items():
        if _is_named(g):
            named[g] = triples
        else:
            unnamed.setdefault(DATASET_DEFAULT_GRAPH_ID if g is None else g, {}).update(triples)
    return named, unnamed


def _is_named(g) -> bool:
    return isinstance(g, URIRef) and g != DATASET_DEFAULT_GRAPH_ID


def _plain(t):
    """An rdflib term as a plain term; a blank node is not modelled."""
    if isinstance(t, Literal):
        return Lit(str(t), str(t.datatype) if t.datatype is not None else None, t.language)
    if isinstance(t, URIRef):
        return str(t)
    raise _Unsupported


class JsonLdWriter:
    """Converts graphs with one Context, remembering each predicate's key and coercion."""

    def __init__(self, context: dict):
        ctx = self.ctx = Context(context)
        self.id_key = ctx.id_key
        self.converter = Converter(ctx, use_native_types=False, use_rdf_type=False)
        self.native_types = self.converter.use_native_types
        self.literal_rules: dict[tuple, tuple[str, Callable]] = {}
        self.iri_rules: dict[Any, tuple[str, Callable]] = {}
        self.shrunk: dict[Any, str] = {}
        self.symbols: dict[Any, str] = {}
        self.object_ids: dict[Any, str] = {}
        self.pair_texts: dict[str, dict] = {}  # predicate -> object (both N-Triples) -> (key, value as JSON, truth, key as JSON + ": ")

    def graph_object(self, name: str, triples: Iterable[tuple]) -> dict | None:
        """``{"@id": name, "@graph": nodes}`` of a named graph's plain-term triples, or None
        when it has none."""
        nodes = self.nodes(triples)
        return {self.id_key: self._shrink(name), self.ctx.graph_key: nodes} if nodes else None

    def nodes(self, triples: Iterable[tuple]) -> list[dict]:
        """The node objects of a graph's plain-term triples (each once)."""
        triples = list(triples)
        try:
            return self._fast_nodes(triples)
        except _Unsupported:
            return self._converter_nodes((_rdflib(s), _rdflib(p), _rdflib(o)) for s, p, o in triples)

    def rdflib_nodes(self, triples: Iterable[tuple]) -> list[dict]:
        """The node objects of a graph's rdflib triples."""
        triples = list(triples)
        try:
            return self._fast_nodes([(_plain(s), _plain(p), _plain(o)) for s, p, o in triples])
        except _Unsupported:
            return self._converter_nodes(triples)

    def _converter_nodes(self, triples: Iterable[tuple]) -> list[dict]:
        graph = Graph()
        for t in triples:
            graph.add(t)
        return self.converter.from_graph(graph)

    def _fast_nodes(self, triples: Iterable[tuple]) -> list[dict]:
        by_subject: dict[str, list[tuple]] = {}
        for s, p, o in triples:
            if type(s) is not str:
                raise _Unsupported
            pairs = by_subject.get(s)
            if pairs is None:
                pairs = by_subject[s] = []
            pairs.append((p, o))
        return self._subject_nodes({s: self._properties(pairs) for s, pairs in by_subject.items()})

    def node_text(self, s: str, rows: Iterable[tuple]) -> str:
        """The node object of subject ``s`` (an IRI), as :meth:`nodes` makes it, as JSON text:
        ``JSON_TEXT(node)`` once every list in it is sorted by the
        JSON text of its values. ``rows``: (predicate, object as N-Triples, predicate,
        object) of the subject, as kg/export.py GraphChunks has them. Each pair's key and value
        text are made once and remembered by predicate and object text (entities, classes and
        counts come back), so a node costs a join of remembered texts rather than building
        dicts to encode them again. Raises _Unsupported where the fast path does not model the
        graph (then hand the graph's triples to :meth:`nodes`)."""
        texts = self.pair_texts
        by_key: dict[str, list] = {}
        for p_nt, o_nt, p, o in rows:
            of_p = texts.get(p_nt)
            if of_p is None:
                of_p = texts[p_nt] = {}
            hit = of_p.get(o_nt)
            if hit is None:
                if len(of_p) >= _MEMO:
                    of_p.clear()
                key, make = self._rule(p, o)
                value = make(o)
                hit = of_p[o_nt] = (key, JSON_TEXT(value), bool(value), f"{JSON_TEXT(key)}: ")
            got = by_key.get(hit[0])
            if got is None:
                by_key[hit[0]] = [hit]
            else:
                got.append(hit)
        items = [(self.id_key, f"{JSON_TEXT(self.id_key)}: {JSON_TEXT(self._shrink(s))}")]
        for key, hits in by_key.items():
            if len(hits) == 1:
                items.append((key, hits[0][3] + hits[0][1]))
            elif all(h[2] for h in hits):
                items.append((key, hits[0][3] + "[" + ", ".join(sorted([h[1] for h in hits])) + "]"))
            else:
                raise _Unsupported  # as _several
        items.sort()
        return "{" + ", ".join([v for _k, v in items]) + "}"

    def _rule(self, p, o) -> tuple[str, Callable]:
        """(key, object -> value) of a predicate and an object of its kind, decided once."""
        if type(p) is not str:
            raise _Unsupported
        if type(o) is str:
            rule = self.iri_rules.get(p)
            if rule is None:
                rule = self.iri_rules[p] = self._iri_rule(p)
            return rule
        if type(o) is Lit:
            rule_key = (p, o[1], o[2])
            rule = self.literal_rules.get(rule_key)
            if rule is None:
                rule = self.literal_rules[rule_key] = self._literal_rule(p, o[1], o[2])
            return rule
        raise _Unsupported

    def _properties(self, pairs: Iterable[tuple]) -> dict[str, list]:
        props: dict[str, list] = {}
        rule_of = self._rule
        for p, o in pairs:
            key, make = rule_of(p, o)
            values = props.get(key)
            if values is None:
                props[key] = [make(o)]
            else:
                values.append(make(o))
        return props

    def _subject_nodes(self, subjects: dict[str, dict[str, list]]) -> list[dict]:
        nodes: dict[str, dict] = {}
        id_key = self.id_key
        for s, props in subjects.items():
            node_id = self._shrink(s)
            if node_id in nodes:
                raise _Unsupported  # rdflib keeps whichever IRI it meets first
            node = {id_key: node_id}
            for key, values in props.items():
                node[key] = values[0] if len(values) == 1 else _several(values)
            nodes[node_id] = node
        return list(nodes.values())

    def _literal_rule(self, p: str, datatype: str | None, language: str | None) -> tuple[str, Callable]:
        """(key, literal -> value): Converter.add_to_node for a literal."""
        ctx = self.ctx
        self._check_predicate(p)
        term = ctx.find_term(p, datatype, language=language)
        if not term:
            return self._termless_key(p), self._literal_value
        self._check_term(term)
        if term.type:
            coerced = term.type == ID or datatype == term.type
            return term.name, (_coerced if coerced else self._literal_value)
        if term.language and language == term.language:
            return term.name, _lexical
        if ctx.language and term.language is None and language is None:
            return term.name, _lexical
        return term.name, self._literal_value

    def _iri_rule(self, p: str) -> tuple[str, Callable]:
        """(key, IRI -> value): Converter.add_to_node for an IRI that heads no rdf:List."""
        ctx = self.ctx
        self._check_predicate(p)
        term = None
        for coercion in (ID, VOCAB, UNDEF):
            term = ctx.find_term(p, coercion, None)
            if term:
                break
        if not term:
            key = self._termless_key(p)
            rdf_type = p == _RDF_TYPE and not self.converter.use_rdf_type
            return key, (self._symbol if rdf_type else self._id_node)
        self._check_term(term)
        if term.type == ID:
            return term.name, self._shrink
        if term.type == VOCAB:
            return term.name, self._symbol
        if not term.type and (term.language or (ctx.language and term.language is None)):
            raise _Unsupported  # rdflib reads o.language of an IRI here and fails
        return term.name, self._id_node

    def _termless_key(self, p: str) -> str:
        key = self.ctx.to_symbol(p)
        key_term = self.ctx.terms.get(key)
        if key_term and (key_term.type or key_term.container):
            raise _Unsupported  # rdflib keys the value by the URIRef itself
        if p == _RDF_TYPE and not self.converter.use_rdf_type:
            key = self.ctx.type_key
        if key == self.id_key:
            raise _Unsupported
        return key

    def _check_predicate(self, p: str) -> None:
        if p in _LIST_PREDICATES:
            raise _Unsupported

    def _check_term(self, term) -> None:
        if term.container or term.name == self.id_key:
            raise _Unsupported

    def _literal_value(self, o: Lit):
        """Converter.to_raw_value for a literal."""
        ctx = self.ctx
        native = self.native_types and o.datatype in _NATIVE
        v = _to_python(o.lexical, o.datatype) if native else o.lexical
        if o.datatype:
            if native and ctx.active:
                return v
            return {ctx.type_key: self._symbol(o.datatype), ctx.value_key: v}
        if o.lang and o.lang != ctx.language:
            return {ctx.lang_key: o.lang, ctx.value_key: v}
        if not ctx.active or ctx.language and not o.lang:
            return {ctx.value_key: v}
        return v

    def _shrink(self, iri: str) -> str:
        out = self.shrunk.get(iri)
        if out is None:
            if len(self.shrunk) >= _MEMO:  # a build's writer lives for thousands of graphs: fact IRIs come once
                self.shrunk.clear()
                self.object_ids.clear()
            out = self.shrunk[iri] = self.ctx.shrink_iri(iri)
        return out

    def _symbol(self, iri: str) -> str:
        out = self.symbols.get(iri)
        if out is None:
            out = self.symbols[iri] = self.ctx.to_symbol(iri)
        return out

    def _id_node(self, iri: str) -> dict:
        node_id = self.object_ids.get(iri)
        if node_id is None:
            if iri == _RDF_NIL:
                raise _Unsupported  # rdflib writes rdf:nil as an empty @list
            node_id = self.object_ids[iri] = self._shrink(iri)
        return {self.id_key: node_id}


@lru_cache(maxsize=16384)  # offsets, indices and counts come back often
def _to_python(lexical: str, datatype: str):
    """The JSON value rdflib gives a literal of a native type (its toPython: an int, a bool, a
    float, or the text itself when the lexical form is not one of its datatype)."""
    value = Literal(lexical, datatype=URIRef(datatype)).toPython()
    return str(value) if isinstance(value, Literal) else value


def _rdflib(t):
    """A plain term as an rdflib term (for the Converter path)."""
    if isinstance(t, (URIRef, Literal, BNode)):
        return t
    return to_rdflib(t)


def _lexical(o: Lit) -> str:
    return o.lexical


class _Falsy(str):
    """A coerced value whose literal is false in rdflib's eyes (0, "", false): rdflib's
    Converter replaces such a first value instead of making a list, so _several must see
    it as false although its text is not empty."""

    def __bool__(self) -> bool:
        return False


def _coerced(o: Lit) -> str:
    """A literal whose term coerces its datatype: its text (rdflib writes the Literal itself)."""
    return o.lexical if _truth(o.lexical, o.datatype, o.lang) else _Falsy(o.lexical)


@lru_cache(maxsize=16384)
def _truth(lexical: str, datatype: str | None, lang: str | None) -> bool:
    """bool() of the rdflib Literal: of its value when it has one (0 and false are false)."""
    return bool(to_rdflib(Lit(lexical, datatype, lang)))


def _several(values: list) -> list:
    if not all(values):
        raise _Unsupported  # rdflib replaces a falsy first value instead of appending to it
    return values
