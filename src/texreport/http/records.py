"""What the store hands out: plain, frozen records (no database or web types), and canonical JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AnswerRecord",
    "CachedPdf",
    "CandidateSession",
    "SessionRecord",
    "SessionStatus",
    "SessionSummary",
    "StoredReport",
    "canonical_json",
]


class SessionStatus:
    """The platform's session states (strings, as the API shows them)."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    EVALUATED = "EVALUATED"


def canonical_json(data: Any) -> str:
    """The one text form of a JSON value that is stored, hashed and compared (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class AnswerRecord:
    question_index: int
    answer: str | None
    score: int | None
    feedback: str | None
    updated_at: datetime


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    status: str
    total_questions: int
    overall_score: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SessionRecord:
    """A session with its source document and current answers."""

    session_id: str
    status: str
    document: dict[str, Any]
    answers: list[AnswerRecord]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredReport:
    """A generated report: its object (as JSON-ready data), canonical text and generation time."""

    session_id: str
    canonical: str
    generated_at: datetime

    @property
    def data(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.canonical)
        return loaded


@dataclass(frozen=True)
class CachedPdf:
    cache_key: str
    etag: str
    size: int
    pdf: bytes | None  # None when only the metadata was asked for


@dataclass(frozen=True)
class CandidateSession:
    """One session of a candidate (``candidate.id`` of its document) and its generated report, if any."""

    session_id: str
    created_at: datetime
    report: StoredReport | None
