"""Skip the patterns that cannot match a sentence, before running their regexes.

Every compiled pattern is read back (with the `re` module's own parser) into the literal
strings a match must contain: a conjunction of disjunctions ("«" and ("Organization" or
"Country") and ("menandatangani " or "meneken " or ...)). One Aho-Corasick pass over a
sentence's token stream finds which of those strings occur; a pattern runs only when each
of its disjunctions has one. The test is necessary, never sufficient, so the regex still
decides: the candidates found are the same as running every pattern on every sentence.

SentenceGate makes the same test one step earlier, before a sentence's token stream is
built: from the sentence's folded text and the placeholders of its entity mentions. The
extractor then runs just the patterns the gate let through (`passing_held`), with no
second pass of a Prefilter over the stream.
"""

from __future__ import annotations

import functools
import re
from itertools import chain
from operator import itemgetter
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Iterable

import ahocorasick

from .text import fold

MIN_LITERAL = 2  # shorter required strings are not worth checking

_Req = list[frozenset[str]]  # a conjunction of disjunctions of literal strings


def _seq(items) -> tuple[str | None, _Req]:
    """(the whole sequence as one literal string if it is one, its requirements)."""
    reqs: _Req = []
    buf: list[str] = []
    exact = True

    def flush() -> None:
        s = "".join(buf)
        if len(s) >= MIN_LITERAL:
            reqs.append(frozenset([s]))
        buf.clear()

    for op, av in items:
        if op is C.LITERAL:
            buf.append(chr(av))
            continue
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                exact = False
                flush()
                continue
            lit, sub_reqs = _seq(sub)
            if lit is not None:
                buf.append(lit)
                continue
            exact = False
            flush()
            reqs.extend(sub_reqs)
            continue
        exact = False
        flush()
        if op is C.BRANCH:
            best = []
            for alt in av[1]:
                lit, alt_reqs = _seq(alt)
                if lit is not None and len(lit) >= MIN_LITERAL:
                    alt_reqs = [frozenset([lit])]
                if not alt_reqs:
                    best = []
                    break
                best.append(max(alt_reqs, key=lambda d: min(map(len, d))))
            if best:
                reqs.append(frozenset().union(*best))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            lo, _hi, sub = av
            if lo >= 1:
                lit, sub_reqs = _seq(sub)
                reqs.extend([frozenset([lit])] if lit is not None and len(lit) >= MIN_LITERAL else sub_reqs)
        # IN, ANY, AT, ASSERT, ASSERT_NOT, CATEGORY, GROUPREF...: nothing required
    flush()
    return ("".join(buf) if exact else None), reqs


def requirements(rx: re.Pattern) -> _Req:
    """The literal strings any match of `rx` contains, as a conjunction of disjunctions.

    >>> sorted(map(sorted, requirements(re.compile(r"«(?:Country|Organization) (?:dan |and )x?"))))
    [['Country', 'Organization'], ['and ', 'dan ']]
    """
    if rx.flags & (re.IGNORECASE | re.VERBOSE) or not isinstance(rx.pattern, str):
        return []
    return list(_requirements(rx.pattern, rx.flags))


@functools.lru_cache(maxsize=4096)
def _requirements(pattern: str, flags: int) -> tuple[frozenset[str], ...]:
    """requirements() of a pattern, remembered: the Prefilter and the SentenceGate of a pack
    read the same patterns, and parsing them is most of the cost of making either."""
    try:
        _lit, reqs = _seq(sre_parse.parse(pattern, flags))
    except Exception:  # pragma: no cover - an unreadable pattern is simply never skipped
        return ()
    return tuple(dict.fromkeys(reqs))


def _selectivity(d: frozenset[str]) -> tuple:
    """Rank a disjunction as an index key: words beat class names and placeholder punctuation
    (almost every sentence names a Country), then longer strings, then fewer of them."""
    markup = any(s[:1].isupper() or "»" in s or "«" in s or "|" in s for s in d)
    return (not markup, min(map(len, d)), -len(d))


