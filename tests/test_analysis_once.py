"""A build never reads its own RDF back: its entity projection is made from its facts.

kg.analysis.Projection is made once per build (Projection.of, in kg.build) from the facts
merged across articles (without their sentences), the gazetteer and the articles'
metadata: the report (summary), the analysis graph and the GraphML / GEXF node tables read
it. The page gets a projection of the facts it shows, with their sentences
(kg.render.page_projection). Each must give exactly what the projection of the files the
build wrote gives (what `kg analyze`, `kg render` and `kg export` read later).
"""

from __future__ import annotations

import io
import json
from collections import Counter

import networkx as nx

import pytest

from kg import analysis, build, export, render
from kg.query import load_graph

from conftest import EXAMPLES, seeds_dir


def _count_calls(monkeypatch, owner, name: str) -> Counter:
    calls: Counter = Counter()
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _built(tmp_path, monkeypatch, inputs, **kwargs):
    """Build, and keep the projection the build handed to the page."""
    seen = []
    real = render.render_html
    monkeypatch.setattr(render, "render_html", lambda p, *a, **k: seen.append(p) or real(p, *a, **k))
    out = tmp_path / "out"
    build.build(inputs, out, workers=1, cache=False, **kwargs)
    monkeypatch.setattr(render, "render_html", real)
    assert len(seen) == 1
    return out, seen[0]


def test_a_build_projects_its_facts_once_and_reads_no_rdf(tmp_path, monkeypatch):
    views = _count_calls(monkeypatch, analysis.UnionView, "__init__")
    read = _count_calls(monkeypatch, analysis, "_read_facts")
    made = _count_calls(monkeypatch, analysis.Projection, "of")
    measures = _count_calls(monkeypatch, analysis, "_centrality")
    build.build([EXAMPLES], tmp_path / "out", workers=1, cache=False)
    assert views["__init__"] == 0 and read["_read_facts"] == 0
    assert made["of"] == 2  # the build's, of its facts without their sentences, and the page's, of the facts it shows
    assert measures["_centrality"] == 1  # PageRank, betweenness: once, for the analysis graph and the report
    assert all((tmp_path / "out" / name).stat().st_size for name in ("graph.html", "graph.graphml", "graph.gexf"))


@pytest.mark.parametrize("base", [None, "https://example.org/kb/"])
def test_the_builds_projection_is_what_its_files_give(tmp_path, monkeypatch, base):
    inputs = [EXAMPLES, seeds_dir()]
    out, built = _built(tmp_path, monkeypatch, inputs, base_iri=base)
    read = analysis.projection(load_graph(out))
    assert built.facts == read.facts and len(built.facts) > 100
    assert built.nodes == read.nodes
    assert built.conflicts == read.conflicts and built.conflicts
    assert built.article_names == read.article_names and built.article_info == read.article_info
    assert analysis.timeline(built) == analysis.timeline(read)
    assert analysis.facts_per_source(built) == analysis.facts_per_source(read)
    assert analysis.analysis_triples(built) == analysis.analysis_triples(read)
    assert json.dumps(analysis.summary(built), sort_keys=True) == json.dumps(analysis.summary(read), sort_keys=True)
    top = analysis.summary(built)["top_actors"]
    a, b = top[0]["iri"], top[-1]["iri"]
    assert analysis.analyze(built, path=(a, b)) == analysis.analyze(read, path=(a, b))
    assert export.serialize_graphml(built) == export.serialize_graphml(read)
    assert export.serialize_gexf(built) == export.serialize_gexf(read)
    # the build writes the edges article by article: the same graph, in another order
    for name, reader in (("graph.graphml", lambda f: nx.read_graphml(f, force_multigraph=True)), ("graph.gexf", nx.read_gexf)):
        written, made = reader(out / name), reader(io.StringIO(getattr(export, f"serialize_{name[6:]}")(read)))
        assert dict(written.nodes(data=True)) == dict(made.nodes(data=True))
        assert sorted(written.edges(keys=True, data=True)) == sorted(made.edges(keys=True, data=True))
    assert render.render_page(built) == render.render_page(read)
    assert render.render_page(built, max_nodes=5, classes=["Country"]) == render.render_page(read, max_nodes=5, classes=["Country"])


def test_the_simple_graph_and_measures_equal_those_of_the_multigraph(tmp_path, monkeypatch):
    """Measures come from the facts' simple weighted graph, never from the one-edge-per-fact
    multigraph; the multigraph's own measures must agree."""
    _out, p = _built(tmp_path, monkeypatch, [EXAMPLES])
    G = p.graph
    assert analysis.centrality(G) == p.centrality
    assert analysis.communities(G) == p.communities
    assert analysis.components(G) == analysis.components(p.simple)
    assert sorted(analysis.simple_digraph(G).edges(data="weight")) == sorted(p.simple.edges(data="weight"))


def test_a_projection_is_passed_through_and_reads_lazily(tmp_path):
    build.build([EXAMPLES], tmp_path / "out", workers=1, cache=False)
    ds = load_graph(tmp_path / "out")
    p = analysis.projection(ds)
    assert analysis.projection(p) is p and analysis.union_view(p) is p.view
    assert "graph" not in vars(p)  # nothing beyond the view is computed until asked for
    analysis.timeline(p)
    analysis.summary(p)
    assert "facts" in vars(p) and "graph" not in vars(p)  # the multigraph is made only for paths and pages
    assert analysis.entity_graph(p) is p.graph  # shared, not copied
    # the public functions hand out copies of the kept lists and dicts
    analysis.fact_records(p).clear()
    analysis.article_info(p)[next(iter(p.article_info))]["name"] = "changed"
    analysis.summary(p)["communities"][0].clear()
    fresh = analysis.projection(ds)
    assert analysis.fact_records(p) == analysis.fact_records(fresh)
    assert analysis.article_info(p) == analysis.article_info(fresh)
    assert analysis.summary(p) == analysis.summary(fresh)
