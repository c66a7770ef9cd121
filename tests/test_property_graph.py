"""Every graph built from arbitrary text serialises and parses back, with rdflib and with a
strict parser (pyoxigraph), to the same number of quads; the fact table stays a table.

The text mixes names the gazetteer knows, verbs the rules look for, dates and numbers with
arbitrary Unicode (quotes, backslashes, newlines, control characters, right-to-left marks,
astral characters), so that facts, evidence sentences and metadata carry hostile strings.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Dataset

from kg.build import assemble_dataset
from kg.documents import Document, clean_meta, decode, split_sentences
from kg.errors import DocumentError
from kg.export import (
    facts_csv,
    serialize_jsonld,
    serialize_nquads,
    serialize_trig,
    serialize_turtle,
)
from kg.extract import extract_document
from kg.rules import load_pack

PIECES = ["Rosoboronexport", "menandatangani kontrak dengan", "Hindustan Aeronautics Limited (HAL)", "pada tahun 2000",
          "untuk produksi berlisensi", "Su-30MKI", "di India", ".", "Presiden AS Donald Trump", "menandatangani", "CAATSA",
          "pada 2 Agustus 2017", "delapan negara", "ujar Belousov", "kemungkinan", "Rusia", "Indonesia", "membeli",
          "22 unit BMP-3F", "\n", "\n\n3 Replies\n", "Semoga kita beli Mi-17V5", '"', "\\", "'''", '"""', "<", ">", "&",
          "\u202e", "\U0001f680", "\x0b", "\x1b", "\r", "@context", "_:b0", "<http://x/>", "%", "#", "é"]
TEXTS = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=25).map(" ".join)
META = st.dictionaries(st.sampled_from(["title", "url", "date", "language", "publisher"]), st.text(max_size=20), max_size=5)


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def _quads(data: str, fmt) -> int:
    return sum(1 for _ in ox.parse(data.encode("utf-8"), format=fmt))


@settings(max_examples=int(os.environ.get("KG_PROPERTY_EXAMPLES", "30")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXTS, min_size=1, max_size=3), meta=META)
@example(texts=["Rosoboronexport\u2028menandatangani \x85 kontrak dengan HAL."], meta={"title": "\x85\u2028\x0c"})  # splitlines() broke N-Quads
def test_graphs_from_arbitrary_text_round_trip(pack, texts, meta):
    results = []
    for i, raw in enumerate(texts):
        try:
            text = decode(Path(f"a{i}.txt"), raw.encode("utf-8", "surrogatepass"))
        except DocumentError:
            continue
        sentences = split_sentences(text, 0, pack.cleaning)
        if not sentences:
            continue
        doc = Document(f"dir/a {i} é.txt", f"a-{i}", text, clean_meta(meta), sentences)
        results.append(extract_document(doc, pack))
    if not results:
        return
    ds = assemble_dataset(results, pack)
    n = len(list(ds.quads((None, None, None, None))))
    nq, trig, ttl, jsonld = serialize_nquads(ds), serialize_trig(ds), serialize_turtle(ds), serialize_jsonld(ds)
    # strict parser
    assert _quads(nq, ox.RdfFormat.N_QUADS) == n
    assert _quads(trig, ox.RdfFormat.TRIG) == n
    assert _quads(jsonld, ox.RdfFormat.JSON_LD) == n
    triples = _quads(ttl, ox.RdfFormat.TURTLE)
    # rdflib
    for data, fmt in ((nq, "nquads"), (trig, "trig"), (jsonld, "json-ld")):
        back = Dataset()
        back.parse(data=data, format=fmt)
        assert len(list(back.quads((None, None, None, None)))) == n, fmt
    back = Dataset()
    back.parse(data=ttl, format="turtle")
    assert len(back) == triples or len(list(back.quads((None, None, None, None)))) == triples
    json.loads(jsonld)
    # the fact table has one row per fact, each with every column
    facts = [f for r in results for f in r.facts]
    table = list(csv.reader(io.StringIO(facts_csv(facts, pack, {r.doc.slug: Path(r.doc.path).name for r in results}))))
    assert all(len(row) == len(table[0]) for row in table)
