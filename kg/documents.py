"""Read articles, strip boilerplate, keep reader comments apart, split sentences with offsets.

Offsets are Unicode code-point offsets into `Document.text`: the file decoded and with its
line endings normalised to "\\n", front matter included, so `text[s.start:s.end] == s.text`.
What counts as boilerplate or as the start of a comment section is data (`Cleaning`), taken
from the rule pack, not code.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Callable, Iterable, Iterator

import yaml

from . import timebound
from .errors import DocumentError, InputError

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
BODY, COMMENT = "body", "comment"
META_KEYS = ("title", "url", "date", "language", "publisher")
# An article larger than this is skipped unread (a log dump or a disk image, not news).
MAX_ARTICLE_BYTES = 256 * 1024 * 1024
# A "sentence" longer than this (a page with no full stops, a 50 MB single line) is cut at
# white space into pieces of at most this many characters: the rules' matching cost grows
# faster than linearly with sentence length, and no real sentence is this long.
MAX_SENTENCE_CHARS = 2000


@dataclass(frozen=True)
class Cleaning:
    """Curated line patterns (regexes, matched case-insensitively against a stripped line)."""

    drop_lines: tuple[str, ...] = ()
    comments_start: tuple[str, ...] = ()
    comments_end: tuple[str, ...] = ()
    # A line without final punctuation followed by a line starting with one of these words
    # is one sentence broken in two by the page layout ("... tekanan serius\nKhususnya ...").
    continuation_words: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()

    def compiled(self) -> "_CompiledCleaning":
        return _CompiledCleaning.of(self)


@dataclass(frozen=True)
class _CompiledCleaning:
    drop: re.Pattern | None
    start: re.Pattern | None
    end: re.Pattern | None
    continuation: frozenset[str]
    abbreviations: frozenset[str]
    # bool(drop.search(line)) etc. for a stripped line, tested faster (`_line_test`)
    drops: Callable[[str], bool] = field(default=lambda line: False, compare=False)
    starts: Callable[[str], bool] = field(default=lambda line: False, compare=False)
    ends: Callable[[str], bool] = field(default=lambda line: False, compare=False)

    @staticmethod
    def of(c: Cleaning) -> "_CompiledCleaning":
        try:
            hash(c)
        except TypeError:  # lists instead of tuples: not remembered
            return _CompiledCleaning._of(c)
        return _CompiledCleaning._cached(c)

    @staticmethod
    def _of(c: Cleaning) -> "_CompiledCleaning":
        def alt(pats: tuple[str, ...]) -> re.Pattern | None:
            return re.compile("|".join(f"(?:{p})" for p in pats), re.I) if pats else None

        drop, start, end = alt(c.drop_lines), alt(c.comments_start), alt(c.comments_end)
        return _CompiledCleaning(
            drop, start, end,
            frozenset(w.lower() for w in c.continuation_words),
            frozenset(a.lower().rstrip(".") for a in c.abbreviations),
            _line_test(c.drop_lines, drop), _line_test(c.comments_start, start), _line_test(c.comments_end, end),
        )


# every article is read with the same pack's cleaning: compiled once, not once per article
_CompiledCleaning._cached = staticmethod(functools.lru_cache(maxsize=16)(_CompiledCleaning._of))  # type: ignore[attr-defined]

# what makes a pattern's meaning depend on the others in one alternation: group references
_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _line_test(pats, combined: re.Pattern | None) -> Callable[[str], bool]:
    """A test of a stripped line (no line break in it) equal to bool(combined.search(line)),
    where combined is the alternation "(?:p1)|(?:p2)|..." of pats, case-insensitive.

    A pattern that opens with ^ (outside any alternative) can only match at the start: it is
    tried there alone, instead of at every position of the line in the alternation; the
    others stay in one alternation. Either way a line matches when one pattern matches
    somewhere. Patterns that refer to groups by number or name (whose meaning depends on
    the other patterns of the alternation), or that do not compile alone, keep the
    alternation as it is.
    """
    if combined is None:
        return lambda line: False
    try:
        if any(_GROUP_REFERENCE.search(p) for p in pats):
            raise ValueError("group references")
        anchored, rest = [], []
        for p in pats:
            parsed = sre_parse.parse(p, re.I)
            first = parsed[0] if len(parsed) else (None, None)
            is_anchored = (first[0] is sre_constants.AT and first[1] in (sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING)
                           and not parsed.state.flags & re.MULTILINE)
            (anchored if is_anchored else rest).append(p)
        # the anchored ones in one alternation, tried at the start: one matches there when any does
        starts = re.compile("|".join(f"(?:{p})" for p in anchored), re.I).match if anchored else None
        others = re.compile("|".join(f"(?:{p})" for p in rest), re.I).search if rest else None
    except Exception:  # noqa: BLE001 - whatever the reason, the alternation decides
        return lambda line: bool(combined.search(line))

    def test(line: str) -> bool:
        return (starts is not None and starts(line) is not None) or (others is not None and others(line) is not None)

    return test


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    section: str = BODY


@dataclass(frozen=True)
class Document:
    path: str
    slug: str
    text: str
    meta: dict = field(default_factory=dict, hash=False, compare=False)
    sentences: tuple[Sentence, ...] = ()

    @property
    def language(self) -> str | None:
        return self.meta.get("language")


# --- finding and decoding files -------------------------------------------------------------


def _is_article_name(name: str) -> bool:
    return (name.lower().endswith(ARTICLE_SUFFIXES) and not name.startswith(".")
            and name.upper() not in {"README.MD", "FACTS.MD"})


def find_articles(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into article files, sorted; a missing path is an InputError.

    Symbolic links to folders are not followed (no loops). What cannot be read is still
    listed, so that `read_document` reports it and the build lists it as skipped: an
    article name that is a symbolic-link loop or a broken link, a folder that cannot be
    opened.
    """
    found: set[Path] = set()
    for p in map(Path, paths):
        if not p.exists() and not p.is_symlink():
            raise InputError(f"{p}: no such file or folder")
        if p.is_dir():
            unreadable: list[OSError] = []
            for root, dirs, names in os.walk(p, onerror=unreadable.append):
                for name in names:
                    f = Path(root) / name
                    if _is_article_name(name) and (f.is_file() or (f.is_symlink() and not f.exists())):
                        found.add(f)
            found.update(Path(e.filename) for e in unreadable if e.filename and Path(e.filename) != p)
            if any(e.filename and Path(e.filename) == p for e in unreadable):
                raise InputError(f"{p}: cannot open this folder ({unreadable[0].strerror or unreadable[0]})")
        else:
            found.add(p)
    return sorted(found, key=lambda f: str(f))


