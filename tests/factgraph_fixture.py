"""A small fact dataset written by hand in the shape docs/design.md prescribes.

Two articles, each its own named graph; entities with en/id labels; n-ary fact nodes with
modalities, qualifiers and evidence; two unnamed-party counts; one literal-object fact.
Used by test_analysis.py and test_render.py (not by graph.py, so it checks the contract,
not the builder).
"""

from __future__ import annotations

import hashlib

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.vocab import ART, COUNT, ENT, EV, FACT, KG, MODALITIES, SCHEMA, bind_prefixes

A1 = ART["rbth-su30"]
A2 = ART["caatsa-2017"]

ENTITIES = {
    # id: (classes, English label or None, Indonesian label or None)
    "Russia": (["Country"], "Russia", "Rusia"),
    "India": (["Country"], "India", "India"),
    "Indonesia": (["Country"], "Indonesia", "Indonesia"),
    "Rosoboronexport": (["Organization", "Company"], "Rosoboronexport", None),
    "HAL": (["Company"], "Hindustan Aeronautics Limited", None),
    "Su-30MKI": (["WeaponSystem"], "Su-30MKI", None),
    "Mi-17V5": (["WeaponSystem"], "Mi-17V5", None),
    "CAATSA": (["Legislation"], "CAATSA", None),
    "Donald_Trump": (["Person"], "Donald Trump", None),
    "SoutheastAsia": (["Region"], None, "Asia Tenggara"),  # no English label on purpose
}


