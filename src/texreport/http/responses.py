"""The service's two response flavours: the platform's JSON envelope and the export's plain HTTP."""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse, Response

from .exports import PdfResult

__all__ = ["EXPORT_RESPONSES", "PDF_TYPE", "RangeNotSatisfiable", "envelope", "not_modified", "pdf_response",
           "plain"]

PDF_TYPE = "application/pdf"
_CACHE_CONTROL = "private, no-cache"

# What both exports (a session's, a candidate's progress) answer, for the OpenAPI document; each adds its own.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF_TYPE: {}}, "description": "The PDF"},
    304: {"description": "If-None-Match matched the ETag"},
    500: {"description": "PDF generation failed"},
    503: {"description": "Busy; see Retry-After"},
}


def envelope(data: Any = None, *, code: int = 200, message: str = "success",
             headers: dict[str, str] | None = None) -> JSONResponse:
    """The platform's ``{code, message, data}`` with ``code`` equal to the HTTP status."""
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=code, headers=headers)


def plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    """The export endpoint's errors: plain HTTP, body empty or one brief line."""
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8" if message else None,
                    headers=headers)


class RangeNotSatisfiable(Exception):
    """A ``Range`` that starts beyond the PDF (416 with ``Content-Range: bytes */size``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"range not satisfiable (size {size})")


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range ``(first, last)`` a ``Range`` header asks for, ``None`` for the whole PDF.

    Only a single range is served (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``);
    several ranges or a malformed header get the whole PDF, as RFC 9110 allows.
    Raises :class:`RangeNotSatisfiable` for a range that starts beyond the end.
    """
    match = _RANGE.fullmatch((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "" or len(header or "") > 64:
        return None
    first_text, last_text = match.groups()
    if first_text == "":                      # the last n bytes
        suffix = int(last_text)
        if suffix == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = size - 1 if last_text == "" else min(int(last_text), size - 1)
    if first > last:
        if last_text != "" and int(last_text) < first:
            return None                       # "bytes=5-2": invalid, ignored
        raise RangeNotSatisfiable(size)
    return first, last


def pdf_response(result: PdfResult, disposition: str, *, range_header: str | None = None,
                 head: bool = False) -> Response:
    """200 with the PDF, or 206 with the one range asked for, or 304 when ``If-None-Match`` matched
    (``result.pdf`` is ``None``); ``head``: the same headers, no body.

    ``Content-Length`` is always the length of what a GET sends (the page's
    progress bar needs it).
    """
    if result.pdf is None:
        return not_modified(result.etag)
    pdf = result.pdf
    headers = {"Content-Disposition": disposition, "ETag": result.etag, "Cache-Control": _CACHE_CONTROL,
               "Accept-Ranges": "bytes"}
    status = 200
    chosen = _byte_range(range_header, len(pdf))
    if chosen is not None:
        first, last = chosen
        status, pdf = 206, pdf[first:last + 1]
        headers["Content-Range"] = f"bytes {first}-{last}/{len(result.pdf)}"
    headers["Content-Length"] = str(len(pdf))
    return Response(b"" if head else pdf, status_code=status, media_type=PDF_TYPE, headers=headers)


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE_CONTROL})
