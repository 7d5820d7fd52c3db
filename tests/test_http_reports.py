"""The service's domain logic on its own: a session's report from its document and answers (no web app)."""

from __future__ import annotations

import ast
import copy
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from texreport.errors import InputError
from texreport.http.records import AnswerRecord, SessionRecord
from texreport.http.reports import (
    answer_field,
    build_report,
    merged_document,
    validated_report,
)
from texreport.models import DocumentInvalid

NOW = datetime(2026, 1, 1)
DOCUMENT = {"sessionId": "x1", "overallScore": 50,
            "categoryScores": [{"category": "A", "score": 50, "questionCount": 2}],
            "questionDetails": [{"questionIndex": 0, "question": "q0", "category": "A", "score": 40},
                                {"questionIndex": 1, "question": "q1", "category": "A", "score": 60}]}


def record(*answers: AnswerRecord) -> SessionRecord:
    return SessionRecord("x1", "COMPLETED", copy.deepcopy(DOCUMENT), list(answers), NOW, NOW)


def test_build_report_applies_answers():
    report = build_report(record(AnswerRecord(0, "a0", 40, None, NOW), AnswerRecord(1, None, 60, None, NOW)))
    assert report["overallScore"] == 50 and report["questionDetails"][0]["userAnswer"] == "a0"
    rescored = record(AnswerRecord(0, "a0", 95, "good", NOW), AnswerRecord(1, None, 60, None, NOW))
    report = build_report(rescored)
    assert report["overallScore"] == 78 and report["categoryScores"][0]["score"] == 78   # (95+60)/2 = 77.5 → 78
    assert report["questionDetails"][0]["feedback"] == "good"
    assert rescored.document == DOCUMENT                                                  # the source is untouched


def test_validated_report_is_the_model_of_the_same_object():
    session = record(AnswerRecord(0, "a0", 95, None, NOW), AnswerRecord(1, "a1", 60, None, NOW))
    model = validated_report(session)
    assert model.overall_score == build_report(session)["overallScore"] == 78
    assert merged_document(session)["questionDetails"][1]["userAnswer"] == "a1"


def test_an_invalid_merge_is_an_input_error_naming_the_field():
    broken = SessionRecord("x1", "COMPLETED", {**DOCUMENT, "overallScore": "high"}, [], NOW, NOW)
    with pytest.raises(DocumentInvalid) as caught:
        build_report(broken)
    assert caught.value.field == "overallScore"


@pytest.mark.parametrize("path, submitted", [
    ("questionDetails.3.userAnswer", "answer"),
    ("questionDetails.0.feedback", "feedback"),
    ("questionDetails.12.score", "score"),
    ("overallFeedback", "overallFeedback"),
])
def test_answer_field_names_the_submission(path, submitted):
    renamed = answer_field(InputError("bad text", field=path))
    assert renamed.field == submitted and "bad text" in str(renamed)


@pytest.mark.parametrize("module", ["reports", "exports", "records", "readiness", "render_queue", "settings"])
def test_domain_modules_import_no_web_framework(module):
    source = (Path(__file__).parent.parent / "src/texreport/http" / f"{module}.py").read_text(encoding="utf-8")
    imported = {node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] in ("fastapi", "starlette")}
