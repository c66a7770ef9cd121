"""The `kg` command: parse options, call one library function, print, map errors to exit codes.

This is the only module that prints or exits.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional, Tuple

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import KGError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Build a knowledge graph of defence cooperation from news articles.")
rules_app = typer.Typer(no_args_is_help=True, help="Work with rule packs.")
app.add_typer(rules_app, name="rules")
out = Console(soft_wrap=True, emoji=False)
err = Console(stderr=True, soft_wrap=True, emoji=False)


class ResultFormat(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    xml = "xml"


class ShaclEngine(str, Enum):
    rudof = "rudof"
    pyshacl = "pyshacl"


class ShaclMode(str, Enum):
    auto = "auto"
    full = "full"
    sample = "sample"
    off = "off"


SHACL_MODE_HELP = ("What SHACL validates: full (every article's graph), sample (a sample of the articles of a "
                   "large build, chosen by a hash of their names, and all that is made across articles), "
                   "off, or auto (full up to 5,000 facts, else a sample of about 5,000 facts' articles).")
SHACL_ENGINE_HELP = "SHACL validator: rudof (fast, the default) or pyshacl (the reference implementation); same results."


class StoreKind(str, Enum):
    auto = "auto"
    rdflib = "rdflib"
    oxigraph = "oxigraph"


def _fail(e: KGError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(e))}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(e.exit_code)


def _version(value: bool) -> None:
    if value:
        out.print(f"kg {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit.")) -> None:
    """Build a knowledge graph of defence cooperation from news articles."""


@app.command()
def build(
    paths: List[Path] = typer.Argument(..., help="Article files (.txt, .md) or folders of them."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for graph.ttl, graph.trig, graph.jsonld, facts.csv, graph.html, report.md."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="A rule pack (folder of YAML files); default: the pack shipped with kg."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any input was skipped."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    base_iri: Optional[str] = typer.Option(None, "--base-iri", help="Base of instance IRIs (default https://w3id.org/defcoop/); ends with '/'."),
    workers: int = typer.Option(0, "--workers", "-j", min=0, help="Processes that extract articles and validate the graph (0: one per core); the output is the same for any number."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Extract every article again instead of reusing the results of unchanged ones."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Folder of the extraction cache (default: OUT/.kg-cache)."),
    shacl_engine: ShaclEngine = typer.Option(ShaclEngine.rudof, "--shacl-engine", help=SHACL_ENGINE_HELP),
    shacl: ShaclMode = typer.Option(ShaclMode.auto, "--shacl", help=SHACL_MODE_HELP),
    timings: bool = typer.Option(False, "--timings", help="Print the wall time of each phase of the build."),
) -> None:
    """Extract facts from articles and write the graph, the fact table, the HTML view and a report.

    Articles whose text, rule pack and kg version are unchanged since the last build into the
    same cache are not extracted again (--no-cache to force it).

    Example: kg build examples/articles --out build
    """
    from .build import build as run_build

    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True, disable=quiet) as bar:
            task = bar.add_task("reading articles", total=None)

            def progress(i: int, total: int, path: str) -> None:
                bar.update(task, total=total, completed=i, description=f"extracting {Path(path).name}" if path else "writing")

            summary = run_build(paths, out_dir, rules=rules, progress=progress, base_iri=base_iri,
                                workers=workers or None, cache=not no_cache, cache_dir=cache_dir,
                                shacl_engine=shacl_engine.value, shacl=shacl.value)
    except KGError as e:
        _fail(e)
    table = Table(title=f"kg build -> {summary.out_dir}", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (("articles", summary.articles), ("sentences", summary.sentences), ("facts", summary.facts),
                         ("entities", summary.entities), ("triples", summary.triples), ("skipped inputs", len(summary.skipped)),
                         ("SHACL", "conforms" if summary.shacl_conforms else f"{summary.shacl_violations} violations")):
        table.add_row(label, str(value))
    for pred, n in summary.facts_per_relation.items():
        table.add_row(f"  {pred}", str(n))
    out.print(table)
    for s in summary.skipped:
        err.print(f"skipped {s.path}: {s.reason}", highlight=False, markup=False)
    if not quiet:
        err.print(f"extracted {summary.extracted} articles on {summary.workers} "
                  f"worker{'s' if summary.workers != 1 else ''}, {summary.cached} from the cache", highlight=False, markup=False)
    if timings:
        for phase, seconds in summary.timings.items():
            err.print(f"{phase}: {seconds:.2f} s ({summary.main_cpu.get(phase, 0):.2f} s CPU in this process)",
                      highlight=False, markup=False)
    if strict and summary.skipped:
        raise typer.Exit(1)


@app.command()
def query(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file (.ttl, .trig, .nq, .nt, .jsonld)."),
    sparql: str = typer.Argument(..., help="A SPARQL query, or a .rq file."),
    fmt: ResultFormat = typer.Option(ResultFormat.table, "--format", "-f", help="Output format."),
    allow_network: bool = typer.Option(False, "--allow-network", help="Permit SERVICE and FROM <url> (off by default)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0, help="Stop the query after this many seconds (0: no limit)."),
    store: StoreKind = typer.Option(StoreKind.auto, "--store", help="Query engine: rdflib, oxigraph, or auto (oxigraph for large graphs)."),
) -> None:
    """Run a SPARQL query with the ontology's prefixes (kg:, ent:, prov:, ...) pre-bound.

    Example: kg query build examples/queries/cq1_licence.rq --format csv --store oxigraph
    """
    from .query import format_result, open_graph, run_query

    try:
        g = open_graph(graph, store=store.value, allow_network=allow_network)
        result = run_query(g, sparql, allow_network=allow_network, timeout=timeout or None)
        if fmt is ResultFormat.table and result.kind == "SELECT":
            table = Table(*result.variables, show_lines=False)
            for row in result.rows:
                table.add_row(*(result.cell_text(v) for v in row))
            out.print(table)
            err.print(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}", highlight=False)
        elif fmt is ResultFormat.table and result.kind == "ASK":
            out.print("true" if result.boolean else "false")
        else:
            sys.stdout.write(format_result(result, "csv" if fmt is ResultFormat.table else fmt.value))
    except KGError as e:
        _fail(e)


class ReportFormat(str, Enum):
    human = "human"
    turtle = "turtle"


@app.command()
def validate(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    fmt: ReportFormat = typer.Option(ReportFormat.human, "--format", "-f", help="human text, or the SHACL report graph in Turtle."),
    workers: int = typer.Option(0, "--workers", "-j", min=0, help="Processes that validate parts of a large graph (0: one per core); the report is the same for any number."),
    shacl_engine: ShaclEngine = typer.Option(ShaclEngine.rudof, "--shacl-engine", help=SHACL_ENGINE_HELP),
) -> None:
    """Validate a graph against the project's SHACL shapes. Exit 0 conforms, 1 does not, 2 error.

    Example: kg validate build --format turtle > report.ttl
    """
    from .validate import format_report, validate_path

    try:
        result = validate_path(graph, engine=shacl_engine.value, workers=workers or None)
        text = format_report(result, fmt.value)
    except KGError as e:
        _fail(e)
    sys.stdout.write(text)
    raise typer.Exit(0 if result.conforms else 1)


class ExportFormat(str, Enum):
    graphml = "graphml"
    gexf = "gexf"
    nquads = "nquads"
    ntriples = "ntriples"
    turtle = "turtle"
    trig = "trig"
    jsonld = "jsonld"


@app.command()
def export(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="graphml/gexf: the entity graph for Gephi, yEd, Cytoscape; the others: RDF."),
    out_file: Path = typer.Option(..., "--out", "-o", help="The file to write (written atomically)."),
) -> None:
    """Write a graph in another format: GraphML or GEXF of the entities and facts, or RDF.

    Example: kg export build --format gexf --out build/graph.gexf
    """
    from .export import export_graph

    try:
        path = export_graph(graph, fmt.value, out_file)
    except KGError as e:
        _fail(e)
    err.print(f"wrote {path}", markup=False, highlight=False)


@app.command("eval")
def eval_(
    paths: List[Path] = typer.Argument(..., help="Article files or folders."),
    gold: Path = typer.Argument(..., help="Gold annotations (YAML, see docs/gold.md)."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="A rule pack; default: the shipped pack."),
    skip_coref: bool = typer.Option(False, "--skip-coref", help="Leave out gold facts marked coref: true."),
    details: bool = typer.Option(False, "--details", help="List missing, spurious and disagreeing facts."),
    write_confidence: Optional[Path] = typer.Option(None, "--write-confidence", help="Write each rule's precision estimate (tp, fp) as a pack's confidence table, e.g. kg/rules/default/confidence.yaml; kg build turns it into kg:confidence."),
) -> None:
    """Score the rules against gold annotations: precision, recall and F1 per relation.

    Example: kg eval examples/articles examples/gold/examples.yaml --write-confidence kg/rules/default/confidence.yaml
    """
    from .eval import evaluate_paths

    try:
        result = evaluate_paths(paths, gold, rules=rules, skip_coref=skip_coref)
    except KGError as e:
        _fail(e)
    table = Table("relation", "tp", "fp", "fn", "precision", "recall", "F1", title=f"kg eval ({result.articles} articles, {result.gold_facts} gold facts)")
    for s in (*result.relations, result.overall, result.strict):
        table.add_row(s.name, str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}")
    out.print(table)
    if result.unannotated:
        err.print("not annotated: " + ", ".join(result.unannotated), highlight=False, markup=False)
    if write_confidence is not None:
        from .corroborate import confidence_yaml
        from .export import write_atomic

        write_atomic(write_confidence, confidence_yaml(result.rules))
        err.print(f"wrote {write_confidence} ({len(result.rules)} rules)", markup=False, highlight=False)
    if details:
        for article, g in result.missing:
            out.print(f"missing  {article}: {g.get('subject')} {g.get('predicate')} {g.get('object')}", markup=False, highlight=False)
        for article, f in result.spurious:
            out.print(f"spurious {article}: {f}", markup=False, highlight=False)
        for article, d in result.disagreements:
            out.print(f"differs  {article}: {d}", markup=False, highlight=False)


@app.command()
def explain(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="Entity id, label or alias (e.g. HAL)."),
    predicate: Optional[str] = typer.Option(None, "--predicate", "-p", help="Relation, e.g. kg:licensedProducerOf."),
    obj: Optional[str] = typer.Option(None, "--object", "-o", help="Entity id, label or alias."),
    fact: Optional[str] = typer.Option(None, "--fact", help="A fact IRI or fact:<id>."),
) -> None:
    """Show why facts exist: the rule, the sentence, the offsets, the modality and its cue.

    Example: kg explain build --subject HAL --predicate kg:licensedProducerOf
    """
    from .explain import explain as run_explain
    from .query import read_view

    try:
        found = run_explain(read_view(graph), subject=subject, predicate=predicate, obj=obj, fact=fact)
    except KGError as e:
        _fail(e)
    for x in found:
        out.print(f"{x.fact}: {x.subject} {x.predicate} {x.object}  [{x.modality}{' / ' + x.status if x.status else ''}]", markup=False, highlight=False)
        if x.cue:
            out.print(f"  cue: {x.cue}", markup=False, highlight=False)
        for q, v in x.qualifiers:
            out.print(f"  {q}: {v}", markup=False, highlight=False)
        for e in x.evidence:
            out.print(f"  evidence: {e.file} [{e.start}:{e.end}] rule {e.rule} ({e.section})", markup=False, highlight=False)
            out.print(f"    {' '.join(e.sentence.split())}", markup=False, highlight=False)
    err.print(f"{len(found)} fact{'s' if len(found) != 1 else ''}", highlight=False)


@app.command()
def coverage(
    paths: List[Path] = typer.Argument(..., help="Article files or folders."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="A rule pack; default: the shipped pack."),
) -> None:
    """List sentences that name two or more known entities but matched no rule (the curator's to-do list).

    Example: kg coverage examples/articles
    """
    from .build import unmatched_sentences

    try:
        rows = unmatched_sentences(paths, rules=rules)
    except KGError as e:
        _fail(e)
    for source, start, end, entities, sentence in rows:
        out.print(f"{source} [{start}:{end}] ({', '.join(entities)}): {sentence}", markup=False, highlight=False)
    err.print(f"{len(rows)} sentence{'s' if len(rows) != 1 else ''} with known entities and no fact", highlight=False)


@app.command()
def analyze(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    path: Optional[Tuple[str, str]] = typer.Option(None, "--path", help="Two entities (ids, labels or aliases, any case): explain the shortest chain of facts between them."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="A folder: write (or update) the analysis sections of its report.json and report.md."),
    top: int = typer.Option(10, "--top", min=1, help="How many central actors to list."),
) -> None:
    """Central actors (PageRank, betweenness, facts) and, with --path, the explained chain of facts between two entities.

    Example: kg analyze build --path HAL CAATSA
    """
    from .analysis import report_text, run_analysis
    from .query import read_view

    try:
        report, written = run_analysis(read_view(graph), path=path if path and all(path) else None, out_dir=out_dir, top=top)
    except KGError as e:
        _fail(e)
    out.print(report_text(report).rstrip("\n"), markup=False, highlight=False)
    for f in written:
        err.print(f"wrote {f}", markup=False, highlight=False)


@app.command()
def render(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    out_file: Path = typer.Option(..., "--out", "-o", help="The HTML file to write (self-contained, works offline)."),
    focus: Optional[str] = typer.Option(None, "--focus", help="Draw only the neighbourhood of this entity (id, label or alias)."),
    hops: int = typer.Option(1, "--hops", min=0, help="With --focus: how many facts away from it to go."),
    classes: Optional[List[str]] = typer.Option(None, "--classes", help="Draw only these classes, e.g. Country,Person (repeatable; Organization keeps its subclasses)."),
    max_nodes: int = typer.Option(500, "--max-nodes", min=0, help="Draw at most this many nodes, those with the highest PageRank."),
    max_facts: int = typer.Option(3000, "--max-facts", min=0, help="Draw at most this many facts, those with the highest confidence."),
    title: str = typer.Option("Defence cooperation graph", "--title", help="The page's heading."),
) -> None:
    """Write the interactive view of a graph (or of a part of it) as one offline HTML page.

    Example: kg render build --out russia.html --focus Russia --hops 2 --classes Country,Person,Organization
    """
    from .query import read_view
    from .render import render_html

    try:
        stats = render_html(read_view(graph), out_file, title=title, max_nodes=max_nodes, focus=focus, hops=hops,
                            classes=classes, max_facts=max_facts)
    except KGError as e:
        _fail(e)
    err.print(f"wrote {out_file}: {stats.nodes} nodes, {stats.edges} facts drawn", markup=False, highlight=False)
    for note in stats.notes:
        err.print(note, markup=False, highlight=False)


@app.command()
def serve(
    build_dir: Path = typer.Argument(..., help="A build folder (it needs graph.nq; graph.html is served too)."),
    port: int = typer.Option(7878, "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1."),
) -> None:
    """Serve a build read-only on 127.0.0.1: SPARQL 1.1 Protocol at /sparql (oxigraph) and the HTML view at /.

    SERVICE and updates are refused; the project's prefixes are pre-bound. Stop with Ctrl-C.

    Example: kg serve build --port 7878
    """
    from .serve import serve as run_serve

    try:
        server = run_serve(build_dir, port=port)
    except KGError as e:
        _fail(e)
    out.print(f"SPARQL endpoint: {server.sparql_url}  ({server.triples} quads, read-only)", markup=False, highlight=False)
    out.print(f"HTML view:       {server.html_url}", markup=False, highlight=False)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@app.command()
def push(
    graph: Path = typer.Argument(..., help="A build folder or an RDF file."),
    endpoint: str = typer.Option(..., "--endpoint", "-e", help="Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store"),
) -> None:
    """Upload every named graph to a store over the SPARQL 1.1 Graph Store Protocol (one PUT per graph).

    Example: kg push build --endpoint http://127.0.0.1:7878/store
    """
    from .push import push as run_push

    try:
        summary = run_push(graph, endpoint)
    except KGError as e:
        _fail(e)
    for g in summary.graphs:
        out.print(f"{g.status} {g.graph} ({g.triples} triples)", markup=False, highlight=False)
    err.print(f"pushed {len(summary.graphs)} graphs, {summary.triples} triples in {summary.seconds:.2f} s", markup=False, highlight=False)


@app.command("ontology-docs")
def ontology_docs(out: Path = typer.Option(Path("ontology.html"), "--out", "-o", help="Where to write the HTML page.")) -> None:
    """Write the ontology's HTML documentation (pyLODE, offline).

    Example: kg ontology-docs --out docs/ontology.html
    """
    from .ontodocs import write_ontology_html

    try:
        path = write_ontology_html(out)
    except KGError as e:
        _fail(e)
    err.print(f"wrote {path}", highlight=False, markup=False)


@rules_app.command("test")
def rules_test(rules: Optional[Path] = typer.Option(None, "--rules", help="A rule pack; default: the shipped pack.")) -> None:
    """Run every rule's inline examples; exit 1 if any fails, showing what was expected and what came out.

    Example: kg rules test --rules my-pack/
    """
    from .rules import load_pack
    from .ruletest import run_rule_examples

    try:
        pack = load_pack(rules)
    except KGError as e:
        _fail(e)
    count, failures = run_rule_examples(pack)
    for f in failures:
        out.print(str(f), markup=False, highlight=False)
    n_rules = len(pack.rules) + len(pack.attributions)
    out.print(f"{count - len(failures)} passed, {len(failures)} failed ({n_rules} rules)", highlight=False)
    raise typer.Exit(1 if failures else 0)


if __name__ == "__main__":  # pragma: no cover
    app()
