"""Namespaces and prefixes of the ontology, bound once for every graph the builder writes."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/defcoop/"

KG = Namespace(BASE + "ontology#")
ENT = Namespace(BASE + "id/")
FACT = Namespace(BASE + "fact/")
EV = Namespace(BASE + "evidence/")
ART = Namespace(BASE + "article/")
COUNT = Namespace(BASE + "count/")
# rdflib 7 binds "schema" to https://schema.org/ by itself; the ontology uses http://schema.org/.
SCHEMA = Namespace("http://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")

PREFIXES: dict[str, Namespace] = {
    "kg": KG,
    "ent": ENT,
    "fact": FACT,
    "ev": EV,
    "art": ART,
    "count": COUNT,
    "prov": PROV,
    "dcterms": DCTERMS,
    "schema": SCHEMA,
    "skos": SKOS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "wd": WD,
}

# Modalities and statuses, by the short names rule packs use.
MODALITIES = {
    "asserted": KG.Asserted,
    "reported": KG.ReportedSpeech,
    "planned": KG.Planned,
    "speculated": KG.Speculated,
    "comment": KG.ReaderComment,
    "negated": KG.Negated,
}
STATUSES = {
    "signed": KG.Signed,
    "in_force": KG.InForce,
    "in_progress": KG.InProgress,
    "enacted": KG.Enacted,
    "delivered": KG.Delivered,
    "completed": KG.Completed,
    "cancelled": KG.Cancelled,
    "threatened": KG.Threatened,
}
# Only these modalities also yield the plain "truthy" triple subject-predicate-object.
TRUTHY_MODALITIES = frozenset({"asserted", "reported"})


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib Graph or Dataset, replacing rdflib's defaults."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, to put in front of a user's query."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def qname(iri: str) -> str:
    """Shorten an IRI with the project's prefixes ("kg:directorOf"); unknown IRIs stay whole."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(str(kv[1]))):
        rest = iri[len(str(ns)):]
        if iri.startswith(str(ns)) and rest and all(c.isalnum() or c in "_-." for c in rest):
            return f"{prefix}:{rest}"
    return iri
