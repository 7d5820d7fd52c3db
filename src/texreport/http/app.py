"""The FastAPI application: the platform's session API around the PDF export.

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
* Rendered PDFs are cached per session under a key that hashes the canonical
  report JSON, its generation time, the language and :func:`content_version`
  (the package's templates, style, fonts documentation and code), so a changed
  report or a new version never serves a stale PDF.
* Session ids must match :data:`texreport.naming.SESSION_ID_PATTERN`; anything
  else is "not found" before it reaches storage, a file name or a header.
* Every error body is brief: no traceback, server path or TeX log.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Protocol

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..errors import InputError, LimitError, RenderError
from ..models import DocumentInvalid, Report, load_document, load_json
from ..naming import content_disposition, is_safe_session_id
from ..transports import Compiler
from .render_queue import ClientGone, QueueFull, RenderQueue
from .store import SessionExists, SessionNotFound, QuestionNotFound, SessionRecord, Store, StoredReport

__all__ = [
    "Settings",
    "Renderer",
    "create_app",
    "content_version",
    "cache_key",
    "build_report",
    "READINESS_DOCUMENT",
]

log = logging.getLogger("texreport.http")
access_log = logging.getLogger("texreport.http.access")

STATIC_DIR = Path(__file__).resolve().parent / "static"
EXPORT_PATH = re.compile(r"^/api/interview/sessions/.*/export/?$", re.DOTALL)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
PDF_TYPE = "application/pdf"

# A tiny report whose compile proves that this instance can typeset Chinese.
READINESS_TEXT = "多态"
READINESS_DOCUMENT: dict[str, Any] = {
    "sessionId": "readyz",
    "overallScore": 80,
    "questionDetails": [{
        "questionIndex": 0, "question": "什么是多态？", "category": "Java基础",
        "userAnswer": "同一接口，不同实现。", "score": 80, "feedback": "回答正确。",
    }],
}


class Renderer(Protocol):
    """Turns a validated report into PDF bytes (blocking). Tests inject fakes."""

    def __call__(self, report: Report, *, lang: str | None, generated_at: datetime | None) -> bytes: ...


@dataclass(frozen=True)
class Settings:
    """How the service runs; every field has a named default."""

    db_url: str = "sqlite:///texreport.db"
    max_compiles: int | None = None         # default: CPU count
    max_queue: int | None = None            # default: 4 × max_compiles
    max_body_bytes: int = 2 * 1024 * 1024   # larger request bodies: 413
    compile_timeout: float = 60.0           # seconds before xelatex's process group is killed
    probe_on_startup: bool = True           # start the /readyz CJK compile when the app starts
    readiness_wait: float = 20.0            # how long /readyz may wait for a running probe
    disconnect_poll: float = 0.5            # seconds between "is the client still there?" checks
    warm_workers: bool = True               # keep xelatex workers with the preamble loaded (~270 MB each)

    def compiles(self) -> int:
        return self.max_compiles or os.cpu_count() or 1

    def queue(self) -> int:
        return self.max_queue if self.max_queue is not None else 4 * self.compiles()


def _pipeline_renderer(timeout: float, *, compiler: Compiler | None = None) -> Renderer:
    """The real renderer: ``compiler`` (a pool the app owns) or a fresh xelatex per job."""
    from ..compiler import CompileLimits
    from ..pipeline import RenderOptions, render as render_pdf

    base = RenderOptions(limits=CompileLimits(timeout=timeout))
    if compiler is not None:
        base = replace(base, compiler=compiler)

    def render(report: Report, *, lang: str | None, generated_at: datetime | None) -> bytes:
        return render_pdf(report, options=replace(base, lang=lang, generated_at=generated_at))

    return render


def _pipeline_checker(report: Report) -> None:
    from ..pipeline import check_characters

    check_characters(report)


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
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def build_report(record: SessionRecord) -> dict[str, Any]:
    """The report object of a session: its source document with the current answers.

    Answers, and scores/feedback submitted with them, replace the document's. When
    a submitted score changed a question's score, ``categoryScores`` and
    ``overallScore`` are recomputed as rounded means of the question scores, so
    the report never shows totals that contradict its questions. Raises
    :class:`~texreport.errors.InputError` if the result is not a valid report.
    """
    document = copy.deepcopy(record.document)
    answers = {answer.question_index: answer for answer in record.answers}
    rescored = False
    details = document.get("questionDetails") or []
    for detail in details:
        answer = answers.get(detail["questionIndex"])
        if answer is None:
            continue
        detail["userAnswer"] = answer.answer
        if answer.score is not None and answer.score != detail.get("score"):
            detail["score"] = answer.score
            rescored = True
        if answer.feedback is not None:
            detail["feedback"] = answer.feedback
    if rescored and details:
        for category in document.get("categoryScores") or []:
            scores = [d["score"] for d in details if d.get("category") == category.get("category")]
            if scores:
                category["score"] = _round_half_up(sum(scores) / len(scores))
        document["overallScore"] = _round_half_up(sum(d["score"] for d in details) / len(details))
    return load_document(document).model_dump(by_alias=True, mode="json")


# ---------------------------------------------------------------------- responses


def envelope(data: Any = None, *, code: int = 200, message: str = "success",
             headers: dict[str, str] | None = None) -> JSONResponse:
    """The platform's ``{code, message, data}`` with ``code`` equal to the HTTP status."""
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=code, headers=headers)


