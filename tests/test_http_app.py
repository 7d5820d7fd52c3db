"""The web service in-process: every route, status, exact header and cache behaviour.

A counting fake renderer (injected through ``create_app``) stands in for xelatex so
that cache hits, saturation and single flight can be observed exactly; the real
renders live in ``test_http_render.py`` and ``tests/e2e/``. Each test runs against
SQLite and PostgreSQL (the tests' own server: ``pg_url`` in conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from datetime import datetime
from urllib.parse import unquote

import pytest

pytest.importorskip("fastapi")

import httpx
from fastapi.testclient import TestClient

from texreport.errors import CompileError, CompileTimeout, UnsupportedCharacterError
from texreport.http import Settings, create_app
from texreport.http import exports as exports_module
from texreport.http.exports import cache_key
from texreport.http.server import JsonLogFormatter
from texreport.naming import content_disposition
from waiting import async_wait_until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "/api/interview/sessions"
PAGE_FILENAME = re.compile(r"filename\*=UTF-8''(.+)")   # the API page's JavaScript, verbatim


class FakeRenderer:
    """Counts calls; optionally blocks on a gate or raises; returns a small PDF-looking body."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, datetime | None]] = []
        self.themes: list[str | None] = []       # per call: the theme a request picked (None: the default)
        self.gate: threading.Event | None = None
        self.error: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self, report, *, lang, generated_at, theme=None) -> bytes:
        with self._lock:
            self.calls.append((report.session_id, lang, generated_at))
            self.themes.append(theme.name if theme is not None else None)
        if self.gate is not None:
            assert self.gate.wait(10), "gate never opened"
        if self.error is not None:
            raise self.error
        body = f"{report.session_id} {lang} {report.overall_score} {generated_at}".encode()
        return b"%PDF-1.7\n% " + body + b"\n" + b"0" * 4096 + b"\n%%EOF\n"

    def renders(self, session_id: str) -> int:
        return sum(1 for call in self.calls if call[0] == session_id)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def make_app(db_url, renderer):
    apps = []

    def factory(**settings):
        settings.setdefault("probe_on_startup", False)
        app = create_app(Settings(db_url=db_url, **settings), renderer=renderer)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.state.store.close()


@pytest.fixture
def client(make_app):
    with TestClient(make_app()) as test_client:
        yield test_client


@pytest.fixture
def doc(document) -> dict:
    """The sample report with an id of its own (PostgreSQL tests share a database)."""
    document["sessionId"] = "s" + uuid.uuid4().hex[:15]
    return document


def create(client, doc) -> str:
    response = client.post(BASE, json=doc)
    assert response.status_code == 200, response.text
    return doc["sessionId"]


def create_generated(client, doc) -> str:
    session_id = create(client, doc)
    assert client.get(f"{BASE}/{session_id}/report").status_code == 200
    return session_id


def assert_envelope(response, code: int) -> dict:
    assert response.status_code == code
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "data"} and body["code"] == code
    assert_brief(response.text)
    return body


def assert_brief(text: str) -> None:
    """No traceback, server path or TeX log in a body."""
    for leak in ("Traceback", "/tmp", "/work", "site-packages", ".tex", "xelatex", "File \""):
        assert leak not in text, f"{leak!r} leaked into {text[:200]!r}"
    assert len(text) < 2000 or text.startswith("{")


def page_filename(response) -> str:
    """What the API page's browser code computes from Content-Disposition."""
    match = PAGE_FILENAME.search(response.headers["content-disposition"])
    assert match
    return unquote(match.group(1))


# ----------------------------------------------------------------------------- the table


