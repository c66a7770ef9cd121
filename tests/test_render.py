"""kg.render: an offline, safe, deterministic pyvis page of the entity graph."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from factgraph_fixture import (
    HOSTILE_LABEL,
    HOSTILE_SENTENCE,
    HOSTILE_TITLE,
    chain_dataset,
    hostile_dataset,
    sample_dataset,
)

from kg import analysis, render
from kg.vocab import ENT


class _Attrs(HTMLParser):
    """Every (tag, attribute, value) of the real tags of a page (script bodies are skipped)."""

    def __init__(self):
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)


def _parse(page: str) -> _Attrs:
    p = _Attrs()
    p.feed(page)
    p.close()
    return p


@pytest.fixture(scope="module")
def page_and_stats(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "graph.html"
    stats = render.render_html(sample_dataset(), out)
    return out.read_text(encoding="utf-8"), stats


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "graph.html"
    render.render_html(hostile_dataset(), out, title="<b>Report</b> & <script>alert('h1')</script>")
    return out.read_text(encoding="utf-8")


def test_stats_match_the_projection(page_and_stats):
    page, stats = page_and_stats
    G = analysis.entity_graph(sample_dataset())
    assert stats == render.RenderStats(nodes=G.number_of_nodes(), edges=G.number_of_edges(), omitted_nodes=0)
    nodes, edges = render.nodes_json(page), render.edges_json(page)
    assert len(nodes) == G.number_of_nodes() == 12
    assert len(edges) == G.number_of_edges() == 10
    assert sorted(n["id"] for n in nodes) == sorted(G.nodes)
    assert len({e["id"] for e in edges}) == 10  # one vis edge per fact, keyed by the fact IRI


def test_no_remote_resources(page_and_stats):
    page, _ = page_and_stats
    parsed = _parse(page)
    for tag, attr, value in parsed.attrs:
        if attr in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, attr, value)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", page, re.I)
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    assert render.remote_references(page) == []
    # vis-network is inlined, so the page works offline
    assert "vis.Network" in page and 'new vis.DataSet' in page
    assert parsed.tags.count("link") == 0


def test_layout_is_fixed_and_physics_off(page_and_stats):
    page, _ = page_and_stats
    nodes = render.nodes_json(page)
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in nodes)
    assert len({(n["x"], n["y"]) for n in nodes}) == len(nodes)  # no two nodes on one spot
    assert '"physics": {"enabled": false}' in page


def test_colours_sizes_and_edge_styles(page_and_stats):
    page, _ = page_and_stats
    nodes = {n["id"]: n for n in render.nodes_json(page)}
    russia, hal = nodes[str(ENT.Russia)], nodes[str(ENT.HAL)]
    assert russia["color"] == render.CLASS_COLOURS["Country"]
    assert hal["color"] == render.CLASS_COLOURS["Company"]
    assert russia["size"] > hal["size"]  # sized by PageRank
    edges = {e["label"]: e for e in render.edges_json(page)}
    assert edges["signedLaw"]["dashes"] is False
    assert edges["potentialPartnerRegion"]["dashes"] is True
    assert edges["wantsToAcquire"]["dashes"] is True
    assert edges["wantsToAcquire"]["color"] == render.MODALITY_STYLES["comment"][0]
    assert edges["wantsToAcquire"]["color"] not in {edges[p]["color"] for p in edges if p != "wantsToAcquire"}
    # the two CAATSA -> Russia facts are bent apart, not drawn on top of each other
    bent = [e for e in render.edges_json(page) if "smooth" in e]
    assert len(bent) == 1


def test_legend_and_tooltips(page_and_stats):
    page, _ = page_and_stats
    assert 'id="kg-legend"' in page
    for cls in render.CLASS_COLOURS:
        assert f"</span>{cls}</span>" in page
    for modality in render.MODALITY_STYLES:
        assert f"</span>{modality}</span>" in page
    edges = {e["label"]: e for e in render.edges_json(page)}
    title = edges["signedLaw"]["title"]
    assert "Donald Trump signed CAATSA on 2 August 2017." in title
    assert "CAATSA signed" in title  # the article's title, not only its IRI
    russia = next(n for n in render.nodes_json(page) if n["id"] == str(ENT.Russia))
    assert "totalMTCAgreements = 14" in russia["title"]
    assert "<" not in russia["title"]  # titles are plain text, never markup


def test_hostile_text_is_escaped_everywhere(hostile_page):
    page = hostile_page
    for raw in ("<script>alert", "<img src=x", "<b>Report", "onerror=alert(1)>"):
        assert raw not in page
    # pyvis's innerHTML popup is never switched on, even with "href" in a sentence
    assert "popup.innerHTML" not in page
    nodes = render.nodes_json(page)
    evil = next(n for n in nodes if n["id"] == str(ENT.Evil))
    assert evil["label"] == html.escape(HOSTILE_LABEL, quote=False)
    assert "href" not in evil["title"].lower()
    edge = next(e for e in render.edges_json(page) if e["from"] == str(ENT.Evil))
    assert html.escape(HOSTILE_SENTENCE, quote=False).replace("href", "hre\u2060f") in edge["title"]
    assert html.escape(HOSTILE_TITLE, quote=False) in edge["title"]  # the article's name
    assert "&lt;b&gt;Report&lt;/b&gt; &amp; &lt;script&gt;alert(&#x27;h1&#x27;)&lt;/script&gt;" in page
    # no tag carries an event handler (the inlined libraries' own tags have none either)
    assert not [a for a in _parse(page).attrs if a[1].startswith("on")]


def test_same_graph_same_bytes(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    render.render_html(hostile_dataset(), a)
    render.render_html(hostile_dataset(), b)
    assert a.read_bytes() == b.read_bytes()


def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path):
    """Set and dict order of IRIs changes with PYTHONHASHSEED; the page must not."""
    script = (
        "import sys; from factgraph_fixture import hostile_dataset; from kg import render; "
        "render.render_html(hostile_dataset(), sys.argv[1])"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(root), str(root / "tests")])}
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env, cwd=root)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_max_nodes_keeps_top_pagerank_and_says_so(tmp_path):
    out = tmp_path / "small.html"
    stats = render.render_html(chain_dataset(20), out, max_nodes=5)
    page = out.read_text(encoding="utf-8")
    assert stats == render.RenderStats(nodes=5, edges=4, omitted_nodes=16)
    assert "16 of 21 nodes left out" in page
    nodes = render.nodes_json(page)
    assert len(nodes) == 5
    assert str(ENT.Russia) in {n["id"] for n in nodes}  # the hub survives the cut
    full = render.render_html(chain_dataset(20), tmp_path / "full.html")
    assert full.omitted_nodes == 0
    assert "left out" not in (tmp_path / "full.html").read_text(encoding="utf-8")


def test_written_atomically_over_an_existing_file(tmp_path):
    out = tmp_path / "sub" / "graph.html"
    render.render_html(sample_dataset(), out)
    render.render_html(chain_dataset(3), out)
    assert os.listdir(out.parent) == ["graph.html"]  # no temp file left behind
    assert "Country 002" in out.read_text(encoding="utf-8")


def test_failed_render_leaves_old_file(tmp_path, monkeypatch):
    out = tmp_path / "graph.html"
    out.write_text("old", encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", boom)
    with pytest.raises(OSError):
        render.render_html(sample_dataset(), out)
    assert out.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["graph.html"]


def test_negative_max_nodes_is_refused(tmp_path):
    with pytest.raises(ValueError):
        render.render_html(sample_dataset(), tmp_path / "x.html", max_nodes=-1)
