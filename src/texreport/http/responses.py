"""The service's two response flavours: the platform's JSON envelope and the export's plain HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

from .exports import PdfResult

__all__ = ["PDF_TYPE", "envelope", "not_modified", "pdf_response", "plain"]

PDF_TYPE = "application/pdf"
_CACHE_CONTROL = "private, no-cache"


def envelope(data: Any = None, *, code: int = 200, message: str = "success",
             headers: dict[str, str] | None = None) -> JSONResponse:
    """The platform's ``{code, message, data}`` with ``code`` equal to the HTTP status."""
    return JSONResponse({"code": code, "message": message, "data": data}, status_code=code, headers=headers)


def plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    """The export endpoint's errors: plain HTTP, body empty or one brief line."""
    return Response(message, status_code=status, media_type="text/plain; charset=utf-8" if message else None,
                    headers=headers)


def pdf_response(result: PdfResult, disposition: str) -> Response:
    """200 with the PDF; ``Content-Length`` comes from the body (the page's progress bar needs it)."""
    assert result.pdf is not None
    return Response(result.pdf, media_type=PDF_TYPE, headers={
        "Content-Disposition": disposition,
        "ETag": result.etag,
        "Cache-Control": _CACHE_CONTROL,
    })


def not_modified(etag: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE_CONTROL})