def test_session_lifecycle_and_export(client, renderer, doc):
    session_id = create(client, doc)

    body = assert_envelope(client.get(f"{BASE}/{session_id}"), 200)
    session = body["data"]
    assert (session["sessionId"], session["status"], session["reportGenerated"]) == (session_id, "COMPLETED", False)
    assert [q["questionIndex"] for q in session["questions"]] == [d["questionIndex"] for d in doc["questionDetails"]]
    assert session["questions"][0]["question"] == doc["questionDetails"][0]["question"]
    assert session["answers"][0]["answer"] == doc["questionDetails"][0]["userAnswer"]

    not_generated = client.get(f"{BASE}/{session_id}/export")
    assert not_generated.status_code == 400
    assert not_generated.headers["content-type"].startswith("text/plain")
    assert 0 < len(not_generated.text) < 100 and "not generated" in not_generated.text
    assert renderer.calls == []

    report = assert_envelope(client.get(f"{BASE}/{session_id}/report"), 200)["data"]
    assert report["sessionId"] == session_id and report["overallScore"] == doc["overallScore"]
    assert report["questionDetails"][0]["userAnswer"] == doc["questionDetails"][0]["userAnswer"]
    assert client.get(f"{BASE}/{session_id}/report").json()["data"] == report     # returned, not regenerated
    assert client.get(f"{BASE}/{session_id}").json()["data"]["status"] == "EVALUATED"

    export = client.get(f"{BASE}/{session_id}/export")
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/pdf"
    assert int(export.headers["content-length"]) == len(export.content)
    assert export.content.startswith(b"%PDF-")
    assert export.headers["content-disposition"] == content_disposition(session_id)
    assert export.headers["content-disposition"].startswith(
        f'attachment; filename="interview-report-{session_id}.pdf"; ')
    assert page_filename(export) == f"模拟面试报告_{session_id}.pdf"
    etag = export.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert renderer.renders(session_id) == 1

    cached = client.get(f"{BASE}/{session_id}/export")
    assert cached.content == export.content and cached.headers["etag"] == etag
    not_modified = client.get(f"{BASE}/{session_id}/export", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["etag"] == etag
    weak = client.get(f"{BASE}/{session_id}/export", headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    assert client.get(f"{BASE}/{session_id}/export", headers={"If-None-Match": '"other"'}).status_code == 200
    assert renderer.renders(session_id) == 1          # every repeat came from the cache

    assert assert_envelope(client.delete(f"{BASE}/{session_id}"), 200)["data"] is None
    gone = client.get(f"{BASE}/{session_id}/export")
    assert gone.status_code == 404 and gone.content == b"" and gone.headers["content-length"] == "0"
    assert_envelope(client.get(f"{BASE}/{session_id}"), 404)
    assert_envelope(client.get(f"{BASE}/{session_id}/report"), 404)
    assert_envelope(client.delete(f"{BASE}/{session_id}"), 404)


def test_unknown_session_everywhere(client):
    unknown = "u" + uuid.uuid4().hex[:15]
    export = client.get(f"{BASE}/{unknown}/export")
    assert (export.status_code, export.content) == (404, b"")
    assert_envelope(client.get(f"{BASE}/{unknown}"), 404)
    assert_envelope(client.get(f"{BASE}/{unknown}/report"), 404)
    assert_envelope(client.post(f"{BASE}/{unknown}/answers", json={"questionIndex": 0, "answer": "x"}), 404)
    assert_envelope(client.delete(f"{BASE}/{unknown}"), 404)


def test_create_accepts_the_envelope_and_refuses_duplicates(client, doc):
    wrapped = {"code": 200, "message": "success", "data": doc}
    created = assert_envelope(client.post(BASE, json=wrapped), 200)["data"]
    assert created["sessionId"] == doc["sessionId"] and created["status"] == "COMPLETED"
    duplicate = assert_envelope(client.post(BASE, json=doc), 409)
    assert "exists" in duplicate["message"]
    listed = assert_envelope(client.get(BASE, params={"limit": 500}), 200)["data"]
    assert doc["sessionId"] in [s["sessionId"] for s in listed]


@pytest.mark.parametrize("mutate, status, field", [
    (lambda d: b"{not json", 400, None),
    (lambda d: b"[1, 2]", 400, None),
    (lambda d: b"\xff\xfe", 400, None),
    (lambda d: {"code": 500, "message": "evaluation failed", "data": None}, 422, "data"),
    (lambda d: {k: v for k, v in d.items() if k != "overallScore"}, 422, "overallScore"),
    (lambda d: {**d, "questionDetails": [{**d["questionDetails"][0], "score": 150}]}, 422, "questionDetails.0.score"),
    (lambda d: {**d, "sessionId": "a b/../c"}, 422, "sessionId"),
    (lambda d: {**d, "sessionId": "模拟"}, 422, "sessionId"),
    (lambda d: {**d, "overallFeedback": "private use \ue000"}, 422, "overallFeedback"),
])
def test_invalid_documents_name_their_fields(client, doc, mutate, status, field):
    body = mutate(doc)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(BASE, content=content, headers={"Content-Type": "application/json"})
    envelope = assert_envelope(response, status)
    if field is not None:
        assert envelope["data"]["errors"][0]["field"] == field
        assert field in envelope["message"]


def test_answers_update_and_invalidate(client, renderer, doc):
    session_id = create_generated(client, doc)
    first = client.get(f"{BASE}/{session_id}/export")
    assert renderer.renders(session_id) == 1

    answered = client.post(f"{BASE}/{session_id}/answers",
                           json={"questionIndex": 0, "answer": "新的回答：用 equals 比较内容。"})
    data = assert_envelope(answered, 200)["data"]
    assert data["status"] == "COMPLETED" and data["reportGenerated"] is False
    assert data["answers"][0]["answer"] == "新的回答：用 equals 比较内容。"
    assert data["answers"][0]["score"] == doc["questionDetails"][0]["score"]   # evaluation kept
    assert client.get(f"{BASE}/{session_id}/export").status_code == 400         # report invalidated

    report = client.get(f"{BASE}/{session_id}/report").json()["data"]
    assert report["questionDetails"][0]["userAnswer"] == "新的回答：用 equals 比较内容。"
    second = client.get(f"{BASE}/{session_id}/export")
    assert second.status_code == 200 and renderer.renders(session_id) == 2     # never the stale PDF
    assert second.headers["etag"] != first.headers["etag"]


def test_answer_with_evaluation_rescores_the_report(client, doc):
    session_id = create(client, doc)
    count = len(doc["questionDetails"])
    response = client.post(f"{BASE}/{session_id}/answers",
                           json={"questionIndex": 0, "answer": "x", "score": 0, "feedback": "空"})
    assert response.status_code == 200
    report = client.get(f"{BASE}/{session_id}/report").json()["data"]
    detail = report["questionDetails"][0]
    assert (detail["userAnswer"], detail["score"], detail["feedback"]) == ("x", 0, "空")
    scores = [0] + [d["score"] for d in doc["questionDetails"][1:]]
    assert report["overallScore"] == int(sum(scores) / count + 0.5)


@pytest.mark.parametrize("body, field", [
    ({"questionIndex": 999, "answer": "x"}, "questionIndex"),
    ({"questionIndex": -1, "answer": "x"}, "questionIndex"),
    ({"questionIndex": "0", "answer": "x"}, "questionIndex"),
    ({"answer": "x"}, "questionIndex"),
    ({"questionIndex": 0}, "answer"),
    ({"questionIndex": 0, "answer": 5}, "answer"),
    ({"questionIndex": 0, "answer": "x", "score": 101}, "score"),
    ({"questionIndex": 0, "answer": "bad \ue000"}, "answer"),
])
def test_invalid_answers_name_their_fields(client, doc, body, field):
    session_id = create(client, doc)
    envelope = assert_envelope(client.post(f"{BASE}/{session_id}/answers", json=body), 422)
    assert envelope["data"]["errors"][0]["field"] == field
    assert client.get(f"{BASE}/{session_id}").json()["data"]["answers"][0]["answer"] == \
        doc["questionDetails"][0]["userAnswer"]


def test_malformed_json_answer_is_400(client, doc):
    session_id = create(client, doc)
    response = client.post(f"{BASE}/{session_id}/answers", content=b"{oops",
                           headers={"Content-Type": "application/json"})
    assert_envelope(response, 400)


# ----------------------------------------------------------------------------- cache keys


def test_language_is_part_of_the_cache_key(client, renderer, doc):
    session_id = create_generated(client, doc)
    zh = client.get(f"{BASE}/{session_id}/export")
    en = client.get(f"{BASE}/{session_id}/export", params={"lang": "en"})
    assert zh.status_code == en.status_code == 200
    assert [call[1] for call in renderer.calls] == [None, "en"]
    assert en.content != zh.content
    bad = client.get(f"{BASE}/{session_id}/export", params={"lang": "fr"})
    assert bad.status_code == 422 and bad.text == "lang must be zh or en"


def test_each_language_is_cached_beside_the_others_until_an_answer_changes_the_report(client, renderer, doc):
    session_id = create_generated(client, doc)
    url = f"{BASE}/{session_id}/export"

    def cache(result: str) -> float:
        return metric(client.get("/metrics").text, "texreport_pdf_cache_total", result=result)

    zh = client.get(url, params={"lang": "zh"})
    en = client.get(url, params={"lang": "en"})
    zh_again = client.get(url, params={"lang": "zh"})
    en_again = client.get(url, params={"lang": "en"}, headers={"If-None-Match": en.headers["etag"]})
    assert [call[1] for call in renderer.calls] == ["zh", "en"]          # the third and fourth: no compile
    assert (cache("miss"), cache("hit")) == (2, 2)
    assert zh_again.content == zh.content and b" zh " in zh.content and b" en " in en.content
    assert en_again.status_code == 304 and en_again.headers["etag"] == en.headers["etag"]

    assert client.post(f"{BASE}/{session_id}/answers", json={"questionIndex": 0, "answer": "new"}).status_code == 200
    assert client.get(url, params={"lang": "zh"}).status_code == 400     # not generated: no variant is served
    assert client.get(f"{BASE}/{session_id}/report").status_code == 200
    for lang in ("zh", "en", "zh", "en"):
        assert client.get(url, params={"lang": lang}).status_code == 200
    assert [call[1] for call in renderer.calls] == ["zh", "en", "zh", "en"]
    assert (cache("miss"), cache("hit")) == (4, 4)


def test_the_cached_variants_of_a_session_are_bounded_least_recently_served_out(make_app, renderer, doc):
    from texreport.http.store import PDF_VARIANTS
    from texreport.theme import builtin_theme

    # The database's bound (every instance shares it): no PDFs kept in this instance's memory.
    with TestClient(make_app(themes=(builtin_theme(), builtin_theme("ink")), pdf_memory_bytes=0)) as test_client:
        session_id = create_generated(test_client, doc)
        variants = [{}, {"lang": "en"}, {"theme": "ink"}, {"theme": "ink", "lang": "en"}, {"lang": "zh"}]
        assert PDF_VARIANTS == 4 == len(variants) - 1

        def export(number: int) -> None:
            assert test_client.get(f"{BASE}/{session_id}/export", params=variants[number]).status_code == 200

        for number in (0, 1, 2, 3, 0, 1, 2, 3):     # four variants side by side: compiled once each
            export(number)
        assert len(renderer.calls) == 4 and renderer.themes == [None, None, "ink", "ink"]
        export(0)                                  # served: variant 1 is now the least recently served
        export(4)                                  # a fifth: variant 1 goes
        for number in (0, 2, 3, 4):
            export(number)
        assert len(renderer.calls) == 5
        export(1)
        assert [call[1] for call in renderer.calls] == [None, "en", None, "en", "zh", "en"]


def test_a_served_pdf_is_answered_from_memory_and_never_outlives_its_report(make_app, renderer, doc,
                                                                          monkeypatch):
    from texreport.http.store import Store

    reads: list[bool] = []
    original = Store.cached_pdf

    def counted(self, session_id, key, *, with_bytes=True):
        reads.append(with_bytes)
        return original(self, session_id, key, with_bytes=with_bytes)

    monkeypatch.setattr(Store, "cached_pdf", counted)
    with TestClient(make_app()) as test_client:
        session_id = create_generated(test_client, doc)
        url = f"{BASE}/{session_id}/export"
        first = test_client.get(url)
        reads.clear()
        again = [test_client.get(url) for _ in range(3)]
        assert reads == [] and all(r.content == first.content for r in again)   # no database read at all
        assert test_client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        assert test_client.post(f"{BASE}/{session_id}/answers", json={"questionIndex": 0, "answer": "new"}).status_code == 200
        assert test_client.get(url).status_code == 400                       # not generated: memory serves nothing
        assert test_client.get(f"{BASE}/{session_id}/report").status_code == 200
        changed = test_client.get(url)
        assert changed.status_code == 200 and changed.content != first.content and renderer.renders(session_id) == 2


def test_pdf_memory_is_bounded_by_entries_and_bytes():
    from texreport.http.pdf_memory import PdfMemory

    memory = PdfMemory(items=3, max_bytes=10)
    for key, size in (("a", 4), ("b", 4), ("c", 2)):
        memory.put(key, f"etag-{key}", b"x" * size)
    assert len(memory) == 3 and memory.size_bytes == 10
    assert memory.get("a") == ("etag-a", b"xxxx")            # a is now the most recently used
    memory.put("d", "etag-d", b"x")                            # over 3 entries: b (least recent) goes
    assert memory.get("b") is None and len(memory) == 3
    memory.put("e", "etag-e", b"x" * 6)                       # over 10 bytes: c, then a go
    assert [memory.get(k) is not None for k in "acde"] == [False, False, True, True] and memory.size_bytes == 7
    memory.put("huge", "etag-h", b"x" * 11)                   # larger than the whole memory: not kept
    assert memory.get("huge") is None and memory.size_bytes == 7
    memory.put("d", "etag-d2", b"yy")                         # replacing a key counts its bytes once
    assert memory.get("d") == ("etag-d2", b"yy") and memory.size_bytes == 8
    assert PdfMemory(items=5, max_bytes=0).get("k") is None


def test_a_new_template_version_never_serves_the_old_pdf(make_app, renderer, doc, monkeypatch):
    with TestClient(make_app()) as old:
        session_id = create_generated(old, doc)
        old.get(f"{BASE}/{session_id}/export")
        old.get(f"{BASE}/{session_id}/export")
    assert renderer.renders(session_id) == 1
    monkeypatch.setattr(exports_module, "content_version", lambda: "a-new-template")
    with TestClient(make_app()) as new:
        assert new.get(f"{BASE}/{session_id}/export").status_code == 200
        assert renderer.renders(session_id) == 2
        new.get(f"{BASE}/{session_id}/export")
        assert renderer.renders(session_id) == 2


def test_cache_key_covers_content_version_language_and_time():
    moment = datetime(2026, 11, 29, 14, 30)
    base = cache_key("{}", version="v1", lang=None, generated_at=moment)
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    assert base == cache_key("{}", version="v1", lang=None, generated_at=moment)
    assert base != cache_key('{"a":1}', version="v1", lang=None, generated_at=moment)
    assert base != cache_key("{}", version="v2", lang=None, generated_at=moment)
    assert base != cache_key("{}", version="v1", lang="en", generated_at=moment)
    assert base != cache_key("{}", version="v1", lang=None, generated_at=moment.replace(minute=31))


def test_content_version_tracks_the_templates():
    version = exports_module.content_version()
    assert re.fullmatch(r"[0-9a-f]{16}", version) and version == exports_module.content_version()


# ----------------------------------------------------------------------------- bounded work


def run_async(make_app, scenario, **settings):
    """Run ``scenario(client)`` against the app with real concurrency (httpx's ASGI transport)."""
    app = make_app(**settings)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as async_client:
            return await scenario(async_client)

    return asyncio.run(main())


async def create_generated_async(async_client, document, session_id: str) -> str:
    response = await async_client.post(BASE, json={**document, "sessionId": session_id})
    assert response.status_code == 200, response.text
    assert (await async_client.get(f"{BASE}/{session_id}/report")).status_code == 200
    return session_id


async def wait_for(predicate, timeout: float = 60.0) -> None:
    await async_wait_until(predicate, "the renderer's first call", timeout)


def recording(make_app):
    """``make_app`` that also keeps the apps it built, so a scenario can read ``app.state.queue``."""
    apps = []

    def factory(**settings):
        apps.append(make_app(**settings))
        return apps[-1]

    return factory, apps


def test_saturation_answers_503_with_retry_after(make_app, renderer, doc):
    renderer.gate = threading.Event()
    ids = ["q" + uuid.uuid4().hex[:15] for _ in range(3)]

    factory, apps = recording(make_app)

    async def scenario(async_client):
        for session_id in ids:
            await create_generated_async(async_client, doc, session_id)
        first = asyncio.create_task(async_client.get(f"{BASE}/{ids[0]}/export"))
        await wait_for(lambda: len(renderer.calls) == 1)
        second = asyncio.create_task(async_client.get(f"{BASE}/{ids[1]}/export"))
        await async_wait_until(lambda: apps[0].state.queue.waiting == 1, "the second export queued behind the first")
        busy = await async_client.get(f"{BASE}/{ids[2]}/export")
        renderer.gate.set()
        return busy, await first, await second

    busy, first, second = run_async(factory, scenario, max_compiles=1, max_queue=1)
    assert busy.status_code == 503
    assert busy.headers["retry-after"].isdigit() and int(busy.headers["retry-after"]) >= 1
    assert_brief(busy.text)
    assert first.status_code == second.status_code == 200
    assert len(renderer.calls) == 2


def test_concurrent_exports_of_one_session_share_one_compile(make_app, renderer, doc):
    renderer.gate = threading.Event()
    session_id = "f" + uuid.uuid4().hex[:15]

    factory, apps = recording(make_app)

    async def scenario(async_client):
        await create_generated_async(async_client, doc, session_id)
        tasks = [asyncio.create_task(async_client.get(f"{BASE}/{session_id}/export")) for _ in range(6)]
        await wait_for(lambda: len(renderer.calls) == 1)
        await async_wait_until(lambda: apps[0].state.queue.stats.joined == 5, "five exports joining the first")
        renderer.gate.set()
        return await asyncio.gather(*tasks)

    responses = run_async(factory, scenario, max_compiles=1, max_queue=0)
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.content for r in responses}) == 1 and len({r.headers["etag"] for r in responses}) == 1
    assert renderer.renders(session_id) == 1


