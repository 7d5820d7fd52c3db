"""The render queue: bounded slots, bounded waiting, single flight, disconnects."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from texreport.http.render_queue import ClientGone, QueueFull, RenderQueue


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


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.02)


def test_concurrency_is_bounded_and_overflow_is_rejected():
    async def scenario():
        queue = RenderQueue(max_concurrent=2, max_waiting=1)
        job = GatedJob()
        tasks = [asyncio.create_task(queue.run(f"k{n}", lambda n=n: job(f"r{n}"))) for n in range(3)]
        await settle()
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
        await settle()
        job.gate.set()
        assert await asyncio.gather(*tasks) == ["done"] * 6
        assert job.runs == 1 and queue.stats.joined == 5
        queue.close()

    asyncio.run(scenario())


def test_a_shared_failure_reaches_every_waiter():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0)

        def boom():
            time.sleep(0.1)
            raise ValueError("no pdf")

        results = await asyncio.gather(*[queue.run("k", boom) for _ in range(3)], return_exceptions=True)
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
        await settle()
        gone = asyncio.Event()

        async def disconnected() -> bool:
            return gone.is_set()

        waiting = asyncio.create_task(queue.run("queued", queued, is_disconnected=disconnected))
        await settle()
        assert queue.waiting == 1
        gone.set()
        with pytest.raises(ClientGone):
            await waiting
        await settle()
        assert queue.waiting == 0 and queue.stats.abandoned == 1
        blocker.gate.set()
        queued.gate.set()
        assert await first == "done"
        await settle()
        assert queued.runs == 0          # never compiled
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
        for _ in range(50):
            if queue.running == 0:
                break
            await asyncio.sleep(0.02)
        assert queue.running == 0 and job.runs == 1
        queue.close()

    asyncio.run(scenario())


def test_cancelled_request_does_not_cancel_a_shared_job():
    async def scenario():
        queue = RenderQueue(max_concurrent=1, max_waiting=0)
        job = GatedJob()
        a = asyncio.create_task(queue.run("k", job))
        b = asyncio.create_task(queue.run("k", job))
        await settle()
        a.cancel()
        await settle()
        job.gate.set()
        assert await b == "done"
        queue.close()

    asyncio.run(scenario())


def test_invalid_limits():
    with pytest.raises(ValueError):
        RenderQueue(max_concurrent=0, max_waiting=0)
    with pytest.raises(ValueError):
        RenderQueue(max_concurrent=1, max_waiting=-1)
