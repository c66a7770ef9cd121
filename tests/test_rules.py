"""The rule pack: every inline example passes, errors are reported in full, and the rules
work on sentences they were not written against."""

from __future__ import annotations

import textwrap

import pytest

from kg.documents import Document, split_sentences
from kg.errors import RulePackError
from kg.extract import extract_document
from kg.rules import load_pack
from kg.ruletest import run_rule_examples


def test_every_inline_example_passes(pack):
    count, failures = run_rule_examples(pack)
    assert count >= 60
    assert failures == [], "\n".join(map(str, failures))


def test_every_rule_has_positive_and_negative_examples(pack):
    for rule in pack.rules:
        assert rule.examples.get("match"), rule.id
        assert rule.examples.get("no_match"), rule.id


def write_pack(tmp_path, body: str):
    d = tmp_path / "pack"
    d.mkdir()
    (d / "pack.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return d


MINIMAL = """
classes: {Country: Entity}
entities:
  - {id: Russia, class: Country, labels: {en: Russia}, aliases: [Rusia]}
"""


def test_malformed_pack_lists_every_problem_with_file_line_and_rule(tmp_path):
    d = write_pack(tmp_path, MINIMAL + """
rules:
  - id: r.one
    pattern: '{a:Country} ...99 {b:Nope}'
    facts: [{subject: a, predicate: kg:x, object: b}]
    examples: {match: [x]}
  - id: r.two
    pattern: '{a:Country} signed'
    facts: [{subject: a, predicate: kg:x, object: zzz}]
  - id: r.one
    pattern: '{a:Country}'
    facts: [{subject: a, predicate: kg:x, object: a}]
    examples: {match: [x]}
""")
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    msg = str(e.value)
    assert "pack.yaml:" in msg
    assert "[rule r.one]" in msg and "[rule r.two]" in msg
    assert "gap ...99" in msg  # first problem of r.one's pattern
    assert "'zzz' is not a slot" in msg
    assert "needs examples" in msg
    assert "used twice" in msg
    assert len(e.value.problems) >= 4
    assert all(p.line for p in e.value.problems)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    d = write_pack(tmp_path, "rules:\n  - id: x\n    pattern: [unclosed\n")
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    assert e.value.problems[0].line is not None and "YAML syntax" in str(e.value)


def test_yaml_tags_that_construct_objects_are_refused(tmp_path):
    d = write_pack(tmp_path, "rules: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RulePackError) as e:
        load_pack(d)
    assert "YAML syntax" in str(e.value)


def test_missing_pack_is_one_problem(tmp_path):
    with pytest.raises(RulePackError, match="no such rule pack"):
        load_pack(tmp_path / "nope")


def extract(pack, text: str, section: str = "body"):
    sentences = split_sentences(text, 0, pack.cleaning)
    doc = Document("<t>", "t", text, {}, sentences)
    return extract_document(doc, pack).facts


def triples(facts):
    return {(f.subject.value, f.predicate, f.object.value, f.modality) for f in facts}


# Sentences written for these tests, in the genre but not copied from any rule example or
# article: the rules must handle constructions, not memorised strings.
HELD_OUT = [
    ("Pada 2013, Rosoboronexport dan HAL meneken kontrak yang memungkinkan produksi berlisensi tank T-90 di India.",
     None),  # a different construction: not required to match, but must not produce a wrong licence
    ("Hindustan Aeronautics Limited membuat helikopter Ka-226T di bawah lisensi dari Rostec.",
     ("HAL", "kg:licensedProducerOf", "Ka-226T", "asserted")),
    ("Menhan Rusia, Andrei Belousov, meninjau pabrik di Kazan.",
     ("AndreyBelousov", "kg:defenceMinisterOf", "Russia", "asserted")),
    ("Moskow sudah meneken kerja sama militer teknis dengan dua belas negara, kata seorang pejabat.",
     ("Russia", "kg:signedMTCAgreementWith", "12-Country", "asserted")),
    ("Russia intends to sign military-technical cooperation agreements with three more nations by 2027.",
     ("Russia", "kg:signedMTCAgreementWith", "3-Country", "planned")),
    ("Mesir kemungkinan membeli Su-35 dari Rusia.",
     ("Egypt", "kg:ordered", "Su-35", "speculated")),
    ("Vietnam membatalkan pembelian Yak-130 dari Rusia.",
     ("Vietnam", "kg:cancelledOrderOf", "Yak-130", "asserted")),
    ("Presiden Rusia Vladimir Putin tiba di New Delhi.",
     ("VladimirPutin", "kg:presidentOf", "Russia", "asserted")),
]


@pytest.mark.parametrize("text,expected", HELD_OUT)
def test_rules_on_unseen_sentences(pack, text, expected):
    got = triples(extract(pack, text))
    if expected is None:
        assert not any(p == "kg:licensedProducerOf" and s != "HAL" for s, p, _, _ in got)
    else:
        assert expected in got, got


def test_date_typo_and_speaker_on_unseen_text(pack):
    facts = extract(pack, "Undang-undang CAATSA diteken oleh Presiden AS Donald Trump pada 2 Agustuss 2017.")
    law = [f for f in facts if f.predicate == "kg:signedLaw"]
    assert law and law[0].date == "2017-08-02"


def test_negated_sentence_is_marked_negated(pack):
    facts = extract(pack, "Amerika Serikat tidak menjatuhkan sanksi terhadap India.")
    assert {f.modality for f in facts if f.predicate == "kg:imposedSanctionsOn"} == {"negated"}


def test_tie_break_prefers_higher_priority_rule_in_same_group(pack):
    facts = extract(pack, "Russia plans to sign military-technical cooperation agreements with four countries.")
    mtc = [f for f in facts if f.predicate == "kg:signedMTCAgreementWith"]
    assert [f.modality for f in mtc] == ["planned"]
    assert mtc[0].evidence[0].rule == "mtc.planned_count"


def test_yaml_words_like_no_and_on_stay_words(pack):
    assert "no" in pack.lexicons["negation"]
    assert "no" in pack.cleaning.abbreviations and "False" not in pack.cleaning.abbreviations


def test_anaphors_stand_for_the_latest_mention_of_their_class(pack):
    text = ("Rosoboronexport menawarkan kerja sama kepada PT Pindad. "
            "Perusahaan tersebut kini memproduksi BMP-3F di bawah lisensi dari Rusia.")
    facts = [f for f in extract(pack, text) if f.predicate == "kg:licensedProducerOf"]
    assert [(f.subject.value, f.qualifier("kg:licensor").value) for f in facts] == [("Pindad", "Russia")]
    ev = facts[0].evidence[0]
    assert text[ev.start : ev.end].startswith("Perusahaan tersebut")


def test_plural_demonstrative_is_not_a_single_country_anaphor(pack):
    from kg.extract import resolve_anaphora

    text = "Rusia menandatangani perjanjian. Negara-negara tersebut berada di Asia."
    mentions = resolve_anaphora(text, pack.gazetteer.find(text), pack)
    assert [m.surface for m in mentions] == ["Rusia", "Asia"] or [m.surface for m in mentions] == ["Rusia"]


def test_morphology_expands_stems(pack):
    from kg.rules.morph import family

    assert {"mengirimkan", "dikirim", "pengiriman"} <= set(family("kirim"))
    assert {"menandatangani", "ditandatangani", "penandatanganan"} <= set(family("tanda tangan"))


def test_inherited_date_qualifier_keeps_the_words_it_was_read_in(tmp_path):
    """A rule may take kg:date from the latest earlier fact ({inherit: [...], role: kg:date}):
    the date comes with the text it was written as, and a sentence with no such fact has none."""
    d = write_pack(tmp_path, """
    classes: {Country: Entity, WeaponSystem: Entity}
    entities:
      - {id: Russia, class: Country, labels: {en: Russia}, aliases: [Rusia]}
      - {id: India, class: Country, labels: {en: India}, aliases: [India]}
      - {id: Su_35, class: WeaponSystem, labels: {en: Su-35}, aliases: [Su-35]}
    values:
      months: {mei: 5, may: 5}
    rules:
      - id: t.buy
        pattern: '{a:Country} ...3 (beli|buys) ...3 {w:WeaponSystem} ...3 {d:Date}'
        facts: [{subject: a, predicate: kg:ordered, object: w, qualifiers: {kg:date: d}}]
        examples: {match: ['Rusia beli Su-35 Mei 2024.'], no_match: ['Rusia cerah.']}
      - id: t.use
        pattern: '{a:Country} ...3 (pakai|uses) ...3 {w:WeaponSystem}'
        facts: [{subject: a, predicate: kg:uses, object: w, qualifiers: {kg:date: {inherit: [kg:ordered], role: kg:date}}}]
        examples: {match: ['India pakai Su-35.'], no_match: ['Rusia cerah.']}
    """)
    pack = load_pack(d)
    facts = {f.predicate: f for f in extract(pack, "India buys a Su-35 in May 2023. Rusia pakai Su-35 juga.")}
    uses = facts["kg:uses"]
    assert uses.date == "2023-05"
    assert uses.qualifier("kg:dateText").value == "May 2023"
    alone = extract(pack, "Rusia pakai Su-35 sejak lama.")
    assert [f.date for f in alone] == [None]
