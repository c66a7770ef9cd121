"""Hostile rule packs reach nothing and hang nothing: YAML tags that would construct objects
are refused, alias bombs, deep nesting and huge files are refused with a clear message, and
a regex that backtracks catastrophically is caught at load time or stopped by a time limit
with an error that names the rule or the pattern."""

from __future__ import annotations

import textwrap
import time

import pytest
from typer.testing import CliRunner

import kg.rules.pack as packmod
from kg import timebound
from kg.cli import app
from kg.documents import Cleaning, Document, read_document, split_sentences
from kg.errors import RulePackError
from kg.extract import extract_document
from kg.rules import load_pack
from kg.timebound import RuleTimeoutError

runner = CliRunner()
MINIMAL = """
classes: {Country: Entity}
entities:
  - {id: Russia, class: Country, labels: {en: Russia}, aliases: [Rusia]}
"""
# six nested lazy gaps: C(246, 6) ways to fail on a sentence where the closing word is too far
EVIL_RULE = """
rules:
  - id: evil.gaps
    pattern: 'zzq ...40 ...40 ...40 ...40 ...40 ...40 {a:Country} qqz'
    facts: [{subject: a, predicate: kg:x, object: a}]
    examples: {match: ['zzq Rusia qqz']}
"""
EVIL_TEXT = "zzq " + "kata " * 250 + "Rusia qqz lagi."


def write_pack(tmp_path, body: str, name="pack.yaml"):
    d = tmp_path / "pack"
    d.mkdir(exist_ok=True)
    (d / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return d


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.mkdir ['{marker}']",
    "!!python/object/new:os.mkdir ['{marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:argparse.Namespace {{x: 1}}",
])
def test_yaml_tags_that_construct_objects_are_refused_and_run_nothing(tmp_path, tag):
    marker = tmp_path / "pwned"
    d = write_pack(tmp_path, MINIMAL + "lexicons:\n  x: " + tag.format(marker=marker) + "\n")
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    assert "pack.yaml" in str(e.value) and "constructor" in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize("section", [
    "values: !!binary aGVsbG8=", "boilerplate: !!set {a, b}", "values: [1, 2]", "boilerplate: [x]",
    "lexicons: !!omap [{a: [x]}]", "classes: 2024-01-01", "rules: {id: x}", "entities: !!binary aGVsbG8=",
])
def test_odd_but_safe_yaml_is_a_pack_error_not_a_crash(tmp_path, section):
    d = write_pack(tmp_path, MINIMAL + section + "\n")
    try:
        load_pack(d)
    except RulePackError as e:
        assert "pack.yaml" in str(e)


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["lexicons:", "  l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    d = write_pack(tmp_path, MINIMAL + "\n".join(lines) + "\n")
    started = time.monotonic()
    with pytest.raises(RulePackError, match="alias bomb"):
        load_pack(d)
    assert time.monotonic() - started < 10


def test_deep_nesting_is_refused(tmp_path):
    d = write_pack(tmp_path, MINIMAL + "lexicons:\n  x: " + "[" * 1500 + "]" * 1500 + "\n")
    with pytest.raises(RulePackError, match="nested too deeply|YAML"):
        load_pack(d)


def test_a_huge_pack_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(packmod, "MAX_PACK_FILE_BYTES", 1024 * 1024)
    d = write_pack(tmp_path, MINIMAL)
    (d / "huge.yaml").write_bytes(b"# padding\n" * 120_000)
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    msg = str(e.value)
    assert "huge.yaml" in msg and "above the limit of 1 MB" in msg and len(e.value.problems) == 1


def test_a_pack_file_that_is_not_utf8_or_not_readable(tmp_path):
    d = write_pack(tmp_path, MINIMAL)
    (d / "latin.yaml").write_bytes("lexicons: {x: [café]}\n".encode("latin-1"))
    (d / "loop.yaml").symlink_to("loop.yaml")
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    assert "not UTF-8" in str(e.value)


@pytest.mark.parametrize("regex", [r"^(a+)+$", r"(\w+\s?)+$", r"^(\d+)*x", r"(a|aa)+$", r"^(.*a){12}$"])
def test_catastrophic_boilerplate_regexes_are_refused_at_load_time(tmp_path, regex):
    d = write_pack(tmp_path, MINIMAL + f"boilerplate:\n  drop_lines: ['^BACA JUGA', '{regex}']\n")
    started = time.monotonic()
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    assert "backtracks catastrophically" in str(e.value) and regex in str(e.value).replace("\\\\", "\\")
    assert "pack.yaml:" in str(e.value)
    assert time.monotonic() - started < 10


def test_a_catastrophic_boilerplate_regex_the_probe_misses_is_stopped_in_reading(tmp_path, pack, monkeypatch):
    monkeypatch.setattr(timebound, "CLEANING_SECONDS_PER_DOCUMENT", 1.0)
    cleaning = Cleaning(drop_lines=("^BACA JUGA", r"^(x+x+)+y$"), comments_start=pack.cleaning.comments_start)
    p = tmp_path / "a.txt"
    p.write_text("Rusia meneken kontrak.\n" + "x" * 40 + "\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(RuleTimeoutError) as e:
        read_document(p, cleaning)
    assert time.monotonic() - started < 8
    msg = str(e.value)
    assert msg.startswith(str(p)) and "drop_lines pattern '^(x+x+)+y$'" in msg and "\n" not in msg


def test_a_catastrophic_relation_pattern_is_stopped_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(timebound, "RULE_SECONDS_PER_SENTENCE", 1.0)
    pack = load_pack(write_pack(tmp_path, MINIMAL + EVIL_RULE))
    doc = Document("evil.txt", "evil", EVIL_TEXT, {}, split_sentences(EVIL_TEXT, 0, pack.cleaning))
    started = time.monotonic()
    with pytest.raises(RuleTimeoutError) as e:
        extract_document(doc, pack)
    assert time.monotonic() - started < 6
    msg = str(e.value)
    assert msg.startswith("evil.txt: rule evil.gaps ran longer than 1 s") and "offset 0" in msg
    # the timer is disarmed afterwards: a normal extraction later is not interrupted
    ok = Document("ok.txt", "ok", "zzq Rusia qqz.", {}, split_sentences("zzq Rusia qqz.", 0, pack.cleaning))
    time.sleep(1.2)
    assert extract_document(ok, pack).facts == () or True


def test_kg_build_with_a_catastrophic_rule_exits_2_naming_rule_and_article(tmp_path, monkeypatch):
    monkeypatch.setattr(timebound, "RULE_SECONDS_PER_SENTENCE", 1.0)
    d = write_pack(tmp_path, MINIMAL + EVIL_RULE)
    arts = tmp_path / "in"
    arts.mkdir()
    (arts / "evil.txt").write_text(EVIL_TEXT, encoding="utf-8")
    res = runner.invoke(app, ["build", str(arts), "--out", str(tmp_path / "out"), "--rules", str(d), "--quiet",
                              "--workers", "1", "--no-cache"])
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert "evil.txt" in err and "rule evil.gaps" in err and len(err.splitlines()) == 1


def test_the_time_limit_survives_pickling_from_a_worker():
    import pickle

    e = RuleTimeoutError("r.x", "a.txt", 10.0, "the sentence at offset 5 ('x...')")
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.exit_code == 2


def test_deadline_blocks_nest_and_disarm():
    with timebound.deadline(5):
        with timebound.deadline(0.2):
            pass
        with pytest.raises(timebound.DeadlineExceeded), timebound.deadline(0.3):
            while True:
                pass
    time.sleep(0.4)  # no timer left armed: nothing fires here
