"""Benchmark of `kg build` at scale (run by hand, not in the test suite); prints tables.

    python benchmarks/run.py                                    # corpora of 10 and 50 MB
    python benchmarks/run.py --sizes 10,50,200                  # the issue's sizes
    python benchmarks/run.py --code /tmp/ref                    # another checkout's kg, measured alike

Measured, each in a fresh process, every ratio against a baseline measured in the same run:
- extraction (read + clean + split + extract, one process) in MB/s per core, for gazetteers
  of about 500, 5,000 and 50,000 aliases (the default pack, plus synthetic companies), on the
  first --extract-mb MB of each corpus, against raw read + lowercasing of the same files;
- writing: `kg build --workers 1` of the first --store-mb MB; the triples its write phase makes
  and writes per second (all four RDF files, facts.csv, GraphML and GEXF), against
  pyoxigraph's bulk load of the same quads (graph.nq) and its Turtle serialisation of their
  union, against which graph.ttl's share of the write phase is set;
- end-to-end `kg build --workers W --no-cache` of each corpus: wall time, cost per MB (and
  its ratio to the smallest corpus's), peak RSS of the largest process (/usr/bin/time) and
  peak memory of all the build's processes together (the sum of their proportional set
  sizes, sampled from /proc every 0.2 s: pages forked workers share count once), and the
  build's own phase times (`kg build --timings`).
Extraction and the writers count the least CPU time of --repeat runs (default 3): timings
on a shared machine vary by a fifth from run to run. Corpora and packs are generated once
under --work (seeded: the same every time) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def _prepare(work: Path, sizes: list[float], aliases: list[int]) -> tuple[dict, dict]:
    from make_corpus import make_corpus, make_gazetteer_pack

    corpora, packs = {}, {}
    for mb in sizes:
        d = work / f"corpus-{mb:g}MB"
        mark = d / ".done"
        if not mark.exists():
            make_corpus(d, mb, seed=1)
            mark.write_text("1")
        corpora[mb] = d
    for n in aliases:
        if n <= 600:
            packs[n] = None  # the shipped pack
            continue
        d = work / f"pack-{n}"
        if not (d / "zz_synthetic.yaml").exists():
            make_gazetteer_pack(d, n)
        packs[n] = d
    return corpora, packs


def _sample(corpus: Path, mb: float) -> list[str]:
    files = sorted(str(p) for p in corpus.rglob("*") if p.suffix in (".txt", ".md"))
    if mb <= 0:
        return files
    out, total = [], 0
    for f in files:
        if total >= mb * 1e6:
            break
        out.append(f)
        total += os.path.getsize(f)
    return out


# --- measurements run in a child process (so a --code checkout can be measured) ----------


def _best(fn, repeat: int) -> float:
    """The least CPU time of `repeat` runs of fn (this machine's timings vary by a fifth
    from run to run; the least is the cost with the least interference)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def child_extract(files: list[str], pack: str | None, repeat: int = 1) -> dict:
    from kg.build import assign_slugs
    from kg.documents import read_document
    from kg.extract import extract_document
    from kg.rules import load_pack

    t = time.perf_counter()
    p = load_pack(pack)
    load_s = time.perf_counter() - t
    paths = [Path(f) for f in files]
    slugs = assign_slugs(paths)
    nbytes = sum(os.path.getsize(f) for f in files)
    for f in paths:  # warm the page cache, so neither measurement reads the disk
        f.read_bytes()
    extract_document(read_document(paths[0], p.cleaning, slugs[paths[0]]), p)  # compile what is compiled lazily
    # baseline: raw read + lowercasing of the same files
    lower_s = _best(lambda: [f.read_bytes().decode("utf-8").lower() for f in paths], repeat)
    found = []
    ext_s = _best(lambda: found.append(sum(len(extract_document(read_document(f, p.cleaning, slugs[f]), p).facts)
                                           for f in paths)), repeat)
    facts = found[0]
    return {"mb": nbytes / 1e6, "files": len(files), "pack_load_s": load_s, "lower_s": lower_s, "extract_s": ext_s,
            "facts": facts, "aliases": p.gazetteer.size}


