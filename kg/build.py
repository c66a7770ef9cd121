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
import itertools
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
from .query import STORE_DIRNAME
from .documents import Document, assign_slugs, find_articles, read_document, shown
from .errors import DocumentError, InputError
from .export import DatasetFiles, GraphChunks, context_for_base, prefixes_for_base, write_atomic
from .extract import DocResult, Evidence, Fact, extract_document
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
SHACL_SAMPLE_FACTS = 5_000
# a report lists at most this many of each list (timeline, unmatched sentences, multi-source
# facts, contradiction groups and their facts), with the totals: the files hold everything
REPORT_ROWS = 1_000
REPORT_GROUP_FACTS = 20  # facts listed per contradiction group (a claim dated differently by 900 articles)


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
    timings: dict = field(default_factory=dict, compare=False)  # phase -> seconds (wall), in order
    main_cpu: dict = field(default_factory=dict, compare=False)  # phase -> CPU seconds of the build's own process


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
        from .corroborate import identity
        from .graph import fact_local

        T, c = self.T, self.corroboration
        key = identity(f)
        node = T.instance("fact", fact_local(f))
        core = cores.get(key) or list(fact_core_triples(f, T, node))
        return _fact_record(f, node, core, c.confidence[key], c.sources[key], member_of.get(node, ()), T)

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
    key: tuple | None  # where its result waits: ("cache", key) or ("spill", file, offset, size); None if skipped
    cached: bool
    sentences: int = 0
    skipped: Skipped | None = None
    name: str = ""  # the file's name as the graph records it (kg:fileName)
    meta: dict = field(default_factory=dict)
    claims: tuple[Fact, ...] = ()  # its facts reduced to what the plan reads (:func:`_claim`)
    entities: frozenset = frozenset()
    counts: tuple[str, ...] = ()
    unmatched: tuple[tuple[int, int, str], ...] = ()  # (start, end, sentence) of sentences no rule matched


# what a claim keeps of a fact's qualifiers: its version (kg/corroborate.py) and its supplier
_CLAIM_PROPS = frozenset({"kg:date", "kg:quantity", "kg:dateModifier", "kg:datePeriod", "kg:supplier"})


def _claim(f: Fact) -> Fact:
    """A fact reduced to what the plan reads: its claim and identity, status and supplier
    (for contradictions), and of each piece of evidence the article, sentence and rule (for
    confidence)."""
    evidence = sorted({Evidence(e.article, "", e.sentence_index, 0, 0, "", e.rule, "") for e in f.evidence})
    return Fact(f.subject, f.predicate, f.object, f.modality, status=f.status,
                qualifiers=tuple((p, t) for p, t in f.qualifiers if p in _CLAIM_PROPS), evidence=tuple(evidence))


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
        if key is not None and cache is not None:
            cache.put(key, outcome)
    kind, value, n_sentences = outcome
    if kind == "skip":
        return _Digest(path, slug, None, cached, skipped=value)
    r: DocResult = value
    where = ("cache", key) if cache is not None else ("spill", *spill.put(outcome))
    return _Digest(path, slug, where, cached, n_sentences, name=_file_name(r.doc.path), meta=dict(r.doc.meta),
                   claims=tuple(_claim(f) for f in r.facts), entities=frozenset(entities_of([r])),
                   counts=tuple(counts_of([r])),
                   unmatched=tuple((s.start, s.end, " ".join(s.text.split())) for s in r.unmatched))


# --- the streaming build: the plan ------------------------------------------------------


