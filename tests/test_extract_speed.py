"""The extractor's shortcuts change its speed, never its output.

The sentence gate (kg/rules/prefilter.py SentenceGate, kg/extract.py GATE) skips a sentence
before its token stream is built when no rule or attribution pattern can match it; the
hedge cue of a skipped sentence is read only when the next sentence asks for it. These tests
compare gated and ungated extraction on the example articles and on generated variants of
their sentences, and check that the gate does skip what it should. The smaller shortcuts
(the alarm handler installed once per article, the plain front matter read without the YAML
loader, the boilerplate line test, the last word before a full stop, remembered month typos,
the title numbered before the body's sentences, the value patterns that open with a
character class, the month-name dates tried only where a month may stand, the token stream
cut from the document's folded text, the cue words searched from the spaces of the stream,
the attribute marker looked for only where a form ends the text, the sentences split in
place at the text's line breaks, the date qualifier searched from its last words) are checked
against what they replace. No timing is asserted.
"""

from __future__ import annotations

import random
import re
import signal
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import extract as X
from kg import timebound
from kg.documents import (
    Cleaning, Document, _LAST_WORD, _last_word, _line_test, find_articles, read_document, split_sentences,
)
from kg.rules import load_pack
from kg.rules.prefilter import SentenceGate, _in_placeholder, gate_text, requirements
from kg.rules.text import fold
from kg.rules.values import VALUE_CLASSES

from conftest import EXAMPLES, ROOT

HELDOUT = ROOT / "examples" / "heldout"
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"

# a small pack with the corners the gate must get right: a multi-word country that becomes a
# modifier token ("new_zealand"), an entity id with "_" and digits matched by =Id, a pattern
# word with a backtick (folded differently in ASCII and non-ASCII text), morphology forms,
# an anaphor rule after a hedge cue, an attribution with an optional date
CORNER_PACK = """
classes: {Country: Entity, Organization: Entity, Company: Organization, WeaponSystem: Entity}
entities:
  - {id: Russia, class: Country, labels: {en: Russia}, aliases: [Rusia]}
  - {id: NewZealand, class: Country, labels: {en: New Zealand}}
  - {id: Rosoboronexport, class: Company, labels: {en: Rosoboronexport}, country: Russia}
  - {id: Su_35, class: WeaponSystem, labels: {en: Su-35}}
  - {id: HAL, class: Company, labels: {en: HAL}}
lexicons:
  sign: [menandatangani, signed, ~teken]
  hedge: [mungkin, may]
  anaphor_start: [mereka, they]
  attribute_marker: [buatan, made in]
values:
  months: {januari: 1, mei: 5, may: 5}
  numbers: {dua: 2, two: 2}
rules:
  - id: t.sign
    pattern: '{a:Country|Organization} ...4 @sign ...6 {b:Country|Organization}'
    facts: [{subject: a, predicate: kg:signedWith, object: b}]
    examples: {match: ['Rusia menandatangani kontrak dengan HAL.']}
  - id: t.buy
    pattern: '{a:Country} ...3 (beli|buys|d`or) ...3 {n:Number}? {w:WeaponSystem}'
    facts: [{subject: a, predicate: kg:ordered, object: w}]
    examples: {match: ['Rusia beli dua Su-35.']}
  - id: t.entity
    pattern: '{w:=Su_35} ...3 {d:Date}'
    facts: [{subject: ent:Russia, predicate: kg:delivered, object: w, qualifiers: {kg:date: d}}]
    examples: {match: ['Su-35 tiba Mei 2024.']}
  - id: t.zealand
    pattern: 'zealand ...2 {a:Organization}'
    facts: [{subject: ent:NewZealand, predicate: kg:partnerOf, object: a}]
    examples: {match: ["New Zealand's HAL."]}
  - id: t.anaphor
    pattern: '(mereka|they) ...3 {b:WeaponSystem}'
    facts: [{subject: {inherit: [kg:ordered]}, predicate: kg:uses, object: b}]
    examples: {match: [{context: 'Rusia beli Su-35.', text: 'Mereka pakai Su-35.'}]}
  - id: t.pronoun
    pattern: '(ia|it) ...3 @sign ...3 {b:Organization}'
    facts: [{subject: {anaphor: Country}, predicate: kg:signedWith, object: b}]
    examples: {match: [{context: 'Rusia cerah.', text: 'Ia menandatangani HAL.'}]}
attributions:
  - id: t.said
    pattern: '{speaker:Country|Organization} (said|kata) ...3 {date:Date}?'
    examples: {match: ['Rusia kata.']}
"""
CORNER_SENTENCES = [
    "Rusia menandatangani kontrak dengan HAL.", "Rusia meneken kontrak dengan Rosoboronexport.",
    "Rusia beli dua Su-35.", "Rusia d`or dua Su-35.", "Café Rusia d`or Su-35.", "Rusia d'or Su-35.",
    "Su-35 tiba Mei 2024.", "Su-35 tiba 5 Mei 2024.", "New Zealand's HAL.", "Pesawat buatan New Zealand HAL.",
    "Mungkin cuaca cerah.", "Mereka pakai Su-35.", "They may use Su-35.", "Rosoboronexport kata 2 Januari 2024.",
    "Rusia kata.", "Cuaca cerah hari ini.", "HAL dan Rusia.", "New Zealand dan Rusia bertemu.",
    "Su_35 zealand HAL.", "Rusia beli Su-35s.", "RUSIA MENANDATANGANI KONTRAK DENGAN HAL.",
    "Rusia cerah.", "Ia menandatangani HAL.", "It signed with HAL.",
]


