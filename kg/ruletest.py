"""Run every rule's inline examples: `match` examples must yield the expected facts from that
rule; `no_match` examples must yield nothing from it. This is `kg rules test`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .documents import COMMENT, Document, Sentence, split_sentences
from .extract import Fact, extract_document
from .rules.pack import LINE, Rule, RulePack

# expectation key -> how to read it off a fact
_FIELDS = {
    "subject": lambda f: f.subject.value,
    "predicate": lambda f: f.predicate,
    "object": lambda f: ("count:" + f.object.value) if f.object.kind == "count" else f.object.value,
    "modality": lambda f: f.modality,
    "status": lambda f: f.status,
    "date": lambda f: f.date,
}


def _qual(name: str):
    return lambda f: (lambda t: t.value if t else None)(f.qualifier("kg:" + name))


@dataclass(frozen=True)
class ExampleFailure:
    rule: str
    file: str
    line: int | None
    text: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} [rule {self.rule}] {self.problem}\n    text: {self.text}"


def _doc(text: str, context: str, section: str, pack: RulePack) -> Document:
    full = (context.strip() + "\n" if context else "") + text.strip() + "\n"
    sentences = split_sentences(full, 0, pack.cleaning.__class__())
    if section == COMMENT:
        ctx_len = len(context.strip()) + 1 if context else 0
        sentences = tuple(
            Sentence(s.index, s.start, s.end, s.text, COMMENT if s.start >= ctx_len else s.section) for s in sentences
        )
    return Document("<example>", "example", full, {}, sentences)


def _from_rule(facts, rule: Rule, text_start: int) -> list[Fact]:
    return [f for f in facts if any(e.rule == rule.id and e.start >= text_start for e in f.evidence)]


def _show(f: Fact) -> str:
    quals = ", ".join(f"{p[3:]}={t.value}" for p, t in f.qualifiers if p not in ("kg:dateText",))
    return f"{f.subject.value} {f.predicate} {_FIELDS['object'](f)} [{f.modality}{'/' + f.status if f.status else ''}]" + (
        f" {{{quals}}}" if quals else ""
    )


def _matches(f: Fact, expect: dict) -> list[str]:
    diffs = []
    for key, want in expect.items():
        if key in (LINE,):
            continue
        get = _FIELDS.get(key) or _qual(key)
        got = get(f)
        if str(got) != str(want):
            diffs.append(f"{key}: expected {want!r}, got {got!r}")
    return diffs


def run_rule_examples(pack: RulePack) -> tuple[int, list[ExampleFailure]]:
    """(number of examples run, failures)."""
    failures: list[ExampleFailure] = []
    count = 0
    for rule in [*pack.rules, *pack.attributions]:
        file = str(Path(rule.file))
        for ex in rule.examples.get("match") or []:
            count += 1
            ex = ex if isinstance(ex, dict) else {"text": ex}
            line = ex.get(LINE, rule.line)
            text, context = str(ex.get("text", "")), str(ex.get("context", ""))
            doc = _doc(text, context, ex.get("section", "body"), pack)
            start = len(context.strip()) + 1 if context else 0
            if rule.attribution:
                facts = _attribution_probe(doc, pack, rule)
                if not facts:
                    failures.append(ExampleFailure(rule.id, file, line, text, "expected the attribution to match; it did not"))
                continue
            got = _from_rule(extract_document(doc, pack).facts, rule, start)
            expected = ex.get("facts") or [{}]
            if not got:
                failures.append(ExampleFailure(rule.id, file, line, text, "expected a match; the rule produced no fact"))
                continue
            merged: dict = {}
            for want in expected:
                merged = {**merged, **{k: v for k, v in want.items() if k != LINE}} if "subject" not in want or not merged else {k: v for k, v in want.items() if k != LINE}
                if not any(not _matches(f, merged) for f in got):
                    best = min(got, key=lambda f: len(_matches(f, merged)))
                    diff = "; ".join(_matches(best, merged))
                    failures.append(ExampleFailure(
                        rule.id, file, line, text,
                        f"no fact matches {merged}\n    closest: {_show(best)}\n    differs: {diff}\n    all: " + " | ".join(map(_show, got)),
                    ))
        for ex in rule.examples.get("no_match") or []:
            count += 1
            ex = ex if isinstance(ex, dict) else {"text": ex}
            line = ex.get(LINE, rule.line)
            text = str(ex.get("text", ""))
            doc = _doc(text, str(ex.get("context", "")), ex.get("section", "body"), pack)
            if rule.attribution:
                if _attribution_probe(doc, pack, rule):
                    failures.append(ExampleFailure(rule.id, file, line, text, "expected no attribution; it matched"))
                continue
            got = _from_rule(extract_document(doc, pack).facts, rule, 0)
            if got:
                failures.append(ExampleFailure(rule.id, file, line, text, "expected no match; got " + " | ".join(map(_show, got))))
    return count, failures


def _attribution_probe(doc: Document, pack: RulePack, rule: Rule) -> bool:
    from .extract import _view

    mentions = pack.gazetteer.find(doc.text)
    for s in doc.sentences:
        view = _view(doc, s, [m for m in mentions if s.start <= m.start < s.end], pack)
        for compiled in rule.patterns:
            if compiled.regex.search(view.stream):
                return True
    return False
