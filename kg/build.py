"""The library form of `kg build`: articles -> facts -> graph -> validated files.

One bad article never loses the others: it is recorded as skipped with its reason. Every
output is written atomically, and the same input gives byte-identical files.

A build streams (docs/design.md, "Scale"): no process ever holds the graph.

1. **Extract** (on ``workers`` processes, in path order): each article is read and
   extracted; its result goes to the extraction cache (or, with the cache off, to a spill
   folder the build removes) and the build keeps a small digest of it: the claims its facts
   make, its metadata, the entities it names, its unmatched sentences.
2. **Plan**: from the digests alone, the rewrite of each claim to its most specific
   compatible version across articles (kg/corroborate.py), and which fact nodes and plain
   triples several articles share.
3. **Write** (on the same processes, in article IRI order): each article's result is read
   back, rewritten, and turned into its named graph's pieces of graph.nq, graph.trig,
   graph.ttl and graph.jsonld (kg/export.py :class:`~kg.export.GraphChunks`), which this
   process appends to the files. Only the article's merged facts come back to be kept.
4. **Across articles**: the facts of all articles are merged and scored, contradictions
   found, the entity graph projected and measured (kg/analysis.py, from the facts), and the
   entity, corroboration and analysis graphs appended; then the fact table, GraphML, GEXF,
   the HTML view and the reports. SHACL validates the whole graph, or a sample of its
   articles when it is large (``shacl``), on its own processes while the files are written.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections import Counter
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rdflib import URIRef

from .cache import CACHE_DIRNAME, ExtractionCache, entry_key
from .documents import Document, assign_slugs, find_articles, read_document, shown
from .errors import DocumentError, InputError
from .export import DatasetFiles, GraphChunks, context_for_base, facts_csv, prefixes_for_base, write_atomic, write_gexf, write_graphml
from .extract import DocResult, Fact, extract_document
from .graph import (
    ArticleGraph, PlainTerms, Quads, counts_of, entities_of, entity_graph_triples, fact_core_triples, nt_line, to_rdflib,
)
from .lock import locked
from .markdown import md_cell
from .process import pool_worker_start
from .rules import RulePack, load_pack
from .vocab import BASE, TRUTHY_MODALITIES

OUTPUTS = ("graph.ttl", "graph.trig", "graph.nq", "graph.jsonld", "facts.csv", "graph.graphml", "graph.gexf",
           "graph.html", "report.md", "report.json")

# SHACL modes: every article, a sample of the articles of a large build, or none
SHACL_MODES = ("auto", "full", "sample", "off")
# "auto" validates everything up to this many facts and a sample of about this many above
SHACL_SAMPLE_FACTS = 20_000


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
    shacl_scope: str = "all"  # what SHACL validated: "all", "none" or "N of M articles"


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


def _init_worker(state: dict, parent: int) -> None:
    pool_worker_start(parent)
    _WORKER.clear()
    _WORKER.update(state)


def _extract_job(job: tuple[str, str]):
    return _extract_file(Path(job[0]), job[1], _WORKER["pack"], _WORKER["cache"], _WORKER["keep_text"])


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def _pool(workers: int, jobs: int, state: dict) -> Iterator:
    """Processes forked now, each with ``state`` as its _WORKER; None for one worker (the
    jobs then run in this process, with ``state`` as _WORKER)."""
    if workers > 1 and jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        pool = ProcessPoolExecutor(min(workers, jobs), mp_context=ctx, initializer=_init_worker,
                                   initargs=(state, os.getpid()))
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
    else:
        saved = dict(_WORKER)
        _WORKER.clear()
        _WORKER.update(state)
        try:
            yield None
        finally:
            _WORKER.clear()
            _WORKER.update(saved)


def _map(pool, fn, jobs: list, workers: int) -> Iterator:
    """fn over jobs, results in job order: on the pool, or here."""
    if pool is None:
        return map(fn, jobs)
    return pool.map(fn, jobs, chunksize=max(1, min(64, len(jobs) // (workers * 8))))


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
    the cache is used only with keep_text=False.
    """
    files = find_articles(paths)
    slugs = assign_slugs(files)
    stats = stats if stats is not None else ExtractStats()
    workers = max(1, workers or default_workers())
    cache = ExtractionCache(cache_dir) if cache_dir is not None and not keep_text else None
    jobs = [(str(f), slugs[f]) for f in files]
    state = {"pack": pack, "cache": cache, "keep_text": keep_text}
    results, skipped = [], []
    with _pool(workers, len(jobs), state) as pool:
        stats.workers = workers if pool is not None else 1
        for i, (kind, value, n_sentences, cached) in enumerate(_map(pool, _extract_job, jobs, workers)):
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


