"""A build streams (kg/build.py): it never holds its graph, yet writes the dataset that
kg.build.assemble makes of the same articles in memory, the reference.

Checked on the examples and the seeds together (facts several articles share, contradictions,
rewrites to a more precise date), with one and two workers, with and without the cache, and
under another base IRI; and the parts a large build does differently: the page holds only
the most trusted facts, SHACL validates a sample of the articles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import build as kgbuild
from kg.build import assemble, build, extract_all
from kg.render import edges_json, panel_json

from conftest import EXAMPLES, seeds_dir

FORMATS = {"graph.nq": ox.RdfFormat.N_QUADS, "graph.trig": ox.RdfFormat.TRIG, "graph.jsonld": ox.RdfFormat.JSON_LD}


def _inputs() -> list[Path]:
    return [EXAMPLES, seeds_dir()]


def _quads(path: Path, fmt) -> set[str]:
    return {str(q) for q in ox.parse(path=str(path), format=fmt)}


def _reference(pack, base=None) -> set[str]:
    """assemble()'s quads, as N-Quads text (pyoxigraph's form of each quad)."""
    from kg.export import ox_quads

    results, _ = extract_all(_inputs(), pack)
    return {str(q) for q in ox_quads(assemble(results, pack, base_iri=base))}


@pytest.fixture(scope="module")
def reference(pack):
    return _reference(pack)


@pytest.mark.parametrize("workers, cache", [(1, False), (2, False), (2, True)])
def test_a_build_writes_the_dataset_assemble_makes(tmp_path, reference, workers, cache):
    out = tmp_path / "out"
    summary = build(_inputs(), out, workers=workers, cache=cache)
    for name, fmt in FORMATS.items():
        assert _quads(out / name, fmt) == reference, name
    union = {str(q.triple) for q in ox.parse(" .\n".join(reference).encode() + b" .\n", format=ox.RdfFormat.N_QUADS)}
    written = [str(t.triple) for t in ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)]
    assert len(written) == len(set(written)) == summary.triples  # graph.ttl: the union, each triple once
    assert set(written) == union
    text = (out / "graph.ttl").read_text(encoding="utf-8")
    assert text.count("<https://w3id.org/defcoop/ontology#") == 1 and " kg:" in text  # prefixed names, one @prefix line
    assert not any(p.name.startswith(".kg-spill") for p in out.iterdir())  # the spill folder is gone


def test_under_another_base_iri_too(tmp_path, pack):
    base = "https://example.org/kb/"
    out = tmp_path / "out"
    build(_inputs(), out, workers=2, cache=False, base_iri=base)
    expected = _reference(pack, base)
    assert _quads(out / "graph.nq", ox.RdfFormat.N_QUADS) == expected
    assert not any("w3id.org/defcoop/id/" in q or "w3id.org/defcoop/fact/" in q for q in expected)


def test_every_graph_and_piece_is_where_a_reader_expects(tmp_path):
    """N-Quads: each graph's lines sorted, article graphs in IRI order; TriG and JSON-LD name
    the corroboration graph in several blocks (one graph for every reader); the fact table's
    rows and the tools' edges are one per fact."""
    out = tmp_path / "out"
    summary = build(_inputs(), out, workers=2, cache=False)
    lines = (out / "graph.nq").read_text(encoding="utf-8").splitlines()
    graphs = [line.rsplit(" ", 2)[1] for line in lines]
    articles = [g for g in dict.fromkeys(graphs) if "/article/" in g]
    assert articles == sorted(articles) and len(articles) == summary.articles
    for g in articles:
        own = [line for line in lines if line.rsplit(" ", 2)[1] == g]
        assert own == sorted(own)
    store = ox.Store()
    store.load(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG)
    named = {str(g) for g in store.named_graphs()}
    assert "<https://w3id.org/defcoop/graph/corroboration>" in named
    doc = json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
    ids = [g["@id"] for g in doc["@graph"]]
    assert ids.count("https://w3id.org/defcoop/graph/corroboration") >= 1 and "@context" in doc
    rows = (out / "facts.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == summary.facts + 1


def test_the_page_holds_the_most_trusted_facts_when_there_are_too_many(tmp_path, monkeypatch):
    """A large build's page holds MAX_PAGE_FACTS facts: those with the highest confidence,
    as `kg render` picks them from the written graph; it says how many it left out."""
    import kg.render

    monkeypatch.setattr(kg.render, "MAX_PAGE_FACTS", 20)
    monkeypatch.setattr(kg.render.render_page, "__kwdefaults__", {**kg.render.render_page.__kwdefaults__, "max_facts": 20})
    monkeypatch.setattr(kg.render.render_html, "__kwdefaults__", {**kg.render.render_html.__kwdefaults__, "max_facts": 20})
    out = tmp_path / "out"
    summary = build(_inputs(), out, workers=2, cache=False)
    page = (out / "graph.html").read_text(encoding="utf-8")
    panel = panel_json(page)
    shown = {e["id"] for e in edges_json(page)}
    assert 0 < len(shown) <= 20 and f"of {summary.facts} facts left out" in " ".join(panel["notes"])
    from kg.query import load_graph

    again, _stats = kg.render.render_page(load_graph(out), max_facts=20)
    assert {e["id"] for e in edges_json(again)} == shown


def test_a_large_build_validates_a_sample_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(kgbuild, "SHACL_SAMPLE_FACTS", 40)
    out = tmp_path / "out"
    summary = build(_inputs(), out, workers=2, cache=False)
    n, _of, m, _articles = summary.shacl_scope.split(" ", 3)
    assert 0 < int(n) < int(m) == summary.articles and summary.shacl_conforms
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["shacl"]["scope"] == summary.shacl_scope
    assert "Validated: " in (out / "report.md").read_text(encoding="utf-8")
    again = build(_inputs(), tmp_path / "again", workers=1, cache=False)
    assert again.shacl_scope == summary.shacl_scope  # the same articles every time (a hash of their names)
    assert (tmp_path / "again" / "report.md").read_bytes() == (out / "report.md").read_bytes()


def test_a_sample_still_finds_a_broken_fact(tmp_path, monkeypatch):
    """A fact node that breaks a shape is reported when its article is in the sample."""
    from kg import graph

    real = graph.fact_core_triples

    def broken(f, T, node=None):
        yield from real(f, T, node)
        node = node or T.instance("fact", graph.fact_local(f))
        yield node, T.kg("kg:status"), T.plain("not a status")  # kg:status takes a kg:Status

    monkeypatch.setattr(graph, "fact_core_triples", broken)
    monkeypatch.setattr(kgbuild, "SHACL_SAMPLE_FACTS", 40)
    summary = build(_inputs(), tmp_path / "out", workers=1, cache=False)
    assert not summary.shacl_conforms and summary.shacl_violations > 0
    assert summary.shacl_scope != "all"