class _Plan:
    """Pass 2, in this process, from the digests alone: the rewrite each article's facts
    need, the facts merged across articles as claims (no sentences), the fact nodes and plain
    triples that several articles share (graph.ttl holds those once), the contradictions,
    the confidence of the facts several articles share, and the entity projection with its
    measures (made from the claims: everything but the evidence sentences)."""

    def __init__(self, pack: RulePack, digests: list[_Digest], T, sample: float):
        from .analysis import Conflict, Projection, article_parts, entity_nodes
        from .analysis import Evidence as Source
        from .corroborate import (Article, Claims, Corroboration, FactMerger, confidence, contradiction_nodes,
                                  contradictions, identity, precision_table, rewrite, source_count)
        from .graph import fact_local

        self.T, self.sample, self.precision = T, sample, precision_table(pack)
        claims = Claims()
        for d in digests:
            claims.add(d.claims)
        self.rewrites, self.ids, self.plain = [], [], []
        merger = FactMerger()
        plain_count: Counter = Counter()
        for d in digests:
            rw = claims.rewrites_for(d.claims)
            facts = rewrite(d.claims, rw)
            merger.add(facts)
            plain = {(f.subject, f.predicate, f.object) for f in facts if f.modality in TRUTHY_MODALITIES}
            plain_count.update(plain)
            self.rewrites.append(rw)
            self.ids.append([identity(f) for f in facts])
            self.plain.append(plain)
        self.facts = merger.facts()  # as claims: every fact once, its evidence from every article
        self.tally = {"facts": len(self.facts),  # what the summary counts of them
                      "facts_per_relation": dict(sorted(Counter(f.predicate for f in self.facts).items())),
                      "facts_per_modality": dict(sorted(Counter(f.modality for f in self.facts).items())),
                      "entities": len({t.value for f in self.facts for t in (f.subject, f.object) if t.kind == "entity"})}
        locals_ = [fact_local(f) for f in self.facts]
        self.articles = {d.slug: Article(d.slug, d.name, d.meta.get("date") or None, d.meta.get("publisher") or None)
                         for d in digests}
        self.shared = {identity(f): f for f in self.facts if len({e.article for e in f.evidence}) > 1}
        self.shared_plain = {k for k, n in plain_count.items() if n > 1}
        groups = contradictions(self.facts, self.articles, locals_)
        scored = {identity(f): f for g in groups for f in g.facts}
        scored.update(self.shared)
        # confidence here only for what is scored across articles; each article's workers
        # score the facts only it holds
        self.corroboration = Corroboration(
            tuple(scored.values()), {k: confidence(f, self.precision, self.articles) for k, f in scored.items()},
            {k: source_count(f, self.articles) for k, f in scored.items()}, tuple(groups), self.articles)
        conflicts, self.conflicts_of = {}, {}
        for node, members, x in contradiction_nodes(self.corroboration, T):
            conflicts[node] = Conflict(tuple(sorted(k.value for k in x.kinds)), tuple(sorted(members)))
            for f in x.facts:
                self.conflicts_of.setdefault(identity(f), []).append(node)
        self.entity_ids = sorted(set().union(*(d.entities for d in digests))) if digests else []
        self.counts = sorted({c for d in digests for c in d.counts})
        names, info = article_parts((T.instance("art", d.slug), d.name, d.meta) for d in digests)
        sources = {d.slug: (Source("", T.instance("art", d.slug), "", None, None),) for d in digests}
        records = sorted(map(self._light_record, self.facts, locals_, itertools.repeat(sources)), key=lambda r: r.iri)
        self.projection = Projection.of(nodes=entity_nodes(pack, self.entity_ids, self.counts, T), facts=records,
                                        conflicts=conflicts, article_names=names, article_info=info)

    def _light_record(self, f: Fact, local: str, sources: dict):
        """The fact's record without its sentences, spans and qualifiers: what the summary,
        the timeline and the network measures read."""
        from .analysis import FactRecord
        from .corroborate import identity
        from .graph import Lit

        T = self.T
        obj = T.term(f.object)
        date = f.qualifier("kg:date")
        arts = {e.article for e in f.evidence}
        evidence = sources[next(iter(arts))] if len(arts) == 1 else tuple(sorted(x for a in arts for x in sources[a]))
        return FactRecord(
            iri=T.instance("fact", local), subject=T.term(f.subject), predicate=f.predicate,
            object=obj.lexical if isinstance(obj, Lit) else obj, object_is_literal=isinstance(obj, Lit),
            modality=f.modality, date=T.term(date).lexical if date is not None else None, evidence=evidence,
            qualifiers=(), conflicts=tuple(sorted(self.conflicts_of.get(identity(f), ()))))

    def forget_articles(self) -> None:
        """Drop what :meth:`job` reads of each article, once its jobs are made (the jobs hold
        it), and the merged claims (the projection, the corroboration and the tally keep what
        is read of them later)."""
        self.ids = self.plain = self.rewrites = self.facts = self.shared = None

    def job(self, i: int, d: _Digest, wanted: frozenset = frozenset()) -> tuple:
        """What pass 3 (or pass 4, for the records of ``wanted`` fact nodes) needs for article i."""
        ids = self.ids[i]
        return (d.path, d.slug, d.key, d.name, d.meta, self.rewrites[i],
                frozenset(k for k in ids if k in self.shared),
                frozenset(k for k in self.plain[i] if k in self.shared_plain),
                {k: tuple(self.conflicts_of[k]) for k in ids if k in self.conflicts_of},
                _sampled(d.slug, self.sample), wanted)


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