def _docs(folders) -> list[Document]:
    pack = load_pack()
    return [read_document(f, pack.cleaning) for f in find_articles([f for f in folders if Path(f).exists()])]


def _doc(text: str, pack) -> Document:
    return Document("t.txt", "t", text, {}, split_sentences(text, 0, pack.cleaning))


def _extract(doc: Document, pack, gate: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(X, "GATE", gate)
    r = X.extract_document(doc, pack)
    return r.facts, r.mentions, r.unmatched


@pytest.fixture(scope="module")
def corner_pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("corner-pack")
    (d / "pack.yaml").write_text(textwrap.dedent(CORNER_PACK), encoding="utf-8")
    return load_pack(d)


@pytest.fixture
def view_calls(monkeypatch):
    """The sentence indexes whose token stream was built, in order."""
    calls: list[int] = []
    real = X._view

    def counting(doc, s, *args, **kwargs):
        calls.append(s.index)
        return real(doc, s, *args, **kwargs)

    monkeypatch.setattr(X, "_view", counting)
    return calls


# --- the gate changes nothing ---------------------------------------------------------------


def test_gated_extraction_equals_ungated_on_the_example_articles(pack, monkeypatch):
    docs = _docs([EXAMPLES, HELDOUT, SEEDS])
    assert docs
    for doc in docs:
        assert _extract(doc, pack, True, monkeypatch) == _extract(doc, pack, False, monkeypatch), doc.path


def _pool(pack) -> list[str]:
    """Sentences of the example articles and of the rules' examples, and some noise."""
    out = [s.text for doc in _docs([EXAMPLES, HELDOUT]) for s in doc.sentences]
    for rule in [*pack.rules, *pack.attributions]:
        for kind in ("match", "no_match"):
            for ex in rule.examples.get(kind) or []:
                ex = ex if isinstance(ex, dict) else {"text": ex}
                out += [str(ex.get("context") or ""), str(ex.get("text") or "")]
    out += ["Cuaca di Jakarta cerah hari ini.", "The weather was fine.", "Harga minyak naik 3 persen pada 2024."]
    return [s for s in dict.fromkeys(out) if s.strip()]


def _words(pack) -> list[str]:
    """Words a mutation may drop in: forms of the lexicons (cue words among them)."""
    words = sorted({form for lex in pack.lexicons.values() for form in lex})
    return words + ["`", "'s", "é", "Café", "d`or", "_", "2024", "«", "»", "|", "#3"]


def _mutate(sentence: str, rnd: random.Random, words: list[str]) -> str:
    toks = sentence.split()
    for _ in range(rnd.randint(0, 3)):
        op = rnd.randrange(7)
        i = rnd.randrange(len(toks) + 1)
        if op == 0 and toks:
            del toks[min(i, len(toks) - 1)]
        elif op in (1, 2):
            toks.insert(i, rnd.choice(words))
        elif op == 3:
            toks = [t.upper() if rnd.random() < 0.3 else t for t in toks]
        elif op == 4 and len(toks) > 1:
            rnd.shuffle(toks)
        elif op == 5 and toks:  # glue two words, or a word and punctuation
            j = min(i, len(toks) - 1)
            toks[j] = toks[j] + rnd.choice(["'s", "`", "-", ",", ".", "é", ""])
        elif op == 6:
            toks.insert(i, rnd.choice(["Rusia", "India", "Indonesia", "HAL", "Rosoboronexport", "Su-35", "New Zealand"]))
    return " ".join(toks)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 5), corner=st.booleans())
