"""The render queue: bounded slots, bounded waiting, single flight, disconnects."""

from __future__ import annotations

import asyncio
import threading

import pytest

from texreport.http.render_queue import ClientGone, QueueFull, RenderQueue
from waiting import async_wait_until


class GatedJob:
    """A blocking job that waits for ``gate`` and counts its runs (thread-safe)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.runs = 0
        self.concurrent = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, value: str = "done") -> str:
        with self._lock:
            self.runs += 1
            self.concurrent += 1
            self.peak = max(self.peak, self.concurrent)
        try:
            assert self.gate.wait(10), "gate never opened"
            return value
        finally:
            with self._lock:
                self.concurrent -= 1


def test_concurrency_is_bounded_and_overflow_is_rejected():
    async def scenario():
        queue = RenderQueue(max_concurrent=2, max_waiting=1)
        job = GatedJob()
        tasks = [asyncio.create_task(queue.run(f"k{n}", lambda n=n: job(f"r{n}"))) for n in range(3)]
        await async_wait_until(lambda: job.concurrent == 2, "two jobs running in their threads")
        assert (queue.running, queue.waiting) == (2, 1)
        with pytest.raises(QueueFull) as busy:
            await queue.run("k3", job)
        assert busy.value.retry_after >= 1
        job.gate.set()
        assert await asyncio.gather(*tasks) == ["r0", "r1", "r2"]
        assert job.peak == 2 and job.runs == 3
        assert queue.stats.rejected == 1
        assert (queue.running, queue.waiting) == (0, 0)
        assert await queue.run("k3", job) == "done"   # room again
        queue.close()

    asyncio.run(scenario())


def test_single_flight_shares_one_job_and_does_not_use_queue_room():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0)
        job = GatedJob()
        tasks = [asyncio.create_task(queue.run("same", job)) for _ in range(6)]
        await async_wait_until(lambda: job.concurrent == 1 and queue.stats.joined == 5, "one job, five joined")
        job.gate.set()
        assert await asyncio.gather(*tasks) == ["done"] * 6
        assert job.runs == 1 and queue.stats.joined == 5
        queue.close()

    asyncio.run(scenario())


def test_a_shared_failure_reaches_every_waiter():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0)

        release = threading.Event()

        def boom():
            assert release.wait(10), "never released"
            raise ValueError("no pdf")

        waiters = asyncio.gather(*[queue.run("k", boom) for _ in range(3)], return_exceptions=True)
        await async_wait_until(lambda: queue.stats.joined == 2, "two requests joining the failing job")
        release.set()
        results = await waiters
        assert all(isinstance(r, ValueError) for r in results)
        assert queue.stats.started == 1
        queue.close()

    asyncio.run(scenario())


def test_a_job_whose_clients_left_before_it_started_is_dropped():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=1, poll_interval=0.02)
        blocker = GatedJob()
        queued = GatedJob()
        first = asyncio.create_task(queue.run("busy", blocker))
        await async_wait_until(lambda: blocker.concurrent == 1, "the blocker running")
        gone = asyncio.Event()

        async def disconnected() -> bool:
            return gone.is_set()

        waiting = asyncio.create_task(queue.run("queued", queued, is_disconnected=disconnected))
        await async_wait_until(lambda: queue.waiting == 1, "a job waiting for the slot")
        gone.set()
        with pytest.raises(ClientGone):
            await waiting
        await async_wait_until(lambda: queue.waiting == 0, "the abandoned job leaving the queue")
        assert queue.stats.abandoned == 1
        blocker.gate.set()
        queued.gate.set()
        assert await first == "done"
        await async_wait_until(lambda: queue.running == 0, "the slot freed")
        assert queued.runs == 0 and queue.stats.started == 1          # never compiled
        queue.close()

    asyncio.run(scenario())


def test_a_running_job_finishes_after_its_client_left():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0, poll_interval=0.02)
        job = GatedJob()

        async def gone() -> bool:
            return True

        with pytest.raises(ClientGone):
            await queue.run("k", job, is_disconnected=gone)
        assert queue.running == 1        # still compiling: bounded by the compiler's timeout
        job.gate.set()
        await async_wait_until(lambda: queue.running == 0, "the abandoned running job finishing")
        assert job.runs == 1
        queue.close()

    asyncio.run(scenario())


def test_cancelled_request_does_not_cancel_a_shared_job():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0)
        job = GatedJob()
        a = asyncio.create_task(queue.run("k", job))
        b = asyncio.create_task(queue.run("k", job))
        await async_wait_until(lambda: job.concurrent == 1 and queue.stats.joined == 1, "one job, one joined")
        a.cancel()
        await async_wait_until(a.done, "the first request cancelled")
        job.gate.set()
        assert await b == "done"
        queue.close()

    asyncio.run(scenario())


def test_invalid_limits():
    with pytest.raises(ValueError):
        RenderQueue(max_concurrent=0, max_waiting=0)
    with pytest.raises(ValueError):
        RenderQueue(max_concurrent=1, max_waiting=-1)
