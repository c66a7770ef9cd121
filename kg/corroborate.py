"""Across articles: merge compatible facts, score them, and flag facts that contradict.

Three steps, run on the per-article results of :func:`kg.extract.extract_document`:

1. **Merge** (:func:`merge_compatible`). Facts with the same subject, relation, object and
   modality are one claim when their values are *compatible*: a date is compatible with
   a more precise date inside it ("2018" with "2018-02" with "2018-02-14"), a missing date
   or quantity with any value, two quantities only when equal; a date's modifier and
   period ("after", "end of") likewise: a missing one is compatible with any, two only
   when equal ("by 1995" and "before the end of 1995" stay two claims). A version is
   rewritten to the unique most specific version it is compatible with; when it fits two
   incompatible ones ("2018" next to "2018-02" and "2018-05") it stays as it is. Rewriting
   gives the versions the same fact IRI (:func:`kg.graph.fact_iri` hashes subject,
   predicate, object, date, modality, quantity, modifier and period), so one node carries every article's evidence; the
   sentences and every ``kg:dateText`` show what each source wrote. Modality is part of
   the identity: an asserted order and the same order only planned, reported or denied are
   different claims (a planned fact must never become a plain triple), so each keeps its
   own node, evidence and confidence; a denial next to an assertion is a contradiction.

2. **Confidence** (:func:`confidence`). Each piece of evidence counts
   ``s = P(rule) * W(modality)``: the rule's precision estimated from gold (the pack's
   ``confidence`` table, written by ``kg eval --write-confidence``; :data:`DEFAULT_PRECISION`
   for a rule without an estimate) times the weight of the fact's modality
   (:data:`MODALITY_WEIGHTS`). Evidence is grouped by *source*: the publisher when the
   article names one, else the article itself; the same sentence read by two rules counts
   once, with its strongest reading. Within one source, repeats add little:
   ``S = 1 - (1 - s1) * prod(1 - REPEAT_DISCOUNT * sk for k >= 2)`` (strongest first).
   Independent sources combine by noisy-OR: ``confidence = 1 - prod(1 - S)``. With a rule
   of precision 0.8, an asserted fact read once scores 0.8, read in three sentences of one
   article 1 - 0.2 * 0.6 * 0.6 = 0.928, and read in three independent sources
   1 - 0.2 ** 3 = 0.992.

3. **Contradictions** (:func:`contradictions`). Facts that cannot all be true, with the
   kinds of conflict (:class:`ConflictKind`). Two facts conflict when they are the same
   contract (same buyer, item and compatible supplier) with incompatible dates or different
   quantities; the same claim asserted and denied at overlapping times; a deal cancelled
   before it was signed, or alive (in force, in progress, delivered) when it was cancelled;
   two values of a single-valued measure (a forecast, a count, a rank) for overlapping
   times; two people in a single-holder position (president, defence minister) of the same
   country at overlapping times. An undated fact is placed in the years its articles were
   published. Value, contract and position conflicts are only flagged between facts no
   single article reports both of: an article that gives two dates usually means two events.
   Conflicting pairs are joined into groups (the connected parts of the graph of pairs):
   one ``kg:Contradiction`` node per group names every member (``kg:conflictingFact``)
   and the kinds of its pairs. A claim that n articles date differently is one group of
   n facts, not n(n-1)/2 pairs, so the graph grows with the facts, not their square. Every
   member conflicts with at least one other member; every fact is kept.

The results go into their own named graph (:data:`CORROBORATION_GRAPH`): they are
computed across articles, not read in one.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import networkx as nx

from .extract import DocResult, Evidence, Fact, Term, merge_facts
from .markdown import md_cell

MODALITY_WEIGHTS = {
    "asserted": 1.0,
    "reported": 0.8,
    "negated": 0.8,
    "planned": 0.5,
    "speculated": 0.4,
    "comment": 0.2,
}
DEFAULT_PRECISION = 0.5  # a rule that gold has not scored yet
REPEAT_DISCOUNT = 0.5  # how much a second sentence of the same source adds, relative to a new source
TRUTHY = frozenset({"asserted", "reported"})
CONTRACT_PREDICATES = frozenset({"kg:ordered", "kg:cancelledOrderOf"})
SINGLE_VALUE_PREDICATES = frozenset({"kg:forecastMarketShare", "kg:forecastGrowthFactor", "kg:totalMTCAgreements",
                                     "kg:armsExporterRank"})
SINGLE_HOLDER_PREDICATES = frozenset({"kg:presidentOf", "kg:defenceMinisterOf"})
ALIVE_STATUSES = frozenset({"in_force", "in_progress", "delivered", "completed"})


class ConflictKind(str, Enum):
    DATE = "date"
    QUANTITY = "quantity"
    VALUE = "value"
    NEGATION = "negation"
    CANCELLED = "cancelled"
    SINGLE_HOLDER = "single-holder"


@dataclass(frozen=True)
class Article:
    slug: str
    file: str
    date: str | None
    publisher: str | None

    @property
    def source(self) -> str:
        """Who vouches for what the article says: its publisher, else the article itself."""
        return "publisher:" + " ".join(self.publisher.casefold().split()) if self.publisher else "article:" + self.slug


@dataclass(frozen=True)
class Contradiction:
    """A group of facts that cannot all be true: each conflicts with at least one other."""

    facts: tuple[Fact, ...]  # sorted by fact IRI
    kinds: tuple[ConflictKind, ...]  # the kinds of the group's conflicting pairs, in ConflictKind order


@dataclass(frozen=True)
class Corroboration:
    facts: tuple[Fact, ...]  # one per fact node, evidence of every article united
    confidence: dict  # fact identity -> float
    sources: dict  # fact identity -> number of independent sources
    contradictions: tuple[Contradiction, ...]
    articles: dict  # slug -> Article


# --- values ----------------------------------------------------------------------------


def compatible_dates(a: str | None, b: str | None) -> bool:
    """Two dates can name the same time: equal, one inside the other, or one missing.

    >>> compatible_dates("2018", "2018-02"), compatible_dates("2018-02", "2018-02-14"), compatible_dates(None, "2017")
    (True, True, True)
    >>> compatible_dates("2017", "2018-02"), compatible_dates("2018-02", "2018-03-01")
    (False, False)
    """
    if not a or not b:
        return True
    short, long_ = sorted((a, b), key=len)
    return long_ == short or long_.startswith(short + "-")


def _qual(f: Fact, prop: str) -> str:
    """The value of a fact's qualifier, "" when it has none."""
    t = f.qualifier(prop)
    return t.value if t else ""


