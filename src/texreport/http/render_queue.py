"""Bounded, shared compile work for the web service.

:class:`RenderQueue` runs blocking render jobs (xelatex, 1–3 s each) in its own
thread pool, from async request handlers. What a caller must know:

* **Bounded concurrency**: at most ``max_concurrent`` jobs run at once (a
  semaphore in front of a pool of exactly that many threads).
* **Bounded waiting**: at most ``max_waiting`` more jobs may wait for a slot.
  Beyond that :meth:`RenderQueue.run` raises :class:`QueueFull` at once, with a
  ``retry_after`` estimate in seconds (the app answers 503 + ``Retry-After``);
  work never piles up without limit.
* **Single flight**: a job is identified by a key (the PDF cache key). A request
  whose key is already queued or running joins that job instead of adding one, and
  does not count against the waiting limit — it adds no compile work.
* **Disconnects**: a waiter may pass ``is_disconnected``; it is polled while the
  job is pending and :class:`ClientGone` is raised when it says so. A job whose
  waiters have all gone *before it started* is cancelled and frees its queue slot.
  A job that already runs is left to finish: xelatex cannot be interrupted
  cleanly from another thread, its run is bounded by the compiler's own timeout
  (the whole process group is killed after it), and its result still fills the
  cache for the client's retry. So no compile outlives that timeout.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["ClientGone", "QueueFull", "QueueStats", "RenderQueue"]

T = TypeVar("T")


class QueueFull(Exception):
    """Every compile slot is busy and the wait queue is full; retry after ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"render queue full; retry after {retry_after} s")


class ClientGone(Exception):
    """The waiting client disconnected; nothing should be sent."""


@dataclass
class QueueStats:
    """Counters for tests and the logs."""

    started: int = 0        # jobs that got a slot and ran
    joined: int = 0         # requests that shared an existing job (single flight)
    rejected: int = 0       # QueueFull raised
    abandoned: int = 0      # jobs cancelled before they started (all waiters gone)


@dataclass
class _Flight:
    task: asyncio.Task  # type: ignore[type-arg]
    waiters: int = 0
    started: bool = False


@dataclass
class _Timing:
    # Exponentially weighted mean of job durations, for Retry-After.
    mean_seconds: float = 3.0
    weight: float = 0.2
    samples: int = field(default=0)

    def add(self, seconds: float) -> None:
        self.samples += 1
        self.mean_seconds += self.weight * (seconds - self.mean_seconds)


class RenderQueue:
    """At most ``max_concurrent`` blocking jobs at once, ``max_waiting`` queued, one per key."""

    def __init__(self, *, max_concurrent: int, max_waiting: int, poll_interval: float = 0.5) -> None:
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        if max_waiting < 0:
            raise ValueError("max_waiting must be 0 or more")
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self.poll_interval = poll_interval
        self.stats = QueueStats()
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="texreport-compile")
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flights: dict[str, _Flight] = {}
        self._admitted = 0      # queued + running jobs (not waiters)
        self._running = 0
        self._timing = _Timing()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return self._admitted - self._running

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the queue ahead, drained by all slots."""
        rounds = (self._admitted + 1) / self.max_concurrent
        return max(1, min(120, math.ceil(rounds * self._timing.mean_seconds)))

    async def run(
        self,
        key: str,
        job: Callable[[], T],
        *,
        is_disconnected: Callable[[], Awaitable[bool]] | None = None,
    ) -> T:
        """Run ``job`` in a compile slot (or join the job already running for ``key``).

        Raises :class:`QueueFull`, :class:`ClientGone`, or whatever ``job`` raised
        (every waiter of a shared job gets the same exception).
        """
        flight = self._join_or_admit(key, job)
        flight.waiters += 1
        try:
            return await self._wait(flight, is_disconnected)
        finally:
            self._leave(key, flight)

    def _join_or_admit(self, key: str, job: Callable[[], T]) -> _Flight:
        """The job queued or running for ``key``, else a new one; QueueFull when no place is left."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or (self._loop is not loop and not self._flights):
            # Created lazily: it must belong to the loop that serves requests (a test
            # client may run each request on a fresh loop).
            self._semaphore = asyncio.Semaphore(self.max_concurrent)
            self._loop = loop
        flight = self._flights.get(key)
        if flight is not None:
            self.stats.joined += 1
            return flight
        if self._admitted >= self.max_concurrent + self.max_waiting:
            self.stats.rejected += 1
            raise QueueFull(self.retry_after())
        self._admitted += 1
        flight = _Flight(task=None)  # type: ignore[arg-type]
        flight.task = loop.create_task(self._execute(key, flight, job))
        # Mark the outcome as seen even if every waiter left: no "never retrieved" noise.
        flight.task.add_done_callback(lambda task: task.cancelled() or task.exception())
        self._flights[key] = flight
        return flight

    def _leave(self, key: str, flight: _Flight) -> None:
        """One waiter fewer; a job nobody waits for any more is dropped if it has not taken a slot."""
        flight.waiters -= 1
        if flight.waiters == 0 and not flight.started and not flight.task.done():
            # Nobody wants this result any more: drop it now so that it neither compiles
            # nor holds a queue place.
            self.stats.abandoned += 1
            flight.task.cancel()
            if self._flights.get(key) is flight:
                del self._flights[key]

    async def _wait(self, flight: _Flight, is_disconnected: Callable[[], Awaitable[bool]] | None) -> T:
        if is_disconnected is None:
            # shield: a cancelled request must not cancel a job that others may share.
            return await asyncio.shield(flight.task)
        while True:
            done, _ = await asyncio.wait({flight.task}, timeout=self.poll_interval)
            if done:
                result: T = flight.task.result()
                return result
            if await is_disconnected():
                raise ClientGone()

    async def _execute(self, key: str, flight: _Flight, job: Callable[[], T]) -> T:
        assert self._semaphore is not None
        try:
            async with self._semaphore:
                flight.started = True
                self._running += 1
                self.stats.started += 1
                began = time.monotonic()
                try:
                    return await asyncio.get_running_loop().run_in_executor(self._executor, job)
                finally:
                    self._running -= 1
                    self._timing.add(time.monotonic() - began)
        finally:
            self._admitted -= 1
            if self._flights.get(key) is flight:
                del self._flights[key]

    def close(self) -> None:
        """Stop accepting work; queued jobs are dropped, running ones finish in their threads."""
        for flight in list(self._flights.values()):
            if not flight.started:
                flight.task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
