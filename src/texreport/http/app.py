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
:mod:`~texreport.http.progress_exports`), report building in
:mod:`~texreport.http.reports`, statuses in :mod:`~texreport.http.statuses`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .. import __version__
from ..models import Report
from . import exports, statuses
from .deps import Services
from .exports import Exports, Renderer
from .metrics import Metrics
from .middleware import RequestContext
from .progress_exports import ProgressExports, pipeline_progress_renderer
from .readiness import Readiness
from .render_queue import RenderQueue
from .routes import export, probes, progress, sessions
from .settings import Settings
from .store import Store

__all__ = ["CORS_EXPOSED_HEADERS", "Settings", "create_app", "pipeline_renderer"]

CORS_METHODS = ["GET", "HEAD", "POST", "DELETE"]
CORS_REQUEST_HEADERS = ["Content-Type", "If-None-Match", "If-Range", "Range", "X-Request-ID"]
# What the API page's JavaScript reads from an export, plus ranges and retries.
CORS_EXPOSED_HEADERS = ["Content-Disposition", "Content-Length", "ETag", "Content-Range", "Accept-Ranges",
                        "Retry-After", "X-Request-ID"]


def pipeline_renderer(timeout: float, *, warm: bool) -> Renderer:
    """The real renderer: the pipeline under the service's compile limits."""
    def render(report: Report, *, lang: str | None, generated_at: datetime | None) -> bytes:
        from ..compiler import CompileLimits
        from ..pipeline import RenderOptions
        from ..pipeline import render as render_pdf

        options = RenderOptions(lang=lang, generated_at=generated_at, limits=CompileLimits(timeout=timeout),
                                warm=warm)
        return render_pdf(report, options=options)

    return render


def _pipeline_checker(report: Report) -> None:
    from ..pipeline import check_characters

    check_characters(report)


def _services(settings: Settings, renderer: Renderer | None, checker: Callable[[Report], None] | None,
              store: Store | None) -> Services:
    render = renderer or pipeline_renderer(settings.compile_timeout, warm=settings.warm_workers)
    version = exports.content_version()
    the_store = store or Store(settings.db_url, upgrade_schema=settings.migrate_on_start)
    queue = RenderQueue(max_concurrent=settings.compiles(), max_waiting=settings.queue(),
                        poll_interval=settings.disconnect_poll)
    metrics = Metrics(queue)
    readiness = Readiness(queue=queue, render=render, version=version, ping=the_store.ping,
                          read_back=renderer is None)
    exporter = Exports(store=the_store, queue=queue, render=render, version=version, metrics=metrics,
                       compile_path="warm" if settings.warm_workers else "cold", lease_seconds=settings.lease_seconds,
                       give_up_after=settings.compile_timeout * 2 + settings.lease_seconds)
    progress_renderer = pipeline_progress_renderer(settings.compile_timeout,
                                                   warm=renderer is None and settings.warm_workers)
    progress_exports = ProgressExports(store=the_store, queue=queue, render=progress_renderer, version=version)
    return Services(settings=settings, store=the_store, queue=queue, exports=exporter, readiness=readiness,
                    metrics=metrics, check=checker or _pipeline_checker, version=version, progress=progress_exports)


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
    found = _services(settings, renderer, checker, store)
    app = FastAPI(
        title="texreport",
        version=__version__,
        description="Evaluated mock-interview reports to PDF: the platform's session API and its export endpoint.",
        lifespan=_lifespan(found, warm_pool=renderer is None and settings.warm_workers, owns_store=store is None),
        # Swagger UI and ReDoc load their assets from a CDN; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = found
    app.state.settings = settings
    app.state.store = found.store
    app.state.queue = found.queue
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        # Outside RequestContext: its answers (a last-resort 500 too) carry the CORS headers.
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=CORS_METHODS,
                           allow_headers=CORS_REQUEST_HEADERS, expose_headers=CORS_EXPOSED_HEADERS, max_age=600)
    statuses.install(app)
    for router in (probes.router, sessions.router, export.router, progress.router):
        app.include_router(router)
    return app


def _lifespan(found: Services, *, warm_pool: bool,
              owns_store: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm_pool:
            from ..workers import configure_shared_pool

            # One warm spare per compile slot: a burst of exports never waits for a preamble.
            configure_shared_pool(spares=found.settings.compiles())
        if found.settings.probe_on_startup:
            found.readiness.start()
        try:
            yield
        finally:
            found.readiness.cancel()
            found.queue.close()
            if warm_pool:
                from ..workers import shared_pool

                shared_pool().close()
            if owns_store:
                found.store.close()

    return lifespan
