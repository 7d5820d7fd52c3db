"""A candidate's interview sessions → what a progress report compares (pure: no TeX, no files).

Entry point: :func:`build_progress`, from a sequence of :class:`SessionInput`
(a validated report, where it came from, and — for stored sessions — when it
was created). Decisions a caller must know:

* **How many**: at least :data:`MIN_SESSIONS` (2), at most :data:`MAX_SESSIONS`
  (50, what the layout is measured for); anything else is an
  :class:`~texreport.errors.InputError` (a :class:`~texreport.errors.LimitError`
  above the maximum).
* **Same session twice** (same ``sessionId``) is refused, naming the id and
  both sources. Sessions of **different candidates** (two different
  ``candidate.id``) are refused too, naming both.
* **Order**: by interview time (``interview.dateTime``, else ``interview.date``
  at 00:00; a time without an offset counts as UTC). A session without one
  takes its creation time when it has one (the service); otherwise (files)
  undated sessions follow the dated ones in the order given. Ties: session id.
* **Categories** are the single report's (``categoryScores``, or derived from
  the questions when absent) and are matched across sessions by name, ignoring
  case, width and runs of spaces; the latest spelling is shown. A category
  missing from a session has no score there (``None``), never 0.
* **Deltas**: a category's change is from its previous occurrence (the latest
  earlier session that scored it); ``None`` at its first occurrence. The
  overall score's change is from the previous session.
* **What changed**: improvements and regressions compare a category's first and
  latest occurrence (categories scored at least twice), at most
  :data:`MAX_CHANGES` each, biggest first. **Persistent weak areas**: categories
  below 60 in two or more sessions. **Repeated questions**: the same text after
  collapsing whitespace, asked in more than one session; the first
  :data:`MAX_REPEATED_QUESTIONS` in order of first appearance are listed and the
  rest counted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import pairwise

from .bands import FAIR_THRESHOLD
from .errors import InputError, LimitError
from .models import Report, normalize_language
from .view import QuestionView, ReportView, build_view

__all__ = ["SessionInput", "Session", "CategoryTrend", "Change", "WeakArea", "Ask", "RepeatedQuestion",
           "Progress", "check_sessions", "build_progress", "progress_identifier", "located_field", "category_key",
           "question_key", "MIN_SESSIONS", "MAX_SESSIONS",
           "MAX_CHANGES", "MAX_REPEATED_QUESTIONS", "WEAK_THRESHOLD"]

MIN_SESSIONS = 2
MAX_SESSIONS = 50
MAX_CHANGES = 3
MAX_REPEATED_QUESTIONS = 20
WEAK_THRESHOLD = FAIR_THRESHOLD   # below 60: the platform's red


@dataclass(frozen=True)
class SessionInput:
    """One validated report; ``source`` names it in errors (a file, or a list position)."""

    report: Report
    source: str
    created_at: datetime | None = None   # the service's creation time; None for files


@dataclass(frozen=True)
class Session:
    number: int                 # 1-based, in progress order
    source: str
    report: Report
    view: ReportView            # the single report's view of this session (categories, questions, plan)
    when: datetime | date | None

    @property
    def session_id(self) -> str:
        return self.report.session_id

    @property
    def score(self) -> int:
        return self.report.overall_score


@dataclass(frozen=True)
class CategoryTrend:
    name: str                       # the latest spelling
    scores: list[int | None]        # per session, None where the session has no such category
    deltas: list[int | None]        # change from the previous occurrence; None at the first or where absent

    @property
    def occurrences(self) -> list[tuple[int, int]]:
        """(session number, score) where the category was scored."""
        return [(i + 1, s) for i, s in enumerate(self.scores) if s is not None]


@dataclass(frozen=True)
class Change:
    name: str
    first: tuple[int, int]      # (session number, score)
    last: tuple[int, int]

    @property
    def delta(self) -> int:
        return self.last[1] - self.first[1]


@dataclass(frozen=True)
class WeakArea:
    name: str
    weak: list[tuple[int, int]]     # (session number, score) below WEAK_THRESHOLD
    latest: tuple[int, int]         # the latest occurrence, weak or not


@dataclass(frozen=True)
class Ask:
    session: int                # session number
    question: int               # question number within that session (1-based, as its report prints it)
    score: int
    answered: bool


@dataclass(frozen=True)
class RepeatedQuestion:
    text: str                   # as first asked
    asks: list[Ask]


@dataclass(frozen=True)
class Progress:
    candidate_id: str | None
    sessions: list[Session]
    overall_deltas: list[int | None]
    categories: list[CategoryTrend]         # order of first appearance
    improvements: list[Change]
    regressions: list[Change]
    persistent_weak: list[WeakArea]
    repeated: list[RepeatedQuestion]
    repeated_total: int                     # including those not listed

    @property
    def first(self) -> Session:
        return self.sessions[0]

    @property
    def latest(self) -> Session:
        return self.sessions[-1]


def _where(source: str) -> str:
    return f"list position {source}" if source.isdigit() else source


def located_field(source: str, field: str | None) -> str:
    """A field of one of several documents: ``2.sessionId`` (a list position), ``b.json: sessionId`` (a file)."""
    if field is None:
        return source
    return f"{source}.{field}" if source.isdigit() else f"{source}: {field}"


def category_key(name: str) -> str:
    """Categories match across sessions ignoring case, width and runs of spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def question_key(text: str) -> str:
    """Questions match across sessions when their text is equal after collapsing whitespace."""
    return " ".join(text.split())


