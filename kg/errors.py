"""The errors users see. Each carries where the problem is; the CLI maps them to exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class KGError(Exception):
    """Base of the project's own errors; `exit_code` is what the CLI exits with."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem in a rule pack: the file, the line (if known), the rule id (if any), the fix."""

    file: str
    message: str
    line: int | None = None
    rule: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        rule = f" [rule {self.rule}]" if self.rule else ""
        return f"{where}{rule}: {self.message}"


class RulePackError(KGError):
    """A rule pack failed validation; lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.rule or "", p.message))
        n = len(self.problems)
        head = f"rule pack has {n} problem{'s' if n != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class InputError(KGError):
    """A path the user gave does not exist or cannot be read at all."""


class DocumentError(KGError):
    """One article could not be read (empty, binary, undecodable); the build skips it."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class QueryError(KGError):
    """A SPARQL query is malformed or asks for something refused (SERVICE, LOAD, remote FROM)."""


class GraphLoadError(KGError):
    """A graph file could not be parsed."""