def _quantity(f: Fact) -> str | None:
    return _qual(f, "kg:quantity") or None


_VERSION_PROPS = ("kg:date", "kg:quantity", "kg:dateModifier", "kg:datePeriod")


def _version(f: Fact) -> tuple[str, str, str, str]:
    """(date, quantity, date modifier, date period): what two reports of one claim may state
    more or less precisely; a missing value is ""."""
    found: dict[str, str] = {}
    for p, t in f.qualifiers:  # the first value of each, as Fact.qualifier gives it
        if p in _VERSION_SET and p not in found:
            found[p] = t.value
    return (found.get("kg:date", ""), found.get("kg:quantity", ""), found.get("kg:dateModifier", ""),
            found.get("kg:datePeriod", ""))


_VERSION_SET = frozenset(_VERSION_PROPS)


def identity(f: Fact) -> tuple:
    """What makes two facts one fact node: the extraction key (subject, predicate, object,
    date, modality), the quantity and the date's modifier and period (kg/graph.py
    IDENTITY_QUALIFIERS); a missing value is ""."""
    date, quantity, modifier, period = _version(f)
    return (f.subject, f.predicate, f.object, date, f.modality, quantity, modifier, period)


def _refines(w: tuple, v: tuple) -> bool:
    """w says at least what v says, and no less precisely."""
    return (compatible_dates(v[0], w[0]) and len(w[0]) >= len(v[0])
            and all(not v[i] or v[i] == w[i] for i in (1, 2, 3)))