# --- the streaming build: write ---------------------------------------------------------


class _Article:
    """One article as pass 3 and pass 4 read it back: its result, rewritten to the versions
    the plan chose, its graph, and its facts' records."""

    def __init__(self, job: tuple):
        from .corroborate import Article, identity, rewrite

        path, slug, key, name, meta, rewrites, self.shared, self.shared_plain, self.conflicts, self.validate, \
            self.wanted = job
        r = _stored_result(path, slug, key)
        self.result = r = replace(r, facts=tuple(rewrite(r.facts, rewrites)))
        self.T, self.chunks, self.pack = _WORKER["terms"], _WORKER["chunks"], _WORKER["pack"]
        self.graph = ArticleGraph(r, self.T)
        self.name = name
        self.article = {slug: Article(slug, name, meta.get("date") or None, meta.get("publisher") or None)}
        self.identity = identity

    def own(self) -> Iterator[tuple]:
        """(fact, identity, node) of the facts no other article holds."""
        for f in self.result.facts:
            key = self.identity(f)
            if key not in self.shared:
                yield f, key, next(iter(self.graph.facts[key]))[0]

    def record(self, f: Fact, key: tuple, node: str, confidence: float):
        return _fact_record(f, node, self.graph.facts[key], confidence, 1, self.conflicts.get(key, ()), self.T)


@dataclass(frozen=True)
class _Written:
    """What pass 3 gives back for one article: its pieces of the output files, and what the
    union (graph.ttl), the page and the validation need across articles."""

    graph: tuple  # (N-Quads, TriG, Turtle, JSON-LD) of its named graph
    corroboration: tuple  # the same of the corroboration triples of the facts only it holds
    csv: list  # facts.csv rows of those facts
    graphml: str  # their edges
    gexf: str
    union_triples: int  # the triples of its Turtle piece
    shared_facts: tuple  # its facts that other articles also hold, rewritten
    shared_cores: dict  # fact identity -> the node's own triples, for those facts
    shared_plain: tuple  # plain triples other articles also hold
    trust: list  # (confidence, fact node, subject, object) of the facts only it holds
    validate: bool


def _write_job(job: tuple) -> _Written:
    """Pass 3 of a build, for one article: its named graph's pieces of the four RDF files,
    and, for the facts no other article holds, their confidence (corroboration graph), rows
    of facts.csv and edges of graph.graphml and graph.gexf."""
    from .corroborate import confidence
    from .export import GEXF, GraphML, edge_attrs, fact_row
    from .vocab import KG

    a = _Article(job)
    g, T, chunks = a.graph, a.T, a.chunks
    union = dict.fromkeys(g.article)
    for key, own in g.facts.items():
        if key not in a.shared:
            union.update(own)
    union.update((t, None) for k, t in g.plain.items() if k not in a.shared_plain)
    corroboration, rows, graphml, gexf, trust = [], [], [], [], []
    sources = {a.result.doc.slug: a.name}
    for f, key, node in a.own():
        score = confidence(f, _WORKER["precision"], a.article)
        corroboration.append((node, T.v(KG.confidence), T.typed(_decimal(score), "decimal")))
        corroboration.append((node, T.v(KG.sourceCount), T.integer(1)))
        rows.append(fact_row(f, a.pack, sources, node.rsplit("/", 1)[1]))
        trust.append((score, node, T.term(f.subject), T.term(f.object)))
        if f.object.kind in ("entity", "count"):
            r = a.record(f, key, node, score)
            attrs = edge_attrs(r)
            graphml.append(GraphML.edge(r.subject, r.object, r.iri, attrs))
            gexf.append(GEXF.edge(r.subject, r.object, r.iri, attrs))
    return _Written(
        graph=chunks.pieces(g.name, g.triples(), union),
        corroboration=chunks.pieces(T.instance("graph", "corroboration"), corroboration) if corroboration else None,
        csv=rows, graphml="".join(graphml), gexf="".join(gexf), union_triples=len(union) + len(corroboration),
        shared_facts=tuple(f for f in a.result.facts if a.identity(f) in a.shared),
        shared_cores={k: tuple(own) for k, own in g.facts.items() if k in a.shared},
        shared_plain=tuple(t for k, t in g.plain.items() if k in a.shared_plain),
        trust=trust, validate=a.validate)