# ----------------------------------------------------------------------------- failures


@pytest.mark.parametrize("error", [
    CompileError("Undefined control sequence \\foo in /tmp/texreport-x/report.tex", tex_line=12,
                 log_excerpt="! Undefined control sequence.\nl.12 /tmp/texreport-x/report.tex"),
    CompileTimeout(60),
    UnsupportedCharacterError("\ue000", field="questionDetails.0.feedback"),
    RuntimeError("/work/main/src/texreport/view.py exploded"),
])
def test_failed_generation_is_a_brief_500(client, renderer, doc, error):
    session_id = create_generated(client, doc)
    renderer.error = error
    response = client.get(f"{BASE}/{session_id}/export")
    assert response.status_code == 500
    assert response.text.startswith("PDF generation failed") and len(response.text) < 120
    assert_brief(response.text)
    renderer.error = None
    assert client.get(f"{BASE}/{session_id}/export").status_code == 200    # failures are not cached


def test_stateless_pdf(client, renderer, doc):
    response = client.post("/api/reports/pdf", json={"code": 200, "message": "success", "data": doc})
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response.headers["content-type"] == "application/pdf"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["content-disposition"] == content_disposition(doc["sessionId"])
    assert response.headers["etag"]
    assert client.get(f"{BASE}/{doc['sessionId']}").status_code == 404       # nothing stored

    unsafe_id = assert_envelope(client.post("/api/reports/pdf", json={**doc, "sessionId": "会话 1"}), 422)
    assert unsafe_id["data"]["errors"][0]["field"] == "sessionId"  # as validate, render and the session routes say

    invalid = assert_envelope(client.post("/api/reports/pdf", json={**doc, "overallScore": "high"}), 422)
    assert invalid["data"]["errors"][0]["field"] == "overallScore"

    renderer.error = UnsupportedCharacterError("\ue000", field="questionDetails.1.userAnswer")
    refused = assert_envelope(client.post("/api/reports/pdf", json=doc), 422)
    assert refused["data"]["errors"][0]["field"] == "questionDetails.1.userAnswer"
    renderer.error = CompileError("Emergency stop", log_excerpt="/tmp/texreport-1/report.log")
    failed = assert_envelope(client.post("/api/reports/pdf", json=doc), 500)
    assert failed["message"] == "PDF generation failed"