class Claims:
    """The versions of every claim (subject, relation, object, modality) read across articles,
    and the rewrite they imply (see the module docstring): a build adds each article's facts
    as they are extracted, then asks for the rewrite of each article in turn, so no article's
    facts need be held meanwhile."""

    def __init__(self) -> None:
        self.groups: dict[tuple, set] = defaultdict(set)
        self.terms: dict[tuple[str, str], Term] = {}  # (property, value) -> the term stating it
        self._targets: dict[tuple, tuple] | None = None

    def add(self, facts: Iterable[Fact]) -> None:
        for f in facts:
            self.groups[claim_of(f)].add(_version(f))
            for prop in _VERSION_PROPS:
                t = f.qualifier(prop)
                if t is not None:
                    self.terms.setdefault((prop, t.value), t)
        self._targets = None

    @property
    def targets(self) -> dict[tuple, tuple]:
        """(claim..., version) -> the unique most specific compatible version, for the versions
        that have one other than themselves."""
        if self._targets is None:
            target: dict[tuple, tuple] = {}
            for g, versions in self.groups.items():
                if len(versions) > 1:
                    for v, w in _refinements(versions).items():
                        target[(*g, v)] = w
            self._targets = target
        return self._targets

    def rewrites_for(self, facts: Iterable[Fact]) -> dict[tuple, tuple]:
        """The part of :attr:`targets` that facts need, with the terms of the target versions:
        what :func:`rewrite` needs to rewrite them elsewhere (in another process)."""
        targets = self.targets
        out = {}
        for f in facts:
            key = (*claim_of(f), _version(f))
            to = targets.get(key)
            if to is not None:
                out[key] = (to, tuple((prop, self.terms[(prop, value)]) for prop, value in zip(_VERSION_PROPS, to) if value))
        return out


def _refinements(versions: Iterable[tuple]) -> dict[tuple, tuple]:
    """Version -> the unique most specific version that refines it, for the versions of one
    claim that have one other than themselves.

    A version can only be refined by versions dated at or below its date ("2018" by
    "2018-02" and "2018-02-14") and, when it states a quantity, stating the same quantity;
    so versions are indexed under every prefix of their date (and that with the quantity),
    and each looks only there, stopping at the first refinement (not maximal) or the second
    fit (ambiguous): a claim reported with a thousand dates costs about a thousand looks,
    not a million."""
    versions = list(versions)
    under = _by_date_prefix(versions)
    maximal = [w for w in versions if not any(u != w and _refines(u, w) for u in under[_look(w)])]
    under_maximal = _by_date_prefix(maximal)
    out = {}
    for v in versions:
        fits = []
        for w in under_maximal[_look(v)]:
            if _refines(w, v):
                fits.append(w)
                if len(fits) > 1:
                    break
        if len(fits) == 1 and fits[0] != v:
            out[v] = fits[0]
    return out


def _look(v: tuple) -> tuple[str, str]:
    """Where the versions that may refine v are indexed: under its date and its quantity ("" for any)."""
    return v[0], v[1]


def _by_date_prefix(versions: Iterable[tuple]) -> dict[tuple[str, str], list[tuple]]:
    """(date, quantity) -> the versions dated at or below that date ("", "2018", "2018-02",
    ...), with that quantity, or with any ("")."""
    index: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for v in versions:
        date = v[0]
        prefixes = [""]
        if date:
            parts = date.split("-")
            prefixes += ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for prefix in prefixes:
            index[(prefix, "")].append(v)
            if v[1]:
                index[(prefix, v[1])].append(v)
    return index


def claim_of(f: Fact) -> tuple:
    """What two reports of one claim share: subject, relation, object, modality."""
    return (f.subject, f.predicate, f.object, f.modality)


def rewrite(facts: Iterable[Fact], rewrites: Mapping[tuple, tuple]) -> list[Fact]:
    """An article's facts rewritten to the versions ``rewrites`` names
    (:meth:`Claims.rewrites_for`), then merged by :func:`identity`."""
    if not rewrites:
        return merge_by_identity(facts)

    def one(f: Fact) -> Fact:
        entry = rewrites.get((*claim_of(f), _version(f)))
        if entry is None:
            return f
        to, terms = entry
        # the target's date (with its modifier and period) replaces the fact's; its quantity too
        replaced = {"kg:date", "kg:dateModifier", "kg:datePeriod"} if to[0] else set()
        if to[1]:
            replaced.add("kg:quantity")
        quals = [(p, t) for p, t in f.qualifiers if p not in replaced]
        quals += [(prop, t) for prop, t in terms if prop in replaced]
        return f._replace(qualifiers=tuple(sorted(set(quals))))

    return merge_by_identity(one(f) for f in facts)