def _records_job(job: tuple) -> list:
    """Pass 4, for the page: the records of the article's facts the page shows (``wanted``
    fact nodes, none of them held by another article)."""
    from .corroborate import confidence

    a = _Article(job)
    return [a.record(f, key, node, confidence(f, _WORKER["precision"], a.article))
            for f, key, node in a.own() if node in a.wanted]


def _decimal(x: float) -> str:
    from .corroborate import _decimal as four_places

    return four_places(x)


def _stored_result(path: str, slug: str, where: tuple) -> DocResult:
    """An article's result as pass 1 left it (extracted again if it is gone: a full disk
    loses cache entries, never articles)."""
    pack = _WORKER["pack"]
    if where[0] == "spill":
        return _WORKER["spill"].get(where[1:])[1]
    got = _WORKER["cache"].get(where[1])
    if got is None:
        f = Path(path)
        try:
            same = entry_key(f.read_bytes(), path, slug, pack.digest) == where[1]
        except OSError:
            same = False
        if not same:
            raise InputError(f"{shown(path)}: changed or removed while the build was running; build again")
        doc = read_document(f, pack.cleaning, slug)
        got = ("ok", _compact(extract_document(doc, pack)), len(doc.sentences))
    return got[1]


class _Spill:
    """Where pass 1 leaves the results pass 3 reads when there is no cache: each process
    appends its results to a file of its own (one file per process, not one per article),
    and gives where each lies."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._out = None
        self._in: dict[str, object] = {}

    def put(self, value) -> tuple[str, int, int]:
        import pickle

        if self._out is None or self._out[0] != os.getpid():  # (a forked process opens its own)
            path = self.folder / f"{os.getpid()}.bin"
            self._out = (os.getpid(), path, open(path, "ab"))
        _pid, path, fh = self._out
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        offset = fh.tell()
        fh.write(data)
        fh.flush()  # another process reads it in pass 3
        return str(path), offset, len(data)

    def get(self, where: tuple):
        import pickle

        path, offset, size = where
        fh = self._in.get(path)
        if fh is None:
            fh = self._in[path] = open(path, "rb")
        return pickle.loads(os.pread(fh.fileno(), size, offset))


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
    from .corroborate import precision_table
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
    _prepare(pack)  # before the workers are forked, so each does not do it again
    state = {"pack": pack, "cache": ExtractionCache(folder) if folder is not None else None,
             "spill": _Spill(spill) if spill is not None else None, "precision": precision_table(pack),
             "terms": PlainTerms(base), "chunks": GraphChunks(prefixes_for_base(base), context_for_base(base))}
    try:
        with _pool(workers, len(files), state) as pool, _cyclic_gc_paused():
            return _build(pack, files, slugs, out, pool, workers, state, progress, engine, shacl)
    finally:
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)


def _prepare(pack: RulePack) -> None:
    """Compile what extraction compiles lazily (the pattern prefilter and sentence gate)."""
    from .extract import _gate

    _gate(pack)


class _Outputs:
    """The files a build writes as it goes, each put in place at the end (atomically) or
    dropped if the build fails: the four RDF files (:class:`~kg.export.DatasetFiles`),
    facts.csv, graph.graphml, graph.gexf, and the corroboration graph's pieces, held apart
    until the article graphs are all written."""

    def __init__(self, out: Path, chunks: GraphChunks, context: dict):
        from .export import AtomicWriter

        self.dataset = DatasetFiles(out, chunks, context)
        self.csv, self.graphml, self.gexf = (AtomicWriter(out / n) for n in ("facts.csv", "graph.graphml", "graph.gexf"))
        self.corroboration = [tempfile.TemporaryFile(dir=out) for _ in range(4)]

    def add_corroboration(self, pieces: tuple) -> None:
        nquads, trig, turtle, jsonld = pieces
        nq, tg, tt, js = self.corroboration
        nq.write(nquads)
        tg.write(trig)
        tt.write(turtle)
        if jsonld:
            js.write(((",\n" if js.tell() else "") + jsonld).encode("utf-8"))

    def close_corroboration(self) -> None:
        """Append the corroboration graph's pieces to the four RDF files (in TriG and JSON-LD
        one block per article: a graph named twice is one graph)."""
        for f, name in zip(self.corroboration, DatasetFiles.NAMES):
            size = f.tell()
            f.seek(0)
            if name == "graph.jsonld":
                if size:
                    self.dataset.add_jsonld_from(f)
            else:
                self.dataset.files[name].copy_from(f)
            f.close()

    def all(self) -> list:
        return [self.csv, self.graphml, self.gexf]

    def commit(self) -> None:
        self.dataset.commit()
        for f in self.all():
            f.commit()

    def discard(self) -> None:
        self.dataset.discard()
        for f in self.all():
            f.discard()
        for f in self.corroboration:
            f.close()


def _build(pack: RulePack, files: list[Path], slugs: dict, out: Path, pool, workers: int, state: dict,
           progress: Progress | None, engine: str, shacl: str) -> BuildSummary:
    import heapq

    from .analysis import analysis_graph_triples, summary as analyse
    from .corroborate import FactMerger, corroboration_triples, identity, report_section
    from .export import GEXF, GraphML, csv_rows, fact_row, tool_nodes
    from .render import MAX_PAGE_FACTS, page_projection, render_html

    T, chunks = state["terms"], state["chunks"]
    clock = _Clock()
    # 1. extract, in path order
    jobs = [(str(f), slugs[f]) for f in files]
    digests: list[_Digest] = []
    for i, d in enumerate(_map(pool, _digest_job, jobs, workers)):
        if progress:
            progress(i, len(jobs), d.path)
        digests.append(d)
    read = [d for d in digests if d.skipped is None]
    # the report lists the first REPORT_ROWS unmatched sentences in path order and counts the rest
    unmatched_total, listed = sum(len(d.unmatched) for d in read), 0
    for i, d in enumerate(read):
        if listed >= REPORT_ROWS and d.unmatched:
            read[i] = replace(d, unmatched=())
        listed += len(d.unmatched)
    in_path_order = list(read)
    skipped = [d.skipped for d in digests if d.skipped is not None]
    skipped += [Skipped(d.path, "no facts found (the article was read; no rule matched)") for d in read if not d.claims]
    extracted, cached = sum(not d.cached for d in digests), sum(d.cached for d in digests)
    del digests  # (`read` and `in_path_order` hold the articles read; their claims go after the plan)
    clock.lap("extract")
    # 2. plan, from the digests
    read.sort(key=lambda d: T.instance("art", d.slug))  # the files list the graphs in IRI order
    plan = _Plan(pack, read, T, _sample_fraction(shacl, sum(len(d.claims) for d in read)))
    p = plan.projection
    jobs = [plan.job(i, d) for i, d in enumerate(read)]
    plan.forget_articles()
    # the plan holds the facts merged across articles; each article's claims are done with
    read = [replace(d, claims=(), entities=frozenset()) for d in read]
    in_path_order = [replace(d, claims=(), entities=frozenset()) for d in in_path_order]
    clock.lap("plan")
    # 3. write each article's graph, in IRI order
    outs = _Outputs(out, chunks, context_for_base(T.base))
    shared = FactMerger()
    shared_cores: dict = {}
    shared_plain: dict = {}
    triples = 0
    validated: list[bytes] = []
    nodes: set | None = set() if plan.sample < 1 else None  # the fact nodes of a validated sample
    page: list = []  # a heap of the page's facts, the MAX_PAGE_FACTS most trusted (kg/render.py _trust), with
    # where each is: the index of the one article that holds it, or (batch, place) of a fact several hold
    rank = p.pagerank

    def offer(score: float, node: str, s, o, where) -> None:
        item = (float(f"{score:.4f}"), rank.get(s, 0.0) + rank.get(o, 0.0), _Reversed(node), where)
        if len(page) < MAX_PAGE_FACTS:
            heapq.heappush(page, item)
        elif item > page[0]:
            heapq.heapreplace(page, item)

    try:
        tools = list(tool_nodes(p))
        outs.csv.write(csv_rows((), header=True))
        outs.graphml.write(GraphML.head(tools))
        outs.gexf.write(GEXF.head(tools))
        for i, w in enumerate(_map(pool, _write_job, jobs, workers)):
            if progress:
                progress(i, len(read), "")
            nquads, trig, turtle, jsonld = w.graph
            outs.dataset.add_graph(nquads, trig, jsonld)
            outs.dataset.add_turtle(turtle)
            if w.corroboration:
                outs.add_corroboration(w.corroboration)
            outs.csv.write(csv_rows(w.csv))
            outs.graphml.write(w.graphml)
            outs.gexf.write(w.gexf)
            triples += w.union_triples
            shared.add(w.shared_facts)
            for key, own in w.shared_cores.items():
                shared_cores.setdefault(key, {}).update(dict.fromkeys(own))
            shared_plain.update(dict.fromkeys(w.shared_plain))
            for score, node, s, o in w.trust:
                offer(score, node, s, o, i)
            if w.validate:
                validated.append(nquads)
                if w.corroboration:
                    validated.append(w.corroboration[0])
                if nodes is not None:
                    nodes.update(node for _s, node, _x, _o in w.trust)
                    nodes.update(next(iter(own))[0] for own in w.shared_cores.values())
        clock.lap("write articles")
        # 4. across articles: the facts several articles hold, the graphs made across articles
        c = plan.corroboration
        # the facts several articles hold: merged here, their rows, edges and corroboration made on the workers
        names = {d.slug: d.name for d in read}
        batches = _shared_batches(shared.facts(), shared_cores, plan, names)
        del shared
        for b, (rows, graphml, gexf, corroboration, turtle, offers) in enumerate(_map(pool, _shared_job, batches, workers)):
            outs.csv.write(csv_rows(rows))
            outs.graphml.write(graphml)
            outs.gexf.write(gexf)
            outs.add_corroboration(corroboration)
            outs.dataset.add_turtle(turtle)
            for j, (score, node, s, o) in enumerate(offers):
                offer(score, node, s, o, (b, j))
        outs.graphml.write(GraphML.tail)
        outs.gexf.write(GEXF.tail)
        outs.dataset.add_turtle(chunks.turtle_of(shared_plain))
        triples += sum(len(own) for own in shared_cores.values()) + 2 * len(shared_cores) + len(shared_plain)
        across = replace(c, facts=())  # (the confidence of the shared facts came with their batches)
        globals_ = [(T.instance("graph", "analysis"), list(dict.fromkeys(analysis_graph_triples(p, T)))),
                    (T.instance("graph", "entities"), list(entity_graph_triples(pack, plan.entity_ids, plan.counts, T)))]
        for name, graph_triples in globals_:
            nquads, trig, turtle, jsonld = chunks.pieces(name, graph_triples)
            outs.dataset.add_graph(nquads, trig, jsonld)
            outs.dataset.add_turtle(turtle)
            triples += len(graph_triples)
        corroboration = list(dict.fromkeys(corroboration_triples(across, T)))
        outs.add_corroboration(chunks.pieces(T.instance("graph", "corroboration"), corroboration))
        triples += len(corroboration)
        outs.close_corroboration()
        clock.lap("across articles")
        # SHACL on its own processes while the page and the reports are made
        scope = "all" if plan.sample >= 1 else "none" if plan.sample <= 0 else f"{sum(1 for d in read if _sampled(d.slug, plan.sample))} of {len(read)} articles"
        globals_.append((T.instance("graph", "corroboration"), corroboration))
        validating = _validate(_shacl_text(validated, nodes, globals_, shared_cores, T), engine) \
            if plan.sample > 0 else None
        outs.commit()
        shutil.rmtree(out / STORE_DIRNAME, ignore_errors=True)  # `kg query`'s store of the files just replaced
    except BaseException:
        outs.discard()
        raise
    # 5. the page: its facts' records, from the articles that hold them (pass 4)
    chosen = sorted(page, reverse=True)
    records = {}
    for _s, _r, node, where in chosen:
        if not isinstance(where, int):  # (batch, place) of a fact several articles hold
            f, _key, core, score, n, conflicts = batches[where[0]][0][where[1]]
            records[node.value] = _shared_record(f, core, score, n, conflicts, T)
    wanted: dict[int, set] = {}
    for _score, _rank, node, where in chosen:
        if isinstance(where, int):
            wanted.setdefault(where, set()).add(node.value)
    jobs4 = [(*jobs[i][:-1], frozenset(ns)) for i, ns in sorted(wanted.items())]
    for found in _map(pool, _records_job, jobs4, workers):
        records.update((r.iri, r) for r in found)
    shown, notes = page_projection(p, [records[node.value] for _s, _r, node, _w in chosen], len(p.facts))
    render_html(shown, out / "graph.html", title="Defence cooperation graph", notes=notes)
    clock.lap("graph.html")
    analysis = analyse(p, limit=REPORT_ROWS)
    clock.lap("analysis")
    validation = validating.result() if validating is not None else None
    clock.lap("waiting for SHACL")
    summary = BuildSummary(
        out_dir=str(out),
        articles=len(read),
        sentences=sum(d.sentences for d in read),
        **plan.tally,
        triples=triples,
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        shacl_conforms=validation.conforms if validation else True,
        shacl_violations=validation.violations if validation else 0,
        unmatched_sentences=unmatched_total,
        outputs=tuple(str(out / name) for name in OUTPUTS),
        extracted=extracted,
        cached=cached,
        workers=workers if pool is not None else 1,
        shacl_scope=scope,
        timings=clock.laps,
        main_cpu=clock.cpu,
    )
    report = {
        "summary": _summary_dict(summary),
        "rule_pack": {"path": pack.path, "digest": pack.digest},
        "analysis": analysis,
        "unmatched": [{"source": d.name, "start": a, "end": b, "sentence": text}
                      for d in in_path_order for a, b, text in d.unmatched][:REPORT_ROWS],
        "unmatched_total": summary.unmatched_sentences,
        "shacl": {"conforms": summary.shacl_conforms, "violations": summary.shacl_violations, "scope": scope},
        "corroboration": report_section(c, {i: e.labels.get("en", i) for i, e in pack.gazetteer.entities.items()},
                                        limit=REPORT_ROWS, group_limit=REPORT_GROUP_FACTS),
    }
    write_atomic(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    write_atomic(out / "report.md", report_markdown(summary, report, validation.text if validation else "Not validated (--shacl off)."))
    clock.lap("reports")
    return summary


class _Reversed:
    """A fact IRI that sorts backwards: in the page's heap (largest first) the smallest IRI
    wins a tie, as kg/render.py orders facts."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __lt__(self, other: "_Reversed") -> bool:
        return self.value > other.value

    def __eq__(self, other) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def _shared_batches(facts: list[Fact], cores: dict, plan: _Plan, names: dict, size: int = 256) -> list[tuple]:
    """The facts several articles hold, in batches for :func:`_shared_job`: each fact with its
    node's triples in all its articles, its confidence, its number of sources and its
    contradiction groups, and the names of the articles they come from."""
    from .corroborate import identity

    c = plan.corroboration
    batches, batch = [], []
    for f in facts:
        key = identity(f)
        batch.append((f, key, tuple(cores[key]), c.confidence[key], c.sources[key], tuple(plan.conflicts_of.get(key, ()))))
        if len(batch) >= size:
            batches.append((batch, names))
            batch = []
    if batch:
        batches.append((batch, names))
    return batches


