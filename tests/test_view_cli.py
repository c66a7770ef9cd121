"""`kg analyze` and `kg render` as a user meets them: output, files, exit codes."""

from __future__ import annotations

import json

import pytest
from factgraph_fixture import sample_dataset
from typer.testing import CliRunner

from kg import render
from kg.cli import app
from kg.vocab import ENT

runner = CliRunner()


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory):
    """The hand-written sample dataset as a TriG file, the way `kg build` writes graphs."""
    path = tmp_path_factory.mktemp("view-cli") / "sample.trig"
    path.write_text(sample_dataset().serialize(format="trig"), encoding="utf-8")
    return path


def test_analyze_prints_actors_and_the_explained_path(graph_file):
    res = runner.invoke(app, ["analyze", str(graph_file), "--path", "hal", "caatsa"])
    assert res.exit_code == 0, res.output
    assert "| 1 | Russia | Country |" in res.stdout
    assert "Path from Hindustan Aeronautics Limited to CAATSA (3 facts):" in res.stdout
    assert '"Donald Trump signed CAATSA on 2 August 2017."' not in res.stdout  # not on this path
    assert '"CAATSA put pressure on Russian arms exports." (CAATSA signed; rule test.rule, chars 80-124)' in res.stdout


def test_analyze_writes_report_sections(graph_file, tmp_path):
    res = runner.invoke(app, ["analyze", str(graph_file), "--path", "ent:Donald_Trump", "Russia", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["analysis"]["top_actors"][0]["iri"] == str(ENT.Russia)
    assert [s["predicate"] for s in data["path"]["steps"]] == ["kg:signedLaw", "kg:putsPressureOn"]
    assert "### Path" in (tmp_path / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("args, message", [
    (["--path", "HAL", "Atlantis"], "'Atlantis' is not an entity of the graph"),
    (["--path", "Russa", "HAL"], "did you mean 'Russia'"),
])
def test_analyze_unknown_entity_is_one_line_exit_2(graph_file, args, message):
    res = runner.invoke(app, ["analyze", str(graph_file), *args])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_analyze_missing_graph_exit_2(tmp_path):
    res = runner.invoke(app, ["analyze", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such graph file" in res.output


def test_render_focus_hops_classes(graph_file, tmp_path):
    out = tmp_path / "v.html"
    res = runner.invoke(app, ["render", str(graph_file), "--out", str(out), "--focus", "Russia", "--hops", "1",
                              "--classes", "Country,Legislation", "--classes", "UnnamedParties"])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    classes = {n["cls"] for n in render.nodes_json(page)}
    assert classes == {"Country", "Legislation", "UnnamedParties"}
    assert "nodes left out" in res.output and 'id="kg-omitted"' in page


def test_render_errors_exit_2(graph_file, tmp_path):
    res = runner.invoke(app, ["render", str(graph_file), "--out", str(tmp_path / "x.html"), "--classes", "Planet"])
    assert res.exit_code == 2 and "unknown class 'Planet'" in res.output
    res = runner.invoke(app, ["render", str(graph_file), "--out", str(tmp_path / "x.html"), "--focus", "Atlantis"])
    assert res.exit_code == 2 and "Atlantis" in res.output
    assert not (tmp_path / "x.html").exists()


def test_render_whole_graph_is_byte_identical(graph_file, tmp_path):
    for name in ("a.html", "b.html"):
        res = runner.invoke(app, ["render", str(graph_file), "--out", str(tmp_path / name), "--max-nodes", "8"])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert "4 of 12 nodes left out" in res.output
