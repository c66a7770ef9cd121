"""A build's own writers (kg/export.py GraphChunks: N-Quads, TriG, Turtle and JSON-LD made
piece by piece, without pyoxigraph's writers) write what strict parsers read back as the
same dataset, whatever the articles hold: quotes, backslashes, newlines, control and
right-to-left characters, astral characters, markup, in the text and in the metadata."""

from __future__ import annotations

import os
import shutil
import subprocess

import pyoxigraph as ox
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.build import build

from test_property_graph import META, TEXTS


def _quads(path, fmt) -> set[str]:
    return {str(q) for q in ox.parse(path=str(path), format=fmt)}


@settings(max_examples=int(os.environ.get("KG_PROPERTY_EXAMPLES", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=3), meta=META)
def test_every_piece_reads_back_as_the_same_dataset(tmp_path, texts, meta):
    src = tmp_path / "in"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    for i, text in enumerate(texts):
        head = "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" if meta else ""
        (src / f"a {i} é.md").write_text(head + text, encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    try:
        summary = build([src], out, workers=1, cache=False, shacl="off")
    except UnicodeEncodeError:  # a lone surrogate cannot be written as UTF-8: no article to build
        return
    quads = _quads(out / "graph.nq", ox.RdfFormat.N_QUADS)
    assert _quads(out / "graph.trig", ox.RdfFormat.TRIG) == quads
    assert _quads(out / "graph.jsonld", ox.RdfFormat.JSON_LD) == quads
    union = {str(q.triple) for q in ox.parse(path=str(out / "graph.nq"), format=ox.RdfFormat.N_QUADS)}
    turtle = [str(q.triple) for q in ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)]
    assert len(turtle) == len(set(turtle)) == summary.triples and set(turtle) == union
    if shutil.which("rapper"):
        for name, syntax in (("graph.ttl", "turtle"), ("graph.trig", "trig"), ("graph.nq", "nquads")):
            r = subprocess.run(["rapper", "-q", "-i", syntax, "-c", str(out / name)], capture_output=True, text=True)
            assert r.returncode == 0, (name, r.stderr[-500:])
