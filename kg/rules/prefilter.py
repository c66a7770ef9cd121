"""Skip the patterns that cannot match a sentence, before running their regexes.

Every compiled pattern is read back (with the `re` module's own parser) into the literal
strings a match must contain: a conjunction of disjunctions ("«" and ("Organization" or
"Country") and ("menandatangani " or "meneken " or ...)). One Aho-Corasick pass over a
sentence's token stream finds which of those strings occur; a pattern runs only when each
of its disjunctions has one. The test is necessary, never sufficient, so the regex still
decides: the candidates found are the same as running every pattern on every sentence.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import ahocorasick

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
    try:
        _lit, reqs = _seq(sre_parse.parse(rx.pattern, rx.flags))
    except Exception:  # pragma: no cover - an unreadable pattern is simply never skipped
        return []
    return list(dict.fromkeys(reqs))


def _selectivity(d: frozenset[str]) -> tuple:
    """Rank a disjunction as an index key: words beat class names and placeholder punctuation
    (almost every sentence names a Country), then longer strings, then fewer of them."""
    markup = any(s[:1].isupper() or "»" in s or "«" in s or "|" in s for s in d)
    return (not markup, min(map(len, d)), -len(d))


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
        self.size = len(regexes)

    def candidates(self, text: str) -> list[int]:
        if not self._ids:
            return list(range(self.size))
        present = {v for _end, v in self._auto.iter(text)}
        picked = set(self._always)
        for sid in present:
            picked.update(self._anchor.get(sid, ()))
        need = self._need
        return sorted(i for i in picked if all(not d.isdisjoint(present) for d in need[i]))
