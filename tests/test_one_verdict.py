"""One verdict on every path (issue 9): for a generated document, validate, the library, the CLI,
batch and the HTTP routes agree. Rejected by one means rejected by all, naming the same field;
accepted by one means rendered by all.

The documents are a small valid report with one hostile change from the classes of issue 9 (huge
numbers anywhere, counts past a database integer, lone surrogates, line and paragraph breaks in
headings, headings at and past their limit, too many derived categories, deep nesting). Most
examples stop where xelatex would start (batch and the service get a renderer that validates and
lays out the report, then returns a stand-in PDF); a few compile for real on every path.

Session ids are among the generated classes: an id that a file name, a URL path or a header
could not carry is refused by the model, so by every path alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from texreport.cli import cli
from texreport.errors import InputError
from texreport.http import Settings, create_app
from texreport.limits import MAX_CATEGORIES, MAX_COUNT, MAX_HEADING_CHARS, MAX_INT_DIGITS
from texreport.models import load_json
from texreport.pipeline import check_characters, prepare

FAKE_PDF = b"%PDF-1.5\n% stand-in\n%%EOF\n"
SESSION = "verdict-0001"
ANSWERS_SESSION = "answers-0001"   # the service's standing session that POST /answers changes


def base_document() -> dict[str, Any]:
    from texreport.sample import sample_json

    data = json.loads(sample_json())
    data = data.get("data", data)
    questions = data["questionDetails"][:2]
    indexes = {q["questionIndex"] for q in questions}
    return dict(data, sessionId=SESSION, totalQuestions=2, questionDetails=questions,
                categoryScores=data["categoryScores"][:2],
                referenceAnswers=[r for r in data["referenceAnswers"] if r["questionIndex"] in indexes],
                improvementPlan={"items": [{"area": "并发", "actions": ["练习"]}]})


# ---------------------------------------------------------------- generated documents

NUMBER_PLACES = [("ignoredField",), ("overallScore",), ("questionDetails", 0, "score"),
                 ("questionDetails", 0, "questionIndex"), ("categoryScores", 0, "questionCount"), ("totalQuestions",)]
TEXT_PLACES = [("sessionId",), ("overallFeedback",), ("questionDetails", 0, "userAnswer"),
               ("questionDetails", 0, "feedback"), ("questionDetails", 1, "category"), ("categoryScores", 0, "category"),
               ("improvementPlan", "items", 0, "area"), ("strengths", 0)]
HEADING_PLACES = [("questionDetails", 0, "category"), ("categoryScores", 1, "category"),
                  ("improvementPlan", "items", 0, "area")]
BREAKS = ["\n\n", "\u2029", "\u2028", "\r\n", "\x85", "\f", "\n"]


def _put(document: dict[str, Any], place: tuple[Any, ...], value: object) -> None:
    target: Any = document
    for part in place[:-1]:
        target = target[part]
    target[place[-1]] = value


def _get(document: dict[str, Any], place: tuple[Any, ...]) -> Any:
    target: Any = document
    for part in place:
        target = target[part]
    return target


def _literal(document: dict[str, Any], place: tuple[Any, ...], literal: str) -> str:
    _put(document, place, "@@LITERAL@@")
    return json.dumps(document, ensure_ascii=True).replace('"@@LITERAL@@"', literal)


@st.composite
def hostile_documents(draw: st.DrawFn) -> str:
    document = base_document()
    kind = draw(st.sampled_from(["valid", "huge_int", "count", "surrogate", "break", "heading_length",
                                 "derived_categories", "nesting", "session_id"]))
    if kind == "huge_int":
        digits = draw(st.sampled_from([MAX_INT_DIGITS, MAX_INT_DIGITS + 1, 5000]))
        return _literal(document, draw(st.sampled_from(NUMBER_PLACES)), "9" * digits)
    if kind == "count":
        value = draw(st.sampled_from([MAX_COUNT, MAX_COUNT + 1, 2**63, 2**64]))
        place = draw(st.sampled_from(NUMBER_PLACES[3:]))
        if place[0] == "questionDetails":
            document["referenceAnswers"] = []
        _put(document, place, value)
    elif kind == "surrogate":
        place = draw(st.sampled_from(TEXT_PLACES))
        escape = draw(st.sampled_from(["\\ud800", "\\udfff", "\\ud83d"]))
        return _literal(document, place, json.dumps(f"{_get(document, place)}@@S@@").replace("@@S@@", escape))
    elif kind == "break":
        place = draw(st.sampled_from(HEADING_PLACES))
        _put(document, place, f"Java{draw(st.sampled_from(BREAKS))}并发")
    elif kind == "heading_length":
        place = draw(st.sampled_from(HEADING_PLACES))
        _put(document, place, "类" * draw(st.sampled_from([MAX_HEADING_CHARS, MAX_HEADING_CHARS + 1])))
    elif kind == "derived_categories":
        count = draw(st.sampled_from([MAX_CATEGORIES, MAX_CATEGORIES + 1]))
        template = document["questionDetails"][0]
        document.update(categoryScores=[], referenceAnswers=[], totalQuestions=count,
                        questionDetails=[dict(template, questionIndex=i, category=f"c{i}") for i in range(count)])
    elif kind == "session_id":  # ids a file name, a URL or a header could not carry, and ids that fit
        document["sessionId"] = draw(st.sampled_from(["../../etc/passwd", "会话 1", "a b", "-lead", "a.b", "x" * 129,
                                                      "a" * 128, "A-b_9", "550e8400-e29b-41d4-a716-446655440000"]))
    elif kind == "nesting":
        depth = draw(st.sampled_from([20, 5000]))
        return json.dumps(document)[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    return json.dumps(document, ensure_ascii=False)


# ---------------------------------------------------------------- verdicts: ("ok", None) or ("refused", field)

Verdict = tuple[str, str | None]


def library_verdict(text: str) -> Verdict:
    try:
        report = load_json(text.encode("utf-8", "surrogatepass"))
        check_characters(report)
        prepare(report)
    except InputError as error:
        return "refused", error.field
    return "ok", None


def cli_verdict(path: Path, command: str = "validate") -> Verdict:
    """``texreport validate`` or ``texreport tex`` (which lays the report out like render, without xelatex)."""
    extra = ["-o", str(path.parent / "tex")] if command == "tex" else []
    result = CliRunner().invoke(cli, [command, str(path), *extra])
    assert "Traceback" not in result.output and not isinstance(result.exception, (AssertionError, TypeError))
    if result.exit_code == 0:
        return "ok", None
    assert result.exit_code == 2, result.output
    return "refused", _field_in(result.output.splitlines()[0].removeprefix("texreport: error: "))


def _field_in(line: str) -> str | None:
    head = line.split(":", 1)[0]
    return head if ":" in line and " " not in head else None


def batch_verdict(path: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> Verdict:
    from texreport import batch

    monkeypatch.setattr(batch.WorkerPool, "compile", lambda self, job, **_: FAKE_PDF)
    result = CliRunner().invoke(cli, ["batch", str(path), "-o", str(out)])
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert len(list(out.iterdir())) == 1
        return "ok", None
    assert result.exit_code == 1, result.output
    failed = next(line for line in result.output.splitlines() if line.startswith("failed: "))
    return "refused", _field_in(failed.removeprefix(f"failed: {path}: "))


def http_field(response: Any) -> str | None:
    body = response.json()
    errors = (body.get("data") or {}).get("errors") or []
    return errors[0]["field"] if errors else None


def session_verdict(client: TestClient, text: str) -> Verdict:
    body = text.encode("utf-8", "surrogatepass")
    created = client.post("/api/interview/sessions", content=body, headers={"Content-Type": "application/json"})
    assert created.status_code in (200, 400, 413, 422), created.text
    if created.status_code != 200:
        return "refused", http_field(created)
    session_id = created.json()["data"]["sessionId"]
    try:
        assert client.get(f"/api/interview/sessions/{session_id}/report").status_code == 200
        exported = client.get(f"/api/interview/sessions/{session_id}/export")
        assert exported.status_code == 200 and exported.content == FAKE_PDF
    finally:
        client.delete(f"/api/interview/sessions/{session_id}")
    return "ok", None


def stateless_verdict(client: TestClient, text: str) -> Verdict:
    response = client.post("/api/reports/pdf", content=text.encode("utf-8", "surrogatepass"),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400, 413, 422), response.text
    if response.status_code == 200:
        assert response.content == FAKE_PDF
        return "ok", None
    return "refused", http_field(response)


def answer_verdict(client: TestClient, text: str) -> Verdict | None:
    """``POST /answers`` with the generated document's first answer, score and feedback, if it changed them."""
    try:
        generated = json.loads(text)
    except (ValueError, RecursionError):
        return None
    base = base_document()["questionDetails"][0]
    first = (generated.get("questionDetails") or [None])[0]
    if not isinstance(first, dict) or first.get("questionIndex") != base["questionIndex"]:
        return None
    keys = ("userAnswer", "score", "feedback")
    if all(first.get(k) == base.get(k) for k in keys) or {k for k in generated if k != "questionDetails"} != {
            k for k in base_document() if k != "questionDetails"}:
        return None
    submission = {"questionIndex": base["questionIndex"], "answer": first["userAnswer"], "score": first["score"],
                  "feedback": first["feedback"]}
    return _submit(client, submission, base)


