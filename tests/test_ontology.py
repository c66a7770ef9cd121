"""The ontology layer: ontology/defcoop.ttl, ontology/shapes.ttl and ontology/context.jsonld.

These tests read only the files under ontology/ and docs/design.md, so they do not depend on
the kg package.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

ROOT = Path(__file__).parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY = ONTOLOGY_DIR / "defcoop.ttl"
SHAPES = ONTOLOGY_DIR / "shapes.ttl"
CONTEXT = ONTOLOGY_DIR / "context.jsonld"
DESIGN = ROOT / "docs" / "design.md"

KG = Namespace("https://w3id.org/defcoop/ontology#")
SCHEMA = Namespace("http://schema.org/")
ONTOLOGY_IRI = URIRef("https://w3id.org/defcoop/ontology")

DECLARATION_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.NamedIndividual,
    RDF.Property,
    SKOS.Concept,
    SKOS.ConceptScheme,
)

MODALITIES = ["Asserted", "ReportedSpeech", "Planned", "Speculated", "ReaderComment", "Negated"]
STATUSES = ["Signed", "InForce", "InProgress", "Enacted", "Delivered", "Completed", "Cancelled", "Threatened"]
POSITIONS = ["directorOf", "defenceMinisterOf", "presidentOf", "ambassadorTo", "ministerOf", "chiefOf"]
DATATYPE_RELATIONS = {
    "totalMTCAgreements": XSD.integer,
    "armsExporterRank": XSD.integer,
    "forecastMarketShare": XSD.decimal,
    "forecastGrowthFactor": XSD.decimal,
}

PREFIXES = """\
@prefix kg: <https://w3id.org/defcoop/ontology#> .
@prefix ent: <https://w3id.org/defcoop/id/> .
@prefix fact: <https://w3id.org/defcoop/fact/> .
@prefix ev: <https://w3id.org/defcoop/evidence/> .
@prefix art: <https://w3id.org/defcoop/article/> .
@prefix count: <https://w3id.org/defcoop/count/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# A small graph in the form docs/design.md describes; it must conform to the shapes.
CONFORMING = PREFIXES + """\
ent:Russia a kg:Country ; rdfs:label "Russia"@en , "Rusia"@id ;
    owl:sameAs <http://www.wikidata.org/entity/Q159> .
ent:Belousov a kg:Person ; rdfs:label "Andrey Belousov"@en , "Andrey Belousov"@id .
count:8-Country a kg:UnnamedParties ; kg:count 8 ; kg:partyClass kg:Country ;
    rdfs:label "8 countries"@en .

fact:00000000000000aa a kg:Fact , kg:Agreement ;
    rdf:subject ent:Russia ; rdf:predicate kg:signedMTCAgreementWith ; rdf:object count:8-Country ;
    kg:modality kg:ReportedSpeech ; kg:cue "ujar" ; kg:status kg:InForce ; kg:speaker ent:Belousov ;
    prov:wasDerivedFrom ev:00000000000000aa .
ent:Russia kg:signedMTCAgreementWith count:8-Country .

fact:00000000000000bb a kg:Agreement ;
    rdf:subject ent:Russia ; rdf:predicate kg:signedMTCAgreementWith ; rdf:object count:8-Country ;
    kg:modality kg:Planned ; kg:cue "direncanakan" ;
    kg:date "2026"^^xsd:gYear ; kg:dateText "akhir tahun 2026" ; kg:dateModifier "before" ;
    kg:datePeriod "end of"^^xsd:string ;
    prov:wasDerivedFrom ev:00000000000000aa , ev:00000000000000bb .

fact:00000000000000cc a kg:Fact , kg:Count ;
    rdf:subject ent:Russia ; rdf:predicate kg:totalMTCAgreements ; rdf:object 14 ;
    kg:modality kg:Asserted ; kg:quantity 14 ; kg:date "2023-10-19"^^xsd:date ;
    kg:statedOn "2023-10-19"^^xsd:date ;
    prov:wasDerivedFrom ev:00000000000000bb .

ev:00000000000000aa a kg:Evidence ; kg:article art:seed-1 ;
    kg:sentence "Rusia telah menandatangani dokumen kerja sama militer-teknis dengan delapan negara." ;
    kg:startOffset 120 ; kg:endOffset 201 ; kg:sentenceIndex 4 ; kg:rule "mtc.signed_with" ;
    kg:section "body" .
ev:00000000000000bb a kg:Evidence ; kg:article art:seed-1 ;
    kg:sentence "Totalnya empat belas negara." ;
    kg:startOffset 202 ; kg:endOffset 230 ; kg:sentenceIndex 5 ;
    kg:rule "mtc.total"^^xsd:string ; kg:section "comment"^^xsd:string .

art:seed-1 a kg:Article , schema:NewsArticle ; dcterms:title "Rusia dan kerja sama militer-teknis" ;
    dcterms:source <https://example.org/news/1> ; dcterms:date "2023-10-20"^^xsd:date ;
    dcterms:language "id" ; dcterms:publisher "Example News" ; kg:fileName "seed-1.txt" ;
    schema:mentions ent:Russia , ent:Belousov .
"""

