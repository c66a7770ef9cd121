"""Time bounds for regular expressions that come from a rule pack.

Rule packs are data, and a careless or hostile pattern can backtrack for hours
("(a+)+$" in a boilerplate line, a relation pattern with many nested gaps). Python's
``re`` cannot be given a time limit, but since 3.11 its matching loop checks for signals,
so a SIGALRM timer interrupts it. ``deadline`` arms that timer for a block; when it fires,
``DeadlineExceeded`` is raised inside whatever was running, naming what ``blame`` last
said was running (a rule id, a pattern).

The timer exists only in the main thread of a process (the CLI, and each worker of a
process pool); elsewhere ``deadline`` is a no-op and nothing is bounded. A program that
embeds kg and uses SIGALRM or ITIMER_REAL itself gets its handler back after each block
(for the relation rules, after each article: ``handler``), but not a timer it had armed.

    >>> with deadline(5):
    ...     _ = re.search("a+b", "aaab")
"""

from __future__ import annotations

import functools
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import KGError

# seconds the relation and attribution rules together may spend on one sentence (sentences
# are at most 2,000 characters; every rule of the default pack takes milliseconds on one)
RULE_SECONDS_PER_SENTENCE = 10.0
# seconds one article may spend in the boilerplate and comment patterns
CLEANING_SECONDS_PER_DOCUMENT = 20.0

# what is running now: set by the matcher loops, read when the timer fires
current: str | None = None
_active: list[float] = []  # monotonic deadlines of the nested `deadline` blocks
_handler_depth = 0  # > 0 inside a `handler` block: SIGALRM is handled by _fire already


class DeadlineExceeded(Exception):
    """Raised inside the interrupted code; ``culprit`` is what ``current`` named then."""

    def __init__(self, culprit: str | None = None, seconds: float = 0.0):
        super().__init__(culprit, seconds)
        self.culprit, self.seconds = culprit, seconds


class RuleTimeoutError(KGError):
    """A rule's pattern ran past its time limit on one article: the pack must be fixed."""

    def __init__(self, rule: str | None, path: str | None, seconds: float, where: str = "this article"):
        self.rule, self.path, self.seconds, self.where = rule, path, seconds, where
        what = f"rule {rule}" if rule else "the relation rules"
        super().__init__(
            f"{path or '<text>'}: {what} ran longer than {seconds:g} s on {where} and was stopped "
            "(catastrophic backtracking?); tighten its gaps, optional parts and alternatives"
        )

    def __reduce__(self):  # pickled back from pool workers
        return (RuleTimeoutError, (self.rule, self.path, self.seconds, self.where))


def bounded_per_sentence(match, view, *args):
    """``match(view, *args)`` (all rules over one sentence) under RULE_SECONDS_PER_SENTENCE;
    past it, RuleTimeoutError names the rule that was running.

    Inside a `handler` block (an article), in the main thread and with no other deadline
    running, the timer is armed and disarmed here directly: the same bound as a `deadline`
    block, without its context-manager machinery (a generator, its frames and enum
    conversions) on each of an article's many sentences."""
    global current
    seconds = RULE_SECONDS_PER_SENTENCE
    try:
        if _handler_depth and not _active and seconds and seconds > 0 and threading.get_ident() == threading.main_thread().ident:
            _active.append(time.monotonic() + seconds)  # as `deadline` does: an inner block never outlasts it
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                return match(view, *args)
            finally:
                _active.pop()
                signal.setitimer(signal.ITIMER_REAL, 0)
        with deadline(seconds):
            return match(view, *args)
    except DeadlineExceeded as e:
        s = view.sentence
        head = " ".join(s.text[:60].split())
        raise RuleTimeoutError(e.culprit, None, seconds, f"the sentence at offset {s.start} ('{head}...')") from None
    finally:
        current = None


def names_document(extract):
    """Decorator of extract_document: a RuleTimeoutError raised inside names the article.
    The SIGALRM handler is installed for the whole article (`handler`)."""

    @functools.wraps(extract)
    def wrapper(doc, *args, **kwargs):
        try:
            with handler():  # installed once for the article, not once per sentence
                return extract(doc, *args, **kwargs)
        except RuleTimeoutError as e:
            if e.path is None:
                raise RuleTimeoutError(e.rule, doc.path, e.seconds, e.where) from None
            raise

    return wrapper


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _fire(signum, frame) -> None:
    raise DeadlineExceeded(current, 0.0)


@contextmanager
def handler() -> Iterator[None]:
    """Install the SIGALRM handler for a block holding many ``deadline`` blocks (the
    sentences of one article): each of them then only arms and disarms its timer, instead of
    also installing and restoring the handler (two system calls and two enum conversions).
    No timer is armed here; the previous handler is back after the block. When a timer is
    running already (the embedding program's own), nothing is installed: its alarm keeps
    reaching its handler outside the deadline blocks, as without this block."""
    global _handler_depth
    if not available() or _handler_depth or _active or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _fire)
    _handler_depth += 1
    try:
        yield
    finally:
        _handler_depth -= 1
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise DeadlineExceeded in the block once ``seconds`` have passed (None or <= 0: no bound).

    Blocks nest: an inner block never extends an outer one's deadline.
    """
    if not seconds or seconds <= 0 or not available():
        yield
        return
    end = time.monotonic() + seconds
    if _active:
        end = min(end, _active[-1])
    install = not _active and not _handler_depth  # else the handler is _fire already
    previous = signal.signal(signal.SIGALRM, _fire) if install else None
    _active.append(end)
    signal.setitimer(signal.ITIMER_REAL, max(end - time.monotonic(), 1e-3))
    try:
        yield
    except DeadlineExceeded as e:
        e.seconds = seconds
        raise
    finally:
        _active.pop()
        if _active:
            signal.setitimer(signal.ITIMER_REAL, max(_active[-1] - time.monotonic(), 1e-3))
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if install:
                signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def slow(pattern: re.Pattern, text: str, seconds: float) -> bool:
    """True when ``pattern.search(text)`` does not finish within ``seconds``."""
    if not available():
        return False
    try:
        with deadline(seconds):
            pattern.search(text)
    except DeadlineExceeded:
        return True
    return False
