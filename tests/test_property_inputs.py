"""Property-based tests (hypothesis) of the parts that meet untrusted input: the document
reader, the rule-pack loader, the date and number normalisers and the IRI minting. The
only exceptions allowed are the project's own (DocumentError, RulePackError, IRIError)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kg.documents import Cleaning, decode, read_document, slugify, split_sentences
from kg.errors import DocumentError, RulePackError
from kg.iri import IRIError, check_base, decode_local, encode_local, mint
from kg.rules import load_pack
from kg.rules.pack import ATTRIBUTION_KEYS, ENTITY_KEYS, FACT_KEYS, RULE_KEYS, TOP_KEYS

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@pytest.fixture(scope="module")
def default_pack():
    return load_pack()


# --- the document reader -----------------------------------------------------------------

ARTICLE_BYTES = st.one_of(
    st.binary(max_size=400),
    TEXT.map(lambda t: t.encode("utf-8")),
    TEXT.map(lambda t: t.encode("utf-16")),
    TEXT.map(lambda t: t.encode("cp1252", "replace")),
    st.lists(st.sampled_from(["---\n", "title: x\n", "date: [\n", "Rusia meneken.\r\n", "\r", "BACA JUGA: x\n",
                              "3 Replies\n", "Leave a Reply\n", "<p>x</p>", "\ufeff", "\x00", "é", "---"]),
             max_size=12).map(lambda xs: "".join(xs).encode("utf-8", "surrogatepass")),
)


@SOME
@given(data=ARTICLE_BYTES, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_reader_gives_a_document_with_exact_offsets_or_a_document_error(default_pack, data, suffix):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"a{suffix}"
        p.write_bytes(data)
        try:
            doc = read_document(p, default_pack.cleaning)
        except DocumentError as e:
            assert e.reason and "\n" not in e.reason
            return
    assert doc.sentences
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text and s.text.strip() == s.text
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]", s.text)


@SOME
@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_document_error(data):
    try:
        text = decode(Path("x.txt"), data)
    except DocumentError:
        return
    assert "\r" not in text and "\x00" not in text


@SOME
@given(st.text(max_size=40))
def test_slugs_are_iri_safe(name):
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*|article", slugify(name))


@FAST
@given(name=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=30))
def test_any_file_name_reads(default_pack, name):
    assume(name not in (".", ".."))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / (name + ".txt")
        try:
            p.write_bytes(b"Rusia meneken kontrak.\n")
        except OSError:  # too long for the file system
            return
        doc = read_document(p, default_pack.cleaning)
        assert doc.path.encode("utf-8") and doc.slug


@SOME
@given(text=TEXT, drop=st.lists(st.sampled_from([r"^x", r"foo\b", r"^(Foto|Photo)\s*:", "é"]), max_size=3))
def test_sentences_are_exact_slices_under_any_cleaning(text, drop):
    for s in split_sentences(text, 0, Cleaning(drop_lines=tuple(drop), comments_start=(r"^\d+ Replies",))):
        assert text[s.start : s.end] == s.text


# --- the rule-pack loader ----------------------------------------------------------------

KEYS = sorted(TOP_KEYS | ENTITY_KEYS | RULE_KEYS | ATTRIBUTION_KEYS | FACT_KEYS
              | {"match", "no_match", "drop_lines", "comments_start", "months", "numbers", "Country", "Entity", "en", "id"})
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 3000), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(["{a:Country}", "{a:Country} ...3 {b:Country}", "kg:x", "ent:Russia", "Russia", "Country",
                                     "(", "...99", "@sign", "{a:@x}", "[", "^(a+)+$", "a", ""]),
                    st.text(max_size=12))
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(0, 9)), inner, max_size=5)),
    max_leaves=25,
)
PACKS = st.dictionaries(st.sampled_from(sorted(TOP_KEYS) + ["junk"]), YAML_VALUES, max_size=5)


def _load_text(text: str):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "pack.yaml"
        p.write_text(text, encoding="utf-8")
        return load_pack(p)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PACKS)
def test_random_pack_structures_give_a_pack_or_a_rule_pack_error(data):
    try:
        _load_text(yaml.safe_dump(data, allow_unicode=True))
    except RulePackError as e:
        assert e.problems and all(p.file for p in e.problems)


@SOME
@given(st.lists(st.sampled_from(list("abc:-[]{}&*!|>'\"#\n ?,%@`\t") + ["!!binary", "!!python/object", "&a", "*a", "<<",
                                                                          "rules", "lexicons", "values", "\n  "]),
                max_size=40))
def test_random_yaml_text_gives_a_pack_or_a_rule_pack_error(parts):
    try:
        _load_text("".join(parts))
    except RulePackError:
        pass


@FAST
@given(base=st.sampled_from([
    "classes: {Country: Entity}\nentities:\n  - {id: Russia, class: Country, labels: {en: Russia}, aliases: [Rusia]}\n"]),
    pattern=st.lists(st.sampled_from(["{a:Country}", "{b:Country}", "...3", "(", ")", ")?", "|", "kata", "x?", "{c:Country+3}",
                                      "=Russia", "@nope", "{d:Year}", "\\?", "{e:=Russia}"]), min_size=1, max_size=8))
def test_random_rule_patterns_give_a_pack_or_a_rule_pack_error(base, pattern):
    rule = {"rules": [{"id": "r.x", "pattern": " ".join(pattern),
                       "facts": [{"subject": "a", "predicate": "kg:x", "object": "b"}], "examples": {"match": ["x"]}}]}
    try:
        _load_text(base + yaml.safe_dump(rule))
    except RulePackError as e:
        assert any(p.rule == "r.x" or p.rule is None for p in e.problems)


# --- the date and number normalisers ------------------------------------------------------

WORDS = ["2 Agustus 2017", "19/10/2023", "Februari 2022", "akhir tahun 2026", "tahun 2030", "delapan", "enam", "eight",
         "dua belas", "dua puluh lima", "seratus", "twenty-four", "40%", "40 persen", "1,5", "12.000", "31/02/2020",
         "2024-13-01", "sebelum", "akhir", "Febrruari", "May 5, 2013", "99999", "1899", "2101", "0", "-", "/", ".", ","]


@SOME
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers(0, 10**7).map(str)), max_size=12))
def test_values_keep_surface_and_give_valid_xsd_lexicals(default_pack, parts):
    text = " ".join(parts)
    for v in default_pack.values.find(text):
        assert text[v.start : v.end] == v.surface
        if v.datatype == "date":
            d = dt.date.fromisoformat(v.lexical)
            assert 1900 <= d.year <= 2100
        elif v.datatype == "gYearMonth":
            y, m = map(int, v.lexical.split("-"))
            assert 1900 <= y <= 2100 and 1 <= m <= 12
        elif v.datatype == "gYear":
            assert re.fullmatch(r"\d{4}", v.lexical) and 1900 <= int(v.lexical) <= 2100
        elif v.datatype == "integer":
            assert re.fullmatch(r"-?\d+", v.lexical)
        elif v.datatype == "decimal":
            assert re.fullmatch(r"-?\d+(\.\d+)?", v.lexical)
        ox.Literal(v.lexical, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#" + v.datatype))


@SOME
@given(st.lists(st.sampled_from(["satu", "dua", "belas", "puluh", "ratus", "ribu", "juta", "dan", "and", "one", "hundred",
                                 "thousand", "twenty", "-", "x", "seratus", "sebelas"]), max_size=8))
def test_number_words_give_a_non_negative_int_or_none(default_pack, words):
    n = default_pack.values.number_words(" ".join(words))
    assert n is None or (isinstance(n, int) and n >= 0)


@SOME
@given(st.text(max_size=15))
def test_month_names_never_raise(default_pack, word):
    m = default_pack.values.month(word)
    assert m is None or 1 <= m <= 12


# --- IRI minting ----------------------------------------------------------------------------

LOCAL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@SOME
@given(LOCAL, LOCAL)
def test_minted_iris_are_strict_and_injective(a, b):
    for local in (a, b):
        assert decode_local(encode_local(local)) == local
        iri = str(mint("https://w3id.org/defcoop/", "ent", local))
        assert not re.search(r'[\x00-\x20<>"{}|^`\\\x7f]', iri)
        ox.NamedNode(iri)  # a strict parser accepts it
        # and N-Triples written with it parses
        assert len(list(ox.parse(f"<{iri}> <{iri}> <{iri}> .\n".encode(), format=ox.RdfFormat.N_TRIPLES))) == 1
    if a != b:
        assert mint("https://w3id.org/defcoop/", "fact", a) != mint("https://w3id.org/defcoop/", "fact", b)


@SOME
@given(st.text(max_size=40))
def test_base_iris_are_checked_or_refused(base):
    try:
        ok = check_base(base)
    except IRIError:
        return
    ox.NamedNode(ok + "id/x")
