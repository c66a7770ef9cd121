"""IRIs: minting is safe for every serialisation and injective; the base IRI is checked;
a dataset rebased onto another base still parses strictly everywhere."""

from __future__ import annotations

import subprocess

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Literal, URIRef
from rdflib.compare import isomorphic

from kg.export import serialize_jsonld, serialize_nquads, serialize_trig, serialize_turtle, union_graph
from kg.graph import build_dataset
from kg.iri import DEFAULT_BASE, IRIError, check_base, decode_local, encode_local, mint, rebase
from kg.vocab import KG

from test_rdf_serialisations import OX_FORMATS, RAPPER_FORMATS, rapper_path

KINDS = st.sampled_from(["ent", "fact", "ev", "art", "count", "graph"])
TRICKY = ["a b", "<x>", 'say "hi"', "{x}", "a|b", "a^b", "a`b", "back\\slash", "é", "日本", "50%", "#frag", "?q=1",
          "a/b", "tab\there", "line\nbreak", "\x00nul", "\u2028", "ok-Su_30.MKI~"]


@given(kind=KINDS, local=st.text(min_size=1, max_size=40))
@settings(max_examples=300, deadline=None)
def test_minted_iris_are_valid_and_reversible(kind, local):
    iri = mint(DEFAULT_BASE, kind, local)
    ox.NamedNode(str(iri))  # strict RFC 3987 check; raises ValueError on a bad IRI
    assert all(c.isascii() and c.isprintable() and c not in ' <>"{}|^`\\' for c in str(iri))
    assert decode_local(str(iri).rsplit("/", 1)[1]) == local
    nt = f"<{iri}> <{KG.p}> \"x\" .\n"
    assert [q.subject.value for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)] == [str(iri)]


@given(a=st.text(min_size=1, max_size=20), b=st.text(min_size=1, max_size=20))
def test_minting_is_injective(a, b):
    if a != b:
        assert mint(DEFAULT_BASE, "ent", a) != mint(DEFAULT_BASE, "ent", b)


@given(local=st.from_regex(r"[A-Za-z0-9_-]{1,30}", fullmatch=True))
def test_gazetteer_ids_stay_readable(local):
    assert encode_local(local) == local
    assert str(mint(DEFAULT_BASE, "ent", local)) == DEFAULT_BASE + "id/" + local


@pytest.mark.parametrize("base", ["https://w3id.org/defcoop/", "http://localhost:8080/kg/", "https://example.org/a%20b/"])
def test_good_bases_are_accepted(base):
    assert check_base(base) == base


@pytest.mark.parametrize("base,why", [
    ("", "empty"), ("w3id.org/defcoop/", "absolute"), ("ftp://example.org/x/", "absolute"),
    ("https://example.org/kg", "end with '/'"), ("https://example.org/my kg/", "' '"), ("https://example.org/<x>/", "'<'"),
    ("https://example.org/kg#", "fragment"), ("https://example.org/kg/?a=1/", "query"), ("https://example.org/50%/", "percent-escape"),
])
def test_bad_bases_are_refused_with_the_reason(base, why):
    with pytest.raises(IRIError) as e:
        check_base(base)
    assert why in str(e.value) and "\n" not in str(e.value)
    assert e.value.exit_code == 2


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        mint(DEFAULT_BASE, "person", "x")


def test_tricky_locals_pass_both_strict_parsers(tmp_path):
    """One graph holding IRIs minted from awkward ids, written by every serialiser."""
    ds = Dataset()
    g = ds.graph(mint(DEFAULT_BASE, "art", "artikel uji #1"))
    for i, local in enumerate(TRICKY):
        g.add((mint(DEFAULT_BASE, "ent", local), KG.p, Literal(i)))
        g.add((mint(DEFAULT_BASE, "fact", local), KG.q, mint(DEFAULT_BASE, "count", local)))
    files = {"graph.ttl": serialize_turtle(ds), "graph.trig": serialize_trig(ds), "graph.nq": serialize_nquads(ds),
             "graph.jsonld": serialize_jsonld(ds)}
    rapper = rapper_path()
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        quads = list(ox.parse(path=str(tmp_path / name), format=OX_FORMATS[name]))
        assert len(quads) == 2 * len(TRICKY), name
        if name in RAPPER_FORMATS:
            proc = subprocess.run([rapper, "-q", "-i", RAPPER_FORMATS[name], "-c", str(tmp_path / name), "https://example.invalid/"],
                                  capture_output=True, timeout=60)
            assert proc.returncode == 0 and not proc.stderr, (name, proc.stderr.decode())


@pytest.fixture(scope="module")
def seed_dataset(seed_results, pack):
    return build_dataset(list(seed_results.values()), pack)


def test_rebased_build_parses_strictly_and_keeps_the_ontology(seed_dataset, tmp_path):
    base = "https://example.org/my%20kg/"
    moved = rebase(seed_dataset, base)
    assert len(moved) == len(seed_dataset) and len(union_graph(moved)) == len(union_graph(seed_dataset))
    iris = {str(t) for q in moved.quads((None, None, None, None)) for t in q[:3] if isinstance(t, URIRef)}
    iris |= {str(c.identifier) for c in moved.graphs() if len(c)}
    instance = tuple(DEFAULT_BASE + p for p in ("id/", "fact/", "evidence/", "article/", "count/", "graph/"))
    assert not any(i.startswith(instance) for i in iris)
    assert any(i.startswith(base + "id/") for i in iris) and any(i.startswith(base + "graph/") for i in iris)
    assert any(i.startswith(str(KG)) for i in iris)  # the ontology's terms do not move
    files = {"graph.ttl": serialize_turtle(moved), "graph.trig": serialize_trig(moved), "graph.nq": serialize_nquads(moved),
             "graph.jsonld": serialize_jsonld(moved)}
    assert '"ent": "https://example.org/my%20kg/id/"' in files["graph.jsonld"]
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert len(set(ox.parse(path=str(tmp_path / name), format=OX_FORMATS[name]))) >= len(union_graph(moved)), name
    back = rebase(moved, DEFAULT_BASE, old=base)
    assert isomorphic(union_graph(back), union_graph(seed_dataset))


def test_rebase_refuses_a_bad_base(seed_dataset):
    with pytest.raises(IRIError):
        rebase(seed_dataset, "not a base")


def test_a_build_under_another_base_conforms_to_the_shapes(tmp_path):
    """The shapes name no base IRI: a --base-iri build of the examples conforms as the default one does."""
    from conftest import EXAMPLES

    from kg.build import build

    summary = build([EXAMPLES], tmp_path / "out", workers=1, cache=False, base_iri="https://example.org/kb/")
    assert summary.shacl_conforms and summary.shacl_violations == 0
    assert "https://example.org/kb/id/" in (tmp_path / "out" / "graph.nq").read_text(encoding="utf-8")
