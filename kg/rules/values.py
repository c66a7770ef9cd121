"""Recognise and normalise dates, numbers and percentages in a sentence.

The words (month names, number words, prepositions that qualify a date) come from the rule
pack; this module holds only the grammar. Every value keeps its surface text beside the
normalised form, and implausible values are rejected (a six-digit number is not a year,
31/02/2020 is not a date).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from .text import fold

XSD_DATE, XSD_GYEARMONTH, XSD_GYEAR = "date", "gYearMonth", "gYear"
_DIGIT = re.compile(r"\d")
# The value patterns open with their first character, not with the assertion on the one
# before it ("(?<![\w/])\d..." is written "\d(?<![\w/]\d)..."): the same matches, but the
# regex engine then skips to the next digit (or letter) instead of trying every position.
# (tests/test_extract_speed.py compares each with its plain form.)
_INTEGER = re.compile(r"\d(?<![\w.,/-]\d)(?:\d{0,2}(?:([.,])\d{3})+(?![\w]|[.,]\d)|\d*(?![\w/]|[.,]\d))")
_DECIMAL = re.compile(r"(\d(?<![\w.,/-]\d)\d*)[.,](\d{1,2})(?![\w/]|[.,]\d)")
_FOUR_DIGITS = re.compile(r"\d{4}")
# where a date may open with a month name: after a non-word character, a word of 3 to 10
# letters, then white space and a digit (ValueRecognizer._date_matches); the match is the
# non-word character alone, so that the next place can start right after it
_MONTH_SITE = re.compile(r"\W(?=[^\W\d_]{3,10}\.?\s+\d)")
_MONTH_FIRST = ("month_d_y", "month_y")
_DATE, _PERCENT, _NUMBER = 0, 1, 2  # a value's kind as its rank where values overlap: dates first
_KINDS = ("Date", "Percent", "Number")
MIN_YEAR, MAX_YEAR = 1900, 2100
# every class tuple a Value's placeholder may carry (Value.classes); the extractor's sentence
# gate (kg/rules/prefilter.py SentenceGate) counts on knowing them all
VALUE_CLASSES = (("Date",), ("Date", "Year"), ("Number",), ("Percent",))


@dataclass(frozen=True)
class Value:
    """A recognised value: `kind` is Date, Number or Percent; `lexical` its normalised form."""

    kind: str
    start: int
    end: int
    surface: str
    lexical: str
    datatype: str  # xsd local name: date, gYearMonth, gYear, integer, decimal
    modifier: str | None = None  # for dates: "before", "by", "after", "since", "until"
    period: str | None = None  # for dates: "start of", "middle of", "end of"

    @property
    def classes(self) -> tuple[str, ...]:
        if self.kind == "Date" and self.datatype == XSD_GYEAR:
            return ("Date", "Year")
        return (self.kind,)


@dataclass(frozen=True)
class ValueWords:
    months: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    multipliers: dict[str, int] = field(default_factory=dict)  # puluh 10, ratus 100, hundred 100
    teens: dict[str, int] = field(default_factory=dict)  # belas 10 (added: "dua belas" = 12)
    percent_words: tuple[str, ...] = ("persen", "percent", "per cent", "%")
    date_modifiers: dict[str, str] = field(default_factory=dict)  # sebelum -> before
    period_words: dict[str, str] = field(default_factory=dict)  # akhir -> end of
    year_words: tuple[str, ...] = ("tahun", "year")


def _edit1(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion or substitution."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    if len(a) > len(b):
        a, b = b, a
    return any(a == b[:i] + b[i + 1 :] for i in range(len(b)))


class ValueRecognizer:
    """Finds Date, Number and Percent values; built once per rule pack."""

    def __init__(self, words: ValueWords):
        self.w = words
        self.months = {fold(k): v for k, v in words.months.items()}
        self._typos: dict[str, int | None] = {}  # month(): folded word -> month it is one typo away from
        self.numbers = {fold(k): v for k, v in words.numbers.items()}
        nums = sorted(set(self.numbers) | set(map(fold, words.multipliers)) | set(map(fold, words.teens)), key=len, reverse=True)
        word_alt = "|".join(re.escape(n) for n in nums) or r"(?!x)x"
        self._numword = re.compile(rf"\b(?:{word_alt})(?:[\s-]+(?:{word_alt}))*\b")
        pct = "|".join(re.escape(fold(p)) for p in sorted(words.percent_words, key=len, reverse=True))
        self._percent = re.compile(rf"(\d(?<![\w.,]\d)\d*(?:[.,]\d+)?)\s*(?:{pct})(?!\w)")
        mods = sorted(set(map(fold, words.date_modifiers)) | set(map(fold, words.period_words)) | set(map(fold, words.year_words)), key=len, reverse=True)
        mod_alt = "|".join(re.escape(m) for m in mods) or r"(?!x)x"
        self._prefix = re.compile(rf"(?:\b(?:{mod_alt})\s+)+$")
        # what the text before a qualified date ends with, but for white space (_modifier)
        self._prefix_words = tuple(m.rstrip() for m in mods)
        # the words a qualifier is made of ("sebelum", "akhir", "paling", "lambat")
        self._prefix_vocabulary = frozenset(w for m in mods for w in m.split())
        M = r"([^\W\d_](?<!\w[^\W\d_])[^\W\d_]{2,9})\.?"  # a word of 3 to 10 letters
        self._date_patterns = [
            (re.compile(r"(\d(?<![\w/]\d)\d{3})-(\d{1,2})-(\d{1,2})(?![\w/])"), "ymd"),
            (re.compile(r"(\d(?<![\w/.]\d)\d?)[/.](\d{1,2})[/.](\d{4})(?![\w/])"), "dmy"),
            (re.compile(rf"(\d(?<!\w\d)\d?)\s+{M},?\s+(\d{{4}})(?!\w)"), "d_month_y"),
            (re.compile(rf"{M}\s+(\d{{1,2}}),\s+(\d{{4}})(?!\w)"), "month_d_y"),
            (re.compile(rf"{M}\s+(\d{{4}})(?!\w)"), "month_y"),
            (re.compile(r"(1(?<![\w.,/-]1)[89]\d\d|2(?<![\w.,/-]2)0\d\d|2(?<![\w.,/-]2)100)(?![\w/]|[.,]\d)"), "y"),
        ]

    # -- pieces --------------------------------------------------------------------------

    def month(self, word: str) -> int | None:
        """Month number of a month name, allowing one typo in names of five letters or more.

        Typos are matched only when exactly one month is that close ("Febrruari" -> 2).
        """
        w = fold(word).rstrip(".")
        if w in self.months:
            return self.months[w]
        if len(w) < 5:
            return None
        if w in self._typos:  # every word before a year is tried: remembered, not compared again
            return self._typos[w]
        close = {v for k, v in self.months.items() if len(k) >= 5 and _edit1(w, k)}
        if len(self._typos) >= 50_000:
            self._typos.clear()
        got = self._typos[w] = close.pop() if len(close) == 1 else None
        return got

    def number_words(self, phrase: str) -> int | None:
        """'dua belas' -> 12, 'dua puluh lima' -> 25, 'twenty-four' -> 24, 'seratus' -> 100."""
        total, current = 0, 0
        for word in re.split(r"[\s-]+", fold(phrase).strip()):
            if word in self.numbers:
                current += self.numbers[word]
            elif word in self.w.teens:
                current = (current or 1) + self.w.teens[word]
            elif word in self.w.multipliers:
                m = self.w.multipliers[word]
                if m >= 1000:
                    total += (current or 1) * m
                    current = 0
                else:
                    current = (current or 1) * m
            elif word in ("dan", "and"):
                continue
            else:
                return None
        return total + current

    # -- recognise -----------------------------------------------------------------------

    def find(self, text: str, offset: int = 0) -> list[Value]:
        """All values in `text`, longest first where they overlap; offsets into `text`, plus
        `offset` (a sentence's values with offsets into its document)."""
        folded = fold(text)
        # candidates as (start, end, kind rank, lexical, datatype, modifier, period); a Value is
        # made only for the ones kept
        cands: list[tuple] = []
        digit = _DIGIT.search(folded)
        if digit:  # dates, percentages and digit numbers all need a digit
            self._digit_values(folded, cands, digit.start())
        for m in self._numword.finditer(folded):
            n = self.number_words(m.group())
            if n is not None:
                cands.append((m.start(), m.end(), _NUMBER, str(n), "integer", None, None))
        if not cands:
            return []
        # years are dates; a plain number that is a date stays a date (dates come first)
        cands.sort(key=lambda v: (v[0] - v[1], v[2], v[0]))
        taken: list[tuple] = []
        for v in cands:
            if all(v[1] <= t[0] or v[0] >= t[1] for t in taken):
                taken.append(v)
        taken.sort(key=lambda v: v[0])
        return [Value(_KINDS[rank], a + offset, b + offset, text[a:b], lexical, dtype, modifier, period)
                for a, b, rank, lexical, dtype, modifier, period in taken]

    def _digit_values(self, folded: str, cands: list[tuple], first: int = 0) -> None:
        """The values with digits. `first`: the offset of the first digit, where the patterns
        that open with a digit start searching (their look-behinds still see the text before)."""
        if _FOUR_DIGITS.search(folded, first):  # every date form has a four-digit year
            for m, form in self._date_matches(folded, first):
                v = self._date(m, form, folded)
                if v:
                    cands.append(v)
        for m in self._percent.finditer(folded, first):
            cands.append((m.start(), m.end(), _PERCENT, m.group(1).replace(",", "."), "decimal", None, None))
        for m in _INTEGER.finditer(folded, first):
            digits = m.group().replace(".", "").replace(",", "")
            cands.append((m.start(), m.end(), _NUMBER, str(int(digits)), "integer", None, None))
        # a decimal: one or two digits after the separator ("1,5 kali lipat", "2.5 times"); three are thousands
        for m in _DECIMAL.finditer(folded, first):
            cands.append((m.start(), m.end(), _NUMBER, f"{int(m.group(1))}.{m.group(2)}", "decimal", None, None))

    def _date_matches(self, folded: str, first: int = 0):
        """(match, form) of each date pattern in turn, its matches as `finditer` finds them
        (`first`: no digit comes before this offset).

        The two forms that open with a month name ("Mei 2024", "May 5, 2024") are not searched
        from every letter of the sentence, which costs the regex engine a try at each: they are
        tried only where `_MONTH_SITE` finds a word of 3 to 10 letters at a word start followed
        by white space and a digit, as each of their matches is. Their matches cannot overlap
        (one holds letters only in its first word), so the matches at those places are the
        matches `finditer` finds. (tests/test_extract_speed.py compares the two.) The forms that
        open with a digit are searched from the first digit; a place for a month name is at most
        a word (10 letters and a ".") and white space before a digit, and the non-word character
        before it is where `_MONTH_SITE` matches."""
        sites = None
        for rx, form in self._date_patterns:
            if form not in _MONTH_FIRST:
                if form != "ymd" or "-" in folded:  # (ymd: "2024-09-10")
                    for m in rx.finditer(folded, first):
                        yield m, form
                continue
            if sites is None:
                space = len(folded[:first]) - len(folded[:first].rstrip())
                sites = [0, *(m.end() for m in _MONTH_SITE.finditer(folded, max(0, first - space - 12)))]
            for q in sites:
                m = rx.match(folded, q)  # (its look-behind sees the text before q)
                if m is not None:
                    yield m, form

    def _date(self, m: re.Match, form: str, folded: str) -> tuple | None:
        """A date candidate (as `find` keeps them), or None when `m` is no real date."""
        g = m.groups()
        try:
            if form == "ymd":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            elif form == "dmy":
                d, mo, y = int(g[0]), int(g[1]), int(g[2])
            elif form == "d_month_y":
                d, mo, y = int(g[0]), self.month(g[1]), int(g[2])
            elif form == "month_d_y":
                mo, d, y = self.month(g[0]), int(g[1]), int(g[2])
            elif form == "month_y":
                mo, d, y = self.month(g[0]), None, int(g[1])
            else:
                mo, d, y = None, None, int(g[0])
        except ValueError:
            return None
        if form in ("d_month_y", "month_d_y", "month_y") and mo is None:
            return None
        if not MIN_YEAR <= y <= MAX_YEAR:
            return None
        if d is not None:
            try:
                lexical, dtype = _dt.date(y, mo, d).isoformat(), XSD_DATE
            except ValueError:
                return None
        elif mo is not None:
            if not 1 <= mo <= 12:
                return None
            lexical, dtype = f"{y:04d}-{mo:02d}", XSD_GYEARMONTH
        else:
            lexical, dtype = f"{y:04d}", XSD_GYEAR
        start, modifier, period = self._modifier(folded, m.start())
        return (start, m.end(), _DATE, lexical, dtype, modifier, period)

    def _modifier(self, folded: str, start: int) -> tuple[int, str | None, str | None]:
        """Extend a date over the words before it that qualify it ('sebelum akhir tahun')."""
        head = folded[max(0, start - 60) : start]
        if not head.rstrip().endswith(self._prefix_words):
            return start, None, None  # (most dates: "pada 28 November") no match can end here
        # The qualifier is a run of qualifier words at the end of head: it starts within the last
        # words that are all qualifier words, or in the word before them (after a "(", say), so
        # the search starts there instead of trying each of the 60 characters.
        words = head.split()
        k = len(words)
        while k and words[k - 1] in self._prefix_vocabulary:
            k -= 1
        pos = len(head)
        for w in reversed(words[max(k - 1, 0) :]):
            pos = head.rfind(w, 0, pos)
        m = self._prefix.search(head, pos)
        if not m:
            return start, None, None
        words = m.group().split()
        modifier = next((self.w.date_modifiers[w] for w in words if self.w.date_modifiers.get(w)), None)
        period = next((self.w.period_words[w] for w in words if self.w.period_words.get(w)), None)
        return start - len(m.group()), modifier, period
