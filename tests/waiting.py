"""Bounded waits on a condition the code under test exposes (a counter, a process, a file).

Tests synchronise on events where the code offers one; where it does not (a thread pool's
state, a process appearing in /proc), they poll a real condition here, and the deadline fails
the test with a message naming what never happened — it never passes silently. This module is
the one place a test's synchronisation may sleep (see test_habits.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["async_wait_until", "wait_until"]

INTERVAL = 0.02


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0, interval: float = INTERVAL) -> None:
    """Return once ``condition()`` is true; fail the test after ``timeout`` seconds.

    ``interval`` spaces the checks (longer for a check that sends a request).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for: {what}")
        time.sleep(interval)


async def async_wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Like :func:`wait_until`, yielding to the event loop between checks."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for: {what}")
        await asyncio.sleep(INTERVAL)