def _plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    # The export endpoint's errors: plain HTTP, body empty or one brief line.
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8" if message else None,
                    headers=headers)


def _etag(pdf: bytes) -> str:
    return '"' + hashlib.sha256(pdf).hexdigest()[:32] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates


def _field_errors(error: InputError) -> list[dict[str, str | None]]:
    if isinstance(error, DocumentInvalid):
        return [{"field": field, "message": message} for field, message in error.errors]
    message = str(error)
    if error.field and message.startswith(f"{error.field}: "):
        message = message[len(error.field) + 2:]
    return [{"field": error.field, "message": message}]


def _input_error_response(error: InputError, *, what: str = "invalid report document") -> JSONResponse:
    """400 for JSON that is not a report object at all, 413 for limits, else 422 naming fields."""
    errors = _field_errors(error)
    if isinstance(error, LimitError):
        return envelope({"errors": errors}, code=413, message=f"{what}: {error}")
    if not isinstance(error, DocumentInvalid) and error.field is None:
        return envelope(None, code=400, message=f"{what}: {error}")
    return envelope({"errors": errors}, code=422, message=f"{what}: {error}")


def _not_found() -> JSONResponse:
    return envelope(None, code=404, message="session not found")


# ---------------------------------------------------------------------- request bodies


class AnswerSubmission(BaseModel):
    """``{questionIndex, answer}`` as the platform sends it; evaluation fields may come with it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    question_index: StrictInt = Field(alias="questionIndex", ge=0)
    answer: StrictStr | None = Field(description="The answer text; null withdraws the answer.")
    score: Annotated[StrictInt, Field(ge=0, le=100)] | None = Field(default=None, description="0–100")
    feedback: StrictStr | None = None


REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object",
            "description": "A report object (sessionId, overallScore, questionDetails, …), raw or inside the "
                           "{code, message, data} envelope; see texreport.models.",
        }}},
    }
}


# ---------------------------------------------------------------------- middleware


class RequestContext:
    """Pure ASGI middleware: request id, one JSON log line per request, body size limit.

    The id comes from a well-formed ``X-Request-ID`` header or is generated; it is
    echoed on the response and available as ``request.state.request_id``. Bodies
    above ``max_body_bytes`` get 413, whether announced by ``Content-Length`` or
    streamed.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        began = time.monotonic()
        status_holder = {"status": 0, "bytes": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"x-request-id", request_id.encode("ascii")),
                    (b"x-content-type-options", b"nosniff"),
                ]
            elif message["type"] == "http.response.body":
                status_holder["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
                too_large = envelope(None, code=413, message=f"request body larger than {self.max_body_bytes} bytes")
                await too_large(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            access_log.info(json.dumps({
                "event": "request",
                "request_id": request_id,
                "method": scope.get("method"),
                # Escaped by json.dumps: a hostile path cannot forge a log line.
                "path": scope.get("path"),
                "status": status_holder["status"],
                "bytes": status_holder["bytes"],
                "ms": round((time.monotonic() - began) * 1000, 1),
            }, ensure_ascii=False))

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes FastAPI's body parsing untouched (others become 400).
                    raise StarletteHTTPException(413, f"request body larger than {self.max_body_bytes} bytes")
            return message

        return limited_receive


# ---------------------------------------------------------------------- the app


@dataclass
class _Readiness:
    ready: bool = False
    task: asyncio.Task | None = None  # type: ignore[type-arg]
    failed_at: float = 0.0
    reason: str = "not checked yet"


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
    # The app owns its warm workers (one spare per compile slot: a burst of exports never
    # waits for a preamble); they start with the app and close with it.
    pool = _worker_pool(settings) if renderer is None and settings.warm_workers else None
    render = renderer or _pipeline_renderer(settings.compile_timeout, compiler=pool)
    check = checker or _pipeline_checker
    real_renderer = renderer is None
    version = content_version()
    owned_store = store is None
    the_store = store or Store(settings.db_url)
    queue = RenderQueue(max_concurrent=settings.compiles(), max_waiting=settings.queue(),
                        poll_interval=settings.disconnect_poll)
    readiness = _Readiness()

    async def probe() -> None:
        try:
            report = load_document(READINESS_DOCUMENT)
            pdf = await queue.run(f"readyz:{version}", partial(render, report, lang=None, generated_at=None))
            if not pdf.startswith(b"%PDF-"):
                raise RenderError("the readiness compile did not produce a PDF")
            if real_renderer and not await run_in_threadpool(_pdf_has_text, pdf, READINESS_TEXT):
                raise RenderError("the readiness PDF does not contain the Chinese test text")
            readiness.ready = True
            log.info(json.dumps({"event": "ready", "version": version}))
        except Exception as error:  # noqa: BLE001 — any failure means "not ready", logged
            readiness.failed_at = time.monotonic()
            readiness.reason = "CJK test compile failed"
            log.warning(json.dumps({"event": "readiness_failed", "error": type(error).__name__,
                                    "detail": str(error)[:300]}, ensure_ascii=False))

    def start_probe() -> asyncio.Task:  # type: ignore[type-arg]
        if readiness.task is None or (readiness.task.done() and not readiness.ready
                                      and time.monotonic() - readiness.failed_at > 10):
            readiness.task = asyncio.get_running_loop().create_task(probe())
        return readiness.task

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.probe_on_startup:
            start_probe()
        try:
            yield
        finally:
            if readiness.task is not None and not readiness.task.done():
                readiness.task.cancel()
            queue.close()
            if pool is not None:
                pool.close()
            if owned_store:
                the_store.close()

    app = FastAPI(
        title="texreport",
        version=__version__,
        description="Evaluated mock-interview reports to PDF: the platform's session API and its export endpoint.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load their assets from a CDN; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.queue = queue
    app.state.pool = pool
    app.state.content_version = version
    app.state.readiness = readiness
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)

    def request_id(request: Request) -> str:
        return getattr(request.state, "request_id", "-")

    # ------------------------------------------------------------------ error handlers

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and EXPORT_PATH.match(request.url.path):
            return _plain(404)
        message = error.detail if isinstance(error.detail, str) and len(error.detail) < 200 else "error"
        if error.status_code == 404:
            message = "not found"
        return envelope(None, code=error.status_code, message=message, headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        errors = []
        for detail in error.errors():
            location = [str(part) for part in detail.get("loc", ()) if part not in ("body", "query", "path")]
            errors.append({"field": ".".join(location) or None, "message": str(detail.get("msg", "invalid"))})
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        message = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
        status = 400 if any(d.get("type") == "json_invalid" for d in error.errors()) else 422
        return envelope({"errors": errors}, code=status, message=f"invalid request: {message}")

    @app.exception_handler(OperationalError)
    async def storage_down(request: Request, error: OperationalError) -> Response:
        log.error(json.dumps({"event": "storage_error", "request_id": request_id(request),
                              "error": type(error.orig).__name__ if error.orig else "OperationalError"}))
        return envelope(None, code=503, message="storage unavailable; retry later", headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception(json.dumps({"event": "unhandled_error", "request_id": request_id(request),
                                  "error": type(error).__name__}))
        if EXPORT_PATH.match(request.url.path):
            return _plain(500, "PDF generation failed")
        return envelope(None, code=500, message="internal error")

    # ------------------------------------------------------------------ pages and probes

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        try:
            page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        except FileNotFoundError:
            # A wheel built without the page's package data: the API still works.
            return envelope(None, code=404, message="web page not installed")  # type: ignore[return-value]
        return HTMLResponse(page, headers={
            # Everything the page needs is inline or same-origin; no CDN.
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline' 'self'; "
                                       "style-src 'unsafe-inline' 'self'; img-src 'self' data: blob:",
        })

    @app.get("/healthz", tags=["probes"], summary="Liveness")
    async def healthz() -> JSONResponse:
        return envelope({"status": "ok", "version": __version__})

    @app.get("/readyz", tags=["probes"], summary="Readiness: storage answers and a CJK compile worked here")
    async def readyz() -> JSONResponse:
        try:
            await run_in_threadpool(the_store.ping)
        except Exception:  # noqa: BLE001 — any storage failure means "not ready"
            return envelope({"ready": False, "reason": "storage unavailable"}, code=503,
                            message="not ready", headers={"Retry-After": "5"})
        if not readiness.ready:
            task = start_probe()
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=settings.readiness_wait)
            except asyncio.TimeoutError:
                pass
        if readiness.ready:
            return envelope({"ready": True, "contentVersion": version})
        reason = readiness.reason if readiness.task and readiness.task.done() else "CJK test compile running"
        return envelope({"ready": False, "reason": reason}, code=503, message="not ready",
                        headers={"Retry-After": "5"})

    # ------------------------------------------------------------------ sessions

    def session_view(record: SessionRecord, *, report_generated: bool) -> dict[str, Any]:
        document = record.document
        return {
            "sessionId": record.session_id,
            "status": record.status,
            "totalQuestions": document.get("totalQuestions"),
            "overallScore": document.get("overallScore"),
            "questions": [
                {"questionIndex": d["questionIndex"], "question": d["question"], "category": d["category"]}
                for d in document.get("questionDetails") or []
            ],
            "answers": [
                {"questionIndex": a.question_index, "answer": a.answer, "score": a.score,
                 "feedback": a.feedback, "updatedAt": a.updated_at.isoformat()}
                for a in record.answers
            ],
            "reportGenerated": report_generated,
            "createdAt": record.created_at.isoformat(),
            "updatedAt": record.updated_at.isoformat(),
        }

    @app.get("/api/interview/sessions", tags=["sessions"], summary="List sessions, newest first")
    async def list_sessions(limit: Annotated[int, Query(ge=1, le=500)] = 100,
                            offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
        summaries = await run_in_threadpool(the_store.list_sessions, limit=limit, offset=offset)
        return envelope([
            {"sessionId": s.session_id, "status": s.status, "totalQuestions": s.total_questions,
             "overallScore": s.overall_score, "createdAt": s.created_at.isoformat(),
             "updatedAt": s.updated_at.isoformat()}
            for s in summaries
        ])

    @app.post("/api/interview/sessions", tags=["sessions"], openapi_extra=REPORT_BODY,
              summary="Create a session from a report document (raw or in its envelope)")
    async def create_session(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            report = load_json(body)
            if not is_safe_session_id(report.session_id):
                raise InputError("must be 1–128 letters, digits, '-' or '_', starting with a letter or digit",
                                 field="sessionId")
            await run_in_threadpool(check, report)
        except InputError as error:
            return _input_error_response(error)
        document = report.model_dump(by_alias=True, mode="json")
        try:
            record = await run_in_threadpool(the_store.create_session, report.session_id, document)
        except SessionExists:
            return envelope(None, code=409, message="session already exists")
        return envelope(session_view(record, report_generated=False))

    @app.get("/api/interview/sessions/{session_id}", tags=["sessions"], summary="Get a session")
    async def get_session(session_id: str) -> JSONResponse:
        if not is_safe_session_id(session_id):
            return _not_found()
        record = await run_in_threadpool(the_store.get_session, session_id)
        if record is None:
            return _not_found()
        generated = await run_in_threadpool(the_store.get_report, session_id)
        return envelope(session_view(record, report_generated=generated is not None))

    @app.post("/api/interview/sessions/{session_id}/answers", tags=["sessions"],
              summary="Submit (replace) an answer; invalidates the generated report and cached PDF")
    async def submit_answer(session_id: str, submission: AnswerSubmission) -> JSONResponse:
        if not is_safe_session_id(session_id):
            return _not_found()
        record = await run_in_threadpool(the_store.get_session, session_id)
        if record is None:
            return _not_found()
        if submission.question_index not in {a.question_index for a in record.answers}:
            return envelope({"errors": [{"field": "questionIndex", "message": "no such question"}]}, code=422,
                            message=f"invalid request: questionIndex: no question {submission.question_index}")
        # Validate the report this answer would produce before storing anything.
        preview = _with_answer(record, submission)
        try:
            report = load_document(build_report(preview))
            await run_in_threadpool(check, report)
        except InputError as error:
            return _input_error_response(_answer_field(error), what="answer cannot be stored")
        try:
            record = await run_in_threadpool(
                partial(the_store.submit_answer, session_id, submission.question_index,
                        answer=submission.answer, score=submission.score, feedback=submission.feedback))
        except SessionNotFound:
            return _not_found()
        except QuestionNotFound:
            return envelope({"errors": [{"field": "questionIndex", "message": "no such question"}]}, code=422,
                            message="invalid request: questionIndex: no such question")
        return envelope(session_view(record, report_generated=False))

    @app.get("/api/interview/sessions/{session_id}/report", tags=["sessions"],
             summary="Generate (or return) the evaluation report; status becomes EVALUATED")
    async def get_report(session_id: str) -> JSONResponse:
        if not is_safe_session_id(session_id):
            return _not_found()
        try:
            stored = await run_in_threadpool(the_store.generate_report, session_id, build_report)
        except SessionNotFound:
            return _not_found()
        except InputError as error:
            return _input_error_response(error, what="report cannot be generated")
        return envelope(stored.data)

    @app.delete("/api/interview/sessions/{session_id}", tags=["sessions"],
                summary="Delete a session, its report and cached PDF")
    async def delete_session(session_id: str) -> JSONResponse:
        if not is_safe_session_id(session_id):
            return _not_found()
        deleted = await run_in_threadpool(the_store.delete_session, session_id)
        return envelope(None) if deleted else _not_found()

    # ------------------------------------------------------------------ PDFs

    def pdf_response(pdf: bytes, etag: str, disposition: str) -> Response:
        # Response sets Content-Length from the body: the page's progress bar needs it.
        return Response(pdf, media_type=PDF_TYPE, headers={
            "Content-Disposition": disposition,
            "ETag": etag,
            "Cache-Control": "private, no-cache",
        })

    def not_modified(etag: str) -> Response:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "private, no-cache"})

    def bad_lang(lang: str | None) -> bool:
        return lang is not None and lang not in ("zh", "en")

    @app.get(
        "/api/interview/sessions/{session_id}/export", tags=["export"],
        summary="Export the generated report as PDF (plain HTTP statuses, as the API page says)",
        responses={
            200: {"content": {PDF_TYPE: {}}, "description": "The PDF"},
            304: {"description": "If-None-Match matched the ETag"},
            400: {"description": "Report not yet generated"},
            404: {"description": "Unknown session (empty body)"},
            500: {"description": "PDF generation failed"},
            503: {"description": "Busy; see Retry-After"},
        },
        response_class=Response,
    )
    async def export(request: Request, session_id: str, lang: str | None = None) -> Response:
        if not is_safe_session_id(session_id):
            return _plain(404)
        if bad_lang(lang):
            return _plain(422, "lang must be zh or en")
        stored = await run_in_threadpool(the_store.get_report, session_id)
        if stored is None:
            if await run_in_threadpool(the_store.get_session, session_id) is None:
                return _plain(404)
            return _plain(400, "Report not generated yet; generate it with GET /report first")
        key = cache_key(stored.canonical, version=version, lang=lang, generated_at=stored.generated_at)
        if_none_match = request.headers.get("if-none-match")
        cached = await run_in_threadpool(the_store.cached_pdf, session_id, key, with_bytes=not if_none_match)
        if cached is not None:
            if _etag_matches(if_none_match, cached.etag):
                return not_modified(cached.etag)
            if cached.pdf is None:
                cached = await run_in_threadpool(the_store.cached_pdf, session_id, key)
            if cached is not None and cached.pdf is not None:
                return pdf_response(cached.pdf, cached.etag, content_disposition(session_id))
        try:
            pdf, etag = await queue.run(
                key, partial(_render_and_cache, the_store, render, stored, session_id, key, lang),
                is_disconnected=request.is_disconnected,
            )
        except QueueFull as busy:
            return _plain(503, "Server busy; retry later", headers={"Retry-After": str(busy.retry_after)})
        except ClientGone:
            log.info(json.dumps({"event": "client_gone", "request_id": request_id(request)}))
            return _plain(499)
        except InputError as error:
            log.warning(json.dumps({"event": "export_input_error", "request_id": request_id(request),
                                    "field": error.field, "error": type(error).__name__}))
            suffix = f" ({error.field} cannot be typeset)" if error.field else ""
            return _plain(500, f"PDF generation failed{suffix}")
        except RenderError as error:
            log.error(json.dumps({"event": "render_failed", "request_id": request_id(request),
                                  "error": type(error).__name__, "detail": str(error)[:300]}, ensure_ascii=False))
            return _plain(500, "PDF generation failed")
        except Exception as error:  # noqa: BLE001 — a bug must still answer the page's brief 500
            log.exception(json.dumps({"event": "render_crashed", "request_id": request_id(request),
                                      "error": type(error).__name__}))
            return _plain(500, "PDF generation failed")
        if _etag_matches(if_none_match, etag):
            return not_modified(etag)
        return pdf_response(pdf, etag, content_disposition(session_id))

    @app.post(
        "/api/reports/pdf", tags=["export"], openapi_extra=REPORT_BODY,
        summary="Stateless: a report document in, its PDF out",
        responses={200: {"content": {PDF_TYPE: {}}, "description": "The PDF"}},
        response_class=Response,
    )
    async def stateless_pdf(request: Request, lang: str | None = None) -> Response:
        if bad_lang(lang):
            return envelope({"errors": [{"field": "lang", "message": "must be zh or en"}]}, code=422,
                            message="invalid request: lang: must be zh or en")
        body = await request.body()
        try:
            report = load_json(body)
        except InputError as error:
            return _input_error_response(error)
        canonical = json.dumps(report.model_dump(by_alias=True, mode="json"), sort_keys=True,
                               ensure_ascii=False, separators=(",", ":"))
        key = "stateless:" + hashlib.sha256("\0".join([canonical, version, lang or ""]).encode()).hexdigest()
        try:
            pdf = await queue.run(key, partial(render, report, lang=lang, generated_at=None),
                                  is_disconnected=request.is_disconnected)
        except QueueFull as busy:
            return envelope(None, code=503, message="server busy; retry later",
                            headers={"Retry-After": str(busy.retry_after)})
        except ClientGone:
            return _plain(499)
        except InputError as error:
            return _input_error_response(error, what="report cannot be rendered")
        except RenderError as error:
            log.error(json.dumps({"event": "render_failed", "request_id": request_id(request),
                                  "error": type(error).__name__, "detail": str(error)[:300]}, ensure_ascii=False))
            return envelope(None, code=500, message="PDF generation failed")
        if is_safe_session_id(report.session_id):
            disposition = content_disposition(report.session_id)
        else:
            disposition = 'attachment; filename="interview-report.pdf"'
        return pdf_response(pdf, _etag(pdf), disposition)

    return app


def _render_and_cache(store: Store, render: Renderer, stored: StoredReport, session_id: str, key: str,
                      lang: str | None) -> tuple[bytes, str]:
    """Compile-thread job: render a stored report and cache the PDF before anyone is answered.

    Caching here, not in the request, means a client that left still leaves a
    cached PDF for its retry, and a shared (single-flight) job writes once.
    """
    report = load_document(stored.data)
    pdf = render(report, lang=lang, generated_at=stored.generated_at)
    etag = _etag(pdf)
    store.save_pdf(session_id, key, etag, pdf)
    return pdf, etag


def _worker_pool(settings: Settings) -> Compiler:
    from ..compiler import CompileLimits
    from ..workers import WorkerPool

    return WorkerPool(spares=settings.compiles(), limits=CompileLimits(timeout=settings.compile_timeout))


def _with_answer(record: SessionRecord, submission: AnswerSubmission) -> SessionRecord:
    from dataclasses import replace

    from .store import AnswerRecord

    answers = [
        AnswerRecord(a.question_index, submission.answer,
                     submission.score if submission.score is not None else a.score,
                     submission.feedback if submission.feedback is not None else a.feedback, a.updated_at)
        if a.question_index == submission.question_index else a
        for a in record.answers
    ]
    return replace(record, answers=answers)


def _answer_field(error: InputError) -> InputError:
    """Name the submission's field (``answer``) rather than the report's path when that is where it is."""
    first = _field_errors(error)[0]
    field, message = first["field"] or "", first["message"] or "invalid"
    for report_field, submitted in (("userAnswer", "answer"), ("feedback", "feedback"), ("score", "score")):
        if re.fullmatch(rf"questionDetails\.\d+\.{report_field}", field):
            return InputError(message, field=submitted)
    return error


def _pdf_has_text(pdf: bytes, text: str) -> bool:
    """Whether poppler's pdftotext finds ``text`` in ``pdf``; ``True`` when pdftotext is missing."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        return True
    try:
        result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and text in result.stdout.decode("utf-8", errors="replace")
