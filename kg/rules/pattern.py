"""The pattern language of relation rules, compiled to one regular expression per pattern.

A sentence becomes a token stream: each word is its folded form, each entity mention and
each value (date, number, percentage) one placeholder token `«Classes|Id#n»`, tokens joined
by single spaces. A pattern is a sequence of:

| syntax | matches |
|---|---|
| `word` | that word (folded: case and diacritics ignored) |
| `word?`, `(...)?` | optionally |
| `(a b | c)` | one of the alternatives |
| `@lexicon` | any form of a shared lexicon (`@sign`: menandatangani, meneken, signed, ...) |
| `=EntityId` | a mention of that gazetteer entity |
| `...N` | a gap of 0 to N tokens (N <= 40), never beyond the sentence |
| `...N!` | a gap that passes no entity mention |
| `{name:Class!}` | the mention nearest to what follows: the next gap passes no other mention of the class |
| `{name:Class}` | a mention of an entity of that class or a subclass; `Class1|Class2` for either |
| `{name:Date}`, `{name:Year}`, `{name:Number}`, `{name:Percent}` | a recognised value |
| `{name:Class+N}` | a list of mentions, at most N tokens between two (default 4) |
| `{name:@lexicon}` | a lexicon form; the slot's value is the lexicon entry's value |
| `{name:=EntityId}` | that entity, captured |

Gaps are lazy, so the tightest reading wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import fold_phrase

VALUE_KINDS = ("Date", "Year", "Number", "Percent")
MAX_GAP = 40
_TOKEN = re.compile(
    r"\{[^}]*\}\??|\.\.\.\d*!?|\(|\)\??|\||=[A-Za-z0-9_-]+\??|@[A-Za-z0-9_-]+\??|\\.\??|[^\s(){}|]+"
)
_SLOT = re.compile(r"^\{\s*([a-z_][a-z0-9_]*)\s*:\s*(.+?)\s*\}(\??)$")
# One token of the stream and its space. Possessive ("++"): a token's characters are never
# given back, which can only fail (the space must follow the whole token), so the regex
# engine does not try; the matches are the same.
ANY_TOKEN = r"[^ ]++ "


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    name: str
    kind: str  # "class", "list", "lexicon", "entity"
    classes: tuple[str, ...] = ()
    lexicon: str | None = None
    entity: str | None = None
    max_gap: int = 4


@dataclass
class Compiled:
    regex: re.Pattern
    slots: dict[str, Slot] = field(default_factory=dict)


def placeholder(classes: tuple[str, ...], entity_id: str, index: int) -> str:
    """The stream token for a mention: «Country,Entity|Russia#3»."""
    return f"«{','.join(classes)}|{entity_id}#{index}»"


PLACEHOLDER_INDEX = re.compile(r"#(\d+)»")


def _item(classes: tuple[str, ...], group: str | None) -> str:
    cls = "|".join(re.escape(c) for c in classes)
    idx = rf"(?P<{group}>\d+)" if group else r"\d+"
    return rf"«(?:[^»|]*,)?(?:{cls})(?:,[^»|]*)?\|[^»#]*#{idx}» "


