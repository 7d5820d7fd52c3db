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
  values outside 0–100 are rejected. Counts and indexes are integers from 0 to
  2^31-1, a database INTEGER (``3.0`` is accepted, ``3.5`` and ``"3"`` are not).
  An integer of more than 100 digits anywhere in the document, in a field
  texreport ignores too, refuses the document naming its path.
* Lenient where a real platform is sloppy: missing or null lists become ``[]``;
  missing or null ``feedback``, ``overallFeedback`` and ``referenceAnswer``
  become ``""``; a missing or null ``userAnswer`` means "not answered";
  a missing ``totalQuestions`` becomes the number of ``questionDetails``.
* ``sessionId``: 1–128 letters, digits, ``-`` or ``_``, starting with a letter or
  digit (it ends up in file names, URLs, headers and footers; every path — validate,
  render, batch and each HTTP route — refuses any other id the same way).
* Lone surrogates (a JSON ``"\\ud800"`` escape, which is no character) are dropped
  from every other text field.
* Category names and plan areas are headings: every line or paragraph break in
  them (``\\n``, a blank line, U+2028, U+2029 …) becomes one space.
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
category names, plan areas (one line each)        :data:`MAX_HEADING_CHARS` (200 characters each)
labels: names, titles, URLs …                      :data:`MAX_LABEL_CHARS` (1,000 characters each)
``questionDetails``, ``referenceAnswers``           :data:`MAX_QUESTIONS` (500 entries each)
``categoryScores``, ``improvementPlan.items``,      :data:`MAX_CATEGORIES` (100 entries each)
distinct question categories (no categoryScores)
any other list (strengths, keyPoints, actions …)   :data:`MAX_LIST_ITEMS` (200 entries each)
lines in any one text field                        :data:`MAX_TEXT_LINES` (500 lines each)
all text of the document together                  :data:`MAX_TOTAL_CHARS` (500,000 characters)
counts and indexes (``questionIndex`` …)           :data:`MAX_COUNT` (2^31-1: a database INTEGER)
an integer anywhere in the JSON, ignored or not    :data:`MAX_INT_DIGITS` (100 digits)
=================================================  =====================

The limits live in :mod:`texreport.limits`; which field has which limit in
:mod:`texreport.fields` (one table, read by validation, the limits, the
character check and the tests).

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
from texreport.fields import LIST_FIELDS, field_for, walk
from texreport.limits import (
    MAX_CATEGORIES,
    MAX_COUNT,
    MAX_DOCUMENT_BYTES,
    MAX_INT_DIGITS,
    MAX_TEXT_LINES,
    MAX_TOTAL_CHARS,
    SESSION_ID_MAX_LENGTH,
)
from texreport.naming import is_safe_session_id

__all__ = [
    "Candidate",
    "CategoryScore",
    "DocumentInvalid",
    "ImprovementPlan",
    "Interview",
    "Language",
    "PlanEntry",
    "PlanResource",
    "QuestionDetail",
    "ReferenceAnswer",
    "Report",
    "check_limits",
    "iter_text_fields",
    "load_document",
    "load_json",
    "normalize_language",
]

Language = Literal["zh", "en"]


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
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (
            isinstance(value, float) and not math.isfinite(value)):  # never float(10**400): it overflows
        raise PydanticCustomError("score_type", "must be a number from 0 to 100, got {got}", {"got": _short(value)})
    if not 0 <= value <= 100:
        raise PydanticCustomError("score_range", "must be from 0 to 100, got {got}", {"got": _short(value)})
    # Round half up: Python's round() would turn 84.5 into 84 (banker's rounding).
    return math.floor(value + 0.5)


def _count(value: object) -> int:
    # An int is never converted to float: 10**400 would overflow it.
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PydanticCustomError("count_type", "must be a whole number, got {got}", {"got": _short(value)})
    if value < 0:
        raise PydanticCustomError("count_range", "must be 0 or more, got {got}", {"got": _short(value)})
    if value > MAX_COUNT:
        raise PydanticCustomError("count_range", "must be at most {limit}, got {got}",
                                  {"limit": MAX_COUNT, "got": _short(value)})
    return value


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _text(value: object) -> str:
    """A string, without lone surrogates (a JSON ``"\\ud800"`` is no character: SECURITY.md drops it)."""
    if not isinstance(value, str):
        raise PydanticCustomError("text_type", "must be a string, got {got}", {"got": _short(value)})
    return _SURROGATES.sub("", value) if _has_surrogate(value) else value


_SURROGATES = re.compile("[\ud800-\udfff]")
# Every line and paragraph break str.splitlines knows, runs of them included.
_ANY_BREAK = re.compile("[\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")


def _heading(value: object) -> str:
    """A category or plan area is typeset as a heading: one line, every break becomes a space."""
    return _ANY_BREAK.sub(" ", _text(value))


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
Heading = Annotated[str, BeforeValidator(_heading)]
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
    category: Heading
    score: Score
    question_count: Count = Field(default=0, alias="questionCount")


