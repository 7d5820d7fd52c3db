"""A session's report: its source document merged with the current answers (no web framework here).

What a caller must know:

* :func:`build_report` is the report object ``GET /report`` stores and returns
  (JSON-ready, camelCase); :func:`validated_report` is the same report as a
  model, for checks and rendering. Both raise
  :class:`~texreport.errors.InputError` when the merge is not a valid report.
* :func:`answer_field` renames a report path (``questionDetails.3.userAnswer``)
  to the submission's field (``answer``) in an error.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from ..errors import InputError
from ..models import DocumentInvalid, Report, load_document
from .records import AnswerRecord, SessionRecord

__all__ = [
    "answer_field",
    "build_report",
    "drop_surrogates",
    "field_errors",
    "merged_document",
    "report_data",
    "validated_report",
]


_SURROGATES = re.compile("[\ud800-\udfff]")


def drop_surrogates(text: str) -> str:
    """``text`` without lone surrogates (what a JSON ``"\\ud800"`` escape decodes to; no character)."""
    return _SURROGATES.sub("", text)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def merged_document(record: SessionRecord) -> dict[str, Any]:
    """The session's source document with its answers applied (not validated).

    Answers, and scores/feedback submitted with them, replace the document's. When
    a submitted score changed a question's score, ``categoryScores`` and
    ``overallScore`` are recomputed as rounded means of the question scores, so
    the report never shows totals that contradict its questions.
    """
    document = copy.deepcopy(record.document)
    answers = {answer.question_index: answer for answer in record.answers}
    details = document.get("questionDetails") or []
    rescored = False
    for detail in details:
        answer = answers.get(detail["questionIndex"])
        if answer is not None:
            rescored = _apply(detail, answer) or rescored
    if rescored and details:
        _rescore(document, details)
    return document


def _apply(detail: dict[str, Any], answer: AnswerRecord) -> bool:
    """Write one answer into its question; ``True`` if the score changed."""
    detail["userAnswer"] = answer.answer
    if answer.feedback is not None:
        detail["feedback"] = answer.feedback
    if answer.score is not None and answer.score != detail.get("score"):
        detail["score"] = answer.score
        return True
    return False


def _rescore(document: dict[str, Any], details: list[dict[str, Any]]) -> None:
    for category in document.get("categoryScores") or []:
        scores = [d["score"] for d in details if d.get("category") == category.get("category")]
        if scores:
            category["score"] = _round_half_up(sum(scores) / len(scores))
    document["overallScore"] = _round_half_up(sum(d["score"] for d in details) / len(details))


def validated_report(record: SessionRecord) -> Report:
    """The session's report as a validated model; raises :class:`InputError`."""
    return load_document(merged_document(record))


def report_data(report: Report) -> dict[str, Any]:
    """A validated report as the JSON-ready object the API returns."""
    return report.model_dump(by_alias=True, mode="json")


def build_report(record: SessionRecord) -> dict[str, Any]:
    """The report object of a session: its source document with the current answers."""
    return report_data(validated_report(record))


def field_errors(error: InputError) -> list[dict[str, str | None]]:
    """``[{field, message}, …]`` for an input error (every field of a validation error)."""
    if isinstance(error, DocumentInvalid):
        return [{"field": field, "message": message} for field, message in error.errors]
    message = str(error)
    if error.field and message.startswith(f"{error.field}: "):
        message = message[len(error.field) + 2:]
    return [{"field": error.field, "message": message}]


_SUBMITTED = (("userAnswer", "answer"), ("feedback", "feedback"), ("score", "score"))


def answer_field(error: InputError) -> InputError:
    """Name the submission's field (``answer``) rather than the report's path when that is where it is."""
    first = field_errors(error)[0]
    field, message = first["field"] or "", first["message"] or "invalid"
    for report_field, submitted in _SUBMITTED:
        if re.fullmatch(rf"questionDetails\.\d+\.{report_field}", field):
            return InputError(message, field=submitted)
    return error
