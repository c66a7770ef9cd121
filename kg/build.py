"""The library form of `kg build`: articles -> facts -> graph -> validated files.

One bad article never loses the others: it is recorded as skipped with its reason. Every
output is written atomically, and the same input gives byte-identical files.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .cache import CACHE_DIRNAME, ExtractionCache, entry_key
from .documents import Document, assign_slugs, find_articles, read_document
from .errors import DocumentError
from .export import (
    facts_csv, ox_quads, serialize_gexf, serialize_graphml, serialize_jsonld, serialize_nquads, serialize_trig, serialize_turtle,
    union_triples, write_atomic,
)
from .extract import DocResult, extract_document
from .lock import locked
from .process import pool_worker_start
from .graph import Quads, build_quads
from .rules import RulePack, load_pack
from .markdown import md_cell

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
    extracted: int = 0  # articles read and extracted in this build
    cached: int = 0  # articles taken from the extraction cache (not in the report: outputs do not depend on it)
    workers: int = 1


Progress = Callable[[int, int, str], None]


@dataclass
class ExtractStats:
    """What extract_all did: articles extracted, articles taken from the cache, sentences read."""

    extracted: int = 0
    cached: int = 0
    sentences: int = 0
    workers: int = 1


def _compact(r: DocResult) -> DocResult:
    """The result without the article's text and sentences (path, slug, metadata, facts,
    mentions and unmatched sentences kept): a large build holds facts, not articles."""
    d = r.doc
    return replace(r, doc=Document(d.path, d.slug, "", d.meta, ()))


def _extract_file(f: Path, slug: str, pack: RulePack, cache: ExtractionCache | None, keep_text: bool):
    """One article -> ("ok", DocResult, sentences, cached) or ("skip", Skipped, 0, cached)."""
    key = None
    if cache is not None:
        try:
            key = entry_key(f.read_bytes(), str(f), slug, pack.digest)
        except OSError:
            key = None  # read_document reports it
        hit = cache.get(key) if key else None
        if hit is not None:
            return (*hit, True)
    try:
        doc = read_document(f, pack.cleaning, slug)
    except DocumentError as e:
        out = ("skip", Skipped(e.path, e.reason), 0)
    else:
        r = extract_document(doc, pack)
        out = ("ok", r if keep_text else _compact(r), len(doc.sentences))
    if key is not None:
        cache.put(key, out)
    return (*out, False)


_WORKER: dict = {}


def _init_worker(pack: RulePack, cache_dir: str | None, keep_text: bool, parent: int) -> None:
    pool_worker_start(parent)
    _WORKER.update(pack=pack, cache=ExtractionCache(cache_dir) if cache_dir else None, keep_text=keep_text)


def _extract_job(job: tuple[str, str]):
    return _extract_file(Path(job[0]), job[1], _WORKER["pack"], _WORKER["cache"], _WORKER["keep_text"])


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def extract_all(
    paths: Iterable[str | Path],
    pack: RulePack,
    progress: Progress | None = None,
    *,
    workers: int | None = 1,
    cache_dir: str | Path | None = None,
    keep_text: bool = True,
    stats: ExtractStats | None = None,
) -> tuple[list[DocResult], list[Skipped]]:
    """Every article under paths, read and extracted, in path order.

    With workers > 1 (None: every core) articles are extracted in a pool of processes; the
    results come back in the same order, so the output is the same as with one worker. With
    cache_dir, an article whose bytes, path, rule pack and extractor are unchanged is taken
    from the cache instead of extracted; cached results never hold the article's text, so
    the cache is used only with keep_text=False (what `build` asks for).
    """
    files = find_articles(paths)
    slugs = assign_slugs(files)
    stats = stats if stats is not None else ExtractStats()
    workers = max(1, workers or default_workers())
    cache = ExtractionCache(cache_dir) if cache_dir is not None and not keep_text else None
    jobs = [(str(f), slugs[f]) for f in files]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        workers = min(workers, len(jobs))
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(pack, str(cache.folder) if cache else None, keep_text, os.getpid()))
        outcomes = pool.map(_extract_job, jobs, chunksize=max(1, min(64, len(jobs) // (workers * 8))))
    else:
        pool, workers = None, 1
        outcomes = (_extract_file(Path(p), slug, pack, cache, keep_text) for p, slug in jobs)
    stats.workers = workers
    results, skipped = [], []
    try:
        for i, (kind, value, n_sentences, cached) in enumerate(outcomes):
            if progress:
                progress(i, len(files), jobs[i][0])
            stats.cached += cached
            stats.extracted += not cached
            if kind == "skip":
                skipped.append(value)
                continue
            stats.sentences += n_sentences
            if not value.facts:
                skipped.append(Skipped(jobs[i][0], "no facts found (the article was read; no rule matched)"))
            results.append(value)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
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


def assemble(results: list[DocResult], pack: RulePack, *, base_iri: str | None = None, corroboration=None) -> Quads:
    """The dataset a build writes, as :class:`kg.graph.Quads`: the extracted facts (one named
    graph per article, one for entities), compatible facts merged across articles with their
    confidence and contradictions (kg/corroborate.py) and the network measures in their own
    named graphs, under base_iri if given."""
    from .analysis import add_analysis_graph
    from .corroborate import corroborate, corroboration_quads, merge_compatible, precision_table

    results = merge_compatible(results)
    quads = build_quads(results, pack)
    for quad in corroboration_quads(corroboration or corroborate(results, precision_table(pack))):
        quads.add(quad)
    add_analysis_graph(quads)  # keeps the entity projection it reads, for build() to share (kg/analysis.py)
    if base_iri:
        from .iri import rebase

        quads = rebase(quads, base_iri)
    return quads


def assemble_dataset(results: list[DocResult], pack: RulePack, *, base_iri: str | None = None, corroboration=None):
    """:func:`assemble` as an rdflib Dataset."""
    return assemble(results, pack, base_iri=base_iri, corroboration=corroboration).to_dataset()


@locked  # one build at a time per output folder (kg/lock.py)
def build(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    *,
    rules: str | Path | None = None,
    progress: Progress | None = None,
    base_iri: str | None = None,
    workers: int | None = None,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    shacl_engine: str | None = None,
) -> BuildSummary:
    """Read articles, extract, build the dataset, validate it, write every output into out_dir.

    Network measures (PageRank, betweenness, communities) go into their own named graph,
    apart from the extracted facts. With base_iri, instance IRIs are minted under it.
    Extraction runs on `workers` processes (None: every core) and, unless cache is False,
    reuses the results of unchanged articles from cache_dir (default: out_dir/.kg-cache);
    neither changes a byte of the outputs. shacl_engine: kg/validate.py ENGINES (default
    rudof); a large graph is validated in parts on `workers` processes (spawned for rudof:
    see kg.validate.validate_graph on scripts that call this).
    """
    from .analysis import shared_projection, summary as analyse
    from .render import render_html
    from .validate import DEFAULT_ENGINE, check_engine, validate_graph, worker_pool

    if base_iri:
        from .iri import check_base

        check_base(base_iri)
    engine = shacl_engine or DEFAULT_ENGINE
    check_engine(engine)
    pack = load_pack(rules)
    with worker_pool(workers, engine) as pool, _cyclic_gc_paused():  # SHACL's processes, forked while this one is small
        stats = ExtractStats()
        folder = (Path(cache_dir) if cache_dir else Path(out_dir) / CACHE_DIRNAME) if cache else None
        results, skipped = extract_all(paths, pack, progress, workers=workers, cache_dir=folder, keep_text=False, stats=stats)
        from .corroborate import corroborate, merge_compatible, precision_table, report_section

        results = merge_compatible(results)  # compatible facts of several articles become one (kg/corroborate.py)
        corroboration = corroborate(results, precision_table(pack))
        ds = assemble(results, pack, base_iri=base_iri, corroboration=corroboration)
        quads = ox_quads(ds)  # converted once, for rudof and the three pyoxigraph writers
        union = union_triples(quads)  # for rudof, the count and the Turtle file
        # SHACL (in parts when large) while the files are written: its processes do the work
        validating = _in_background(validate_graph, ds, engine=engine, workers=workers, pool=pool, triples=union)
        facts = list(corroboration.facts)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        sources = {r.doc.slug: Path(r.doc.path).name for r in results}
        projection = shared_projection(ds)  # read once in assemble; the report, exports and page share it
        analysis = analyse(projection)
        write_atomic(out / "graph.ttl", serialize_turtle(ds, triples=union))
        write_atomic(out / "graph.trig", serialize_trig(ds, quads))
        write_atomic(out / "graph.nq", serialize_nquads(ds, quads))
        write_atomic(out / "graph.jsonld", serialize_jsonld(ds))
        write_atomic(out / "facts.csv", facts_csv(facts, pack, sources))
        write_atomic(out / "graph.graphml", serialize_graphml(projection))
        write_atomic(out / "graph.gexf", serialize_gexf(projection))
        render_html(projection, out / "graph.html", title="Defence cooperation graph")
        validation = validating.result()

        summary = BuildSummary(
            out_dir=str(out),
            articles=len(results),
            sentences=stats.sentences,
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
            extracted=stats.extracted,
            cached=stats.cached,
            workers=stats.workers,
        )
        report = {
            "summary": _summary_dict(summary),
            "rule_pack": {"path": pack.path, "digest": pack.digest},
            "analysis": analysis,
            "unmatched": [
                {"source": sources[r.doc.slug], "start": s.start, "end": s.end, "sentence": " ".join(s.text.split())}
                for r in results for s in r.unmatched
            ],
            "shacl": {"conforms": validation.conforms, "violations": validation.violations},
            "corroboration": report_section(corroboration, {i: e.labels.get("en", i) for i, e in pack.gazetteer.entities.items()}),
        }
        write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        write_atomic(out / "report.md", report_markdown(summary, report, validation.text))
        return summary


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, as it was after. A build makes millions of
    long-lived objects (terms, quads, facts) and few cycles, and each full collection walks
    every live object again: with it on, a 10 MB build took 1.25x as long, and more the
    larger the build. Cycles made meanwhile are collected when it is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _in_background(fn: Callable, *args, **kwargs) -> Future:
    """fn(*args, **kwargs) on a daemon thread; its Future gives the result or raises its error.
    A daemon, so that an interrupted build ends at once instead of waiting for it."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to whoever asks for the result
            future.set_exception(e)

    threading.Thread(target=run, name=f"kg-{fn.__name__}", daemon=True).start()
    return future


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
    lines += [f"- `{md_cell(k.path)}`: {md_cell(k.reason)}" for k in s.skipped] or ["None."]
    top = a.get("top_actors") or []
    if top:
        lines += ["", "## Central actors (PageRank)", "", "| entity | PageRank | facts |", "|---|---|---|"]
        for t in top:
            lines.append(f"| {md_cell(t['label'])} | {t['pagerank']} | {t['degree']} |")
    tl = a.get("timeline") or []
    if tl:
        lines += ["", "## Timeline of dated facts", "", "| date | subject | relation | object | modality | source |", "|---|---|---|---|---|---|"]
        for t in tl:
            lines.append(f"| {md_cell(t['date'])} | {md_cell(t['subject_label'])} | `{t['predicate']}` | {md_cell(t['object_label'])} | {t['modality']} | {md_cell(t['source'])} |")
    lines += ["", "## Sentences naming two or more known entities that no rule matched", "",
              "The curator's to-do list: each may hold a fact the rules miss.", ""]
    lines += [f"- {md_cell(u['source'])} [{u['start']}:{u['end']}]: {md_cell(u['sentence'])}" for u in report["unmatched"]] or ["None."]
    if report.get("corroboration"):
        from .corroborate import report_markdown as corroboration_markdown

        lines += corroboration_markdown(report["corroboration"])
    lines += ["", "## SHACL validation", "", "```", shacl_text.strip(), "```", ""]
    return "\n".join(lines)