def shown(path: Path | str) -> str:
    """A path as text that can be written anywhere: a file name that is not valid UTF-8
    keeps its valid parts and gets U+FFFD for the rest."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_bytes(path: Path) -> bytes:
    """An article's bytes; every way this can fail becomes a DocumentError with a plain reason."""
    where = shown(path)
    try:
        if path.is_dir():
            os.listdir(path)
            raise DocumentError(where, "a folder, not an article")
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise DocumentError(where, f"too large ({size / 2**20:.0f} MB; the limit is {MAX_ARTICLE_BYTES // 2**20} MB)")
        with open(path, "rb") as fh:
            return fh.read(MAX_ARTICLE_BYTES + 1)
    except OSError as e:
        if e.errno == errno.ELOOP:
            reason = "symbolic link loop (the link points back to itself)"
        elif e.errno == errno.ENOENT and path.is_symlink():
            reason = f"broken symbolic link (points to {shown(os.readlink(path))}, which does not exist)"
        elif path.is_dir():
            reason = f"cannot open this folder ({e.strerror or e}); its articles were not read"
        else:
            reason = f"cannot read: {e.strerror or e}"
        raise DocumentError(where, reason) from None


_BINARY_BYTES = (*range(1, 9), 14, 15, *range(16, 27), 28, 29, 30, 31, 127)
_BINARY = bytes(_BINARY_BYTES)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_8bit(data: bytes) -> str:
    """Text that is not valid UTF-8: mostly UTF-8 with a few broken bytes (each becomes
    U+FFFD), else Windows-1252, a superset of Latin-1's printable characters (its five
    undefined bytes become U+FFFD)."""
    as_utf8 = data.decode("utf-8", "replace")
    broken = as_utf8.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = sum(1 for c in as_utf8 if ord(c) > 127 and c != "\ufffd")
    if multibyte > 4 * broken:
        return as_utf8
    return data.decode("cp1252", "replace")


