"""Across articles: merging compatible facts, confidence, contradictions (kg/corroborate.py, issue 8).

The end-to-end cases use three articles written for these tests:
- id-06 (Indonesian, Warta Pertahanan): Vietnam signed for 12 Yak-130 from Rosoboronexport in March 2019;
- en-04 (English, Asia Defence Review): Vietnam signed for ten Yak-130 in 2018 (conflicting date and quantity);
- en-05 (English, Defence Trade Bulletin): Thailand ordered five Mi-17V5 in 2017 (seen once);
and all three call Alexander Mikheev the director of Rosoboronexport (seen in three sources).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg.corroborate import (
    DEFAULT_PRECISION, MODALITY_WEIGHTS, Article, ConflictKind, compatible_dates, confidence, confidence_yaml,
    contradictions, corroborate, corroboration_quads, merge_compatible, precision_estimate, precision_table,
)
from kg.extract import DocResult, Evidence, Fact, Term
from kg.graph import CORROBORATION_GRAPH, fact_iri
from kg.query import run_query
from kg.vocab import ENT, KG

from conftest import EXAMPLES, QUERIES

OURS = ["id-06-vietnam-teken-kontrak-yak130.md", "en-04-hanoi-buys-jet-trainers.md", "en-05-rosoboronexport-chief-tour.md"]


# --- small cases, facts written inline ---------------------------------------------------


def ev(article: str, sentence: int = 0, rule: str = "r") -> Evidence:
    return Evidence(article, article + ".md", sentence, 10 * sentence, 10 * sentence + 5, f"sentence {sentence}", rule, "body")


def fact(s="Vietnam", p="kg:ordered", o="Yak-130", modality="asserted", date=None, quantity=None, evidence=(), status=None):
    q = []
    if date:
        dt = {4: "gYear", 7: "gYearMonth", 10: "date"}[len(date)]
        q += [("kg:date", Term("literal", date, dt)), ("kg:dateText", Term("literal", date, "string"))]
    if quantity:
        q.append(("kg:quantity", Term("literal", str(quantity), "integer")))
    return Fact(Term("entity", s), p, Term("entity", o), modality, status=status, qualifiers=tuple(sorted(q)),
                evidence=tuple(evidence))


def result(slug: str, *facts, date=None, publisher=None) -> DocResult:
    doc = SimpleNamespace(slug=slug, path=slug + ".md", meta={"date": date, "publisher": publisher})
    return DocResult(doc, tuple(facts), (), ())


def test_compatible_dates():
    assert compatible_dates("2018", "2018-02") and compatible_dates("2018-02-14", "2018-02")
    assert compatible_dates(None, "2018") and compatible_dates("2018", "2018")
    assert not compatible_dates("2017", "2018-02") and not compatible_dates("2018-02", "2018-03")
    assert not compatible_dates("201", "2018")  # a prefix is compatible only at a component boundary


def test_a_less_precise_date_merges_into_the_more_precise_one():
    a = result("a", fact(date="2018-02", quantity=11, evidence=[ev("a")]))
    b = result("b", fact(date="2018", evidence=[ev("b")]))
    merged = merge_compatible([a, b])
    fa, fb = merged[0].facts[0], merged[1].facts[0]
    assert fact_iri(fa) == fact_iri(fb)  # one fact node
    assert fb.date == "2018-02" and fb.qualifier("kg:quantity").value == "11"
    assert ("kg:dateText", Term("literal", "2018", "string")) in fb.qualifiers  # what b wrote is kept
    c = corroborate(merged, {"r": 0.8})
    assert len(c.facts) == 1 and {e.article for e in c.facts[0].evidence} == {"a", "b"}
    assert not c.contradictions


def test_an_ambiguous_version_stays_apart():
    """'2018' fits both '2018-02' and '2018-05', which disagree: it is not merged into either."""
    rs = [result("a", fact(date="2018-02", evidence=[ev("a")])), result("b", fact(date="2018-05", evidence=[ev("b")])),
          result("c", fact(date="2018", evidence=[ev("c")]))]
    merged = merge_compatible(rs)
    assert [r.facts[0].date for r in merged] == ["2018-02", "2018-05", "2018"]
    kinds = {k for x in corroborate(merged, {}).contradictions for k in x.kinds}
    assert kinds == {ConflictKind.DATE}  # 2018-02 against 2018-05 only


def test_modalities_stay_separate_fact_nodes():
    rs = [result("a", fact(date="2018", evidence=[ev("a")])),
          result("b", fact(date="2018", modality="planned", evidence=[ev("b")]))]
    c = corroborate(merge_compatible(rs), {"r": 0.8})
    assert len(c.facts) == 2 and len({fact_iri(f) for f in c.facts}) == 2
    assert sorted(round(v, 4) for v in c.confidence.values()) == [0.4, 0.8]  # 0.8 * W(planned) = 0.8 * 0.5


def test_confidence_formula_numbers():
    p = {"r": 0.8}
    once = fact(evidence=[ev("x")])
    three_sources = fact(evidence=[ev("x"), ev("y"), ev("z")])
    three_sentences_one_source = fact(evidence=[ev("x", 0), ev("x", 1), ev("x", 2)])
    assert confidence(once, p) == pytest.approx(0.8)
    assert confidence(three_sources, p) == pytest.approx(1 - 0.2 ** 3)  # 0.992
    assert confidence(three_sentences_one_source, p) == pytest.approx(1 - 0.2 * 0.6 * 0.6)  # 0.928
    # two rules reading the same sentence are one reading, the stronger
    assert confidence(fact(evidence=[ev("x", 0, "r"), ev("x", 0, "weak")]), {"r": 0.8, "weak": 0.3}) == pytest.approx(0.8)
    # two articles of one publisher are one source: the second counts as a repeat
    arts = {"x": Article("x", "x.md", None, "Same Paper"), "y": Article("y", "y.md", None, "same  paper")}
    assert confidence(fact(evidence=[ev("x"), ev("y")]), p, arts) == pytest.approx(1 - 0.2 * 0.6)
    # an unscored rule counts DEFAULT_PRECISION; a reader comment weighs little
    assert confidence(fact(evidence=[ev("x", rule="new")]), p) == pytest.approx(DEFAULT_PRECISION)
    assert confidence(fact(modality="comment", evidence=[ev("x")]), p) == pytest.approx(0.8 * MODALITY_WEIGHTS["comment"])


def test_contradiction_kinds():
    arts = {"a": Article("a", "a.md", "2022-01-10", None), "b": Article("b", "b.md", "2022-06-01", None),
            "c": Article("c", "c.md", "2015-06-01", None)}
    cases = [
        (fact(date="2017", quantity=11, evidence=[ev("a")]), fact(date="2018-02", quantity=12, evidence=[ev("b")]),
         {ConflictKind.DATE, ConflictKind.QUANTITY}),
        (fact(p="kg:cancelledOrderOf", evidence=[ev("a")]), fact(p="kg:cancelledOrderOf", modality="negated", evidence=[ev("a", 1)]),
         {ConflictKind.NEGATION}),
        (fact(p="kg:cancelledOrderOf", date="2016", evidence=[ev("a")]), fact(date="2018", status="signed", evidence=[ev("b")]),
         {ConflictKind.CANCELLED}),
        (fact(s="PrabowoSubianto", p="kg:defenceMinisterOf", o="Indonesia", evidence=[ev("a")]),
         fact(s="SjafrieSjamsoeddin", p="kg:defenceMinisterOf", o="Indonesia", evidence=[ev("b")]), {ConflictKind.SINGLE_HOLDER}),
    ]
    for f, g, want in cases:
        found = contradictions([f, g], arts)
        assert len(found) == 1 and set(found[0].kinds) == want, (f, g, found)
    # not contradictions: different times for two ministers; two dates in one article (two orders)
    minister_then = fact(s="SjafrieSjamsoeddin", p="kg:defenceMinisterOf", o="Indonesia", evidence=[ev("c")])
    assert not contradictions([cases[3][0], minister_then], arts)
    assert not contradictions([fact(date="2017", evidence=[ev("a")]), fact(date="2019", evidence=[ev("a", 1)])], arts)
    # a planned order does not contradict a signed one
    assert not contradictions([fact(date="2017", evidence=[ev("a")]), fact(date="2019", modality="planned", evidence=[ev("b")])], arts)


def test_value_conflict_of_a_forecast():
    share = lambda v, art: Fact(Term("entity", "TechnologyPartnership"), "kg:forecastMarketShare", Term("literal", v, "decimal"),
                                "reported", qualifiers=(("kg:date", Term("literal", "2030", "gYear")),), evidence=(ev(art),))
    found = contradictions([share("40", "a"), share("35", "b")])
    assert [x.kinds for x in found] == [(ConflictKind.VALUE,)]


def test_corroboration_quads_name_the_group_and_are_typed():
    rs = [result("a", fact(date="2017", evidence=[ev("a")])), result("b", fact(date="2018", evidence=[ev("b")]))]
    c = corroborate(merge_compatible(rs), {"r": 0.8})
    quads = corroboration_quads(c)
    assert all(q[3] == CORROBORATION_GRAPH for q in quads)
    (node,) = [s for s, p, o, _ in quads if p == RDF.type and o == KG.Contradiction]
    assert {o for s, p, o, _ in quads if s == node and p == KG.conflictingFact} == {fact_iri(f) for f in c.facts}
    assert [str(o) for s, p, o, _ in quads if s == node and p == KG.conflictKind] == ["date"]
    conf = [o for _, p, o, _ in quads if p == KG.confidence]
    assert conf and all(o.datatype == XSD.decimal and 0 <= float(o) <= 1 for o in conf)


def test_many_disagreeing_reports_are_one_group_not_every_pair():
    """n articles giving n different years for one order: one kg:Contradiction naming n facts
    (the graph grows with the reports, not with their square)."""
    n = 12
    rs = [result(f"a{i}", fact(date=str(2000 + i), evidence=[ev(f"a{i}")])) for i in range(n)]
    c = corroborate(merge_compatible(rs), {"r": 0.8})
    assert len(c.facts) == n
    (group,) = c.contradictions
    assert len(group.facts) == n and group.kinds == (ConflictKind.DATE,)
    assert [str(fact_iri(f)) for f in group.facts] == sorted(str(fact_iri(f)) for f in c.facts)
    quads = corroboration_quads(c)
    assert sum(1 for q in quads if q[1] == KG.conflictingFact) == n
    assert sum(1 for q in quads if q[1] == RDF.type and q[2] == KG.Contradiction) == 1


def test_groups_are_the_connected_parts_of_the_conflicting_pairs():
    """Two orders of different items never share a group; a fact compatible with every
    other version (undated) is in none; a negation joins the group of its claim."""
    arts = {x: Article(x, x + ".md", "2019-05-01", None) for x in "abcdefg"}
    su35 = [fact(o="Su-35", date="2017", evidence=[ev("a")]), fact(o="Su-35", date="2018-02", evidence=[ev("b")])]
    yak = [fact(o="Yak-130", date="2018", quantity=10, evidence=[ev("c")]),
           fact(o="Yak-130", date="2018", quantity=12, evidence=[ev("d")]),
           fact(o="Yak-130", evidence=[ev("e")])]  # undated, no quantity: compatible with both
    denied = fact(o="Su-35", date="2017", modality="negated", evidence=[ev("f")])
    found = contradictions([*su35, *yak, denied], arts)
    groups = sorted((sorted(str(fact_iri(f)) for f in x.facts), x.kinds) for x in found)
    want_su35 = sorted(str(fact_iri(f)) for f in (*su35, denied))
    want_yak = sorted(str(fact_iri(f)) for f in yak[:2])
    assert groups == sorted([(want_su35, (ConflictKind.DATE, ConflictKind.NEGATION)), (want_yak, (ConflictKind.QUANTITY,))])
    # the order of the input does not change the groups
    again = contradictions([denied, *reversed(yak), *reversed(su35)], arts)
    assert [(x.facts, x.kinds) for x in again] == [(x.facts, x.kinds) for x in found]


def test_precision_from_gold_goes_through_the_pack(tmp_path):
    from kg.rules import load_pack
    from kg.rules.pack import default_pack_path
    import shutil

    assert precision_estimate(4, 0) == 0.8333
    scores = [SimpleNamespace(name="order.buyer_orders_items", tp=9, fp=1), SimpleNamespace(name="x.y", tp=0, fp=3)]
    pack_dir = tmp_path / "pack"
    shutil.copytree(default_pack_path(), pack_dir)
    (pack_dir / "confidence.yaml").write_text(confidence_yaml(scores), encoding="utf-8")
    table = precision_table(load_pack(pack_dir))
    assert table == {"order.buyer_orders_items": pytest.approx(10 / 12, abs=1e-4), "x.y": 0.2}


def test_a_bad_confidence_table_is_a_pack_error(tmp_path):
    from kg.errors import RulePackError
    from kg.rules import load_pack

    (tmp_path / "c.yaml").write_text("confidence:\n  some.rule: {precision: 1.5}\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="precision must be a number from 0 to 1"):
        load_pack(tmp_path)


# --- end to end: our three articles --------------------------------------------------------


@pytest.fixture(scope="module")
def our_build(tmp_path_factory):
    from kg.build import build
    from kg.query import load_graph

    out = tmp_path_factory.mktemp("corroborate-build")
    summary = build([EXAMPLES / name for name in OURS], out)
    return out, summary, load_graph(out)


def _facts(graph, s, p, o):
    q = f"""SELECT ?f ?date ?quantity ?confidence ?sources WHERE {{
      ?f rdf:subject {s} ; rdf:predicate {p} ; rdf:object {o} ; kg:confidence ?confidence ; kg:sourceCount ?sources .
      OPTIONAL {{ ?f kg:date ?date }} OPTIONAL {{ ?f kg:quantity ?quantity }} }} ORDER BY ?date"""
    r = run_query(graph, q)
    return [dict(zip(r.variables, row)) for row in r.rows]


def test_one_contract_in_two_languages_gives_two_flagged_versions(our_build):
    out, summary, g = our_build
    assert summary.shacl_conforms
    versions = _facts(g, "ent:Vietnam", "kg:ordered", "ent:Yak-130")
    assert [(str(v["date"]), int(v["quantity"])) for v in versions] == [("2018", 10), ("2019-03", 12)]
    a, b = (v["f"] for v in versions)
    (conflict,) = set(g.subjects(KG.conflictingFact, a))
    assert set(g.objects(conflict, KG.conflictingFact)) == {a, b} and (conflict, RDF.type, KG.Contradiction) in g
    # one merged entity set: the same ent: IRIs in both articles' graphs
    for art in ("id-06-vietnam-teken-kontrak-yak130", "en-04-hanoi-buys-jet-trainers"):
        r = run_query(g, f"ASK {{ GRAPH art:{art} {{ ?f rdf:subject ent:Vietnam ; rdf:object ent:Yak-130 }} }}")
        assert r.boolean
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cons = report["corroboration"]["contradictions"]
    assert len(cons) == 1 and cons[0]["kinds"] == ["date", "quantity"]
    assert {tuple(f["articles"]) for f in cons[0]["facts"]} == {
        ("en-04-hanoi-buys-jet-trainers.md",), ("id-06-vietnam-teken-kontrak-yak130.md",)}
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Corroboration and contradictions" in md and "| date, quantity | Vietnam `kg:ordered` Yak-130" in md
    row = next(line for line in md.splitlines() if line.startswith("| date, quantity |"))
    assert "2018" in row and "2019-03" in row and "en-04-hanoi-buys-jet-trainers.md" in row


def test_three_sources_score_higher_than_one(our_build, pack):
    _, _, g = our_build
    three = _facts(g, "ent:AlexanderMikheev", "kg:directorOf", "ent:Rosoboronexport")
    once = _facts(g, "ent:Thailand", "kg:ordered", "ent:Mi-17V5")
    assert len(three) == 1 and int(three[0]["sources"]) == 3
    assert len(once) == 1 and int(once[0]["sources"]) == 1
    assert float(three[0]["confidence"]) > float(once[0]["confidence"])
    # the numbers follow the formula with the pack's precision table
    from kg.build import extract_all

    results, _ = extract_all([EXAMPLES / n for n in OURS], pack)
    c = corroborate(merge_compatible(results), precision_table(pack))
    by_pred = {(f.subject.value, f.predicate): f for f in c.facts}
    d = by_pred[("AlexanderMikheev", "kg:directorOf")]
    p = {e.rule: precision_table(pack).get(e.rule, DEFAULT_PRECISION) for e in d.evidence}
    miss = 1.0
    for e in d.evidence:
        miss *= 1 - p[e.rule] * MODALITY_WEIGHTS["asserted"]
    assert float(three[0]["confidence"]) == pytest.approx(1 - miss, abs=1e-4)
    t = by_pred[("Thailand", "kg:ordered")]
    (e,) = t.evidence
    want = precision_table(pack).get(e.rule, DEFAULT_PRECISION) * MODALITY_WEIGHTS[t.modality]
    assert float(once[0]["confidence"]) == pytest.approx(want, abs=1e-4)


def test_the_view_marks_contradicted_facts(our_build):
    from kg.render import edges_json, panel_json

    out, _, _ = our_build
    page = (out / "graph.html").read_text(encoding="utf-8")
    glowing = [e for e in edges_json(page) if e.get("shadow")]
    assert len(glowing) == 2 and all(e["label"] == "ordered" for e in glowing)
    flagged = {k: f["x"] for k, f in panel_json(page)["facts"].items() if f["x"]}
    assert len(flagged) == 2
    assert any("2018" in head and "quantity 10" in head and kinds == "date, quantity"
               for xs in flagged.values() for _, head, kinds in xs)
    assert all(len(xs) == 1 for xs in flagged.values())  # each names the other version, not itself


# --- the competency questions on the examples -------------------------------------------


@pytest.fixture(scope="module")
def examples_build(tmp_path_factory):
    from kg.build import build

    out = tmp_path_factory.mktemp("examples-build")
    build([EXAMPLES], out)
    return out


@pytest.fixture(scope="module")
def examples_graph(examples_build):
    from kg.query import load_graph

    return load_graph(examples_build)


def rows(graph, name):
    r = run_query(graph, str(QUERIES / name))
    return [dict(zip(r.variables, row)) for row in r.rows]


def test_cq7_multi_source(examples_graph):
    r = rows(examples_graph, "cq7_multi_source.rq")
    assert r and all(int(x["sources"]) > 1 for x in r)
    mikheev = [x for x in r if x["subject"] == ENT.AlexanderMikheev and x["predicate"] == KG.directorOf]
    assert len({x["fact"] for x in mikheev}) == 1 and int(mikheev[0]["sources"]) >= 3
    assert "en-05-rosoboronexport-chief-tour.md" in {str(x["file"]) for x in mikheev}
    confidences = [float(x["confidence"]) for x in r]
    assert confidences == sorted(confidences, reverse=True)


def _conflicts(graph) -> dict:
    out: dict = {}
    for x in rows(graph, "cq8_conflicts.rq"):
        c = out.setdefault(x["conflict"], {"kinds": set(), "facts": {}})
        c["kinds"].add(str(x["kind"]))
        c["facts"].setdefault(x["fact"], {"row": x, "files": set()})["files"].add(str(x["file"]))
    return out


def test_cq8_conflicts(examples_graph):
    by_conflict = _conflicts(examples_graph)
    assert all(len(c["facts"]) >= 2 for c in by_conflict.values())  # each conflict: a group of two or more facts
    members = [f for c in by_conflict.values() for f in c["facts"]]
    assert len(members) == len(set(members))  # a fact is in at most one group
    def about(obj):
        return [c for c in by_conflict.values() if all(f["row"]["object"] == ENT[obj] for f in c["facts"].values())]
    (su35,) = about("Su-35")
    # ordered Februari 2018 (id-02) against 2017 (en-03), each with its source, and the
    # cancellation of 2017 that both tell of (before the February 2018 signing): one story
    # that does not add up, so one group
    assert su35["kinds"] == {"date", "cancelled"}
    assert {(str(f["row"]["predicate"]), str(f["row"]["date"]), frozenset(f["files"])) for f in su35["facts"].values()} == {
        (str(KG.ordered), "2018-02", frozenset({"id-02-indonesia-tidak-jadi-membeli-su35.md"})),
        (str(KG.ordered), "2017", frozenset({"en-03-rosoboronexport-sanctions-buyers.md"})),
        (str(KG.cancelledOrderOf), "2017", frozenset({"en-03-rosoboronexport-sanctions-buyers.md",
                                                      "id-02-indonesia-tidak-jadi-membeli-su35.md"}))}
    (yak,) = about("Yak-130")
    assert yak["kinds"] == {"date", "quantity"} and len(yak["facts"]) == 2


def test_cq9_changes_over_time(examples_graph):
    r = [x for x in rows(examples_graph, "cq9_changes_over_time.rq")
         if x["subject"] == ENT.Vietnam and x["object"] == ENT["Yak-130"]]
    seen = [(str(x["published"]), str(x["file"]), str(x["date"]), int(x["quantity"]), bool(x["contradicted"].toPython()))
            for x in r]
    assert seen == [
        ("2019-06-03", "id-06-vietnam-teken-kontrak-yak130.md", "2019-03", 12, True),
        ("2019-08-20", "en-04-hanoi-buys-jet-trainers.md", "2018", 10, True),
        # en-03 wrote "in 2019": compatible with March 2019, so merged into that version
        ("2024-11-14", "en-03-rosoboronexport-sanctions-buyers.md", "2019-03", 12, True),
    ]


@pytest.mark.parametrize("name", ["cq7_multi_source.rq", "cq8_conflicts.rq", "cq9_changes_over_time.rq"])
def test_cross_source_queries_agree_on_both_engines(examples_build, name):
    from collections import Counter

    from kg.query import load_graph, load_store

    a = run_query(load_graph(examples_build), str(QUERIES / name))
    b = run_query(load_store(examples_build), str(QUERIES / name))
    assert a.rows and (a.variables, Counter(a.rows)) == (b.variables, Counter(b.rows))


def test_eval_writes_a_confidence_table_the_pack_reads(tmp_path):
    import shutil

    import yaml
    from typer.testing import CliRunner

    from kg.cli import app
    from kg.rules import load_pack
    from kg.rules.pack import default_pack_path

    pack_dir = tmp_path / "pack"
    shutil.copytree(default_pack_path(), pack_dir)
    target = pack_dir / "confidence.yaml"
    res = CliRunner().invoke(app, ["eval", str(EXAMPLES), str(EXAMPLES.parent / "gold" / "examples.yaml"),
                                   "--rules", str(pack_dir), "--write-confidence", str(target)])
    assert res.exit_code == 0, res.output
    table = yaml.safe_load(target.read_text(encoding="utf-8"))["confidence"]
    assert table and all(v["precision"] == precision_estimate(v["tp"], v["fp"]) for v in table.values())
    assert precision_table(load_pack(pack_dir)) == {k: v["precision"] for k, v in table.items()}


def test_differently_worded_deadlines_are_two_facts_and_the_union_conforms(tmp_path):
    """"by 1995" and "sebelum akhir tahun 1995" qualify one claim differently: each is its own
    fact node, so no node carries two kg:dateModifier values (a SHACL violation a 1 MB
    benchmark build found when they shared one)."""
    from rdflib import Graph

    from kg.build import build

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a-en.txt").write_text(
        "Hanoi outlook.\n\nVietnam likely plans to buy the Su-30MK2 by 2031, officials said.\n", encoding="utf-8")
    (tmp_path / "in" / "b-id.txt").write_text(
        "Rencana Hanoi.\n\nMenurut pengamat, Vietnam kemungkinan akan membeli Su-30MK2 sebelum akhir tahun 2031.\n",
        encoding="utf-8")
    summary = build([tmp_path / "in"], tmp_path / "out", workers=1)
    g = Graph()
    g.parse(tmp_path / "out" / "graph.ttl", format="turtle")
    modifiers = {}
    for fact, mod in g.subject_objects(KG.dateModifier):
        modifiers.setdefault(fact, set()).add(str(mod))
    assert sorted(map(sorted, modifiers.values())) == [["before"], ["by"]]
    assert summary.shacl_conforms, summary


def test_an_undated_report_merges_into_a_dated_one_with_its_modifier():
    """"sanctions from the West" (no date) and "sanctions since February 2022" are one claim:
    the undated fact takes the date and its modifier, and the node has two sources."""
    undated = fact("TheWest", "kg:imposedSanctionsOn", "Russia", evidence=(ev("a"),))
    dated = fact("TheWest", "kg:imposedSanctionsOn", "Russia", date="2022-02", evidence=(ev("b"),))
    dated = dated._replace(qualifiers=tuple(sorted([*dated.qualifiers, ("kg:dateModifier", Term("literal", "after", "string"))])))
    a, b = merge_compatible([result("a", undated), result("b", dated)])
    assert fact_iri(a.facts[0]) == fact_iri(b.facts[0])
    assert a.facts[0].qualifier("kg:dateModifier").value == "after" and a.facts[0].date == "2022-02"
    # a different modifier is a different claim
    other = dated._replace(qualifiers=tuple(sorted([*(q for q in dated.qualifiers if q[0] != "kg:dateModifier"),
                                                     ("kg:dateModifier", Term("literal", "by", "string"))])))
    c, d = merge_compatible([result("c", other), result("d", dated)])
    assert fact_iri(c.facts[0]) != fact_iri(d.facts[0])


def test_the_panel_lists_a_large_group_up_to_its_cap(pack):
    """Fifteen articles dating one order differently: each fact's panel entry names the
    other members (kinds given), the first MAX_PANEL_CONFLICTS, then how many more."""
    from kg.build import assemble_dataset
    from kg.render import MAX_PANEL_CONFLICTS, edges_json, panel_json, render_page

    n = MAX_PANEL_CONFLICTS + 3
    rs = [result(f"a{i:02d}", fact(s="Indonesia", o="Su-35", date=str(2000 + i), evidence=[ev(f"a{i:02d}")]))
          for i in range(n)]
    ds = assemble_dataset(rs, pack)
    page, _ = render_page(ds)
    facts = [f for f in panel_json(page)["facts"].values() if f["p"] == "kg:ordered"]
    assert len(facts) == n
    for f in facts:
        named = [x for x in f["x"] if x[0]]
        assert len(named) == MAX_PANEL_CONFLICTS and all(x[2] == "date" for x in named)
        assert f["x"][-1] == ["", f"... and {n - 1 - MAX_PANEL_CONFLICTS} more", ""]
    assert sum(1 for e in edges_json(page) if e.get("shadow")) == n  # every version glows


# --- contradictions compare only the pairs that could conflict ----------------------------


def _all_pairs(facts, articles):
    """The reference: every pair compared (what kg.corroborate.contradictions must equal)."""
    import itertools

    import networkx as nx

    from kg.corroborate import ConflictKind, _conflicts
    from kg.graph import fact_local

    by_key = {fact_local(f): f for f in facts}
    pairs, kinds = nx.Graph(), {}
    for a, b in itertools.combinations(sorted(by_key), 2):
        found = _conflicts(by_key[a], by_key[b], articles)
        if found:
            pairs.add_edge(a, b)
            kinds.setdefault(a, set()).update(found)
            kinds.setdefault(b, set()).update(found)
    order = list(ConflictKind)
    return [(tuple(group), tuple(sorted({k for m in group for k in kinds[m]}, key=order.index)))
            for group in sorted(sorted(part) for part in nx.connected_components(pairs))]


_PREDICATES = ["kg:ordered", "kg:cancelledOrderOf", "kg:delivered", "kg:presidentOf", "kg:defenceMinisterOf",
               "kg:totalMTCAgreements", "kg:forecastMarketShare"]


@st.composite
def _fact_sets(draw):
    articles = {a: Article(a, a + ".md", draw(st.sampled_from([None, "2016-05-01", "2017-01-02", "2018-09-09"])),
                           draw(st.sampled_from([None, "P1", "P2"]))) for a in ("a1", "a2", "a3", "a4")}
    facts = []
    for _ in range(draw(st.integers(0, 14))):
        f = fact(draw(st.sampled_from(["Vietnam", "India", "Putin"])), draw(st.sampled_from(_PREDICATES)),
                 draw(st.sampled_from(["Yak-130", "Su-35", "Russia"])),
                 draw(st.sampled_from(["asserted", "reported", "negated", "planned"])),
                 draw(st.sampled_from([None, "2017", "2017-02", "2017-03", "2018"])),
                 draw(st.sampled_from([None, 10, 12])),
                 [ev(a, draw(st.integers(0, 2))) for a in draw(st.lists(st.sampled_from(sorted(articles)), min_size=1, max_size=2, unique=True))],
                 draw(st.sampled_from([None, "signed", "delivered", "cancelled"])))
        if draw(st.booleans()):
            f = f._replace(qualifiers=tuple(sorted([*f.qualifiers, ("kg:supplier", Term("entity", draw(st.sampled_from(["ROE", "UAC"]))))])))
        facts.append(f)
    return facts, articles


@settings(max_examples=300, deadline=None)
@given(_fact_sets())
def test_contradictions_are_what_comparing_every_pair_finds(case):
    from kg.corroborate import merge_by_identity
    from kg.graph import fact_local

    facts, articles = case
    facts = merge_by_identity(facts)
    got = [(tuple(fact_local(f) for f in c.facts), c.kinds) for c in contradictions(facts, articles)]
    assert got == _all_pairs(facts, articles)


_VERSIONS = st.tuples(st.sampled_from(["", "2017", "2017-02", "2017-02-14", "2017-03", "2018", "2018-01-01"]),
                      st.sampled_from(["", "10", "12"]), st.sampled_from(["", "before", "after"]), st.sampled_from(["", "end of"]))


@settings(max_examples=500, deadline=None)
@given(st.sets(_VERSIONS, max_size=12))
def test_each_version_goes_to_what_comparing_every_pair_gives(versions):
    """kg.corroborate._refinements looks only under each version's date; comparing every
    pair (the definition) must give the same rewrite."""
    from kg.corroborate import _refinements, _refines

    maximal = [w for w in versions if not any(u != w and _refines(u, w) for u in versions)]
    expected = {}
    for v in versions:
        fits = [w for w in maximal if _refines(w, v)]
        if len(fits) == 1 and fits[0] != v:
            expected[v] = fits[0]
    assert _refinements(versions) == expected
