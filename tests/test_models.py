"""Tests for texreport.models: loading, validation errors by field path, extensions, text fields."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from texreport.errors import InputError
from texreport.fields import TEXT_FIELDS
from texreport.models import (
    DocumentInvalid,
    Report,
    iter_text_fields,
    load_document,
    load_json,
    normalize_language,
)
from texreport.sample import sample_json

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = ["minimal.json", "envelope.json", "full_extensions_en.json", "unanswered_and_missing_refs.json"]


def fixture_data(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sample_report_object() -> dict[str, Any]:
    return copy.deepcopy(json.loads(sample_json())["data"])


def base_report() -> dict[str, Any]:
    return {
        "sessionId": "abcdef0123456789",
        "totalQuestions": 2,
        "overallScore": 70,
        "categoryScores": [
            {"category": "Java基础", "score": 80, "questionCount": 1},
            {"category": "Redis", "score": 60, "questionCount": 1},
        ],
        "questionDetails": [
            {"questionIndex": 0, "question": "q0", "category": "Java基础", "userAnswer": "a0", "score": 80, "feedback": "f0"},
            {"questionIndex": 1, "question": "q1", "category": "Redis", "userAnswer": "a1", "score": 60, "feedback": "f1"},
            {"questionIndex": 2, "question": "q2", "category": "Redis", "userAnswer": None, "score": 0, "feedback": "f2"},
        ],
        "overallFeedback": "ok",
        "strengths": ["s0"],
        "improvements": ["i0"],
        "referenceAnswers": [
            {"questionIndex": 0, "question": "q0", "referenceAnswer": "r0", "keyPoints": ["k0"]},
            {"questionIndex": 1, "question": "q1", "referenceAnswer": "r1", "keyPoints": []},
        ],
    }


# --------------------------------------------------------------------------- fixtures and sample


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_load(name: str) -> None:
    report = load_json((FIXTURES / name).read_bytes())
    assert report.session_id
    assert report.question_details


def test_sample_is_a_realistic_enveloped_report() -> None:
    raw = json.loads(sample_json())
    assert raw["code"] == 200 and raw["message"] == "success"
    report = load_json(sample_json())
    assert len(report.session_id) == 16
    assert len(report.question_details) >= 8
    assert len({question.category for question in report.question_details}) >= 8
    scores = [question.score for question in report.question_details]
    assert any(s >= 80 for s in scores) and any(60 <= s < 80 for s in scores) and any(s < 60 for s in scores)
    assert sum(question.user_answer is None for question in report.question_details) == 1
    assert report.candidate is not None and report.candidate.name
    assert report.interview is not None and report.interview.when is not None
    text = sample_json()
    for needle in ("```java", "```sql", "**", "Map<String, List<Integer>>", "50%", "C#", "a_b", "~"):
        assert needle in text, needle
    longest_code_line = max(len(line) for line in text.split("\\n"))
    assert longest_code_line > 100  # a long line in a code block, to prove wrapping


# --------------------------------------------------------------------------- envelope


def test_envelope_and_raw_give_the_same_report() -> None:
    raw = sample_report_object()
    assert load_document({"code": 200, "message": "success", "data": raw}) == load_document(raw)


@pytest.mark.parametrize(
    ("document", "field", "fragment"),
    [
        ({"code": 400, "message": "报告未生成", "data": None}, "data", "report not generated"),
        ({"code": 200, "message": "success", "data": None}, "data", "report not generated"),
        ({"code": 200, "message": "success", "data": [1, 2]}, "data", "must be a report object"),
        ([1, 2, 3], None, "must be a JSON object"),
        ("text", None, "must be a JSON object"),
    ],
)
def test_envelope_problems(document: object, field: str | None, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        load_document(document)
    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_envelope_errors_name_fields_relative_to_the_report() -> None:
    raw = base_report()
    raw["questionDetails"][1]["score"] = "abc"
    with pytest.raises(DocumentInvalid) as caught:
        load_document({"code": 200, "message": "success", "data": raw})
    assert caught.value.field == "questionDetails.1.score"


# --------------------------------------------------------------------------- validation errors


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


def _duplicate_question(document: dict[str, Any]) -> None:
    document["questionDetails"][2]["questionIndex"] = 0


def _duplicate_reference(document: dict[str, Any]) -> None:
    document["referenceAnswers"][1]["questionIndex"] = 0


BAD_DOCUMENTS = [
    ("score is text", _set("questionDetails.2.score", "abc"), "questionDetails.2.score", "number from 0 to 100"),
    ("score too high", _set("questionDetails.2.score", 150), "questionDetails.2.score", "0 to 100"),
    ("score negative", _set("questionDetails.0.score", -1), "questionDetails.0.score", "0 to 100"),
    ("score is bool", _set("questionDetails.0.score", True), "questionDetails.0.score", "number"),
    ("score is numeric text", _set("overallScore", "85"), "overallScore", "number"),
    ("score just above 100", _set("overallScore", 100.01), "overallScore", "0 to 100"),
    ("overall missing", _delete("overallScore"), "overallScore", "required"),
    ("category score text", _set("categoryScores.1.score", "x"), "categoryScores.1.score", "number"),
    ("category count negative", _set("categoryScores.0.questionCount", -2), "categoryScores.0.questionCount", "0 or more"),
    ("category missing", _delete("categoryScores.0.category"), "categoryScores.0.category", "required"),
    ("session missing", _delete("sessionId"), "sessionId", "required"),
    ("session blank", _set("sessionId", "   "), "sessionId", "blank"),
    ("session number", _set("sessionId", 12345), "sessionId", "string"),
    ("session control char", _set("sessionId", "abc\x00def"), "sessionId", "U+0000"),
    ("session bidi override", _set("sessionId", "abc\u202edef"), "sessionId", "U+202E"),
    ("session too long", _set("sessionId", "x" * 129), "sessionId", "128"),
    ("index negative", _set("questionDetails.1.questionIndex", -1), "questionDetails.1.questionIndex", "0 or more"),
    ("index fraction", _set("questionDetails.1.questionIndex", 1.5), "questionDetails.1.questionIndex", "whole"),
    ("index text", _set("questionDetails.1.questionIndex", "1"), "questionDetails.1.questionIndex", "whole"),
    ("duplicate question", _duplicate_question, "questionDetails.2.questionIndex", "duplicate questionIndex 0"),
    ("duplicate reference", _duplicate_reference, "referenceAnswers.1.questionIndex", "duplicate questionIndex 0"),
    ("question missing", _delete("questionDetails.1.question"), "questionDetails.1.question", "required"),
    ("question null", _set("questionDetails.1.question", None), "questionDetails.1.question", "string"),
    ("answer number", _set("questionDetails.1.userAnswer", 42), "questionDetails.1.userAnswer", "string"),
    ("details not a list", _set("questionDetails", {"a": 1}), "questionDetails", "list"),
    ("strength not text", _set("strengths", ["ok", 3]), "strengths.1", "string"),
    ("key point not text", _set("referenceAnswers.0.keyPoints", ["a", None]), "referenceAnswers.0.keyPoints.1", "string"),
    ("total negative", _set("totalQuestions", -1), "totalQuestions", "0 or more"),
    ("language unknown", _set("language", "fr"), "language", "'zh' or 'en'"),
    ("lang unknown", _set("lang", "de-DE"), "lang", "'zh' or 'en'"),
    ("date not ISO", _set("interview", {"dateTime": "tomorrow"}), "interview.dateTime", "ISO 8601"),
    ("bad date", _set("interview", {"date": "2026-02-30"}), "interview.date", "ISO 8601"),
    ("candidate name number", _set("candidate", {"name": 3}), "candidate.name", "string"),
    ("plan area missing", _set("improvementPlan", {"items": [{"actions": []}]}), "improvementPlan.items.0.area", "required"),
    (
        "plan resource title missing",
        _set("improvementPlan", {"items": [{"area": "x", "resources": [{"url": "u"}]}]}),
        "improvementPlan.items.0.resources.0.title",
        "required",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "fragment"), [case[1:] for case in BAD_DOCUMENTS], ids=[c[0] for c in BAD_DOCUMENTS])
def test_invalid_documents_name_the_field(mutate: Callable[[dict[str, Any]], None], field: str, fragment: str) -> None:
    document = base_report()
    mutate(document)
    with pytest.raises(DocumentInvalid) as caught:
        load_document(document)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.exit_code == 2
    assert error.field == field
    assert fragment in error.message
    assert "\n" not in str(error)
    assert str(error).startswith(f"{field}: ")


def test_all_errors_are_kept_and_the_first_is_named() -> None:
    document = base_report()
    document["overallScore"] = 101
    document["questionDetails"][0]["score"] = "x"
    document["strengths"] = [None]
    with pytest.raises(DocumentInvalid) as caught:
        load_document(document)
    fields = [field for field, _ in caught.value.errors]
    assert fields == ["overallScore", "questionDetails.0.score", "strengths.0"]
    assert caught.value.field == "overallScore"
    assert "(and 2 more errors)" in str(caught.value)


# --------------------------------------------------------------------------- leniency and coercion


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0, 0), (100, 100), (85, 85), (85.0, 85), (84.5, 85), (84.49, 84), (0.4, 0), (99.5, 100)],
)
def test_scores_round_half_up(given: float, expected: int) -> None:
    document = base_report()
    document["overallScore"] = given
    document["questionDetails"][0]["score"] = given
    report = load_document(document)
    assert report.overall_score == expected
    assert report.question_details[0].score == expected
    assert isinstance(report.overall_score, int)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_rejected(constant: str) -> None:
    text = json.dumps(base_report()).replace('"overallScore": 70', f'"overallScore": {constant}')
    with pytest.raises(InputError):
        load_json(text)


def test_platform_sloppiness_is_accepted() -> None:
    document = {
        "sessionId": "s",
        "overallScore": 50,
        "categoryScores": None,
        "questionDetails": [
            {"questionIndex": 0, "question": "q", "category": "c", "score": 50, "feedback": None},
            {"questionIndex": 1, "question": "q", "category": "c", "score": 50},
        ],
        "overallFeedback": None,
        "strengths": None,
        "referenceAnswers": [{"questionIndex": 0, "referenceAnswer": None, "keyPoints": None}],
    }
    report = load_document(document)
    assert report.category_scores == []
    assert report.improvements == [] and report.strengths == []
    assert report.overall_feedback == ""
    assert [q.feedback for q in report.question_details] == ["", ""]
    assert [q.user_answer for q in report.question_details] == [None, None]
    assert report.total_questions == 2  # defaults to the number of questions
    assert report.reference_answers[0].reference_answer == "" and report.reference_answers[0].key_points == []
    assert report.language is None and report.candidate is None and report.interview is None


def test_unknown_fields_are_ignored_at_every_level() -> None:
    plain = base_report()
    noisy = base_report()
    noisy["status"] = "EVALUATED"
    noisy["createdAt"] = [2026, 11, 29]
    noisy["categoryScores"][0]["weight"] = 0.5
    noisy["questionDetails"][0]["evaluator"] = {"model": "x"}
    noisy["referenceAnswers"][0]["source"] = "llm"
    noisy["candidate"] = {"name": "张伟", "avatar": "http://x"}
    plain["candidate"] = {"name": "张伟"}
    assert load_document(noisy) == load_document(plain)


def test_snake_case_names_are_accepted() -> None:
    report = Report.model_validate({"session_id": "s", "overall_score": 90, "question_details": []})
    assert report.session_id == "s" and report.overall_score == 90


# --------------------------------------------------------------------------- extensions


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("language", "en", "en"),
        ("language", "zh", "zh"),
        ("lang", "en", "en"),
        ("language", "zh-CN", "zh"),
        ("language", "EN_us", "en"),
        ("lang", " Zh-Hans ", "zh"),
        ("language", None, None),
    ],
)
def test_language(key: str, value: str | None, expected: str | None) -> None:
    document = base_report()
    document[key] = value
    assert load_document(document).language == expected


@pytest.mark.parametrize("value", ["fr", "", 1, "english"])
def test_normalize_language_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        normalize_language(value)


@pytest.mark.parametrize(
    ("interview", "expected"),
    [
        ({"dateTime": "2026-11-29T14:30:00"}, datetime(2026, 11, 29, 14, 30)),
        ({"dateTime": "2026-11-29 14:30"}, datetime(2026, 11, 29, 14, 30)),
        ({"dateTime": "2026-11-29T14:30:00Z"}, datetime(2026, 11, 29, 14, 30, tzinfo=UTC)),
        (
            {"dateTime": "2026-11-29T14:30:00+08:00"},
            datetime(2026, 11, 29, 14, 30, tzinfo=timezone(timedelta(hours=8))),
        ),
        ({"dateTime": "2026-11-29"}, date(2026, 11, 29)),
        ({"date": "2026-11-29"}, date(2026, 11, 29)),
        ({"date": "2026-11-28", "dateTime": "2026-11-29T08:00:00"}, datetime(2026, 11, 29, 8, 0)),
        ({"dateTime": None, "interviewer": "x"}, None),
        ({"dateTime": "  "}, None),
    ],
)
def test_interview_dates(interview: dict[str, Any], expected: datetime | date | None) -> None:
    document = base_report()
    document["interview"] = interview
    report = load_document(document)
    assert report.interview is not None
    assert report.interview.when == expected
    assert type(report.interview.when) is type(expected)


def test_extensions_round_trip_from_fixture() -> None:
    report = load_json((FIXTURES / "full_extensions_en.json").read_text(encoding="utf-8"))
    assert report.language == "en"
    assert report.candidate is not None
    assert (report.candidate.name, report.candidate.target_position, report.candidate.experience_level) == (
        "Alice Zhang",
        "Senior Backend Engineer",
        "6 years",
    )
    assert report.interview is not None and report.interview.interviewer == "Bob Li"
    assert report.improvement_plan is not None
    first, second = report.improvement_plan.items
    assert first.area == "System Design" and first.score is None and len(first.resources) == 2
    assert first.resources[1].detail is None and first.resources[1].url
    assert second.score == 90 and second.resources == []


def test_blank_candidate_fields_count_as_absent() -> None:
    document = base_report()
    document["candidate"] = {"name": "  ", "targetPosition": "", "experienceLevel": None}
    candidate = load_document(document).candidate
    assert candidate is not None
    assert (candidate.name, candidate.target_position, candidate.experience_level) == (None, None, None)


# --------------------------------------------------------------------------- load_json


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"sessionId": "a",\n "overallScore": }', "line 2, column 18"),
        ("", "line 1, column 1"),
        ("{'sessionId': 'a'}", "line 1, column 2"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ],
)
def test_load_json_syntax_errors(text: str | bytes, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        load_json(text)
    assert caught.value.field is None
    assert fragment in str(caught.value)
    assert not isinstance(caught.value, DocumentInvalid)


def test_load_json_accepts_bytes_with_bom() -> None:
    text = json.dumps(base_report(), ensure_ascii=False)
    assert load_json(b"\xef\xbb\xbf" + text.encode("utf-8")) == load_json(text)
    assert load_json("\ufeff" + text) == load_json(text)


# --------------------------------------------------------------------------- iter_text_fields


def _strings(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


# Every path of a printed user string, from the one table of text fields; the rest (unknown
# fields, referenceAnswers.N.question, dates, language) never reaches the PDF as text.
PRINTED = re.compile("|".join(re.escape(field.path).replace(r"\*", r"\d+")
                              for field in TEXT_FIELDS if field.printed))


@pytest.mark.parametrize("name", [*FIXTURE_NAMES, "sample"])
def test_iter_text_fields_covers_every_printed_string(name: str) -> None:
    raw = sample_report_object() if name == "sample" else fixture_data(name)
    raw = raw.get("data", raw)
    report = load_document(raw)
    yielded = dict(iter_text_fields(report))
    asked = {question["questionIndex"] for question in raw["questionDetails"]}
    expected: dict[str, str] = {}
    for path, text in _strings(raw):
        if not PRINTED.fullmatch(path) or not text.strip():
            continue
        if path.startswith("referenceAnswers.") and raw["referenceAnswers"][int(path.split(".")[1])]["questionIndex"] not in asked:
            continue  # an orphan reference answer has no question to be printed with
        expected[path] = text
    assert yielded == expected
    assert any(path.startswith("questionDetails.") for path in yielded)


def test_iter_text_fields_paths() -> None:
    report = load_json((FIXTURES / "unanswered_and_missing_refs.json").read_bytes())
    paths = [path for path, _ in iter_text_fields(report)]
    assert paths[0] == "sessionId"
    assert "questionDetails.0.userAnswer" not in paths  # null: not answered
    assert "questionDetails.2.userAnswer" not in paths  # blank
    assert "referenceAnswers.0.keyPoints.1" in paths
    assert not any(path.startswith("referenceAnswers.2") for path in paths)  # orphan: not printed
    assert len(paths) == len(set(paths))


def test_module_exports_are_honest() -> None:
    import texreport.models as models_module
    import texreport.sample as sample_module

    for module in (models_module, sample_module):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