def decode(path: Path, data: bytes) -> str:
    """Bytes -> text: UTF-16 or UTF-8 with a BOM, else UTF-8, else Windows-1252 (Latin-1
    text reads the same); NUL bytes mean a binary file.

    Line endings become "\\n" (Windows, old Mac and mixed alike); other control
    characters become spaces, so offsets stay exact and no output carries them.
    """
    where = shown(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise DocumentError(where, "starts with a UTF-16 byte-order mark but is not UTF-16 text") from None
    if not data.strip():
        raise DocumentError(where, "empty file")
    if b"\x00" in data[:8192]:
        raise DocumentError(where, "binary file (contains NUL bytes)")
    head = data[:8192]
    if len(head) - len(head.translate(None, _BINARY)) > len(head) // 10:  # the control bytes in it
        raise DocumentError(where, "binary file (many control bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_8bit(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text) if _CONTROL.search(text) else text


def clean_meta(meta: dict) -> dict:
    """Metadata values as one-line strings: a YAML escape ("\\f", "\\u0000") or an HTML
    attribute may carry control characters and line breaks that no output should hold."""
    out = {}
    for k, v in meta.items():
        v = _CONTROL.sub(" ", str(v).replace("\r", " ").replace("\n", " ").replace("\x00", " "))
        out[k] = v.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from "\ud800"
    return out


# One front-matter line as `_simple_front_matter` reads it: a key at the start of the line,
# then nothing (null), a single-quoted or a double-quoted scalar without escapes, or a plain
# scalar that opens with a letter or digit and holds no comment, tab or ": ".
_FRONT_LINE = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*):(?: +(?:'((?:[^'\n]|'')*)'|"([^"\\\n]*)"|([^\W_][^\t\n#]*?)))? *""")
# what no line of a simple front matter holds: YAML's own line breaks and a byte-order mark
# (which its scanner reads specially), tabs and the characters its reader refuses
_FRONT_ODD = re.compile(r"[\x85\u2028\u2029\ufeff\t]|" + yaml.reader.Reader.NON_PRINTABLE.pattern)
_YAML_STR = "tag:yaml.org,2002:str"
_YAML_RESOLVER = yaml.resolver.Resolver()
_YAML_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _simple_front_matter(block: str) -> dict | None:
    """The front matter almost every article has ("title: '...'", "date: 2024-09-10", one key
    a line) as `yaml.safe_load(block) or {}` reads it, about 50 times faster; None for any
    other shape (the caller then runs the loader). Each scalar is resolved and constructed by
    PyYAML's own resolver and SafeConstructor, so "2024-09-10" is a date, "yes" a bool, "1_000"
    an int and an impossible date raises the same error, exactly as in the loader; only the
    scanning of these few line shapes is done here."""
    if _FRONT_ODD.search(block):
        return None
    pairs: list[tuple[str, str, bool]] = []  # (key, value, plain) of each line, all read before any is made
    for line in block.split("\n"):
        if not line:
            continue
        m = _FRONT_LINE.fullmatch(line)
        if m is None:
            return None
        key, single, double, plain = m.groups()
        if single is not None:
            pairs.append((key, single.replace("''", "'"), False))
        elif double is not None:
            pairs.append((key, double, False))
        else:
            plain = plain or ""
            if ": " in plain or plain.endswith(":"):
                return None  # a nested mapping or an error: the loader decides
            pairs.append((key, plain, True))
    # made in the loader's order (key, then value, line by line): the same error comes first
    meta: dict = {}
    for key, value, plain in pairs:
        k = _plain_scalar(key)
        meta[k] = _plain_scalar(value) if plain else value
    return meta


def _plain_scalar(value: str) -> object:
    """A plain YAML scalar as the safe loader makes it (its tag resolved from its text)."""
    tag = _YAML_RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _YAML_STR:
        return value
    return _YAML_CONSTRUCTOR.yaml_constructors[tag](_YAML_CONSTRUCTOR, yaml.ScalarNode(tag, value))


def split_front_matter(path: Path, text: str) -> tuple[dict, int]:
    """YAML front matter between '---' lines at the top -> (metadata, offset where the body starts)."""
    if not text.startswith("---\n"):
        return {}, 0
    close = re.search(r"^---[ \t]*$", text[4:], re.M)
    if not close:
        raise DocumentError(shown(path), "front matter opened with '---' is never closed")
    block = text[4 : 4 + close.start()]
    try:
        meta = _simple_front_matter(block)
        if meta is None:  # not the plain one-line-per-key shape: the YAML loader reads it
            meta = yaml.safe_load(block) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise DocumentError(shown(path), f"bad YAML front matter{where}") from None
    except (ValueError, OverflowError) as e:  # a value YAML reads but cannot make, e.g. the date 2019-13-45
        raise DocumentError(shown(path), f"bad YAML front matter: {e}") from None
    if not isinstance(meta, dict):
        raise DocumentError(shown(path), "front matter must be a mapping of keys to values")
    meta = clean_meta({k: v for k, v in meta.items() if k in META_KEYS and v is not None})
    end = 4 + close.end()
    return meta, end + 1 if text[end : end + 1] == "\n" else end