def merge_compatible(results: Iterable[DocResult]) -> list[DocResult]:
    """Rewrite each fact to the unique most specific compatible version of the same claim
    found in any article (see the module docstring); facts then merge by :func:`identity`."""
    results = list(results)
    claims = Claims()
    for r in results:
        claims.add(r.facts)
    if not claims.targets:
        return results
    return [replace(r, facts=tuple(rewrite(r.facts, claims.rewrites_for(r.facts)))) for r in results]


def merge_by_identity(facts: Iterable[Fact]) -> list[Fact]:
    """One fact per :func:`identity`, evidence united (:func:`kg.extract.merge_facts` per group), in first-seen order."""
    groups: dict[tuple, list[Fact]] = {}
    for f in facts:
        groups.setdefault(identity(f), []).append(f)
    return [g[0] if len(g) == 1 else merge_facts(g)[0] for g in groups.values()]


class FactMerger:
    """Facts of many articles gathered by :func:`identity` as they come, article by article,
    and merged once at the end (what :func:`merge_by_identity` gives for all of them at
    once). Merging at every arrival re-sorted a fact's evidence each time: a fact reported
    in k articles cost k^2."""

    def __init__(self) -> None:
        self._facts: dict[tuple, list[Fact]] = {}

    def add(self, facts: Iterable[Fact]) -> None:
        gathered = self._facts
        for f in facts:
            key = identity(f)
            seen = gathered.get(key)
            if seen is None:
                gathered[key] = [f]
            else:
                seen.append(f)

    def facts(self) -> list[Fact]:
        """The merged facts, in the order first seen."""
        return [g[0] if len(g) == 1 else merge_facts(g)[0] for g in self._facts.values()]


# --- confidence ------------------------------------------------------------------------


def articles_of(results: Iterable[DocResult]) -> dict[str, Article]:
    out = {}
    for r in results:
        meta = r.doc.meta or {}
        date, publisher = meta.get("date"), meta.get("publisher")
        out[r.doc.slug] = Article(r.doc.slug, Path(r.doc.path).name, str(date) if date else None,
                                  str(publisher) if publisher else None)
    return out


def evidence_strength(e: Evidence, modality: str, precision: Mapping[str, float]) -> float:
    """s = P(rule) * W(modality)."""
    return precision.get(e.rule, DEFAULT_PRECISION) * MODALITY_WEIGHTS.get(modality, MODALITY_WEIGHTS["speculated"])


def _source_of(e: Evidence, articles: Mapping[str, Article]) -> str:
    a = articles.get(e.article)
    return a.source if a else "article:" + e.article


def confidence(f: Fact, precision: Mapping[str, float], articles: Mapping[str, Article] = {}) -> float:
    """The fact's confidence in [0, 1] from all its evidence (formula in the module docstring).

    >>> from kg.extract import Evidence, Fact, Term
    >>> ev = lambda art, i: Evidence(art, art + ".md", i, 0, 1, "s", "r", "body")
    >>> f = Fact(Term("entity", "A"), "kg:ordered", Term("entity", "B"), "asserted", evidence=(ev("x", 0),))
    >>> confidence(f, {"r": 0.8})
    0.8
    >>> round(confidence(f._replace(evidence=(ev("x", 0), ev("y", 0), ev("z", 0))), {"r": 0.8}), 6)
    0.992
    >>> round(confidence(f._replace(evidence=(ev("x", 0), ev("x", 1), ev("x", 2))), {"r": 0.8}), 6)
    0.928
    """
    by_source: dict[str, dict[tuple, float]] = defaultdict(dict)
    for e in f.evidence:
        s = evidence_strength(e, f.modality, precision)
        sentence = (e.article, e.sentence_index)
        src = by_source[_source_of(e, articles)]
        src[sentence] = max(src.get(sentence, 0.0), s)
    miss = 1.0
    for sentences in by_source.values():
        ranked = sorted(sentences.values(), reverse=True)
        source_miss = 1.0 - ranked[0]
        for s in ranked[1:]:
            source_miss *= 1.0 - REPEAT_DISCOUNT * s
        miss *= source_miss
    return 1.0 - miss


def source_count(f: Fact, articles: Mapping[str, Article] = {}) -> int:
    return len({_source_of(e, articles) for e in f.evidence})


# --- contradictions --------------------------------------------------------------------


def _arts(f: Fact) -> set[str]:
    return {e.article for e in f.evidence}


