"""The progress report's two routes (an APIRouter; ``create_app`` includes it).

* ``GET /api/interview/candidates/{candidateId}/progress/export`` — plain HTTP,
  like the session export: 404 (empty body) for an unknown or malformed
  candidate id; 400 with a brief text when fewer than two of the candidate's
  sessions have a generated report; 200 PDF with ``Content-Disposition``
  (``面试进步报告_{candidateId}.pdf``, ASCII ``interview-progress-{candidateId}.pdf``),
  ``ETag`` (``If-None-Match`` → 304) and ``Cache-Control: private, no-cache``;
  500 when generation fails; 503 + ``Retry-After`` when busy. Sessions are
  grouped by ``candidate.id`` of their documents; without an interview time a
  session is placed by its creation time. A candidate with more than
  :data:`~texreport.progress.MAX_SESSIONS` generated reports gets the latest ones.
* ``POST /api/reports/progress/pdf`` — stateless: a JSON list of report
  documents (raw or in their envelopes). The platform's envelope answers
  errors: 400 not JSON / not a list / fewer than two documents, 422 naming the
  list position and field (``2.questionDetails.0.score``; the same session
  twice names the second), 413 limits.

Rendered progress PDFs are kept in a small per-instance memory cache keyed by a
hash of every report's canonical JSON and generation time, the language and the
package version: a changed or newly generated report never serves a stale PDF.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, RenderError
from ..models import load_document
from ..naming import is_safe_session_id, progress_content_disposition
from ..progress import MAX_SESSIONS, SessionInput, check_sessions, progress_identifier
from .store import CandidateSession, Store

__all__ = ["router", "ProgressRenderer", "pipeline_progress_renderer", "PROGRESS_CACHE_SIZE"]

PDF_TYPE = "application/pdf"
PROGRESS_CACHE_SIZE = 32    # PDFs kept per instance


class ProgressRenderer(Protocol):
    """Turns two or more validated sessions into PDF bytes (blocking). Tests inject fakes."""

    def __call__(self, inputs: Sequence[SessionInput], *, lang: str | None,
                 generated_at: datetime | None) -> bytes: ...


def pipeline_progress_renderer(timeout: float, *, warm: bool) -> ProgressRenderer:
    """The real renderer: the progress pipeline, in the app's warm workers when ``warm``."""
    def render(inputs: Sequence[SessionInput], *, lang: str | None, generated_at: datetime | None) -> bytes:
        from ..compiler import CompileLimits
        from ..pipeline import RenderOptions
        from ..progress_pipeline import render_progress

        options = RenderOptions(lang=lang, generated_at=generated_at, limits=CompileLimits(timeout=timeout),
                                warm=warm)
        return render_progress(inputs, options=options)

    return render


