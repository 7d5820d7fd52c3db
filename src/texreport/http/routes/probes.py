"""Liveness, readiness and the web page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ... import __version__
from ..deps import ServicesDep
from ..metrics import CONTENT_TYPE
from ..responses import envelope

__all__ = ["STATIC_DIR", "router"]

router = APIRouter()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# frame-src blob: the page shows the PDF it fetched in an iframe (the export is an attachment).
PAGE_POLICY = ("default-src 'self'; script-src 'unsafe-inline' 'self'; "
               "style-src 'unsafe-inline' 'self'; img-src 'self' data: blob:; frame-src blob:")


@router.get("/", include_in_schema=False)
async def index() -> Response:
    try:
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    except FileNotFoundError:
        # A wheel built without the page's package data: the API still works.
        return envelope(None, code=404, message="web page not installed")
    # Everything the page needs is inline or same-origin; no CDN.
    return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY})


@router.get("/healthz", tags=["probes"], summary="Liveness")
async def healthz() -> JSONResponse:
    return envelope({"status": "ok", "version": __version__})


@router.get("/readyz", tags=["probes"], summary="Readiness: storage answers and a CJK compile worked here")
async def readyz(found: ServicesDep) -> JSONResponse:
    verdict = await found.readiness.verdict(found.settings.readiness_wait)
    if verdict.ready:
        return envelope({"ready": True, "contentVersion": found.version})
    return envelope({"ready": False, "reason": verdict.reason}, code=503, message="not ready",
                    headers={"Retry-After": "5"})


@router.get("/metrics", tags=["probes"], summary="Prometheus metrics (compiles, queue, cache, workers)",
            response_class=Response)
async def metrics(found: ServicesDep) -> Response:
    return Response(found.metrics.exposition(), media_type=CONTENT_TYPE)
