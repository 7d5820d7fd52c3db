"""PDFs: the session export (plain HTTP, as the API page says) and the stateless render (JSON errors)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import InputError
from ...models import load_json
from ...naming import content_disposition, is_safe_session_id
from ..deps import LangDep, ServicesDep, SessionId, ThemeDep
from ..responses import EXPORT_RESPONSES, PDF_TYPE, pdf_response
from ..statuses import Rejected
from .sessions import REPORT_BODY

__all__ = ["router"]

router = APIRouter(tags=["export"])

STATELESS_FILENAME = 'attachment; filename="interview-report.pdf"'

EXPORT_PATH = "/api/interview/sessions/{session_id}/export"


@router.get(
    EXPORT_PATH,
    summary="Export the generated report as PDF (plain HTTP statuses, as the API page says)",
    responses={
        **EXPORT_RESPONSES,
        206: {"content": {PDF_TYPE: {}}, "description": "One byte range of the PDF (Range: bytes=a-b)"},
        400: {"description": "Report not yet generated"},
        404: {"description": "Unknown session (empty body)"},
        416: {"description": "The range starts beyond the PDF"},
    },
    response_class=Response,
)
async def export(request: Request, session_id: SessionId, lang: LangDep, theme: ThemeDep,
                 found: ServicesDep) -> Response:
    result = await found.exports.session_pdf(session_id, lang, if_none_match=request.headers.get("if-none-match"),
                                             is_disconnected=request.is_disconnected, theme=theme)
    if_range = request.headers.get("if-range")
    wanted = request.headers.get("range") if if_range is None or if_range.strip() == result.etag else None
    return pdf_response(result, content_disposition(session_id), range_header=wanted,
                        head=request.method == "HEAD")


# HEAD: the same handler (same headers, no body); kept out of the OpenAPI document, which has the GET.
router.add_api_route(EXPORT_PATH, export, methods=["HEAD"], include_in_schema=False, response_class=Response)


@router.post(
    "/api/reports/pdf", openapi_extra=REPORT_BODY,
    summary="Stateless: a report document in, its PDF out",
    responses={200: {"content": {PDF_TYPE: {}}, "description": "The PDF"}},
    response_class=Response,
)
async def stateless_pdf(request: Request, lang: LangDep, theme: ThemeDep, found: ServicesDep) -> Response:
    report = load_json(await request.body())
    try:
        result = await found.exports.stateless_pdf(report, lang, is_disconnected=request.is_disconnected,
                                                   theme=theme)
    except InputError as error:
        raise Rejected(error, what="report cannot be rendered") from error
    safe = is_safe_session_id(report.session_id)
    return pdf_response(result, content_disposition(report.session_id) if safe else STATELESS_FILENAME)