# --- what the pieces of a build have in common ------------------------------------------


class _Across:
    """What a build learns across articles, and the graphs it makes of it: facts merged by
    identity and scored, contradictions, the entity projection and its measures."""

    def __init__(self, pack: RulePack, T, facts: list[Fact], articles: dict, cores: dict, entity_ids, counts,
                 article_meta: list[tuple[str, str, dict]]):
        from .analysis import Conflict, Projection, article_parts, entity_nodes
        from .corroborate import contradiction_nodes, corroborate_facts, precision_table

        self.pack, self.T = pack, T
        self.corroboration = c = corroborate_facts(facts, articles, precision_table(pack))
        self.entity_ids, self.counts = sorted(entity_ids), sorted(counts)
        conflicts, member_of = {}, {}
        for node, members, x in contradiction_nodes(c, T):
            conflicts[node] = Conflict(tuple(sorted(k.value for k in x.kinds)), tuple(sorted(members)))
            for m in members:
                member_of.setdefault(m, []).append(node)
        records = [self._record(f, cores, member_of) for f in c.facts]
        names, info = article_parts(article_meta)
        self.projection = Projection.of(nodes=entity_nodes(pack, self.entity_ids, self.counts, T),
                                        facts=sorted(records, key=lambda r: r.iri), conflicts=conflicts,
                                        article_names=names, article_info=info)

    def _record(self, f: Fact, cores: dict, member_of: dict):
        from .analysis import Evidence, fact_record
        from .corroborate import _decimal, identity
        from .graph import fact_local

        T, c = self.T, self.corroboration
        key = identity(f)
        node = T.instance("fact", fact_local(f))
        core = cores.get(key) or list(fact_core_triples(f, T, node))
        evidence = [Evidence(e.sentence, T.instance("art", e.article), e.rule, e.start, e.end) for e in f.evidence]
        extra = (("kg:confidence", _decimal(c.confidence[key])), ("kg:sourceCount", str(c.sources[key])))
        return fact_record(node, core, evidence, extra, member_of.get(node, ()))

    def graphs(self) -> list[tuple[str, list[tuple]]]:
        """(graph IRI, triples) of the graphs made across articles, in IRI order: the network
        measures, the corroboration, the entity descriptions."""
        from .analysis import analysis_graph_triples
        from .corroborate import corroboration_triples

        T = self.T
        made = {
            T.instance("graph", "analysis"): analysis_graph_triples(self.projection, T),
            T.instance("graph", "corroboration"): corroboration_triples(self.corroboration, T),
            T.instance("graph", "entities"): entity_graph_triples(self.pack, self.entity_ids, self.counts, T),
        }
        return [(name, list(dict.fromkeys(triples))) for name, triples in sorted(made.items(), key=lambda kv: str(kv[0]))]