# ----------------------------------------------------------------------------- hostile input


HOSTILE_IDS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2E%2E",
    "abc%00",
    "abc%00def",
    "abc%0D%0ASet-Cookie:%20stolen=1",
    "%0D%0A%0D%0A<html>",
    "a" * 300,
    "%E6%A8%A1%E6%8B%9F",
    "-leading",
    "a%20b",
    "%25",
    "a;b",
    "%22quoted%22",
]


@pytest.mark.parametrize("raw_id", HOSTILE_IDS)
def test_hostile_ids_are_not_found_and_never_reach_a_header(client, raw_id):
    for method, suffix, kwargs in [
        ("GET", "/export", {}),
        ("GET", "", {}),
        ("GET", "/report", {}),
        ("POST", "/answers", {"json": {"questionIndex": 0, "answer": "x"}}),
        ("DELETE", "", {}),
    ]:
        response = client.request(method, f"{BASE}/{raw_id}{suffix}", **kwargs)
        assert response.status_code in (400, 404), (method, suffix, response.status_code, response.text)
        assert "set-cookie" not in response.headers
        assert "content-disposition" not in response.headers
        assert all("\r" not in v and "\n" not in v for v in response.headers.values())
        if suffix == "/export":
            assert response.content == b""
        else:
            assert_envelope(response, response.status_code)


