"""The competency questions in examples/queries/, answered from the seed articles' graph."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg.query import run_query
from kg.vocab import ENT, KG

from conftest import QUERIES


def rows(graph, name):
    result = run_query(graph, str(QUERIES / name))
    return [dict(zip(result.variables, row)) for row in result.rows]


def test_every_competency_question_has_a_query():
    assert sorted(p.name[:3] for p in QUERIES.glob("*.rq")) == ["cq1", "cq2", "cq3", "cq4", "cq5", "cq6", "cq7", "cq8", "cq9"]


def test_cq1_licence_holder_of_su30mki(seed_graph):
    r = rows(seed_graph, "cq1_licence.rq")
    assert len(r) == 1
    assert r[0]["producer"] == ENT.HAL
    assert r[0]["licensor"] == ENT.Rosoboronexport
    assert r[0]["date"] == Literal("2000", datatype=XSD.gYear)
    assert r[0]["place"] == ENT.India


def test_cq2_mtc_counts_planned_total_and_speaker(seed_graph):
    r = rows(seed_graph, "cq2_mtc_counts.rq")
    signed = [x for x in r if x["count"] == Literal(8)]
    planned = [x for x in r if x["count"] == Literal(6)]
    total = [x for x in r if x["total"] is not None]
    assert len(signed) == 1 and signed[0]["status"] == KG.InForce and signed[0]["modality"] == KG.ReportedSpeech
    assert signed[0]["speakerLabel"] == Literal("Andrey Belousov", lang="en")
    assert signed[0]["positionOf"] == ENT.Russia  # the speaker is Russia's defence minister
    assert len(planned) == 1 and planned[0]["modality"] == KG.Planned
    assert planned[0]["date"] == Literal("2026", datatype=XSD.gYear)
    assert str(planned[0]["dateModifier"]) == "before" and str(planned[0]["datePeriod"]) == "end of"
    assert [int(x["total"]) for x in total] == [14]


def test_cq3_caatsa(seed_graph):
    r = rows(seed_graph, "cq3_caatsa.rq")
    assert {(x["signer"], x["date"], x["pressured"], str(x["domain"])) for x in r} == {
        (ENT.DonaldTrump, Literal("2017-08-02", datatype=XSD.date), ENT.Russia, "arms exports")
    }


def test_cq4_director_and_forecast(seed_graph):
    r = rows(seed_graph, "cq4_director_forecast.rq")
    share = [x for x in r if x["predicate"] == KG.forecastMarketShare]
    assert len(share) == 1
    x = share[0]
    assert x["director"] == ENT.AlexanderMikheev
    assert float(x["value"]) == 40 and str(x["unit"]) == "percent"
    assert x["targetDate"] == Literal("2030", datatype=XSD.gYear)
    assert x["statedOn"] == Literal("2023-10-19", datatype=XSD.date)


def test_cq5_mtc_scope(seed_graph):
    r = rows(seed_graph, "cq5_mtc_scope.rq")
    assert {x["area"] for x in r} == {ENT.ArmsSupply, ENT.RepairAndModernisation, ENT.TechnologyTransfer, ENT.MilitaryTraining}


def test_cq6_comment_and_speculation_only(seed_graph):
    r = rows(seed_graph, "cq6_comment_or_speculation.rq")
    comment = {(x["predicate"], x["object"]) for x in r if x["modality"] == KG.ReaderComment}
    speculated = {x["object"] for x in r if x["modality"] == KG.Speculated}
    for item in ("Mi-17V5", "Mi-26T", "BMP-3F", "BREM-L", "BT-3F"):
        assert (KG.wantsToAcquire, ENT[item]) in comment
    assert (KG.wantsToReplace, ENT["BTR-50P"]) in comment and (KG.wantsToReplace, ENT["PT-76"]) in comment
    assert speculated == {ENT.SouthAsia, ENT.SoutheastAsia, ENT.MENA, ENT.LatinAmerica, ENT.SubSaharanAfrica}
    # nothing asserted leaks into the answer
    assert all(x["modality"] in (KG.ReaderComment, KG.Speculated) for x in r)


def test_speculated_facts_are_not_plain_triples(seed_graph):
    assert (ENT.Russia, KG.potentialPartnerRegion, ENT.MENA) not in seed_graph
    assert (ENT.Indonesia, KG.wantsToAcquire, ENT["BMP-3F"]) not in seed_graph
    assert (ENT.HAL, KG.licensedProducerOf, ENT["Su-30MKI"]) in seed_graph


def test_every_fact_has_provenance(seed_graph):
    r = run_query(seed_graph, """
        SELECT (COUNT(?f) AS ?n) WHERE { ?f a kg:Fact . FILTER NOT EXISTS {
          ?f prov:wasDerivedFrom ?e . ?e kg:article ?a ; kg:sentence ?s ; kg:startOffset ?b ; kg:endOffset ?c ; kg:rule ?r } }""")
    assert int(r.rows[0][0]) == 0
    n = run_query(seed_graph, "SELECT (COUNT(?f) AS ?n) WHERE { ?f a kg:Fact }")
    assert int(n.rows[0][0]) >= 30


def test_one_named_graph_per_article(seed_graph):
    graphs = {str(c.identifier) for c in seed_graph.graphs() if len(c)}
    articles = {g for g in graphs if "/article/" in g}
    assert len(articles) == 2
    assert any(g.endswith("/graph/entities") for g in graphs)
    assert isinstance(next(iter(articles)), str) and URIRef(next(iter(articles)))