def assemble(results: list[DocResult], pack: RulePack, *, base_iri: str | None = None) -> Quads:
    """The dataset a build writes, as :class:`kg.graph.Quads` of rdflib terms: the extracted
    facts (one named graph per article), compatible facts merged across articles with their
    confidence and contradictions (kg/corroborate.py), the entity descriptions and the
    network measures, under base_iri if given. A build writes the same quads without
    holding them (tests/test_streaming_build.py compares the two)."""
    from .corroborate import FactMerger, articles_of, identity, merge_compatible

    if base_iri:
        from .iri import check_base

        check_base(base_iri)
    T = PlainTerms(base_iri or BASE)
    results = merge_compatible(results)
    quads: list[tuple] = []
    merger = FactMerger()
    cores: dict = {}
    for r in results:
        ag = ArticleGraph(r, T)
        quads.extend((*t, ag.name) for t in ag.triples())
        merger.add(r.facts)
        for key, own in ag.facts.items():
            cores.setdefault(key, {}).update(own)
    facts = merger.facts()
    cores = {identity(f): list(cores[identity(f)]) for f in facts}
    meta = [(T.instance("art", r.doc.slug), _file_name(r.doc.path), r.doc.meta) for r in results]
    across = _Across(pack, T, facts, articles_of(results), cores, entities_of(results), counts_of(results), meta)
    for name, triples in across.graphs():
        quads.extend((*t, name) for t in triples)
    out = Quads((to_rdflib(s), to_rdflib(p), to_rdflib(o), URIRef(g)) for s, p, o, g in quads)
    if base_iri:
        for prefix, ns in prefixes_for_base(base_iri).items():
            out.bind(prefix, ns)
    return out


def assemble_dataset(results: list[DocResult], pack: RulePack, *, base_iri: str | None = None):
    """:func:`assemble` as an rdflib Dataset."""
    return assemble(results, pack, base_iri=base_iri).to_dataset()


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


# --- the streaming build: extract -------------------------------------------------------


@dataclass(frozen=True)
class _Digest:
    """What the build keeps of one article until it writes it: enough to plan, nothing more."""

    path: str
    slug: str
    key: str | None  # where its result waits (cache or spill), None if it was skipped
    cached: bool
    sentences: int = 0
    skipped: Skipped | None = None
    name: str = ""  # the file's name as the graph records it (kg:fileName)
    meta: dict = field(default_factory=dict)
    claims: tuple[Fact, ...] = ()  # its facts reduced to what the plan reads (kg/corroborate.py Claims)
    entities: frozenset = frozenset()
    counts: tuple[str, ...] = ()
    unmatched: tuple[tuple[int, int, str], ...] = ()  # (start, end, sentence) of sentences no rule matched


def _claim(f: Fact) -> Fact:
    """A fact with no evidence and only the qualifiers that make its claim and identity."""
    from .corroborate import _VERSION_PROPS

    return Fact(f.subject, f.predicate, f.object, f.modality,
                qualifiers=tuple((p, t) for p, t in f.qualifiers if p in _VERSION_PROPS))


def _digest_job(job: tuple[str, str]) -> _Digest:
    """Pass 1 of a build, for one article: extract it (or take it from the cache), leave the
    result where pass 3 finds it, and return its digest."""
    path, slug = job
    pack, cache, spill = _WORKER["pack"], _WORKER["cache"], _WORKER["spill"]
    f = Path(path)
    try:
        key = entry_key(f.read_bytes(), path, slug, pack.digest)
    except OSError:
        key = None  # read_document says why
    outcome = cache.get(key) if cache is not None and key else None
    cached = outcome is not None
    if outcome is None:
        try:
            doc = read_document(f, pack.cleaning, slug)
        except DocumentError as e:
            outcome = ("skip", Skipped(e.path, e.reason), 0)
        else:
            outcome = ("ok", _compact(extract_document(doc, pack)), len(doc.sentences))
        if key is not None:
            (cache or spill).put(key, outcome)
    kind, value, n_sentences = outcome
    if kind == "skip":
        return _Digest(path, slug, None, cached, skipped=value)
    r: DocResult = value
    return _Digest(path, slug, key, cached, n_sentences, name=_file_name(r.doc.path), meta=dict(r.doc.meta), claims=tuple(_claim(f) for f in r.facts),
                   entities=frozenset(entities_of([r])), counts=tuple(counts_of([r])),
                   unmatched=tuple((s.start, s.end, " ".join(s.text.split())) for s in r.unmatched))


