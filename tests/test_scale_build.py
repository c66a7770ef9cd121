"""Scale features of `kg build` change speed, never bytes: parallel extraction gives the same
files as one worker, the extraction cache is reused only while the article, the rule pack
and the code are unchanged, and the pattern prefilter finds exactly what running every
pattern finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.build import ExtractStats, build, extract_all
from kg.rules import load_pack
from kg.rules.pack import default_pack_path
from kg.rules.prefilter import Prefilter, requirements

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "articles"
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"


def _files(folder: Path) -> dict[str, bytes]:
    """The outputs of a build (hidden files such as a lock are not outputs)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _inputs() -> list[Path]:
    return [p for p in (EXAMPLES, SEEDS) if p.exists()]


def test_two_workers_write_the_same_bytes_as_one(tmp_path):
    one = build(_inputs(), tmp_path / "one", workers=1, cache=False)
    two = build(_inputs(), tmp_path / "two", workers=2, cache=False)
    assert one.workers == 1 and two.workers == 2
    assert one.extracted == two.extracted == one.articles + sum("no facts" not in s.reason for s in one.skipped)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert not (tmp_path / "one" / ".kg-cache").exists()


def test_second_build_reuses_the_cache_and_a_changed_rule_file_does_not(tmp_path):
    inputs = [SEEDS if SEEDS.exists() else EXAMPLES]
    first = build(inputs, tmp_path / "a", workers=1)
    assert first.cached == 0 and first.extracted > 0
    assert any((tmp_path / "a" / ".kg-cache").rglob("*.pkl"))
    again = build(inputs, tmp_path / "b", workers=2, cache_dir=tmp_path / "a" / ".kg-cache")
    assert again.extracted == 0 and again.cached == first.extracted
    assert _files(tmp_path / "a") == _files(tmp_path / "b")

    pack = tmp_path / "pack"
    shutil.copytree(default_pack_path(), pack, ignore=shutil.ignore_patterns("__pycache__"))
    rel = pack / "relations.yaml"
    rel.write_text(rel.read_text(encoding="utf-8") + "\n# a curator's note\n", encoding="utf-8")
    changed = build(inputs, tmp_path / "c", rules=pack, workers=1, cache_dir=tmp_path / "a" / ".kg-cache")
    assert changed.cached == 0 and changed.extracted == first.extracted


def test_a_changed_article_is_extracted_again(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(EXAMPLES, src)
    stats = ExtractStats()
    pack = load_pack()
    extract_all([src], pack, workers=1, cache_dir=tmp_path / "cache", keep_text=False, stats=stats)
    n = stats.extracted
    victim = sorted(src.glob("*.md"))[0]
    victim.write_text(victim.read_text(encoding="utf-8") + "\nRusia menandatangani kontrak dengan India.\n", encoding="utf-8")
    stats = ExtractStats()
    results, _ = extract_all([src], pack, workers=1, cache_dir=tmp_path / "cache", keep_text=False, stats=stats)
    assert (stats.extracted, stats.cached) == (1, n - 1)
    assert all(r.doc.text == "" for r in results)  # a build keeps facts, not articles


def test_a_corrupt_cache_entry_is_a_miss(tmp_path):
    pack = load_pack()
    extract_all([SEEDS if SEEDS.exists() else EXAMPLES], pack, cache_dir=tmp_path, keep_text=False)
    for f in tmp_path.rglob("*.pkl"):
        f.write_bytes(b"not a pickle")
    stats = ExtractStats()
    results, _ = extract_all([SEEDS if SEEDS.exists() else EXAMPLES], pack, cache_dir=tmp_path, keep_text=False, stats=stats)
    assert stats.cached == 0 and results


def test_prefilter_finds_what_every_pattern_finds(monkeypatch):
    pack = load_pack()
    fast, _ = extract_all(_inputs(), pack)
    monkeypatch.setattr(Prefilter, "candidates", lambda self, text: list(range(self.size)))
    slow, _ = extract_all(_inputs(), pack)
    assert [r.facts for r in fast] == [r.facts for r in slow]
    assert [r.unmatched for r in fast] == [r.unmatched for r in slow]


@pytest.mark.parametrize("rx, present, absent", [
    (r"«(?:Country|Organization) (?:[^ ]+ ){0,3}?(?:meneken |signed )x", "«Country a b signed x", "«Country a b inked x"),
    (r"(?:dan |and )?foo (?=bar)", "foo bar", "fo bar"),
])
def test_requirements_are_necessary(rx, present, absent):
    import re

    compiled = re.compile(rx)
    reqs = requirements(compiled)
    assert compiled.search(present)
    assert all(any(s in present for s in d) for d in reqs)
    assert not all(any(s in absent for s in d) for d in reqs)
    f = Prefilter([compiled])
    assert f.candidates(present) == [0] and f.candidates(absent) == []


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_off_during_a_build_and_as_it_was_after(tmp_path, monkeypatch, enabled):
    """A build pauses Python's cycle collector (full collections walk every live object
    again) and leaves it as it found it, also when the build fails."""
    import gc

    import kg.analysis

    seen = []
    real = kg.analysis.summary
    monkeypatch.setattr(kg.analysis, "summary", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    (gc.enable if enabled else gc.disable)()
    try:
        build([EXAMPLES], tmp_path / "out", workers=1, cache=False)
        assert seen == [False] and gc.isenabled() is enabled
        monkeypatch.setattr(kg.analysis, "summary", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            build([EXAMPLES], tmp_path / "out2", workers=1, cache=False)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_report_lists_the_first_unmatched_sentences_and_counts_them_all(tmp_path, monkeypatch):
    """A build keeps the text of only the unmatched sentences its report lists (the first
    REPORT_ROWS, in path order); the count covers every one."""
    import json

    import kg.build

    build([EXAMPLES], tmp_path / "all", workers=1, cache=False, shacl="off")
    full = json.loads((tmp_path / "all" / "report.json").read_text(encoding="utf-8"))
    assert full["unmatched_total"] == len(full["unmatched"]) > 10
    monkeypatch.setattr(kg.build, "REPORT_ROWS", 5)
    summary = build([EXAMPLES], tmp_path / "five", workers=1, cache=False, shacl="off")
    five = json.loads((tmp_path / "five" / "report.json").read_text(encoding="utf-8"))
    assert five["unmatched"] == full["unmatched"][:5]
    assert five["unmatched_total"] == summary.unmatched_sentences == full["unmatched_total"]
    assert f"and {full['unmatched_total'] - 5} more" in (tmp_path / "five" / "report.md").read_text(encoding="utf-8")