class _PdfCache:
    """A small thread-safe LRU of (etag, pdf) by cache key."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: str, etag: str, pdf: bytes) -> None:
        with self._lock:
            self._items[key] = (etag, pdf)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


router = APIRouter(tags=["progress"])


def _services(request: Request) -> tuple[Store, Any, ProgressRenderer, str, _PdfCache]:
    state = request.app.state
    if not hasattr(state, "progress_cache"):
        state.progress_cache = _PdfCache(PROGRESS_CACHE_SIZE)
    renderer = getattr(state, "progress_renderer", None) or pipeline_progress_renderer(
        state.settings.compile_timeout, warm=False)
    return state.store, state.queue, renderer, state.content_version, state.progress_cache


def _plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8" if message else None,
                    headers=headers)


def _envelope(data: Any = None, *, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    from .app import envelope

    return envelope(data, code=code, message=message, headers=headers)


def _etag(pdf: bytes) -> str:
    from .app import _etag as etag_of

    return etag_of(pdf)


def _etag_matches(header: str | None, etag: str) -> bool:
    from .app import _etag_matches as matches

    return matches(header, etag)


def _pdf_response(pdf: bytes, etag: str, disposition: str) -> Response:
    return Response(pdf, media_type=PDF_TYPE, headers={
        "Content-Disposition": disposition, "ETag": etag, "Cache-Control": "private, no-cache"})


def _not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "private, no-cache"})


def _cache_key(parts: Sequence[str], *, version: str, lang: str | None) -> str:
    material = "\0".join(["progress", version, lang or "", *parts])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _disposition(inputs: Sequence[SessionInput]) -> str:
    identifier = progress_identifier(inputs)
    if is_safe_session_id(identifier):
        return progress_content_disposition(identifier)
    return 'attachment; filename="interview-progress.pdf"'


def _render_job(render: ProgressRenderer, cache: _PdfCache | None, key: str, inputs: Sequence[SessionInput],
                lang: str | None, generated_at: datetime | None) -> tuple[bytes, str]:
    """Compile-thread job: render and cache before anyone is answered (a client that left still fills it)."""
    pdf = render(inputs, lang=lang, generated_at=generated_at)
    etag = _etag(pdf)
    if cache is not None:
        cache.put(key, etag, pdf)
    return pdf, etag


# ---------------------------------------------------------------------- stored sessions


def _stored_inputs(sessions: list[CandidateSession]) -> list[SessionInput]:
    generated = [s for s in sessions if s.report is not None][-MAX_SESSIONS:]
    return [SessionInput(report=load_document(s.report.data), source=s.session_id, created_at=s.created_at)
            for s in generated if s.report is not None]


def _too_few(candidate_id: str, sessions: list[CandidateSession], generated: int) -> Response:
    return _plain(400, f"Candidate {candidate_id} has {len(sessions)} session(s), {generated} with a generated "
                       "report; a progress report needs at least 2 (generate them with GET /report first)")


@router.get(
    "/api/interview/candidates/{candidate_id}/progress/export",
    summary="Export the progress report across a candidate's generated sessions (plain HTTP statuses)",
    responses={
        200: {"content": {PDF_TYPE: {}}, "description": "The PDF"},
        304: {"description": "If-None-Match matched the ETag"},
        400: {"description": "Fewer than two sessions with a generated report"},
        404: {"description": "Unknown candidate (empty body)"},
        500: {"description": "PDF generation failed"},
        503: {"description": "Busy; see Retry-After"},
    },
    response_class=Response,
)
async def candidate_progress(request: Request, candidate_id: str, lang: str | None = None) -> Response:
    if not is_safe_session_id(candidate_id):
        return _plain(404)
    if lang is not None and lang not in ("zh", "en"):
        return _plain(422, "lang must be zh or en")
    store, queue, render, version, cache = _services(request)
    sessions = await run_in_threadpool(store.candidate_sessions, candidate_id)
    if not sessions:
        return _plain(404)
    generated = [s.report for s in sessions if s.report is not None][-MAX_SESSIONS:]
    if len(generated) < 2:
        return _too_few(candidate_id, sessions, len(generated))
    key = _cache_key([f"{r.session_id}\0{r.canonical}\0{r.generated_at.isoformat()}" for r in generated],
                     version=version, lang=lang)
    if_none_match = request.headers.get("if-none-match")
    cached = cache.get(key)
    if cached is not None:
        return _not_modified(cached[0]) if _etag_matches(if_none_match, cached[0]) else \
            _pdf_response(cached[1], cached[0], progress_content_disposition(candidate_id))
    inputs = await run_in_threadpool(_stored_inputs, sessions)
    return await _export(request, queue, partial(_render_job, render, cache, key), key, inputs,
                         lang, max(r.generated_at for r in generated), candidate_id)


async def _export(request: Request, queue: Any, job: Callable[..., tuple[bytes, str]], key: str,
                  inputs: list[SessionInput], lang: str | None, generated_at: datetime,
                  candidate_id: str) -> Response:
    from .render_queue import ClientGone, QueueFull

    try:
        pdf, etag = await queue.run(key, partial(job, inputs, lang, generated_at),
                                    is_disconnected=request.is_disconnected)
    except QueueFull as busy:
        return _plain(503, "Server busy; retry later", headers={"Retry-After": str(busy.retry_after)})
    except ClientGone:
        return _plain(499)
    except Exception:
        return _plain(500, "PDF generation failed")
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    return _pdf_response(pdf, etag, progress_content_disposition(candidate_id))


# ---------------------------------------------------------------------- stateless


def _parse_list(body: bytes) -> list[Any]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError("the body is not valid JSON") from None
    if not isinstance(data, list):
        raise InputError(f"the body must be a JSON list of report documents, got {type(data).__name__}")
    return data


def _documents(body: bytes) -> list[SessionInput]:
    from ..progress_pipeline import located

    inputs = []
    for position, document in enumerate(_parse_list(body)):
        try:
            inputs.append(SessionInput(report=load_document(document), source=str(position)))
        except InputError as error:
            raise located(error, str(position)) from None
    check_sessions(inputs)
    return inputs


@router.post(
    "/api/reports/progress/pdf",
    summary="Stateless: a JSON list of report documents in, their progress PDF out",
    responses={200: {"content": {PDF_TYPE: {}}, "description": "The PDF"}},
    response_class=Response,
)
async def stateless_progress(request: Request, lang: str | None = None) -> Response:
    from .app import _input_error_response
    from .render_queue import ClientGone, QueueFull

    if lang is not None and lang not in ("zh", "en"):
        return _envelope({"errors": [{"field": "lang", "message": "must be zh or en"}]}, code=422,
                         message="invalid request: lang: must be zh or en")
    _store, queue, render, version, _cache = _services(request)
    try:
        inputs = await run_in_threadpool(_documents, await request.body())
    except InputError as error:
        return _input_error_response(error, what="invalid progress request")
    key = "stateless-progress:" + _cache_key([s.report.model_dump_json(by_alias=True) for s in inputs],
                                             version=version, lang=lang)
    try:
        pdf, etag = await queue.run(key, partial(_render_job, render, None, key, inputs, lang, None),
                                    is_disconnected=request.is_disconnected)
    except QueueFull as busy:
        return _envelope(None, code=503, message="server busy; retry later",
                         headers={"Retry-After": str(busy.retry_after)})
    except ClientGone:
        return _plain(499)
    except InputError as error:
        return _input_error_response(error, what="progress report cannot be rendered")
    except RenderError:
        return _envelope(None, code=500, message="PDF generation failed")
    return _pdf_response(pdf, etag, _disposition(inputs))