# --- sections and sentences -----------------------------------------------------------------

_SENT_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+["“‘(\[]?[A-Z0-9])""")
_MD_PREFIX = re.compile(r"^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+\.\s+)+")
_FINAL_PUNCT = tuple('.!?:;"”’)')
_ALNUM = re.compile(r"[^\W_]")  # a character for which str.isalnum() is true


def _sections(text: str, body_start: int, cc: _CompiledCleaning, comments_from: int | None = None) -> list[tuple[int, int, str]]:
    """Content lines with their section; boilerplate lines and the comment markers dropped."""
    out: list[tuple[int, int, str]] = []
    section = BODY
    e = body_start - 1
    for raw in text[body_start:].split("\n"):
        s = e + 1  # each line [s, e) without its line break
        e = s + len(raw)
        line = raw.strip()
        if not line:
            continue
        if comments_from is not None and s >= comments_from and section == BODY:
            section = COMMENT
        if section == BODY and cc.start and cc.starts(line):
            section = COMMENT
            continue
        if section == COMMENT and cc.end and cc.ends(line):
            section = "after"
            continue
        if section == "after" or (cc.drop and cc.drops(line)):
            continue
        out.append((s, e, section))
    return out


_FIRST_WORD = re.compile(r"\W*(\w+)")


def _join_continuations(lines, text: str, cc: _CompiledCleaning):
    """Merge a line that lacks final punctuation with a next line opening with a continuation word."""
    merged: list[list] = []
    for s, e, sec in lines:
        if merged:
            prev = merged[-1]
            if prev[2] == sec and not text[prev[0] : prev[1]].rstrip().endswith(_FINAL_PUNCT):
                first = _FIRST_WORD.match(text, s, e)
                if first and first.group(1).lower() in cc.continuation:
                    prev[1] = e
                    continue
        merged.append([s, e, sec])
    return merged


def _split_line(text: str, s: int, e: int, cc: _CompiledCleaning) -> Iterator[tuple[int, int]]:
    cut = s
    # (the pattern looks at no character before a match, and a search that ends at e sees
    # nothing after it: the matches in text[s:e], at their offsets in text)
    for m in _SENT_END.finditer(text, s, e):
        # the word before the full stop: looked at within a short window, so a very long
        # line costs linear time
        word = _last_word(text, max(cut, m.start() - 64), m.start())
        if word and (word.lower() in cc.abbreviations or len(word) == 1 and word.isupper()):
            continue
        yield from _bounded(text, cut, m.end())
        cut = m.end()
    yield from _bounded(text, cut, e)


_LAST_WORD = re.compile(r"(\w+)\W*$")
_LAST_WORD_REVERSED = re.compile(r"\W*(\w+)")


def _last_word(chunk: str, a: int, b: int) -> str | None:
    """The last word of chunk[a:b], as `_LAST_WORD.search(chunk, a, b).group(1)` finds it
    (the last run of word characters, cut at a), read backwards: no backtracking."""
    m = _LAST_WORD_REVERSED.match(chunk[a:b][::-1])
    return m.group(1)[::-1] if m else None