def test_paths_that_escape_the_route_are_still_empty_404s_on_export(client):
    response = client.get(f"{BASE}/a%2Fb/export")
    assert (response.status_code, response.content) == (404, b"")
    response = client.get(f"{BASE}/a/b/export")
    assert (response.status_code, response.content) == (404, b"")


def test_body_size_limit(make_app, doc):
    with TestClient(make_app(max_body_bytes=4096)) as small:
        announced = small.post(BASE, content=b"{" + b" " * 5000 + b"}", headers={"Content-Type": "application/json"})
        assert_envelope(announced, 413)

        def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = small.post(BASE, content=chunks(), headers={"Content-Type": "application/json"})
        assert_envelope(streamed, 413)
        assert_envelope(small.post("/api/reports/pdf", content=b"x" * 5000), 413)
        assert_envelope(small.post(BASE, json={"sessionId": "t" + uuid.uuid4().hex[:15], "overallScore": 1}), 200)


def test_default_body_limit_is_two_mebibytes(client, doc):
    big = {**doc, "overallFeedback": "长" * (800 * 1024)}    # 2.4 MB in UTF-8
    assert_envelope(client.post(BASE, json=big), 413)


# ----------------------------------------------------------------------------- operations


def test_request_id_is_echoed_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="texreport.http.access")
    response = client.get("/healthz", headers={"X-Request-ID": "req-123.abc"})
    assert response.headers["x-request-id"] == "req-123.abc"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    records = [r for r in caplog.records if r.name == "texreport.http.access"]
    record = next(r for r in records if getattr(r, "request_id", None) == "req-123.abc")
    assert (record.getMessage(), record.method, record.path, record.status) == ("request", "GET", "/healthz", 200)
    assert isinstance(record.ms, float)
    line = JsonLogFormatter().format(record)
    entry = json.loads(line)
    assert (entry["message"], entry["level"], entry["request_id"], entry["status"]) == ("request", "info",
                                                                                       "req-123.abc", 200)