def test_gated_extraction_equals_ungated_on_generated_sentences(pack, corner_pack, monkeypatch, seed, n, corner):
    rnd = random.Random(seed)
    p = corner_pack if corner else pack
    if "pool" not in _POOL:
        _POOL.update(pool=_pool(pack), words=_words(pack), corner_words=_words(corner_pack))
    pool = CORNER_SENTENCES if corner else _POOL["pool"]
    words = _POOL["corner_words" if corner else "words"]
    text = " ".join(_mutate(rnd.choice(pool), rnd, words) for _ in range(n))
    doc = _doc(text, p)
    assert _extract(doc, p, True, monkeypatch) == _extract(doc, p, False, monkeypatch), text


_POOL: dict = {}


def test_each_pattern_that_matches_a_sentence_passes_its_own_gate(pack, corner_pack):
    """The gate of one regex alone says 'may match' wherever the regex does match."""
    for p, texts, least in ((pack, _pool(pack), 200), (corner_pack, CORNER_SENTENCES, 10)):
        pairs = [c for rule in [*p.rules, *p.attributions] for c in rule.patterns]
        entities = [(p.ancestors(e.cls), e.id) for e in p.gazetteer.entities.values()]
        gates: dict[int, SentenceGate] = {}
        checked = 0
        for text in texts:
            doc = _doc(text, p)
            mentions = X.resolve_anaphora(doc.text, p.gazetteer.find(doc.text), p)
            gtext = gate_text(fold(doc.text))
            for s in doc.sentences:
                ms = [m for m in mentions if s.start <= m.start and m.end <= s.end]
                stream = X._view(doc, s, ms, p).stream
                keys = {(p.ancestors(m.entity.cls), m.entity.id) for m in ms}
                for i, c in enumerate(pairs):
                    if c.regex.search(stream):
                        gate = gates.setdefault(i, SentenceGate([c.regex], entities, list(VALUE_CLASSES)))
                        assert gate.may_match(gtext[s.start : s.end], keys), (c.regex.pattern, s.text)
                        checked += 1
        assert checked >= least


# --- the gate skips what it should ----------------------------------------------------------


def test_a_sentence_without_trigger_words_is_not_read(pack, monkeypatch, view_calls):
    doc = _doc("Cuaca di Jakarta cerah hari ini. Rusia menandatangani kontrak pembelian 11 Su-35 dengan Indonesia.", pack)
    gated = _extract(doc, pack, True, monkeypatch)
    assert view_calls == [1]  # the weather is skipped before its stream is built
    view_calls.clear()
    assert _extract(doc, pack, False, monkeypatch) == gated and view_calls == [0, 1]
    assert gated[0]  # the second sentence still yields its facts


def test_a_skipped_sentence_still_counts_as_unmatched_and_names_its_entities(pack, monkeypatch, view_calls):
    doc = _doc("Cuaca di Rusia dan India cerah hari ini.", pack)
    facts, mentions, unmatched = _extract(doc, pack, True, monkeypatch)
    assert view_calls == [] and facts == ()
    assert {"Russia", "India"} <= set(mentions) and [s.index for s in unmatched] == [0]


def test_the_hedge_cue_of_a_skipped_sentence_is_read_when_the_next_sentence_asks(pack, monkeypatch, view_calls):
    context = "Rusia telah menandatangani dokumen kerja sama militer-teknis dengan sembilan negara."
    after = "Negara-negara tersebut berada di kawasan Asia Tenggara dan Amerika Latin."
    hedged = _doc(f"{context} Kemungkinan besar cuaca tetap cerah. {after}", pack)
    facts = _extract(hedged, pack, True, monkeypatch)[0]
    assert view_calls == [0, 2, 1]  # the hedged sentence is read late, only for its cue
    assert facts == _extract(hedged, pack, False, monkeypatch)[0]
    regions = [f for f in facts if f.predicate == "kg:potentialPartnerRegion"]
    assert regions and all(f.modality == "speculated" and f.cue == "anaphor of a hedged sentence" for f in regions)
    plain = _doc(f"{context} Cuaca tetap cerah. {after}", pack)
    facts = _extract(plain, pack, True, monkeypatch)[0]
    assert all(f.modality == "asserted" for f in facts if f.predicate == "kg:potentialPartnerRegion")


