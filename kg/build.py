"""The library form of `kg build`: articles -> facts -> graph -> validated files.

One bad article never loses the others: it is recorded as skipped with its reason. Every
output is written atomically, and the same input gives byte-identical files.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .documents import assign_slugs, find_articles, read_document
from .errors import DocumentError
from .export import (
    facts_csv, serialize_gexf, serialize_graphml, serialize_jsonld, serialize_nquads, serialize_trig, serialize_turtle,
    union_graph, write_atomic,
)
from .extract import DocResult, extract_document, merge_facts
from .graph import build_dataset
from .rules import RulePack, load_pack

OUTPUTS = ("graph.ttl", "graph.trig", "graph.nq", "graph.jsonld", "facts.csv", "graph.graphml", "graph.gexf",
           "graph.html", "report.md", "report.json")


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class BuildSummary:
    out_dir: str
    articles: int
    sentences: int
    facts: int
    facts_per_relation: dict
    facts_per_modality: dict
    entities: int
    triples: int
    skipped: tuple[Skipped, ...]
    shacl_conforms: bool
    shacl_violations: int
    unmatched_sentences: int
    outputs: tuple[str, ...] = field(default=())


Progress = Callable[[int, int, str], None]


def extract_all(paths: Iterable[str | Path], pack: RulePack, progress: Progress | None = None) -> tuple[list[DocResult], list[Skipped]]:
    files = find_articles(paths)
    slugs = assign_slugs(files)
    results, skipped = [], []
    for i, f in enumerate(files):
        if progress:
            progress(i, len(files), str(f))
        try:
            doc = read_document(f, pack.cleaning, slugs[f])
        except DocumentError as e:
            skipped.append(Skipped(e.path, e.reason))
            continue
        r = extract_document(doc, pack)
        if not r.facts:
            skipped.append(Skipped(str(f), "no facts found (the article was read; no rule matched)"))
        results.append(r)
    if progress:
        progress(len(files), len(files), "")
    return results, skipped


def unmatched_sentences(paths, *, rules=None) -> list[tuple[str, int, int, tuple[str, ...], str]]:
    """(source, start, end, entity ids, sentence) for sentences naming 2+ entities and matching no rule."""
    pack = load_pack(rules)
    results, _ = extract_all(paths, pack)
    rows = []
    for r in results:
        mentions = pack.gazetteer.find(r.doc.text)
        for s in r.unmatched:
            ids = tuple(sorted({m.entity.id for m in mentions if s.start <= m.start and m.end <= s.end}))
            rows.append((Path(r.doc.path).name, s.start, s.end, ids, " ".join(s.text.split())))
    return rows


def assemble_dataset(results: list[DocResult], pack: RulePack, *, base_iri: str | None = None):
    """The dataset a build writes: the extracted facts (one named graph per article, one for
    entities) and the network measures in their own named graph, under base_iri if given."""
    from .analysis import analysis_triples

    ds = build_dataset(results, pack)
    for quad in analysis_triples(ds):
        ds.add(quad)
    if base_iri:
        from .iri import rebase

        ds = rebase(ds, base_iri)
    return ds


def build(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    rules: str | Path | None = None,
    progress: Progress | None = None,
    base_iri: str | None = None,
) -> BuildSummary:
    """Read articles, extract, build the dataset, validate it, write every output into out_dir.

    Network measures (PageRank, betweenness, communities) go into their own named graph,
    apart from the extracted facts. With base_iri, instance IRIs are minted under it.
    """
    from .analysis import summary as analyse
    from .render import render_html
    from .validate import validate_graph

    if base_iri:
        from .iri import check_base

        check_base(base_iri)
    pack = load_pack(rules)
    results, skipped = extract_all(paths, pack, progress)
    ds = assemble_dataset(results, pack, base_iri=base_iri)
    union = union_graph(ds)
    validation = validate_graph(union)
    facts = merge_facts(f for r in results for f in r.facts)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sources = {r.doc.slug: Path(r.doc.path).name for r in results}
    analysis = analyse(ds)

    summary = BuildSummary(
        out_dir=str(out),
        articles=len(results),
        sentences=sum(len(r.doc.sentences) for r in results),
        facts=len(facts),
        facts_per_relation=dict(sorted(Counter(f.predicate for f in facts).items())),
        facts_per_modality=dict(sorted(Counter(f.modality for f in facts).items())),
        entities=len({t.value for f in facts for t in (f.subject, f.object) if t.kind == "entity"}),
        triples=len(union),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        shacl_conforms=validation.conforms,
        shacl_violations=validation.violations,
        unmatched_sentences=sum(len(r.unmatched) for r in results),
        outputs=tuple(str(out / name) for name in OUTPUTS),
    )
    write_atomic(out / "graph.ttl", serialize_turtle(ds))
    write_atomic(out / "graph.trig", serialize_trig(ds))
    write_atomic(out / "graph.nq", serialize_nquads(ds))
    write_atomic(out / "graph.jsonld", serialize_jsonld(ds))
    write_atomic(out / "facts.csv", facts_csv(facts, pack, sources))
    write_atomic(out / "graph.graphml", serialize_graphml(ds))
    write_atomic(out / "graph.gexf", serialize_gexf(ds))
    render_html(ds, out / "graph.html", title="Defence cooperation graph")
    report = {
        "summary": _summary_dict(summary),
        "rule_pack": {"path": pack.path, "digest": pack.digest},
        "analysis": analysis,
        "unmatched": [
            {"source": sources[r.doc.slug], "start": s.start, "end": s.end, "sentence": " ".join(s.text.split())}
            for r in results for s in r.unmatched
        ],
        "shacl": {"conforms": validation.conforms, "violations": validation.violations},
    }
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    write_atomic(out / "report.md", report_markdown(summary, report, validation.text))
    return summary


def _summary_dict(s: BuildSummary) -> dict:
    return {
        "articles": s.articles,
        "sentences": s.sentences,
        "facts": s.facts,
        "facts_per_relation": s.facts_per_relation,
        "facts_per_modality": s.facts_per_modality,
        "entities": s.entities,
        "triples": s.triples,
        "skipped": [{"path": k.path, "reason": k.reason} for k in s.skipped],
        "shacl_conforms": s.shacl_conforms,
        "shacl_violations": s.shacl_violations,
        "unmatched_sentences": s.unmatched_sentences,
    }


def _md(text: object) -> str:
    """Plain text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def report_markdown(s: BuildSummary, report: dict, shacl_text: str) -> str:
    a = report["analysis"]
    lines = ["# Build report", "", "| measure | value |", "|---|---|"]
    for k in ("articles", "sentences", "facts", "entities", "triples", "unmatched_sentences"):
        lines.append(f"| {k.replace('_', ' ')} | {getattr(s, k)} |")
    lines.append(f"| skipped inputs | {len(s.skipped)} |")
    lines.append(f"| SHACL | {'conforms' if s.shacl_conforms else f'{s.shacl_violations} violations'} |")
    lines += ["", "## Facts per relation", "", "| relation | facts |", "|---|---|"]
    lines += [f"| `{p}` | {n} |" for p, n in s.facts_per_relation.items()]
    lines += ["", "## Facts per modality", "", "| modality | facts |", "|---|---|"]
    lines += [f"| {m} | {n} |" for m, n in s.facts_per_modality.items()]
    lines += ["", "## Skipped inputs", ""]
    lines += [f"- `{_md(k.path)}`: {_md(k.reason)}" for k in s.skipped] or ["None."]
    top = a.get("top_actors") or []
    if top:
        lines += ["", "## Central actors (PageRank)", "", "| entity | PageRank | facts |", "|---|---|---|"]
        for t in top:
            lines.append(f"| {_md(t['label'])} | {t['pagerank']} | {t['degree']} |")
    tl = a.get("timeline") or []
    if tl:
        lines += ["", "## Timeline of dated facts", "", "| date | subject | relation | object | modality | source |", "|---|---|---|---|---|---|"]
        for t in tl:
            lines.append(f"| {_md(t['date'])} | {_md(t['subject_label'])} | `{t['predicate']}` | {_md(t['object_label'])} | {t['modality']} | {_md(t['source'])} |")
    lines += ["", "## Sentences naming two or more known entities that no rule matched", "",
              "The curator's to-do list: each may hold a fact the rules miss.", ""]
    lines += [f"- {_md(u['source'])} [{u['start']}:{u['end']}]: {_md(u['sentence'])}" for u in report["unmatched"]] or ["None."]
    lines += ["", "## SHACL validation", "", "```", shacl_text.strip(), "```", ""]
    return "\n".join(lines)
