"""The extraction cache of incremental builds: an unchanged article read with unchanged rules
and unchanged code is not extracted again.

An entry is keyed by the article's bytes, its path and slug (both appear in the facts'
provenance), the rule pack's digest and a digest of the code that reads and extracts, so a
changed article, rule file or extractor misses the cache. Entries are pickles written
atomically, one file each, under `<cache dir>/<2 hex>/<key>.pkl`; the cache is local to one
machine and one user, and a corrupt or unreadable entry is treated as a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from . import __version__

CACHE_FORMAT = 1
CACHE_DIRNAME = ".kg-cache"
# the modules whose behaviour decides what an article yields
_CODE = ("documents.py", "extract.py", "rules/gazetteer.py", "rules/values.py", "rules/text.py", "rules/pattern.py",
         "rules/pack.py", "rules/morph.py", "rules/prefilter.py", "cache.py")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the kg version and the source of the extraction modules."""
    h = hashlib.sha256(f"{__version__}\0{CACHE_FORMAT}\0".encode())
    here = Path(__file__).parent
    for name in _CODE:
        p = here / name
        h.update(name.encode() + b"\0")
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def entry_key(data: bytes, path: str, slug: str, pack_digest: str) -> str:
    h = hashlib.sha256()
    for part in (code_digest(), pack_digest, path, slug):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()[:32]


class ExtractionCache:
    """get/put of pickled extraction results under a folder."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _file(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pkl"

    def get(self, key: str):
        try:
            with open(self._file(key), "rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # a truncated or foreign file: extract again and overwrite it
            return None

    def put(self, key: str, value) -> None:
        f = self._file(key)
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=f.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, f)
        except OSError:  # a read-only or full disk costs speed, never the build
            try:
                os.unlink(tmp)  # type: ignore[possibly-undefined]
            except (OSError, UnboundLocalError):
                pass