def child_write(files: list[str], out: str, repeat: int = 1) -> dict:
    """kg build of files on one worker; then, on the quads it wrote, kg's four RDF writers
    (kg.export.GraphChunks, graph by graph, as a build uses them) against pyoxigraph's
    writers of the same formats, and pyoxigraph's bulk load of them into a store."""
    import shutil

    import pyoxigraph as ox

    from kg.build import build
    from kg.export import GraphChunks, context_for_base, prefixes_for_base
    from kg.graph import Lit

    folder = Path(out) / "in"
    shutil.rmtree(out, ignore_errors=True)
    folder.mkdir(parents=True)
    for f in files:  # one folder, so that the build reads exactly the sample
        shutil.copy(f, folder / (Path(f).parent.name + "-" + Path(f).name))
    summary = build([folder], Path(out) / "build", workers=1, cache=False, shacl="off")
    nq = (Path(out) / "build" / "graph.nq").read_bytes()
    quads = list(ox.parse(nq, format=ox.RdfFormat.N_QUADS))

    def plain(t):
        if isinstance(t, ox.Literal):
            return Lit(t.value, None if t.language or t.datatype.value.endswith("#string") else t.datatype.value, t.language)
        return t.value

    graphs: dict = {}
    for q in quads:
        graphs.setdefault(q.graph_name.value, []).append((plain(q.subject), plain(q.predicate), plain(q.object)))
    def kg_writers():  # a new writer each run, as a build's worker starts with one
        chunks = GraphChunks(prefixes_for_base(None), context_for_base(None))
        for name, triples in graphs.items():
            chunks.pieces(name, triples)

    kg_s = _best(kg_writers, repeat)
    ox_s = {}
    triples = list(dict.fromkeys(q.triple for q in quads))
    for fmt, data in ((ox.RdfFormat.N_QUADS, quads), (ox.RdfFormat.TRIG, quads), (ox.RdfFormat.TURTLE, triples),
                      (ox.RdfFormat.JSON_LD, quads)):
        ox_s[fmt.name] = _best(lambda: ox.serialize(data, format=fmt, prefixes=prefixes_for_base(None)), repeat)
    store = ox.Store()
    t = time.perf_counter()
    store.bulk_load(nq, ox.RdfFormat.N_QUADS)
    load_s = time.perf_counter() - t
    return {"quads": len(quads), "triples": summary.triples, "facts": summary.facts,
            "write_s": summary.timings["write articles"], "across_s": summary.timings["across articles"],
            "kg_writers_s": kg_s, "ox_writers_s": ox_s, "ox_load_s": load_s}


def _run_child(code: Path, kind: str, args: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    r = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(args)], env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"child failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


