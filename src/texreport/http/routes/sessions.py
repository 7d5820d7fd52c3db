"""The platform's session API: create, list, get, answer, generate the report, delete (JSON envelope)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator
from starlette.concurrency import run_in_threadpool

from ...errors import InputError
from ...models import load_json
from ...naming import is_safe_session_id
from ..deps import ServicesDep, SessionDep, SessionId
from ..records import SessionRecord
from ..reports import (
    answer_field,
    build_report,
    drop_surrogates,
    report_data,
    validated_report,
)
from ..responses import envelope
from ..statuses import Rejected
from ..store import MAX_STORED_INT, SessionNotFound

__all__ = ["REPORT_BODY", "AnswerSubmission", "router", "session_view"]

router = APIRouter(prefix="/api/interview/sessions", tags=["sessions"])

REPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object",
            "description": "A report object (sessionId, overallScore, questionDetails, …), raw or inside the "
                           "{code, message, data} envelope; see texreport.models.",
        }}},
    }
}


class AnswerSubmission(BaseModel):
    """``{questionIndex, answer}`` as the platform sends it; evaluation fields may come with it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    question_index: StrictInt = Field(alias="questionIndex", ge=0, le=MAX_STORED_INT)
    answer: StrictStr | None = Field(description="The answer text; null withdraws the answer.")
    score: Annotated[StrictInt, Field(ge=0, le=100)] | None = Field(default=None, description="0–100")
    feedback: StrictStr | None = None

    @field_validator("answer", "feedback")
    @classmethod
    def _no_lone_surrogates(cls, value: str | None) -> str | None:
        # As in a report document: a JSON "\ud800" is no character and is dropped (SECURITY.md).
        return None if value is None else drop_surrogates(value)


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


@router.get("", summary="List sessions, newest first")
async def list_sessions(found: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT)] = 0) -> JSONResponse:
    summaries = await run_in_threadpool(partial(found.store.list_sessions, limit=limit, offset=offset))
    return envelope([
        {"sessionId": s.session_id, "status": s.status, "totalQuestions": s.total_questions,
         "overallScore": s.overall_score, "createdAt": s.created_at.isoformat(),
         "updatedAt": s.updated_at.isoformat()}
        for s in summaries
    ])


@router.post("", openapi_extra=REPORT_BODY,
             summary="Create a session from a report document (raw or in its envelope)")
async def create_session(request: Request, found: ServicesDep) -> JSONResponse:
    report = load_json(await request.body())          # InputError: 400/413/422 from the table
    if not is_safe_session_id(report.session_id):
        raise InputError("must be 1–128 letters, digits, '-' or '_', starting with a letter or digit",
                         field="sessionId")
    await run_in_threadpool(found.check, report)
    record = await run_in_threadpool(found.store.create_session, report.session_id, report_data(report))
    return envelope(session_view(record, report_generated=False))


@router.get("/{session_id}", summary="Get a session")
async def get_session(record: SessionDep, found: ServicesDep) -> JSONResponse:
    generated = await run_in_threadpool(found.store.get_report, record.session_id)
    return envelope(session_view(record, report_generated=generated is not None))


@router.post("/{session_id}/answers",
             summary="Submit (replace) an answer; invalidates the generated report and cached PDF")
async def submit_answer(session_id: SessionId, submission: AnswerSubmission, found: ServicesDep) -> JSONResponse:
    def check(record: SessionRecord) -> None:
        # Runs under the session's lock: the whole document, as it will be stored.
        try:
            found.check(validated_report(record))
        except InputError as error:
            raise Rejected(answer_field(error), what="answer cannot be stored") from error

    store_answer = partial(found.store.submit_answer, session_id, submission.question_index,
                           answer=submission.answer, score=submission.score, feedback=submission.feedback,
                           check=check)
    record = await run_in_threadpool(store_answer)
    found.exports.report_changed(session_id)
    return envelope(session_view(record, report_generated=False))


@router.get("/{session_id}/report", summary="Generate (or return) the evaluation report; status becomes EVALUATED")
async def get_report(session_id: SessionId, found: ServicesDep) -> JSONResponse:
    try:
        stored = await run_in_threadpool(found.store.generate_report, session_id, build_report)
    except InputError as error:
        raise Rejected(error, what="report cannot be generated") from error
    found.exports.report_generated(stored)
    return envelope(stored.data)


@router.delete("/{session_id}", summary="Delete a session, its report and cached PDF")
async def delete_session(session_id: SessionId, found: ServicesDep) -> JSONResponse:
    if not await run_in_threadpool(found.store.delete_session, session_id):
        raise SessionNotFound(session_id)
    found.exports.report_changed(session_id)
    return envelope(None)

