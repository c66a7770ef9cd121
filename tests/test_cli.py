"""The command line as a user meets it: outputs, summary, exit codes, one-line errors."""

from __future__ import annotations

import csv
import json

import pyoxigraph
import pytest
from typer.testing import CliRunner

from kg.cli import app

from conftest import EXAMPLES, QUERIES, seeds_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def examples_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples-build")
    res = runner.invoke(app, ["build", str(EXAMPLES), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out, res


def test_build_writes_every_output(examples_build):
    out, res = examples_build
    for name in ("graph.ttl", "graph.trig", "graph.nq", "graph.jsonld", "facts.csv", "graph.html", "report.md", "report.json"):
        assert (out / name).stat().st_size > 0, name
    assert "articles" in res.output and "facts" in res.output and "kg:ordered" in res.output


def test_facts_csv_has_the_register_columns(examples_build):
    out, _ = examples_build
    with open(out / "facts.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for col in ("subject", "subject_label", "predicate", "object", "object_label", "date", "status", "modality", "source", "sentence", "rule"):
        assert col in rows[0]
    assert all(r["predicate"].startswith("kg:") for r in rows)
    assert all(r["sentence"] and r["rule"] and r["source"].endswith(".md") for r in rows)


def test_serialisations_parse_in_pyoxigraph(examples_build):
    out, _ = examples_build
    fmts = {"graph.ttl": pyoxigraph.RdfFormat.TURTLE, "graph.trig": pyoxigraph.RdfFormat.TRIG,
            "graph.nq": pyoxigraph.RdfFormat.N_QUADS, "graph.jsonld": pyoxigraph.RdfFormat.JSON_LD}
    counts = {}
    for name, fmt in fmts.items():
        counts[name] = len(list(pyoxigraph.parse(path=str(out / name), format=fmt)))
        assert counts[name] > 100
    assert counts["graph.trig"] == counts["graph.nq"] == counts["graph.jsonld"]


def test_jsonld_uses_the_local_context_and_nothing_remote(examples_build):
    out, _ = examples_build
    doc = json.loads((out / "graph.jsonld").read_text(encoding="utf-8"))
    ctx = doc["@context"]
    assert isinstance(ctx, dict) and "kg" in json.dumps(ctx)
    assert "http" not in json.dumps(ctx.get("@import", ""))


def test_build_is_byte_identical(tmp_path, examples_build):
    out, _ = examples_build
    res = runner.invoke(app, ["build", str(EXAMPLES), "--out", str(tmp_path), "--quiet"])
    assert res.exit_code == 0
    for name in ("graph.ttl", "graph.trig", "graph.nq", "graph.jsonld", "facts.csv", "graph.html", "report.md", "report.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_query_formats(examples_build):
    out, _ = examples_build
    q = str(QUERIES / "cq3_caatsa.rq")
    res = runner.invoke(app, ["query", str(out), q, "--format", "csv"])
    assert res.exit_code == 0 and res.output.splitlines()[0].startswith("signer,")
    res = runner.invoke(app, ["query", str(out), q, "--format", "json"])
    assert res.exit_code == 0 and json.loads(res.output)["head"]["vars"][0] == "signer"
    res = runner.invoke(app, ["query", str(out), "SELECT ?s WHERE { ?s a kg:Country } LIMIT 2", "--format", "tsv"])
    assert res.exit_code == 0 and res.output.splitlines()[0] == "?s" and len(res.output.splitlines()) == 3
    res = runner.invoke(app, ["query", str(out), "SELECT ?s WHERE { ?s a kg:Legislation }"])
    assert res.exit_code == 0 and "ent:CAATSA" in res.output


def test_query_refuses_service_and_from(examples_build):
    out, _ = examples_build
    res = runner.invoke(app, ["query", str(out), "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"])
    assert res.exit_code == 2 and "SERVICE is refused" in res.output
    res = runner.invoke(app, ["query", str(out), "SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }"])
    assert res.exit_code == 2 and "FROM" in res.output


def test_bad_query_is_one_line(examples_build):
    out, _ = examples_build
    res = runner.invoke(app, ["query", str(out), "SELEC nonsense"])
    assert res.exit_code == 2 and "cannot parse the query" in res.output and "Traceback" not in res.output


def test_missing_path_exits_2_with_one_line(tmp_path):
    res = runner.invoke(app, ["build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "no such file or folder" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_bad_rule_pack_exits_2_listing_problems(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "r.yaml").write_text("rules:\n  - id: x\n    pattern: '{a:Nope}'\n", encoding="utf-8")
    res = runner.invoke(app, ["build", str(EXAMPLES), "--out", str(tmp_path / "o"), "--rules", str(tmp_path / "p")])
    assert res.exit_code == 2
    assert "r.yaml:2 [rule x]" in res.output and "unknown class Nope" in res.output
    assert not (tmp_path / "o" / "graph.ttl").exists()


def test_bad_articles_are_skipped_and_strict_says_so(tmp_path):
    arts = tmp_path / "arts"
    arts.mkdir()
    (arts / "empty.txt").write_bytes(b"")
    (arts / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (arts / "nofacts.txt").write_text("Cuaca di Jakarta cerah hari ini.", encoding="utf-8")
    (arts / "good.txt").write_text("India membeli sistem S-400 dari Rusia pada 2018.", encoding="utf-8")
    res = runner.invoke(app, ["build", str(arts), "--out", str(tmp_path / "o"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "skipped" in res.output and "empty file" in res.output and "binary file" in res.output and "no facts" in res.output
    assert "kg:ordered" in (tmp_path / "o" / "facts.csv").read_text(encoding="utf-8")
    report = (tmp_path / "o" / "report.md").read_text(encoding="utf-8")
    assert "binary.txt" in report and "empty.txt" in report
    res = runner.invoke(app, ["build", str(arts), "--out", str(tmp_path / "o2"), "--quiet", "--strict"])
    assert res.exit_code == 1


def test_validate_and_rules_test_commands(examples_build):
    out, _ = examples_build
    res = runner.invoke(app, ["validate", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["rules", "test"])
    assert res.exit_code == 0 and " passed, 0 failed" in res.output


def test_rules_test_fails_with_a_readable_diff(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "r.yaml").write_text(
        "classes: {Country: Entity}\n"
        "entities:\n  - {id: Russia, class: Country, labels: {en: Russia}}\n  - {id: India, class: Country, labels: {en: India}}\n"
        "rules:\n  - id: t.sanction\n    pattern: '{a:Country} sanctions {b:Country}'\n"
        "    facts: [{subject: a, predicate: kg:imposedSanctionsOn, object: b}]\n"
        "    examples:\n      match:\n        - text: 'Russia sanctions India.'\n          facts: [{subject: India, object: Russia}]\n"
        "      no_match: ['India sanctions Russia.']\n", encoding="utf-8")
    res = runner.invoke(app, ["rules", "test", "--rules", str(tmp_path / "p")])
    assert res.exit_code == 1
    assert "[rule t.sanction]" in res.output and "expected 'India', got 'Russia'" in res.output
    assert "expected no match" in res.output


def test_build_on_seeds_reports_what_it_found(tmp_path):
    res = runner.invoke(app, ["build", str(seeds_dir()), "--out", str(tmp_path), "--quiet"])
    assert res.exit_code == 0
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| articles | 2 |" in report and "SHACL | conforms" in report
    html = (tmp_path / "graph.html").read_text(encoding="utf-8")
    assert "Rosoboronexport" in html and "https://cdn" not in html


def test_explain_shows_rule_sentence_and_offsets(seed_build):
    out, _ = seed_build
    res = runner.invoke(app, ["explain", str(out), "--subject", "hindustan aeronautics", "--predicate", "kg:licensedProducerOf"])
    assert res.exit_code == 0, res.output
    assert "rule licence.contract_for_licensed_production" in res.output
    assert "kg:date: 2000" in res.output and "Su-30MKI" in res.output
    start, end = map(int, res.output.split("[", 2)[2].split("]")[0].split(":"))
    text = (seeds_dir() / "001_4b6e86e493ab7a70.txt").read_text(encoding="utf-8")
    assert text[start:end].startswith("Rosoboronexport") and text[start:end].endswith("India")
    res = runner.invoke(app, ["explain", str(out), "--subject", "Nobody Known"])
    assert res.exit_code == 2 and "no entity named" in res.output


def test_coverage_lists_unmatched_sentences_with_entities():
    res = runner.invoke(app, ["coverage", str(seeds_dir())])
    assert res.exit_code == 0
    assert "(Su-57, UAC): Su-57UAC" in res.output
    assert "Belousov menyoroti" in res.output
    assert "Rosoboronexport menandatangani kontrak besar" not in res.output  # it produced a fact
