"""One build at a time per output folder: a lock file that names the build holding it.

`kg build` takes an exclusive ``flock`` on ``OUT/.kg-build.lock`` before it reads anything
and keeps it until every output is written. A second build into the same folder fails at
once with a message naming the first (its process id, host and start time) instead of
interleaving its files with the first's. The kernel drops the lock when the holder ends,
even by SIGKILL, so a killed build never leaves a stale lock; the file itself stays (it is
hidden, and `kg serve` never serves hidden files).

Holding the lock also makes it safe to delete what a killed build left behind: the
temporary files of `write_atomic` (``.NAME.XXXX.tmp``), which never replaced an output,
and its spill folder (``.kg-spill.XXXX.tmp``), which only that build read.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import functools
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import KGError

LOCK_NAME = ".kg-build.lock"
# write_atomic's temporary files: "." + output name + "." + mkstemp's random part + ".tmp";
# a build's spill folder (kg/build.py) is named alike: ".kg-spill." + random part + ".tmp"
_STALE_TMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")


class BuildLockedError(KGError):
    """Another build is writing into the same output folder."""

    def __init__(self, out_dir: str, holder: str):
        self.out_dir, self.holder = out_dir, holder
        super().__init__(
            f"{out_dir}: another kg build is writing into this folder ({holder}); "
            "wait for it to finish or choose another --out"
        )

    def __reduce__(self):
        return (BuildLockedError, (self.out_dir, self.holder))


_HELD: set[int] = set()  # descriptors of the locks this process holds


def _close_in_child() -> None:
    """A forked worker (extraction, SHACL parts) closes its copies of the lock descriptors:
    the lock belongs to the build, and a worker still busy after its build was killed must
    not keep the next build out. (Closing a copy does not release the parent's lock.)"""
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def build_lock(out_dir: str | Path) -> Iterator[Path]:
    """Hold the output folder's lock for the block (the folder is created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "process unknown"
            raise BuildLockedError(str(out), holder) from None
        stamp = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {stamp}\n".encode(), 0)
        remove_stale_temporaries(out)
        _HELD.add(fd)
        yield path
    finally:
        _HELD.discard(fd)
        os.close(fd)  # closing the descriptor releases the lock


def remove_stale_temporaries(out: Path) -> list[str]:
    """Delete temporary files a killed build left in ``out`` (call only while holding the lock)."""
    import shutil

    removed = []
    for p in out.iterdir():
        if not _STALE_TMP.match(p.name):
            continue
        try:
            if p.is_file():
                p.unlink()
            elif p.name.startswith(".kg-spill.") and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                continue
            removed.append(p.name)
        except OSError:
            pass
    return sorted(removed)


def locked(build):
    """Decorator for ``build(paths, out_dir, ...)``: the whole build holds ``out_dir``'s lock."""

    @functools.wraps(build)
    def wrapper(paths, out_dir, *args, **kwargs):
        with build_lock(out_dir):
            return build(paths, out_dir, *args, **kwargs)

    return wrapper