def _shared_job(job: tuple) -> tuple:
    """For a batch of facts several articles hold: their facts.csv rows, GraphML and GEXF
    edges, corroboration pieces and Turtle (their nodes once, in the union), and what the
    page's heap weighs them by (with what makes their record, if the page shows one)."""
    from .export import GEXF, GraphML, edge_attrs, fact_row
    from .vocab import KG

    batch, names = job
    T, chunks, pack = _WORKER["terms"], _WORKER["chunks"], _WORKER["pack"]
    rows, graphml, gexf, corroboration, union, offers = [], [], [], [], [], []
    confidence_, count = T.v(KG.confidence), T.v(KG.sourceCount)
    for f, key, core, score, n, conflicts in batch:
        node = core[0][0]
        rows.append(fact_row(f, pack, names, node.rsplit("/", 1)[1]))
        if f.object.kind in ("entity", "count"):
            r = _shared_record(f, core, score, n, conflicts, T)
            attrs = edge_attrs(r)
            graphml.append(GraphML.edge(r.subject, r.object, r.iri, attrs))
            gexf.append(GEXF.edge(r.subject, r.object, r.iri, attrs))
        corroboration += [(node, confidence_, T.typed(_decimal(score), "decimal")), (node, count, T.integer(n))]
        union.extend(core)
        offers.append((score, node, T.term(f.subject), T.term(f.object)))
    return (rows, "".join(graphml), "".join(gexf), chunks.pieces(T.instance("graph", "corroboration"), corroboration),
            chunks.turtle_of(union), offers)


