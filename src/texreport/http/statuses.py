"""One table from exception to HTTP status, in the service's two flavours.

Routes raise; the handlers installed by :func:`install` answer. JSON routes get
the platform's envelope; the export route (``…/export``) gets plain HTTP as the
API page describes it (404 with an empty body, 400/500 with one brief line).
The middleware answers the last row (any other exception) through
:func:`response_for` as well, so that a bug still gets a brief 500 and the
connection stays open.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InputError, LimitError, RenderError
from ..models import DocumentInvalid
from .exports import ReportNotGenerated
from .progress_exports import CandidateNotFound, TooFewReports
from .render_queue import ClientGone, QueueFull
from .reports import field_errors
from .responses import RangeNotSatisfiable, envelope, plain
from .store import QuestionNotFound, SessionExists, SessionNotFound

__all__ = [
    "STATUSES",
    "ParameterInvalid",
    "Rejected",
    "Status",
    "install",
    "is_export_path",
    "response_for",
    "status_of",
]

log = logging.getLogger("texreport.http")

EXPORT_PATH = re.compile(r"^/api/interview/(sessions/.*/export|candidates/.*/progress/export)/?$", re.DOTALL)
PDF_FAILED = "PDF generation failed"


class ParameterInvalid(Exception):
    """A request parameter (query, path or body field) is invalid: 422 naming it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class Rejected(Exception):
    """An input error with what the request was doing (``answer cannot be stored``)."""

    def __init__(self, error: InputError, *, what: str) -> None:
        self.error = error
        self.what = what
        super().__init__(f"{what}: {error}")


@dataclass(frozen=True)
class Status:
    """How one kind of failure answers: JSON status and message, plain status and body."""

    code: int
    message: str
    plain_code: int
    plain_text: str = ""


# First match wins: the more specific kinds come first.
STATUSES: tuple[tuple[type[Exception], Status], ...] = (
    (ClientGone, Status(499, "client closed request", 499)),
    (QueueFull, Status(503, "server busy; retry later", 503, "Server busy; retry later")),
    (SessionNotFound, Status(404, "session not found", 404)),
    (CandidateNotFound, Status(404, "candidate not found", 404)),
    (TooFewReports, Status(400, "too few generated reports", 400)),
    (SessionExists, Status(409, "session already exists", 409, "Session already exists")),
    (QuestionNotFound, Status(422, "invalid request", 422, "No such question")),
    (ReportNotGenerated, Status(400, "report not generated yet", 400,
                                "Report not generated yet; generate it with GET /report first")),
    (ParameterInvalid, Status(422, "invalid request", 422)),
    (RangeNotSatisfiable, Status(416, "range not satisfiable", 416)),
    (LimitError, Status(413, "invalid report document", 500, PDF_FAILED)),
    (InputError, Status(422, "invalid report document", 500, PDF_FAILED)),
    (RenderError, Status(500, PDF_FAILED, 500, PDF_FAILED)),
    (OperationalError, Status(503, "storage unavailable; retry later", 503, "Storage unavailable; retry later")),
    (Exception, Status(500, "internal error", 500, PDF_FAILED)),
)


def status_of(error: BaseException) -> Status:
    for kind, status in STATUSES:
        if isinstance(error, kind):
            return status
    return STATUSES[-1][1]


def is_export_path(path: str) -> bool:
    return EXPORT_PATH.match(path) is not None


def response_for(error: BaseException, *, path: str, request_id: str) -> Response:
    """The answer to ``error`` in the flavour of ``path`` (logged as the table's kind says)."""
    what = error.what if isinstance(error, Rejected) else None
    cause: BaseException = error.error if isinstance(error, Rejected) else error
    _log(cause, request_id)
    status = status_of(cause)
    headers = _headers(cause)
    if is_export_path(path):
        return plain(status.plain_code, _plain_text(cause, status), headers=headers)
    if isinstance(cause, InputError):
        return _input_envelope(cause, what or status.message)
    if isinstance(cause, (ParameterInvalid, QuestionNotFound)):
        field, message = _parameter(cause)
        return envelope({"errors": [{"field": field, "message": message}]}, code=status.code,
                        message=f"invalid request: {field}: {message}")
    return envelope(None, code=status.code, message=status.message, headers=headers)


def _parameter(error: ParameterInvalid | QuestionNotFound) -> tuple[str, str]:
    if isinstance(error, ParameterInvalid):
        return error.field, error.message
    return "questionIndex", f"no question {error}"


def _plain_text(error: BaseException, status: Status) -> str:
    if isinstance(error, TooFewReports):
        return str(error)   # says how many sessions and reports the candidate has
    if isinstance(error, ParameterInvalid):
        return f"{error.field} {error.message}"
    if isinstance(error, InputError) and error.field:
        return f"{PDF_FAILED} ({error.field} cannot be typeset)"
    return status.plain_text


def _input_envelope(error: InputError, what: str) -> Response:
    """413 for limits, 400 for JSON that is not a report object at all, else 422 naming fields."""
    errors = field_errors(error)
    if isinstance(error, LimitError):
        return envelope({"errors": errors}, code=413, message=f"{what}: {error}")
    if not isinstance(error, DocumentInvalid) and error.field is None:
        return envelope(None, code=400, message=f"{what}: {error}")
    return envelope({"errors": errors}, code=422, message=f"{what}: {error}")


def _headers(error: BaseException) -> dict[str, str] | None:
    if isinstance(error, QueueFull):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, OperationalError):
        return {"Retry-After": "5"}
    if isinstance(error, RangeNotSatisfiable):
        return {"Content-Range": f"bytes */{error.size}"}
    return None


def _log(error: BaseException, request_id: str) -> None:
    fields: dict[str, Any] = {"request_id": request_id, "error": type(error).__name__}
    if isinstance(error, ClientGone):
        log.info("client_gone", extra=fields)
    elif isinstance(error, RenderError):
        log.error("render_failed", extra={**fields, "detail": str(error)[:300]})
    elif isinstance(error, OperationalError):
        log.error("storage_error", extra={**fields, "error": type(error.orig).__name__ if error.orig else "-"})
    elif isinstance(error, InputError) and not isinstance(error, DocumentInvalid):
        log.info("input_error", extra={**fields, "field": error.field})
    elif status_of(error).code == 500:
        log.error("unhandled_error", extra=fields, exc_info=error)


def _request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "-")


async def _table_handler(request: Request, error: Exception) -> Response:
    return response_for(error, path=request.url.path, request_id=_request_id(request))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404 and is_export_path(request.url.path):
        return plain(404)
    message = error.detail if isinstance(error.detail, str) and len(error.detail) < 200 else "error"
    if error.status_code == 404:
        message = "not found"
    return envelope(None, code=error.status_code, message=message, headers=getattr(error, "headers", None))


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = []
    for detail in error.errors():
        location = [str(part) for part in detail.get("loc", ()) if part not in ("body", "query", "path")]
        errors.append({"field": ".".join(location) or None, "message": str(detail.get("msg", "invalid"))})
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
    status = 400 if any(d.get("type") == "json_invalid" for d in error.errors()) else 422
    if is_export_path(request.url.path):
        return plain(status, message)
    return envelope({"errors": errors}, code=status, message=f"invalid request: {message}")


Handler = Callable[[Request, Exception], Awaitable[Response]]


def install(app: FastAPI) -> None:
    """Register the handlers: every row of :data:`STATUSES` but the catch-all (the middleware's)."""
    handlers: dict[type[Exception], Handler] = {
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
        Rejected: _table_handler,
    }
    for kind, _status in STATUSES[:-1]:
        handlers[kind] = _table_handler
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