class _Memory:
    """The peak of the memory of a process and its descendants together (the sum of their
    proportional set sizes), sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                kids.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in self._tree():  # PSS: a page forked processes share counts once, split between them
                try:
                    with open(f"/proc/{p}/smaps_rollup") as f:
                        m = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
                    total += int(m.group(1)) * 1024 if m else 0
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _kg_build(code: Path, corpus: Path, out: Path, workers: int, timeout: float, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = ["/usr/bin/time", "-v", sys.executable, "-c", "import sys; from kg.cli import app; sys.argv[0]='kg'; app()",
           "build", str(corpus), "--out", str(out), "-q", "--workers", str(workers), *extra]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=code)
    memory = _Memory(proc.pid)
    try:
        _stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        memory.stop()
        return {"wall_s": None, "note": f"timeout {timeout:.0f} s"}
    wall = time.perf_counter() - t
    total = memory.stop()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    phases = dict((m.group(1), float(m.group(2))) for m in re.finditer(r"^([a-zA-Z][\w ,.]*): ([\d.]+) s( \(|$)", stderr, re.M))
    return {"wall_s": wall, "cpu_s": cpu, "rss_mb": int(rss.group(1)) / 1024 if rss else None, "total_rss_mb": total / 2 ** 20,
            "phases": phases, "note": "" if proc.returncode == 0 else f"exit {proc.returncode}: {stderr.strip().splitlines()[-1][:80]}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--sizes", default="10,50", help="corpus sizes in MB for `kg build` (comma-separated)")
    ap.add_argument("--extract-sizes", default="", help="corpora whose samples extraction is measured on (default: --sizes)")
    ap.add_argument("--aliases", default="500,5000,50000")
    ap.add_argument("--extract-mb", type=float, default=2.0, help="MB of each corpus to extract (0: all)")
    ap.add_argument("--store-mb", type=float, default=2.0, help="MB of articles the writing is measured on")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose kg is measured")
    ap.add_argument("--work", type=Path, default=Path("/tmp/kg-bench"))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--repeat", type=int, default=3, help="extraction and writers: the least CPU time of this many runs")
    ap.add_argument("--skip-builds", action="store_true", help="measure extraction and writing only")
    a = ap.parse_args()
    if a.child:
        kind, args = a.child[0], json.loads(a.child[1])
        print(json.dumps(child_extract(args["files"], args["pack"], args["repeat"]) if kind == "extract"
                         else child_write(args["files"], args["out"], args["repeat"])))
        return
    sizes = [float(x) for x in a.sizes.split(",") if x]
    esizes = [float(x) for x in a.extract_sizes.split(",") if x] or sizes
    aliases = [int(x) for x in a.aliases.split(",") if x]
    a.work.mkdir(parents=True, exist_ok=True)
    corpora, packs = _prepare(a.work, sorted(set(sizes) | set(esizes)), aliases)
    code = a.code.resolve()
    print(f"kg code: {code}; work: {a.work}; {os.cpu_count()} cores")
    fig: dict = {"extract": [], "write": None, "build": []}

    print("\n## Extraction, one process (CPU seconds)\n")
    print("| corpus | sample MB | aliases | pack load s | read+lowercase MB/s | extract MB/s | x read+lowercase | facts | x cost of 500 aliases |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mb in esizes:
        files = _sample(corpora[mb], a.extract_mb)
        base = None
        for n in aliases:
            r = _run_child(code, "extract", {"files": files, "pack": str(packs[n]) if packs[n] else None, "repeat": a.repeat})
            low, ext = r["mb"] / r["lower_s"], r["mb"] / r["extract_s"]
            base = base or r["extract_s"]
            fig["extract"].append({"corpus_mb": mb, "aliases_asked": n, **r})
            print(f"| {mb:g} MB | {r['mb']:.1f} | {r['aliases']} | {r['pack_load_s']:.1f} | {low:.0f} | {ext:.2f} | "
                  f"{low / ext:.0f}x | {r['facts']} | {r['extract_s'] / base:.2f}x |", flush=True)

    print(f"\n## Writing the graph: `kg build --workers 1` of the first {a.store_mb:g} MB\n")
    r = _run_child(code, "write", {"files": _sample(corpora[min(corpora)], a.store_mb), "out": str(a.work / "write"),
                                   "repeat": a.repeat})
    fig["write"] = r
    ox_all = sum(r["ox_writers_s"].values())
    print("| measure | kg | pyoxigraph | ratio |")
    print("|---|---|---|---|")
    print(f"| quads made and written per second: the write phase (4 RDF files, facts.csv, GraphML, GEXF) "
          f"vs bulk load into a store | {r['quads'] / r['write_s']:,.0f} | {r['quads'] / r['ox_load_s']:,.0f} | "
          f"{r['write_s'] / r['ox_load_s']:.1f}x the time |")
    print(f"| writing the same quads as N-Quads, TriG, Turtle and JSON-LD, CPU s | {r['kg_writers_s']:.2f} | {ox_all:.2f} "
          f"({', '.join(f'{k} {v:.2f}' for k, v in r['ox_writers_s'].items())}) | {r['kg_writers_s'] / ox_all:.2f}x |")
    print(f"\n{r['quads']:,} quads ({r['triples']:,} triples in the union) from {r['facts']:,} facts; write phase {r['write_s']:.2f} s, "
          f"cross-article phase {r['across_s']:.2f} s")

    if a.skip_builds:
        if a.json:
            a.json.write_text(json.dumps(fig, indent=2))
        return
    print(f"\n## kg build end to end ({a.workers} workers, --no-cache)\n")
    print("| corpus | wall s | s per MB | x per MB of the smallest | CPU s | peak RSS, largest process | peak memory, all processes (PSS) | note |")
    print("|---|---|---|---|---|---|---|---|")
    first = None
    for mb in sizes:
        r = _kg_build(code, corpora[mb], a.work / f"out-{mb:g}", a.workers, a.timeout, ["--no-cache", "--timings"])
        fig["build"].append({"corpus_mb": mb, **r})
        if not r["wall_s"]:
            print(f"| {mb:g} MB | - | - | - | - | - | - | {r['note']} |", flush=True)
            continue
        per = r["wall_s"] / mb
        first = first or per
        print(f"| {mb:g} MB | {r['wall_s']:.1f} | {per:.2f} | {per / first:.2f}x | {r['cpu_s']:.0f} | {r['rss_mb']:,.0f} MB | "
              f"{r['total_rss_mb']:,.0f} MB | {r['note']} |", flush=True)
    print("\nPhases (wall s, from `kg build --timings`):\n")
    phases = list(dict.fromkeys(p for b in fig["build"] for p in b.get("phases", {})))
    print("| corpus | " + " | ".join(phases) + " |")
    print("|---|" + "---|" * len(phases))
    for b in fig["build"]:
        print(f"| {b['corpus_mb']:g} MB | " + " | ".join(f"{b.get('phases', {}).get(p, 0):.1f}" for p in phases) + " |")
    if a.json:
        a.json.write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