def test_the_mentions_of_a_skipped_sentence_are_remembered_for_later_anaphors(corner_pack, monkeypatch, view_calls):
    doc = _doc("Rusia cerah. Ia menandatangani HAL.", corner_pack)
    facts = _extract(doc, corner_pack, True, monkeypatch)[0]
    assert view_calls == [1]
    assert [(f.subject.value, f.object.value) for f in facts] == [("Russia", "HAL")]
    assert _extract(doc, corner_pack, False, monkeypatch)[0] == facts


def test_only_the_rules_or_only_the_attributions_that_may_match_are_run(corner_pack, monkeypatch):
    ran: list[tuple[int, str]] = []
    real = X._candidates

    def recording(view, pack, rules, *which):
        ran.append((view.sentence.index, "rules" if rules is pack.rules else "attributions"))
        return real(view, pack, rules, *which)

    monkeypatch.setattr(X, "_candidates", recording)
    doc = _doc("Rusia kata. Rusia menandatangani kontrak dengan HAL. HAL said on Monday that Rusia signed with Rosoboronexport.", corner_pack)
    gated = _extract(doc, corner_pack, True, monkeypatch)
    assert ran == [(0, "attributions"), (1, "rules"), (2, "attributions"), (2, "rules")]
    ran.clear()
    assert _extract(doc, corner_pack, False, monkeypatch) == gated and len(ran) == 6
    assert [(f.object.value, f.qualifier("kg:speaker")) for f in gated[0]] == [("HAL", None), ("Rosoboronexport", X.Term("entity", "HAL"))]


def test_a_placeholder_class_is_required_of_the_mentions(corner_pack, monkeypatch, view_calls):
    # "signed" alone is not enough for t.sign: it needs a Country or Organization mention too
    doc = _doc("Somebody signed something. Rusia signed.", corner_pack)
    _extract(doc, corner_pack, True, monkeypatch)
    assert view_calls == [1]


def test_a_pattern_that_needs_no_word_turns_the_gate_off(tmp_path, monkeypatch, view_calls):
    d = tmp_path / "pack"
    d.mkdir()
    (d / "pack.yaml").write_text(textwrap.dedent("""
        classes: {Country: Entity}
        entities:
          - {id: Russia, class: Country, labels: {en: Russia}}
        rules:
          - id: t.any
            pattern: '{n:Number} ...3 {d:Date}'
            facts: [{subject: ent:Russia, predicate: kg:x, object: n}]
            examples: {match: ['3 in 2024']}
    """), encoding="utf-8")
    p = load_pack(d)
    assert X._gate(p).always  # values are known only once the stream is built: no word to look for
    _extract(_doc("Nothing here. Russia has 3.", p), p, True, monkeypatch)
    assert view_calls == [0, 1]


# --- pieces of the gate ---------------------------------------------------------------------


@pytest.mark.parametrize("piece, expected", [
    ("«Country", True), ("Country,Entity|Russia#", True), ("|Russia#12", True), ("#12»", True), ("12»", True),
    ("3", True), ("»", True), ("Russia#1x", False), ("«Country|", False), ("russia", False), ("#»", False),
])
def test_in_placeholder(piece, expected):
    assert _in_placeholder(piece, "«Country,Entity|Russia#", "»") is expected


def test_requirements_of_the_default_pack_are_what_the_gate_reads(pack):
    # every rule has a word the gate can look for in the text: the gate is on for the default pack
    assert not X._gate(pack).always
    assert all(requirements(c.regex) for r in pack.rules for c in r.patterns)


def test_gate_text_folds_a_backtick_as_non_ascii_text_does():
    assert fold("d`or") == "d`or" and fold("é d`or")[2:] == "d'or"
    assert gate_text(fold("d`or")) == gate_text(fold("é d`or"))[2:] == "d'or"


