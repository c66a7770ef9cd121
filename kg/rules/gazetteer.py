"""Find gazetteer entities in text with one Aho-Corasick automaton over folded aliases.

Cost grows with the text, not with the number of aliases. Short all-capital aliases ("AS",
"HAL") match only in that exact case, so the Indonesian word "as" is not the United States.
Overlaps: longest span wins, then earliest start, then gazetteer order.
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick

from .text import fold


@dataclass(frozen=True)
class Entity:
    id: str
    cls: str
    labels: dict  # language -> label
    aliases: tuple[str, ...]
    wikidata: str | None = None
    country: str | None = None  # for a government body or armed force: the state it belongs to
    file: str = ""
    line: int | None = None

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or next(iter(self.labels.values()), self.id)


@dataclass(frozen=True)
class Mention:
    entity: Entity
    start: int
    end: int
    surface: str
    anaphor: bool = False  # "perusahaan tersebut", "ia": resolved to an earlier mention


def _case_sensitive(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and len(alias) <= 4 and all(c.isupper() for c in letters)


def _plural(text: str, end: int, alias: str) -> bool:
    """'Su-35s', 'BMP-3Fs': an English plural s after a designation ending in a digit or capital."""
    return (
        text[end] == "s" and (alias[-1].isdigit() or alias[-1].isupper())
        and (end + 1 >= len(text) or not text[end + 1].isalnum())
    )


def _glue(a: str, b: str) -> bool:
    """Digit then capital letter, as in the caption 'Su-57UAC': two names glued together."""
    return a.isdigit() and b.isupper()


class Gazetteer:
    def __init__(self, entities: list[Entity]):
        self.entities = {e.id: e for e in entities}
        self._order = {e.id: i for i, e in enumerate(entities)}
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[tuple[str, str, bool]]] = {}
        for e in entities:
            for alias in (*e.labels.values(), *e.aliases):
                key = fold(alias.strip())
                if key:
                    entry = (e.id, alias.strip(), _case_sensitive(alias.strip()))
                    if entry not in keys.setdefault(key, []):
                        keys[key].append(entry)
        for key, entries in keys.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        if keys:
            self._automaton.make_automaton()
        self.size = len(keys)

    def find(self, text: str, folded: str | None = None) -> list[Mention]:
        """Entity mentions in `text` (offsets into it), non-overlapping, sorted by start."""
        if not self.size:
            return []
        folded = fold(text) if folded is None else folded
        n = len(text)
        cands: list[tuple[int, int, str, bool]] = []  # start, end, entity id, glued
        for end_idx, (length, entries) in self._automaton.iter(folded):
            start, end = end_idx - length + 1, end_idx + 1
            before = text[start - 1] if start > 0 else " "
            left_ok = not before.isalnum()
            if not left_ok and not _glue(before, text[start]):
                continue  # inside a word ("as" in "was"): no entry of this key can match here
            for eid, alias, exact in entries:
                if exact and text[start:end] != alias:
                    continue
                after = text[end] if end < n else " "
                right_ok = not after.isalnum() or _plural(text, end, alias)
                glued = (not left_ok and _glue(before, text[start])) or (not right_ok and _glue(text[end - 1], after))
                if (left_ok or _glue(before, text[start])) and (right_ok or _glue(text[end - 1], after)):
                    cands.append((start, end, eid, glued))
        # a glued match stands only when its glued neighbour is a match too
        starts = {c[0] for c in cands}
        ends = {c[1] for c in cands}
        cands = [
            c for c in cands
            if not c[3] or ((c[0] == 0 or text[c[0] - 1].isalnum() is False or c[0] in ends)
                            and (c[1] >= n or not text[c[1]].isalnum() or c[1] in starts))
        ]
        cands.sort(key=lambda c: (-(c[1] - c[0]), c[0], self._order[c[2]]))
        taken: list[tuple[int, int, str, bool]] = []
        occupied = bytearray(n + 1)
        for c in cands:
            if not any(occupied[c[0] : c[1]]):
                taken.append(c)
                occupied[c[0] : c[1]] = b"\x01" * (c[1] - c[0])
        taken.sort()
        return [Mention(self.entities[eid], s, e, text[s:e]) for s, e, eid, _ in taken]