def test_log_lines_are_one_line_of_ascii_json_whatever_the_text():
    record = logging.LogRecord("texreport.http.access", logging.INFO, __file__, 1, "request", None, None)
    record.path = "/a\ud800b\n{\"forged\": 1}\r\n"
    record.detail = "多态 \u202e"
    line = JsonLogFormatter().format(record)
    assert "\n" not in line and line.isascii()
    entry = json.loads(line)
    assert entry["path"] == record.path and entry["detail"] == record.detail and "forged" not in entry


def test_openapi_document(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [BASE, f"{BASE}/{{session_id}}", f"{BASE}/{{session_id}}/answers", f"{BASE}/{{session_id}}/report",
                 f"{BASE}/{{session_id}}/export", "/api/reports/pdf", "/healthz", "/readyz"]:
        assert path in paths, path
    assert "application/pdf" in paths[f"{BASE}/{{session_id}}/export"]["get"]["responses"]["200"]["content"]
    assert "requestBody" in paths[BASE]["post"]


def test_health_and_readiness(make_app, renderer):
    with TestClient(make_app()) as test_client:
        assert assert_envelope(test_client.get("/healthz"), 200)["data"]["status"] == "ok"
        ready = assert_envelope(test_client.get("/readyz"), 200)
        assert ready["data"]["ready"] is True
        test_client.get("/readyz")
        assert [call[0] for call in renderer.calls] == ["readyz"]     # proven once, then cached


def test_readiness_fails_when_the_cjk_compile_fails(make_app, renderer):
    renderer.error = CompileError("font not found", log_excerpt="/usr/share/fonts/...")
    with TestClient(make_app()) as test_client:
        response = test_client.get("/readyz")
        body = assert_envelope(response, 503)
        assert body["data"]["ready"] is False and response.headers["retry-after"]
        assert test_client.get("/healthz").status_code == 200


def test_method_not_allowed_is_an_envelope(client):
    assert_envelope(client.put(f"{BASE}/abc"), 405)


def test_web_page_is_self_contained(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Session not found. Please check the session ID." in html
    assert "Report not generated yet. Generating now..." in html
    assert "filename\\*=UTF-8''(.+)" in html and "Content-Length" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external asset"
    assert "default-src 'self'" in page.headers["content-security-policy"]


# ----------------------------------------------------------------------------- HEAD and ranges


def test_head_on_the_export_has_the_get_headers_and_no_body(client, renderer, doc):
    session_id = create_generated(client, doc)
    head = client.head(f"{BASE}/{session_id}/export")
    get = client.get(f"{BASE}/{session_id}/export")
    assert head.status_code == get.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "content-disposition", "etag", "accept-ranges"):
        assert head.headers[name] == get.headers[name], name
    assert int(head.headers["content-length"]) == len(get.content)
    assert renderer.renders(session_id) == 1                        # HEAD compiled and cached it once
    unknown = client.head(f"{BASE}/u{uuid.uuid4().hex[:15]}/export")
    assert (unknown.status_code, unknown.content) == (404, b"")
    assert client.head(f"{BASE}/{create(client, {**doc, 'sessionId': 'h' + uuid.uuid4().hex[:15]})}/export") \
        .status_code == 400


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-99", 0, 99),
    ("bytes=100-", 100, None),
    ("bytes=-50", -50, None),
    ("bytes=10-999999999", 10, None),
    ("bytes=0-0", 0, 0),
])
def test_a_single_range_is_served_as_206(client, doc, header, first, last):
    session_id = create_generated(client, doc)
    whole = client.get(f"{BASE}/{session_id}/export").content
    part = client.get(f"{BASE}/{session_id}/export", headers={"Range": header})
    expected = whole[first:] if last is None else whole[first:last + 1]
    assert part.status_code == 206 and part.content == expected
    start = first if first >= 0 else len(whole) + first
    assert part.headers["content-range"] == f"bytes {start}-{start + len(expected) - 1}/{len(whole)}"
    assert int(part.headers["content-length"]) == len(expected)
    assert part.headers["etag"] and part.headers["content-type"] == "application/pdf"