def _split_needs(need: list[frozenset[int]]) -> tuple[frozenset[int], tuple[frozenset[int], ...]]:
    """A conjunction of disjunctions as (the ids that must all be present: the one-id
    disjunctions, the disjunctions of several ids), for a test in one subset check where it can."""
    musts = frozenset(next(iter(d)) for d in need if len(d) == 1)
    return musts, tuple(d for d in need if len(d) != 1)


class Prefilter:
    """Which of a list of regexes may match a string: `candidates(text)` -> their indexes, in order."""

    def __init__(self, regexes: list[re.Pattern]):
        self._reqs = [requirements(rx) for rx in regexes]
        self._always = [i for i, r in enumerate(self._reqs) if not r]
        strings = sorted({s for r in self._reqs for d in r for s in d})
        self._ids = {s: i for i, s in enumerate(strings)}
        self._auto = ahocorasick.Automaton()
        for s, i in self._ids.items():
            self._auto.add_word(s, i)
        if strings:
            self._auto.make_automaton()
        # each pattern is indexed under its most selective-looking disjunction (longest strings)
        self._anchor: dict[int, list[int]] = {}
        self._need: list[list[frozenset[int]]] = []
        for i, r in enumerate(self._reqs):
            coded = [frozenset(self._ids[s] for s in d) for d in r]
            self._need.append(coded)
            if r:
                k = max(range(len(r)), key=lambda j: _selectivity(r[j]))
                for sid in coded[k]:
                    self._anchor.setdefault(sid, []).append(i)
        self._split = [_split_needs(need) for need in self._need]
        self.size = len(regexes)

    def candidates(self, text: str) -> list[int]:
        if not self._ids:
            return list(range(self.size))
        present = {v for _end, v in self._auto.iter(text)}
        picked = set(self._always)
        anchor = self._anchor
        for sid in present:
            got = anchor.get(sid)
            if got is not None:
                picked.update(got)
        split = self._split
        out = []
        for i in sorted(picked):
            musts, anys = split[i]
            if musts <= present and (not anys or all(not d.isdisjoint(present) for d in anys)):
                out.append(i)
        return out


# --- a gate before the token stream is built ------------------------------------------------


def _refold_table() -> dict[str, str]:
    """ASCII characters `fold` writes differently in ASCII and in non-ASCII text ("`" is "`"
    in an ASCII string, "'" elsewhere): mapped to their non-ASCII folding, so that a token of
    any slice of a text, so mapped, is a substring of the whole text folded and so mapped."""
    out = {}
    for i in range(128):
        c = chr(i)
        plain, wide = fold(c), fold("\u00e9" + c)[1:]
        if plain != wide and len(wide) == 1:
            out[plain] = wide
    return out


_REFOLD = _refold_table()


def gate_text(folded: str) -> str:
    """Folded text as the SentenceGate reads it (see _refold_table)."""
    for a, b in _REFOLD.items():
        if a in folded:
            folded = folded.replace(a, b)
    return folded


def _in_placeholder(p: str, head: str, tail: str) -> bool:
    """True when `p` is a substring of head + <digits> + tail for some non-empty digit string
    (a placeholder «Classes|Id#n» is head «Classes|Id#, the index n, tail »)."""
    if p in head or p in tail:
        return True
    n = len(p)
    for i in range(n):  # p[i:j]: the digits of the index; before them the end of head, after them the start of tail
        for j in range(i + 1, n + 1):
            if not p[j - 1].isdigit():
                break
            if (i == 0 or head.endswith(p[:i])) and tail.startswith(p[j:]):
                return True
    return False