def check_sessions(inputs: Sequence[SessionInput]) -> str | None:
    """Refuse too few or too many sessions, one given twice, or different candidates; the candidate id."""
    _check_count(inputs)
    _check_unique(inputs)
    return _candidate_id(inputs)


def progress_identifier(inputs: Sequence[SessionInput]) -> str:
    """What names the progress report (footer, file name): the candidate id, else the first session's id."""
    return _candidate_id(inputs) or _ordered(inputs)[0].report.session_id


def build_progress(inputs: Sequence[SessionInput], *, lang: str | None = None,
                   generated_at: datetime | None = None) -> Progress:
    """Order, check and compare the sessions (see the module docstring).

    ``lang`` overrides the language (default: the latest session's own, else ``zh``).
    """
    candidate_id = check_sessions(inputs)
    ordered = _ordered(inputs)
    # One language for every session: the caller's, else the latest session's own.
    language = normalize_language(lang) if lang is not None else (ordered[-1].report.language or "zh")
    sessions = [
        Session(number=i + 1, source=item.source, report=item.report,
                view=build_view(item.report, lang=language, generated_at=generated_at), when=_when(item.report))
        for i, item in enumerate(ordered)
    ]
    scores = [s.score for s in sessions]
    categories = _category_trends(sessions)
    improvements, regressions = _changes(categories)
    repeated = _repeated_questions(sessions)
    return Progress(
        candidate_id=candidate_id,
        sessions=sessions,
        overall_deltas=[None] + [b - a for a, b in pairwise(scores)],
        categories=categories,
        improvements=improvements,
        regressions=regressions,
        persistent_weak=_persistent_weak(categories),
        repeated=repeated[:MAX_REPEATED_QUESTIONS],
        repeated_total=len(repeated),
    )


# --------------------------------------------------------------------------- checks


def _check_count(inputs: Sequence[SessionInput]) -> None:
    if len(inputs) < MIN_SESSIONS:
        raise InputError(f"a progress report needs at least {MIN_SESSIONS} sessions, got {len(inputs)}")
    if len(inputs) > MAX_SESSIONS:
        raise LimitError(f"a progress report takes at most {MAX_SESSIONS} sessions, got {len(inputs)}",
                         limit=MAX_SESSIONS)


