"""kg/jsonld.py writes graph.jsonld from the quads without rdflib's Converter walking a
Graph; the text must be byte-identical to what the Converter path wrote, on real builds and
on random datasets made from the context's terms (blank nodes and rdf:Lists included, which
the writer hands back to rdflib graph by graph)."""

from __future__ import annotations

import json
import string
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from rdflib import BNode, Dataset, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.export import _stable, jsonld_context, serialize_jsonld
from kg.graph import dataset_quads
from kg.jsonld import jsonld_document

from conftest import EXAMPLES

KG = Namespace("https://w3id.org/defcoop/ontology#")
ENT = Namespace("https://w3id.org/defcoop/id/")
ART = Namespace("https://w3id.org/defcoop/article/")
FACT = Namespace("https://w3id.org/defcoop/fact/")
DCT = Namespace("http://purl.org/dc/terms/")
SCHEMA = Namespace("http://schema.org/")
ELSEWHERE = Namespace("http://elsewhere.example/")


def rdflib_document(ds: Dataset, context: dict) -> dict:
    """The Converter path kg/export.py used before kg/jsonld.py: the reference."""
    from rdflib.plugins.serializers.jsonld import Converter
    from rdflib.plugins.shared.jsonld.context import Context

    ctx = Context(context)
    converter = Converter(ctx, use_native_types=False, use_rdf_type=False)
    objs = []
    default_nodes = []
    for g in sorted(ds.graphs(), key=lambda g: str(g.identifier)):
        if g.identifier == DATASET_DEFAULT_GRAPH_ID or not isinstance(g.identifier, URIRef):
            default_nodes += converter.from_graph(g)
            continue
        nodes = converter.from_graph(g)
        if nodes:
            objs.append({ctx.id_key: ctx.shrink_iri(g.identifier), ctx.graph_key: nodes})
    if default_nodes:
        objs.insert(0, default_nodes[0] if len(default_nodes) == 1 else {ctx.graph_key: default_nodes})
    doc = objs[0] if len(objs) == 1 else {ctx.get_key("@graph"): objs}
    doc["@context"] = context
    return doc


def as_text(doc: dict) -> str:
    """What serialize_jsonld writes for a document."""
    doc = json.loads(json.dumps(doc))
    return json.dumps(_stable(doc), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def rdflib_text(ds: Dataset) -> str:
    return as_text(rdflib_document(ds, jsonld_context(ds)))


def dataset(quads) -> Dataset:
    """The quads added in order (rdflib's Converter meets a subject's values in that order)."""
    ds = Dataset()
    for s, p, o, g in quads:
        ds.graph(g).add((s, p, o))
    return ds


# --- real builds ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_results(pack):
    from kg.build import extract_all

    results, _ = extract_all([EXAMPLES], pack, keep_text=False)
    return results


@pytest.mark.parametrize("base_iri", [None, "https://example.org/x/"])
def test_example_build_is_written_as_rdflib_wrote_it(example_results, pack, base_iri):
    from kg.build import assemble_dataset

    ds = assemble_dataset(example_results, pack, base_iri=base_iri)
    text = serialize_jsonld(ds)
    assert text == rdflib_text(ds)
    if base_iri:
        assert '"ent:' in text and base_iri + "id/" in text


# --- chosen cases -----------------------------------------------------------------------


def test_default_graph_given_as_none_is_the_default_graph():
    s, g = ENT.A, ART.a
    quads = [(s, RDFS.label, Literal("A"), None), (s, KG.supplier, ENT.B, g)]
    ds = dataset([(s, RDFS.label, Literal("A"), DATASET_DEFAULT_GRAPH_ID), (s, KG.supplier, ENT.B, g)])
    context = jsonld_context()
    assert as_text(jsonld_document(quads, context)) == as_text(rdflib_document(ds, context))


def test_lists_and_blank_nodes_go_through_rdflib():
    ds = Dataset()
    g = ds.graph(ART.lists)
    head, node = BNode(), BNode()
    Collection(g, head, [ENT.A, Literal("two"), Literal(3)])
    g.add((FACT.f1, KG.covers, head))
    g.add((FACT.f1, KG.cue, node))
    g.add((node, RDFS.label, Literal("inner")))
    g.add((FACT.f2, KG.cue, RDF.nil))
    ds.graph(ART.plain).add((ENT.A, RDFS.label, Literal("A")))
    ds.default_graph.add((BNode(), KG.date, Literal("2024")))
    assert serialize_jsonld(ds) == rdflib_text(ds)


def test_falsy_first_values_are_dropped_as_rdflib_drops_them():
    """rdflib replaces a first value of "" or 0 with the next one instead of making a list;
    the writer hands such a graph to rdflib, in the order the quads came."""
    cases = [
        (KG.note, [Literal(0), Literal(5)]),
        (KG.note, [Literal(5), Literal(0)]),
        (RDFS.label, [Literal(""), Literal("x")]),
        (KG.quantity, [Literal(0), Literal(5)]),
        (KG.statedOn, [Literal("", datatype=XSD.date), Literal("2024-05-01", datatype=XSD.date)]),
    ]
    for predicate, values in cases:
        quads = [(ENT.A, predicate, v, ART.a) for v in values]
        context = jsonld_context()
        assert as_text(jsonld_document(quads, context)) == as_text(rdflib_document(dataset(quads), context))


# --- random datasets from the context's terms -------------------------------------------

ID_PREDICATES = [KG.supplier, KG.location, OWL.sameAs, RDF.subject, SCHEMA.mentions]
INTEGER_PREDICATES = [KG.quantity, KG.startOffset, KG["count"]]
PLAIN_PREDICATES = [RDFS.label, KG.date, DCT.title, KG.cue, RDF.object]
TERMLESS_PREDICATES = [KG.note, DCT.extent, ELSEWHERE.p, URIRef("urn:x:predicate")]
PREDICATES = ID_PREDICATES + INTEGER_PREDICATES + PLAIN_PREDICATES + TERMLESS_PREDICATES + [
    KG.statedOn, KG.forecastMarketShare, RDF.type,
]
LIST_PREDICATES = [RDF.first, RDF.rest]
IRIS = [ENT.A, ENT.B, ENT["C-2"], FACT.f1, ART.a, KG.Organisation, ELSEWHERE.thing, URIRef("urn:x:y"), ENT[""]]
GRAPHS = [DATASET_DEFAULT_GRAPH_ID, BNode("g0"), ART.a, ART.b, URIRef("https://w3id.org/defcoop/graph/entities"), ELSEWHERE.g]

texts = st.text(alphabet=st.sampled_from(list(string.ascii_letters) + [" ", '"', "\\", "\n", "\t", "é", "ж", "\u2028", "🛰"]), max_size=12)
typed = st.one_of(
    st.integers(-3, 10**20).map(lambda n: Literal(n)),
    st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(lambda d: Literal(d)),
    st.decimals(Decimal(-100), Decimal(100), places=2).map(lambda d: Literal(d, datatype=XSD.decimal)),
    st.booleans().map(lambda b: Literal(b)),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: Literal(f, datatype=XSD.double)),
    texts.map(lambda t: Literal(t, datatype=XSD.string)),
    st.sampled_from(["abc", "2024-13-45", "1.5"]).map(lambda t: Literal(t, datatype=XSD.integer)),
    st.sampled_from(["2024", "May 2024"]).map(lambda t: Literal(t, datatype=XSD.date)),
    texts.map(lambda t: Literal(t, datatype=XSD.gYear)),
)
literals = st.one_of(
    texts.map(Literal),
    st.tuples(texts, st.sampled_from(["en", "id", "en-GB"])).map(lambda t: Literal(t[0], lang=t[1])),
    typed,
)
blank_nodes = st.sampled_from([BNode("b1"), BNode("b2")])
subjects = st.one_of(st.sampled_from(IRIS), blank_nodes)
objects = st.one_of(st.sampled_from(IRIS), literals, st.just(RDF.nil), blank_nodes)
quads = st.lists(
    st.tuples(subjects, st.sampled_from(PREDICATES + LIST_PREDICATES), objects, st.sampled_from(GRAPHS)),
    max_size=25,
    unique_by=lambda q: q[:3],
)