# --- the streaming build: write ---------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """What pass 3 gives back for one article: its pieces of the four RDF files, its merged
    facts, and what the union (graph.ttl) and the validation need across articles."""

    facts: tuple[Fact, ...]
    nquads: bytes
    trig: bytes
    turtle: bytes
    jsonld: str
    union_triples: int  # the triples of its Turtle piece
    shared_cores: dict  # fact identity -> the node's own triples, for facts other articles also hold
    shared_plain: tuple  # plain triples other articles also hold
    validate: bool


def _write_job(job: tuple) -> _Written:
    """Pass 3 of a build, for one article: read its result back, rewrite its facts to the
    versions the plan chose, and make its named graph's pieces."""
    from .corroborate import rewrite

    path, slug, key, rewrites, shared_ids, shared_plain, validate = job
    r = _stored_result(path, slug, key)
    r = replace(r, facts=tuple(rewrite(r.facts, rewrites)))
    T, chunks = _WORKER["terms"], _WORKER["chunks"]
    ag = ArticleGraph(r, T)
    everything = list(ag.triples())
    nquads = chunks.nquads(ag.name, everything)
    union = dict.fromkeys(ag.article)
    for identity, own in ag.facts.items():
        if identity not in shared_ids:
            union.update(own)
    union.update((t, None) for k, t in ag.plain.items() if k not in shared_plain)
    return _Written(
        facts=r.facts, nquads=nquads, trig=chunks.trig(nquads), turtle=chunks.turtle(union),
        jsonld=chunks.jsonld(ag.name, everything), union_triples=len(union),
        shared_cores={i: tuple(own) for i, own in ag.facts.items() if i in shared_ids},
        shared_plain=tuple(t for k, t in ag.plain.items() if k in shared_plain), validate=validate)


def _stored_result(path: str, slug: str, key: str) -> DocResult:
    """An article's result as pass 1 left it (extracted again if it is gone: a full disk
    loses cache entries, never articles)."""
    pack = _WORKER["pack"]
    store = _WORKER["cache"] or _WORKER["spill"]
    got = store.get(key)
    if got is None:
        f = Path(path)
        try:
            same = entry_key(f.read_bytes(), path, slug, pack.digest) == key
        except OSError:
            same = False
        if not same:
            raise InputError(f"{shown(path)}: changed or removed while the build was running; build again")
        doc = read_document(f, pack.cleaning, slug)
        got = ("ok", _compact(extract_document(doc, pack)), len(doc.sentences))
    return got[1]


# --- the streaming build: the plan ------------------------------------------------------


class _Plan:
    """Pass 2: from the digests, the rewrite each article's facts need, and the fact nodes
    and plain triples that several articles share (graph.ttl holds those once)."""

    def __init__(self, digests: list[_Digest], sample: float):
        from .corroborate import Claims, identity, rewrite

        claims = Claims()
        for d in digests:
            claims.add(d.claims)
        self.rewrites, self.ids, self.plain = [], [], []
        id_count: Counter = Counter()
        plain_count: Counter = Counter()
        for d in digests:
            rw = claims.rewrites_for(d.claims)
            facts = rewrite(d.claims, rw)
            ids = [identity(f) for f in facts]
            plain = {(f.subject, f.predicate, f.object) for f in facts if f.modality in TRUTHY_MODALITIES}
            id_count.update(ids)
            plain_count.update(plain)
            self.rewrites.append(rw)
            self.ids.append(ids)
            self.plain.append(plain)
        self.shared_ids = {k for k, n in id_count.items() if n > 1}
        self.shared_plain = {k for k, n in plain_count.items() if n > 1}
        self.facts = sum(len(ids) for ids in self.ids)
        self.sample = sample

    def job(self, i: int, d: _Digest) -> tuple:
        return (d.path, d.slug, d.key, self.rewrites[i], frozenset(k for k in self.ids[i] if k in self.shared_ids),
                frozenset(k for k in self.plain[i] if k in self.shared_plain), _sampled(d.slug, self.sample))


