"""The progress routes in-process: statuses, exact headers, ETag and cache; one real compile read back."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from texreport.http import Settings, create_app
from texreport.progress_sample import progress_sample_documents

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "/api/interview/sessions"
PAGE_FILENAME = re.compile(r"filename\*=UTF-8''(.+)")   # the API page's JavaScript, verbatim


class FakeProgressRenderer:
    """Records the sessions of each call in the order given; returns a small PDF-looking body."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None, datetime | None]] = []
        self.error: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self, inputs, *, lang, generated_at) -> bytes:
        with self._lock:
            self.calls.append(([item.report.session_id for item in inputs], lang, generated_at))
        if self.error is not None:
            raise self.error
        body = " ".join(item.report.session_id for item in inputs).encode()
        return b"%PDF-1.7\n% " + body + b"\n%%EOF\n"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return str(request.getfixturevalue("pg_url"))   # the tests' own PostgreSQL (conftest.py)


@pytest.fixture
def fake() -> FakeProgressRenderer:
    return FakeProgressRenderer()


@pytest.fixture
def client(db_url, fake):
    app = create_app(Settings(db_url=db_url, probe_on_startup=False, warm_workers=False))
    app.state.services.progress.render = fake
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


@pytest.fixture
def sessions() -> tuple[str, list[dict[str, Any]]]:
    """The sample's five sessions under a candidate and session ids of their own (PostgreSQL shares a database)."""
    candidate = "c-" + uuid.uuid4().hex[:12]
    reports = []
    for document in progress_sample_documents():
        report = document["data"]
        report["sessionId"] = report["sessionId"][:8] + uuid.uuid4().hex[:8]
        report["candidate"]["id"] = candidate
        reports.append(report)
    return candidate, reports


def export_url(candidate: str) -> str:
    return f"/api/interview/candidates/{candidate}/progress/export"


def store(client, reports, *, generate: int) -> None:
    """Create every session (newest first, so creation order is not interview order); generate ``generate``."""
    for report in reversed(reports):
        assert client.post(BASE, json=report).status_code == 200
    for report in reports[:generate]:
        assert client.get(f"{BASE}/{report['sessionId']}/report").status_code == 200


def page_filename(response) -> str:
    match = PAGE_FILENAME.search(response.headers["content-disposition"])
    assert match
    return unquote(match.group(1))


def test_unknown_or_malformed_candidate_is_an_empty_404(client):
    for candidate in ("nobody", "..%2F..%2Fetc", "a" * 200, "bad%20id"):
        response = client.get(export_url(candidate))
        assert response.status_code == 404 and response.content == b"", candidate


def test_fewer_than_two_generated_reports_is_a_400_saying_so(client, fake, sessions):
    candidate, reports = sessions
    store(client, reports, generate=1)
    response = client.get(export_url(candidate))
    assert response.status_code == 400
    assert response.text == (f"Candidate {candidate} has 5 session(s), 1 with a generated report; a progress "
                             "report needs at least 2 (generate them with GET /report first)")
    assert fake.calls == []