def falsy(term) -> bool:
    return isinstance(term, Literal) and not (term and str(term) and term.toPython())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quads)
def test_random_datasets_are_written_as_rdflib_writes_them(quads):
    ds = dataset(quads)
    context = jsonld_context()
    assert as_text(jsonld_document(quads, context)) == as_text(rdflib_document(ds, context))
    if not any(falsy(q[2]) for q in quads):  # else rdflib's output depends on insertion order
        assert as_text(jsonld_document(dataset_quads(ds), context)) == as_text(rdflib_document(ds, context))


@settings(max_examples=200, deadline=None)
@given(st.lists(
    st.tuples(st.sampled_from(IRIS), st.sampled_from(PREDICATES), st.one_of(st.sampled_from(IRIS), literals), st.sampled_from(GRAPHS)),
    max_size=25,
    unique_by=lambda q: q[:3],
))
def test_random_datasets_without_blank_nodes_are_written_as_rdflib_writes_them(quads):
    ds = dataset(quads)
    if not any(falsy(q[2]) for q in quads):
        assert serialize_jsonld(ds) == rdflib_text(ds)
    context = jsonld_context()
    assert as_text(jsonld_document(quads, context)) == as_text(rdflib_document(ds, context))


# one writer for every example, as a build's worker keeps one for thousands of graphs: what it
# remembers of one graph (keys and value texts by predicate and object) must hold in the next
_CHUNKS = None


def _chunks():
    global _CHUNKS
    if _CHUNKS is None:
        from kg.export import GraphChunks, context_for_base, prefixes_for_base

        _CHUNKS = GraphChunks(prefixes_for_base(None), context_for_base(None))
    return _CHUNKS


@settings(max_examples=300, deadline=None)
@given(st.lists(
    st.tuples(st.sampled_from(IRIS), st.sampled_from(PREDICATES), st.one_of(st.sampled_from(IRIS), literals)),
    max_size=25,
    unique_by=lambda t: t,
))
def test_a_build_piece_of_json_ld_is_the_graph_object_made_from_node_dicts(triples):
    """GraphChunks.pieces writes each node's JSON text from remembered value texts
    (JsonLdWriter.node_text); it must be the text of the node dicts (JsonLdWriter.nodes,
    itself checked against rdflib above), and a graph node_text cannot write (a falsy value
    among several) goes the dict way."""
    from kg.graph import Lit
    from kg.jsonld import _plain

    def build_term(t):  # as a build makes it (kg/graph.py PlainTerms): a string has no datatype
        t = _plain(t)
        return Lit(t.lexical, None, None) if type(t) is Lit and t.datatype == str(XSD.string) else t

    plain = list(dict.fromkeys(tuple(map(build_term, t)) for t in triples))
    chunks = _chunks()
    piece = chunks.pieces(str(ART.a), plain)[3]
    assert piece == chunks.jsonld(str(ART.a), plain)
    if plain:
        assert json.loads(piece)["@graph"]