def _sampled(slug: str, fraction: float) -> bool:
    """Whether the article is in a validation sample of about this fraction of articles
    (by a hash of its slug: the same articles in every build of the same input)."""
    if fraction >= 1:
        return True
    if fraction <= 0:
        return False
    return int(hashlib.sha256(slug.encode()).hexdigest()[:12], 16) < fraction * 16 ** 12


def _sample_fraction(shacl: str, facts: int) -> float:
    if shacl == "off":
        return 0.0
    if shacl == "full" or (shacl == "auto" and facts <= SHACL_SAMPLE_FACTS):
        return 1.0
    return min(1.0, SHACL_SAMPLE_FACTS / max(facts, 1))


# --- the streaming build ----------------------------------------------------------------


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
    shacl: str = "auto",
) -> BuildSummary:
    """Read articles, extract, build the dataset, validate it, write every output into out_dir.

    Network measures (PageRank, betweenness, communities) go into their own named graph,
    apart from the extracted facts. With base_iri, instance IRIs are minted under it.
    Extraction and writing run on `workers` processes (None: every core) and, unless cache
    is False, reuse the results of unchanged articles from cache_dir (default:
    out_dir/.kg-cache); neither changes a byte of the outputs. shacl_engine:
    kg/validate.py ENGINES (default rudof). shacl: "full" validates every article's graph,
    "sample" a sample of about SHACL_SAMPLE_FACTS facts' articles (and all that is made
    across articles), "auto" (default) the one or the other by size, "off" nothing; see
    kg.validate.validate_graph on scripts that call this with workers > 1.
    """
    from .validate import DEFAULT_ENGINE, check_engine

    if base_iri:
        from .iri import check_base

        check_base(base_iri)
    if shacl not in SHACL_MODES:
        raise InputError(f"unknown SHACL mode {shacl!r}; use one of {', '.join(SHACL_MODES)}")
    engine = shacl_engine or DEFAULT_ENGINE
    check_engine(engine)
    pack = load_pack(rules)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    folder = (Path(cache_dir) if cache_dir else out / CACHE_DIRNAME) if cache else None
    files = find_articles(paths)
    slugs = assign_slugs(files)
    workers = max(1, workers or default_workers())
    base = base_iri or BASE
    spill = None if folder is not None else Path(tempfile.mkdtemp(prefix=".kg-spill.", suffix=".tmp", dir=out))
    state = {"pack": pack, "cache": ExtractionCache(folder) if folder is not None else None,
             "spill": ExtractionCache(spill) if spill is not None else None,
             "terms": PlainTerms(base), "chunks": GraphChunks(prefixes_for_base(base), context_for_base(base))}
    try:
        with _pool(workers, len(files), state) as pool, _cyclic_gc_paused():
            return _build(pack, files, slugs, out, pool, workers, state, progress, engine, shacl)
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def _build(pack: RulePack, files: list[Path], slugs: dict, out: Path, pool, workers: int, state: dict,
           progress: Progress | None, engine: str, shacl: str) -> BuildSummary:
    from .analysis import summary as analyse
    from .corroborate import Article, FactMerger, report_section
    from .graph import fact_local
    from .render import render_html

    T, chunks = state["terms"], state["chunks"]
    # 1. extract, in path order
    jobs = [(str(f), slugs[f]) for f in files]
    digests: list[_Digest] = []
    for i, d in enumerate(_map(pool, _digest_job, jobs, workers)):
        if progress:
            progress(i, len(jobs), d.path)
        digests.append(d)
    read = [d for d in digests if d.skipped is None]
    in_path_order = list(read)
    skipped = [d.skipped for d in digests if d.skipped is not None]
    skipped += [Skipped(d.path, "no facts found (the article was read; no rule matched)") for d in read if not d.claims]
    # 2. plan, from the digests
    read.sort(key=lambda d: str(T.instance("art", d.slug)))  # the files list the graphs in IRI order
    plan = _Plan(read, _sample_fraction(shacl, sum(len(d.claims) for d in read)))
    # 3. write each article's graph, in IRI order
    dataset = DatasetFiles(out, chunks, context_for_base(T.base))
    merger = FactMerger()
    shared_cores: dict = {}
    shared_plain: dict = {}
    triples = 0
    validated: list[bytes] = []
    nodes: set | None = set() if plan.sample < 1 else None  # the fact nodes of a validated sample
    try:
        for i, w in enumerate(_map(pool, _write_job, [plan.job(i, d) for i, d in enumerate(read)], workers)):
            if progress:
                progress(i, len(read), "")
            dataset.add_graph(w.nquads, w.trig, w.jsonld)
            dataset.add_turtle(w.turtle)
            triples += w.union_triples
            merger.add(w.facts)
            for key, own in w.shared_cores.items():
                shared_cores.setdefault(key, {}).update(dict.fromkeys(own))
            shared_plain.update(dict.fromkeys(w.shared_plain))
            if w.validate:
                validated.append(w.nquads)
                if nodes is not None:
                    nodes.update(T.instance("fact", fact_local(f)) for f in w.facts)
        # 4. across articles
        facts = merger.facts()
        articles = {d.slug: Article(d.slug, d.name, d.meta.get("date") or None, d.meta.get("publisher") or None)
                    for d in read}
        meta = [(T.instance("art", d.slug), d.name, d.meta) for d in read]
        entity_ids = set().union(*(d.entities for d in read)) if read else set()
        counts = {c for d in read for c in d.counts}
        across = _Across(pack, T, facts, articles, {k: list(v) for k, v in shared_cores.items()}, entity_ids, counts, meta)
        union_extra = [t for own in shared_cores.values() for t in own] + list(shared_plain)
        dataset.add_turtle(chunks.turtle(union_extra))
        triples += len(set(union_extra))
        globals_ = across.graphs()
        for name, graph_triples in globals_:
            nquads = chunks.nquads(name, graph_triples)
            dataset.add_graph(nquads, chunks.trig(nquads), chunks.jsonld(name, graph_triples))
            dataset.add_turtle(chunks.turtle(graph_triples))
            triples += len(graph_triples)
        # SHACL on its own processes while the other files are written
        scope = "all" if plan.sample >= 1 else "none" if plan.sample <= 0 else f"{len(validated)} of {len(read)} articles"
        validating = _in_background(_validate, validated, nodes, globals_, shared_cores, engine, workers, T) \
            if plan.sample > 0 else None
        dataset.commit()
    except BaseException:
        dataset.discard()
        raise
    c, projection = across.corroboration, across.projection
    sources = {d.slug: d.name for d in read}
    analysis = analyse(projection)
    write_atomic(out / "facts.csv", facts_csv(c.facts, pack, sources))
    _write_with(out / "graph.graphml", write_graphml, projection)
    _write_with(out / "graph.gexf", write_gexf, projection)
    render_html(projection, out / "graph.html", title="Defence cooperation graph")
    validation = validating.result() if validating is not None else None
    summary = BuildSummary(
        out_dir=str(out),
        articles=len(read),
        sentences=sum(d.sentences for d in read),
        facts=len(c.facts),
        facts_per_relation=dict(sorted(Counter(f.predicate for f in c.facts).items())),
        facts_per_modality=dict(sorted(Counter(f.modality for f in c.facts).items())),
        entities=len({t.value for f in c.facts for t in (f.subject, f.object) if t.kind == "entity"}),
        triples=triples,
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        shacl_conforms=validation.conforms if validation else True,
        shacl_violations=validation.violations if validation else 0,
        unmatched_sentences=sum(len(d.unmatched) for d in read),
        outputs=tuple(str(out / name) for name in OUTPUTS),
        extracted=sum(not d.cached for d in digests),
        cached=sum(d.cached for d in digests),
        workers=workers if pool is not None else 1,
        shacl_scope=scope,
    )
    report = {
        "summary": _summary_dict(summary),
        "rule_pack": {"path": pack.path, "digest": pack.digest},
        "analysis": analysis,
        "unmatched": [{"source": sources[d.slug], "start": a, "end": b, "sentence": text}
                      for d in in_path_order for a, b, text in d.unmatched],
        "shacl": {"conforms": summary.shacl_conforms, "violations": summary.shacl_violations, "scope": scope},
        "corroboration": report_section(c, {i: e.labels.get("en", i) for i, e in pack.gazetteer.entities.items()}),
    }
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    write_atomic(out / "report.md", report_markdown(summary, report, validation.text if validation else "Not validated (--shacl off)."))
    return summary


