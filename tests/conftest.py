"""Shared fixtures: the seed articles (from ../shared/corpus), builds of them and of the examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"
QUERIES = ROOT / "examples" / "queries"
# queries with no answer on the two seeds (no conflicting articles); answered on the examples in test_corroborate.py
CROSS_SOURCE_QUERIES = {"cq8_conflicts.rq"}


def seeds_dir() -> Path:
    """The seed articles; in CI their absence is a failure, not a skip."""
    for cand in (os.environ.get("KG_SEEDS"), ROOT.parent / "shared" / "corpus" / "seeds"):
        if cand and Path(cand).is_dir():
            return Path(cand)
    if os.environ.get("CI"):
        pytest.fail("seed corpus not found (../shared/corpus/seeds or $KG_SEEDS)")
    pytest.skip("seed corpus not present on this machine")


@pytest.fixture(scope="session")
def pack():
    from kg.rules import load_pack

    return load_pack()


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    from kg.build import build

    out = tmp_path_factory.mktemp("seed-build")
    summary = build([seeds_dir()], out)
    return out, summary


@pytest.fixture(scope="session")
def seed_graph(seed_build):
    from kg.query import load_graph

    return load_graph(seed_build[0])


@pytest.fixture(scope="session")
def seed_results(pack):
    from kg.build import extract_all

    results, skipped = extract_all([seeds_dir()], pack)
    return {Path(r.doc.path).name[:3]: r for r in results}