# --- other shortcuts ------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(chunk=st.text(st.sampled_from(list("ab_1 .,\n\t-é'ß²٣Ⅻ") + ["\u00a0"]), max_size=30),
       a=st.integers(0, 35), b=st.integers(0, 35))
def test_last_word_is_what_the_regex_finds(chunk, a, b):
    m = _LAST_WORD.search(chunk, a, b)
    assert _last_word(chunk, a, b) == (m.group(1) if m else None)


_LINE_PATTERNS = [r"^BACA JUGA\s*:", r"^Baca juga\b", r"Your email address will not be published", r"^(Foto|Photo)\s*:",
                  r"^a|b", r"(?:^a)", r"\Aab", r"^(a)\1", r"^(?P<n>a)(?P=n)", r"(?m:^b)", r"x$", r"^$", r"^", r"",
                  r"(?<=a)b", r"^\s*c", r"é", r"^É", r"^a$|^b", r"(^a)", r"(?m)^b"]
_LINE_PARTS = list("abcAB É:é1 ") + ["Baca juga", "BACA JUGA:", "Foto:", "Your email address will not be published"]


@settings(max_examples=1000, deadline=None)
@given(pats=st.lists(st.sampled_from(_LINE_PATTERNS), min_size=1, max_size=5),
       parts=st.lists(st.sampled_from(_LINE_PARTS), max_size=6))
def test_a_boilerplate_line_test_agrees_with_the_alternation(pats, parts):
    line = "".join(parts).strip()
    try:
        combined = re.compile("|".join(f"(?:{p})" for p in pats), re.I)
    except re.error:  # "(?m)" inside the alternation: reading fails as before, never reaches the test
        return
    assert _line_test(tuple(pats), combined)(line) == bool(combined.search(line))


def test_cleaning_is_compiled_once_per_pack(pack):
    assert pack.cleaning.compiled() is pack.cleaning.compiled()
    listed = Cleaning(drop_lines=["^x"])  # lists, not tuples: unhashable, compiled each time, still right
    assert listed.compiled().drops("x y") and not listed.compiled().drops("y x")


def test_month_typos_are_remembered_with_the_same_answer(pack):
    v = pack.values
    first = [v.month(w) for w in ("Febrruari", "Agustuss", "Desember", "kontrak", "Junii")]
    assert [v.month(w) for w in ("Febrruari", "Agustuss", "Desember", "kontrak", "Junii")] == first
    assert first[0] == 2 and first[3] is None


def test_extraction_installs_the_alarm_handler_once_and_restores_it(pack, monkeypatch):
    if not timebound.available():
        pytest.skip("no SIGALRM timer here")
    installs = []
    real = signal.signal

    def counting(sig, handler):
        installs.append(handler)
        return real(sig, handler)

    def mine(signum, frame):  # pragma: no cover - never fires
        pass

    doc = _docs([EXAMPLES])[0]
    assert len(doc.sentences) > 5
    previous = real(signal.SIGALRM, mine)
    try:
        monkeypatch.setattr(signal, "signal", counting)
        X.extract_document(doc, pack)
        assert installs == [timebound._fire, mine]  # once in, once back: not twice per sentence
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        real(signal.SIGALRM, previous)


def test_a_timer_the_caller_armed_keeps_its_handler_outside_the_rule_blocks(pack):
    """With the caller's own timer running, the article does not take SIGALRM over."""
    if not timebound.available():
        pytest.skip("no SIGALRM timer here")
    seen = []

    def mine(signum, frame):  # pragma: no cover - the timer is far off
        seen.append(signum)

    previous = signal.signal(signal.SIGALRM, mine)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        with timebound.handler():
            assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the title sentence -----------------------------------------------------------------------


def test_the_title_is_the_first_sentence_and_the_body_is_numbered_after_it(tmp_path):
    f = tmp_path / "a.md"
    f.write_text("---\ntitle: 'Rusia dan India: kontrak #1'\ndate: 2024-09-10\n---\n"
                 "Rusia menandatangani kontrak. India menerima pesawat.\n")
    doc = read_document(f, load_pack().cleaning)
    assert [(s.index, s.text) for s in doc.sentences] == [
        (0, "Rusia dan India: kontrak #1"), (1, "Rusia menandatangani kontrak."), (2, "India menerima pesawat.")]
    assert doc.text[doc.sentences[0].start:doc.sentences[0].end] == "Rusia dan India: kontrak #1"


