"""Text folding and tokenising shared by the gazetteer, the values and the pattern compiler.

`fold` maps every character to exactly one character (lower case, diacritics and typographic
quotes and dashes flattened), so offsets in folded text are offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}


@lru_cache(maxsize=None)
def _fold_char(c: str) -> str:
    if c in _PUNCT:
        return _PUNCT[c]
    low = c.lower()
    if len(low) != 1:
        low = c
    base = unicodedata.normalize("NFD", low)[0]
    # keep the base only when the rest are combining marks (é -> e, but not ß or ligatures)
    return base if len(base) == 1 and unicodedata.category(base) != "Mn" else low


def fold(text: str) -> str:
    """Case- and diacritic-folded text of the same length.

    >>> fold("Rosoboronexport’s Café")
    "rosoboronexport's cafe"
    """
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


# A token: a word (letters/digits, inner hyphens, apostrophes, dots or slashes between
# digits), a possessive "'s" (split off: "military's" -> "military", "'s"), or one
# punctuation character.
TOKEN = re.compile(r"'s\b|[^\W_]+(?:(?:[-/.][^\W_]+)|(?:'(?!s\b)[^\W_]+)|(?:-(?=[^\W_])))*|[^\w\s]", re.UNICODE)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded tokens with their offsets in `text`.

    >>> [t for t, _, _ in tokens("Kerja sama militer-teknis, 2000.")]
    ['kerja', 'sama', 'militer-teknis', ',', '2000', '.']
    """
    folded = fold(text)
    return [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(folded)]


def fold_phrase(phrase: str) -> str:
    """A phrase as the token stream spells it: folded tokens joined by single spaces."""
    return " ".join(t for t, _, _ in tokens(phrase))
