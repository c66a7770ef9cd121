"""Every fact PRODUCT.md lists for the two seed articles, with its modality, from the real files."""

from __future__ import annotations

import pytest


def facts(results, key, predicate, **where):
    out = []
    for f in results[key].facts:
        if f.predicate != predicate:
            continue
        ok = True
        for k, v in where.items():
            if k == "subject":
                ok &= f.subject.value == v
            elif k == "object":
                ok &= f.object.value == v
            elif k in ("modality", "status", "date"):
                ok &= getattr(f, k) == v
            else:
                t = f.qualifier("kg:" + k)
                ok &= (t.value if t else None) == v
        if ok:
            out.append(f)
    return out


def one(results, key, predicate, **where):
    found = facts(results, key, predicate, **where)
    assert len(found) == 1, f"expected one {predicate} {where} in seed {key}, found {len(found)}: {[ (f.subject, f.object, f.modality) for f in results[key].facts if f.predicate == predicate]}"
    return found[0]


def test_licence_su30mki(seed_results):
    f = one(seed_results, "001", "kg:licensedProducerOf", subject="HAL", object="Su-30MKI")
    assert f.qualifier("kg:licensor").value == "Rosoboronexport"
    assert f.qualifier("kg:location").value == "India"
    assert f.date == "2000" and f.qualifier("kg:date").datatype == "gYear"
    assert f.modality == "asserted" and f.status == "signed"


def test_mtc_eight_signed_and_in_force_reported_by_belousov(seed_results):
    f = one(seed_results, "000", "kg:signedMTCAgreementWith", subject="Russia", object="8-Country")
    assert f.modality == "reported"
    assert f.qualifier("kg:speaker").value == "AndreyBelousov"
    assert f.status == "in_force"
    assert len(f.evidence) == 2  # the announcement and the quote merge into one fact


def test_mtc_six_planned_before_end_2026(seed_results):
    f = one(seed_results, "000", "kg:signedMTCAgreementWith", subject="Russia", object="6-Country")
    assert f.modality == "planned"
    assert f.date == "2026"
    assert f.qualifier("kg:dateModifier").value == "before"
    assert f.qualifier("kg:datePeriod").value == "end of"
    assert f.qualifier("kg:speaker").value == "AndreyBelousov"


def test_mtc_fourteen_in_all(seed_results):
    f = one(seed_results, "000", "kg:totalMTCAgreements", subject="Russia")
    assert f.object.value == "14" and f.object.datatype == "integer"


def test_belousov_is_russias_defence_minister(seed_results):
    f = one(seed_results, "000", "kg:defenceMinisterOf", subject="AndreyBelousov", object="Russia")
    assert f.modality == "asserted"


def test_caatsa_signed_by_trump_on_2_august_2017(seed_results):
    f = one(seed_results, "001", "kg:signedLaw", subject="DonaldTrump", object="CAATSA")
    assert f.date == "2017-08-02" and f.qualifier("kg:date").datatype == "date"
    one(seed_results, "001", "kg:presidentOf", subject="DonaldTrump", object="UnitedStates")


def test_caatsa_pressures_russian_arms_exports(seed_results):
    f = one(seed_results, "001", "kg:putsPressureOn", subject="CAATSA", object="Russia")
    assert f.qualifier("kg:domain").value == "arms exports"


@pytest.mark.parametrize("area", ["ArmsSupply", "RepairAndModernisation", "TechnologyTransfer", "MilitaryTraining"])
def test_mtc_agreements_cover(seed_results, area):
    one(seed_results, "000", "kg:covers", subject="MilitaryTechnicalCooperation", object=area)


def test_mtc_covers_nothing_else(seed_results):
    covered = {f.object.value for f in facts(seed_results, "000", "kg:covers")}
    assert covered == {"ArmsSupply", "RepairAndModernisation", "TechnologyTransfer", "MilitaryTraining"}


def test_russia_second_largest_exporter_after_us(seed_results):
    f = one(seed_results, "001", "kg:armsExporterRank", subject="Russia")
    assert f.object.value == "2"
    assert f.qualifier("kg:comparedTo").value == "UnitedStates"


def test_western_sanctions_after_ukraine_february_2022(seed_results):
    f = one(seed_results, "001", "kg:imposedSanctionsOn", subject="TheWest", object="Russia")
    assert f.date == "2022-02" and f.qualifier("kg:date").datatype == "gYearMonth"


def test_rosoboronexport_official_agent_and_director(seed_results):
    one(seed_results, "001", "kg:officialExportAgentOf", subject="Rosoboronexport", object="Russia")
    one(seed_results, "001", "kg:directorOf", subject="AlexanderMikheev", object="Rosoboronexport")


def test_mikheev_forecast_40_percent_by_2030_stated_19_october_2023(seed_results):
    f = one(seed_results, "001", "kg:forecastMarketShare", subject="TechnologyPartnership")
    assert f.object.value == "40"
    assert f.date == "2030"
    assert f.qualifier("kg:speaker").value == "AlexanderMikheev"
    assert f.qualifier("kg:statedOn").value == "2023-10-19"
    assert f.qualifier("kg:unit").value == "percent"
    g = one(seed_results, "001", "kg:forecastGrowthFactor", subject="TechnologyPartnership")
    assert float(g.object.value) == 2.0


@pytest.mark.parametrize("region", ["SouthAsia", "SoutheastAsia", "MENA", "LatinAmerica", "SubSaharanAfrica"])
def test_partner_regions_are_speculated_not_asserted(seed_results, region):
    found = facts(seed_results, "000", "kg:potentialPartnerRegion", subject="Russia", object=region)
    assert {f.modality for f in found} == {"speculated", "comment"}  # the article hedges; a comment quotes it


@pytest.mark.parametrize("item", ["Mi-17V5", "Mi-26T", "BMP-3F", "BREM-L", "BT-3F"])
def test_reader_comment_wishes(seed_results, item):
    f = one(seed_results, "000", "kg:wantsToAcquire", subject="Indonesia", object=item)
    assert f.modality == "comment"
    assert f.evidence[0].section == "comment"


@pytest.mark.parametrize("item", ["BTR-50P", "PT-76"])
def test_reader_comment_replacements(seed_results, item):
    assert one(seed_results, "000", "kg:wantsToReplace", subject="Indonesia", object=item).modality == "comment"


def test_named_entities_are_mentioned(seed_results):
    assert {"Su-57", "UAC", "Rosoboronexport"} <= set(seed_results["000"].mentions) | set(seed_results["001"].mentions)
    assert {"Su-57", "UAC"} <= set(seed_results["000"].mentions)


def test_boilerplate_is_not_article_text(seed_results):
    texts = [s.text for r in seed_results.values() for s in r.doc.sentences]
    assert not any(t.startswith(("BACA JUGA", "Foto :", "Leave a Reply", "One Reply")) for t in texts)
    assert not any("Your email address" in t for t in texts)


def test_evidence_offsets_point_at_the_sentence(seed_results):
    for r in seed_results.values():
        for f in r.facts:
            for e in f.evidence:
                assert r.doc.text[e.start : e.end] in e.sentence
                s = r.doc.sentences[e.sentence_index]
                assert r.doc.text[s.start : s.end] == e.sentence