# --- value patterns written to start with their first character --------------------------------

_M = r"([^\W\d_]{3,10})\.?"
_PLAIN_VALUE_PATTERNS = {  # the value patterns as first written: an assertion on the character before, then the match
    "integer": r"(?<![\w.,/-])\d{1,3}(?:([.,])\d{3})+(?![\w]|[.,]\d)|(?<![\w.,/-])\d+(?![\w/]|[.,]\d)",
    "decimal": r"(?<![\w.,/-])(\d+)[.,](\d{1,2})(?![\w/]|[.,]\d)",
    "ymd": r"(?<![\w/])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w/])",
    "dmy": r"(?<![\w/.])(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?![\w/])",
    "d_month_y": rf"(?<!\w)(\d{{1,2}})\s+{_M},?\s+(\d{{4}})(?!\w)",
    "month_d_y": rf"(?<!\w){_M}\s+(\d{{1,2}}),\s+(\d{{4}})(?!\w)",
    "month_y": rf"(?<!\w){_M}\s+(\d{{4}})(?!\w)",
    "y": r"(?<![\w.,/-])(1[89]\d\d|20\d\d|2100)(?![\w/]|[.,]\d)",
}
_VALUE_PARTS = list("0123456789 ./-,:%_aZé١٢\n") + ["mei", "januari", "march", "sept", "abcdefghijk", "persen",
                                                   "percent", "2020", "1999", "2100", "19", "20", "ab", "1.000"]


@settings(max_examples=1500, deadline=None)
@given(parts=st.lists(st.sampled_from(_VALUE_PARTS), max_size=14))
def test_value_patterns_match_as_their_plain_forms(pack, parts):
    from kg.rules import values as V

    text = "".join(parts)
    ours = {"integer": V._INTEGER, "decimal": V._DECIMAL, **{form: rx for rx, form in pack.values._date_patterns}}
    for name, plain in _PLAIN_VALUE_PATTERNS.items():
        got = [(m.span(), m.groups()) for m in ours[name].finditer(text)]
        assert got == [(m.span(), m.groups()) for m in re.finditer(plain, text)], name
    pct = "|".join(re.escape(fold(p)) for p in sorted(pack.values.w.percent_words, key=len, reverse=True))
    plain = re.compile(rf"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:{pct})(?!\w)")
    assert [(m.span(), m.groups()) for m in pack.values._percent.finditer(text)] == \
        [(m.span(), m.groups()) for m in plain.finditer(text)]


@settings(max_examples=2000, deadline=None)
@given(parts=st.lists(st.sampled_from(_VALUE_PARTS + ["mei ", "Mei. ", "Februari", "march.", "  ", "\t", "10,", ", ", "x1",
                                                      "dua", "septembers", "é"]), max_size=16))
def test_dates_tried_at_the_month_sites_are_the_dates_finditer_finds(pack, parts):
    text = "".join(parts)
    v = pack.values
    plain = [(m.span(), m.groups(), form) for rx, form in v._date_patterns for m in rx.finditer(text)]
    assert [(m.span(), m.groups(), form) for m, form in v._date_matches(text)] == plain
    digit = re.search(r"\d", text)
    if digit:  # searched from the first digit
        assert [(m.span(), m.groups(), form) for m, form in v._date_matches(text, digit.start())] == plain


def test_a_date_qualifier_is_still_found_after_the_quick_look(pack):
    got = [(v.lexical, v.modifier, v.period, v.surface) for v in pack.values.find("dikirim sebelum akhir tahun 2026.")]
    assert got == [("2026", "before", "end of", "sebelum akhir tahun 2026")]


# --- the token stream from the document's folded text ------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(["Rusia", " ", "`", "'s", "é", "Café", "d`or", "-", "Su-35", "2024", ".", ",",
                                       "India's", " HAL", "menandatangani", "dua", "New Zealand", "ß", "İ"]),
                      min_size=1, max_size=14))
