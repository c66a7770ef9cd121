"""Load and validate a rule pack: a folder of YAML files (or one file), loaded safely.

Every problem in every file is collected, with file, line and rule id, and raised once as a
RulePackError. A valid pack is compiled once into a `RulePack` the extractor uses.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml

from ..documents import Cleaning
from ..errors import Problem, RulePackError
from .gazetteer import Entity, Gazetteer
from .morph import family
from .pattern import VALUE_KINDS, Compiled, PatternCompiler, PatternError
from .text import fold_phrase
from .values import ValueRecognizer, ValueWords

LINE = "__line__"
TOP_KEYS = {"classes", "entities", "lexicons", "values", "boilerplate", "attributions", "rules",
            "confidence"}  # confidence: rule id -> precision from gold (kg eval --write-confidence; kg/corroborate.py)
ENTITY_KEYS = {"id", "class", "labels", "aliases", "wikidata", "country", "note"}
RULE_KEYS = {"id", "label", "priority", "group", "suppresses", "pattern", "modality", "facts", "examples", "note"}
ATTRIBUTION_KEYS = {"id", "label", "pattern", "examples", "note"}
FACT_KEYS = {"subject", "predicate", "object", "type", "status", "modality", "qualifiers", "attributable",
             "date_from_sentence", "orient_by_origin"}
MODALITIES = ("asserted", "reported", "planned", "speculated", "negated")
STATUSES = ("signed", "in_force", "in_progress", "enacted", "delivered", "completed", "cancelled", "threatened")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
QNAME_RE = re.compile(r"^kg:[A-Za-z][A-Za-z0-9_]*$")


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping under the key '__line__'.

    Rule packs are word lists, so YAML 1.1's booleans "yes", "no", "on", "off" stay words
    (the negation "no", the preposition "on"); only true/false are booleans, as in YAML 1.2.
    """


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# --- safety limits of loading (hostile or broken packs) -------------------------------------
# A pack file larger than this is refused unread (the default pack's largest file is ~60 kB).
MAX_PACK_FILE_BYTES = 8 * 1024 * 1024
# YAML aliases may repeat a node; the document they expand to must stay this small (a
# "billion laughs" file expands nine aliases nine levels deep to 9**9 nodes).
MAX_EXPANDED_NODES = 2_000_000
# How long one boilerplate regex may take on a probe line before it counts as backtracking
# catastrophically (sane patterns take microseconds).
PROBE_SECONDS = 0.25


def _expanded_size(node, memo: dict) -> int:
    key = id(node)
    if key not in memo:
        memo[key] = 0  # a recursive alias counts once
        children = node.value if isinstance(node.value, list) else []
        memo[key] = 1 + sum(_expanded_size(c, memo) if not isinstance(c, tuple) else
                            _expanded_size(c[0], memo) + _expanded_size(c[1], memo) for c in children)
    return memo[key]


def _construct_checked(self, node):
    n = _expanded_size(node, {})
    if n > MAX_EXPANDED_NODES:
        raise yaml.constructor.ConstructorError(
            None, None, f"the file's aliases expand to {n:,} nodes, more than {MAX_EXPANDED_NODES:,} (a YAML alias bomb?)",
            node.start_mark)
    return yaml.SafeLoader.construct_document(self, node)


_LineLoader.construct_document = _construct_checked


def _backtracks(rx: re.Pattern) -> bool:
    """True when a boilerplate regex takes more than PROBE_SECONDS on one of a few probe
    lines made of the characters it names (where nested quantifiers explode)."""
    from ..timebound import slow

    chars = sorted({c for c in re.sub(r"\\.", "", rx.pattern) if c.isalnum() or c == " "})[:8] or ["a"]
    probes = [c * 36 + "!" for c in chars] + [c * 36 + "!" for c in "a1 "] + ["a1 " * 14 + "!", "a" * 36 + "\n!"]
    return any(slow(rx, p, PROBE_SECONDS) for p in probes)


