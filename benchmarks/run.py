"""Benchmark of `kg build` at scale (run by hand, not in the test suite); prints a table.

    /tmp/venv/bin/python benchmarks/run.py                      # corpora of 10 and 50 MB
    /tmp/venv/bin/python benchmarks/run.py --sizes 10,50,200    # and 200 MB
    /tmp/venv/bin/python benchmarks/run.py --code /tmp/ref      # the same, with another checkout's kg

Measured, each in a fresh process:
- extraction (read + clean + split + extract, one process) in MB/s per core, for gazetteers
  of about 500, 5,000 and 50,000 aliases (the default pack, plus synthetic companies), on the
  first --extract-mb MB of each corpus, against raw read + lowercasing of the same files;
- triples/s into the graph a build holds (kg.graph.Quads; an rdflib Dataset in checkouts
  before it) against pyoxigraph's bulk load of the same quads, and kg's Turtle writer
  against pyoxigraph's Turtle serialisation;
- with KG_BENCH_SHACL=1, SHACL validation of the same triples: pyshacl on 1 and 2
  processes, and rudof (checkouts that have it);
- end-to-end `kg build` wall time and peak RSS (/usr/bin/time -v; the largest process) on
  the corpora listed by --build-sizes, with a time limit.
Corpora and packs are generated once under --work (seeded) and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
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


def child_extract(files: list[str], pack: str | None, store: bool) -> dict:
    import pickle

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
    # baseline: raw read + lowercasing of the same files
    t = time.perf_counter()
    for f in paths:
        f.read_bytes().decode("utf-8").lower()
    lower_s = time.perf_counter() - t
    t = time.perf_counter()
    results = []
    for f in paths:
        results.append(extract_document(read_document(f, p.cleaning, slugs[f]), p))
    ext_s = time.perf_counter() - t
    out = {"mb": nbytes / 1e6, "files": len(files), "pack_load_s": load_s, "lower_s": lower_s, "extract_s": ext_s,
           "facts": sum(len(r.facts) for r in results), "aliases": p.gazetteer.size}
    if store:
        out.update(_store(results, p))
    del pickle
    return out


def _store(results, pack) -> dict:
    import pyoxigraph as ox

    from kg.export import serialize_nquads, serialize_turtle
    from kg.graph import dataset_quads

    try:
        from kg.graph import build_quads as build_graph  # what a build holds (checkouts before it lack it)
    except ImportError:
        from kg.graph import build_dataset as build_graph
    t = time.perf_counter()
    ds = build_graph(results, pack)
    build_s = time.perf_counter() - t
    quads = sum(1 for _ in dataset_quads(ds))
    t = time.perf_counter()
    ttl = serialize_turtle(ds)
    kg_ttl_s = time.perf_counter() - t
    t = time.perf_counter()
    nq = serialize_nquads(ds)
    kg_nq_s = time.perf_counter() - t
    t = time.perf_counter()
    conv_s = None
    try:
        from kg.export import ox_quads  # kg's pyoxigraph writers (checkouts before them lack it)

        ox_quads(ds)
        conv_s = time.perf_counter() - t
    except ImportError:
        pass
    shacl = {}
    if os.environ.get("KG_BENCH_SHACL"):
        import inspect

        from kg.export import union_graph
        from kg.validate import validate_graph

        union = union_graph(ds)
        params = inspect.signature(validate_graph).parameters
        engine = {"engine": "pyshacl"} if "engine" in params else {}
        for w in (1, 2):
            if w > 1 and "workers" not in params:
                break
            t = time.perf_counter()
            validate_graph(union, **engine, **({"workers": w} if w > 1 else {}))
            shacl[f"shacl_{w}_s"] = time.perf_counter() - t
        if engine:
            for w in (1, 2):
                t = time.perf_counter()
                validate_graph(ds, engine="rudof", workers=w)
                shacl["rudof_s" if w == 1 else f"rudof_{w}_s"] = time.perf_counter() - t
    store = ox.Store()
    t = time.perf_counter()
    store.bulk_load(nq.encode("utf-8"), ox.RdfFormat.N_QUADS)
    ox_load_s = time.perf_counter() - t
    t = time.perf_counter()
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store]
    ox_ttl = ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    ox_ttl_s = time.perf_counter() - t
    return {"quads": quads, "kg_store_s": build_s, "kg_ttl_s": kg_ttl_s, "kg_nq_s": kg_nq_s, "ox_load_s": ox_load_s,
            "ox_ttl_s": ox_ttl_s, "ttl_bytes": len(ttl), "ox_ttl_bytes": len(ox_ttl), "convert_s": conv_s, **shacl}


def _run_child(code: Path, args: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    r = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"child failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _kg_build(code: Path, corpus: Path, out: Path, workers: int, timeout: float, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    cmd = ["/usr/bin/time", "-v", sys.executable, "-c", "import sys; from kg.cli import app; sys.argv[0]='kg'; app()",
           "build", str(corpus), "--out", str(out), "-q", *extra]
    if workers and "--workers" in _help(code):
        cmd += ["--workers", str(workers)]
    t = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=code)  # cwd: `-c` puts it first on sys.path
    except subprocess.TimeoutExpired:
        return {"wall_s": None, "rss_mb": None, "note": f"timeout {timeout:.0f} s"}
    wall = time.perf_counter() - t
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    return {"wall_s": wall, "rss_mb": int(rss.group(1)) / 1024 if rss else None,
            "note": "" if r.returncode == 0 else f"exit {r.returncode}: {r.stderr.strip().splitlines()[-1][:80]}"}


_HELP: dict = {}


def _help(code: Path) -> str:
    if code not in _HELP:
        env = dict(os.environ, PYTHONPATH=str(code))
        _HELP[code] = subprocess.run([sys.executable, "-c", "import sys; from kg.cli import app; sys.argv[0]='kg'; app()",
                                      "build", "--help"], env=env, capture_output=True, text=True, cwd=code).stdout
    return _HELP[code]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child")
    ap.add_argument("--sizes", default="10,50", help="corpus sizes in MB for extraction (comma-separated)")
    ap.add_argument("--build-sizes", default="1,10", help="corpus sizes in MB for end-to-end kg build")
    ap.add_argument("--aliases", default="500,5000,50000")
    ap.add_argument("--extract-mb", type=float, default=2.0, help="MB of each corpus to extract (0: all)")
    ap.add_argument("--store-mb", type=float, default=1.0, help="MB of articles whose triples go into the store tests")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose kg is measured")
    ap.add_argument("--work", type=Path, default=Path("/tmp/kg-bench"))
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = ap.parse_args()
    if a.child:
        args = json.loads(a.child)
        print(json.dumps(child_extract(args["files"], args["pack"], args["store"])))
        return
    sizes = [float(x) for x in a.sizes.split(",") if x]
    bsizes = [float(x) for x in a.build_sizes.split(",") if x]
    aliases = [int(x) for x in a.aliases.split(",") if x]
    a.work.mkdir(parents=True, exist_ok=True)
    corpora, packs = _prepare(a.work, sorted(set(sizes) | set(bsizes)), aliases)
    code = a.code.resolve()
    print(f"kg code: {code}; work: {a.work}; {os.cpu_count()} cores")
    fig: dict = {"extract": [], "store": None, "build": []}

    print("\n## Extraction, one process (MB/s per core)\n")
    print("| corpus | sample MB | aliases | pack load s | lowercase MB/s | extract MB/s | x lowercase | facts | x cost of 500 aliases |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mb in sizes:
        files = _sample(corpora[mb], a.extract_mb)
        base = None
        for n in aliases:
            r = _run_child(code, {"files": files, "pack": str(packs[n]) if packs[n] else None, "store": False})
            low, ext = r["mb"] / r["lower_s"], r["mb"] / r["extract_s"]
            base = base or r["extract_s"]
            fig["extract"].append({"corpus_mb": mb, "aliases_asked": n, **r})
            print(f"| {mb:g} MB | {r['mb']:.1f} | {r['aliases']} | {r['pack_load_s']:.1f} | {low:.1f} | {ext:.2f} | "
                  f"{low / ext:.0f}x | {r['facts']} | {r['extract_s'] / base:.2f}x |", flush=True)

    print("\n## Store and Turtle, the triples of the first %g MB\n" % a.store_mb)
    r = _run_child(code, {"files": _sample(corpora[min(corpora)], a.store_mb), "pack": None, "store": True})
    fig["store"] = r
    q = r["quads"]
    print("| measure | kg | pyoxigraph | ratio |")
    print("|---|---|---|---|")
    print(f"| quads into the store, /s | {q / r['kg_store_s']:,.0f} | {q / r['ox_load_s']:,.0f} (bulk load) | {r['kg_store_s'] / r['ox_load_s']:.0f}x |")
    print(f"| Turtle of the union, s | {r['kg_ttl_s']:.2f} | {r['ox_ttl_s']:.2f} | {r['kg_ttl_s'] / r['ox_ttl_s']:.0f}x |")
    print(f"| N-Quads (sorted), s | {r['kg_nq_s']:.2f} | | |")
    if r.get("convert_s") is not None:
        print(f"| of which rdflib -> pyoxigraph terms, s | {r['convert_s']:.2f} | | |")
    if r.get("shacl_1_s"):
        two = f"{r['shacl_2_s']:.1f} s on 2 processes ({r['shacl_1_s'] / r['shacl_2_s']:.2f}x)" if r.get("shacl_2_s") else ""
        print(f"| SHACL (pyshacl), s | {r['shacl_1_s']:.1f} on 1 process | {two} | |")
    if r.get("rudof_s"):
        print(f"| SHACL (rudof, in parts, 1 process), s | {r['rudof_s']:.1f} | | {r['shacl_1_s'] / r['rudof_s']:.1f}x faster than pyshacl on 1 |")
    if r.get("rudof_2_s"):
        print(f"| SHACL (rudof, in parts, 2 processes), s | {r['rudof_2_s']:.1f} | | {r['rudof_s'] / r['rudof_2_s']:.2f}x of 1 process |")
    print(f"\n{q:,} quads from {r['facts']} facts in {r['mb']:.1f} MB")

    print(f"\n## kg build end to end ({a.workers} workers; peak RSS of the largest process)\n")
    print("| corpus | wall s | s per MB | peak RSS MB | second build (cache) s | note |")
    print("|---|---|---|---|---|---|")
    for mb in bsizes:
        out = a.work / f"out-{mb:g}"
        r1 = _kg_build(code, corpora[mb], out, a.workers, a.timeout, ["--no-cache"] if "--no-cache" in _help(code) else [])
        r2 = {"wall_s": None}
        if r1["wall_s"] and "--no-cache" in _help(code):
            _kg_build(code, corpora[mb], out, a.workers, a.timeout, [])  # fills the cache
            r2 = _kg_build(code, corpora[mb], out, a.workers, a.timeout, [])
        fig["build"].append({"corpus_mb": mb, **r1, "cached_wall_s": r2["wall_s"]})
        w = f"{r1['wall_s']:.1f}" if r1["wall_s"] else "-"
        per = f"{r1['wall_s'] / mb:.1f}" if r1["wall_s"] else "-"
        rss = f"{r1['rss_mb']:.0f}" if r1.get("rss_mb") else "-"
        c = f"{r2['wall_s']:.1f}" if r2.get("wall_s") else "-"
        print(f"| {mb:g} MB | {w} | {per} | {rss} | {c} | {r1['note']} |", flush=True)
    if a.json:
        a.json.write_text(json.dumps(fig, indent=2))


if __name__ == "__main__":
    main()