def _times(f: Fact, articles: Mapping[str, Article]) -> set[str]:
    """When a fact holds: its date, else the years its articles were published (may be empty)."""
    if f.date:
        return {f.date}
    return {a.date[:4] for e in f.evidence if (a := articles.get(e.article)) and a.date and a.date[:4].isdigit()}


def _overlap(f: Fact, g: Fact, articles, times=_times) -> bool:
    tf, tg = times(f, articles), times(g, articles)
    return bool(tf and tg) and any(compatible_dates(x, y) for x in tf for y in tg)


def _before(f: Fact, g: Fact, articles, times=_times) -> bool:
    """Every time of f ends before every time of g starts."""
    tf, tg = times(f, articles), times(g, articles)
    return bool(tf and tg) and all(not compatible_dates(x, y) and x < y for x in tf for y in tg)


def _suppliers_compatible(f: Fact, g: Fact) -> bool:
    a = {t for p, t in f.qualifiers if p == "kg:supplier"}
    b = {t for p, t in g.qualifiers if p == "kg:supplier"}
    return not a or not b or bool(a & b)


def _conflicts(f: Fact, g: Fact, articles, arts=_arts, times=_times) -> list[ConflictKind]:
    """The kinds of conflict between two facts (see the module docstring). arts, times: the
    facts' articles and times (:func:`_arts`, :func:`_times`), remembered by a caller that
    asks about one fact many times."""
    kinds: list[ConflictKind] = []
    shared = bool(arts(f) & arts(g))
    same_claim = (f.subject, f.predicate, f.object) == (g.subject, g.predicate, g.object)
    if same_claim and {f.modality, g.modality} & TRUTHY and "negated" in {f.modality, g.modality} \
            and _overlap(f, g, articles, times):
        kinds.append(ConflictKind.NEGATION)
    if f.modality not in TRUTHY or g.modality not in TRUTHY:
        return kinds
    if same_claim and f.predicate in CONTRACT_PREDICATES and not shared and _suppliers_compatible(f, g):
        if not compatible_dates(f.date, g.date):
            kinds.append(ConflictKind.DATE)
        qf, qg = _quantity(f), _quantity(g)
        if qf and qg and qf != qg:
            kinds.append(ConflictKind.QUANTITY)
    if (f.subject, f.object) == (g.subject, g.object) and {f.predicate, g.predicate} == {"kg:ordered", "kg:cancelledOrderOf"}:
        order, cancel = (f, g) if f.predicate == "kg:ordered" else (g, f)
        if _before(cancel, order, articles, times) or (order.status in ALIVE_STATUSES and _overlap(order, cancel, articles, times)):
            kinds.append(ConflictKind.CANCELLED)
    if (f.subject, f.predicate) == (g.subject, g.predicate) and f.predicate in SINGLE_VALUE_PREDICATES \
            and f.object != g.object and not shared and _overlap(f, g, articles, times):
        kinds.append(ConflictKind.VALUE)
    if (f.predicate, f.object) == (g.predicate, g.object) and f.predicate in SINGLE_HOLDER_PREDICATES \
            and f.subject != g.subject and not shared and _overlap(f, g, articles, times):
        kinds.append(ConflictKind.SINGLE_HOLDER)
    return kinds