def _write_with(path: Path, writer: Callable, graph) -> None:
    """writer(graph, file) into path, atomically."""
    from .export import AtomicWriter

    f = AtomicWriter(path)
    try:
        writer(graph, _TextOut(f))
        f.commit()
    except BaseException:
        f.discard()
        raise


class _TextOut:
    """A text face for an AtomicWriter (the XML writers write str)."""

    def __init__(self, f):
        self.f = f

    def write(self, text: str) -> None:
        self.f.write(text)


def _validate(validated: list[bytes], nodes: set | None, globals_: list, shared_cores: dict, engine: str, workers: int, T):
    """SHACL of the articles validated and of what is made across articles
    (:func:`kg.validate.validate_ntriples`). nodes None: every article was validated, and
    this is the whole graph. Else the fact nodes of the sampled articles: their facts are
    validated with what other articles say of them, and of the corroboration graph the
    parts that name only them (a contradiction group is validated when all its facts are)."""
    from .validate import validate_ntriples

    lines = [line for chunk in validated for line in _nq_to_nt(chunk)]
    for own in shared_cores.values():
        if nodes is None or next(iter(own))[0] in nodes:
            lines.extend(nt_line(*t) for t in own)
    corroboration = T.instance("graph", "corroboration")
    for name, graph_triples in globals_:
        if nodes is not None and name == corroboration:
            graph_triples = _naming_only(graph_triples, nodes, T)
        lines.extend(nt_line(*t) for t in graph_triples)
    return validate_ntriples("".join(dict.fromkeys(lines)), engine=engine, workers=workers)