def _bounded(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """[s, e) in pieces of at most MAX_SENTENCE_CHARS, cut after white space where there is some."""
    pieces = []
    while e - s > MAX_SENTENCE_CHARS:
        limit = s + MAX_SENTENCE_CHARS
        cut = max(text.rfind(" ", s + MAX_SENTENCE_CHARS // 2, limit), text.rfind("\n", s + MAX_SENTENCE_CHARS // 2, limit))
        cut = cut + 1 if cut > s else limit
        pieces.append((s, cut))
        s = cut
    pieces.append((s, e))
    return pieces


def split_sentences(text: str, body_start: int, cleaning: Cleaning, comments_from: int | None = None, *,
                    first_index: int = 0) -> tuple[Sentence, ...]:
    """Sentences of the body (from body_start) and of the comments (from comments_from, or
    from a line the cleaning rules recognise as the start of a comment section), numbered
    from first_index."""
    cc = cleaning.compiled()
    sentences: list[Sentence] = []
    index = first_index
    for ls, le, section in _join_continuations(_sections(text, body_start, cc, comments_from), text, cc):
        for s, e in _split_line(text, ls, le, cc):
            # trim white space and markdown markup, keeping offsets exact: seg is text[s:e] throughout
            seg = text[s:e]
            lstripped = seg.lstrip()
            s += len(seg) - len(lstripped)
            seg = lstripped
            md = _MD_PREFIX.match(seg)
            if md:
                s += md.end()
                seg = seg[md.end() :]
            seg = seg.rstrip()
            e = s + len(seg)
            if seg and _ALNUM.search(seg):
                sentences.append(Sentence(index, s, e, seg, section))
                index += 1
    return tuple(sentences)


def _title_sentence(text: str, body_start: int, title: str | None) -> Sentence | None:
    """The front matter's title is article text too (headlines state facts): it becomes the
    first sentence, with its offsets inside the front matter (None: no title found there)."""
    if not title or body_start == 0:
        return None
    at = text.find(title, 0, body_start)
    if at < 0:
        return None
    return Sentence(0, at, at + len(title), title, BODY)


def slugify(name: str) -> str:
    """File stem -> an IRI-safe slug: ASCII letters, digits and hyphens.

    >>> slugify("Berita Rusia: MTC (2026)")
    'berita-rusia-mtc-2026'
    """
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-") or "article"


def read_document(path: Path, cleaning: Cleaning, slug: str | None = None) -> Document:
    """One article file -> Document; raises DocumentError for what cannot be read as an article."""
    data = read_bytes(path)
    text = decode(path, data)
    comments_from = None
    if path.suffix.lower() in HTML_SUFFIXES:
        text, meta, comments_from = html_to_text(path, text)
        body_start = 0
    else:
        meta, body_start = split_front_matter(path, text)
    title = _title_sentence(text, body_start, meta.get("title"))
    # the body's sentences are numbered after the title's, made once
    sentences = _split_bounded(path, text, body_start, cleaning, comments_from, 0 if title is None else 1)
    if title is not None:
        sentences = (title, *sentences)
    if not sentences:
        raise DocumentError(shown(path), "no text after removing front matter and boilerplate")
    return Document(shown(path), slug or slugify(path.stem), text, meta, sentences)


def _split_bounded(path: Path, text: str, body_start: int, cleaning: Cleaning, comments_from: int | None,
                   first_index: int = 0):
    """split_sentences under a time limit: the boilerplate patterns are raw regexes from the
    rule pack, and one that backtracks catastrophically must not hang the build. When the
    limit passes, each pattern is tried alone on the longest lines to name the culprit."""
    seconds = timebound.CLEANING_SECONDS_PER_DOCUMENT
    try:
        with timebound.deadline(seconds):
            return split_sentences(text, body_start, cleaning, comments_from, first_index=first_index)
    except timebound.DeadlineExceeded:
        pass
    lines = sorted((ln for ln in text[body_start:].split("\n")), key=len, reverse=True)[:3]
    culprit = None
    for field_name in ("drop_lines", "comments_start", "comments_end"):
        for p in getattr(cleaning, field_name):
            rx = re.compile(p, re.I)
            if any(timebound.slow(rx, ln.strip(), min(1.0, seconds)) for ln in lines):
                culprit = f"boilerplate {field_name} pattern {p!r}"
                break
        if culprit:
            break
    raise timebound.RuleTimeoutError(culprit or "the boilerplate patterns", shown(path), seconds)


def html_to_text(path: Path, html: str) -> tuple[str, dict, int | None]:
    """A saved web page -> (main text, then reader comments; metadata; where comments start).

    trafilatura finds the main text, the comments and the metadata; scripts, navigation
    and page furniture are left out. Nothing is fetched: the page is parsed as given.
    """
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=True, include_tables=True)
    except Exception as e:  # trafilatura and lxml raise many kinds on broken pages
        raise DocumentError(shown(path), f"cannot extract text from HTML: {type(e).__name__}") from None
    if doc is None:
        raise DocumentError(shown(path), "no article text found in the HTML page")
    d = doc if isinstance(doc, dict) else doc.as_dict()
    body = (d.get("text") or "").strip()
    if not body:
        raise DocumentError(shown(path), "no article text found in the HTML page")
    meta = clean_meta({k: d[src] for k, src in (("title", "title"), ("url", "url"), ("date", "date"),
                                           ("language", "language"), ("publisher", "sitename")) if d.get(src)})
    comments = (d.get("comments") or "").strip()
    if not comments:
        return body + "\n", meta, None
    return body + "\n\n" + comments + "\n", meta, len(body) + 2


def assign_slugs(paths: list[Path]) -> dict[Path, str]:
    """Stable, unique slugs for a sorted list of paths (a clash gets -2, -3, ... in path order)."""
    seen: dict[str, int] = {}
    out: dict[Path, str] = {}
    for p in paths:
        base = slugify(p.stem)
        n = seen.get(base, 0) + 1
        seen[base] = n
        out[p] = base if n == 1 else f"{base}-{n}"
    return out