def _submit(client: TestClient, submission: dict[str, Any], base: dict[str, Any]) -> Verdict:
    response = client.post(f"/api/interview/sessions/{ANSWERS_SESSION}/answers",
                           content=json.dumps(submission).encode("utf-8", "surrogatepass"),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400, 413, 422), response.text
    client.post(f"/api/interview/sessions/{ANSWERS_SESSION}/answers", json={  # put the original answer back
        "questionIndex": base["questionIndex"], "answer": base["userAnswer"], "score": base["score"],
        "feedback": base["feedback"]})
    return ("ok", None) if response.status_code == 200 else ("refused", http_field(response))


# ---------------------------------------------------------------- the service, with a renderer that stops before xelatex


def checking_renderer(report: Any, *, lang: str | None, generated_at: Any) -> bytes:
    from texreport.pipeline import RenderOptions

    prepare(report, options=RenderOptions(lang=lang, generated_at=generated_at))  # everything but xelatex
    return FAKE_PDF


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("verdict") / "service.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", probe_on_startup=False, warm_workers=False),
                     renderer=checking_renderer)
    with TestClient(app) as client:
        created = client.post("/api/interview/sessions", json=dict(base_document(), sessionId=ANSWERS_SESSION))
        assert created.status_code == 200, created.text
        yield client
    app.state.store.close()


