"""Documents x compiled rules -> facts with provenance. No RDF here.

For each sentence: find entity mentions (one automaton pass per document) and values,
build the token stream, run every rule's patterns, resolve overlapping candidates (same
group: priority, then longest span, then earliest start, then file order), fill the fact
templates, and decide each fact's modality from the section, the rule and the cue words
around the match. Facts with the same key in one document merge, keeping all evidence.

A sentence where no rule or attribution pattern can match (most sentences of an article)
is told apart from its folded text and its mentions alone (SentenceGate,
kg/rules/prefilter.py) and skipped before its values and token stream are made; the output
is the same as reading it in full. In a sentence it lets through, only the patterns it
lets through are run.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Iterable, NamedTuple

from . import timebound
from .documents import COMMENT, Document, Sentence
from .rules.gazetteer import Mention
from .rules.pack import FactTemplate, Ref, Rule, RulePack, cue_search
from .rules.pattern import PLACEHOLDER_INDEX, placeholder
from .rules.prefilter import Prefilter, SentenceGate, gate_text
from .rules.text import TOKEN, fold, tokens
from .rules.values import VALUE_CLASSES, Value

# Skip the sentences no rule nor attribution pattern can match before building their token
# stream (SentenceGate, kg/rules/prefilter.py); the output is the same either way. Off: every
# sentence is read in full (tests compare the two).
GATE = True

STATUS_RANK = ("threatened", "in_progress", "signed", "enacted", "in_force", "delivered", "completed", "cancelled")
DATE_QUALIFIERS = ("kg:date", "kg:dateText", "kg:dateModifier", "kg:datePeriod")
CUE_WINDOW_BEFORE = {"negation": 3, "hedge": 6, "plan": 6}


class Term(NamedTuple):
    """A node or literal of a fact: kind entity | literal | count | iri."""

    kind: str
    value: str
    datatype: str | None = None  # xsd local name for literals; party class for counts


class Evidence(NamedTuple):
    article: str
    path: str
    sentence_index: int
    start: int
    end: int
    sentence: str
    rule: str
    section: str


class Fact(NamedTuple):
    """One fact read in one or more sentences. Facts, their terms and their evidence are
    tuples: a large build holds and sends between processes hundreds of thousands of them
    (a tuple is about a third of a frozen dataclass's size and unpickles several times faster)."""

    subject: Term
    predicate: str
    object: Term
    modality: str
    type: str | None = None
    status: str | None = None
    cue: str | None = None
    qualifiers: tuple[tuple[str, Term], ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def qualifier(self, prop: str) -> Term | None:
        for p, t in self.qualifiers:
            if p == prop:
                return t
        return None

    @property
    def date(self) -> str | None:
        t = self.qualifier("kg:date")
        return t.value if t else None

    @property
    def key(self) -> tuple:
        """What makes two extractions the same fact."""
        return (self.subject, self.predicate, self.object, self.date or "", self.modality)


@dataclass(frozen=True)
class DocResult:
    doc: Document
    facts: tuple[Fact, ...]
    mentions: tuple[str, ...]  # entity ids named in the article, sorted
    unmatched: tuple[Sentence, ...]  # sentences naming two or more entities that no rule matched


@dataclass
class _SentenceView:
    sentence: Sentence
    stream: str
    starts: list[int]  # stream offset of each token
    spans: list[tuple[int, int]]  # document offsets of each token
    items: list[Mention | Value]  # placeholder index -> mention or value

    def token_range(self, a: int, b: int) -> tuple[int, int]:
        """Stream offsets [a, b) -> first and last token index."""
        first = bisect.bisect_right(self.starts, a) - 1
        last = bisect.bisect_right(self.starts, max(a, b - 2)) - 1
        return max(first, 0), max(last, 0)


@dataclass
class _Candidate:
    rule: Rule
    match: object
    slots: dict
    first: int
    last: int


@dataclass
class _DocState:
    facts: list[Fact] = field(default_factory=list)
    history: list[Mention] = field(default_factory=list)  # entity mentions of earlier sentences
    statement_date: Value | None = None
    # the previous sentence, for its hedge cue, told only when asked (`prev_hedged`: by the next
    # sentence's modality, rarely): its stream, or (sentence, mentions) of one the gate skipped
    previous: str | tuple[Sentence, list[Mention]] | None = None

    def prev_hedged(self, doc: Document, pack: RulePack) -> bool:
        """Whether the previous sentence has a hedge cue (a skipped one's stream is built now)."""
        prev = self.previous
        if prev is None:
            return False
        if isinstance(prev, tuple):
            prev = self.previous = _view(doc, prev[0], prev[1], pack).stream
        hedge = _cue_searches(pack).get("hedge")
        return bool(hedge and hedge(prev))


def _view(doc: Document, s: Sentence, mentions: list[Mention], pack: RulePack, ancestors=None,
          folded: str | None = None) -> _SentenceView:
    """The token stream of a sentence. `ancestors`: pack.ancestors, or a memo of it. `folded`:
    the document's folded text when its slices tokenise as the slices folded alone do
    (`_token_text`), else None (each gap is folded on its own)."""
    ancestors = ancestors or pack.ancestors
    values = pack.values.find(s.text, s.start)  # offsets moved to the document's
    items: list[Mention | Value] = [*mentions, *values]
    if values or any(a.end > b.start for a, b in zip(mentions, mentions[1:])):
        # (mentions in order that do not overlap, alone, are all chosen as they are)
        items.sort(key=lambda m: (-(m.end - m.start), isinstance(m, Value), m.start))
        chosen: list[Mention | Value] = []
        for m in items:
            if all(m.end <= c.start or m.start >= c.end for c in chosen):
                chosen.append(m)
        chosen.sort(key=lambda m: m.start)
    else:
        chosen = items
    toks: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = s.start
    text = doc.text

    if folded is not None:
        finditer = TOKEN.finditer

        def words(a: int, b: int) -> None:
            # the pattern looks at no character before a match's start, so a search between
            # a and b finds the tokens of the slice [a, b) (kg/rules/text.py `tokens`)
            for t in finditer(folded, a, b):
                toks.append(t.group())
                spans.append(t.span())
    else:
        def words(a: int, b: int) -> None:
            for t, ts, te in tokens(text[a:b]):
                toks.append(t)
                spans.append((a + ts, a + te))

    markers = _markers(pack)
    last = len(chosen) - 1
    for i, m in enumerate(chosen):
        mention = isinstance(m, Mention)
        if mention and m.start < pos:
            continue
        if m.start > pos:
            words(pos, m.start)
        if mention and _is_modifier(text, m, chosen[i + 1] if i < last else None, markers, pack, ancestors):
            # "India's DRDO": the country only qualifies the next name; "pesawat buatan Rusia": an attribute
            toks.append(fold(text[m.start : m.end]).replace(" ", "_"))
            spans.append((m.start, m.end))
            pos = m.end
            poss = _POSSESSIVE.match(text, pos)
            if poss and i < last and poss.end() == chosen[i + 1].start:
                pos = poss.end()
            continue
        if mention:
            toks.append(placeholder(ancestors(m.entity.cls), m.entity.id, i))
        else:
            toks.append(placeholder(m.classes, "", i))
        spans.append((m.start, m.end))
        pos = m.end
    if s.end > pos:
        words(pos, s.end)
    starts, off = [], 0
    for t in toks:
        starts.append(off)
        off += len(t) + 1
    return _SentenceView(s, " ".join(toks) + " " if toks else "", starts, spans, chosen)


def _token_text(doc: Document, folded: str) -> str | None:
    """The document's folded text, when every slice of it tokenises as `tokens` tokenises the
    slice (folded alone): always, except that "`" folds to "'" in a text with non-ASCII
    characters but stays "`" in an ASCII slice of it. None: fold each slice."""
    return folded if doc.text.isascii() or "`" not in doc.text else None


_POSSESSIVE = re.compile(r"['’]s\s+")


def _markers(pack: RulePack) -> tuple[re.Pattern, tuple[str, ...]] | None:
    """The attribute-marker cue ("buatan", "made in") and the ends of its forms, made once
    per pack: the cue regex, "(?:^|\\s)(?:form|...)\\s*$", can only match text whose end,
    but for white space, is a form's end, a test much quicker than the regex."""
    rx = pack.cues.get("attribute_marker")
    hit = pack.__dict__.get("_markers")
    if hit is None or hit[0] is not rx:
        ends = tuple(f.rstrip() for f in pack.lexicons.get("attribute_marker", {}))
        hit = pack.__dict__["_markers"] = (rx, None if rx is None else (rx, ends))
    return hit[1]


def _is_modifier(text: str, m: Mention, nxt, markers, pack: RulePack, ancestors=None) -> bool:
    """A country named only as a qualifier: "India's DRDO", "pesawat buatan Rusia".
    `markers`: `_markers(pack)`."""
    if "Country" not in (ancestors or pack.ancestors)(m.entity.cls):
        return False
    poss = _POSSESSIVE.match(text, m.end)
    if poss and isinstance(nxt, Mention) and poss.end() == nxt.start:
        return True
    if markers is None:
        return False
    before = fold(text[max(0, m.start - 30) : m.start])
    return before.rstrip().endswith(markers[1]) and bool(markers[0].search(before))


def _slot_values(view: _SentenceView, rule: Rule, m, pack: RulePack, compiled) -> dict:
    out: dict[str, list] = {}
    for name, slot in compiled.slots.items():
        text = m.group(name)
        if text is None:
            out[name] = []
        elif slot.kind == "lexicon":
            out[name] = [pack.lexicons[slot.lexicon][text.strip()]]
        elif slot.kind == "list":  # the gaps between items may hold other mentions: keep the slot's class
            items = [view.items[int(i)] for i in PLACEHOLDER_INDEX.findall(text)]
            out[name] = [x for x in items if isinstance(x, Mention) and set(slot.classes) & set(pack.ancestors(x.entity.cls))]
        else:
            out[name] = [view.items[int(text)]]
    return out


def _patterns(pack: RulePack, rules: list[Rule]) -> tuple[list[tuple[Rule, object]], Prefilter]:
    """The (rule, compiled pattern) pairs of a rule list in order, and their prefilter (made once per pack)."""
    cache = pack.__dict__.setdefault("_prefilters", {})
    key = id(rules)
    if key not in cache or cache[key][0] is not rules:
        pairs = [(rule, compiled) for rule in rules for compiled in rule.patterns]
        cache[key] = (rules, pairs, Prefilter([c.regex for _, c in pairs]))
    return cache[key][1], cache[key][2]


def _match_sentence(view: _SentenceView, pack: RulePack, state: _DocState,
                    passing: tuple[list[int] | None, list[int] | None]) -> tuple[Mention | None, list[_Candidate]]:
    """The speaker (attributions) and the rule candidates of a sentence, under one time limit
    (kg/timebound.py): a pattern that backtracks catastrophically stops with an error naming
    its rule instead of hanging the build. `passing`: the indexes of the rule patterns and of
    the attribution patterns the gate lets through (None: all, prefiltered on the stream);
    a pattern the gate rules out would find no candidate, and a group with none is not run."""
    return timebound.bounded_per_sentence(_match_groups, view, pack, state, passing)


def _match_groups(view: _SentenceView, pack: RulePack, state: _DocState, passing) -> tuple[Mention | None, list[_Candidate]]:
    rules, attributions = passing
    speaker = _speaker(view, pack, state, attributions) if attributions != [] else None
    return speaker, _candidates(view, pack, pack.rules, rules) if rules != [] else []


def _candidates(view: _SentenceView, pack: RulePack, rules: list[Rule], which: list[int] | None = None) -> list[_Candidate]:
    """The matches of the rules' patterns: of those numbered in `which`, or (None) of those
    the prefilter finds the required words of in the stream."""
    cands: list[_Candidate] = []
    pairs, prefilter = _patterns(pack, rules)
    for i in prefilter.candidates(view.stream) if which is None else which:
        rule, compiled = pairs[i]
        timebound.current = rule.id  # named if the time limit passes (kg/timebound.py)
        for m in compiled.regex.finditer(view.stream):
            if m.end() == m.start():
                continue
            first, last = view.token_range(m.start(), m.end())
            cands.append(_Candidate(rule, m, _slot_values(view, rule, m, pack, compiled), first, last))
    return cands


def _resolve(cands: list[_Candidate], all_candidates: bool = False) -> list[_Candidate]:
    """Tie-break: within a group, overlapping candidates keep the best by priority, length, start, order."""
    if all_candidates:
        return cands
    cands = sorted(cands, key=lambda c: (-c.rule.priority, -(c.last - c.first), c.first, c.rule.order))
    kept: list[_Candidate] = []
    for c in cands:
        if not any(k.rule.group == c.rule.group and not (c.last < k.first or c.first > k.last) for k in kept):
            kept.append(c)
    suppressing = [k for k in kept if k.rule.suppresses]
    if suppressing:  # e.g. a licence contract is not also an order; a reader's wish is not an order
        kept = [c for c in kept if not any(
            c.rule.group in k.rule.suppresses and not (c.last < k.first or c.first > k.last) for k in suppressing)]
    return sorted(kept, key=lambda c: (c.first, c.rule.order))


_ENTITY_TERMS: dict[str, Term] = {}


def _entity_term(eid: str) -> Term:
    """The one Term of an entity: facts share it (smaller results, pickled once per article)."""
    t = _ENTITY_TERMS.get(eid)
    if t is None:
        t = _ENTITY_TERMS[eid] = Term("entity", eid)
    return t


def _term(x) -> Term:
    if isinstance(x, Mention):
        return _entity_term(x.entity.id)
    if isinstance(x, Value):
        return Term("literal", x.lexical, x.datatype)
    if isinstance(x, bool):
        return Term("literal", str(x).lower(), "boolean")
    if isinstance(x, int):
        return Term("literal", str(x), "integer")
    if isinstance(x, float):
        return Term("literal", repr(x), "decimal")
    if isinstance(x, str) and x.startswith("kg:"):
        return Term("iri", x)
    return Term("literal", str(x), "string")


class _Filler:
    """Turns one accepted candidate into facts."""

    def __init__(self, doc: Document, view: _SentenceView, pack: RulePack, state: _DocState, cand: _Candidate):
        self.doc, self.view, self.pack, self.state, self.cand = doc, view, pack, state, cand

    def refs(self, ref: Ref | None) -> list:
        """A template reference -> the raw values it stands for (Mentions, Values, scalars, Terms)."""
        if ref is None:
            return []
        if ref.kind == "slot":
            vals = self.cand.slots.get(ref.name, []) or self.refs(ref.default)
            return [self._country(v, ref.up) for v in vals] if ref.up else vals
        if ref.kind == "quantity_of":
            return []  # resolved per object in facts()
        if ref.kind == "country_of":
            out = []
            for v in self.cand.slots.get(ref.name, []):
                c = self._country(v, "owner")
                if isinstance(c, Term) and not (isinstance(v, Mention) and v.entity.id == c.value):
                    out.append(c)
            return out
        if ref.kind == "entity":
            return [_entity_term(ref.name)]
        if ref.kind == "iri":
            return [Term("iri", ref.name)]
        if ref.kind == "value":
            v = ref.value
            return [Term("literal", str(v), ref.datatype or ("integer" if isinstance(v, int) else "string"))]
        if ref.kind == "literal":
            return list(self.cand.slots.get(ref.name, []))
        if ref.kind == "count":
            out = []
            for v in self.cand.slots.get(ref.name, []):
                if isinstance(v, Value) and v.kind == "Number" and int(v.lexical) > 0:
                    out.append(Term("count", f"{v.lexical}-{ref.value}", ref.value))
            return out
        if ref.kind == "inherit":
            for f in reversed(self.state.facts):
                if f.predicate in ref.predicates:
                    if ref.role.startswith("kg:"):  # a qualifier of the latest such fact, or nothing
                        q = f.qualifier(ref.role)
                        return [q] if q is not None else self.refs(ref.default)
                    return [f.subject if ref.role == "subject" else f.object]
            return self.refs(ref.default)
        if ref.kind == "anaphor":  # the latest mention of the class before the match, not one the match binds
            bound = {id(v) for vals in self.cand.slots.values() for v in vals}
            start = self.view.spans[self.cand.first][0]
            earlier = [m for m in self.view.items if isinstance(m, Mention) and m.end <= start and id(m) not in bound]
            for m in reversed([*self.state.history, *earlier]):
                if ref.name in self.pack.ancestors(m.entity.cls):
                    return [_entity_term(m.entity.id)]
            return self.refs(ref.default)
        raise AssertionError(ref.kind)  # pragma: no cover - the loader admits no other kind

    def _country(self, v, up: str):
        """A government body, armed force or official -> the state it acts for (as SIPRI records
        buyers); with up="owner" also a company with a country."""
        eid = v.entity.id if isinstance(v, Mention) else (v.value if isinstance(v, Term) and v.kind == "entity" else None)
        ent = self.pack.gazetteer.entities.get(eid) if eid else None
        if ent is None or not ent.country:
            return v
        if up == "owner" or {"GovernmentBody", "Person"} & set(self.pack.ancestors(ent.cls)):
            return _entity_term(ent.country)
        return v

    def _quantity(self, item) -> Value | None:
        """The number written just before an item ("22 unit BMP-3F dan 21 unit BT-3F")."""
        if not isinstance(item, Mention):
            return None
        text = self.doc.text
        best = None
        for v in self.view.items:
            if isinstance(v, Value) and v.kind == "Number" and v.end <= item.start and item.start - v.end <= 60:
                between = [m for m in self.view.items if v.end <= m.start and m.end <= item.start]
                if not any(isinstance(m, Mention) and m.entity.cls == item.entity.cls for m in between) and not any(
                    isinstance(m, Value) for m in between
                ) and not any(c in text[v.end : item.start] for c in ".;:"):
                    best = v
        return best

    def facts(self, template: FactTemplate, speaker: Mention | None) -> list[Fact]:
        out = []
        cand, view = self.cand, self.view
        rule = cand.rule
        subjects, preds, objects = (self.refs(template.subject), self.refs(template.predicate), self.refs(template.object))
        quals = [(p, self.refs(r)) for p, r in template.qualifiers]
        qualifier_refs = dict(template.qualifiers)
        date_values = next((list(vals) for p, vals in reversed(quals) if p == "kg:date"), [])  # as qualifier_refs["kg:date"]
        if not date_values and template.date_from_sentence:
            used = {id(v) for vals in cand.slots.values() for v in vals}
            free = [v for v in view.items if isinstance(v, Value) and v.kind == "Date" and id(v) not in used]
            date_values = free if len(free) == 1 else []
        status = next(iter(self.refs(template.status)), None)
        status = status.value if isinstance(status, Term) else status
        start, end = view.spans[cand.first][0], view.spans[cand.last][1]
        s = view.sentence
        ev = (Evidence(self.doc.slug, self.doc.path, s.index, start, end, s.text, rule.id, s.section),)
        modality, cue = self.modality(template)
        combos = itertools.product(subjects, preds, objects)
        if template.subject.kind == template.object.kind == "slot" and template.subject.name == template.object.name:
            combos = ((a, p, b) for (a, b) in itertools.combinations(subjects, 2) for p in preds)  # every pair once
        quantities = [(prop, ref) for prop, ref in template.qualifiers if ref.kind == "quantity_of"]
        object_slots = self._object_slots(template)
        plain_q = date_q = None  # the qualifiers every fact of the template has: made at the first
        for subj, pred, obj in combos:
            raw_obj = obj
            subj, pred, obj = _term(subj) if not isinstance(subj, Term) else subj, pred, _term(obj) if not isinstance(obj, Term) else obj
            pred = pred if isinstance(pred, Term) else _term(pred)
            if subj.kind not in ("entity",) or pred.kind != "iri" or subj == obj:
                continue
            if plain_q is None:
                plain_q = [(prop, v if isinstance(v, Term) else _term(v)) for prop, vals in quals if prop != "kg:date" for v in vals]
                date_q = []
                for v in date_values[:1]:
                    if isinstance(v, Term):  # inherited from an earlier fact: with the words it was read from
                        date_q.extend((p, t) for p, t in self._date_companions(v) if p == "kg:date" or p not in qualifier_refs)
                        continue
                    date_q.append(("kg:date", _term(v)))
                    date_q.append(("kg:dateText", Term("literal", v.surface, "string")))
                    if v.modifier and "kg:dateModifier" not in qualifier_refs:
                        date_q.append(("kg:dateModifier", Term("literal", v.modifier, "string")))
                    if v.period:
                        date_q.append(("kg:datePeriod", Term("literal", v.period, "string")))
            q: list[tuple[str, Term]] = [*plain_q]
            for prop, ref in quantities:
                items = cand.slots.get(ref.name, [])
                item = raw_obj if ref.name in object_slots else (items[0] if len(items) == 1 else None)
                n = self._quantity(item)
                if n is not None:
                    q.append((prop, _term(n)))
            q += date_q
            if template.orient_by_origin:
                subj, q = self._orient(subj, obj, q)
            m, c = modality, cue
            if speaker is not None and template.attributable and speaker.entity.id != subj.value:
                q.append(("kg:speaker", _entity_term(speaker.entity.id)))
                if m == "asserted":
                    m, c = "reported", c or speaker.surface
            if m == "reported" and self.state.statement_date is not None:
                q.append(("kg:statedOn", _term(self.state.statement_date)))
            out.append(Fact(subj, pred.value, obj, m, template.type, status, c, tuple(sorted(set(q))), ev))
        return out

    def _date_companions(self, date: Term) -> list[tuple[str, Term]]:
        """An inherited kg:date and the qualifiers that tell how its fact wrote it (kg:dateText,
        kg:dateModifier, kg:datePeriod), from the latest earlier fact with that date."""
        for f in reversed(self.state.facts):
            if f.qualifier("kg:date") == date:
                return [(p, t) for p, t in f.qualifiers if p in DATE_QUALIFIERS]
        return [("kg:date", date)]

    def _orient(self, subj: Term, item: Term, q: list) -> tuple[Term, list]:
        """'India dan Rusia sepakat memperpanjang lisensi Su-30MKI': of two parties written in
        either order, the licensor is the one from the system's country of origin."""
        ents = self.pack.gazetteer.entities
        origin = getattr(ents.get(item.value), "country", None)
        lic = next((t for p, t in q if p == "kg:licensor"), None)
        if origin is None or lic is None:
            return subj, q

        def owner(t: Term) -> str | None:
            e = ents.get(t.value)
            return t.value if e is not None and e.cls == "Country" else getattr(e, "country", None)

        if owner(subj) == origin and owner(lic) != origin:
            q = [(p, subj if p == "kg:licensor" else t) for p, t in q]
            return lic, q
        return subj, q

    @staticmethod
    def _object_slots(template: FactTemplate) -> set[str]:
        ref = template.object
        return {ref.name} if ref.kind == "slot" and ref.name else set()

    def modality(self, template: FactTemplate) -> tuple[str, str | None]:
        view, cand = self.view, self.cand
        if view.sentence.section == COMMENT:
            return "comment", "reader comment"
        explicit = template.modality or cand.rule.modality
        if explicit:
            return explicit, None
        b = None
        cues = _cue_searches(self.pack)
        for name in ("negation", "hedge", "plan"):
            search = cues.get(name)
            if search is None:
                continue
            lo = max(0, cand.first - CUE_WINDOW_BEFORE[name])
            if b is None:  # the end of the match's last token
                b = view.starts[cand.last] + len(view.stream.split(" ")[cand.last]) + 1
            a = view.starts[lo]
            m = search(view.stream, max(a - 1, 0), b)
            if m:
                return {"negation": "negated", "hedge": "speculated", "plan": "planned"}[name], m.group().strip()
        if _starts_with(view, self.pack.cues.get("anaphor_start")) and self.state.prev_hedged(self.doc, self.pack):
            return "speculated", "anaphor of a hedged sentence"
        return "asserted", None


def _starts_with(view: _SentenceView, rx) -> bool:
    if rx is None:
        return False
    stream = view.stream
    while stream and not stream[0].isalnum() and stream[0] != "«":
        stream = stream.split(" ", 1)[1] if " " in stream else ""
    return bool(rx.match(" " + stream))


def _cue_searches(pack: RulePack) -> dict:
    """The pack's cue regexes as quicker searches (kg/rules/pack.py cue_search), made once per pack."""
    hit = pack.__dict__.get("_cue_searches")
    if hit is None or hit[0] is not pack.cues:
        hit = pack.__dict__["_cue_searches"] = (pack.cues, {k: cue_search(rx) for k, rx in pack.cues.items() if rx is not None})
    return hit[1]


RULES, ATTRIBUTIONS = 0, 1  # the gate's groups


def _gate(pack: RulePack) -> SentenceGate:
    """The sentence gate of the pack's rules (group RULES) and attributions (ATTRIBUTIONS),
    made once per pack from the same pattern lists the matcher runs."""
    rule_pairs, _ = _patterns(pack, pack.rules)
    attr_pairs, _ = _patterns(pack, pack.attributions)
    hit = pack.__dict__.get("_gate")
    if hit is None or hit[0] is not rule_pairs or hit[1] is not attr_pairs:
        entities = [(pack.ancestors(e.cls), e.id) for e in pack.gazetteer.entities.values()]
        gate = SentenceGate([c.regex for _, c in [*rule_pairs, *attr_pairs]], entities, list(VALUE_CLASSES),
                            [RULES] * len(rule_pairs) + [ATTRIBUTIONS] * len(attr_pairs))
        hit = pack.__dict__["_gate"] = (rule_pairs, attr_pairs, gate)
    return hit[2]


def _speaker(view: _SentenceView, pack: RulePack, state: _DocState, which: list[int] | None = None) -> Mention | None:
    for cand in _candidates(view, pack, pack.attributions, which):
        speakers = [v for v in cand.slots.get("speaker", []) if isinstance(v, Mention)]
        dates = [v for v in cand.slots.get("date", []) if isinstance(v, Value)]
        if dates:
            state.statement_date = dates[0]
        if speakers:
            return speakers[0]
    return None


def merge_facts(facts: Iterable[Fact]) -> list[Fact]:
    """Same key -> one fact: evidence united, qualifiers united, the furthest status kept."""
    # Accumulated per key and sorted once at the end: an article that repeats one sentence
    # thousands of times must cost linear time, not re-sort the evidence at every repeat.
    merged: dict[tuple, list] = {}  # key -> [first fact, status, type, cue, quals, props, evidence, n]
    for f in facts:
        key = f.key
        acc = merged.get(key)
        if acc is None:  # (most facts are read once: their sets are made when a second one comes)
            merged[key] = [f, f.status, f.type, f.cue, None, None, None, 1]
            continue
        if acc[4] is None:
            first = acc[0]
            acc[4], acc[5], acc[6] = set(first.qualifiers), {p for p, _ in first.qualifiers}, set(first.evidence)
        acc[1] = max((s for s in (acc[1], f.status) if s), key=STATUS_RANK.index, default=None)
        acc[2], acc[3] = acc[2] or f.type, acc[3] or f.cue
        new = [(p, t) for p, t in f.qualifiers if p not in acc[5] or p in ("kg:speaker",)]
        acc[4].update(new)
        acc[5].update(p for p, _ in new)
        acc[6].update(f.evidence)
        acc[7] += 1
    return [acc[0] if acc[7] == 1 else acc[0]._replace(status=acc[1], type=acc[2], cue=acc[3],
                                                       qualifiers=tuple(sorted(acc[4])), evidence=tuple(sorted(acc[6])))
            for acc in merged.values()]


def resolve_anaphora(text: str, mentions: list[Mention], pack: RulePack, folded: str | None = None) -> list[Mention]:
    """Add mentions for anaphors ("perusahaan tersebut", "the company", "ia"): each stands
    for the latest earlier mention of its class (or a subclass), named or itself resolved.
    `folded`: fold(text), when the caller has it."""
    rx = pack.cues.get("anaphora")
    if rx is None:
        return mentions
    forms = pack.lexicons["anaphora"]
    taken = bytearray(len(text) + 1)
    for m in mentions:
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    folded = fold(text) if folded is None else folded
    found = [(m.start(), m.end()) for m in rx.finditer(folded) if not any(taken[m.start() : m.end()])]
    if not found:
        return mentions
    out = list(mentions)
    # One pass in text order, keeping the latest mention of each class seen so far: an
    # article with many anaphors costs linear time, not anaphors x mentions.
    latest: dict[str, tuple[int, int, Mention]] = {}  # class -> (start, -position in out, mention)
    by_end = sorted(range(len(out)), key=lambda i: out[i].end)
    k = 0

    def seen(m: Mention, pos: int) -> None:
        key = (m.start, -pos)
        for c in pack.ancestors(m.entity.cls):
            if c not in latest or key > latest[c][:2]:
                latest[c] = (*key, m)

    for a, b in found:
        while k < len(by_end) and out[by_end[k]].end <= a:
            seen(out[by_end[k]], by_end[k])
            k += 1
        cls = forms[" ".join(fold(text[a:b]).split())]
        if cls in latest:
            out.append(Mention(latest[cls][2].entity, a, b, text[a:b], anaphor=True))
            seen(out[-1], len(out) - 1)
    return sorted(out, key=lambda m: m.start)


@timebound.names_document
def extract_document(doc: Document, pack: RulePack, *, all_candidates: bool = False) -> DocResult:
    """Every fact the pack finds in one document, merged, in document order."""
    folded = fold(doc.text)
    all_mentions = resolve_anaphora(doc.text, pack.gazetteer.find(doc.text, folded), pack, folded)
    starts = [m.start for m in all_mentions]
    state = _DocState()
    produced: list[Fact] = []
    unmatched: list[Sentence] = []
    named: set[str] = set()
    gate = _gate(pack) if GATE else None
    if gate is not None and gate.always:
        gate = None
    gtext = gate_text(folded) if gate is not None else ""
    n_rules = len(_patterns(pack, pack.rules)[0])  # the gate numbers the rule patterns first
    tok_text = _token_text(doc, folded)
    memo: dict[str, tuple[str, ...]] = {}

    def ancestors(cls: str) -> tuple[str, ...]:  # pack.ancestors, once per class of the article
        got = memo.get(cls)
        if got is None:
            got = memo[cls] = pack.ancestors(cls)
        return got

    held_memo: dict[str, frozenset[int]] = {}  # entity id -> gate.held of its mentions, once per entity of the article

    for s in doc.sentences:
        lo, hi = bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end)
        mentions = all_mentions[lo:hi]
        if mentions:
            if mentions[-1].end > s.end:  # (a mention running past the sentence's end is not its own)
                mentions = [m for m in mentions if m.end <= s.end]
            named.update(m.entity.id for m in mentions if not m.anaphor)
        passing: tuple[list[int] | None, list[int] | None] = (None, None)  # no gate: every pattern, prefiltered
        if gate is not None:
            pieces: set[int] = set()
            for m in mentions:
                got = held_memo.get(m.entity.id)
                if got is None:
                    got = held_memo[m.entity.id] = gate.held(ancestors(m.entity.cls), m.entity.id)
                pieces.update(got)
            through = gate.passing_held(gtext[s.start : s.end], pieces)  # rule patterns, then attribution patterns
            if not through:
                # no rule and no attribution can match: no candidates, no speaker, no facts
                if len(mentions) >= 2 and len({m.entity.id for m in mentions if not m.anaphor}) >= 2:
                    unmatched.append(s)
                state.history.extend(mentions)
                state.previous = (s, mentions)
                continue
            k = bisect.bisect_left(through, n_rules)
            passing = (through[:k], [i - n_rules for i in through[k:]])
        view = _view(doc, s, mentions, pack, ancestors, tok_text)
        speaker, cands = _match_sentence(view, pack, state, passing)
        found: list[Fact] = []
        for cand in _resolve(cands, all_candidates):
            filler = _Filler(doc, view, pack, state, cand)
            for template in cand.rule.facts:
                new = filler.facts(template, speaker)
                found.extend(new)
                state.facts.extend(new)
        produced.extend(found)
        if not found and len(mentions) >= 2 and len({m.entity.id for m in mentions if not m.anaphor}) >= 2:
            unmatched.append(s)
        state.history.extend(mentions)
        state.previous = view.stream
    return DocResult(doc, tuple(merge_facts(produced)), tuple(sorted(named)), tuple(unmatched))