def _shared_record(f: Fact, core, score: float, sources: int, conflicts, T):
    """The record of a fact several articles hold: its node's triples in all of them, all its evidence."""
    return _fact_record(f, core[0][0], core, score, sources, conflicts, T)


def _fact_record(f: Fact, node: str, core, score: float, sources: int, conflicts, T):
    """The record (kg.analysis.fact_record) of fact f at ``node``: its node's own triples
    ``core``, all its evidence, its confidence ``score``, its number of sources and its
    contradiction groups."""
    from .analysis import Evidence, fact_record

    evidence = [Evidence(e.sentence, T.instance("art", e.article), e.rule, e.start, e.end) for e in f.evidence]
    extra = (("kg:confidence", _decimal(score)), ("kg:sourceCount", str(sources)))
    return fact_record(node, core, evidence, extra, conflicts)


class _Clock:
    """Wall time of a build's phases, and the CPU time this process spent in each (the rest
    of a phase is the workers' or waiting), for `kg build --timings` and the benchmarks."""

    def __init__(self) -> None:
        import time

        self._now, self._cpu = time.perf_counter, time.process_time
        self._last, self._last_cpu = self._now(), self._cpu()
        self.laps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now, cpu = self._now(), self._cpu()
        self.laps[phase] = round(self.laps.get(phase, 0.0) + now - self._last, 3)
        self.cpu[phase] = round(self.cpu.get(phase, 0.0) + cpu - self._last_cpu, 3)
        self._last, self._last_cpu = now, cpu