def contradictions(facts: Iterable[Fact], articles: Mapping[str, Article] = {},
                   keys: Iterable[str] | None = None) -> list[Contradiction]:
    """The groups of facts that cannot all be true, ordered by their first fact's IRI (see
    the module docstring).

    Each kind of conflict needs its two facts to share something, so only such pairs are
    compared (:func:`_candidate_pairs`), and a pair is not compared at all when its facts are
    already in one group that already has every kind the pair could add: a claim reported
    with a thousand different dates costs a few thousand comparisons, not half a million."""
    from .graph import fact_local

    facts = list(facts)
    keys = [fact_local(f) for f in facts] if keys is None else keys  # (keys: the facts' fact_local, if known)
    by_key = dict(zip(keys, facts))  # one per fact node (the IRI hashes the identity), sorted as IRIs
    parent: dict[str, str] = {}  # union-find over the facts that conflict with some other
    group_kinds: dict[str, set] = {}  # root -> the kinds of the group's conflicting pairs

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    arts_of: dict[int, set] = {}  # id of a fact (all alive in by_key) -> its articles; and its times
    times_of: dict[int, set] = {}

    def arts(f: Fact) -> set:
        got = arts_of.get(id(f))
        if got is None:
            got = arts_of[id(f)] = _arts(f)
        return got

    def times(f: Fact, articles) -> set:
        got = times_of.get(id(f))
        if got is None:
            got = times_of[id(f)] = _times(f, articles)
        return got

    for possible, a, b in _candidate_pairs(by_key, articles):
        if a in parent and b in parent:
            ra = root(a)
            if ra == root(b) and possible <= group_kinds[ra]:
                continue  # nothing this pair could show is new to its group
        found = _conflicts(by_key[a], by_key[b], articles, arts, times)
        if not found:
            continue
        for x in (a, b):
            if x not in parent:
                parent[x] = x
                group_kinds[x] = set()
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            group_kinds[rb] |= group_kinds.pop(ra)
        group_kinds[rb].update(found)
    parts: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        parts[root(x)].append(x)
    order = list(ConflictKind)
    return [Contradiction(tuple(by_key[m] for m in group), tuple(sorted(group_kinds[root(group[0])], key=order.index)))
            for group in sorted(sorted(part) for part in parts.values())]