# --- compiled pack ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """Where a template takes a value from."""

    kind: str  # slot, entity, iri, value, count, literal, inherit, anaphor
    name: str | None = None  # slot name / entity id / iri qname / class
    value: Any = None
    datatype: str | None = None
    predicates: tuple[str, ...] = ()
    role: str = "subject"
    default: "Ref | None" = None
    up: str | None = None  # "country": a government body stands for its state; "owner": any entity with a country


@dataclass(frozen=True)
class FactTemplate:
    subject: Ref
    predicate: Ref
    object: Ref
    type: str | None
    status: Ref | None
    modality: str | None
    qualifiers: tuple[tuple[str, Ref], ...]
    attributable: bool = True
    date_from_sentence: bool = True
    orient_by_origin: bool = False  # swap subject and kg:licensor when the subject is the item's origin


@dataclass
class Rule:
    id: str
    label: str
    file: str
    line: int
    order: int
    priority: int
    group: str
    patterns: list[Compiled]
    modality: str | None
    facts: list[FactTemplate]
    examples: dict
    attribution: bool = False
    suppresses: tuple[str, ...] = ()  # groups whose overlapping candidates this rule removes


@dataclass
class RulePack:
    path: str
    classes: dict[str, str | None]
    gazetteer: Gazetteer
    lexicons: dict[str, dict[str, object]]
    values: ValueRecognizer
    cleaning: Cleaning
    rules: list[Rule]
    attributions: list[Rule]
    digest: str
    cues: dict[str, re.Pattern | None] = field(default_factory=dict)
    confidence: dict[str, dict] = field(default_factory=dict)  # rule id -> {precision, tp, fp}

    def ancestors(self, cls: str) -> tuple[str, ...]:
        """A class, its superclasses and Entity: the names a placeholder carries."""
        out, seen = [], set()
        while cls and cls not in seen:
            seen.add(cls)
            out.append(cls)
            cls = self.classes.get(cls)
        if "Entity" not in out:
            out.append("Entity")
        return tuple(out)


# A cue word list (hedge, plan, negation, ...) is matched in a token stream as a whole token
# sequence: "(?:^| )(?:form|form|...) ", opening at the start of the stream or after a space.
CUE_START = "(?:^| )"


def cue_search(rx: re.Pattern) -> Callable[[str, int, int], re.Match | None]:
    """`rx.search(stream, pos, endpos)` for a cue regex (see CUE_START), about three times
    faster: the regex engine skips to the spaces of the stream when the pattern opens with the
    space itself, instead of trying the alternation "^ or space" at every character; the
    start of the stream, where "^" matches, is tried on its own first (it is the leftmost
    place there is). Same spans and groups as rx.search."""
    if not rx.pattern.startswith(CUE_START):
        return rx.search
    rest = rx.pattern[len(CUE_START):]
    at_start, after_space = re.compile(rest, rx.flags).match, re.compile(" " + rest, rx.flags).search

    def search(stream: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        if pos == 0:
            m = at_start(stream, 0, endpos)
            if m is not None:
                return m
        return after_space(stream, pos, endpos)

    return search


def default_pack_path() -> Path:
    return Path(str(resources.files("kg.rules") / "default"))


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def load_pack(path: str | Path | None = None) -> RulePack:
    """Load, validate and compile a pack; raises RulePackError listing every problem."""
    path = Path(path) if path else default_pack_path()
    problems: list[Problem] = []
    if not path.exists():
        raise RulePackError([Problem(str(path), "no such rule pack (a folder of .yaml files or one .yaml file)")])
    docs: list[tuple[str, dict]] = []
    digest = hashlib.sha256()
    for f in _files(path):
        try:
            size = f.stat().st_size
            if size > MAX_PACK_FILE_BYTES:
                problems.append(Problem(str(f), f"file is {size / 2**20:.1f} MB, above the limit of {MAX_PACK_FILE_BYTES // 2**20} MB for a rule-pack file; split it"))
                continue
            raw = f.read_bytes()
        except OSError as e:
            problems.append(Problem(str(f), f"cannot read: {e.strerror or e}"))
            continue
        digest.update(f.name.encode() + b"\0" + raw)
        try:
            data = yaml.load(raw.decode("utf-8"), Loader=_LineLoader)
        except UnicodeDecodeError:
            problems.append(Problem(str(f), "not UTF-8 text"))
            continue
        except RecursionError:
            problems.append(Problem(str(f), "YAML nested too deeply"))
            continue
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            msg = str(getattr(e, "problem", None) or e).splitlines()[0]
            problems.append(Problem(str(f), f"YAML syntax: {msg}", mark.line + 1 if mark else None))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(f), "top level must be a mapping with keys " + ", ".join(sorted(TOP_KEYS)), 1))
            continue
        for k in data:
            if k != LINE and k not in TOP_KEYS:
                problems.append(Problem(str(f), f"unknown top-level key '{k}'; expected one of {', '.join(sorted(TOP_KEYS))}", data[LINE]))
        docs.append((str(f), data))
    if not docs and not problems:
        problems.append(Problem(str(path), "the rule pack holds no YAML files"))
    if problems:
        raise RulePackError(problems)
    return _Builder(str(path), docs, digest.hexdigest()[:16]).build()