def _hex(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def add_entity(ds: Dataset, graph_iri: URIRef, ent_id: str, classes, en=None, id_=None) -> URIRef:
    g = ds.graph(graph_iri)
    e = ENT[ent_id]
    for cls in classes:
        g.add((e, RDF.type, KG[cls]))
    if en is not None:
        g.add((e, RDFS.label, Literal(en, lang="en")))
    if id_ is not None:
        g.add((e, RDFS.label, Literal(id_, lang="id")))
    return e


def add_count(ds: Dataset, graph_iri: URIRef, n: int, cls: str, label: str) -> URIRef:
    g = ds.graph(graph_iri)
    c = COUNT[f"{n}-{cls}"]
    g.add((c, RDF.type, KG.UnnamedParties))
    g.add((c, KG["count"], Literal(n, datatype=XSD.integer)))
    g.add((c, KG.partyClass, KG[cls]))
    g.add((c, RDFS.label, Literal(label, lang="en")))
    return c


def add_article(ds: Dataset, art: URIRef, title: str) -> None:
    g = ds.graph(art)
    g.add((art, RDF.type, KG.Article))
    g.add((art, RDF.type, SCHEMA.NewsArticle))
    g.add((art, DCTERMS.title, Literal(title)))


def add_fact(
    ds: Dataset,
    s: URIRef,
    p: str,
    o,
    modality: str,
    evidence: list[tuple[URIRef, str, int]],
    *,
    fact_class: str = "Fact",
    date: Literal | None = None,
    qualifiers: dict | None = None,
    section: str = "body",
    rule: str = "test.rule",
) -> URIRef:
    """One fact node, written into the named graph of every article that evidences it."""
    f = FACT[_hex(s, p, o, modality)]
    for art, sentence, start in evidence:
        g = ds.graph(art)
        g.add((f, RDF.type, KG[fact_class]))
        g.add((f, RDF.subject, s))
        g.add((f, RDF.predicate, KG[p]))
        g.add((f, RDF.object, o))
        g.add((f, KG.modality, MODALITIES[modality]))
        if date is not None:
            g.add((f, KG.date, date))
        for q, v in (qualifiers or {}).items():
            g.add((f, KG[q], v))
        ev = EV[_hex(f, art, start)]
        g.add((f, PROV.wasDerivedFrom, ev))
        g.add((ev, RDF.type, KG.Evidence))
        g.add((ev, KG.article, art))
        g.add((ev, KG.sentence, Literal(sentence)))
        g.add((ev, KG.startOffset, Literal(start, datatype=XSD.integer)))
        g.add((ev, KG.endOffset, Literal(start + len(sentence), datatype=XSD.integer)))
        g.add((ev, KG.sentenceIndex, Literal(0, datatype=XSD.integer)))
        g.add((ev, KG.rule, Literal(rule)))
        g.add((ev, KG.section, Literal(section)))
        if modality in ("asserted", "reported") and not isinstance(o, Literal):
            g.add((s, KG[p], o))  # the "truthy" triple
    return f


def sample_dataset() -> Dataset:
    """12 nodes (10 entities, 2 counts), 11 facts: 10 edges and 1 literal-object fact."""
    ds = Dataset()
    bind_prefixes(ds)
    add_article(ds, A1, "Rosoboronexport and the Su-30MKI")
    add_article(ds, A2, "CAATSA signed")
    for ent_id, (classes, en, id_) in ENTITIES.items():
        # entity descriptions split between the default graph and the articles: the
        # analysis must read the union
        where = A2 if ent_id in ("CAATSA", "Donald_Trump") else A1
        if ent_id == "Russia":
            where = ds.default_graph.identifier
        add_entity(ds, where, ent_id, classes, en, id_)
    eight = add_count(ds, A1, 8, "Country", "8 countries")
    six = add_count(ds, A1, 6, "Country", "6 countries")
    E = ENT
    add_fact(ds, E.HAL, "licensedProducerOf", E["Su-30MKI"], "asserted",
             [(A1, "HAL produces the Su-30MKI under licence since 2000.", 10)],
             fact_class="LicenceAgreement", date=Literal("2000", datatype=XSD.gYear),
             qualifiers={"licensor": E.Rosoboronexport, "location": E.India})
    add_fact(ds, E.Russia, "signedMTCAgreementWith", eight, "reported",
             [(A1, "Russia has MTC agreements with eight countries, said Belousov.", 100)],
             fact_class="Agreement", qualifiers={"status": KG.InForce})
    add_fact(ds, E.Russia, "totalMTCAgreements", Literal(14, datatype=XSD.integer), "reported",
             [(A1, "Fourteen agreements in all, said Belousov.", 200)], fact_class="Count")
    add_fact(ds, E.Russia, "signedMTCAgreementWith", six, "planned",
             [(A1, "Six more agreements are planned before the end of 2026.", 300)],
             fact_class="Agreement", date=Literal("2026", datatype=XSD.gYear),
             qualifiers={"dateModifier": Literal("before")})
    add_fact(ds, E.Russia, "potentialPartnerRegion", E.SoutheastAsia, "speculated",
             [(A1, "Southeast Asia is likely a partner region.", 400)])
    add_fact(ds, E.Indonesia, "wantsToAcquire", E["Mi-17V5"], "comment",
             [(A1, "Indonesia should buy the Mi-17V5!", 900)], section="comment")
    add_fact(ds, E.India, "cancelledOrderOf", E["Su-30MKI"], "negated",
             [(A1, "India did not cancel its Su-30MKI order in February 2022.", 500)],
             date=Literal("2022-02", datatype=XSD.gYearMonth))
    add_fact(ds, E.Rosoboronexport, "officialExportAgentOf", E.Russia, "asserted",
             [(A1, "Rosoboronexport is Russia's official export agent.", 600),
              (A2, "Rosoboronexport, the state exporter of Russia, was named.", 50)])
    add_fact(ds, E.Donald_Trump, "signedLaw", E.CAATSA, "asserted",
             [(A2, "Donald Trump signed CAATSA on 2 August 2017.", 0)],
             fact_class="Enactment", date=Literal("2017-08-02", datatype=XSD.date))
    add_fact(ds, E.CAATSA, "putsPressureOn", E.Russia, "asserted",
             [(A2, "CAATSA put pressure on Russian arms exports.", 80)], qualifiers={"domain": Literal("arms exports")})
    add_fact(ds, E.CAATSA, "threatenedSanctionsAgainst", E.Russia, "speculated",
             [(A2, "CAATSA may threaten sanctions against buyers.", 160)], fact_class="SanctionEvent")
    return ds


HOSTILE_LABEL = "<script>alert(1)</script> Evil Corp"
HOSTILE_SENTENCE = "Evil <img src=x onerror=alert(1)> href=javascript:alert(2) \"quoted\" & more"
HOSTILE_TITLE = "<script>alert('title')</script>"


def hostile_dataset() -> Dataset:
    """The sample plus an entity, a sentence and an article title that try to inject HTML."""
    ds = sample_dataset()
    evil = add_entity(ds, A1, "Evil", ["Company"], HOSTILE_LABEL, None)
    add_article(ds, ART["evil"], HOSTILE_TITLE)
    add_fact(ds, evil, "officialExportAgentOf", ENT.Russia, "asserted", [(ART["evil"], HOSTILE_SENTENCE, 0)])
    return ds


def chain_dataset(n: int) -> Dataset:
    """A star of ``n`` countries all signing with Russia (a hub and n leaves)."""
    ds = Dataset()
    add_article(ds, A1, "Star")
    add_entity(ds, A1, "Russia", ["Country"], "Russia")
    for i in range(n):
        c = add_entity(ds, A1, f"C{i:03d}", ["Country"], f"Country {i:03d}")
        add_fact(ds, c, "signedMTCAgreementWith", ENT.Russia, "asserted", [(A1, f"Country {i} signed.", i * 100)])
    return ds


def random_dataset(n: int, facts: int, *, seed: int = 7) -> Dataset:
    """``n`` entities of mixed classes and ``facts`` facts of mixed modalities between them.

    A seeded preferential-attachment shape (a few hubs, many leaves), like news graphs;
    every fact has one evidence sentence. For the size and speed checks of the view.
    """
    import random

    rng = random.Random(seed)
    ds = Dataset()
    add_article(ds, A1, "Synthetic")
    classes = ["Country", "Company", "Person", "WeaponSystem", "Region", "Legislation"]
    ids = [f"E{i:04d}" for i in range(n)]
    for i, ent_id in enumerate(ids):
        add_entity(ds, A1, ent_id, [classes[i % len(classes)]], f"Entity {i:04d}")
    predicates = ["ordered", "delivered", "signedMTCAgreementWith", "licensedProducerOf", "imposedSanctionsOn"]
    modalities = list(MODALITIES)
    weights = [1.0] * n
    for j in range(facts):
        a = rng.randrange(n)
        b = rng.choices(range(n), weights=weights)[0]
        if a == b:
            b = (b + 1) % n
        weights[b] += 1.0
        add_fact(ds, ENT[ids[a]], predicates[j % len(predicates)], ENT[ids[b]], modalities[j % len(modalities)],
                 [(A1, f"Synthetic sentence {j} about Entity {a:04d} and Entity {b:04d}.", j * 80)])
    return ds
