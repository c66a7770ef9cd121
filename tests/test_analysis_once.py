"""A build reads its dataset into one entity projection and shares it.

kg.analysis.Projection is made once (in kg.build.assemble, by add_analysis_graph) and
handed to the report (summary), the GraphML / GEXF exports and the HTML page; each of them
gives, for the projection, exactly what it gives for the dataset itself, held as
kg.graph.Quads (as a build holds it) or as an rdflib Dataset.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from rdflib import Literal, URIRef

from kg import analysis, build, export, render
from kg.graph import ENTITY_GRAPH
from kg.vocab import ENT, KG

from conftest import EXAMPLES


@pytest.fixture(scope="module")
def examples_results(pack):
    results, _ = build.extract_all([EXAMPLES], pack)
    return results


@pytest.fixture(scope="module")
def assembled(examples_results, pack):
    """The examples' dataset as a build makes it, and the projection the build shares."""
    ds = build.assemble(examples_results, pack)
    return ds, analysis.shared_projection(ds)


def _count_calls(monkeypatch, owner, name: str) -> Counter:
    calls: Counter = Counter()
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_build_reads_and_projects_its_dataset_once(tmp_path, monkeypatch):
    views = _count_calls(monkeypatch, analysis.UnionView, "__init__")
    facts = _count_calls(monkeypatch, analysis, "_read_facts")
    graphs = _count_calls(monkeypatch, analysis, "_entity_graph")
    measures = _count_calls(monkeypatch, analysis, "_centrality")
    made = _count_calls(monkeypatch, analysis.Projection, "__init__")
    build.build([EXAMPLES], tmp_path / "out", workers=1, cache=False)
    assert made["__init__"] == 1
    assert views["__init__"] == 1 and facts["_read_facts"] == 1 and graphs["_entity_graph"] == 1
    assert measures["_centrality"] == 1  # PageRank, betweenness: once, for the analysis graph and the report
    assert all((tmp_path / "out" / name).stat().st_size for name in ("graph.html", "graph.graphml", "graph.gexf"))


def test_with_a_base_iri_the_rebased_dataset_is_projected_once_more(tmp_path, monkeypatch):
    made = _count_calls(monkeypatch, analysis.Projection, "__init__")
    build.build([EXAMPLES], tmp_path / "out", workers=1, cache=False, base_iri="https://example.org/kb/")
    assert made["__init__"] == 2  # the analysis graph is computed before the IRIs are rebased


def test_the_shared_projection_gives_what_the_dataset_gives(assembled):
    quads, shared = assembled
    assert isinstance(shared, analysis.Projection) and analysis.shared_projection(quads) is shared
    ds = quads.to_dataset()
    fresh = analysis.UnionView(ds)  # the dataset with its analysis graph, read anew
    assert shared.view.spo == fresh.spo and shared.view.by_type == fresh.by_type
    assert (shared.view.facts, shared.view.evidence_articles) == (fresh.facts, fresh.evidence_articles)

    assert analysis.fact_records(shared) == analysis.fact_records(ds)
    assert analysis.article_info(shared) == analysis.article_info(ds)
    assert analysis.article_names(shared) == analysis.article_names(ds)
    G, H = analysis.entity_graph(shared), analysis.entity_graph(ds)
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))
    assert analysis.timeline(shared) == analysis.timeline(ds)
    assert analysis.facts_per_source(shared) == analysis.facts_per_source(ds)
    assert analysis.analysis_triples(shared) == analysis.analysis_triples(ds)
    assert json.dumps(analysis.summary(shared), sort_keys=True) == json.dumps(analysis.summary(ds), sort_keys=True)
    top = analysis.summary(shared)["top_actors"]
    a, b = top[0]["iri"], top[-1]["iri"]
    assert analysis.analyze(shared, path=(a, b)) == analysis.analyze(ds, path=(a, b))
    assert analysis.explain_path(shared, a, b) == analysis.explain_path(ds, a, b)

    assert export.serialize_graphml(shared) == export.serialize_graphml(ds)
    assert export.serialize_gexf(shared) == export.serialize_gexf(ds)
    assert render.render_page(shared) == render.render_page(ds)
    assert render.render_page(shared, max_nodes=5, classes=["Country"]) == render.render_page(ds, max_nodes=5, classes=["Country"])


def test_the_analysis_graph_changes_no_part_of_the_projection(examples_results, pack):
    """add_analysis_graph keeps the projection read before the analysis graph was added:
    valid only because that graph changes none of the projection's parts."""
    from kg.corroborate import corroborate, corroboration_quads, merge_compatible, precision_table
    from kg.graph import build_dataset

    results = merge_compatible(examples_results)
    ds = build_dataset(results, pack)
    for quad in corroboration_quads(corroborate(results, precision_table(pack))):
        ds.add(quad)
    before = analysis.projection(ds)
    kept = analysis.add_analysis_graph(ds)
    after = analysis.projection(ds)  # read anew, with the analysis graph
    assert URIRef(analysis.ANALYSIS_GRAPH) not in before.view.spo
    assert kept.view.spo == after.view.spo and kept.view.by_type == after.view.by_type  # the view gets them too
    for part in ("facts", "article_names", "article_info", "pagerank", "centrality", "communities"):
        assert getattr(before, part) == getattr(kept, part) == getattr(after, part), part
    for p in (before, kept):
        assert list(p.graph.nodes(data=True)) == list(after.graph.nodes(data=True))
        assert list(p.graph.edges(keys=True, data=True)) == list(after.graph.edges(keys=True, data=True))


def test_a_changed_or_other_dataset_gets_a_new_projection(examples_results, pack):
    ds = build.assemble(examples_results, pack)
    kept = analysis.shared_projection(ds)
    assert analysis.shared_projection(ds) is kept
    other = build.assemble(examples_results, pack)
    assert analysis.shared_projection(other) is not kept
    ds.add((URIRef(ENT["Atlantis"]), KG.totalMTCAgreements, Literal(3), ENTITY_GRAPH))
    changed = analysis.shared_projection(ds)
    assert changed is not kept and URIRef(ENT["Atlantis"]) in changed.view.spo and URIRef(ENT["Atlantis"]) not in kept.view.spo
    assert analysis.shared_projection(analysis.UnionView(ds)) is not kept  # a view is projected, never looked up


def test_a_projection_is_passed_through_and_reads_lazily(assembled):
    ds, shared = assembled
    assert analysis.projection(shared) is shared and analysis.union_view(shared) is shared.view
    assert analysis.entity_graph(shared) is shared.graph  # shared, not copied
    p = analysis.projection(ds)
    assert "graph" not in vars(p)  # nothing beyond the view is computed until asked for
    analysis.timeline(p)
    assert "facts" in vars(p) and "graph" not in vars(p)
    # the public functions hand out copies of the kept lists and dicts
    analysis.fact_records(shared).clear()
    analysis.article_info(shared)[next(iter(shared.article_info))]["name"] = "changed"
    analysis.summary(shared)["communities"][0].clear()
    assert analysis.fact_records(shared) == analysis.fact_records(ds)
    assert analysis.article_info(shared) == analysis.article_info(ds)
    assert analysis.summary(shared) == analysis.summary(ds)
