"""Child processes end with kg: pool workers (extraction, SHACL parts) and the SPARQL server.

Linux ends a child whose parent dies when the child asked for it (PR_SET_PDEATHSIG), even
when the parent is SIGKILLed; without it, a killed build left its pool workers waiting for
tasks forever. Elsewhere these are no-ops.
"""

from __future__ import annotations

import os
import signal


def end_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent ends."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def pool_worker_start(parent: int) -> None:
    """Initializer of a pool worker forked by process ``parent``: end with it, and end now
    if it already ended before the request was made."""
    end_with_parent()
    if os.getppid() != parent:
        os._exit(0)