class _Builder:
    def __init__(self, path: str, docs: list[tuple[str, dict]], digest: str):
        self.path, self.docs, self.digest = path, docs, digest
        self.problems: list[Problem] = []

    def problem(self, file, message, line=None, rule=None):
        self.problems.append(Problem(file, message, line, rule))

    def sections(self, key):
        for f, d in self.docs:
            if key in d and d[key] is not None:
                yield f, d[key], d[LINE]

    def entries(self, key, expected: str):
        """(file, line, section, name, value) for each entry of every `key` section that is a
        mapping; a section that is not one is reported with the message `expected`."""
        for f, sec, line in self.sections(key):
            if not isinstance(sec, dict):
                self.problem(f, expected, line)
                continue
            for name, value in sec.items():
                if name != LINE:
                    yield f, line, sec, name, value

    # -- sections --------------------------------------------------------------------------

    def build(self) -> RulePack:
        classes = self._classes()
        entities = self._entities(classes)
        lexicons = self._lexicons()
        words = self._values()
        cleaning = self._cleaning()
        barrier = list(lexicons.get("list_barrier", {}))
        compiler = PatternCompiler(lexicons, {e.id for e in entities}, set(classes), barrier)
        seen_ids: dict[str, str] = {}
        rules = self._rules("rules", compiler, lexicons, seen_ids, {e.id for e in entities}, classes)
        attributions = self._rules("attributions", compiler, lexicons, seen_ids, {e.id for e in entities}, classes)
        if self.problems:
            raise RulePackError(self.problems)
        anaphora = lexicons.get("anaphora", {})
        for form, cls in anaphora.items():
            if cls not in classes:
                self.problem(self.path, f"lexicon anaphora: form {form!r} names unknown class {cls!r}")
        if self.problems:
            raise RulePackError(self.problems)
        cues = {}
        if anaphora:
            alt = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in sorted(anaphora, key=len, reverse=True))
            cues["anaphora"] = re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])")
        marker_forms = sorted(lexicons.get("attribute_marker", {}), key=len, reverse=True)
        if marker_forms:  # matched against the folded text just before a country's name
            cues["attribute_marker"] = re.compile(r"(?:^|\s)(?:" + "|".join(re.escape(f) for f in marker_forms) + r")\s*$")
        for name in ("hedge", "plan", "negation", "anaphor_start", "report"):
            forms = sorted(lexicons.get(name, {}), key=len, reverse=True)
            cues[name] = re.compile(CUE_START + "(?:" + "|".join(re.escape(f) for f in forms) + ") ") if forms else None
        return RulePack(
            self.path, classes, Gazetteer(entities), lexicons, ValueRecognizer(words), cleaning,
            rules, attributions, self.digest, cues, self._confidence(),
        )

    # -- confidence (kept apart: owned by kg/corroborate.py) --------------------------------

    def _confidence(self) -> dict[str, dict]:
        """The ``confidence`` tables: rule id -> {precision: 0..1, tp: n, fp: n}, or a bare number."""
        table: dict[str, dict] = {}
        for f, line, _sec, rid, v in self.entries("confidence", "confidence: expected a mapping of rule id -> {precision, tp, fp}"):
            v = {k: x for k, x in v.items() if k != LINE} if isinstance(v, dict) else {"precision": v}
            p = v.get("precision")
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
                self.problem(f, f"confidence: rule {rid}: precision must be a number from 0 to 1", line, str(rid))
                continue
            table[str(rid)] = {"precision": float(p), "tp": int(v.get("tp", 0)), "fp": int(v.get("fp", 0))}
        if self.problems:
            raise RulePackError(self.problems)
        return table

    def _classes(self) -> dict[str, str | None]:
        classes: dict[str, str | None] = {"Entity": None}
        for f, _line, sec, cls, parent in self.entries("classes", "'classes' must map a class to its parent class (or null)"):
            if not re.match(r"^[A-Z][A-Za-z0-9]*$", str(cls)) or cls in VALUE_KINDS:
                self.problem(f, f"class name '{cls}' must be CamelCase and not a value kind", sec[LINE])
            if parent is not None and not isinstance(parent, str):
                self.problem(f, f"class {cls}: the parent must be a class name, not {parent!r}", sec[LINE])
                parent = None
            classes[str(cls)] = parent if parent else "Entity"
        for cls, parent in classes.items():
            if parent and parent not in classes:
                self.problem(self.path, f"class {cls} has unknown parent {parent}")
        return classes

    def _entities(self, classes) -> list[Entity]:
        out: list[Entity] = []
        seen: dict[str, str] = {}
        for f, sec, line in self.sections("entities"):
            if not isinstance(sec, list):
                self.problem(f, "'entities' must be a list", line)
                continue
            for e in sec:
                if not isinstance(e, dict):
                    self.problem(f, "each entity must be a mapping with id, class, labels, aliases", line)
                    continue
                ln = e.get(LINE)
                eid = e.get("id")
                for k in e:
                    if k != LINE and k not in ENTITY_KEYS:
                        self.problem(f, f"entity {eid}: unknown key '{k}'; expected {', '.join(sorted(ENTITY_KEYS))}", ln)
                if not isinstance(eid, str) or not re.match(r"^[A-Za-z0-9_-]+$", eid):
                    self.problem(f, f"entity id {eid!r} must be letters, digits, '-' or '_' (it becomes an IRI)", ln)
                    continue
                if eid in seen:
                    self.problem(f, f"entity id {eid} is defined twice (first in {seen[eid]})", ln)
                    continue
                seen[eid] = f
                cls = e.get("class")
                if cls not in classes:
                    self.problem(f, f"entity {eid}: unknown class {cls!r}; declare it under 'classes'", ln)
                labels = e.get("labels") or {}
                if not isinstance(labels, dict) or "en" not in labels:
                    self.problem(f, f"entity {eid}: 'labels' must map languages to labels and include 'en'", ln)
                    labels = {"en": eid}
                labels = {k: str(v) for k, v in labels.items() if k != LINE}
                aliases = e.get("aliases") or []
                if not isinstance(aliases, list):
                    self.problem(f, f"entity {eid}: 'aliases' must be a list of strings", ln)
                    aliases = []
                wd = e.get("wikidata")
                if wd is not None and not re.match(r"^Q\d+$", str(wd)):
                    self.problem(f, f"entity {eid}: wikidata id {wd!r} must look like Q159", ln)
                    wd = None
                out.append(Entity(eid, str(cls), labels, tuple(str(a) for a in aliases), wd, e.get("country"), f, ln))
        ids = {e.id for e in out}
        for e in out:
            if e.country is not None and e.country not in ids:
                self.problem(e.file, f"entity {e.id}: country {e.country!r} is not an entity id", e.line)
        return out

    def _lexicons(self) -> dict[str, dict[str, object]]:
        lex: dict[str, dict[str, object]] = {}
        for f, _line, sec, name, body in self.entries("lexicons", "'lexicons' must map names to lists of forms"):
            forms: dict[str, object] = lex.setdefault(str(name), {})
            if isinstance(body, list):
                pairs = [(name, form) for form in body]
            elif isinstance(body, dict):
                pairs = [(value, form) for value, fs in body.items() if value != LINE
                         for form in (fs if isinstance(fs, list) else [] if fs is None else [fs])]
            else:
                self.problem(f, f"lexicon {name}: give a list of forms or a mapping value -> forms", sec[LINE])
                continue
            for value, form in pairs:
                words = family(str(form)[1:]) if str(form).startswith("~") else [str(form)]
                for word in words:
                    key = fold_phrase(word)
                    if not key:
                        self.problem(f, f"lexicon {name}: empty form", sec[LINE])
                    forms.setdefault(key, value)
        return lex

    def _values(self) -> ValueWords:
        kw: dict = {}
        for f, _line, sec, k, v in self.entries("values", "'values' must be a mapping (months, numbers, ...)"):
            if k not in ValueWords.__dataclass_fields__:
                self.problem(f, f"values: unknown key '{k}'", sec[LINE])
                continue
            if isinstance(v, dict):
                v = {str(a): b for a, b in v.items() if a != LINE}
                kw.setdefault(k, {}).update(v)
            elif isinstance(v, list):
                kw[k] = tuple(kw.get(k, ())) + tuple(str(x) for x in v)
        return ValueWords(**kw)

    def _cleaning(self) -> Cleaning:
        kw: dict = {}
        for f, _line, sec, k, v in self.entries("boilerplate", "'boilerplate' must be a mapping (drop_lines, comments_start, ...)"):
            if k not in Cleaning.__dataclass_fields__ or not isinstance(v, list):
                self.problem(f, f"boilerplate: '{k}' must be one of {', '.join(Cleaning.__dataclass_fields__)} with a list", sec[LINE])
                continue
            for p in v:
                try:
                    rx = re.compile(str(p), re.I)
                except (re.error, RecursionError, OverflowError) as e:
                    self.problem(f, f"boilerplate {k}: bad regex {p!r}: {e}", sec[LINE])
                    continue
                if k in ("drop_lines", "comments_start", "comments_end") and _backtracks(rx):
                    self.problem(f, f"boilerplate {k}: regex {p!r} backtracks catastrophically (nested "
                                 "quantifiers such as (a+)+); rewrite it", sec[LINE])
            kw[k] = tuple(kw.get(k, ())) + tuple(str(p) for p in v)
        return Cleaning(**kw)

    # -- rules -----------------------------------------------------------------------------

    def _rules(self, key, compiler, lexicons, seen_ids, entity_ids, classes) -> list[Rule]:
        out: list[Rule] = []
        allowed = RULE_KEYS if key == "rules" else ATTRIBUTION_KEYS
        for f, sec, line in self.sections(key):
            if not isinstance(sec, list):
                self.problem(f, f"'{key}' must be a list of rules", line)
                continue
            for r in sec:
                if not isinstance(r, dict):
                    self.problem(f, "each rule must be a mapping", line)
                    continue
                ln, rid = r.get(LINE), r.get("id")
                if not isinstance(rid, str) or not ID_RE.match(rid):
                    self.problem(f, f"rule id {rid!r} missing or not [A-Za-z0-9_.-]+", ln)
                    continue
                if rid in seen_ids:
                    self.problem(f, f"rule id is used twice (first in {seen_ids[rid]})", ln, rid)
                    continue
                seen_ids[rid] = f
                for k in r:
                    if k != LINE and k not in allowed:
                        self.problem(f, f"unknown key '{k}'; expected {', '.join(sorted(allowed))}", ln, rid)
                pats = r.get("pattern")
                pats = [pats] if isinstance(pats, str) else pats
                if not pats or not all(isinstance(p, str) for p in pats):
                    self.problem(f, "'pattern' must be a string or a list of strings", ln, rid)
                    continue
                compiled = []
                for p in pats:
                    try:
                        compiled.append(compiler.compile(p))
                    except PatternError as e:
                        self.problem(f, f"pattern {p!r}: {e}", ln, rid)
                if len(compiled) != len(pats):
                    continue
                slot_names = set().union(*(c.slots for c in compiled))
                modality = r.get("modality")
                if modality is not None and modality not in MODALITIES:
                    self.problem(f, f"modality {modality!r} must be one of {', '.join(MODALITIES)}", ln, rid)
                examples = r.get("examples") or {}
                if not isinstance(examples, dict) or not (examples.get("match")):
                    self.problem(f, "every rule needs examples: {match: [...], no_match: [...]}", ln, rid)
                    examples = {}
                if key == "attributions":
                    if any("speaker" not in c.slots for c in compiled):
                        self.problem(f, "an attribution pattern must have a {speaker:...} slot", ln, rid)
                    out.append(Rule(rid, str(r.get("label", rid)), f, ln, len(out), 0, "attribution", compiled, None, [], examples, True))
                    continue
                facts = r.get("facts")
                if not isinstance(facts, list) or not facts:
                    self.problem(f, "'facts' must be a non-empty list of fact templates", ln, rid)
                    continue
                templates = [self._template(f, ln, rid, t, slot_names, entity_ids, classes) for t in facts]
                if any(t is None for t in templates):
                    continue
                priority = r.get("priority", 0)
                if not isinstance(priority, int):
                    self.problem(f, "priority must be an integer", ln, rid)
                    priority = 0
                group = str(r.get("group") or templates[0].predicate.name)
                suppresses = r.get("suppresses") or []
                if not isinstance(suppresses, list) or not all(isinstance(x, str) and QNAME_RE.match(x) for x in suppresses):
                    self.problem(f, "suppresses must be a list of groups (kg: predicates)", ln, rid)
                    suppresses = []
                out.append(Rule(rid, str(r.get("label", rid)), f, ln, len(out), priority, group, compiled, modality,
                                templates, examples, suppresses=tuple(suppresses)))
        return out

    def _ref(self, f, ln, rid, where, spec, slots, entity_ids, classes) -> Ref | None:
        bad = lambda msg: (self.problem(f, f"{where}: {msg}", ln, rid), None)[1]  # noqa: E731
        if isinstance(spec, str):
            if spec.startswith("ent:"):
                return Ref("entity", spec[4:]) if spec[4:] in entity_ids else bad(f"unknown entity {spec}")
            if spec.startswith("kg:"):
                return Ref("iri", spec) if QNAME_RE.match(spec) else bad(f"bad name {spec}")
            if spec in slots:
                return Ref("slot", spec)
            return bad(f"'{spec}' is not a slot of the pattern ({', '.join(sorted(slots))}) nor ent:Id / kg:name")
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return Ref("value", value=spec, datatype="integer" if isinstance(spec, int) else "decimal")
        if not isinstance(spec, dict):
            return bad(f"cannot read {spec!r}")
        spec = {k: v for k, v in spec.items() if k != LINE}

        def default() -> Ref | None:
            return self._ref(f, ln, rid, where, spec["default"], slots, entity_ids, classes) if "default" in spec else None

        if "value" in spec:
            return Ref("value", value=spec["value"], datatype=spec.get("datatype"))
        if "count" in spec:
            if spec["count"] not in slots or spec.get("of") not in classes:
                return bad("{count: <Number slot>, of: <Class>} needs a slot of the pattern and a known class")
            return Ref("count", spec["count"], value=spec["of"])
        if "country_of" in spec:
            if spec["country_of"] not in slots:
                return bad(f"country_of slot {spec['country_of']!r} not in pattern")
            return Ref("country_of", spec["country_of"])
        if "quantity_of" in spec:
            if spec["quantity_of"] not in slots:
                return bad(f"quantity_of slot {spec['quantity_of']!r} not in pattern")
            return Ref("quantity_of", spec["quantity_of"])
        if "literal" in spec:
            return Ref("literal", spec["literal"]) if spec["literal"] in slots else bad(f"literal slot {spec['literal']!r} not in pattern")
        if "inherit" in spec:
            preds = spec["inherit"] if isinstance(spec["inherit"], list) else [spec["inherit"]]
            role = spec.get("role", "subject")
            if not (role in ("subject", "object") or QNAME_RE.match(str(role))) or not all(isinstance(p, str) and QNAME_RE.match(p) for p in preds):
                return bad("{inherit: [kg:predicate, ...], role: subject|object|kg:qualifier}")
            return Ref("inherit", predicates=tuple(preds), role=role, default=default())
        if "anaphor" in spec:
            if spec["anaphor"] not in classes:
                return bad(f"anaphor class {spec['anaphor']!r} unknown")
            return Ref("anaphor", spec["anaphor"], default=default())
        if "slot" in spec:
            if spec["slot"] not in slots:
                return bad(f"slot {spec['slot']!r} not in pattern")
            if spec.get("up") not in (None, "country", "owner"):
                return bad("up: must be 'country' (government bodies) or 'owner' (any entity with a country)")
            return Ref("slot", spec["slot"], default=default(), up=spec.get("up"))
        return bad(f"cannot read {spec!r}: use a slot name, ent:Id, kg:name, {{value:..}}, {{count:..,of:..}}, {{literal:..}}, {{inherit:..}}, {{anaphor:..}}")

    def _template(self, f, ln, rid, t, slots, entity_ids, classes) -> FactTemplate | None:
        if not isinstance(t, dict):
            self.problem(f, "a fact template must be a mapping", ln, rid)
            return None
        ln = t.get(LINE, ln)
        for k in t:
            if k != LINE and k not in FACT_KEYS:
                self.problem(f, f"fact: unknown key '{k}'; expected {', '.join(sorted(FACT_KEYS))}", ln, rid)
        missing = [k for k in ("subject", "predicate", "object") if k not in t]
        if missing:
            self.problem(f, f"fact: missing {', '.join(missing)}", ln, rid)
            return None
        ref = lambda where, spec: self._ref(f, ln, rid, where, spec, slots, entity_ids, classes)  # noqa: E731
        subject, predicate, obj = ref("subject", t["subject"]), ref("predicate", t["predicate"]), ref("object", t["object"])
        status = None
        if isinstance(t.get("status"), str) and t["status"] not in slots:
            if t["status"] not in STATUSES:
                self.problem(f, f"status {t['status']!r} must be one of {', '.join(STATUSES)} or a slot", ln, rid)
                return None
            status = Ref("value", value=t["status"])
        elif "status" in t:
            status = ref("status", t["status"])
        modality = t.get("modality")
        if modality is not None and modality not in MODALITIES:
            self.problem(f, f"fact modality {modality!r} must be one of {', '.join(MODALITIES)}", ln, rid)
        quals = []
        for prop, spec in (t.get("qualifiers") or {}).items():
            if prop == LINE:
                continue
            if not QNAME_RE.match(str(prop)):
                self.problem(f, f"qualifier {prop!r} must be a kg: name", ln, rid)
                continue
            r = ref(f"qualifier {prop}", spec)
            if r:
                quals.append((str(prop), r))
        typ = t.get("type")
        if typ is not None and not QNAME_RE.match(str(typ)):
            self.problem(f, f"type {typ!r} must be a kg: class name", ln, rid)
        if None in (subject, predicate, obj):
            return None
        return FactTemplate(subject, predicate, obj, typ, status, modality, tuple(quals),
                            bool(t.get("attributable", True)), bool(t.get("date_from_sentence", True)),
                            bool(t.get("orient_by_origin", False)))