def _check_unique(inputs: Sequence[SessionInput]) -> None:
    seen: dict[str, str] = {}
    for item in inputs:
        session_id = item.report.session_id
        if session_id in seen:
            raise InputError(f"session {session_id} is given twice ({_where(seen[session_id])} and "
                             f"{_where(item.source)})",
                             field=located_field(item.source, "sessionId"))
        seen[session_id] = item.source


def _candidate_id(inputs: Sequence[SessionInput]) -> str | None:
    found: tuple[str, str] | None = None
    for item in inputs:
        candidate = item.report.candidate
        if candidate is None or candidate.id is None:
            continue
        if found is not None and found[0] != candidate.id:
            raise InputError(f"sessions of different candidates: {found[0]} ({_where(found[1])}) and "
                             f"{candidate.id} ({_where(item.source)})",
                             field=located_field(item.source, "candidate.id"))
        found = found or (candidate.id, item.source)
    return found[0] if found else None


# --------------------------------------------------------------------------- order


def _when(report: Report) -> datetime | date | None:
    return report.interview.when if report.interview is not None else None


def _instant(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ordered(inputs: Sequence[SessionInput]) -> list[SessionInput]:
    def key(position_item: tuple[int, SessionInput]) -> tuple[int, datetime, int, str]:
        position, item = position_item
        when = _when(item.report) or item.created_at
        if when is None:   # files without a date: after the dated ones, in the order given
            return (1, datetime.min.replace(tzinfo=UTC), position, "")
        return (0, _instant(when), 0, item.report.session_id)

    return [item for _, item in sorted(enumerate(inputs), key=key)]


# --------------------------------------------------------------------------- comparisons


def _category_trends(sessions: list[Session]) -> list[CategoryTrend]:
    names: dict[str, str] = {}
    scores: dict[str, list[int | None]] = {}
    for index, session in enumerate(sessions):
        for category in session.view.categories:
            key = category_key(category.name) or category.name
            names[key] = category.name           # the latest spelling wins
            row = scores.setdefault(key, [None] * len(sessions))
            if row[index] is None:               # a category listed twice in one report: its first entry
                row[index] = category.score
    return [CategoryTrend(name=names[key], scores=row, deltas=_deltas(row)) for key, row in scores.items()]


def _deltas(row: list[int | None]) -> list[int | None]:
    deltas: list[int | None] = []
    previous: int | None = None
    for score in row:
        deltas.append(None if score is None or previous is None else score - previous)
        if score is not None:
            previous = score
    return deltas


def _changes(categories: list[CategoryTrend]) -> tuple[list[Change], list[Change]]:
    changes = [Change(c.name, c.occurrences[0], c.occurrences[-1]) for c in categories if len(c.occurrences) >= 2]
    # sorted() is stable: equal changes keep the order of first appearance.
    improvements = sorted((c for c in changes if c.delta > 0), key=lambda c: -c.delta)
    regressions = sorted((c for c in changes if c.delta < 0), key=lambda c: c.delta)
    return improvements[:MAX_CHANGES], regressions[:MAX_CHANGES]


def _persistent_weak(categories: list[CategoryTrend]) -> list[WeakArea]:
    areas = []
    for category in categories:
        weak = [(number, score) for number, score in category.occurrences if score < WEAK_THRESHOLD]
        if len(weak) >= 2:
            areas.append(WeakArea(category.name, weak, category.occurrences[-1]))
    return sorted(areas, key=lambda area: (-len(area.weak), area.latest[1]))


def _repeated_questions(sessions: list[Session]) -> list[RepeatedQuestion]:
    texts: dict[str, str] = {}
    asks: dict[str, list[Ask]] = {}
    for session in sessions:
        for question in session.view.questions:
            key = question_key(question.text)
            if not key:
                continue
            texts.setdefault(key, question.text)
            asks.setdefault(key, []).append(_ask(session.number, question))
    return [RepeatedQuestion(texts[key], found) for key, found in asks.items()
            if len({ask.session for ask in found}) > 1]


def _ask(session: int, question: QuestionView) -> Ask:
    return Ask(session=session, question=question.number, score=question.score, answered=question.answer is not None)
