"""Render-ahead: a report's PDF is compiled in the background when the report comes into being.

When ``GET /report`` generates a report (first time, or again after an answer
changed it), :meth:`RenderAhead.schedule` queues its PDF; one background thread
compiles it, in a compiler of its own (a warm pool at lower CPU priority), into
the same cache the export reads (:class:`~texreport.http.exports.Exports`), under
the same key. The user's click then finds the PDF ready. What a caller must know:

* **On-demand exports go first and never wait behind it.** Background work runs
  one job at a time, outside the export queue's slots, and only starts while no
  export is compiling or waiting (``is_busy``). An export whose PDF is still
  *queued* here takes the job over (:meth:`claim` drops it from the queue); one
  whose PDF is *being compiled* here joins that compile (single flight) and, if
  the compile fails, compiles on demand.
* **Never stale.** The cache key hashes the report and its generation time, so a
  PDF of an older report can never be served for a newer one; on top of that an
  answer or a delete :meth:`discard` s the session's job (a running compile is
  killed: no process or folder is left), and a finished job is only cached if
  the stored report is still the one it rendered.
* **Bounded.** At most ``max_pending`` jobs wait (the oldest is dropped: it was
  only a head start), and one runs; a flood of reports costs one low-priority
  compile at a time, never an export's slot or unbounded memory.
* A restart loses nothing but the head start. :attr:`stats` and the
  ``render_ahead_hits`` telemetry count how often an export found its PDF ready.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass

from .. import telemetry
from ..models import load_document
from .exports import Renderer, cache_key, etag_of
from .records import StoredReport
from .store import Store

__all__ = ["RenderAhead", "RenderAheadStats"]

log = logging.getLogger("texreport.http")
Compiled = tuple[bytes, str]  # PDF and ETag, as Exports' compile jobs return them


@dataclass
class RenderAheadStats:
    """Counters for /metrics-style reporting, the logs and the tests."""

    scheduled: int = 0    # jobs queued
    compiled: int = 0     # PDFs cached ahead of their export
    hits: int = 0         # exports that found their PDF ready in the cache
    joined: int = 0       # exports that joined a background compile in progress
    claimed: int = 0      # queued jobs an export took over (compiled on demand instead)
    discarded: int = 0    # jobs dropped because their report changed or went away
    dropped: int = 0      # jobs dropped to keep the queue bounded
    failed: int = 0       # background compiles that raised


@dataclass
class _Job:
    key: str
    stored: StoredReport
    future: Future[Compiled]
    cancelled: bool = False


class RenderAhead:
    """One background thread that renders queued reports into the export cache."""

    def __init__(self, *, store: Store, render: Renderer, version: str, is_busy: Callable[[], bool],
                 abort: Callable[[], None] | None = None, promote: Callable[[], None] | None = None,
                 on_close: Callable[[], None] | None = None, max_pending: int = 16, idle_poll: float = 0.2,
                 remember: Callable[[str, str, bytes], None] | None = None) -> None:
        """``render`` compiles in the background's own compiler; ``abort`` kills the compile in
        progress (its job then fails); ``promote`` lifts its CPU priority when an export joins it;
        ``on_close`` releases that compiler (after the thread ended); ``remember(key, etag, pdf)``
        also keeps each PDF cached ahead where the export looks first (``Exports.memory.put``)."""
        self.store = store
        self.render = render
        self.version = version
        self.is_busy = is_busy
        self.abort = abort
        self.promote = promote
        self.on_close = on_close
        self.max_pending = max_pending
        self.idle_poll = idle_poll
        self.stats = RenderAheadStats()
        self._lock = threading.Condition()
        self._pending: OrderedDict[str, _Job] = OrderedDict()
        self._running: _Job | None = None
        self._ready: deque[str] = deque(maxlen=256)  # keys cached ahead and not exported yet
        self._closed = False
        self._thread: threading.Thread | None = None
        self.remember = remember

    def key_of(self, stored: StoredReport) -> str:
        """The export's cache key of this report in its default language."""
        return cache_key(stored.canonical, version=self.version, lang=None, generated_at=stored.generated_at)

    def schedule(self, stored: StoredReport) -> None:
        """Queue this report's PDF (a no-op if it is queued, compiling or closed)."""
        key = self.key_of(stored)
        with self._lock:
            if self._closed or key in self._pending or (self._running and self._running.key == key):
                return
            for old_key in [k for k, job in self._pending.items() if job.stored.session_id == stored.session_id]:
                self._drop(old_key, "discarded")  # an older report of the same session
            while len(self._pending) >= self.max_pending:
                self._drop(next(iter(self._pending)), "dropped")
            self._pending[key] = _Job(key, stored, Future())
            self.stats.scheduled += 1
            self._start_thread()
            self._lock.notify_all()

    def discard(self, session_id: str) -> None:
        """The session's report changed or went away: drop its job, kill its compile if running."""
        with self._lock:
            for key in [k for k, job in self._pending.items() if job.stored.session_id == session_id]:
                self._drop(key, "discarded")
            running = self._running
            if running is None or running.stored.session_id != session_id or running.cancelled:
                return
            running.cancelled = True
            self.stats.discarded += 1
            if self.abort is not None:
                self.abort()  # under the lock: the compile killed is this job's, not the next one's

    def claim(self, key: str) -> Future[Compiled] | None:
        """For an export about to compile ``key``: the background compile to join, if one runs.

        A job still queued is dropped (the export compiles now, at full priority) and
        ``None`` is returned, as when there is no job at all.
        """
        with self._lock:
            if key in self._pending:
                self._drop(key, "claimed")
                return None
            running = self._running
            if running is None or running.key != key or running.cancelled:
                return None
            self.stats.joined += 1
        if self.promote is not None:
            self.promote()
        return running.future

    def note_cache_hit(self, key: str) -> None:
        """An export was served from the cache: count it if render-ahead put the PDF there."""
        with self._lock:
            if key not in self._ready:
                return
            self._ready.remove(key)
            self.stats.hits += 1
        telemetry.count(telemetry.RENDER_AHEAD_HITS)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or compiling here (a drain; tests); False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._pending and self._running is None, timeout)

    def close(self) -> None:
        """Drop queued jobs, kill the compile in progress, release the compiler, end the thread.

        The compiler is released before the thread is joined: a job still laying out its
        report then fails at once instead of compiling it, so shutdown never waits for one.
        """
        with self._lock:
            self._closed = True
            for key in list(self._pending):
                self._drop(key, "discarded")
            running = self._running
            if running is not None:
                running.cancelled = True
                if self.abort is not None:
                    self.abort()
            thread = self._thread
            self._lock.notify_all()
        if self.on_close is not None:
            self.on_close()
        if thread is not None:
            thread.join()

    # ------------------------------------------------------------------ the background thread

    def _drop(self, key: str, reason: str) -> None:
        # Called with the lock held.
        self._pending.pop(key).future.cancel()
        setattr(self.stats, reason, getattr(self.stats, reason) + 1)
        self._lock.notify_all()

    def _start_thread(self) -> None:
        # Called with the lock held.
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="texreport-render-ahead", daemon=True)
            self._thread.start()

    def _next(self) -> _Job | None:
        """The oldest queued job once no export is busy; ``None`` when closed."""
        with self._lock:
            while not self._closed:
                if self._pending and not self.is_busy():
                    job = self._pending.pop(next(iter(self._pending)))
                    job.future.set_running_or_notify_cancel()  # from here on a joiner cannot cancel it
                    self._running = job
                    return job
                # Exports are busy: look again soon (they do not notify this thread).
                self._lock.wait(self.idle_poll if self._pending else None)
            return None

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            try:
                job.future.set_result(self._run(job))
            except BaseException as error:
                job.future.set_exception(error)
            finally:
                with self._lock:
                    self._running = None
                    self._lock.notify_all()

    def _run(self, job: _Job) -> Compiled:
        session_id = job.stored.session_id
        try:
            cached = self.store.cached_pdf(session_id, job.key)
            if cached is not None and cached.pdf is not None:
                return cached.pdf, cached.etag
            if job.cancelled or not self._still_current(job.stored):
                raise CancelledError()
            pdf = self.render(load_document(job.stored.data), lang=None, generated_at=job.stored.generated_at)
        except CancelledError:
            raise
        except Exception as error:
            if not job.cancelled:
                self.stats.failed += 1
                log.warning(json.dumps({"event": "render_ahead_failed", "session_id": session_id,
                                        "error": type(error).__name__}))
            raise
        etag = etag_of(pdf)
        if not job.cancelled and self._still_current(job.stored):
            self.store.save_pdf(session_id, job.key, etag, pdf)
            if self.remember is not None:
                self.remember(job.key, etag, pdf)
            with self._lock:
                self._ready.append(job.key)
                self.stats.compiled += 1
        return pdf, etag

    def _still_current(self, stored: StoredReport) -> bool:
        now = self.store.get_report(stored.session_id)
        return now is not None and now.canonical == stored.canonical and now.generated_at == stored.generated_at
