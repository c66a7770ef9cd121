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
    assert edges["signedLaw"]["dashes"] is False  # asserted: solid
    speculated, comment = edges["potentialPartnerRegion"], edges["wantsToAcquire"]
    planned = next(e for e in render.edges_json(page) if e["modality"] == "planned")
    patterns = [speculated["dashes"], comment["dashes"], planned["dashes"]]
    assert all(isinstance(p, list) and p for p in patterns)
    assert len({tuple(p) for p in patterns}) == 3  # each non-asserted modality has its own pattern
    assert comment["color"] == render.MODALITY_STYLES["comment"][0]
    assert comment["color"] not in {edges[p]["color"] for p in edges if p != "wantsToAcquire"}
    # the two CAATSA -> Russia facts are bent apart, not drawn on top of each other
    bent = [e for e in render.edges_json(page) if "smooth" in e]
    assert len(bent) == 1


def test_legend_and_tooltips(page_and_stats):
    page, _ = page_and_stats
    assert 'id="kg-legend"' in page
    G = analysis.entity_graph(sample_dataset())
    for cls in {d["cls"] for _, d in G.nodes(data=True)}:  # each class on the page, with its colour
        assert f'data-filter="cls" value="{cls}" checked><span class="kg-dot" style="background:{render.CLASS_COLOURS[cls]}">' in page
    for modality in render.MODALITY_STYLES:
        assert f'data-filter="mod" value="{modality}" checked>' in page
    for predicate in {d["predicate"].split(":")[1] for _, _, d in G.edges(data=True)}:
        assert f'data-filter="rel" value="{predicate}" checked>' in page
    edges = {e["label"]: e for e in render.edges_json(page)}
    title = edges["signedLaw"]["title"]
    assert "Donald Trump signed CAATSA on 2 August 2017." in title
    assert "CAATSA signed" in title  # the article's title, not only its IRI
    russia = next(n for n in render.nodes_json(page) if n["id"] == str(ENT.Russia))
    assert "totalMTCAgreements = 14" in russia["title"]
    assert "<" not in russia["title"]  # titles are plain text, never markup


def test_hostile_text_is_data_never_markup(hostile_page):
    page = hostile_page
    for raw in ("<script>alert", "<img src=x", "<b>Report", "onerror=alert(1)>"):
        assert raw not in page  # the raw markup never appears; it only exists as JSON-escaped data
    # pyvis's innerHTML popup is never switched on, even with "href" in a sentence
    assert "popup.innerHTML" not in page
    # the data keeps the text as it was written: vis-network draws labels on a canvas and
    # sets tooltips with innerText, and the panel uses textContent, so it shows, never runs
    nodes = render.nodes_json(page)
    evil = next(n for n in nodes if n["id"] == str(ENT.Evil))
    assert evil["label"] == HOSTILE_LABEL
    assert "href" not in evil["title"].lower()
    edge = next(e for e in render.edges_json(page) if e["from"] == str(ENT.Evil))
    assert HOSTILE_SENTENCE.replace("href", "hre\u2060f") in edge["title"]
    assert HOSTILE_TITLE in edge["title"]  # the article's name
    panel = render.panel_json(page)
    fact = panel["facts"][edge["id"]]
    assert fact["ev"][0][0] == HOSTILE_SENTENCE
    assert panel["articles"][fact["ev"][0][1]]["name"] == HOSTILE_TITLE
    # the page's own markup (heading, filters) is HTML-escaped
    assert "&lt;b&gt;Report&lt;/b&gt; &amp; &lt;script&gt;alert(&#x27;h1&#x27;)&lt;/script&gt;" in page
    # no tag carries an event handler (the inlined libraries' own tags have none either)
    assert not [a for a in _parse(page).attrs if a[1].startswith("on")]
    # the page's own script never uses innerHTML or document.write
    own = page[page.index('<script type="application/json" id="kg-data">'):]
    assert "innerHTML" not in own and "document.write" not in own and "insertAdjacentHTML" not in own


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
    assert (stats.nodes, stats.edges, stats.omitted_nodes) == (5, 4, 16)
    assert stats.notes[0].startswith("16 of 21 nodes left out: only the 5 with the highest PageRank")
    assert "16 of 21 nodes left out" in page and 'id="kg-omitted"' in page
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

    monkeypatch.setattr("kg.export.os.replace", boom)  # the page is written by export.write_atomic
    with pytest.raises(OSError):
        render.render_html(sample_dataset(), out)
    assert out.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["graph.html"]


def test_negative_max_nodes_is_refused(tmp_path):
    with pytest.raises(ValueError):
        render.render_html(sample_dataset(), tmp_path / "x.html", max_nodes=-1)