def _shacl_text(validated: list[bytes], nodes: set | None, globals_: list, shared_cores: dict, T) -> str:
    """What SHACL validates, as N-Triples: the articles validated and what is made across
    articles. nodes None: every article was validated, and this is the whole graph. Else the
    fact nodes of the sampled articles: their facts are validated with what other articles
    say of them, and of the corroboration graph the parts that name only them (a
    contradiction group is validated when all its facts are)."""
    lines = [line for chunk in validated for line in _nq_to_nt(chunk)]
    for own in shared_cores.values():
        if nodes is None or next(iter(own))[0] in nodes:
            lines.extend(nt_line(*t) for t in own)
    corroboration = T.instance("graph", "corroboration")
    for name, graph_triples in globals_:
        if nodes is not None and name == corroboration:
            graph_triples = _naming_only(graph_triples, nodes, T)
        lines.extend(nt_line(*t) for t in graph_triples)
    return "".join(dict.fromkeys(lines))


# a graph of more lines than this is validated on a process of its own (the index its parts
# are cut from holds a few KB per triple, which the build's own process need not hold)
SHACL_APART_TRIPLES = 20_000


def _validate(text: str, engine: str) -> Future:
    """SHACL of N-Triples text (kg.validate.validate_ntriples), going on while the build
    makes its page and reports: on a thread for a small graph, else on a spawned process
    (its parts one after another) that ends with the build."""
    from .validate import validate_ntriples

    if text.count("\n") < SHACL_APART_TRIPLES:
        return _in_background(validate_ntriples, text, engine=engine, workers=1)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=pool_worker_start, initargs=(os.getpid(),))
    future = pool.submit(validate_ntriples, text, engine=engine, workers=1)
    future.add_done_callback(lambda _f: pool.shutdown(wait=False))
    return future


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
        if a.get("timeline_total", len(tl)) > len(tl):
            lines += [f"The {len(tl)} most recent of {a['timeline_total']} dated facts (facts.csv has the date of every fact).", ""]
        for t in tl:
            lines.append(f"| {md_cell(t['date'])} | {md_cell(t['subject_label'])} | `{t['predicate']}` | {md_cell(t['object_label'])} | {t['modality']} | {md_cell(t['source'])} |")
    lines += ["", "## Sentences naming two or more known entities that no rule matched", "",
              "The curator's to-do list: each may hold a fact the rules miss.", ""]
    lines += [f"- {md_cell(u['source'])} [{u['start']}:{u['end']}]: {md_cell(u['sentence'])}" for u in report["unmatched"]] or ["None."]
    if report.get("unmatched_total", 0) > len(report["unmatched"]):
        lines.append(f"- ... and {report['unmatched_total'] - len(report['unmatched'])} more (`kg coverage` lists them all).")
    if report.get("corroboration"):
        from .corroborate import report_markdown as corroboration_markdown

        lines += corroboration_markdown(report["corroboration"])
    scope = report.get("shacl", {}).get("scope", "all")
    head = "" if scope == "all" else f"Validated: {scope} (chosen by a hash of their names), and everything made across articles that names only them.\n\n"
    lines += ["", "## SHACL validation", "", head + "```", shacl_text.strip(), "```", ""]
    return "\n".join(lines)