def test_a_stream_from_the_folded_document_is_the_stream_from_its_slices(pack, corner_pack, parts):
    text = "".join(parts) + "."
    for p in (pack, corner_pack):
        doc = _doc(text, p)
        folded = fold(doc.text)
        mentions = X.resolve_anaphora(doc.text, p.gazetteer.find(doc.text, folded), p, folded)
        tok_text = X._token_text(doc, folded)
        for s in doc.sentences:
            ms = [m for m in mentions if s.start <= m.start and m.end <= s.end]
            plain, fast = X._view(doc, s, ms, p), X._view(doc, s, ms, p, None, tok_text)
            assert (fast.stream, fast.starts, fast.spans, fast.items) == (plain.stream, plain.starts, plain.spans, plain.items)


# --- the plain front matter read without the YAML loader ----------------------------------------

_FRONT_KEYS = ["title", "date", "language", "url", "publisher", "yes", "null", "On", "x_1", "_k", "2a", "a b", "<<", "-"]
_FRONT_SEPS = [":", ": ", ":  ", ":\t", " :", "::", ": ", ":"]
_FRONT_VALUES = ["'", "''", '"', "\\", "a", "Bench News", "2019-04-10", "2019-13-45", "2019-04-10 10:00:00", "1_000",
                 "0x_", "0x1F", "1:30", "1.5", ".inf", "yes", "no", "~", "null", "#", " #x", "x#y", ": ", ":", "\x85",
                 "\u2028", "\ufeff", "\x9f", "é", "-", "- ", "[", "]", "{", ",", "!tag ", "&a ", "*a", "|", ">", "%",
                 "@", "`", "?", " ", "\t", "https://x.id/a?b=1", "it's", "=", "<<"]


def _front_outcome(read, block):
    try:
        got = read(block)
    except Exception as e:  # noqa: BLE001 - the same kind of failure is the point
        return ("raises", type(e).__name__, str(e))
    return None if got is None else ("reads", repr(got), repr([type(v) for v in got.values()]))


@settings(max_examples=3000, deadline=None)
@given(lines=st.lists(st.tuples(st.sampled_from(_FRONT_KEYS), st.sampled_from(_FRONT_SEPS),
                                st.lists(st.sampled_from(_FRONT_VALUES), max_size=4)), max_size=5),
       blank=st.booleans())
def test_a_plain_front_matter_reads_as_the_yaml_loader_reads_it(lines, blank):
    import yaml

    from kg.documents import _simple_front_matter

    block = "".join(f"{k}{sep}{''.join(v)}\n" + ("\n" if blank else "") for k, sep, v in lines)
    fast = _front_outcome(_simple_front_matter, block)
    if fast is not None:  # None: not the plain shape, the loader reads it
        assert fast == _front_outcome(lambda b: yaml.safe_load(b) or {}, block)


def test_the_usual_front_matter_takes_the_quick_path():
    from kg.documents import _simple_front_matter

    block = "title: 'Rusia dan India: kontrak #1, ''baru'''\ndate: 2024-09-10\nlanguage: id\npublisher: Bench News\n"
    got = _simple_front_matter(block)
    assert got is not None and got == {"title": "Rusia dan India: kontrak #1, 'baru'", "date": __import__("datetime").date(2024, 9, 10),
                                       "language": "id", "publisher": "Bench News"}


# --- cue words searched from the spaces of the stream -------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(tokens=st.lists(st.sampled_from(["tidak", "belum", "may", "kemungkinan", "besar", "is", "expected", "to", "x",
                                        "«Country,Entity|Russia#0»", "tak", "takut", ",", ""]), max_size=12),
       pos=st.integers(0, 80), span=st.integers(0, 80))
def test_a_cue_search_finds_what_the_cue_regex_finds(pack, tokens, pos, span):
    from kg.rules.pack import cue_search

    stream = " ".join(tokens) + " "
    for name in ("negation", "hedge", "plan", "anaphor_start"):
        rx = pack.cues[name]
        got, want = cue_search(rx)(stream, pos, pos + span), rx.search(stream, pos, pos + span)
        assert (got and (got.span(), got.group())) == (want and (want.span(), want.group()))


@settings(max_examples=1000, deadline=None)
@given(parts=st.lists(st.sampled_from(["buatan", "made in", "made", " ", "  ", "\n", "\u00a0", "x", "pabrikan", "asal",
                                       "produsen.", "rancangan ", "-", "designed"]), max_size=8))
