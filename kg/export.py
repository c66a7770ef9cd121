"""Write the graph and the fact table: Turtle, TriG, JSON-LD (local context), N-Quads, CSV.

Every file is written atomically (a temporary file in the same folder, then a rename), so
an interrupted build leaves the previous outputs whole.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph

from .extract import Fact, Term
from .rules.pack import RulePack
from .vocab import bind_prefixes, qname

FACT_COLUMNS = (
    "fact", "subject", "subject_label", "predicate", "object", "object_label", "date", "status",
    "modality", "speaker", "quantity", "source", "sentence", "start", "end", "rule", "evidence_count",
)


def write_atomic(path: Path, data: str | bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def union_graph(ds: Dataset) -> Graph:
    g = Graph()
    bind_prefixes(g)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def jsonld_context() -> dict:
    """The project's JSON-LD context, read from the installed ontology folder (never fetched)."""
    text = (resources.files("kg.ontology") / "context.jsonld").read_text(encoding="utf-8")
    ctx = json.loads(text)
    return ctx.get("@context", ctx)


def serialize_turtle(ds: Dataset) -> str:
    return union_graph(ds).serialize(format="turtle")


def serialize_trig(ds: Dataset) -> str:
    return ds.serialize(format="trig")


def serialize_nquads(ds: Dataset) -> str:
    lines = ds.serialize(format="nquads").splitlines()
    return "".join(line + "\n" for line in sorted(set(lines)) if line.strip())


def serialize_jsonld(ds: Dataset) -> str:
    text = ds.serialize(format="json-ld", context=jsonld_context(), auto_compact=True)
    # re-dump with sorted keys and a stable order of nodes, so the file is byte-stable
    doc = json.loads(text)
    return json.dumps(_stable(doc), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _stable(x):
    if isinstance(x, dict):
        return {k: _stable(v) for k, v in x.items()}
    if isinstance(x, list):
        items = [_stable(v) for v in x]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return x


# --- the flat fact table --------------------------------------------------------------------


def _label(t: Term | None, pack: RulePack) -> str:
    if t is None:
        return ""
    if t.kind == "entity":
        e = pack.gazetteer.entities.get(t.value)
        return e.label("en") if e else t.value
    if t.kind == "count":
        n, cls = t.value.split("-", 1)
        from .graph import COUNT_LABELS

        return f"{n} {COUNT_LABELS.get(cls, (cls,))[0]}"
    return t.value


def _id(t: Term | None) -> str:
    if t is None:
        return ""
    from .graph import term_node

    node = term_node(t)
    return qname(str(node)) if t.kind != "literal" else t.value


def facts_csv(facts: Iterable[Fact], pack: RulePack, sources: dict[str, str]) -> str:
    """One row per fact, evidence summarised: first sentence, every source."""
    from .graph import fact_iri

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FACT_COLUMNS)
    rows = []
    for f in facts:
        ev = min(f.evidence)
        speaker = f.qualifier("kg:speaker")
        quantity = f.qualifier("kg:quantity")
        rows.append((
            qname(str(fact_iri(f))), _id(f.subject), _label(f.subject, pack), f.predicate, _id(f.object),
            _label(f.object, pack), f.date or "", f.status or "", f.modality, _label(speaker, pack),
            quantity.value if quantity else "",
            ";".join(sorted({sources.get(e.article, e.article) for e in f.evidence})),
            " ".join(ev.sentence.split()), ev.start, ev.end, ev.rule, len(f.evidence),
        ))
    for row in sorted(rows, key=lambda r: (r[11], r[13], r[1], r[3], r[4])):
        w.writerow(row)
    return buf.getvalue()
