"""`kg analyze`, `kg render` and `kg explain` read a graph through kg.query.read_view: the
file streamed through pyoxigraph's parser into the analysis's read view, never an rdflib
Dataset. Whatever the file, the answers must be those of the Dataset rdflib parses."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kg import analysis
from kg.cli import app
from kg.errors import GraphLoadError
from kg.explain import explain
from kg.query import load_graph, read_view
from kg.render import panel_json, render_page

from conftest import EXAMPLES

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from kg.build import build

    out = tmp_path_factory.mktemp("read-view")
    build([EXAMPLES], out, workers=1)
    return out, load_graph(out)


@pytest.mark.parametrize("name", [None, "graph.nq", "graph.trig", "graph.ttl", "graph.jsonld"])
def test_every_serialisation_reads_as_the_dataset(built, name):
    """A build folder (graph.nq) and each of its files: the same analysis, page and
    explanations as the rdflib Dataset of graph.trig (graph.ttl is the union: the same)."""
    out, ds = built
    view = read_view(out / name if name else out)
    assert isinstance(view, analysis.UnionView)
    expected = analysis.analyze(ds, path=("Russia", "India"))
    got = analysis.analyze(view, path=("Russia", "India"))
    assert got == expected and expected["analysis"]["top_actors"]
    assert panel_json(render_page(view, max_facts=50)[0]) == panel_json(render_page(ds, max_facts=50)[0])

    def core(found):  # (a fact's cue is the smallest of its cues in the view, any of them in rdflib)
        return {(x.fact, x.subject, x.predicate, x.object, x.modality, x.evidence) for x in found}

    for query in ({"subject": "HAL"}, {"predicate": "kg:signedMTCAgreementWith"}, {"obj": "rosoboronexport"}):
        assert core(explain(view, **query)) == core(explain(ds, **query)) != set(), query


def test_a_large_build_is_read_without_an_rdflib_dataset(built, monkeypatch):
    """The streamed path makes no rdflib Dataset (which costs 1.3 GB a million triples)."""
    import rdflib

    out, ds = built

    def refused(*args, **kwargs):
        raise AssertionError("an rdflib Dataset was made")

    monkeypatch.setattr(rdflib, "Dataset", refused)
    monkeypatch.setattr("kg.query.Dataset", refused)
    view = read_view(out)
    assert len(analysis.fact_records(view)) == len(analysis.fact_records(ds)) > 50


def test_a_broken_file_is_one_line_naming_it(tmp_path):
    bad = tmp_path / "bad.nq"
    bad.write_text('<https://e.org/a> <https://e.org/b> "unterminated .\n', encoding="utf-8")
    with pytest.raises(GraphLoadError, match=r"bad\.nq: cannot parse as nquads"):
        read_view(bad)
    for command in (["analyze", str(bad)], ["explain", str(bad), "--subject", "HAL"],
                    ["render", str(bad), "--out", str(tmp_path / "p.html")]):
        res = runner.invoke(app, command)
        assert res.exit_code == 2, command
        assert "bad.nq: cannot parse as nquads" in res.output and "Traceback" not in res.output
        assert len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "p.html").exists()


def test_terms_keep_their_kind(tmp_path):
    """IRIs, blank nodes, language-tagged, typed and plain literals come out as rdflib reads
    them from the same text."""
    f = tmp_path / "t.nt"
    f.write_text(
        '<https://e.org/a> <https://e.org/p> "x"@id .\n'
        '<https://e.org/a> <https://e.org/p> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
        '<https://e.org/a> <https://e.org/p> "plain" .\n'
        '<https://e.org/a> <https://e.org/p> _:b1 .\n'
        '_:b1 <https://e.org/p> <https://e.org/c> .\n', encoding="utf-8")
    from rdflib import BNode, URIRef

    a, p = URIRef("https://e.org/a"), URIRef("https://e.org/p")
    view = read_view(f)
    got, expected = set(view.objects(a, p)), set(load_graph(f).objects(a, p))
    assert {o for o in got if not isinstance(o, BNode)} == {o for o in expected if not isinstance(o, BNode)}
    assert len(got) == len(expected) == 4
    blank = next(o for o in got if isinstance(o, BNode))
    assert view.objects(blank, p) == [URIRef("https://e.org/c")]  # the same node as subject and object


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_entity_graph_exports_are_those_of_the_dataset(built, fmt, tmp_path):
    """`kg export --format graphml|gexf` reads the streamed view: the same bytes as the
    Dataset gives."""
    from kg.export import serialize_gexf, serialize_graphml

    out, ds = built
    res = runner.invoke(app, ["export", str(out), "--format", fmt, "--out", str(tmp_path / f"g.{fmt}")])
    assert res.exit_code == 0, res.output
    expected = (serialize_graphml if fmt == "graphml" else serialize_gexf)(ds)
    assert (tmp_path / f"g.{fmt}").read_text(encoding="utf-8") == expected and "<edge" in expected
