"""Measure how kg copes with a huge single-line article (run by hand; minutes, not seconds).

    python fuzz/big_line.py --mb 50 --kind prose     # sentences with full stops, one line
    python fuzz/big_line.py --mb 50 --kind words     # words, no full stop at all
    python fuzz/big_line.py --mb 50 --kind blob      # base64, no white space at all
    python fuzz/big_line.py --mb 5 --build           # also a whole `kg build` of it

Prints the time and peak memory of reading (decode, clean, split) and of extraction, the
number of sentences and the longest one (bounded by kg.documents.MAX_SENTENCE_CHARS).
"""

from __future__ import annotations

import argparse
import base64
import random
import resource
import tempfile
import time
from pathlib import Path

PROSE = ("Rosoboronexport menandatangani kontrak dengan Hindustan Aeronautics Limited (HAL) pada tahun 2000 "
         "untuk produksi berlisensi Su-30MKI di India. Presiden AS Donald Trump menandatangani CAATSA pada "
         "2 Agustus 2017. Menurut Belousov, dokumen kerja sama militer-teknis telah ditandatangani dengan delapan "
         "negara. Kerja sama itu mencakup pasokan senjata, perbaikan dan modernisasi, serta alih teknologi. ")


def make(kind: str, size: int) -> str:
    if kind == "prose":
        return (PROSE * (size // len(PROSE) + 1))[:size]
    if kind == "words":
        rng = random.Random(1)
        words = PROSE.replace(".", "").replace(",", "").split()
        out, n = [], 0
        while n < size:
            w = rng.choice(words)
            out.append(w)
            n += len(w) + 1
        return " ".join(out)[:size]
    return base64.b64encode(random.Random(1).randbytes(size * 3 // 4)).decode()[:size]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--kind", choices=("prose", "words", "blob"), default="prose")
    ap.add_argument("--build", action="store_true", help="also run a whole kg build of the file")
    a = ap.parse_args()

    from kg.documents import read_document
    from kg.extract import extract_document
    from kg.rules import load_pack

    pack = load_pack()
    d = Path(tempfile.mkdtemp(prefix="kg-bigline-"))
    p = d / f"big-{a.kind}.txt"
    p.write_text(make(a.kind, int(a.mb * 1024 * 1024)), encoding="utf-8")
    print(f"{p.stat().st_size / 2**20:.1f} MB, one line, kind {a.kind}")
    t = time.monotonic()
    doc = read_document(p, pack.cleaning)
    t1 = time.monotonic()
    print(f"read: {t1 - t:.1f} s, {len(doc.sentences)} sentences, longest {max(len(s.text) for s in doc.sentences)} chars", flush=True)
    r = extract_document(doc, pack)
    t2 = time.monotonic()
    print(f"extract: {t2 - t1:.1f} s ({a.mb / max(t2 - t1, 1e-9):.2f} MB/s), {len(r.facts)} facts, "
          f"{sum(len(f.evidence) for f in r.facts)} evidence", flush=True)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    if a.build:
        from kg.build import build

        t = time.monotonic()
        s = build([p], d / "out", workers=1, cache=False)
        print(f"kg build: {time.monotonic() - t:.1f} s, {s.facts} facts, {s.triples} triples")


if __name__ == "__main__":
    main()
