"""``texreport serve`` as a user runs it: real sockets, real compiles, PDFs read back."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import uuid
from urllib.parse import unquote

import httpx
import pytest

from texreport.naming import content_disposition
from waiting import wait_until

BASE = "/api/interview/sessions"


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                            timeout=60, check=True)
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


def raw_request(port: int, request: bytes) -> bytes:
    """Send bytes exactly as given (no client-side URL normalization) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def doc(document) -> dict:
    document["sessionId"] = "e" + uuid.uuid4().hex[:15]
    return document


def test_export_end_to_end(server, doc):
    session_id = doc["sessionId"]
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        assert client.post(BASE, json={"code": 200, "message": "success", "data": doc}).json()["code"] == 200
        not_yet = client.get(f"{BASE}/{session_id}/export")
        assert not_yet.status_code == 400 and "not generated" in not_yet.text
        report = client.get(f"{BASE}/{session_id}/report").json()
        assert report["code"] == 200 and report["data"]["sessionId"] == session_id

        export = client.get(f"{BASE}/{session_id}/export")
        assert export.status_code == 200, export.text
        assert export.headers["content-type"] == "application/pdf"
        assert int(export.headers["content-length"]) == len(export.content) > 10_000
        assert export.headers["content-disposition"] == content_disposition(session_id)
        name = unquote(re.search(r"filename\*=UTF-8''(.+)", export.headers["content-disposition"]).group(1))
        assert name == f"模拟面试报告_{session_id}.pdf"
        text = pdf_text(export.content)
        assert session_id in text
        assert doc["candidate"]["name"] in text
        # The longest run of CJK text in the first question (Markdown around it is typeset, not printed).
        assert max(re.findall(r"[\u4e00-\u9fff]+", doc["questionDetails"][0]["question"]), key=len) in text

        cached = client.get(f"{BASE}/{session_id}/export")
        assert cached.content == export.content                       # byte-identical: the cache
        assert cached.elapsed.total_seconds() < 1.0
        etag = export.headers["etag"]
        assert client.get(f"{BASE}/{session_id}/export", headers={"If-None-Match": etag}).status_code == 304

        english = client.get(f"{BASE}/{session_id}/export", params={"lang": "en"})
        assert english.status_code == 200 and english.content != export.content

        assert client.delete(f"{BASE}/{session_id}").json()["code"] == 200
        gone = client.get(f"{BASE}/{session_id}/export")
        assert (gone.status_code, gone.content, gone.headers["content-length"]) == (404, b"", "0")

        assert client.get("/readyz").json()["data"]["ready"] is True  # a CJK compile worked here


def test_stateless_endpoint_end_to_end(server, doc):
    response = httpx.post(f"{server.base_url}/api/reports/pdf", json=doc, timeout=120)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert doc["sessionId"] in pdf_text(response.content)
    refused = httpx.post(f"{server.base_url}/api/reports/pdf", json={**doc, "overallFeedback": "\ue000"}, timeout=60)
    assert refused.status_code == 422 and refused.json()["data"]["errors"][0]["field"] == "overallFeedback"


@pytest.mark.parametrize("target", [
    b"/api/interview/sessions/../../../etc/passwd/export",
    b"/api/interview/sessions/..%2F..%2Fetc%2Fpasswd/export",
    b"/api/interview/sessions/abc%00/export",
    b"/api/interview/sessions/abc%0D%0ASet-Cookie:%20x=1/export",
    b"/api/interview/sessions/" + b"a" * 300 + b"/export",
])
def test_hostile_ids_over_a_real_socket(sqlite_server, target):
    answer = raw_request(sqlite_server.port,
                         b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0]
    assert status_line.split()[1] in (b"404", b"400"), status_line
    assert b"set-cookie" not in head.lower()
    assert body == b""


def test_raw_crlf_in_the_request_line_is_refused(sqlite_server):
    answer = raw_request(sqlite_server.port,
                         b"GET /api/interview/sessions/a\rSet-Cookie: x=1/export HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.split(b"\r\n")[0].split()[1] == b"400"
    assert b"set-cookie: x" not in answer.lower()


def test_request_logs_are_json_with_the_request_id(sqlite_server):
    httpx.get(f"{sqlite_server.base_url}/healthz", headers={"X-Request-ID": "e2e-log-check"})
    hits: list[dict] = []

    def logged() -> bool:
        entries = [json.loads(line) for line in sqlite_server.log_lines() if line.startswith("{")]
        hits[:] = [e for e in entries if e.get("request_id") == "e2e-log-check"]
        return bool(hits)

    wait_until(logged, "the request's log line", 10, interval=0.1)
    assert hits[0]["path"] == "/healthz" and hits[0]["status"] == 200 and hits[0]["level"] == "info"


def test_sigterm_stops_the_server_cleanly(tmp_path, server_control):
    start_server, stop_server = server_control
    running = start_server(f"sqlite:///{tmp_path / 'stop.db'}", tmp_path / "serve.log")
    # uvicorn finishes its graceful shutdown, then re-raises the signal: -SIGTERM is the clean exit.
    assert stop_server(running) in (0, -15)
    messages = [json.loads(line).get("message") for line in running.log_lines() if line.startswith("{")]
    assert "Application shutdown complete." in messages
