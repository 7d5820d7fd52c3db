"""Pydantic models of the input document (an evaluated interview report); validation only.

Callers use :func:`load_json` (text or bytes) or :func:`load_document` (already
parsed JSON). Both accept the platform's report object as is or wrapped in its
envelope ``{"code": 200, "message": "success", "data": {...}}`` and return a
:class:`Report`; every problem becomes a :class:`DocumentInvalid` (an
:class:`~texreport.errors.InputError`) whose ``field`` is the dotted camelCase
path of the first bad field (``questionDetails.2.score``), relative to the
report object (no ``data.`` prefix, so raw and enveloped documents name fields
alike), and whose ``errors`` lists every ``(field, message)``.

Decisions a caller must know:

* Unknown fields are ignored; fields may also be given by their snake_case name.
* Scores (``overallScore``, ``categoryScores[].score``, ``questionDetails[].score``)
  are JSON numbers from 0 to 100. Fractions (an LM evaluator's ``85.5``) are
  accepted and rounded half up to an int. Strings (``"85"``), booleans, NaN and
  values outside 0–100 are rejected. Counts and indexes are non-negative
  integers (``3.0`` is accepted, ``3.5`` and ``"3"`` are not).
* Lenient where a real platform is sloppy: missing or null lists become ``[]``;
  missing or null ``feedback``, ``overallFeedback`` and ``referenceAnswer``
  become ``""``; a missing or null ``userAnswer`` means "not answered";
  a missing ``totalQuestions`` becomes the number of ``questionDetails``.
* ``sessionId``: a non-blank string of at most 128 characters without control
  or invisible format characters (it ends up in file names and footers).
* ``questionIndex`` must be unique within ``questionDetails`` and within
  ``referenceAnswers``. A reference answer whose ``questionIndex`` matches no
  question is kept in the model but not printed (there is no question to attach
  it to); :func:`iter_text_fields` therefore skips it.

Optional extensions (camelCase, all optional, blank strings count as absent)::

    "language": "en",                  # or "lang"; "zh" (default) or "en"; "zh-CN", "en_US" … accepted
    "candidate": {"name": "张伟", "targetPosition": "Java 后端工程师", "experienceLevel": "3 年",
                  "id": "zhang-wei"},   # id: groups one candidate's sessions (texreport progress); rules as sessionId
    "interview": {"dateTime": "2026-11-29T14:30:00+08:00",   # ISO 8601; or "date": "2026-11-29"
                  "interviewer": "AI 面试官", "interviewType": "技术面"},
    "improvementPlan": {"items": [
        {"area": "Java并发",                 # required
         "score": 55,                        # optional; else taken from a category of the same name
         "actions": ["..."],                 # strings, printed in order
         "resources": [{"title": "Java Concurrency in Practice",   # required
                        "detail": "Brian Goetz",                    # optional
                        "url": "https://jcip.net/"}]}]}             # optional, printed as text

The interview time keeps the offset it was given in (it is never converted);
without a time (``"date": "2026-11-29"`` or a date-only ``dateTime``) only the
day is printed.

Size limits (top-level list lengths before validation, the rest right after it,
before anything is laid out or compiled;
a breach raises :class:`~texreport.errors.LimitError` whose ``field`` is the
dotted path and ``limit`` the number, and whose message names both):

=================================================  =====================
what                                               limit
=================================================  =====================
JSON text given to :func:`load_json`               :data:`MAX_DOCUMENT_BYTES` (4 MiB)
long text: ``question``, ``userAnswer``,           :data:`MAX_TEXT_CHARS` (20,000 characters each)
``feedback``, ``overallFeedback``,
``referenceAnswer``
list entries: ``strengths``, ``improvements``,     :data:`MAX_ITEM_CHARS` (10,000 characters each)
``keyPoints``, plan ``actions``
labels: categories, names, areas, titles, URLs…    :data:`MAX_LABEL_CHARS` (1,000 characters each)
``questionDetails``, ``referenceAnswers``           :data:`MAX_QUESTIONS` (500 entries each)
``categoryScores``, ``improvementPlan.items``       :data:`MAX_CATEGORIES` (100 entries each)
any other list (strengths, keyPoints, actions …)   :data:`MAX_LIST_ITEMS` (200 entries each)
lines in any one text field                        :data:`MAX_TEXT_LINES` (500 lines each)
all text of the document together                  :data:`MAX_TOTAL_CHARS` (500,000 characters)
=================================================  =====================

The numbers leave a wide margin above real reports (a 10-question report is
~10,000 characters; an LM answer rarely exceeds 3,000) and are what the layout
is measured to survive: the shaded panels (framed.sty) box a whole field
before splitting it across pages, and a box taller than TeX's 16,383 pt
("Dimension too large") fails the compile. Measured: 35,000 CJK characters or
~1,100 lines in one answer still render; 50,000 CJK characters, 100,000 Latin
characters or 2,000 one-character lines do not.  Each field at its limit renders
in ~2 s; 300,000 characters of CJK answers in 11 s (2 cores), so a document at
the total limit stays well inside the default 60 s compile timeout.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from texreport.errors import InputError, LimitError

__all__ = [
    "Language",
    "DocumentInvalid",
    "CategoryScore",
    "QuestionDetail",
    "ReferenceAnswer",
    "Candidate",
    "Interview",
    "PlanResource",
    "PlanEntry",
    "ImprovementPlan",
    "Report",
    "normalize_language",
    "load_document",
    "load_json",
    "iter_text_fields",
    "SESSION_ID_MAX_LENGTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_TEXT_CHARS",
    "MAX_TEXT_LINES",
    "MAX_ITEM_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_QUESTIONS",
    "MAX_CATEGORIES",
    "MAX_LIST_ITEMS",
    "MAX_TOTAL_CHARS",
    "check_limits",
]

Language = Literal["zh", "en"]

SESSION_ID_MAX_LENGTH = 128

#: Size limits; see the table in the module docstring.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_TEXT_CHARS = 20_000
MAX_TEXT_LINES = 500
MAX_ITEM_CHARS = 10_000
MAX_LABEL_CHARS = 1_000
MAX_QUESTIONS = 500
MAX_CATEGORIES = 100
MAX_LIST_ITEMS = 200
MAX_TOTAL_CHARS = 500_000


class DocumentInvalid(InputError):
    """The document failed validation; ``errors`` holds every ``(field, message)``, first one first."""

    def __init__(self, errors: Sequence[tuple[str | None, str]]) -> None:
        if not errors:
            raise ValueError("DocumentInvalid needs at least one error")
        self.errors: list[tuple[str | None, str]] = list(errors)
        field, message = self.errors[0]
        more = len(self.errors) - 1
        if more:
            message = f"{message} (and {more} more {'error' if more == 1 else 'errors'})"
        super().__init__(message, field=field)


# --------------------------------------------------------------------------- value types


def _is_number(value: object) -> bool:
    # bool is an int subclass; True as a score is a producer bug, not 1.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _score(value: object) -> int:
    if not _is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        raise PydanticCustomError("score_type", "must be a number from 0 to 100, got {got}", {"got": _short(value)})
    if not 0 <= value <= 100:  # type: ignore[operator]
        raise PydanticCustomError("score_range", "must be from 0 to 100, got {got}", {"got": _short(value)})
    # Round half up: Python's round() would turn 84.5 into 84 (banker's rounding).
    return int(math.floor(value + 0.5))  # type: ignore[operator]


def _count(value: object) -> int:
    if not _is_number(value) or not math.isfinite(value) or value != int(value):  # type: ignore[arg-type]
        raise PydanticCustomError("count_type", "must be a whole number, got {got}", {"got": _short(value)})
    if value < 0:  # type: ignore[operator]
        raise PydanticCustomError("count_range", "must be 0 or more, got {got}", {"got": _short(value)})
    return int(value)  # type: ignore[arg-type]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("text_type", "must be a string, got {got}", {"got": _short(value)})
    return value


def _text_or_empty(value: object) -> str:
    return "" if value is None else _text(value)


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _blank_is_none(value: object) -> str | None:
    text = _optional_text(value)
    return text if text is not None and text.strip() else None


def _list_or_empty(value: object) -> object:
    return [] if value is None else value


Score = Annotated[int, BeforeValidator(_score)]
Count = Annotated[int, BeforeValidator(_count)]
Text = Annotated[str, BeforeValidator(_text)]
TextOrEmpty = Annotated[str, BeforeValidator(_text_or_empty)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
OptionalLabel = Annotated[str | None, BeforeValidator(_blank_is_none)]


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalize_language(value: object) -> Language:
    """``"zh"``/``"en"`` from a language tag (``zh-CN``, ``EN_us`` …); raise ``ValueError`` otherwise."""
    if isinstance(value, str):
        primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
        if primary in ("zh", "en"):
            return primary  # type: ignore[return-value]
    raise ValueError(f"language must be 'zh' or 'en', got {_short(value)}")


def _language(value: object) -> Language:
    try:
        return normalize_language(value)
    except ValueError as error:
        raise PydanticCustomError("language", str(error)) from None


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


def _list(default_alias: str) -> Any:
    return Field(default_factory=list, alias=default_alias)


class CategoryScore(_Model):
    category: Text
    score: Score
    question_count: Count = Field(default=0, alias="questionCount")


class QuestionDetail(_Model):
    question_index: Count = Field(alias="questionIndex")
    question: Text
    category: Text
    user_answer: OptionalText = Field(default=None, alias="userAnswer")  # None = not answered
    score: Score
    feedback: TextOrEmpty = ""

    @property
    def answered(self) -> bool:
        return self.user_answer is not None and bool(self.user_answer.strip())


class ReferenceAnswer(_Model):
    question_index: Count = Field(alias="questionIndex")
    question: TextOrEmpty = ""
    reference_answer: TextOrEmpty = Field(default="", alias="referenceAnswer")
    key_points: Annotated[list[Text], BeforeValidator(_list_or_empty)] = _list("keyPoints")


def _candidate_id(value: object) -> str | None:
    text = _blank_is_none(value)
    return None if text is None else _session_id(text)


class Candidate(_Model):
    id: Annotated[str | None, BeforeValidator(_candidate_id)] = None
    name: OptionalLabel = None
    target_position: OptionalLabel = Field(default=None, alias="targetPosition")
    experience_level: OptionalLabel = Field(default=None, alias="experienceLevel")


def _parse_when(value: object) -> datetime | date | None:
    if value is None:
        return None
    text = _text(value).strip()
    if not text:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "datetime", "must be an ISO 8601 date or date-time such as 2026-11-29T14:30:00+08:00, got {got}",
            {"got": _short(value)},
        ) from None


When = Annotated[datetime | date | None, BeforeValidator(_parse_when)]


class Interview(_Model):
    date_time: When = Field(default=None, alias="dateTime")
    date: When = None
    interviewer: OptionalLabel = None
    interview_type: OptionalLabel = Field(default=None, alias="interviewType")

    @property
    def when(self) -> datetime | date | None:
        """The interview's date or date-time; ``dateTime`` wins over ``date``."""
        return self.date_time if self.date_time is not None else self.date


