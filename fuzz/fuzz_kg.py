"""Coverage-guided fuzzing (atheris) of the parts of kg that meet untrusted input.

Run by hand, not in the test suite (see fuzz/README.md):

    pip install atheris
    python fuzz/fuzz_kg.py reader -atheris_runs=20000
    python fuzz/fuzz_kg.py pack -max_total_time=300 fuzz/corpus/pack

Targets: reader (bytes -> article file -> read_document), pack (bytes -> one YAML rule-pack
file -> load_pack), values (text -> dates, numbers, percentages), iri (text -> minted IRIs),
graph (text -> facts -> dataset -> N-Quads and TriG, parsed back by pyoxigraph). A target
fails (and atheris saves the input as crash-*) on any exception that is not the project's
own error for bad input, or when an invariant breaks.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import pyoxigraph as ox

    from kg.build import assemble_dataset
    from kg.documents import Document, decode, read_document, split_sentences
    from kg.errors import DocumentError, RulePackError
    from kg.export import serialize_nquads, serialize_trig
    from kg.extract import extract_document
    from kg.iri import decode_local, encode_local, mint
    from kg.rules import load_pack
    from kg.timebound import RuleTimeoutError

PACK = None
TMP = Path(tempfile.mkdtemp(prefix="kg-fuzz-"))
SUFFIXES = (".txt", ".md", ".html")


def pack():
    global PACK
    if PACK is None:
        PACK = load_pack()
    return PACK


def reader(data: bytes) -> None:
    if not data:
        return
    p = TMP / f"a{SUFFIXES[data[0] % 3]}"
    p.write_bytes(data[1:])
    try:
        doc = read_document(p, pack().cleaning)
    except DocumentError as e:
        assert "\n" not in e.reason
        return
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text


def pack_file(data: bytes) -> None:
    d = TMP / "pack"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_bytes(data)
    try:
        load_pack(d)
    except RulePackError as e:
        assert e.problems


def values(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(400)
    rec = pack().values
    for v in rec.find(text):
        assert text[v.start : v.end] == v.surface, v
        ox.Literal(v.lexical, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#" + v.datatype))
    rec.number_words(text[:60])
    rec.month(text[:12])


def iri(data: bytes) -> None:
    local = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(80)
    if not local:
        return
    assert decode_local(encode_local(local)) == local
    ox.NamedNode(str(mint("https://w3id.org/defcoop/", "ent", local)))


def graph(data: bytes) -> None:
    try:
        text = decode(Path("a.txt"), data)
    except DocumentError:
        return
    sentences = split_sentences(text, 0, pack().cleaning)
    if not sentences:
        return
    try:
        r = extract_document(Document("a.txt", "a", text, {}, sentences), pack())
    except RuleTimeoutError:
        return
    ds = assemble_dataset([r], pack())
    n = len(list(ds.quads((None, None, None, None))))
    assert sum(1 for _ in ox.parse(serialize_nquads(ds).encode(), format=ox.RdfFormat.N_QUADS)) == n
    assert sum(1 for _ in ox.parse(serialize_trig(ds).encode(), format=ox.RdfFormat.TRIG)) == n


TARGETS = {"reader": reader, "pack": pack_file, "values": values, "iri": iri, "graph": graph}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: python fuzz/fuzz_kg.py {{{'|'.join(TARGETS)}}} [atheris/libFuzzer options] [corpus dir]")
    target = TARGETS[sys.argv.pop(1)]
    if target is not pack_file:
        pack()  # load once, outside the fuzzed function
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
