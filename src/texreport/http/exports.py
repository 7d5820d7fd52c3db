"""Session PDFs: cache key, cache lookup, single-flight compile, caching (no web framework here).

Every export goes through :meth:`Exports.session_pdf` and every stateless render
through :meth:`Exports.stateless_pdf`; this is the one place that decides
whether a compile happens, so render-ahead and cross-instance leases plug in
here. What a caller must know:

* Rendered PDFs are cached per session under :func:`cache_key`: a hash of the
  canonical report JSON, its generation time, the language, the theme and
  :func:`content_version` (templates, style, fonts, core code), so a changed
  report or a new version never serves a stale PDF. A session keeps up to
  :data:`~texreport.http.store.PDF_VARIANTS` of them side by side (``?lang=zh``,
  ``?lang=en``, ``?theme=``…; the least recently served goes first), so
  alternating languages compiles each once; a submitted answer drops them all.
* A compile caches its PDF in its own thread before anyone is answered, so a
  client that left still leaves a cached PDF for its retry.
* Several instances on one database compile a PDF once: a compile first takes a
  lease in the database (renewed while it runs); an instance that finds the
  lease held waits for the PDF to appear in the shared cache, and compiles it
  itself if the lease ends without one (the holder died).
* Errors: :class:`ReportNotGenerated`, :class:`~texreport.http.store.SessionNotFound`,
  :class:`~texreport.http.render_queue.QueueFull` / ``ClientGone`` and whatever
  the renderer raised (:class:`~texreport.errors.InputError`,
  :class:`~texreport.errors.RenderError`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .. import __version__
from ..models import Report, load_document
from ..theme import Theme
from .metrics import Metrics
from .pdf_memory import PdfMemory
from .records import StoredReport, canonical_json
from .render_queue import ClientGone, QueueFull, RenderQueue
from .reports import report_data
from .store import SessionNotFound, Store

if TYPE_CHECKING:
    from .render_ahead import RenderAhead

__all__ = [
    "Disconnected",
    "Exports",
    "PdfResult",
    "Renderer",
    "ReportNotGenerated",
    "cache_key",
    "content_version",
    "digest",
    "etag_matches",
    "etag_of",
    "theme_argument",
    "theme_part",
]

Disconnected = Callable[[], Awaitable[bool]]    # "has the client gone?" (Starlette's request.is_disconnected)
log = logging.getLogger("texreport.http")


class Renderer(Protocol):
    """Turns a validated report into PDF bytes (blocking). Tests inject fakes."""

    def __call__(self, report: Report, *, lang: str | None, generated_at: datetime | None,
                 theme: Theme | None = None) -> bytes: ...
    # ``theme`` is passed only when a request picked a theme other than the service's default.


class ReportNotGenerated(Exception):
    """The session exists but its report was not generated (the export's 400)."""


@dataclass(frozen=True)
class PdfResult:
    """A PDF and its ETag; ``pdf`` is ``None`` when the caller's ``If-None-Match`` matched."""

    etag: str
    pdf: bytes | None

    @classmethod
    def answering(cls, if_none_match: str | None, etag: str, pdf: bytes) -> PdfResult:
        """What a request gets: without the bytes when its ``If-None-Match`` names this ETag."""
        return cls(etag, None if etag_matches(if_none_match, etag) else pdf)


def theme_argument(theme: Theme | None) -> dict[str, Theme]:
    """A renderer's ``theme=`` keyword, given only when a request picked a theme (test fakes take none)."""
    return {} if theme is None else {"theme": theme}


def content_version() -> str:
    """A hash of everything in the package that can change a PDF, plus ``__version__``.

    That is every file of the installed package (templates and style under
    ``latex/``, ``fonts/``, data files, the core modules), except this web layer.
    """
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"texreport {__version__}\n".encode())
    for folder, subfolders, files in os.walk(package, followlinks=True):
        subfolders[:] = sorted(d for d in subfolders if d not in ("__pycache__", "http"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(folder) / name
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def digest(*parts: str) -> str:
    """sha256 (hex) of ``parts``, NUL-separated: every PDF key (cache, single flight) is made here."""
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def theme_part(theme: Theme | None) -> str:
    """A key's theme part: the picked theme's fingerprint, empty for the service's default."""
    return theme.fingerprint if theme is not None else ""


def cache_key(canonical_report: str, *, version: str, lang: str | None, generated_at: datetime,
              theme: Theme | None = None) -> str:
    """sha256 over everything the PDF depends on; two reports share a key only if identical.

    ``theme``: the theme a request picked (None: the service's default).
    """
    return digest(canonical_report, version, lang or "", generated_at.isoformat(), theme_part(theme))


def etag_of(pdf: bytes) -> str:
    return '"' + hashlib.sha256(pdf).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match`` against an ETag, weak comparison (RFC 9110 13.1.2): ``W/"x"`` matches ``"x"``."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


class Exports:
    """The export path: cache first, else one compile per key (single flight), cached before answering."""

    def __init__(self, *, store: Store, queue: RenderQueue, render: Renderer, version: str, metrics: Metrics,
                 compile_path: str, lease_seconds: float = 30.0, give_up_after: float = 150.0,
                 poll_seconds: float = 0.2, memory_bytes: int = 64 * 1024 * 1024) -> None:
        self.store = store
        self.queue = queue
        self.render = render
        self.version = version
        self.metrics = metrics
        self.compile_path = compile_path     # "warm" or "cold": the metrics label of this app's compiles
        self.lease_seconds = lease_seconds   # a lease not renewed this long is free for another instance
        self.give_up_after = give_up_after   # waiting for another instance longer than this: 503
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.ahead: RenderAhead | None = None  # set by create_app when render-ahead is on
        # PDFs this instance compiled or served lately, by content key: an export (a prepared
        # one above all) answers without reading the blob back from the database.
        self.memory = PdfMemory(items=1024, max_bytes=memory_bytes)

    def report_generated(self, stored: StoredReport) -> None:
        """A report came into being: start its PDF ahead of the export (if render-ahead is on)."""
        if self.ahead is not None:
            self.ahead.schedule(stored)

    def report_changed(self, session_id: str) -> None:
        """A session's report was invalidated or deleted: drop its PDF started ahead."""
        if self.ahead is not None:
            self.ahead.discard(session_id)

    async def session_pdf(self, session_id: str, lang: str | None, *, if_none_match: str | None,
                          is_disconnected: Disconnected | None = None, theme: Theme | None = None) -> PdfResult:
        """The PDF of a session's generated report, from the cache or compiled now."""
        stored = await asyncio.to_thread(self.store.get_report, session_id)
        if stored is None:
            if await asyncio.to_thread(self.store.get_session, session_id) is None:
                raise SessionNotFound(session_id)
            raise ReportNotGenerated(session_id)
        key = cache_key(stored.canonical, version=self.version, lang=lang, generated_at=stored.generated_at,
                        theme=theme)
        cached = await self._cached(session_id, key, if_none_match)
        self.metrics.pdf_cache.labels("hit" if cached is not None else "miss").inc()
        if cached is not None:
            if self.ahead is not None:
                self.ahead.note_cache_hit(key)
            return cached
        joined = await self._join_ahead(key, if_none_match)
        if joined is not None:
            return joined
        if self.ahead is not None:  # render-ahead may have finished between the first look and the claim
            cached = await self._cached(session_id, key, if_none_match)
            if cached is not None:
                return cached
        deadline = time.monotonic() + self.give_up_after
        while True:
            job = partial(self._compile_under_lease, stored, key, lang, theme)
            compiled = await self.queue.run(key, job, is_disconnected=is_disconnected)
            if compiled is not None:
                pdf, etag = compiled
                return PdfResult.answering(if_none_match, etag, pdf)
            # Another instance holds the lease: its PDF lands in the shared cache.
            waited = await self._await_other(session_id, key, if_none_match, is_disconnected, deadline)
            if waited is not None:
                return waited

    async def _join_ahead(self, key: str, if_none_match: str | None) -> PdfResult | None:
        """The PDF render-ahead is compiling for ``key`` right now (one compile, shared); ``None``
        if it is not (a job still queued there is dropped: this export compiles it now)."""
        running = self.ahead.claim(key) if self.ahead is not None else None
        if running is None:
            return None
        try:
            pdf, etag = await asyncio.shield(asyncio.wrap_future(running))
        except Exception:  # failed or killed there: compile on demand
            return None
        return PdfResult.answering(if_none_match, etag, pdf)

    async def _await_other(self, session_id: str, key: str, if_none_match: str | None,
                           is_disconnected: Disconnected | None, deadline: float) -> PdfResult | None:
        """The PDF another instance is compiling, once cached; ``None`` if its lease ended without one."""
        while True:
            cached = await self._cached(session_id, key, if_none_match)
            if cached is not None:
                return cached
            if await asyncio.to_thread(self.store.lease_holder, session_id, key) is None:
                return None                  # released or expired (the other instance died): compile here
            if time.monotonic() > deadline:
                raise QueueFull(max(1, round(self.lease_seconds)))
            if is_disconnected is not None and await is_disconnected():
                raise ClientGone()
            await asyncio.sleep(self.poll_seconds)

    async def _cached(self, session_id: str, key: str, if_none_match: str | None) -> PdfResult | None:
        remembered = self.memory.get(key)
        if remembered is not None:
            return PdfResult.answering(if_none_match, *remembered)
        cached = await asyncio.to_thread(partial(self.store.cached_pdf, session_id, key,
                                                 with_bytes=not if_none_match))
        if cached is None:
            return None
        if etag_matches(if_none_match, cached.etag):
            return PdfResult(cached.etag, None)
        if cached.pdf is None:
            cached = await asyncio.to_thread(self.store.cached_pdf, session_id, key)
        if cached is None or cached.pdf is None:
            return None
        self.memory.put(key, cached.etag, cached.pdf)
        return PdfResult(cached.etag, cached.pdf)

    def _compile_under_lease(self, stored: StoredReport, key: str, lang: str | None,
                             theme: Theme | None = None) -> tuple[bytes, str] | None:
        """Compile-thread job: take the lease, render, cache, release; ``None`` if another instance has it.

        The lease is renewed while the compile runs, so it only expires when this
        process stops renewing it (killed, frozen); the PDF is cached before anyone
        is answered, so a client that left still leaves it for its retry.
        """
        session_id = stored.session_id
        if not self.store.take_lease(session_id, key, self.owner, self.lease_seconds):
            return None
        stop = threading.Event()
        heartbeat = threading.Thread(target=self._renew, args=(session_id, key, stop), daemon=True,
                                     name="texreport-lease")
        heartbeat.start()
        try:
            pdf = self._timed_render(load_document(stored.data), lang, stored.generated_at, theme)
            etag = etag_of(pdf)
            self.store.save_pdf(session_id, key, etag, pdf)
            self.memory.put(key, etag, pdf)
            return pdf, etag
        finally:
            stop.set()
            heartbeat.join()
            self.store.release_lease(session_id, key, self.owner)

    def _renew(self, session_id: str, key: str, stop: threading.Event) -> None:
        while not stop.wait(self.lease_seconds / 3):
            try:
                self.store.renew_lease(session_id, key, self.owner, self.lease_seconds)
            except Exception as error:
                log.warning("lease_renewal_failed", extra={"error": type(error).__name__})

    async def stateless_pdf(self, report: Report, lang: str | None, *,
                            is_disconnected: Disconnected | None = None, theme: Theme | None = None) -> PdfResult:
        """A PDF of a report that is not stored (single flight by content, never cached)."""
        key = "stateless:" + digest(canonical_json(report_data(report)), self.version, lang or "", theme_part(theme))
        pdf = await self.queue.run(key, partial(self._timed_render, report, lang, None, theme),
                                   is_disconnected=is_disconnected)
        return PdfResult(etag_of(pdf), pdf)

    def _timed_render(self, report: Report, lang: str | None, generated_at: datetime | None,
                      theme: Theme | None = None) -> bytes:
        began = time.monotonic()
        pdf = self.render(report, lang=lang, generated_at=generated_at, **theme_argument(theme))
        self.metrics.compile_seconds.labels(self.compile_path).observe(time.monotonic() - began)
        return pdf
