"""The progress report across a candidate's sessions: its export (plain HTTP) and its stateless render (JSON errors).

* ``GET /api/interview/candidates/{candidateId}/progress/export`` answers like the
  session export: 404 with an empty body for an unknown or malformed candidate id,
  400 with a brief text when fewer than two of the candidate's sessions have a
  generated report, 200 PDF with ``Content-Disposition``
  (``面试进步报告_{candidateId}.pdf``, ASCII ``interview-progress-{candidateId}.pdf``),
  ``ETag`` (``If-None-Match`` → 304), 500 when generation fails, 503 when busy.
* ``POST /api/reports/progress/pdf`` takes a JSON list of report documents (raw or
  in their envelopes): 400 not JSON / not a list / fewer than two, 422 naming the
  list position then the field (``2.questionDetails.0.score``; ``2.sessionId`` for
  a session given twice), 413 limits.

The logic is in :mod:`texreport.http.progress_exports` (no web framework).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import InputError
from ...naming import is_safe_session_id, progress_content_disposition
from ...progress import progress_identifier
from ..deps import CandidateId, LangDep, ServicesDep, ThemeDep
from ..progress_exports import parse_documents
from ..responses import EXPORT_RESPONSES, PDF_TYPE, pdf_response
from ..statuses import Rejected

__all__ = ["router"]

router = APIRouter(tags=["progress"])

STATELESS_FILENAME = 'attachment; filename="interview-progress.pdf"'
LIST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "array", "minItems": 2, "maxItems": 50,
            "items": {"type": "object", "description": "A report document, raw or in its {code, message, data} "
                                                       "envelope; see texreport.models."},
        }}},
    }
}


@router.get(
    "/api/interview/candidates/{candidate_id}/progress/export",
    summary="Export the progress report across a candidate's generated sessions (plain HTTP statuses)",
    responses={
        **EXPORT_RESPONSES,
        400: {"description": "Fewer than two sessions with a generated report (the body says how many)"},
        404: {"description": "Unknown candidate (empty body)"},
    },
    response_class=Response,
)
async def candidate_progress(request: Request, candidate_id: CandidateId, lang: LangDep, theme: ThemeDep,
                             found: ServicesDep) -> Response:
    result = await found.progress.candidate_pdf(candidate_id, lang, if_none_match=request.headers.get("if-none-match"),
                                                is_disconnected=request.is_disconnected, theme=theme)
    return pdf_response(result, progress_content_disposition(candidate_id))


@router.post(
    "/api/reports/progress/pdf", openapi_extra=LIST_BODY,
    summary="Stateless: a JSON list of report documents in, their progress PDF out",
    responses={200: {"content": {PDF_TYPE: {}}, "description": "The PDF"}},
    response_class=Response,
)
async def stateless_progress(request: Request, lang: LangDep, theme: ThemeDep, found: ServicesDep) -> Response:
    try:
        data = json.loads((await request.body()).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError("the body is not valid JSON") from None
    inputs = parse_documents(data)
    try:
        result = await found.progress.stateless_pdf(inputs, lang, is_disconnected=request.is_disconnected,
                                                    theme=theme)
    except InputError as error:
        raise Rejected(error, what="progress report cannot be rendered") from error
    identifier = progress_identifier(inputs)
    safe = is_safe_session_id(identifier)
    return pdf_response(result, progress_content_disposition(identifier) if safe else STATELESS_FILENAME)