def test_an_attribute_marker_is_only_found_where_the_text_ends_with_a_form(pack, parts):
    rx, ends = X._markers(pack)
    before = "".join(parts)
    assert not rx.search(before) or before.rstrip().endswith(ends)


# --- sentence splitting over line offsets ---------------------------------------------------------


def _plain_split(text: str, body_start: int, cleaning: Cleaning, comments_from=None) -> list[tuple]:
    """split_sentences as first written: lines found by a regex, each line sliced out and split
    on its own (kg/documents.py now splits the text at its line breaks and searches the lines
    in place); (start, end, section) of each sentence."""
    from kg import documents as D

    cc, section, lines = cleaning.compiled(), D.BODY, []
    for m in re.finditer(r"[^\n]*(?:\n|$)", text[body_start:]):
        s, e = body_start + m.start(), body_start + m.end()
        if s == e:
            break
        e -= text[e - 1 : e] == "\n"
        line = text[s:e].strip()
        if not line:
            continue
        if comments_from is not None and s >= comments_from and section == D.BODY:
            section = D.COMMENT
        if section == D.BODY and cc.start and cc.starts(line):
            section = D.COMMENT
        elif section == D.COMMENT and cc.end and cc.ends(line):
            section = "after"
        elif not (section == "after" or (cc.drop and cc.drops(line))):
            if lines and lines[-1][2] == section and not text[lines[-1][0]:lines[-1][1]].rstrip().endswith(D._FINAL_PUNCT):
                first = re.match(r"\W*(\w+)", text[s:e])
                if first and first.group(1).lower() in cc.continuation:
                    lines[-1][1] = e
                    continue
            lines.append([s, e, section])
    out = []
    for ls, le, sec in lines:
        chunk, cut, cuts = text[ls:le], 0, []
        for m in D._SENT_END.finditer(chunk):
            word = D._LAST_WORD.search(chunk, max(cut, m.start() - 64), m.start())
            word = word and word.group(1)
            if not (word and (word.lower() in cc.abbreviations or len(word) == 1 and word.isupper())):
                cuts.append((ls + cut, ls + m.end()))
                cut = m.end()
        for a, b in [*cuts, (ls + cut, le)]:
            for s, e in D._bounded(text, a, b):
                seg = text[s:e]
                s += len(seg) - len(seg.lstrip())
                md = D._MD_PREFIX.match(text[s:e])
                s += md.end() if md else 0
                e = s + len(text[s:e].rstrip())
                if any(ch.isalnum() for ch in text[s:e]):
                    out.append((s, e, sec))
    return out


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(["Rusia", " ", "  ", "\n", "\n\n", ".", ". ", "Dr. ", "A. ", "Khususnya", "yaitu",
                                       "BACA JUGA: x", "2 Comments", "Leave a Reply", "# ", "> ", "- ", "1. ", "_", "é",
                                       "\u00a0", "?", "\"", "(Foto: x)", "India", "2024", "x" * 30]), max_size=20),
       body_start=st.integers(0, 5))
def test_sentences_split_in_place_are_the_sentences_of_the_sliced_lines(pack, monkeypatch, parts, body_start):
    from kg import documents as D

    monkeypatch.setattr(D, "MAX_SENTENCE_CHARS", 24)  # long sentences cut too
    text = "".join(parts)
    body_start = min(body_start, len(text))
    got = [(s.start, s.end, s.section) for s in split_sentences(text, body_start, pack.cleaning)]
    assert got == _plain_split(text, body_start, pack.cleaning)


@settings(max_examples=2000, deadline=None)
@given(parts=st.lists(st.sampled_from(["sebelum", "akhir", "tahun", "paling", "lambat", "paling lambat", "in", "the", "end",
                                       "of", "x", "(", " ", "  ", "\n", "-", "mid-", "pada", "di", "é", "2024", ".",
                                       "kontrak"]), max_size=14))
def test_a_date_qualifier_found_from_the_last_words_is_the_one_the_regex_finds(pack, parts):
    v = pack.values
    text = "".join(parts) + " 2026"
    start = len(text) - 4
    head = text[max(0, start - 60) : start]
    m = v._prefix.search(head)
    got = v._modifier(text, start)
    assert got[0] == (start - len(m.group()) if m and head.rstrip().endswith(v._prefix_words) else start)