def _naming_only(triples: list[tuple], nodes: set, T) -> list[tuple]:
    """The corroboration triples about the fact nodes in ``nodes``, the contradiction groups
    whose facts are all in it, and the graph's description of itself."""
    from rdflib.namespace import RDF

    from .vocab import KG

    member, a, contradiction = str(KG.conflictingFact), str(RDF.type), str(KG.Contradiction)
    groups: dict[str, set] = {}
    for s, p, o in triples:
        if p == member:
            groups.setdefault(s, set()).add(o)
        elif p == a and o == contradiction:
            groups.setdefault(s, set())
    whole = {g for g, members in groups.items() if members <= nodes}
    facts = T.instance("fact", "")
    return [t for t in triples if t[0] in nodes or t[0] in whole or (t[0] not in groups and not t[0].startswith(facts))]


def _nq_to_nt(nquads: bytes) -> Iterator[str]:
    """The N-Triples lines of sorted N-Quads lines of one named graph (the graph name dropped)."""
    for line in nquads.decode("utf-8").split("\n"):  # not splitlines(): \u2028 may sit in a literal
        if line:
            yield line[: line.rindex(" <")] + " .\n"


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off for the block, as it was after. A build makes millions of
    long-lived objects (facts, terms, records) and few cycles, and each full collection walks
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
    scope = report.get("shacl", {}).get("scope", "all")
    head = "" if scope == "all" else f"Validated: {scope} (chosen by a hash of their names), and everything made across articles that names only them.\n\n"
    lines += ["", "## SHACL validation", "", head + "```", shacl_text.strip(), "```", ""]
    return "\n".join(lines)