class PatternCompiler:
    """Compiles patterns against one pack's lexicons, entities and classes."""

    def __init__(self, lexicons: dict[str, dict[str, object]], entity_ids: set[str], classes: set[str], barrier: list[str]):
        self.lexicons = lexicons  # name -> {folded form: value}
        self.entity_ids = entity_ids
        self.classes = classes | set(VALUE_KINDS)
        forms = sorted({fold_phrase(b) for b in barrier if b.strip()}, key=len, reverse=True)
        self.barrier = "|".join(re.escape(f) for f in forms)

    def lexicon_regex(self, name: str) -> str:
        if name not in self.lexicons:
            raise PatternError(f"unknown lexicon @{name}; known: {', '.join(sorted(self.lexicons)) or 'none'}")
        forms = sorted(self.lexicons[name], key=len, reverse=True)
        if not forms:
            raise PatternError(f"lexicon @{name} is empty")
        return "(?:" + "|".join(re.escape(f) + " " for f in forms) + ")"

    def compile(self, pattern: str) -> Compiled:
        toks = _TOKEN.findall(pattern)
        if not toks:
            raise PatternError("pattern is empty")
        slots: dict[str, Slot] = {}
        pos, body = self._seq(toks, 0, slots, depth=0)
        if pos != len(toks):
            raise PatternError(f"unexpected '{toks[pos]}' (unbalanced parentheses?)")
        if not slots:
            raise PatternError("pattern has no {slot}: a rule must capture something")
        try:
            return Compiled(re.compile(body), slots)
        except re.error as e:  # pragma: no cover - the compiler emits only valid fragments
            raise PatternError(f"cannot compile: {e}") from None

    def _seq(self, toks, pos, slots, depth):
        alts, parts = [], []
        self._nearest = None  # classes of a {slot:Class!} just compiled: the next gap may not pass them
        while pos < len(toks):
            t = toks[pos]
            if t == "|":
                alts.append("".join(parts))
                parts = []
                pos += 1
                continue
            if t.startswith(")"):
                if depth == 0:
                    raise PatternError("')' without '('")
                break
            if t == "(":
                pos, inner = self._seq(toks, pos + 1, slots, depth + 1)
                if pos >= len(toks):
                    raise PatternError("'(' is never closed")
                close = toks[pos]
                parts.append(f"(?:{inner})" + ("?" if close.endswith("?") else ""))
                pos += 1
                continue
            nearest = self._nearest
            self._nearest = None
            parts.append(self._atom(t, slots, nearest))
            pos += 1
        alts.append("".join(parts))
        if any(not a for a in alts):
            raise PatternError("empty alternative in '(...|...)'")
        return pos, "|".join(alts) if len(alts) > 1 else alts[0]

    def _atom(self, t: str, slots: dict[str, Slot], nearest: tuple[str, ...] | None = None) -> str:
        optional = len(t) > 1 and t.endswith("?") and not t.endswith("\\?")
        core = t[:-1] if optional else t
        if core.startswith("{"):
            rx = self._slot(core, slots)
        elif core.startswith("..."):
            n, no_entity = core[3:], core.endswith("!")
            n = n.rstrip("!")
            if not n.isdigit():
                raise PatternError("a gap needs a bound: write ...5 (or ...5! for a gap with no entity), not ...")
            if int(n) > MAX_GAP:
                raise PatternError(f"gap ...{n} is longer than {MAX_GAP} tokens")
            if no_entity:
                token = f"(?:(?!«[^»|]*\\|[^#»]+#){ANY_TOKEN})"
            elif nearest:
                cls = "|".join(re.escape(c) for c in nearest)
                token = f"(?:(?!«(?:[^»|]*,)?(?:{cls})(?:,[^»|]*)?\\|){ANY_TOKEN})"
            else:
                token = f"(?:{ANY_TOKEN})"
            rx = f"{token}{{0,{int(n)}}}?"
        elif core.startswith("@"):
            rx = self.lexicon_regex(core[1:])
        elif core.startswith("="):
            if core[1:] not in self.entity_ids:
                raise PatternError(f"unknown entity ={core[1:]}")
            rx = _item(("Entity",), None).replace(r"\|[^»#]*#", r"\|" + re.escape(core[1:]) + "#")
        else:
            word = core[1:] if core.startswith("\\") else core
            folded = fold_phrase(word)
            if not folded:
                raise PatternError(f"cannot read '{word}' as a word")
            rx = re.escape(folded) + " "
        return f"(?:{rx})?" if optional else rx

    def _slot(self, t: str, slots: dict[str, Slot]) -> str:
        m = _SLOT.match(t)
        if not m:
            raise PatternError(f"bad slot '{t}': write {{name:Class}}, {{name:@lexicon}} or {{name:=EntityId}}")
        name, spec = m.group(1), m.group(2)
        if name in slots:
            raise PatternError(f"slot '{name}' appears twice; use a list pattern or two rules")
        if spec.startswith("@"):
            rx = self.lexicon_regex(spec[1:])
            slots[name] = Slot(name, "lexicon", lexicon=spec[1:])
            return f"(?P<{name}>{rx})"
        if spec.startswith("="):
            eid = spec[1:]
            if eid not in self.entity_ids:
                raise PatternError(f"unknown entity ={eid} in slot '{name}'")
            slots[name] = Slot(name, "entity", classes=("Entity",), entity=eid)
            return _item(("Entity",), name).replace(r"\|[^»#]*#", r"\|" + re.escape(eid) + "#")
        nearest = spec.endswith("!")
        spec = spec.rstrip("!")
        lm = re.match(r"^(.+?)\+(\d*)$", spec)
        classes = tuple(c.strip() for c in (lm.group(1) if lm else spec).split("|"))
        if nearest:
            self._nearest = classes
        unknown = [c for c in classes if c not in self.classes]
        if unknown:
            raise PatternError(f"unknown class {', '.join(unknown)} in slot '{name}'; known: {', '.join(sorted(self.classes))}")
        if lm:
            gap = int(lm.group(2) or 4)
            if gap > MAX_GAP:
                raise PatternError(f"list gap +{gap} in slot '{name}' is longer than {MAX_GAP}")
            item = _item(classes, None)
            # between two items: any word or value, no barrier word, and another entity only where it
            # closes an item ("pasokan senjata Rusia, perbaikan ..."), not where a new clause starts
            barrier = f"(?!(?:{self.barrier}) )" if self.barrier else ""
            entity = "«[^»|]*\\|[^#»]+#\\d+» "
            sep = f"(?:{entity}(?=(?:,|;|\\)|dan|and|serta|or|atau) )|(?!{entity}){barrier}{ANY_TOKEN})"
            slots[name] = Slot(name, "list", classes=classes, max_gap=gap)
            return f"(?P<{name}>{item}(?:{sep}{{0,{gap}}}?{item})*)"
        slots[name] = Slot(name, "class", classes=classes)
        return _item(classes, name)