def test_ranges_that_cannot_or_should_not_be_served(client, doc):
    session_id = create_generated(client, doc)
    url = f"{BASE}/{session_id}/export"
    whole = client.get(url)
    size = len(whole.content)
    beyond = client.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert client.get(url, headers={"Range": "bytes=-0"}).status_code == 416
    for ignored in ("bytes=0-1,5-6", "items=0-5", "bytes=5-2", "bytes=x-y"):
        response = client.get(url, headers={"Range": ignored})
        assert response.status_code == 200 and response.content == whole.content, ignored
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"an-old-etag"'})
    assert stale.status_code == 200 and stale.content == whole.content
    fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": whole.headers["etag"]})
    assert fresh.status_code == 206 and fresh.content == whole.content[:10]


# ----------------------------------------------------------------------------- numbers and surrogates


@pytest.mark.parametrize("params, field", [
    ({"offset": str(2**63)}, "offset"),
    ({"offset": "9" * 5000}, "offset"),
    ({"limit": str(2**64)}, "limit"),
    ({"offset": "-1"}, "offset"),
])
def test_huge_query_integers_are_422_naming_the_parameter(client, params, field):
    body = assert_envelope(client.get(BASE, params=params), 422)
    assert body["data"]["errors"][0]["field"] == field


@pytest.mark.parametrize("content, status, field", [
    (b'{"questionIndex": 9223372036854775808, "answer": "x"}', 422, "questionIndex"),
    (b'{"questionIndex": 2147483648, "answer": "x"}', 422, "questionIndex"),
    (b'{"questionIndex": ' + b"9" * 5000 + b', "answer": "x"}', 400, None),
    (b'{"questionIndex": 0, "answer": "x", "score": ' + b"1" * 400 + b'}', 422, "score"),
])
def test_huge_integers_in_an_answer_never_500(client, doc, content, status, field):
    session_id = create(client, doc)
    response = client.post(f"{BASE}/{session_id}/answers", content=content,
                           headers={"Content-Type": "application/json"})
    body = assert_envelope(response, status)
    if field:
        assert body["data"]["errors"][0]["field"] == field


@pytest.mark.parametrize("mutate, field", [
    (lambda d: {**d, "totalQuestions": 2**63}, "totalQuestions"),
    (lambda d: {**d, "questionDetails": [{**d["questionDetails"][0], "questionIndex": 2**63}]},
     "questionDetails.0.questionIndex"),
    (lambda d: {**d, "questionDetails": [{**d["questionDetails"][0], "questionIndex": 2**40}]},
     "questionDetails.0.questionIndex"),
])
def test_numbers_a_database_cannot_hold_are_refused_naming_the_field(client, doc, mutate, field):
    body = assert_envelope(client.post(BASE, json=mutate(doc)), 422)
    assert body["data"]["errors"][0]["field"] == field
    assert client.get(f"{BASE}/{doc['sessionId']}").status_code == 404


def test_lone_surrogates_in_answers_are_dropped_never_500(client, renderer, doc):
    session_id = create(client, doc)
    raw = b'{"questionIndex": 0, "answer": "before\\ud800after", "feedback": "\\udc00ok"}'
    response = client.post(f"{BASE}/{session_id}/answers", content=raw, headers={"Content-Type": "application/json"})
    answer = assert_envelope(response, 200)["data"]["answers"][0]
    assert (answer["answer"], answer["feedback"]) == ("beforeafter", "ok")
    report = assert_envelope(client.get(f"{BASE}/{session_id}/report"), 200)["data"]
    assert report["questionDetails"][0]["userAnswer"] == "beforeafter"
    assert client.get(f"{BASE}/{session_id}/export").status_code == 200


@pytest.mark.parametrize("path", ["%ED%A0%80", "a%ED%B0%80b", "%F0%9F%98", "%C0%AF"])
def test_undecodable_session_ids_are_not_found(client, path):
    for suffix in ("", "/report", "/export"):
        response = client.get(f"{BASE}/{path}{suffix}")
        assert response.status_code == 404, (suffix, response.text)
        if suffix == "/export":
            assert response.content == b""


# ----------------------------------------------------------------------------- CORS and metrics

DEV_ORIGIN = "http://localhost:5173"


