"""Kill `kg build` at many random moments and check that nothing is lost (run by hand).

    python fuzz/kill_builds.py --kills 40 [--src examples/articles] [--seed 1]

Builds a small "old" corpus into a folder, then starts `kg build` of the full corpus into
the same folder again and again, each time killed with SIGKILL after a random delay spread
over a whole build. After each kill every output must be byte-identical to the old file or
to the complete new one (from a reference build), and none may be missing; at the end an
unkilled build must equal the reference byte for byte. Prints one line per kill with how
many outputs were already new, then the totals.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "examples" / "articles"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    from kg.build import OUTPUTS, build

    kg = [str(Path(sys.executable).parent / "kg")]
    root = Path(tempfile.mkdtemp(prefix="kg-kill-"))
    src, old, out, ref = Path(a.src), root / "old", root / "out", root / "ref"
    old.mkdir()
    for p in sorted(src.glob("*.md"))[:2]:
        shutil.copy(p, old / p.name)
    snap = lambda d: {n: (d / n).read_bytes() for n in OUTPUTS if (d / n).exists()}
    build([src], ref, workers=1, cache=False)
    reference = snap(ref)
    build([old], out, workers=1, cache=False)
    before = snap(out)
    started = time.monotonic()
    subprocess.run([*kg, "build", str(src), "--out", str(root / "timing"), "--quiet", "--no-cache"], check=True,
                   stdout=subprocess.DEVNULL)
    whole = time.monotonic() - started
    print(f"a whole build takes {whole:.1f} s; killing {a.kills} builds at random moments in [0, {whole * 1.1:.1f}] s")
    rng = random.Random(a.seed)
    bad = 0
    for i in range(a.kills):
        delay = rng.uniform(0, whole * 1.1)
        for n, data in before.items():  # every kill starts from the old outputs
            (out / n).write_bytes(data)
        extra = ["--no-cache"] if i % 2 else []  # half of the builds reuse the cache the kills left
        env = dict(os.environ, PYTHONHASHSEED=str(rng.randrange(2**32)))
        proc = subprocess.Popen([*kg, "build", str(src), "--out", str(out), "--quiet", "--workers", str(rng.choice([1, 2])), *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        now = snap(out)
        new = sum(now.get(n) == reference[n] for n in OUTPUTS)
        broken = [n for n in OUTPUTS if now.get(n) not in (before[n], reference[n])]
        bad += bool(broken)
        print(f"kill {i + 1:3d} at {delay:5.2f} s (exit {code}): {new:2d}/{len(OUTPUTS)} outputs new"
              + (f"  BROKEN: {', '.join(broken)}" if broken else ""))
    code = subprocess.run([*kg, "build", str(src), "--out", str(out), "--quiet"], stdout=subprocess.DEVNULL, check=False).returncode
    exact = code == 0 and snap(out) == reference
    tmp = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    print(f"{a.kills} kills, {bad} left a broken or missing output; the next build "
          f"{'equals' if exact else 'DIFFERS FROM'} the reference; leftover temporary files: {len(tmp)}")
    shutil.rmtree(root, ignore_errors=True)
    return 0 if exact and not bad and not tmp else 1


if __name__ == "__main__":
    sys.exit(main())