def _candidate_pairs(by_key: Mapping[str, Fact], articles) -> Iterator[tuple[frozenset, str, str]]:
    """(kinds the pair could show, fact, fact) for every pair that could conflict: a denial
    and a report of the same claim; two reports of one contract; an order and its
    cancellation (same parties); two values of a single-valued measure, or two holders of a
    single-holder office, in the same year (those conflicts need overlapping times)."""
    claims: dict[tuple, list[str]] = defaultdict(list)
    cancellations: dict[tuple, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    yearly: dict[tuple, list[str]] = defaultdict(list)
    for k in sorted(by_key):
        f = by_key[k]
        claims[(f.subject, f.predicate, f.object)].append(k)
        if f.modality not in TRUTHY:
            continue
        if f.predicate in ("kg:ordered", "kg:cancelledOrderOf"):
            cancellations[(f.subject, f.object)][f.predicate == "kg:cancelledOrderOf"].append(k)
        measure, office = f.predicate in SINGLE_VALUE_PREDICATES, f.predicate in SINGLE_HOLDER_PREDICATES
        if measure or office:
            for year in sorted({t[:4] for t in _times(f, articles)}):
                yearly[("measure" if measure else "office", f.predicate, f.object if office else f.subject, year)].append(k)
    negation, contract = frozenset({ConflictKind.NEGATION}), frozenset({ConflictKind.DATE, ConflictKind.QUANTITY})
    for members in claims.values():
        truthy = [k for k in members if by_key[k].modality in TRUTHY]
        denied = [k for k in members if by_key[k].modality == "negated"]
        for a, b in itertools.product(denied, truthy):
            yield negation, a, b
        if by_key[members[0]].predicate in CONTRACT_PREDICATES:
            for a, b in itertools.combinations(truthy, 2):
                yield contract, a, b
    cancelled = frozenset({ConflictKind.CANCELLED})
    for orders, cancels in cancellations.values():
        for a, b in itertools.product(orders, cancels):
            yield cancelled, a, b
    value, holder = frozenset({ConflictKind.VALUE}), frozenset({ConflictKind.SINGLE_HOLDER})
    for (kind, *_rest), members in yearly.items():
        differ = (lambda f, g: f.object != g.object) if kind == "measure" else (lambda f, g: f.subject != g.subject)
        for a, b in itertools.combinations(members, 2):
            if differ(by_key[a], by_key[b]):
                yield (value if kind == "measure" else holder), a, b


# --- all together ----------------------------------------------------------------------


def precision_table(pack) -> dict[str, float]:
    """Rule id -> precision estimate, from the pack's ``confidence`` table (may be empty)."""
    table = getattr(pack, "confidence", None) or {}
    return {rid: float(v["precision"]) if isinstance(v, Mapping) else float(v) for rid, v in table.items()}


def corroborate(results: Iterable[DocResult], precision: Mapping[str, float]) -> Corroboration:
    """Merge compatible facts across articles, score every fact node, find contradictions.

    ``results`` should already have been through :func:`merge_compatible`.
    """
    results = list(results)
    return corroborate_facts(merge_by_identity(f for r in results for f in r.facts), articles_of(results), precision)


def corroborate_facts(facts: Iterable[Fact], articles: Mapping[str, Article], precision: Mapping[str, float]) -> Corroboration:
    """:func:`corroborate` of facts already merged by identity (:class:`FactMerger`), read in
    ``articles`` (slug -> :class:`Article`)."""
    facts = tuple(facts)
    conf = {identity(f): confidence(f, precision, articles) for f in facts}
    sources = {identity(f): source_count(f, articles) for f in facts}
    return Corroboration(facts, conf, sources, tuple(contradictions(facts, articles)), dict(articles))


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def _decimal(x: float) -> str:
    """Four places, in the canonical xsd:decimal form every store and syntax keeps ("0.975",
    not "0.9750"; "1.0", not "1"). (kg.graph.canonical_decimal gives the same, through
    Decimal: this is asked for once per fact.)

    >>> [_decimal(x) for x in (0.975, 0.8, 1.0, 0.0, 0.123456)]
    ['0.975', '0.8', '1.0', '0.0', '0.1235']
    """
    text = f"{x:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def corroboration_triples(c: Corroboration, T) -> Iterator[tuple]:
    """``kg:confidence``, ``kg:sourceCount`` and ``kg:Contradiction`` nodes, in a family of
    terms (kg/graph.py), each once, in the order of c's facts and groups: the triples of the
    named graph :data:`kg.graph.CORROBORATION_GRAPH`."""
    from rdflib.namespace import PROV, RDF, RDFS

    from .graph import fact_local
    from .vocab import KG

    g, v = T.instance("graph", "corroboration"), T.v
    yield g, v(RDF.type), v(PROV.Entity)
    yield g, v(RDFS.label), T.lang("Corroboration across articles: confidence and contradictions", "en")
    yield g, v(RDFS.label), T.lang("Korroborasi antarartikel: tingkat keyakinan dan kontradiksi", "id")
    confidence_, count = v(KG.confidence), v(KG.sourceCount)
    for f in c.facts:
        node = T.instance("fact", fact_local(f))
        key = identity(f)
        yield node, confidence_, T.typed(_decimal(c.confidence[key]), "decimal")
        yield node, count, T.integer(c.sources[key])
    for node, members, x in contradiction_nodes(c, T):
        yield node, v(RDF.type), v(KG.Contradiction)
        for m in members:
            yield node, v(KG.conflictingFact), m
        for k in x.kinds:
            yield node, v(KG.conflictKind), T.plain(k.value)


def contradiction_nodes(c: Corroboration, T) -> Iterator[tuple]:
    """(node, member fact nodes, Contradiction) of each contradiction group, in a family of terms."""
    from .graph import fact_local
    from .vocab import FACT

    for x in c.contradictions:
        members = [fact_local(f) for f in x.facts]
        node = T.instance("fact", "conflict-" + _hash(*(FACT + m for m in members)))  # default-base IRIs: any base names it alike
        yield node, [T.instance("fact", m) for m in members], x


def corroboration_quads(c: Corroboration) -> list[tuple]:
    """:func:`corroboration_triples` as rdflib quads in the corroboration graph (default base)."""
    from .graph import CORROBORATION_GRAPH, RdfTerms

    return list(dict.fromkeys((*t, CORROBORATION_GRAPH) for t in corroboration_triples(c, RdfTerms())))


# --- the report ------------------------------------------------------------------------


def _fact_dict(f: Fact, c: Corroboration, labels: Mapping[str, str]) -> dict:
    from .graph import fact_iri
    from .vocab import FACT

    def show(t: Term) -> str:
        return labels.get(t.value, t.value) if t.kind == "entity" else t.value

    arts = sorted(_arts(f))
    return {
        "fact": "fact:" + str(fact_iri(f))[len(str(FACT)):],
        "subject": show(f.subject), "predicate": f.predicate, "object": show(f.object),
        "modality": f.modality, "status": f.status, "date": f.date, "quantity": _quantity(f),
        "confidence": round(c.confidence[identity(f)], 4), "sources": c.sources[identity(f)],
        "articles": [c.articles[a].file if a in c.articles else a for a in arts],
    }


def report_section(c: Corroboration, labels: Mapping[str, str] = {}, limit: int | None = None,
                   group_limit: int | None = None) -> dict:
    """The corroboration part of report.json: multi-source facts and contradictions with
    their sources; with ``limit``, the first that many of each (the most trusted facts, the
    first groups), and with ``group_limit`` each group's first that many facts, the totals
    beside them."""
    multi = [f for f in c.facts if c.sources[identity(f)] > 1]
    multi.sort(key=lambda f: (-c.confidence[identity(f)], f.predicate, f.subject.value, f.object.value))
    groups = c.contradictions[:limit]
    return {
        "formula": "confidence = 1 - prod over sources (1 - S); S = 1 - (1 - s1) * prod_k>=2 (1 - 0.5 * sk); "
                   "s = P(rule) * W(modality)",
        "facts_with_several_sources": [_fact_dict(f, c, labels) for f in multi[:limit]],
        "facts_with_several_sources_total": len(multi),
        "contradictions": [
            {"kinds": [k.value for k in x.kinds], "facts": [_fact_dict(f, c, labels) for f in x.facts[:group_limit]],
             "facts_total": len(x.facts)}
            for x in groups
        ],
        "contradictions_total": len(c.contradictions),
    }


def _more(shown: int, total: int, what: str) -> list[str]:
    return [f"... and {total - shown} more {what} (kg query, examples/queries/cq7_multi_source.rq and "
            "cq8_conflicts.rq, list them all)."] if total > shown else []


def _fact_md(d: dict) -> str:
    extra = ", ".join(x for x in (d["modality"], d["date"], d["quantity"] and f"quantity {d['quantity']}") if x)
    return f"{md_cell(d['subject'])} `{d['predicate']}` {md_cell(d['object'])} ({extra})"


def report_markdown(section: dict) -> list[str]:
    """Markdown lines of the report's corroboration section."""
    lines = ["", "## Corroboration and contradictions", "",
             f"Confidence: {section['formula']} (see kg/corroborate.py).", "",
             "### Facts with more than one independent source", ""]
    multi = section["facts_with_several_sources"]
    if multi:
        lines += ["| fact | confidence | sources | articles |", "|---|---|---|---|"]
        lines += [f"| {_fact_md(d)} | {d['confidence']} | {d['sources']} | {md_cell(', '.join(d['articles']))} |" for d in multi]
        lines += _more(len(multi), section.get("facts_with_several_sources_total", len(multi)), "facts")
    else:
        lines.append("None.")
    lines += ["", "### Contradictions", "",
              "Groups of facts that cannot all be true (each conflicts with at least one other); "
              "every fact is kept, and a `kg:Contradiction` node names the group.", ""]
    cons = section["contradictions"]
    if cons:
        lines += ["| conflict | facts (sources) |", "|---|---|"]
        for x in cons:
            versions = "; ".join(f"{_fact_md(d)} ({md_cell(', '.join(d['articles']))})" for d in x["facts"])
            rest = x.get("facts_total", len(x["facts"])) - len(x["facts"])
            lines.append(f"| {', '.join(x['kinds'])} | {versions}{f'; ... and {rest} more' if rest > 0 else ''} |")
        lines += _more(len(cons), section.get("contradictions_total", len(cons)), "groups")
    else:
        lines.append("None.")
    return lines


# --- rule precision from gold ----------------------------------------------------------


def precision_estimate(tp: int, fp: int) -> float:
    """Laplace-smoothed precision, so a rule seen twice is not trusted as if it never erred.

    >>> precision_estimate(4, 0), precision_estimate(0, 0), precision_estimate(1, 3)
    (0.8333, 0.5, 0.3333)
    """
    return round((tp + 1) / (tp + fp + 2), 4)


def confidence_yaml(rule_scores) -> str:
    """The ``confidence`` table of a rule pack from ``kg eval``'s per-rule scores (tp, fp)."""
    import yaml

    table = {s.name: {"precision": precision_estimate(s.tp, s.fp), "tp": s.tp, "fp": s.fp}
             for s in sorted(rule_scores, key=lambda s: s.name)}
    head = ("# Rule precision estimated from gold by `kg eval --write-confidence` (Laplace: (tp+1)/(tp+fp+2)).\n"
            "# kg/corroborate.py combines it with evidence across articles into kg:confidence.\n")
    return head + yaml.safe_dump({"confidence": table}, sort_keys=True, allow_unicode=True)