def test_export_names_orders_and_caches(client, fake, sessions):
    candidate, reports = sessions
    store(client, reports, generate=3)
    response = client.get(export_url(candidate))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="interview-progress-{candidate}.pdf"; '
        f"filename*=UTF-8''%E9%9D%A2%E8%AF%95%E8%BF%9B%E6%AD%A5%E6%8A%A5%E5%91%8A_{candidate}.pdf")
    assert page_filename(response) == f"面试进步报告_{candidate}.pdf"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["cache-control"] == "private, no-cache"
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    # Only the generated sessions (the renderer orders them: see the real render below).
    assert sorted(fake.calls[0][0]) == sorted(r["sessionId"] for r in reports[:3])

    assert client.get(export_url(candidate)).content == response.content and len(fake.calls) == 1
    assert client.get(export_url(candidate), headers={"If-None-Match": etag}).status_code == 304
    assert client.get(export_url(candidate), headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    english = client.get(export_url(candidate) + "?lang=en")
    assert english.status_code == 200 and fake.calls[-1][1] == "en" and len(fake.calls) == 2
    assert client.get(export_url(candidate) + "?lang=fr").status_code == 422
    assert client.get(export_url(candidate) + "?theme=nosuch").status_code == 422
    assert client.get(export_url(candidate) + "?theme=default").content == response.content


def test_a_newly_generated_report_changes_the_pdf(client, fake, sessions):
    candidate, reports = sessions
    store(client, reports, generate=2)
    first = client.get(export_url(candidate))
    assert client.get(f"{BASE}/{reports[2]['sessionId']}/report").status_code == 200
    second = client.get(export_url(candidate), headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    assert sorted(fake.calls[-1][0]) == sorted(r["sessionId"] for r in reports[:3])
    # A replaced answer drops that session's report: back to the first two, whose PDF is still cached.
    answered = client.post(f"{BASE}/{reports[2]['sessionId']}/answers", json={"questionIndex": 0, "answer": "新"})
    assert answered.status_code == 200
    third = client.get(export_url(candidate))
    assert third.status_code == 200 and third.content == first.content and len(fake.calls) == 2


def test_a_failed_render_is_a_brief_500(client, fake, sessions):
    from texreport.errors import CompileError

    candidate, reports = sessions
    store(client, reports, generate=2)
    fake.error = CompileError("Undefined control sequence", tex_line=3)
    response = client.get(export_url(candidate))
    assert response.status_code == 500 and response.text == "PDF generation failed"


def test_stateless_progress_pdf(client, fake, sessions):
    candidate, reports = sessions
    documents = [{"code": 200, "message": "success", "data": r} for r in reversed(reports[:3])]
    response = client.post("/api/reports/progress/pdf", content=json.dumps(documents, ensure_ascii=False))
    assert response.status_code == 200, response.text
    assert page_filename(response) == f"面试进步报告_{candidate}.pdf"
    assert response.headers["etag"] and fake.calls[0][0] == [r["sessionId"] for r in reversed(reports[:3])]


@pytest.mark.parametrize("body, status, field", [
    ("[1,", 400, None),
    ('{"sessionId": "x"}', 400, None),
    ("[]", 400, None),
    ("ONE", 400, None),
])
def test_stateless_refuses_what_is_not_a_list_of_two(client, fake, body, status, field):
    if body == "ONE":
        body = json.dumps([progress_sample_documents()[0]])
    response = client.post("/api/reports/progress/pdf", content=body)
    assert response.status_code == status, response.text
    envelope = response.json()
    assert envelope["code"] == status and "Traceback" not in response.text


def test_stateless_names_position_then_field(client, fake, sessions):
    _, reports = sessions
    broken = json.loads(json.dumps(reports[1]))
    broken["questionDetails"][2]["score"] = "high"
    response = client.post("/api/reports/progress/pdf", json=[reports[0], broken])
    assert response.status_code == 422
    assert response.json()["data"]["errors"][0]["field"] == "1.questionDetails.2.score"
    twice = client.post("/api/reports/progress/pdf", json=[reports[0], reports[1], reports[0]])
    assert twice.status_code == 422
    error = twice.json()["data"]["errors"][0]
    assert error["field"] == "2.sessionId"
    assert error["message"] == (f"session {reports[0]['sessionId']} is given twice "
                                "(list position 0 and list position 2)")
    assert fake.calls == []


def test_real_progress_export_reads_back(tmp_path, sessions):
    candidate, reports = sessions
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'real.db'}", probe_on_startup=False,
                              warm_workers=False))
    with TestClient(app) as client:
        store(client, reports, generate=5)
        response = client.get(export_url(candidate))
        assert response.status_code == 200, response.text
    app.state.store.close()
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=response.content, capture_output=True,
                          check=True, timeout=60).stdout.decode("utf-8")
    squashed = re.sub(r"\s+", "", text)
    assert f"候选人编号:{candidate}" in squashed
    # Created newest first, numbered by interview time: session n's row starts with n.
    for number, report in enumerate(reports, start=1):
        assert f"{number}{report['sessionId']}" in squashed and str(report["overallScore"]) in squashed


def test_store_groups_sessions_by_exact_candidate_id(db_url):
    from texreport.http.store import Store
    from texreport.models import load_document

    store = Store(db_url)
    base = "c_" + uuid.uuid4().hex[:8]
    try:
        report = progress_sample_documents()[0]["data"]
        for number, candidate in enumerate((base, base.replace("_", "-"), base + "x", base)):
            document = json.loads(json.dumps(report))
            document["sessionId"] = f"g{number}-{uuid.uuid4().hex[:8]}"
            document["candidate"]["id"] = candidate
            # The same text elsewhere in the document must not count.
            document["questionDetails"][0]["userAnswer"] = f'"id":"{base}"'
            valid = load_document(document).model_dump(by_alias=True, mode="json")
            store.create_session(document["sessionId"], valid)
        found = store.candidate_sessions(base)
        assert [s.session_id[:2] for s in found] == ["g0", "g3"]
        assert all(s.report is None for s in found)
        assert store.candidate_sessions(base[:-1] + "%") == [] and store.candidate_sessions("c" + "_" * 9) == []
    finally:
        store.close()
