"""Namespaces and prefixes of the ontology, bound once for every graph the builder writes."""

from __future__ import annotations

from functools import lru_cache

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/defcoop/"


class _Namespace(Namespace):
    """An rdflib Namespace that keeps each term it makes: ``KG.sentence`` is looked up once,
    then read like any attribute (rdflib makes the URIRef again on every access, 1.8 µs; a
    build reads these terms a few times per triple)."""

    def __getattr__(self, name: str):
        term = super().__getattr__(name)
        if not name.startswith("_"):
            self.__dict__[name] = term
        return term


KG = _Namespace(BASE + "ontology#")
ENT = _Namespace(BASE + "id/")
FACT = _Namespace(BASE + "fact/")
EV = _Namespace(BASE + "evidence/")
ART = _Namespace(BASE + "article/")
COUNT = _Namespace(BASE + "count/")
# rdflib 7 binds "schema" to https://schema.org/ by itself; the ontology uses http://schema.org/.
SCHEMA = _Namespace("http://schema.org/")
WD = _Namespace("http://www.wikidata.org/entity/")

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


_LONGEST_FIRST = tuple((prefix, str(ns)) for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(str(kv[1]))))


@lru_cache(maxsize=65536)  # a build asks for the same few hundred properties and entities again and again
def qname(iri: str) -> str:
    """Shorten an IRI with the project's prefixes ("kg:directorOf"); unknown IRIs stay whole."""
    for prefix, ns in _LONGEST_FIRST:
        rest = iri[len(ns):]
        if iri.startswith(ns) and rest and all(c.isalnum() or c in "_-." for c in rest):
            return f"{prefix}:{rest}"
    return iri