class PlanResource(_Model):
    title: Text
    detail: OptionalLabel = None
    url: OptionalLabel = None


class PlanEntry(_Model):
    area: Text
    score: Annotated[int | None, BeforeValidator(lambda v: None if v is None else _score(v))] = None
    actions: Annotated[list[Text], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    resources: Annotated[list[PlanResource], BeforeValidator(_list_or_empty)] = Field(default_factory=list)


class ImprovementPlan(_Model):
    items: Annotated[list[PlanEntry], BeforeValidator(_list_or_empty)] = Field(default_factory=list)


def _unique_indexes(entries: list[Any]) -> list[Any]:
    seen: dict[int, int] = {}
    for position, entry in enumerate(entries):
        if entry.question_index in seen:
            # The position travels in ctx so that the error path can point at the duplicate itself.
            raise PydanticCustomError(
                "duplicate_index",
                "duplicate questionIndex {index} (first at position {first})",
                {"index": entry.question_index, "first": seen[entry.question_index], "position": position},
            )
        seen[entry.question_index] = position
    return entries


def _session_id(value: object) -> str:
    text = _text(value)
    if not text.strip():
        raise PydanticCustomError("session_id", "must not be blank")
    if len(text) > SESSION_ID_MAX_LENGTH:
        raise PydanticCustomError("session_id", "must be at most {limit} characters", {"limit": SESSION_ID_MAX_LENGTH})
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise PydanticCustomError("session_id", "must not contain control character U+{code}", {"code": f"{ord(bad):04X}"})
    return text


class Report(_Model):
    """The platform's report object plus texreport's optional extensions (see the module docstring)."""

    session_id: Annotated[str, BeforeValidator(_session_id)] = Field(alias="sessionId")
    total_questions: Count | None = Field(default=None, alias="totalQuestions")
    overall_score: Score = Field(alias="overallScore")
    category_scores: Annotated[list[CategoryScore], BeforeValidator(_list_or_empty)] = _list("categoryScores")
    question_details: Annotated[list[QuestionDetail], BeforeValidator(_list_or_empty)] = _list("questionDetails")
    overall_feedback: TextOrEmpty = Field(default="", alias="overallFeedback")
    strengths: Annotated[list[Text], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    improvements: Annotated[list[Text], BeforeValidator(_list_or_empty)] = Field(default_factory=list)
    reference_answers: Annotated[list[ReferenceAnswer], BeforeValidator(_list_or_empty)] = _list("referenceAnswers")

    # Extensions.
    language: Annotated[Language | None, BeforeValidator(lambda v: None if v is None else _language(v))] = Field(
        default=None, validation_alias=AliasChoices("language", "lang")
    )
    candidate: Candidate | None = None
    interview: Interview | None = None
    improvement_plan: ImprovementPlan | None = Field(default=None, alias="improvementPlan")

    @field_validator("question_details", "reference_answers")
    @classmethod
    def _indexes_are_unique(cls, entries: list[Any]) -> list[Any]:
        return _unique_indexes(entries)

    @model_validator(mode="after")
    def _default_total(self) -> Report:
        if self.total_questions is None:
            # frozen model: the only sanctioned way to fill a derived default after validation
            object.__setattr__(self, "total_questions", len(self.question_details))
        return self

    def reference_for(self, question_index: int) -> ReferenceAnswer | None:
        """The reference answer matched to a question by ``questionIndex``, if any."""
        return self._references().get(question_index)

    def _references(self) -> dict[int, ReferenceAnswer]:
        return {reference.question_index: reference for reference in self.reference_answers}


# --------------------------------------------------------------------------- loading


def load_document(data: object) -> Report:
    """Validate parsed JSON (a report object, or one inside the ``{code, message, data}`` envelope)."""
    report_object = _unwrap(data)
    _check_list_lengths(report_object)
    try:
        report = Report.model_validate(report_object)
    except ValidationError as error:
        raise DocumentInvalid([_describe(detail) for detail in error.errors()]) from None
    check_limits(report)
    return report


def load_json(text: str | bytes) -> Report:
    """Parse JSON text (UTF-8 bytes, BOM allowed) and validate it like :func:`load_document`."""
    size = len(text) if isinstance(text, (bytes, bytearray)) else len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise _too_long(None, "the document", size, MAX_DOCUMENT_BYTES, "bytes")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputError(f"the document is not valid UTF-8 (byte {error.start})") from None
    text = text.removeprefix("\ufeff")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InputError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    return load_document(data)


def _too_long(field: str | None, what: str, size: int, limit: int, unit: str) -> LimitError:
    return LimitError(f"{what} has {size} {unit}, more than the limit of {limit} {unit}", field=field, limit=limit)


def _check_list_lengths(report_object: object) -> None:
    """Refuse huge top-level lists before validating them (validating 100,000 questions is the attack)."""
    if not isinstance(report_object, Mapping):
        return
    limits = {"questionDetails": MAX_QUESTIONS, "referenceAnswers": MAX_QUESTIONS, "categoryScores": MAX_CATEGORIES,
              "strengths": MAX_LIST_ITEMS, "improvements": MAX_LIST_ITEMS}
    for name, limit in limits.items():
        value = report_object.get(name)
        if isinstance(value, list) and len(value) > limit:
            raise _too_long(name, "the list", len(value), limit, "entries")


# Every way escape.clean_text starts a new line (U+2029 starts a paragraph: two lines).
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\x85|\u2029\u2029?")
_LONG_TEXT = frozenset({"question", "userAnswer", "feedback", "overallFeedback", "referenceAnswer"})
_LIST_ITEM = frozenset({"strengths", "improvements", "keyPoints", "actions"})


def _text_limit(path: str) -> int:
    """The character limit of a text field, from the last named part of its dotted path."""
    last = [part for part in path.split(".") if not part.isdigit()][-1]
    if last in _LONG_TEXT:
        return MAX_TEXT_CHARS
    if last in _LIST_ITEM:
        return MAX_ITEM_CHARS
    return MAX_LABEL_CHARS


def _all_text(report: Report) -> Iterator[tuple[str, str | None]]:
    """Every user string of the model, blank or not, printed or not: limits bound what is stored too."""
    yield "sessionId", report.session_id
    for owner, names in (("candidate", ("id", "name", "target_position", "experience_level")),
                         ("interview", ("interviewer", "interview_type"))):
        value = getattr(report, owner)
        if value is not None:
            for name in names:
                field = type(value).model_fields[name].alias or name
                yield f"{owner}.{field}", getattr(value, name)
    yield "overallFeedback", report.overall_feedback
    for i, text in enumerate(report.strengths):
        yield f"strengths.{i}", text
    for i, text in enumerate(report.improvements):
        yield f"improvements.{i}", text
    for i, category in enumerate(report.category_scores):
        yield f"categoryScores.{i}.category", category.category
    for i, question in enumerate(report.question_details):
        yield f"questionDetails.{i}.question", question.question
        yield f"questionDetails.{i}.category", question.category
        yield f"questionDetails.{i}.userAnswer", question.user_answer
        yield f"questionDetails.{i}.feedback", question.feedback
    for i, reference in enumerate(report.reference_answers):
        yield f"referenceAnswers.{i}.question", reference.question
        yield f"referenceAnswers.{i}.referenceAnswer", reference.reference_answer
        for j, point in enumerate(reference.key_points):
            yield f"referenceAnswers.{i}.keyPoints.{j}", point
    if report.improvement_plan is not None:
        for i, item in enumerate(report.improvement_plan.items):
            base = f"improvementPlan.items.{i}"
            yield f"{base}.area", item.area
            for j, action in enumerate(item.actions):
                yield f"{base}.actions.{j}", action
            for k, resource in enumerate(item.resources):
                yield f"{base}.resources.{k}.title", resource.title
                yield f"{base}.resources.{k}.detail", resource.detail
                yield f"{base}.resources.{k}.url", resource.url


def check_limits(report: Report) -> None:
    """Raise :class:`LimitError` for the first list or text over its limit (see the module docstring)."""
    lists: list[tuple[str, int, int]] = [
        ("questionDetails", len(report.question_details), MAX_QUESTIONS),
        ("referenceAnswers", len(report.reference_answers), MAX_QUESTIONS),
        ("categoryScores", len(report.category_scores), MAX_CATEGORIES),
        ("strengths", len(report.strengths), MAX_LIST_ITEMS),
        ("improvements", len(report.improvements), MAX_LIST_ITEMS),
    ]
    for i, reference in enumerate(report.reference_answers):
        lists.append((f"referenceAnswers.{i}.keyPoints", len(reference.key_points), MAX_LIST_ITEMS))
    if report.improvement_plan is not None:
        lists.append(("improvementPlan.items", len(report.improvement_plan.items), MAX_CATEGORIES))
        for i, item in enumerate(report.improvement_plan.items):
            lists.append((f"improvementPlan.items.{i}.actions", len(item.actions), MAX_LIST_ITEMS))
            lists.append((f"improvementPlan.items.{i}.resources", len(item.resources), MAX_LIST_ITEMS))
    for field, size, limit in lists:
        if size > limit:
            raise _too_long(field, "the list", size, limit, "entries")
    total = 0
    for field, text in _all_text(report):
        if text is None:
            continue
        limit = _text_limit(field)
        if len(text) > limit:
            raise _too_long(field, "the text", len(text), limit, "characters")
        lines = len(_LINE_BREAKS.findall(text)) + 1
        if lines > MAX_TEXT_LINES:
            raise _too_long(field, "the text", lines, MAX_TEXT_LINES, "lines")
        total += len(text)
    if total > MAX_TOTAL_CHARS:
        raise _too_long(None, "the document's text", total, MAX_TOTAL_CHARS, "characters")


def _reject_constant(name: str) -> object:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _unwrap(data: object) -> object:
    if not isinstance(data, Mapping):
        raise InputError(f"the document must be a JSON object, got {type(data).__name__}")
    if "code" in data and "data" in data and "sessionId" not in data:
        inner = data["data"]
        if inner is None:
            detail = data.get("message")
            suffix = f" (code {data.get('code')!r}: {_short(detail, 80)})" if detail else ""
            raise InputError(f"report not generated{suffix}", field="data")
        if not isinstance(inner, Mapping):
            raise InputError(f"must be a report object, got {type(inner).__name__}", field="data")
        return inner
    return data


def _describe(detail: Mapping[str, Any]) -> tuple[str | None, str]:
    location = list(detail.get("loc", ()))
    context = detail.get("ctx") or {}
    if detail.get("type") == "duplicate_index" and "position" in context:
        location += [context["position"], "questionIndex"]
    path = ".".join(str(part) for part in location) or None
    message = " ".join(str(detail.get("msg", "invalid value")).split())
    if detail.get("type") == "missing":
        message = "is required"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return path, message


# --------------------------------------------------------------------------- text fields


def iter_text_fields(report: Report) -> Iterator[tuple[str, str]]:
    """Yield ``(dotted camelCase path, text)`` for every non-blank user string the PDF prints.

    Paths are relative to the report object and use the document's indexes
    (``questionDetails.3.feedback`` is the fourth entry as given, not the fourth
    question after sorting). Not yielded, because they are never printed:
    ``referenceAnswers[].question`` (the question text comes from
    ``questionDetails``), reference answers that match no question, and
    non-text values (scores, dates, language).
    """
    def emit(path: str, text: str | None) -> Iterator[tuple[str, str]]:
        if text is not None and text.strip():
            yield path, text

    yield from emit("sessionId", report.session_id)
    if report.candidate is not None:
        yield from emit("candidate.name", report.candidate.name)
        yield from emit("candidate.targetPosition", report.candidate.target_position)
        yield from emit("candidate.experienceLevel", report.candidate.experience_level)
    if report.interview is not None:
        yield from emit("interview.interviewer", report.interview.interviewer)
        yield from emit("interview.interviewType", report.interview.interview_type)
    yield from emit("overallFeedback", report.overall_feedback)
    for i, text in enumerate(report.strengths):
        yield from emit(f"strengths.{i}", text)
    for i, text in enumerate(report.improvements):
        yield from emit(f"improvements.{i}", text)
    for i, category in enumerate(report.category_scores):
        yield from emit(f"categoryScores.{i}.category", category.category)
    asked = set()
    for i, question in enumerate(report.question_details):
        asked.add(question.question_index)
        yield from emit(f"questionDetails.{i}.question", question.question)
        yield from emit(f"questionDetails.{i}.category", question.category)
        yield from emit(f"questionDetails.{i}.userAnswer", question.user_answer)
        yield from emit(f"questionDetails.{i}.feedback", question.feedback)
    for i, reference in enumerate(report.reference_answers):
        if reference.question_index not in asked:
            continue
        yield from emit(f"referenceAnswers.{i}.referenceAnswer", reference.reference_answer)
        for j, point in enumerate(reference.key_points):
            yield from emit(f"referenceAnswers.{i}.keyPoints.{j}", point)
    if report.improvement_plan is not None:
        for i, item in enumerate(report.improvement_plan.items):
            base = f"improvementPlan.items.{i}"
            yield from emit(f"{base}.area", item.area)
            for j, action in enumerate(item.actions):
                yield from emit(f"{base}.actions.{j}", action)
            for k, resource in enumerate(item.resources):
                yield from emit(f"{base}.resources.{k}.title", resource.title)
                yield from emit(f"{base}.resources.{k}.detail", resource.detail)
                yield from emit(f"{base}.resources.{k}.url", resource.url)