class QuestionDetail(_Model):
    question_index: Count = Field(alias="questionIndex")
    question: Text
    category: Heading
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
    # Blank means absent, as for every extension; otherwise the rules of sessionId (it names files too).
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _session_id(value)


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
    def when(self) -> When:
        """The interview's date or date-time; ``dateTime`` wins over ``date``."""
        return self.date_time if self.date_time is not None else self.date


class PlanResource(_Model):
    title: Text
    detail: OptionalLabel = None
    url: OptionalLabel = None


class PlanEntry(_Model):
    area: Heading
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
    if isinstance(value, str) and _has_surrogate(value):  # an id is refused, not changed: it names a session
        raise PydanticCustomError("session_id", "must not contain a lone surrogate (an invalid \\u escape)")
    text = _text(value)
    if not text.strip():
        raise PydanticCustomError("session_id", "must not be blank")
    if len(text) > SESSION_ID_MAX_LENGTH:
        raise PydanticCustomError("session_id", "must be at most {limit} characters", {"limit": SESSION_ID_MAX_LENGTH})
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise PydanticCustomError("session_id", "must not contain control character U+{code}",
                                  {"code": f"{ord(bad):04X}"})
    if not is_safe_session_id(text):  # one verdict: the session routes, file names and URLs all need it
        raise PydanticCustomError("session_id", "must be letters, digits, '-' or '_', starting with a letter or digit")
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
    _refuse_huge_numbers(report_object)
    try:
        report = Report.model_validate(report_object)
    except ValidationError as error:
        raise DocumentInvalid([_describe(detail) for detail in error.errors()]) from None
    except RecursionError:
        raise InputError("the document is nested too deeply") from None
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
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as error:
        raise InputError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    except ValueError as error:  # anything else the parser refuses: one line, never a traceback
        raise InputError(f"invalid JSON: {error}") from None
    return load_document(data)


class _HugeInt:
    """An integer literal too long to convert (Python refuses over 4,300 digits); refused by path."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(literal: str) -> int | _HugeInt:
    digits = len(literal.lstrip("-"))
    return _HugeInt(digits) if digits > MAX_INT_DIGITS else int(literal)


def _refuse_huge_numbers(data: object) -> None:
    """Refuse an integer of more than MAX_INT_DIGITS digits anywhere, ignored fields included, naming it."""
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", item) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, _HugeInt) or (_is_number(value) and isinstance(value, int)
                                             and abs(value) >= 10**MAX_INT_DIGITS):
            digits = value.digits if isinstance(value, _HugeInt) else len(str(abs(value)))
            message = f"a number with {digits} digits; numbers have at most {MAX_INT_DIGITS}"
            raise DocumentInvalid([(_printable(path) or None, message)])


def _printable(text: str) -> str:
    """A key path that can be printed and logged: a lone surrogate becomes its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _too_long(field: str | None, what: str, size: int, limit: int, unit: str) -> LimitError:
    return LimitError(f"{what} has {size} {unit}, more than the limit of {limit} {unit}", field=field, limit=limit)


def _check_list_lengths(document: object) -> None:
    """Refuse huge lists before validating them (validating 100,000 questions is the attack)."""
    for path, pattern, value in walk(document, lists=True):
        if isinstance(value, (list, tuple)) and len(value) > LIST_FIELDS[pattern]:
            raise _too_long(path, "the list", len(value), LIST_FIELDS[pattern], "entries")


# Every way escape.clean_text starts a new line (U+2029 starts a paragraph: two lines).
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\x85|\u2029\u2029?")


def check_limits(report: Report) -> None:
    """Raise :class:`LimitError` for the first list or text over its limit (see the module docstring)."""
    _check_list_lengths(report)
    if not report.category_scores:  # the questions' categories become the category table
        distinct = len({question.category for question in report.question_details})
        if distinct > MAX_CATEGORIES:
            raise _too_long("questionDetails", "the questions' categories (categoryScores is empty)", distinct,
                            MAX_CATEGORIES, "distinct names")
    total = 0
    for path, pattern, text in walk(report):
        if not isinstance(text, str):
            continue
        field = field_for(pattern)
        assert field is not None
        if len(text) > field.limit:
            raise _too_long(path, "the text", len(text), field.limit, "characters")
        lines = len(_LINE_BREAKS.findall(text)) + 1
        if lines > MAX_TEXT_LINES:
            raise _too_long(path, "the text", lines, MAX_TEXT_LINES, "lines")
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
    question after sorting); the fields are those of :data:`texreport.fields.TEXT_FIELDS`
    marked printed. Not yielded, because they are never printed:
    ``referenceAnswers[].question`` (the question text comes from
    ``questionDetails``), reference answers that match no question, and
    non-text values (scores, dates, language).
    """
    asked = {question.question_index for question in report.question_details}
    for path, pattern, text in walk(report):
        field = field_for(pattern)
        if field is None or not field.printed or not isinstance(text, str) or not text.strip():
            continue
        reference = int(path.split(".")[1]) if path.startswith("referenceAnswers.") else None
        if reference is not None and report.reference_answers[reference].question_index not in asked:
            continue
        yield path, text
