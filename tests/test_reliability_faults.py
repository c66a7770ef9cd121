"""Faults lose nothing: `kg build` killed (SIGKILL) at random moments leaves every previous
output intact (each file is the old one or the complete new one, never a mix), a build
after the kills gives exactly what an uninterrupted build gives, two builds into one folder
never interleave (the second stops at once, naming the first), and the output does not
depend on the number of workers or on the hash seed."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES

from kg.build import OUTPUTS, build
from kg.lock import LOCK_NAME, BuildLockedError, build_lock

KG = [sys.executable, "-m", "kg.cli"] if not (Path(sys.executable).parent / "kg").exists() else [str(Path(sys.executable).parent / "kg")]


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS if (out / name).exists()}


def kg_build(src: Path, out: Path, *extra: str, seed: str = "0") -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    return subprocess.Popen([*KG, "build", str(src), "--out", str(out), "--quiet", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """old: two example articles; new: every example article. ref: new, built without faults."""
    root = tmp_path_factory.mktemp("faults")
    old = root / "old"
    old.mkdir()
    for p in sorted(EXAMPLES.glob("*.md"))[:2]:
        shutil.copy(p, old / p.name)
    ref = root / "ref"
    build([EXAMPLES], ref, workers=1, cache=False)
    return root, old, EXAMPLES, snapshot(ref)


def test_kill_at_random_moments_loses_nothing_and_the_next_build_is_exact(inputs):
    root, old, new, ref = inputs
    out = root / "out"
    build([old], out, workers=1, cache=False)
    before = snapshot(out)
    assert set(before) == set(OUTPUTS) and all(before[n] != ref[n] for n in ("graph.nq", "facts.csv"))
    rng = random.Random(int(os.environ.get("KG_FAULT_SEED", "7")))
    kills = sorted(rng.uniform(0.8, 4.5) for _ in range(4))
    for i, delay in enumerate(kills):
        for name, data in before.items():  # each kill starts from the old outputs
            (out / name).write_bytes(data)
        proc = kg_build(new, out, "--workers", str(1 + i % 2), seed=str(i))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        now = snapshot(out)
        assert set(now) == set(OUTPUTS), f"a file went missing after a kill at {delay:.2f} s"
        for name, data in now.items():
            assert data in (before[name], ref[name]), f"{name} is neither the old nor the new file after a kill at {delay:.2f} s"
    # a build after the kills (the cache they left, other workers, another hash seed) is exact
    proc = kg_build(new, out, "--workers", "2", seed="12345")
    assert proc.wait(120) == 0, proc.stderr.read().decode()
    assert snapshot(out) == ref
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers


def test_two_builds_into_one_folder_do_not_interleave(inputs):
    root, _, new, ref = inputs
    out = root / "two"
    first = kg_build(new, out, "--workers", "1", "--no-cache", seed="1")
    lock = out / LOCK_NAME
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (lock.exists() and f"pid {first.pid} " in lock.read_text()):
        time.sleep(0.05)
    second = kg_build(new, out, "--workers", "1", "--no-cache", seed="2")
    assert second.wait(60) == 2
    msg = second.stderr.read().decode().strip()
    assert f"pid {first.pid} " in msg and "another kg build is writing into this folder" in msg
    assert len(msg.splitlines()) == 1
    assert first.wait(120) == 0, first.stderr.read().decode()
    assert snapshot(out) == ref


def test_the_lock_names_its_holder_and_is_released(tmp_path):
    out = tmp_path / "out"
    with build_lock(out):
        holder = (out / LOCK_NAME).read_text()
        assert holder.startswith(f"pid {os.getpid()} on ")
        with pytest.raises(BuildLockedError) as e:
            build([EXAMPLES / "en-01-hal-al31fp-engine-order.md"], out)
        assert f"pid {os.getpid()}" in str(e.value) and e.value.exit_code == 2
    with build_lock(out):  # released on exit, also after an error
        pass


def test_the_lock_removes_what_a_killed_build_left(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".graph.nq.k3j_x9ab.tmp").write_text("half a file")
    (out / ".kg-spill.q8w2er7t.tmp").mkdir()  # a killed build's extraction results
    (out / ".kg-spill.q8w2er7t.tmp" / "123.bin").write_bytes(b"results")
    (out / ".notes.x8k2p1m9.tmp").mkdir()  # a folder the build never makes: not ours to remove
    (out / "graph.nq").write_text("kept")
    (out / "notes.tmp").write_text("not ours")
    with build_lock(out):
        pass
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, ".notes.x8k2p1m9.tmp", "graph.nq", "notes.tmp"]


def _open_files(q) -> None:
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    q.put(sorted(out))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc (Linux)")
def test_forked_workers_do_not_hold_the_build_lock(tmp_path):
    """A worker forked during a build (extraction, SHACL parts) closes its copy of the lock,
    so a worker still busy after its build was killed cannot keep the next build out."""
    import multiprocessing as mp

    from kg.lock import build_lock

    ctx = mp.get_context("fork")
    with build_lock(tmp_path) as lock:
        q = ctx.Queue()
        p = ctx.Process(target=_open_files, args=(q,))
        p.start()
        child = q.get(timeout=30)
        p.join(30)
        _open_files(q)
        parent = q.get(timeout=30)
    assert str(lock.resolve()) in parent
    assert str(lock.resolve()) not in child


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
def test_a_killed_build_leaves_no_worker_behind(inputs):
    """Pool workers (extraction, SHACL parts) end with their build, even a SIGKILLed one."""
    root, _, new, _ = inputs
    proc = kg_build(new, root / "orphans", "--workers", "2", "--no-cache")
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the build started no pool"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.05)
    alive = []
    for w in workers:
        try:
            if Path(f"/proc/{w}/stat").read_text().split()[2] != "Z":
                alive.append(w)
        except OSError:
            pass
    assert alive == [], f"workers {alive} outlived their build"
