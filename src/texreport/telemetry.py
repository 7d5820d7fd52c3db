"""Process-wide event counts that a server can export (the web service's ``/metrics`` reads them).

Core modules call :func:`count` where something worth watching happens (a
worker restarted, a format rebuilt); nothing here prints, logs or imports a
metrics library, so the CLI pays nothing for it.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["count", "snapshot", "WORKER_RESTARTS", "FORMAT_BUILDS", "RENDER_AHEAD_HITS"]

WORKER_RESTARTS = "worker_restarts"      # a warm xelatex worker found dead and replaced
FORMAT_BUILDS = "format_builds"          # the precompiled format built (first time or rebuilt)
RENDER_AHEAD_HITS = "render_ahead_hits"  # an export served from a render started ahead of it

_counts: Counter[str] = Counter()
_lock = threading.Lock()


def count(event: str, amount: int = 1) -> None:
    with _lock:
        _counts[event] += amount


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)