class SentenceGate:
    """Whether any of a list of regexes may match a sentence's token stream, told before the
    stream is built, from the sentence's folded text and the entities it mentions.

    The stream is tokens each followed by one space (kg/extract.py `_view`); a token is a word
    (a substring of the folded text), a country named as a modifier (a folded mention with its
    spaces written "_") or a placeholder `placeholder(classes, id, n)` of an entity mention or
    of a value. A string a match must contain (`requirements`), cut at its spaces, is made of
    pieces each lying inside one token, so each piece is either in the folded text (all its
    "_"-separated parts are) or inside a placeholder. Values are not known before the stream
    is built: a piece a value's placeholder may hold is taken as present. One piece of each
    required string is checked, so the test is necessary, never sufficient, as Prefilter's:
    a sentence the gate refuses is one where no regex of the list matches.
    """

    # shorter pieces are taken as present: a two-letter piece ("di", "in", "me") is in nearly
    # every sentence, as part of some word, and costs a hit per sentence while telling nothing
    MIN_ATOM = 3

    def __init__(self, regexes: list[re.Pattern], entities: list[tuple[tuple[str, ...], str]],
                 value_classes: list[tuple[str, ...]], groups: list[int] | None = None):
        """entities: (classes, id) of every entity a mention may name; value_classes: the
        class tuples of value placeholders; groups: a group number per regex (`matching`
        tells which groups may match; default: one group)."""
        self._group = list(groups) if groups is not None else [0] * len(regexes)
        self.groups = frozenset(self._group)
        self._known = set(entities)
        values = _Placeholders([("", c) for c in value_classes])
        self._entities = _Placeholders([(e, c) for c, e in self._known])
        pieces: dict[str, int] = {}  # piece -> id
        atoms: dict[str, list[int]] = {}  # text atom -> pieces it stands for
        chosen: dict[str, tuple[str, str] | None] = {}  # required string -> (piece, atom)
        always: set[int] = set()  # groups with a regex that may match any sentence
        self._need: list[list[frozenset[int]]] = []
        for rx in regexes:
            need = []
            for d in requirements(rx):
                for s in d:
                    if s not in chosen:
                        chosen[s] = self._piece(s, values)
                if any(chosen[s] is None for s in d):
                    continue  # a string that may occur in any sentence: so may the disjunction
                ids = set()
                for piece, atom in sorted({chosen[s] for s in d}):
                    if piece not in pieces:
                        pieces[piece] = len(pieces)
                        atoms.setdefault(atom, []).append(pieces[piece])
                    ids.add(pieces[piece])
                need.append(frozenset(ids))
            if not need:
                always.add(self._group[len(self._need)])
            self._need.append(need)
        self._always = frozenset(always)
        self.always = self._always == self.groups  # every group may match anything: the gate passes everything
        self._unconditional = [i for i, need in enumerate(self._need) if not need]  # regexes that need no word
        self._pieces = list(pieces)
        self._auto = ahocorasick.Automaton()
        for a, ids in atoms.items():
            self._auto.add_word(a, tuple(ids))
        if atoms:
            self._auto.make_automaton()
        # the pieces some entity's placeholder may hold (class names, "|Id#"): per entity, held()
        self._placeable = [i for i, p in enumerate(self._pieces) if self._entities.may_hold(p)]
        self._held: dict[tuple, frozenset[int]] = {}
        # each regex is indexed under its most selective-looking disjunction: words that no
        # placeholder holds (almost every sentence names a Country), then the longest;
        # _anchors[piece id]: the regexes indexed under it
        placeable = set(self._placeable)
        anchors: list[list[int]] = [[] for _ in self._pieces]
        for i, need in enumerate(self._need):
            if need:
                k = max(range(len(need)), key=lambda j: (
                    placeable.isdisjoint(need[j]), min(len(self._pieces[x]) for x in need[j]), -len(need[j])))
                for pid in need[k]:
                    anchors[pid].append(i)
        self._anchors = [tuple(a) for a in anchors]
        self._split = [_split_needs(need) for need in self._need]

    def _piece(self, s: str, values: "_Placeholders") -> tuple[str, str] | None:
        """The piece of required string `s` to check and its text atom, or None when `s`
        may be in any stream (each piece of it is empty or fits a value's placeholder)."""
        best, best_rank = None, None
        for p in s.split(" "):
            if not p or values.may_hold(p):
                continue  # empty, or held by a value, which any sentence may have: proves nothing
            atom = max(gate_text(p).split("_"), key=len)
            if len(atom) < self.MIN_ATOM:
                continue  # too short to tell much, and found everywhere ("di" in "indonesia")
            rank = (not self._entities.may_hold(p), len(atom))
            if best_rank is None or rank > best_rank:
                best, best_rank = (p, atom), rank
        return best

    def held(self, classes: tuple[str, ...], eid: str) -> frozenset[int]:
        """The pieces the placeholder of a mention of (classes, eid) holds."""
        key = (classes, eid)
        got = self._held.get(key)
        if got is None:
            one = _Placeholders([(eid, classes)])
            # an entity not given when the gate was made (a gazetteer changed since): try every piece
            which = self._placeable if key in self._known else range(len(self._pieces))
            got = self._held[key] = frozenset(i for i in which if one.may_hold(self._pieces[i]))
        return got

    def may_match(self, text: str, mentions: Iterable[tuple[tuple[str, ...], str]] = ()) -> bool:
        """False only when no regex can match the stream of a sentence whose folded text (read
        by `gate_text`) is `text` and whose entity mentions are `mentions` ((classes, id) pairs)."""
        return bool(self.matching(text, mentions))

    def matching(self, text: str, mentions: Iterable[tuple[tuple[str, ...], str]] = ()) -> frozenset[int]:
        """The groups with a regex that may match (see may_match); a group left out has none."""
        held: set[int] = set()
        for classes, eid in mentions:
            held.update(self.held(classes, eid))
        return self.matching_held(text, held)

    def matching_held(self, text: str, held: set[int]) -> frozenset[int]:
        """matching(text, mentions), given the union of held(classes, id) over the mentions
        (a caller that meets the same entities often remembers each one's). `held` is used up."""
        if self.always:
            return self.groups
        group = self._group
        return self._always.union(group[i] for i in self.passing_held(text, held))

    def passing_held(self, text: str, held: set[int]) -> list[int]:
        """The indexes, in order, of the regexes that may match (the test of `matching_held`,
        made for each regex: a regex left out cannot match); the caller runs just these,
        with no second prefilter over the token stream. `held` is used up."""
        present = held
        # (map and chain keep the loops over the automaton's hits and the present pieces in C)
        present.update(*map(_SECOND, self._auto.iter(text)))
        split = self._split
        out = list(self._unconditional)
        # a regex indexed under a disjunction of several pieces may be met more than once: a set
        for i in set(chain.from_iterable(map(self._anchors.__getitem__, present))):
            musts, anys = split[i]
            if musts <= present and not any(map(present.isdisjoint, anys)):
                out.append(i)
        return sorted(out)


_SECOND = itemgetter(1)


class _Placeholders:
    """The placeholders of some (entity id, classes) pairs, with any index: which strings they may hold."""

    def __init__(self, pairs: list[tuple[str, tuple[str, ...]]]):
        from .pattern import placeholder

        self.parts = [placeholder(classes, eid, "\x00").partition("\x00")[::2] for eid, classes in pairs]
        # one string to search for what lies inside a head or a tail (a "\x00" in a piece can only
        # match more, never less: the test stays necessary)
        self.heads = "\x00".join(h for h, _ in self.parts)
        self.tails = "\x00".join(t for _, t in self.parts)

    def may_hold(self, p: str) -> bool:
        if p in self.heads or p in self.tails:
            return True
        if not any(c.isdigit() for c in p):  # a piece with no digit cannot reach into the index
            return False
        return any(_in_placeholder(p, h, t) for h, t in self.parts)