def test_cors_is_off_by_default(client, doc):
    session_id = create_generated(client, doc)
    preflight = client.options(f"{BASE}/{session_id}/export",
                               headers={"Origin": DEV_ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    export = client.get(f"{BASE}/{session_id}/export", headers={"Origin": DEV_ORIGIN})
    assert export.status_code == 200 and "access-control-allow-origin" not in export.headers


def test_cors_preflight_and_exposed_headers_for_a_configured_origin(make_app, doc):
    with TestClient(make_app(cors_origins=(DEV_ORIGIN, "https://app.example"))) as cors:
        session_id = create_generated(cors, doc)
        url = f"{BASE}/{session_id}/export"
        preflight = cors.options(url, headers={"Origin": DEV_ORIGIN, "Access-Control-Request-Method": "GET",
                                               "Access-Control-Request-Headers": "if-none-match, range"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == DEV_ORIGIN
        assert "GET" in preflight.headers["access-control-allow-methods"]
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "if-none-match" in allowed and "range" in allowed
        post = cors.options(BASE, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
        assert post.status_code == 200 and post.headers["access-control-allow-origin"] == "https://app.example"

        export = cors.get(url, headers={"Origin": DEV_ORIGIN})
        assert export.status_code == 200 and export.headers["access-control-allow-origin"] == DEV_ORIGIN
        exposed = {name.strip().lower() for name in export.headers["access-control-expose-headers"].split(",")}
        assert {"content-disposition", "content-length", "etag"} <= exposed
        missing = cors.get(f"{BASE}/u{uuid.uuid4().hex[:15]}/export", headers={"Origin": DEV_ORIGIN})
        assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == DEV_ORIGIN

        other = cors.options(url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        assert "access-control-allow-origin" not in cors.get(url, headers={"Origin": "https://evil.example"}).headers


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{wanted} not in metrics")


def test_metrics_count_compiles_cache_and_rejections(make_app, renderer, doc):
    with TestClient(make_app(warm_workers=False)) as test_client:
        page = test_client.get("/metrics")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        before = page.text
        for name in ("texreport_worker_restarts_total", "texreport_format_builds_total",
                     "texreport_render_ahead_hits_total", "texreport_queue_waiting", "texreport_compiles_running",
                     "texreport_rejections_total"):
            metric(before, name)
        assert metric(before, "texreport_compile_seconds_count", path="cold") == 0
        session_id = create_generated(test_client, doc)
        test_client.get(f"{BASE}/{session_id}/export")
        test_client.get(f"{BASE}/{session_id}/export")
        test_client.get(f"{BASE}/{session_id}/export")
        after = test_client.get("/metrics").text
        assert metric(after, "texreport_compile_seconds_count", path="cold") == 1
        assert metric(after, "texreport_compile_seconds_count", path="warm") == 0
        assert metric(after, "texreport_pdf_cache_total", result="miss") == 1
        assert metric(after, "texreport_pdf_cache_total", result="hit") == 2
        assert metric(after, "texreport_queue_waiting") == 0


def test_metrics_count_rejections(make_app, renderer, doc):
    renderer.gate = threading.Event()
    ids = ["r" + uuid.uuid4().hex[:15] for _ in range(2)]

    async def scenario(async_client):
        for session_id in ids:
            await create_generated_async(async_client, doc, session_id)
        first = asyncio.create_task(async_client.get(f"{BASE}/{ids[0]}/export"))
        await wait_for(lambda: len(renderer.calls) == 1)
        busy = await async_client.get(f"{BASE}/{ids[1]}/export")
        running = (await async_client.get("/metrics")).text
        renderer.gate.set()
        await first
        return busy, running

    busy, running = run_async(make_app, scenario, max_compiles=1, max_queue=0)
    assert busy.status_code == 503
    assert metric(running, "texreport_rejections_total") == 1
    assert metric(running, "texreport_compiles_running") == 1


@pytest.mark.parametrize("raw, field", [
    (lambda body: body.replace(b'"overallScore": ', b'"overallScore": ' + b"9" * 5000 + b", \"x\": ", 1),
     "overallScore"),
    (lambda body: body[:-1] + b', "ignoredField": ' + b"1" * 5000 + b"}", "ignoredField"),
])
def test_integers_longer_than_python_parses_are_422_naming_the_field(client, doc, raw, field):
    body = raw(json.dumps(doc, ensure_ascii=False).encode())
    for url in (BASE, "/api/reports/pdf"):
        response = client.post(url, content=body, headers={"Content-Type": "application/json"})
        envelope = assert_envelope(response, 422)
        assert envelope["data"]["errors"][0]["field"] == field


def test_lone_surrogates_in_a_document_are_dropped_and_in_its_id_refused(client, renderer, doc):
    body = json.dumps({**doc, "overallFeedback": "好\ud800的"}).encode()    # the JSON escape, as a client sends it
    created = client.post(BASE, content=body, headers={"Content-Type": "application/json"})
    assert_envelope(created, 200)
    report = assert_envelope(client.get(f"{BASE}/{doc['sessionId']}/report"), 200)["data"]
    assert report["overallFeedback"] == "好的"
    assert client.get(f"{BASE}/{doc['sessionId']}/export").status_code == 200
    stateless = client.post("/api/reports/pdf", content=body, headers={"Content-Type": "application/json"})
    assert stateless.status_code == 200
    bad_id = json.dumps({**doc, "sessionId": "a\udc00"}).encode()
    for url in (BASE, "/api/reports/pdf"):
        refused = client.post(url, content=bad_id, headers={"Content-Type": "application/json"})
        assert assert_envelope(refused, 422)["data"]["errors"][0]["field"] == "sessionId"
