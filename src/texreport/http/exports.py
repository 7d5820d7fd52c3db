"""Session PDFs: cache key, cache lookup, single-flight compile, caching (no web framework here).

Every export goes through :meth:`Exports.session_pdf` and every stateless render
through :meth:`Exports.stateless_pdf`; this is the one place that decides
whether a compile happens, so render-ahead and cross-instance leases plug in
here. What a caller must know:

* Rendered PDFs are cached per session under :func:`cache_key`: a hash of the
  canonical report JSON, its generation time, the language and
  :func:`content_version` (templates, style, fonts, core code), so a changed
  report or a new version never serves a stale PDF.
* A compile caches its PDF in its own thread before anyone is answered, so a
  client that left still leaves a cached PDF for its retry.
* Errors: :class:`ReportNotGenerated`, :class:`~texreport.http.store.SessionNotFound`,
  :class:`~texreport.http.render_queue.QueueFull` / ``ClientGone`` and whatever
  the renderer raised (:class:`~texreport.errors.InputError`,
  :class:`~texreport.errors.RenderError`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Protocol

from .. import __version__
from ..models import Report, load_document
from .metrics import Metrics
from .records import StoredReport, canonical_json
from .render_queue import RenderQueue
from .reports import report_data
from .store import SessionNotFound, Store

__all__ = [
    "Exports",
    "PdfResult",
    "Renderer",
    "ReportNotGenerated",
    "cache_key",
    "content_version",
    "etag_matches",
    "etag_of",
]

Disconnected = Callable[[], Awaitable[bool]]


class Renderer(Protocol):
    """Turns a validated report into PDF bytes (blocking). Tests inject fakes."""

    def __call__(self, report: Report, *, lang: str | None, generated_at: datetime | None) -> bytes: ...


class ReportNotGenerated(Exception):
    """The session exists but its report was not generated (the export's 400)."""


@dataclass(frozen=True)
class PdfResult:
    """A PDF and its ETag; ``pdf`` is ``None`` when the caller's ``If-None-Match`` matched."""

    etag: str
    pdf: bytes | None


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


def cache_key(canonical_report: str, *, version: str, lang: str | None, generated_at: datetime) -> str:
    """sha256 over everything the PDF depends on; two reports share a key only if identical."""
    material = "\0".join([canonical_report, version, lang or "", generated_at.isoformat()])
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


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
                 compile_path: str) -> None:
        self.store = store
        self.queue = queue
        self.render = render
        self.version = version
        self.metrics = metrics
        self.compile_path = compile_path     # "warm" or "cold": the metrics label of this app's compiles

    async def session_pdf(self, session_id: str, lang: str | None, *, if_none_match: str | None,
                          is_disconnected: Disconnected | None = None) -> PdfResult:
        """The PDF of a session's generated report, from the cache or compiled now."""
        stored = await asyncio.to_thread(self.store.get_report, session_id)
        if stored is None:
            if await asyncio.to_thread(self.store.get_session, session_id) is None:
                raise SessionNotFound(session_id)
            raise ReportNotGenerated(session_id)
        key = cache_key(stored.canonical, version=self.version, lang=lang, generated_at=stored.generated_at)
        cached = await self._cached(session_id, key, if_none_match)
        self.metrics.pdf_cache.labels("hit" if cached is not None else "miss").inc()
        if cached is not None:
            return cached
        job = partial(self._render_and_cache, stored, key, lang)
        pdf, etag = await self.queue.run(key, job, is_disconnected=is_disconnected)
        return PdfResult(etag, None if etag_matches(if_none_match, etag) else pdf)

    async def _cached(self, session_id: str, key: str, if_none_match: str | None) -> PdfResult | None:
        cached = await asyncio.to_thread(partial(self.store.cached_pdf, session_id, key,
                                                 with_bytes=not if_none_match))
        if cached is None:
            return None
        if etag_matches(if_none_match, cached.etag):
            return PdfResult(cached.etag, None)
        if cached.pdf is None:
            cached = await asyncio.to_thread(self.store.cached_pdf, session_id, key)
        return None if cached is None or cached.pdf is None else PdfResult(cached.etag, cached.pdf)

    def _render_and_cache(self, stored: StoredReport, key: str, lang: str | None) -> tuple[bytes, str]:
        """Compile-thread job: render a stored report and cache the PDF before anyone is answered."""
        report = load_document(stored.data)
        pdf = self._timed_render(report, lang, stored.generated_at)
        etag = etag_of(pdf)
        self.store.save_pdf(stored.session_id, key, etag, pdf)
        return pdf, etag

    async def stateless_pdf(self, report: Report, lang: str | None, *,
                            is_disconnected: Disconnected | None = None) -> PdfResult:
        """A PDF of a report that is not stored (single flight by content, never cached)."""
        material = "\0".join([canonical_json(report_data(report)), self.version, lang or ""])
        key = "stateless:" + hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
        pdf = await self.queue.run(key, partial(self._timed_render, report, lang, None),
                                   is_disconnected=is_disconnected)
        return PdfResult(etag_of(pdf), pdf)

    def _timed_render(self, report: Report, lang: str | None, generated_at: datetime | None) -> bytes:
        began = time.monotonic()
        pdf = self.render(report, lang=lang, generated_at=generated_at)
        self.metrics.compile_seconds.labels(self.compile_path).observe(time.monotonic() - began)
        return pdf