FACT_A = URIRef("https://w3id.org/defcoop/fact/00000000000000aa")
FACT_B = URIRef("https://w3id.org/defcoop/fact/00000000000000bb")
EV_A = URIRef("https://w3id.org/defcoop/evidence/00000000000000aa")


# ---------------------------------------------------------------------------
# fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.fixture(scope="module")
def context() -> dict:
    return json.loads(CONTEXT.read_text(encoding="utf-8"))


def conforming_graph() -> Graph:
    return Graph().parse(data=CONFORMING, format="turtle")


def kg_terms(graph: Graph) -> set[URIRef]:
    """Every IRI in the kg: namespace that the graph declares with one of DECLARATION_TYPES."""
    return {
        s
        for t in DECLARATION_TYPES
        for s in graph.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(str(KG))
    }


def design_terms() -> list[str]:
    """Every kg: term docs/design.md names, in order of first appearance."""
    return list(dict.fromkeys(re.findall(r"kg:([A-Za-z]+)", DESIGN.read_text(encoding="utf-8"))))


def design_relations() -> list[str]:
    """The predicates of the relations table of docs/design.md."""
    text = DESIGN.read_text(encoding="utf-8")
    table = text.split("## Relations", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in table.splitlines():
        if line.startswith("| `kg:"):
            first_cell = line.split("|")[1]
            names += re.findall(r"kg:([A-Za-z]+)", first_cell)
    return [n for n in names if n != "holdsPosition"]


def validate(data: Graph, shapes: Graph, **kwargs) -> tuple[bool, Graph, str]:
    from pyshacl import validate as shacl_validate

    conforms, results, text = shacl_validate(data, shacl_graph=shapes, **kwargs)
    return conforms, results, text


def violations(results: Graph) -> set[tuple[URIRef, URIRef, URIRef]]:
    """(focus node, result path, constraint component) of every result in a report graph."""
    return {
        (
            results.value(r, SH.focusNode),
            results.value(r, SH.resultPath),
            results.value(r, SH.sourceConstraintComponent),
        )
        for r in results.subjects(RDF.type, SH.ValidationResult)
    }


def list_values(graph: Graph, shape: URIRef, constraint: URIRef) -> set:
    head = graph.value(shape, constraint)
    assert head is not None, f"{shape} has no {constraint}"
    return set(graph.items(head))


# ---------------------------------------------------------------------------
# the ontology
# ---------------------------------------------------------------------------


def test_ontology_parses_with_rdflib(ontology):
    assert len(ontology) > 500
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology


def test_ontology_parses_with_oxigraph(ontology):
    quads = list(pyoxigraph.parse(path=str(ONTOLOGY), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(ontology)


def test_ontology_has_no_blank_nodes(ontology):
    blank = [t for t in ontology if any(isinstance(n, BNode) for n in t)]
    assert blank == []


def test_ontology_header(ontology):
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef("https://w3id.org/defcoop/ontology/0.1.0")
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.creator) == Literal("defcoop-kg developers")
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.created) == Literal("2026-11-23", datatype=XSD.date)
    for prop in (DCTERMS.title, DCTERMS.description):
        langs = {o.language for o in ontology.objects(ONTOLOGY_IRI, prop)}
        assert langs == {"en", "id"}, prop
    assert not list(ontology.objects(ONTOLOGY_IRI, OWL.imports)), "owl:imports would need the network"


def test_every_term_has_label_and_comment_in_english_and_indonesian(ontology):
    terms = kg_terms(ontology)
    assert len(terms) > 90
    missing = []
    for term in sorted(terms):
        for prop in (RDFS.label, RDFS.comment):
            values = list(ontology.objects(term, prop))
            langs = [v.language for v in values if isinstance(v, Literal)]
            for lang in ("en", "id"):
                if langs.count(lang) != 1:
                    missing.append(f"{term.fragment}: {langs.count(lang)} {prop.fragment}@{lang}")
            if any(isinstance(v, Literal) and not str(v).strip() for v in values):
                missing.append(f"{term.fragment}: empty {prop.fragment}")
    assert missing == []


def test_labels_are_unique_per_language(ontology):
    seen: dict[tuple[str, str], URIRef] = {}
    clashes = []
    for term in sorted(kg_terms(ontology)):
        for label in ontology.objects(term, RDFS.label):
            key = (str(label), label.language)
            if key in seen and seen[key] != term:
                clashes.append((str(label), seen[key].fragment, term.fragment))
            seen.setdefault(key, term)
    # Compared case-sensitively: the property kg:article ("article") and the class kg:Article
    # ("Article") may share a word; kg:status and kg:Status share "status"@id only by case too.
    assert clashes == []


@pytest.mark.parametrize("name", design_terms())
def test_every_design_term_is_declared(ontology, name):
    assert KG[name] in kg_terms(ontology), f"kg:{name} is named in docs/design.md but not declared"


def test_design_terms_found():
    names = design_terms()
    assert len(names) > 70
    assert {"Fact", "Evidence", "modality", "ReaderComment", "holdsPosition", "fileName"} <= set(names)


EXTRA_TERMS = {
    OWL.Class: ["Entity", "Modality", "Status", "UnnamedParties", "Article", "Evidence"],
    OWL.ObjectProperty: ["weaponCategory", "holdsPosition", "modality", "status", "article", "partyClass"],
    OWL.DatatypeProperty: ["date", "count", "fileName", "sentenceIndex", "startOffset", "endOffset"],
    RDF.Property: ["relation"],
    SKOS.ConceptScheme: ["SipriWeaponCategories"],
}


@pytest.mark.parametrize(
    "kind,name", [(kind, name) for kind, names in EXTRA_TERMS.items() for name in names]
)
def test_term_kinds(ontology, kind, name):
    assert (KG[name], RDF.type, kind) in ontology


def test_relations_are_subproperties_of_relation(ontology):
    relations = design_relations()
    assert len(relations) == 26
    for name in relations + ["holdsPosition"]:
        supers = set(ontology.transitive_objects(KG[name], RDFS.subPropertyOf))
        assert KG.relation in supers, name
    for name in POSITIONS:
        assert (KG[name], RDFS.subPropertyOf, KG.holdsPosition) in ontology, name
    # Every sub-property of kg:relation is a relation of the design.
    declared = {s.fragment for s in ontology.transitive_subjects(RDFS.subPropertyOf, KG.relation)}
    assert declared == set(relations) | {"holdsPosition", "relation"}


def test_relation_kinds_and_ranges(ontology):
    for name in design_relations():
        if name in DATATYPE_RELATIONS:
            assert (KG[name], RDF.type, OWL.DatatypeProperty) in ontology, name
            assert ontology.value(KG[name], RDFS.range) == DATATYPE_RELATIONS[name], name
        else:
            assert (KG[name], RDF.type, OWL.ObjectProperty) in ontology, name


def test_qualifier_and_evidence_properties(ontology):
    object_props = ["modality", "status", "licensor", "supplier", "location", "comparedTo", "speaker", "article",
                    "partyClass"]
    datatype_props = {
        "cue": XSD.string, "dateText": XSD.string, "dateModifier": XSD.string, "datePeriod": XSD.string,
        "quantity": XSD.integer,
        "statedOn": XSD.date, "unit": XSD.string, "domain": XSD.string, "sentence": XSD.string,
        "startOffset": XSD.integer, "endOffset": XSD.integer, "sentenceIndex": XSD.integer, "rule": XSD.string,
        "section": XSD.string, "count": XSD.integer, "fileName": XSD.string,
    }
    for name in object_props:
        assert (KG[name], RDF.type, OWL.ObjectProperty) in ontology, name
    for name, datatype in datatype_props.items():
        assert (KG[name], RDF.type, OWL.DatatypeProperty) in ontology, name
        assert ontology.value(KG[name], RDFS.range) == datatype, name
    # kg:date takes three datatypes, so it has no single range; its comment says which.
    assert ontology.value(KG.date, RDFS.range) is None
    comment = str(ontology.value(KG.date, RDFS.comment))
    assert all(t in comment for t in ("xsd:date", "xsd:gYearMonth", "xsd:gYear"))
    assert (KG.speaker, RDFS.subPropertyOf, PROV.wasAttributedTo) in ontology
    assert ontology.value(KG.modality, RDFS.range) == KG.Modality
    assert ontology.value(KG.status, RDFS.range) == KG.Status


def test_modality_and_status_individuals(ontology):
    assert set(ontology.subjects(RDF.type, KG.Modality)) == {KG[m] for m in MODALITIES}
    assert set(ontology.subjects(RDF.type, KG.Status)) == {KG[s] for s in STATUSES}
    for name in MODALITIES + STATUSES:
        assert (KG[name], RDF.type, OWL.NamedIndividual) in ontology, name


@pytest.mark.parametrize(
    "cls,parents",
    [
        ("Fact", [RDF.Statement, PROV.Entity]),
        ("Evidence", [PROV.Entity]),
        ("Article", [SCHEMA.NewsArticle, PROV.Entity]),
        ("Country", [KG.Entity, SCHEMA.Country]),
        ("Person", [KG.Entity, SCHEMA.Person, PROV.Agent]),
        ("Organization", [KG.Entity, SCHEMA.Organization, PROV.Agent]),
        ("Legislation", [KG.Entity, SCHEMA.Legislation]),
        ("WeaponSystem", [KG.Entity, SCHEMA.Product]),
        ("Region", [KG.Entity, SCHEMA.Place]),
        ("CountryGroup", [KG.Entity]),
        ("CooperationArea", [KG.Entity]),
        ("Company", [KG.Organization]),
        ("GovernmentBody", [KG.Organization]),
    ]
    + [(sub, [KG.Fact]) for sub in ("Agreement", "Contract", "LicenceAgreement", "Enactment", "Statement",
                                    "Forecast", "PositionHolding", "SanctionEvent", "Count")],
)
def test_class_alignment(ontology, cls, parents):
    for parent in parents:
        assert (KG[cls], RDFS.subClassOf, parent) in ontology, f"kg:{cls} rdfs:subClassOf {parent}"


def test_sipri_weapon_categories(ontology):
    concepts = set(ontology.subjects(SKOS.inScheme, KG.SipriWeaponCategories))
    assert len(concepts) == 12
    assert set(ontology.objects(KG.SipriWeaponCategories, SKOS.hasTopConcept)) == concepts
    english = set()
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in ontology
        labels = {label.language: str(label) for label in ontology.objects(concept, SKOS.prefLabel)}
        assert set(labels) == {"en", "id"}, concept
        english.add(labels["en"].lower())
    assert english == {
        "aircraft", "air defence systems", "anti-submarine warfare weapons", "armoured vehicles", "artillery",
        "engines", "missiles", "naval weapons", "sensors", "ships", "satellites", "other",
    }
    assert ontology.value(KG.weaponCategory, RDFS.domain) == KG.WeaponSystem
    assert ontology.value(KG.weaponCategory, RDFS.range) == SKOS.Concept


# ---------------------------------------------------------------------------
# the shapes
# ---------------------------------------------------------------------------


def test_shapes_parse(shapes):
    quads = list(pyoxigraph.parse(path=str(SHAPES), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(quads) == len(shapes)
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert {URIRef("https://w3id.org/defcoop/shapes#" + n) for n in
            ("FactShape", "EvidenceShape", "EntityShape", "ArticleShape", "UnnamedPartiesShape")} <= node_shapes


def test_every_shape_has_an_english_message(shapes):
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    for shape in shape_nodes:
        messages = [m for m in shapes.objects(shape, SH.message) if m.language == "en"]
        assert len(messages) == 1, shape


def test_shapes_agree_with_ontology(shapes, ontology):
    kgsh = Namespace("https://w3id.org/defcoop/shapes#")
    assert list_values(shapes, kgsh["FactShape-modality"], SH["in"]) == {KG[m] for m in MODALITIES}
    assert list_values(shapes, kgsh["FactShape-status"], SH["in"]) == {KG[s] for s in STATUSES}
    relations = set(ontology.transitive_subjects(RDFS.subPropertyOf, KG.relation)) - {KG.relation}
    assert list_values(shapes, kgsh["FactShape-predicate"], SH["in"]) == relations
    fact_classes = set(ontology.transitive_subjects(RDFS.subClassOf, KG.Fact))
    assert list_values(shapes, kgsh.FactClassShape, SH["in"]) == fact_classes
    assert set(shapes.objects(kgsh.FactShape, SH.targetClass)) == fact_classes
    entity_classes = set(ontology.transitive_subjects(RDFS.subClassOf, KG.Entity))
    assert set(shapes.objects(kgsh.EntityShape, SH.targetClass)) == entity_classes
    assert list_values(shapes, kgsh["UnnamedPartiesShape-partyClass"], SH["in"]) == entity_classes
    # Every kg: term the shapes use is declared in the ontology.
    used = {t for triple in shapes for t in triple if isinstance(t, URIRef) and str(t).startswith(str(KG))}
    assert used <= kg_terms(ontology)


def test_conforming_graph_conforms(shapes):
    conforms, _, text = validate(conforming_graph(), shapes)
    assert conforms, text


def test_fact_without_evidence_is_reported(shapes):
    data = conforming_graph()
    data.remove((FACT_A, PROV.wasDerivedFrom, None))
    conforms, results, _ = validate(data, shapes)
    assert not conforms
    assert (FACT_A, PROV.wasDerivedFrom, SH.MinCountConstraintComponent) in violations(results)


def test_fact_with_bogus_modality_is_reported(shapes):
    data = conforming_graph()
    data.set((FACT_A, KG.modality, KG.Rumoured))
    conforms, results, text = validate(data, shapes)
    assert not conforms
    assert (FACT_A, KG.modality, SH.InConstraintComponent) in violations(results)
    assert "kg:modality" in text


def test_fact_typed_only_by_subclass_is_targeted(shapes):
    # fact B is typed kg:Agreement only; without the ontology loaded it must still be checked.
    data = conforming_graph()
    data.remove((FACT_B, KG.modality, None))
    conforms, results, _ = validate(data, shapes)
    assert not conforms
    assert (FACT_B, KG.modality, SH.MinCountConstraintComponent) in violations(results)


@pytest.mark.parametrize(
    "focus,path,value,component",
    [
        (FACT_A, KG.date, Literal("2017-08-02"), SH.OrConstraintComponent),
        (FACT_A, KG.quantity, Literal(-1), SH.MinInclusiveConstraintComponent),
        (FACT_A, KG.status, KG.Rumoured, SH.InConstraintComponent),
        (FACT_A, KG.dateModifier, Literal("around"), SH.PatternConstraintComponent),
        (FACT_A, KG.datePeriod, Literal("late"), SH.PatternConstraintComponent),
        (FACT_A, RDF.predicate, KG.likes, SH.InConstraintComponent),
        (EV_A, KG.section, Literal("footer"), SH.PatternConstraintComponent),
        (EV_A, KG.startOffset, Literal(500), SH.LessThanConstraintComponent),
        (EV_A, KG.sentence, Literal(""), SH.MinLengthConstraintComponent),
        (EV_A, KG.rule, Literal(3), SH.DatatypeConstraintComponent),
    ],
)
def test_bad_values_are_reported(shapes, focus, path, value, component):
    data = conforming_graph()
    data.set((focus, path, value))
    conforms, results, _ = validate(data, shapes)
    assert not conforms
    assert (focus, path, component) in violations(results)


def test_entity_without_label_and_bad_counts_are_reported(shapes):
    russia = URIRef("https://w3id.org/defcoop/id/Russia")
    eight = URIRef("https://w3id.org/defcoop/count/8-Country")
    data = conforming_graph()
    data.remove((russia, RDFS.label, None))
    data.set((eight, KG["count"], Literal(0)))
    data.set((russia, OWL.sameAs, URIRef("https://example.org/Russia")))
    conforms, results, _ = validate(data, shapes)
    assert not conforms
    found = violations(results)
    assert (russia, RDFS.label, SH.MinCountConstraintComponent) in found
    assert (russia, OWL.sameAs, SH.PatternConstraintComponent) in found
    assert (eight, KG["count"], SH.MinInclusiveConstraintComponent) in found


def test_shapes_run_with_the_ontology_mixed_in():
    # pyshacl deep-copies the ontology's owl:NamedIndividuals into the data graph; a cycle of
    # individuals there once made this take forever, so run it in a child with a time limit.
    script = textwrap.dedent(
        f"""
        import sys
        from pyshacl import validate
        from rdflib import Graph
        data = Graph().parse(data=sys.stdin.read(), format="turtle")
        for inference in ("none", "rdfs"):
            conforms, _, text = validate(data, shacl_graph={str(SHAPES)!r}, ont_graph={str(ONTOLOGY)!r},
                                         inference=inference)
            assert conforms, text
        """
    )
    done = subprocess.run([sys.executable, "-c", script], input=CONFORMING, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------
# the JSON-LD context
# ---------------------------------------------------------------------------


def _remote_references(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _remote_references(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _remote_references(v, key)
    elif isinstance(node, str) and key in ("@context", "@import") and re.match(r"(?i)[a-z][a-z0-9+.-]*:", node):
        yield node


def test_context_is_local(context):
    assert isinstance(context["@context"], dict)
    assert list(_remote_references(context)) == []


def test_context_prefixes_and_terms(context, ontology):
    ctx = context["@context"]
    assert ctx["@version"] == 1.1
    expected = {
        "kg": "https://w3id.org/defcoop/ontology#",
        "ent": "https://w3id.org/defcoop/id/",
        "fact": "https://w3id.org/defcoop/fact/",
        "ev": "https://w3id.org/defcoop/evidence/",
        "art": "https://w3id.org/defcoop/article/",
        "count": "https://w3id.org/defcoop/count/",
        "prov": str(PROV),
        "dcterms": str(DCTERMS),
        "schema": "http://schema.org/",
        "skos": str(SKOS),
        "xsd": str(XSD),
        "rdf": str(RDF),
        "rdfs": str(RDFS),
        "owl": str(OWL),
    }
    for prefix, iri in expected.items():
        assert ctx[prefix] == iri, prefix
    assert ctx["subject"] == {"@id": "rdf:subject", "@type": "@id"}
    assert ctx["modality"] == {"@id": "kg:modality", "@type": "@id"}
    assert ctx["label"] == "rdfs:label"
    assert ctx["startOffset"] == {"@id": "kg:startOffset", "@type": "xsd:integer"}
    declared = kg_terms(ontology)
    for term, definition in ctx.items():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        if isinstance(iri, str) and iri.startswith("kg:"):
            assert KG[iri[3:]] in declared, term
    relations = {s.fragment for s in ontology.transitive_subjects(RDFS.subPropertyOf, KG.relation)} - {"relation"}
    assert relations <= set(ctx)


def plain_strings(graph: Graph) -> Graph:
    """The graph with "x"^^xsd:string written as "x": the same RDF 1.1 term, but not to rdflib."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


def test_context_round_trips_with_rdflib(context):
    data = plain_strings(conforming_graph())
    text = data.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    document = json.loads(text)
    assert "@graph" in document
    back = Graph().parse(data=text, format="json-ld")
    assert isomorphic(data, back)
    assert len(list(pyoxigraph.parse(text.encode("utf-8"), format=pyoxigraph.RdfFormat.JSON_LD))) == len(data)
    # Terms of the context are used, e.g. "subject" for rdf:subject and "startOffset".
    assert '"subject": "ent:Russia"' in text and '"startOffset"' in text


def test_context_round_trips_a_dataset(context):
    ds = Dataset()
    article_graph = ds.graph(URIRef("https://w3id.org/defcoop/article/seed-1"))
    for triple in plain_strings(conforming_graph()):
        article_graph.add(triple)
    ds.graph(URIRef("https://w3id.org/defcoop/graph/entities")).add(
        (URIRef("https://w3id.org/defcoop/id/India"), RDFS.label, Literal("India", lang="en"))
    )
    text = ds.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    back = Dataset().parse(data=text, format="json-ld")
    for name in (URIRef("https://w3id.org/defcoop/article/seed-1"), URIRef("https://w3id.org/defcoop/graph/entities")):
        assert isomorphic(ds.graph(name), back.graph(name)), name