def test_panel_data_lists_every_fact_of_a_node_with_evidence_and_source(page_and_stats):
    page, _ = page_and_stats
    panel = render.panel_json(page)
    russia = panel["nodes"][str(ENT.Russia)]
    assert russia["shown"] and russia["label"] == "Russia" and "Rusia" in russia["aliases"]
    assert len(russia["facts"]) == 7  # 6 facts with another party + 1 with a literal value
    literal = [panel["facts"][k] for k in russia["facts"] if panel["facts"][k]["lit"]]
    assert [(f["p"], f["o"], f["m"]) for f in literal] == [("kg:totalMTCAgreements", "14", "reported")]
    assert literal[0]["ev"][0][0] == "Fourteen agreements in all, said Belousov."
    agent = next(panel["facts"][k] for k in russia["facts"] if panel["facts"][k]["p"] == "kg:officialExportAgentOf")
    assert [panel["articles"][e[1]]["name"] for e in agent["ev"]] == ["CAATSA signed", "Rosoboronexport and the Su-30MKI"]
    hal = panel["facts"][panel["nodes"][str(ENT.HAL)]["facts"][0]]
    assert dict((q, v) for q, v in hal["q"])["kg:licensor"] == [str(ENT.Rosoboronexport)]
    assert panel["notes"] == []


def test_focus_and_hops_keep_the_neighbourhood_and_say_so(tmp_path):
    out = tmp_path / "focus.html"
    stats = render.render_html(sample_dataset(), out, focus="donald trump", hops=1)
    ids = {n["id"] for n in render.nodes_json(out.read_text(encoding="utf-8"))}
    assert ids == {str(ENT.Donald_Trump), str(ENT.CAATSA)}
    assert stats.omitted_nodes == 10 and "1-hop neighbourhood of Donald Trump" in stats.notes[0]
    two = render.render_html(sample_dataset(), tmp_path / "two.html", focus="ent:Donald_Trump", hops=2)
    page = (tmp_path / "two.html").read_text(encoding="utf-8")
    assert str(ENT.Russia) in {n["id"] for n in render.nodes_json(page)}
    panel = render.panel_json(page)
    # Russia's facts with parties not on the page are still in its panel, marked as not shown
    russia = panel["nodes"][str(ENT.Russia)]
    others = {panel["facts"][k]["o"] for k in russia["facts"]} | {panel["facts"][k]["s"] for k in russia["facts"]}
    assert str(ENT.SoutheastAsia) in others and panel["nodes"][str(ENT.SoutheastAsia)]["shown"] is False
    assert two.omitted_nodes > 0 and "left out" in page
    with pytest.raises(analysis.UnknownEntityError):
        render.render_html(sample_dataset(), tmp_path / "x.html", focus="Atlantis")


def test_classes_keep_only_those_classes_and_subclasses(tmp_path):
    stats = render.render_html(sample_dataset(), tmp_path / "c.html", classes=["country,Person"])
    nodes = render.nodes_json((tmp_path / "c.html").read_text(encoding="utf-8"))
    assert {n["cls"] for n in nodes} == {"Country", "Person"} and stats.nodes == 4
    assert "only the classes Country, Person" in stats.notes[0]
    render.render_html(sample_dataset(), tmp_path / "o.html", classes=["Organization"])
    nodes = render.nodes_json((tmp_path / "o.html").read_text(encoding="utf-8"))
    assert {n["cls"] for n in nodes} == {"Company"}  # Organization keeps its subclass Company
    with pytest.raises(render.RenderOptionError, match="unknown class 'Planet'"):
        render.render_html(sample_dataset(), tmp_path / "x.html", classes=["Planet"])
    with pytest.raises(render.RenderOptionError):
        render.render_html(sample_dataset(), tmp_path / "x.html", focus="Russia", hops=-1)


def test_layout_keeps_components_apart_and_close(page_and_stats):
    page, _ = page_and_stats
    pos = {n["id"]: (n["x"], n["y"]) for n in render.nodes_json(page)}
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    # packed, not flung to a rim: the whole drawing is a few edge lengths across
    assert max(xs) - min(xs) < 12 * render.PIXELS_PER_EDGE and max(ys) - min(ys) < 12 * render.PIXELS_PER_EDGE
    a, b = pos[str(ENT.Indonesia)], pos[str(ENT["Mi-17V5"])]
    assert abs(a[0] - b[0]) + abs(a[1] - b[1]) < 3 * render.PIXELS_PER_EDGE  # a 2-node component stays together


def test_the_panel_lists_a_fact_s_first_sentences_and_counts_the_rest(tmp_path):
    """A fact read in hundreds of articles would carry all their sentences into the page;
    the panel lists the first MAX_PANEL_EVIDENCE and says how many more there are."""
    from kg.analysis import Evidence, FactRecord, Projection
    from kg.render import MAX_PANEL_EVIDENCE, panel_json, render_page

    a, b = "https://w3id.org/defcoop/id/A", "https://w3id.org/defcoop/id/B"
    evidence = tuple(Evidence(f"sentence {i}", f"https://w3id.org/defcoop/article/a{i:03d}", "r", 0, 9) for i in range(250))
    fact = FactRecord("https://w3id.org/defcoop/fact/f", a, "kg:ordered", b, False, "asserted", None, evidence, ())
    nodes = {n: {"label": n[-1], "cls": "Country", "iri": n, "labels": [], "aliases": [], "literal_facts": []} for n in (a, b)}
    p = Projection.of(nodes=nodes, facts=[fact], conflicts={}, article_names={}, article_info={})
    page, _stats = render_page(p)
    shown = panel_json(page)["facts"][fact.iri]
    assert len(shown["ev"]) == MAX_PANEL_EVIDENCE < shown["evn"] == 250
    assert len(panel_json(page)["articles"]) <= MAX_PANEL_EVIDENCE  # only the articles the panel names
