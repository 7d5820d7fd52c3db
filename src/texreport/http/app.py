"""The FastAPI application: wiring only (settings, services, middleware, error handlers, routers).

``create_app(settings)`` builds an app; ``texreport serve`` runs one under uvicorn.
What a caller (or a platform) must know:

* JSON endpoints answer in the platform's envelope
  ``{"code": <HTTP status>, "message": "success" | <brief error>, "data": …}``;
  invalid documents give 422 with ``data.errors = [{field, message}, …]``
  (dotted camelCase paths), malformed JSON gives 400.
* ``GET /api/interview/sessions/{id}/export`` answers plain HTTP, as the API page
  says: 200 PDF (``Content-Length``, ``Content-Disposition`` from
  :func:`texreport.naming.content_disposition`, ``ETag``; ``If-None-Match`` → 304),
  404 with an empty body for an unknown (or malformed) id, 400 with a brief text
  when the report is not generated, 500 with a brief text when generation fails —
  including a report the renderer refuses as input (an unsupported character):
  the page defines no other status, and a client following the page treats 400
  as "generate first" and would loop. ``POST /api/reports/pdf`` (stateless) names
  such a field with 422 instead. Busy: 503 with ``Retry-After``.
  The whole table: :data:`texreport.http.statuses.STATUSES`.
* Session ids must match :data:`texreport.naming.SESSION_ID_PATTERN`; anything
  else is "not found" before it reaches storage, a file name or a header.
* Every error body is brief: no traceback, server path or TeX log.

Where things live: routes in :mod:`~texreport.http.routes`, the export path
(cache, single flight) in :mod:`~texreport.http.exports` (progress reports:
:mod:`~texreport.http.progress_exports`), the real renderers in
:mod:`~texreport.http.renderers`, report building in
:mod:`~texreport.http.reports`, statuses in :mod:`~texreport.http.statuses`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .. import __version__
from ..models import Report
from ..theme import Theme
from . import exports, statuses
from .deps import Services
from .exports import Exports, Renderer
from .metrics import Metrics
from .middleware import RequestContext
from .pdf_memory import PdfMemory
from .progress_exports import ProgressExports
from .readiness import Readiness
from .render_ahead import RenderAhead
from .render_queue import RenderQueue
from .renderers import pipeline_progress_renderer, pipeline_renderer
from .routes import export, probes, progress, sessions
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from ..workers import WorkerPool

__all__ = ["CORS_EXPOSED_HEADERS", "create_app", "warm_pool"]

CORS_METHODS = ["GET", "HEAD", "POST", "DELETE"]
CORS_REQUEST_HEADERS = ["Content-Type", "If-None-Match", "If-Range", "Range", "X-Request-ID"]
# What the API page's JavaScript reads from an export, plus ranges and retries.
CORS_EXPOSED_HEADERS = ["Content-Disposition", "Content-Length", "ETag", "Content-Range", "Accept-Ranges",
                        "Retry-After", "X-Request-ID"]


def warm_pool(settings: Settings) -> WorkerPool:
    """The app's own warm workers: one spare per compile slot (a burst of exports never waits
    for a preamble); closed with the app."""
    from ..compiler import CompileLimits
    from ..workers import WorkerPool

    return WorkerPool(spares=settings.compiles(), limits=CompileLimits(timeout=settings.compile_timeout))


def _pipeline_checker(themes: tuple[Theme, ...]) -> Callable[[Report], None]:
    """Every character must be drawable in every offered theme: an accepted session exports in each."""
    def check(report: Report) -> None:
        from ..pipeline import check_characters

        for theme in themes:
            check_characters(report, theme)

    return check


def _services(settings: Settings, renderer: Renderer | None, checker: Callable[[Report], None] | None,
              store: Store | None, pool: WorkerPool | None) -> Services:
    render = renderer or pipeline_renderer(settings.compile_timeout, compiler=pool,
                                           theme=settings.offered_themes()[0])
    version = exports.content_version()
    the_store = store or Store(settings.db_url, upgrade_schema=settings.migrate_on_start)
    queue = RenderQueue(max_concurrent=settings.compiles(), max_waiting=settings.queue(),
                        poll_interval=settings.disconnect_poll)
    metrics = Metrics(queue)
    readiness = Readiness(queue=queue, render=render, version=version, ping=the_store.ping,
                          read_back=renderer is None)
    exporter = Exports(store=the_store, queue=queue, render=render, version=version, metrics=metrics,
                       compile_path="warm" if settings.warm_workers else "cold", lease_seconds=settings.lease_seconds,
                       give_up_after=settings.compile_timeout * 2 + settings.lease_seconds,
                       memory_bytes=settings.pdf_memory_bytes)
    progress_renderer = pipeline_progress_renderer(settings.compile_timeout, compiler=pool,
                                                   theme=settings.offered_themes()[0])
    progress_exports = ProgressExports(store=the_store, queue=queue, render=progress_renderer, version=version)
    if settings.render_ahead or (settings.render_ahead is None and renderer is None):
        exporter.ahead = _render_ahead(settings, the_store, queue, version, renderer, exporter.memory)
    return Services(settings=settings, store=the_store, queue=queue, exports=exporter, readiness=readiness,
                    metrics=metrics, check=checker or _pipeline_checker(settings.offered_themes()), version=version,
                    progress=progress_exports)


def _render_ahead(settings: Settings, store: Store, queue: RenderQueue, version: str,
                  renderer: Renderer | None, memory: PdfMemory) -> RenderAhead:
    """Render-ahead with a compiler of its own: one warm spare at lower CPU priority (or the test's fake)."""
    from ..compiler import CompileLimits
    from ..workers import WorkerPool

    pool = None if renderer is not None else WorkerPool(
        spares=1, nice=10, limits=CompileLimits(timeout=settings.compile_timeout))
    render = renderer or pipeline_renderer(settings.compile_timeout, compiler=pool,
                                           theme=settings.offered_themes()[0])
    return RenderAhead(store=store, render=render, version=version,
                       is_busy=lambda: queue.running + queue.waiting > 0,
                       abort=pool.abort if pool is not None else None,
                       promote=pool.promote if pool is not None else None,
                       on_close=pool.close if pool is not None else None, remember=memory.put)


def create_app(
    settings: Settings | None = None,
    *,
    renderer: Renderer | None = None,
    checker: Callable[[Report], None] | None = None,
    store: Store | None = None,
) -> FastAPI:
    """Build the service. ``renderer``/``checker``/``store`` replace the real ones (tests).

    ``renderer(report, lang=, generated_at=) -> bytes`` is called in a compile
    thread; ``checker(report)`` raises :class:`~texreport.errors.InputError` for
    text no font can draw and runs before a document is accepted.
    """
    settings = settings or Settings()
    pool = warm_pool(settings) if renderer is None and settings.warm_workers else None
    found = _services(settings, renderer, checker, store, pool)
    app = FastAPI(
        title="texreport",
        version=__version__,
        description="Evaluated mock-interview reports to PDF: the platform's session API and its export endpoint.",
        lifespan=_lifespan(found, pool=pool, owns_store=store is None),
        # Swagger UI and ReDoc load their assets from a CDN; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = found
    app.state.settings = settings
    app.state.store = found.store
    app.state.queue = found.queue
    app.state.pool = pool
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        # Outside RequestContext: its answers (a last-resort 500 too) carry the CORS headers.
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=CORS_METHODS,
                           allow_headers=CORS_REQUEST_HEADERS, expose_headers=CORS_EXPOSED_HEADERS, max_age=600)
    statuses.install(app)
    for router in (probes.router, sessions.router, export.router, progress.router):
        app.include_router(router)
    return app


def _lifespan(found: Services, *, pool: WorkerPool | None,
              owns_store: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if found.settings.probe_on_startup:
            found.readiness.start()
        try:
            yield
        finally:
            found.readiness.cancel()
            found.queue.close()
            if pool is not None:
                pool.close()
            if found.exports.ahead is not None:
                await asyncio.to_thread(found.exports.ahead.close)  # joins its thread
            if owns_store:
                found.store.close()

    return lifespan
