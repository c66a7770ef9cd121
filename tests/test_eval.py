"""Measured quality of the default rules against gold annotations (docs/gold.md).

The floors are the figures issue 3 asks for; they fail when a rule change loses facts or
adds false ones. The held-out set was written by someone who never read the rules.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import KGError
from kg.eval import evaluate_paths, load_gold

from conftest import EXAMPLES, ROOT, seeds_dir

GOLD = ROOT / "examples" / "gold"


def test_seed_facts_all_found_and_nothing_false():
    r = evaluate_paths([seeds_dir()], GOLD / "seeds.yaml")
    assert r.gold_facts == 33
    assert r.overall.recall == 1.0
    assert r.overall.precision >= 0.95
    assert r.strict.recall == 1.0  # modality, dates, speakers and qualifiers agree too


def test_held_out_articles_meet_the_bar():
    r = evaluate_paths([ROOT / "examples" / "heldout"], GOLD / "heldout.yaml")
    assert r.articles == 6 and r.gold_facts == 109
    assert r.overall.precision >= 0.9, r.spurious
    assert r.overall.recall >= 0.8, r.missing


def test_example_articles_do_not_regress():
    r = evaluate_paths([EXAMPLES], GOLD / "examples.yaml")
    assert r.articles == 8
    assert r.overall.precision >= 0.95
    assert r.overall.recall >= 0.65


def test_scores_count_true_false_and_missed_facts(tmp_path, pack):
    (tmp_path / "a.txt").write_text("India membeli S-400 dari Rusia. Rusia menjatuhkan sanksi terhadap Ukraina.", encoding="utf-8")
    gold = tmp_path / "gold.yaml"
    gold.write_text(
        "articles:\n  a.txt:\n"
        "    - {subject: India, predicate: kg:ordered, object: S-400, supplier: Russia}\n"
        "    - {subject: India, predicate: kg:ordered, object: Su-35}\n", encoding="utf-8")
    r = evaluate_paths([tmp_path], gold)
    ordered = next(s for s in r.relations if s.name == "kg:ordered")
    assert (ordered.tp, ordered.fp, ordered.fn) == (1, 0, 1)
    sanctions = next(s for s in r.relations if s.name == "kg:imposedSanctionsOn")
    assert (sanctions.tp, sanctions.fp, sanctions.fn) == (0, 1, 0)
    assert r.overall.precision == 0.5 and r.overall.recall == 0.5
    assert [g["object"] for _, g in r.missing] == ["Su-35"]


def test_bad_gold_file_is_one_line(tmp_path):
    bad = tmp_path / "g.yaml"
    bad.write_text("articles:\n  a.txt:\n    - {subject: X}\n", encoding="utf-8")
    with pytest.raises(KGError, match="needs subject, predicate and object"):
        load_gold(bad)
    res = CliRunner().invoke(app, ["eval", str(EXAMPLES), str(bad)])
    assert res.exit_code == 2 and "needs subject, predicate and object" in res.output


def test_eval_command_prints_per_relation_table():
    res = CliRunner().invoke(app, ["eval", str(seeds_dir()), str(GOLD / "seeds.yaml")])
    assert res.exit_code == 0
    assert "kg:licensedProducerOf" in res.output and "strict" in res.output and "1.000" in res.output
