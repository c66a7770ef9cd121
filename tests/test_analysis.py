"""kg.analysis over a hand-written dataset in the shape of docs/design.md."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from factgraph_fixture import A1, A2, chain_dataset, sample_dataset
from rdflib import Dataset, Graph

from kg import analysis
from kg.vocab import COUNT, ENT

RUSSIA, CAATSA, TRUMP = str(ENT.Russia), str(ENT.CAATSA), str(ENT.Donald_Trump)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return sample_dataset()


@pytest.fixture(scope="module")
def G(ds) -> nx.MultiDiGraph:
    return analysis.entity_graph(ds)


def test_projection_has_one_node_per_entity_and_count_and_one_edge_per_fact(G):
    assert G.number_of_nodes() == 12  # 10 entities + 2 unnamed-party counts
    assert G.number_of_edges() == 10  # 11 facts, one of them with a literal object
    assert sorted(G.nodes) == list(G.nodes)  # added in sorted order
    assert G.nodes[str(COUNT["8-Country"])]["cls"] == "UnnamedParties"
    assert G.nodes[str(COUNT["8-Country"])]["label"] == "8 countries"


def test_node_attributes_prefer_english_label_and_specific_class(G):
    assert G.nodes[RUSSIA]["label"] == "Russia"  # not "Rusia"@id
    assert G.nodes[str(ENT.SoutheastAsia)]["label"] == "Asia Tenggara"  # only an @id label
    assert G.nodes[str(ENT.Rosoboronexport)]["cls"] == "Company"  # not its superclass Organization
    assert G.nodes[RUSSIA]["iri"] == RUSSIA
    assert G.nodes[RUSSIA]["cls"] == "Country"  # described in the default graph only


def test_literal_object_fact_is_a_node_attribute(G):
    assert G.nodes[RUSSIA]["literal_facts"] == [("kg:totalMTCAgreements", "14", "reported")]
    assert all(not d["literal_facts"] for n, d in G.nodes(data=True) if n != RUSSIA)


def test_edges_carry_the_fact_and_its_qualifiers(G):
    edges = G.get_edge_data(str(ENT.HAL), str(ENT["Su-30MKI"]))
    assert len(edges) == 1
    (key, d), = edges.items()
    assert key.startswith("https://w3id.org/defcoop/fact/")
    assert d["predicate"] == "kg:licensedProducerOf"
    assert d["modality"] == "asserted"
    assert d["date"] == "2000"
    assert d["qualifiers"]["kg:licensor"] == [str(ENT.Rosoboronexport)]
    assert d["evidence"] == [
        ("HAL produces the Su-30MKI under licence since 2000.", str(A1), "test.rule", 10, 61)
    ]


def test_evidence_from_two_articles_is_merged_and_sorted(G):
    (d,) = G.get_edge_data(str(ENT.Rosoboronexport), RUSSIA).values()
    assert [e.article for e in d["evidence"]] == sorted([str(A1), str(A2)])


def test_parallel_facts_stay_separate_edges(G):
    between = G.get_edge_data(CAATSA, RUSSIA)
    assert sorted(d["predicate"] for d in between.values()) == ["kg:putsPressureOn", "kg:threatenedSanctionsAgainst"]


def test_every_modality_is_kept_and_named(G):
    modalities = sorted({d["modality"] for _, _, d in G.edges(data=True)})
    assert modalities == ["asserted", "comment", "negated", "planned", "reported", "speculated"]


def test_a_plain_graph_gives_the_same_projection(ds, G):
    plain = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        plain.add((s, p, o))
    H = analysis.entity_graph(plain)
    assert nx.utils.edges_equal(sorted(G.edges(keys=True)), sorted(H.edges(keys=True)))
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))


def test_empty_dataset():
    G = analysis.entity_graph(Dataset())
    assert (G.number_of_nodes(), G.number_of_edges()) == (0, 0)
    s = analysis.summary(Dataset())
    assert s["counts"]["nodes"] == 0 and s["communities"] == [] and s["timeline"] == []


def test_pagerank_ranks_the_hub_first_and_matches_networkx(G):
    cent = analysis.centrality(G)
    ranked = sorted(cent, key=lambda n: -cent[n]["pagerank"])
    assert ranked[0] == RUSSIA
    # a sink reached from two sources outranks each of its sources
    su30 = str(ENT["Su-30MKI"])
    assert cent[su30]["pagerank"] > cent[str(ENT.HAL)]["pagerank"]
    assert cent[su30]["pagerank"] > cent[str(ENT.India)]["pagerank"]
    assert sum(c["pagerank"] for c in cent.values()) == pytest.approx(1.0)
    assert cent[RUSSIA]["degree"] == 6
    assert cent[RUSSIA]["betweenness"] > 0
    reference = getattr(nx.algorithms.link_analysis.pagerank_alg, "_pagerank_python", None)
    if reference is not None:  # networkx's own pure-Python version, if this release keeps it
        expected = reference(analysis.simple_digraph(G), tol=1e-12)
        for n in G:
            assert cent[n]["pagerank"] == pytest.approx(expected[n], abs=1e-8)


def test_communities_and_components_are_sorted_partitions(G):
    comms = analysis.communities(G)
    comps = analysis.components(G)
    for groups in (comms, comps):
        assert sorted(n for g in groups for n in g) == sorted(G.nodes)
        assert all(g == sorted(g) for g in groups)
        assert [len(g) for g in groups] == sorted((len(g) for g in groups), reverse=True)
    assert len(comps) == 3
    assert [str(ENT.Indonesia), str(ENT["Mi-17V5"])] in comps
    assert any({RUSSIA, str(COUNT["8-Country"])} <= set(c) for c in comms)


def test_shortest_path_walks_facts_against_their_direction(G):
    steps = analysis.shortest_path(G, "ent:Russia", TRUMP)
    assert [(s["from"], s["to"]) for s in steps] == [(RUSSIA, CAATSA), (CAATSA, TRUMP)]
    assert [s["predicate"] for s in steps] == ["kg:putsPressureOn", "kg:signedLaw"]  # asserted beats speculated
    assert [s["direction"] for s in steps] == ["backward", "backward"]
    assert steps[1]["evidence"][0][0] == "Donald Trump signed CAATSA on 2 August 2017."
    forward = analysis.shortest_path(G, TRUMP, RUSSIA)
    assert [s["direction"] for s in forward] == ["forward", "forward"]


def test_shortest_path_without_connection_or_to_unknown_entity(G):
    assert analysis.shortest_path(G, str(ENT.Indonesia), RUSSIA) == []
    assert analysis.shortest_path(G, RUSSIA, RUSSIA) == []
    with pytest.raises(analysis.UnknownEntityError, match="Atlantis"):
        analysis.shortest_path(G, "ent:Atlantis", RUSSIA)


def test_timeline_is_in_date_order_with_labels_and_sources(ds):
    rows = analysis.timeline(ds)
    assert [r["date"] for r in rows] == ["2000", "2017-08-02", "2022-02", "2026"]
    first = rows[0]
    assert (first["subject_label"], first["predicate"], first["object_label"]) == (
        "Hindustan Aeronautics Limited", "kg:licensedProducerOf", "Su-30MKI")
    assert first["source"] == str(A1)
    assert [r["modality"] for r in rows] == ["asserted", "asserted", "negated", "planned"]
    assert rows[1]["sources"] == [str(A2)]


def test_facts_per_source_counts_each_fact_once_per_article(ds):
    assert analysis.facts_per_source(ds) == {str(A2): 4, str(A1): 8}
    assert list(analysis.facts_per_source(ds)) == sorted([str(A1), str(A2)])


def test_summary_is_json_and_deterministic(ds):
    s = analysis.summary(ds)
    text = json.dumps(s, sort_keys=False)
    assert json.dumps(analysis.summary(sample_dataset()), sort_keys=False) == text
    assert s["counts"] == {
        "nodes": 12, "entities": 10, "count_nodes": 2, "facts": 11, "edges": 10,
        "literal_facts": 1, "articles": 2,
    }
    assert s["top_actors"][0]["iri"] == RUSSIA
    assert s["modalities"]["speculated"] == 2
    assert len(s["timeline"]) == 4


def test_larger_graph_hub(tmp_path):
    G = analysis.entity_graph(chain_dataset(50))
    cent = analysis.centrality(G)
    assert max(cent, key=lambda n: cent[n]["pagerank"]) == RUSSIA
    assert cent[RUSSIA]["degree"] == 50
    assert analysis.components(G) == [sorted(G.nodes)]


def test_a_qualifier_links_its_entity_to_the_fact_parties(G):
    """HAL licensedProducerOf Su-30MKI (licensor Rosoboronexport) joins HAL and Rosoboronexport."""
    steps = analysis.shortest_path(G, "ent:HAL", CAATSA)
    assert [(s["from"], s["to"]) for s in steps] == [
        (str(ENT.HAL), str(ENT.Rosoboronexport)), (str(ENT.Rosoboronexport), RUSSIA), (RUSSIA, CAATSA)]
    assert steps[0]["direction"] == "qualifier" and steps[0]["role"] == "kg:licensor"
    assert steps[0]["predicate"] == "kg:licensedProducerOf"
    assert [s["role"] for s in steps[1:]] == [None, None]
    U = analysis.party_graph(G)
    assert U.has_edge(str(ENT.HAL), str(ENT.Rosoboronexport)) and U.has_edge(str(ENT.India), str(ENT["Su-30MKI"]))


@pytest.mark.parametrize("name", ["ent:HAL", "HAL", "hal", "Hindustan  Aeronautics limited", str(ENT.HAL)])
def test_resolve_entity_by_id_label_alias_any_case(G, name):
    assert analysis.resolve_entity(G, name) == str(ENT.HAL)


def test_resolve_entity_aliases_and_errors(G):
    assert analysis.resolve_entity(G, "rusia") == RUSSIA  # the Indonesian label
    assert analysis.resolve_entity(G, "asia tenggara") == str(ENT.SoutheastAsia)
    with pytest.raises(analysis.UnknownEntityError, match="did you mean 'Russia'"):
        analysis.resolve_entity(G, "Russa")
    H = G.copy()
    H.add_node("https://w3id.org/defcoop/id/Other", label="Other", aliases=["Rusia"], cls="Country")
    assert analysis.resolve_entity(H, "Rusia") == RUSSIA  # a label beats an alias
    H.add_node("https://w3id.org/defcoop/id/Twin", label="Twin", aliases=["Rusia", "Zed"], cls="Country")
    H.nodes["https://w3id.org/defcoop/id/Other"]["aliases"] = ["Zed"]
    with pytest.raises(analysis.AmbiguousEntityError, match="ent:Other.*ent:Twin"):
        analysis.resolve_entity(H, "zed")


def test_explain_path_names_sources(ds):
    p = analysis.explain_path(ds, "Donald Trump", "russia")
    assert p["found"] and p["from"]["label"] == "Donald Trump" and p["to"]["iri"] == RUSSIA
    assert [s["predicate"] for s in p["steps"]] == ["kg:signedLaw", "kg:putsPressureOn"]
    src = p["steps"][0]["sources"][0]
    assert src["article_name"] == "CAATSA signed"
    assert src["sentence"] == "Donald Trump signed CAATSA on 2 August 2017."
    assert (src["rule"], src["start"], src["end"]) == ("test.rule", 0, 44)
    none = analysis.explain_path(ds, "Indonesia", "Russia")
    assert not none["found"] and none["steps"] == []
    text = analysis.report_text(analysis.analyze(ds, path=("Indonesia", "Russia")))
    assert "Path from Indonesia to Russia: none" in text


def test_report_text_and_markdown(ds):
    report = analysis.analyze(ds, path=("ent:HAL", "CAATSA"))
    text = analysis.report_text(report)
    assert text.splitlines()[0] == "10 entities, 2 unnamed-party counts, 11 facts from 2 articles."
    assert "| 1 | Russia | Country |" in text
    assert "1. Hindustan Aeronautics Limited `kg:licensedProducerOf` Su-30MKI (asserted, 2000; joins Rosoboronexport as `kg:licensor`)" in text
    assert '"HAL produces the Su-30MKI under licence since 2000." (Rosoboronexport and the Su-30MKI; rule test.rule, chars 10-61)' in text
    md = analysis.report_markdown(report)
    for heading in ("### Central actors", "### Communities", "### Connected components: 3", "### Path", "### Timeline", "### Facts per source"):
        assert heading in md
    assert "| CAATSA signed | 4 |" in md


def test_write_report_keeps_the_build_report(tmp_path, ds):
    (tmp_path / "report.json").write_text('{"summary": {"facts": 11}, "analysis": {"old": 1}}', encoding="utf-8")
    (tmp_path / "report.md").write_text("# Build report\n\nkept\n", encoding="utf-8")
    report = analysis.analyze(ds, path=("HAL", "CAATSA"))
    analysis.write_report(report, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["summary"] == {"facts": 11} and "old" not in data["analysis"]
    assert data["path"]["steps"][0]["role"] == "kg:licensor"
    first = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert first.startswith("# Build report\n\nkept\n") and first.count("kg analyze: begin") == 1
    analysis.write_report(analysis.analyze(ds), tmp_path)  # again, without a path: replaced, not appended
    second = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert second.count("kg analyze: begin") == 1 and "### Path" not in second
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["path"] is None
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(analysis.InputError, match="not a JSON report"):
        analysis.write_report(report, tmp_path / "bad")


def test_analysis_triples_are_a_separate_named_graph(ds):
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from kg.vocab import KG

    quads = analysis.analysis_triples(ds)
    assert {q[3] for q in quads} == {analysis.ANALYSIS_GRAPH}
    assert quads == sorted(quads, key=lambda q: tuple(analysis._term_key(t) for t in q))
    by = {(q[0], q[1]): q[2] for q in quads}
    cent = analysis.centrality(analysis.entity_graph(ds))
    assert by[(URIRef(RUSSIA), KG.pageRank)] == Literal(f"{cent[RUSSIA]['pagerank']:.6f}", datatype=XSD.decimal)
    assert by[(URIRef(RUSSIA), KG.factCount)] == Literal(6, datatype=XSD.integer)
    assert len([q for q in quads if q[1] == KG.pageRank]) == 12  # one per node
    # adding them changes no fact, edge or node of the projection
    before = analysis.entity_graph(ds)
    ds2 = sample_dataset()
    for q in quads:
        ds2.add(q)
    after = analysis.entity_graph(ds2)
    assert sorted(before.edges(keys=True)) == sorted(after.edges(keys=True))
    assert dict(before.nodes(data=True)) == dict(after.nodes(data=True))
    assert analysis.summary(ds2)["counts"] == analysis.summary(ds)["counts"]
