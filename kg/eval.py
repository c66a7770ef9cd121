"""Score the rules against gold annotations: precision, recall and F1 per relation.

The gold format is in docs/gold.md. A fact is identified by its article, subject,
predicate and object; the strict score also requires the optional keys the gold gives
(modality, date, quantity, speaker, ...) to agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from .errors import KGError
from .extract import Fact, Term

GOLD_CORE = ("subject", "predicate", "object")
IGNORED_KEYS = {"coref", "note", "surface"}


class GoldError(KGError):
    """A gold file is missing or malformed."""


@dataclass(frozen=True)
class Score:
    name: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class EvalResult:
    relations: tuple[Score, ...]
    overall: Score
    strict: Score
    rules: tuple[Score, ...]  # per rule: tp (facts confirmed by gold) and fp
    missing: tuple[tuple[str, dict], ...]  # (article, gold fact) not found
    spurious: tuple[tuple[str, str], ...]  # (article, fact shown) not in gold
    disagreements: tuple[tuple[str, str], ...]  # found, but an optional key differs
    unannotated: tuple[str, ...]
    articles: int
    gold_facts: int = 0
    extracted_facts: int = 0
    notes: dict = field(default_factory=dict)


def object_key(t: Term) -> str:
    if t.kind == "count":
        return "count:" + t.value
    if t.kind == "literal" and t.datatype in ("integer", "decimal"):
        return _num(t.value)
    return t.value


def _num(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _gold_object(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return _num(v)
    return str(v)


def load_gold(path: str | Path) -> dict[str, list[dict]]:
    p = Path(path)
    if not p.is_file():
        raise GoldError(f"{p}: no such gold file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise GoldError(f"{p}:{mark.line + 1 if mark else '?'}: YAML syntax error") from None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), dict):
        raise GoldError(f"{p}: expected a mapping with 'articles: {{file name: [facts]}}' (see docs/gold.md)")
    gold: dict[str, list[dict]] = {}
    for article, facts in data["articles"].items():
        if not isinstance(facts, list):
            raise GoldError(f"{p}: article {article}: expected a list of facts")
        for i, f in enumerate(facts):
            if not isinstance(f, dict) or any(k not in f for k in GOLD_CORE):
                raise GoldError(f"{p}: article {article}, fact {i + 1}: needs subject, predicate and object")
        gold[str(article)] = facts
    return gold


def _value(f: Fact, key: str):
    if key == "modality":
        return f.modality
    if key == "status":
        return f.status
    if key == "date":
        return f.date
    t = f.qualifier("kg:" + key)
    if t is None:
        return None
    return _num(t.value) if t.datatype in ("integer", "decimal") else t.value


def _agrees(f: Fact, g: dict) -> list[str]:
    diffs = []
    for k, want in g.items():
        if k in GOLD_CORE or k in IGNORED_KEYS:
            continue
        got = _value(f, k)
        want_s = _num(want) if isinstance(want, (int, float)) and not isinstance(want, bool) else str(want)
        if got is None or str(got) != want_s:
            diffs.append(f"{k}: gold {want_s!r}, extracted {got!r}")
    return diffs


def _show(f: Fact) -> str:
    e = f.evidence[0]
    return f"{f.subject.value} {f.predicate} {object_key(f.object)} [{f.modality}] <{e.rule}> \"{' '.join(e.sentence.split())}\""


def evaluate(results: Iterable, gold: dict[str, list[dict]], *, skip_coref: bool = False) -> EvalResult:
    """Score extracted DocResults against gold facts (see the module docstring)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    strict_tp = 0
    rule_tp, rule_fp = Counter(), Counter()
    missing, spurious, disagreements, unannotated = [], [], [], []
    n_articles = n_gold = n_extracted = 0
    for r in results:
        name = Path(r.doc.path).name
        if name not in gold:
            unannotated.append(name)
            continue
        n_articles += 1
        golds = [g for g in gold[name] if not (skip_coref and g.get("coref"))]
        skipped = [g for g in gold[name] if skip_coref and g.get("coref")]
        by_key: dict[tuple, list[Fact]] = defaultdict(list)
        for f in r.facts:
            by_key[(f.subject.value, f.predicate, object_key(f.object))].append(f)
        n_gold += len(golds)
        n_extracted += len(by_key)
        gold_keys = set()
        for g in golds:
            key = (str(g["subject"]), str(g["predicate"]), _gold_object(g["object"]))
            gold_keys.add(key)
            found = by_key.get(key)
            if not found:
                fn[key[1]] += 1
                missing.append((name, g))
                continue
            tp[key[1]] += 1
            diffs = [d for f in found for d in _agrees(f, g)] if all(_agrees(f, g) for f in found) else []
            if diffs:
                disagreements.append((name, f"{' '.join(key)}: " + "; ".join(diffs)))
            else:
                strict_tp += 1
        ignore = {(str(g["subject"]), str(g["predicate"]), _gold_object(g["object"])) for g in skipped}
        for key, facts in sorted(by_key.items()):
            rules = {e.rule for f in facts for e in f.evidence}
            if key in gold_keys:
                rule_tp.update(rules)
            elif key not in ignore:
                fp[key[1]] += 1
                rule_fp.update(rules)
                spurious.append((name, _show(facts[0])))
    preds = sorted(set(tp) | set(fp) | set(fn))
    rel = tuple(Score(p, tp[p], fp[p], fn[p]) for p in preds)
    overall = Score("all", sum(tp.values()), sum(fp.values()), sum(fn.values()))
    strict = Score("strict", strict_tp, overall.fp + (overall.tp - strict_tp), overall.fn + (overall.tp - strict_tp))
    rules = tuple(Score(k, rule_tp[k], rule_fp[k], 0) for k in sorted(set(rule_tp) | set(rule_fp)))
    return EvalResult(rel, overall, strict, rules, tuple(missing), tuple(spurious), tuple(disagreements),
                      tuple(sorted(unannotated)), n_articles, n_gold, n_extracted)


def evaluate_paths(paths, gold_path, *, rules=None, skip_coref: bool = False) -> EvalResult:
    from .build import extract_all
    from .rules import load_pack

    pack = load_pack(rules)
    gold = load_gold(gold_path)
    results, _ = extract_all(paths, pack)
    return evaluate(results, gold, skip_coref=skip_coref)