def assert_one_verdict(verdicts: dict[str, Verdict]) -> None:
    outcomes = {name: verdict[0] for name, verdict in verdicts.items()}
    assert len(set(outcomes.values())) == 1, verdicts
    fields = {verdict[1] for verdict in verdicts.values()}
    assert len(fields) == 1, verdicts   # every path names the same field (or none, for unparsable JSON)


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(text=hostile_documents())
def test_every_path_gives_the_same_verdict(service, tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("doc")
    path = folder / "report.json"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    verdicts = {"library": library_verdict(text), "cli": cli_verdict(path), "cli-tex": cli_verdict(path, "tex")}
    with pytest.MonkeyPatch.context() as monkeypatch:
        verdicts["batch"] = batch_verdict(path, folder / "out", monkeypatch)
    verdicts["sessions"] = session_verdict(service, text)
    verdicts["stateless"] = stateless_verdict(service, text)
    assert_one_verdict(verdicts)
    answer = answer_verdict(service, text)
    if answer is not None:   # a changed answer, score or feedback: accepted or refused like the document
        assert answer[0] == verdicts["library"][0], (answer, verdicts)


def test_an_answer_with_a_lone_surrogate_is_stored_without_it(service):
    """Was a 500 (SQLite could not encode it) until h-service dropped surrogates from answers."""
    base = base_document()["questionDetails"][0]
    submission = {"questionIndex": base["questionIndex"], "answer": "答\ud800案", "score": 80, "feedback": "ok"}
    assert _submit(service, submission, base) == ("ok", None)
    assert library_verdict(json.dumps(dict(base_document(), questionDetails=[
        dict(base, userAnswer="答\ud800案")]))) == ("ok", None)


# ---------------------------------------------------------------- a few real compiles on every path

ACCEPTED = [
    ("break", lambda d: _put(d, ("questionDetails", 0, "category"), "Heading\n\nBlank")),
    ("u2029", lambda d: _put(d, ("improvementPlan", "items", 0, "area"), "Area\u2029Para")),
    ("heading-limit", lambda d: _put(d, ("categoryScores", 0, "category"), "类" * MAX_HEADING_CHARS)),
]


@pytest.mark.parametrize("name, change", ACCEPTED, ids=[name for name, _ in ACCEPTED])
def test_accepted_documents_render_on_every_path(tmp_path, name, change):
    from texreport.pipeline import render

    document = base_document()
    change(document)
    document["sessionId"] = f"real-{name}"
    text = json.dumps(document, ensure_ascii=False)
    path = tmp_path / "report.json"
    path.write_text(text, encoding="utf-8")
    assert render(copy.deepcopy(document)).startswith(b"%PDF-")
    rendered = CliRunner().invoke(cli, ["render", str(path), "-o", str(tmp_path / "cli.pdf")])
    assert rendered.exit_code == 0, rendered.output
    batched = CliRunner().invoke(cli, ["batch", str(path), "-o", str(tmp_path / "batch")])
    assert batched.exit_code == 0, batched.output
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}", probe_on_startup=False,
                              warm_workers=False))
    with TestClient(app) as client:
        assert client.post("/api/interview/sessions", content=text.encode()).status_code == 200
        assert client.get(f"/api/interview/sessions/real-{name}/report").status_code == 200
        exported = client.get(f"/api/interview/sessions/real-{name}/export")
        assert exported.status_code == 200 and exported.content.startswith(b"%PDF-")
        stateless = client.post("/api/reports/pdf", content=text.encode())
        assert stateless.status_code == 200 and stateless.content.startswith(b"%PDF-")
    app.state.store.close()
