"""The app behind a real uvicorn server (in this process, on loopback): connections, timeouts, races.

The server runs in a thread on a socket bound before it starts, so a client can
connect at once (the kernel queues it); nothing here waits on a clock to line
things up. Races are forced with events and barriers.
"""

from __future__ import annotations

import asyncio
import copy
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from texreport.errors import LimitError  # noqa: E402
from texreport.http import Settings, create_app  # noqa: E402
from texreport.http.protocol import guarded_protocol  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BASE = "/api/interview/sessions"


def fake_pdf(report, *, lang, generated_at: datetime | None) -> bytes:
    return b"%PDF-1.7\n% " + report.session_id.encode() + b"\n" + b"0" * 2048 + b"\n%%EOF\n"


@contextmanager
def live_server(app, *, header_timeout: float = 10.0) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with the same protocol ``texreport serve`` uses; yields (base URL, port)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, http=guarded_protocol(header_timeout), log_config=None, access_log=False,
                            lifespan="on", timeout_keep_alive=30)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'live.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'live.db'}"
    return str(request.getfixturevalue("pg_url"))


def make_app(db_url: str, **kwargs):
    settings = Settings(db_url=db_url, probe_on_startup=False, warm_workers=False)
    return create_app(settings, renderer=kwargs.pop("renderer", fake_pdf), **kwargs)


def new_doc(document: dict) -> dict:
    doc = copy.deepcopy(document)
    doc["sessionId"] = "l" + uuid.uuid4().hex[:15]
    return doc


def read_response(connection: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with Content-Length from a raw socket: (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(lines[0].split()[1]), body[:length]


# ----------------------------------------------------------------------------- a 500 keeps the connection


def test_a_500_does_not_reset_the_keep_alive_connection(db_url, document):
    def broken_renderer(report, *, lang, generated_at):
        raise RuntimeError("a bug in the renderer")

    def broken_checker(report):
        raise RuntimeError("a bug in the checker")

    doc = new_doc(document)
    with live_server(make_app(db_url)) as (base, _port):       # create and generate with a working app
        httpx.post(base + BASE, json=doc).raise_for_status()
        httpx.get(f"{base}{BASE}/{doc['sessionId']}/report").raise_for_status()
    app = make_app(db_url, renderer=broken_renderer, checker=broken_checker)
    with live_server(app) as (_base, port), socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        for request, expected in [
            (f"GET {BASE}/{doc['sessionId']}/export HTTP/1.1\r\nHost: x\r\n\r\n", 500),
            ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
            (f"POST {BASE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
             422),
            ("POST /api/reports/pdf HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400),
            (f"GET {BASE}/{doc['sessionId']}/export HTTP/1.1\r\nHost: x\r\n\r\n", 500),
            ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
        ]:
            raw.sendall(request.encode())
            status, body = read_response(raw)                  # all on the one connection
            assert status == expected, (request, status, body)
            assert b"Traceback" not in body and b"a bug" not in body
    with live_server(app) as (base, _port), httpx.Client(base_url=base) as client:
        # And through a client that reuses its connection: a 500 from an unexpected error, then 200.
        created = client.post(BASE, json=new_doc(document))
        assert created.status_code == 500 and created.json()["message"] == "internal error"
        assert client.get("/healthz").status_code == 200


# ----------------------------------------------------------------------------- slow headers


def test_a_client_that_sends_its_headers_slowly_is_cut_off(db_url):
    with live_server(make_app(db_url), header_timeout=1.0) as (_base, port):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # headers never finish
            answer = b""
            while chunk := slow.recv(4096):                          # until the server closes it
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as idle:
            assert idle.recv(4096).startswith(b"HTTP/1.1 408")        # a connection that never speaks
        with socket.create_connection(("127.0.0.1", port), timeout=30) as normal:
            normal.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(normal)[0] == 200                   # a prompt client is served


def test_the_header_deadline_restarts_for_each_request_on_a_connection(db_url):
    with live_server(make_app(db_url), header_timeout=1.0) as (_base, port), \
            socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(connection)[0] == 200
        connection.sendall(b"GET /healthz HTTP/1.1\r\n")              # the second request stalls
        assert connection.recv(4096).startswith(b"HTTP/1.1 408")


# ----------------------------------------------------------------------------- races


DOCUMENTED = {
    "create": {200, 409},
    "delete": {200, 404},
    "answer": {200, 404},
    "report": {200, 404},
    "export": {200, 400, 404},
    "get": {200, 404},
}


def together(base: str, calls: dict) -> dict[str, httpx.Response]:
    """Run each ``call(client)`` in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    responses: dict[str, httpx.Response] = {}

    def run(name: str, call) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait(30)
            responses[name] = call(client)

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return responses


def every_operation(doc: dict) -> dict:
    session = f"{BASE}/{doc['sessionId']}"
    return {
        "create": lambda c: c.post(BASE, json=doc),
        "delete": lambda c: c.delete(session),
        "answer": lambda c: c.post(f"{session}/answers", json={"questionIndex": 0, "answer": "race"}),
        "report": lambda c: c.get(f"{session}/report"),
        "export": lambda c: c.get(f"{session}/export"),
        "get": lambda c: c.get(session),
    }


def test_every_race_on_one_session_ends_in_a_documented_status(any_db_url, document):
    """Create, answer, report, export, get and delete one id at the same instant, many times."""
    observed: dict[str, set[int]] = {name: set() for name in DOCUMENTED}
    problems: list[str] = []
    with live_server(make_app(any_db_url)) as (base, _port):
        for number in range(12):
            doc = new_doc(document)
            if number % 2:                                           # half the rounds start from an existing one
                httpx.post(base + BASE, json=doc).raise_for_status()
            for name, response in together(base, every_operation(doc)).items():
                observed[name].add(response.status_code)
                if response.status_code not in DOCUMENTED[name]:
                    problems.append(f"{name}: {response.status_code} {response.text[:200]}")
    assert problems == []
    assert 200 in observed["create"] and 200 in observed["delete"]


def test_create_racing_delete_of_the_same_id(any_db_url, document):
    with live_server(make_app(any_db_url)) as (base, _port):
        for _ in range(10):
            doc = new_doc(document)
            operations = every_operation(doc)
            results = together(base, {name: operations[name] for name in ("create", "delete")})
            assert results["create"].status_code == 200 and results["delete"].status_code in (200, 404)
            exists = httpx.get(f"{base}{BASE}/{doc['sessionId']}").status_code
            assert exists == (404 if results["delete"].status_code == 200 else 200)   # the answers tell the truth


def test_two_concurrent_answers_cannot_both_pass_the_whole_document_check(any_db_url, document):
    """The check runs under the session's lock: the second answer is checked with the first one stored."""
    limit = 1000
    first_inside, release_first = threading.Event(), threading.Event()
    calls: list[str] = []
    lock = threading.Lock()

    def checker(report) -> None:
        total = sum(len(d.user_answer or "") for d in report.question_details)
        with lock:
            calls.append(str(total))
            first = len(calls) == 1
        if first and total > 600:
            first_inside.set()
            assert release_first.wait(30)
        if total > limit:
            raise LimitError(f"the answers are {total} characters; at most {limit}", limit=limit)

    doc = new_doc(document)
    for detail in doc["questionDetails"]:
        detail["userAnswer"] = ""
    with live_server(make_app(any_db_url, checker=checker)) as (base, _port):
        httpx.post(base + BASE, json=doc).raise_for_status()
        calls.clear()
        answers = {0: "甲" * 700, 1: "乙" * 700}
        results: dict[int, int] = {}

        def answer(index: int) -> None:
            response = httpx.post(f"{base}{BASE}/{doc['sessionId']}/answers", timeout=60,
                                  json={"questionIndex": index, "answer": answers[index]})
            results[index] = response.status_code

        first = threading.Thread(target=answer, args=(0,))
        first.start()
        assert first_inside.wait(30)
        second = threading.Thread(target=answer, args=(1,))
        second.start()
        # Without the lock the second check would run now, see only its own 700 characters, and pass.
        second.join(2)
        release_first.set()
        first.join(60)
        second.join(60)
        assert sorted(results.values()) == [200, 413]
        stored = httpx.get(f"{base}{BASE}/{doc['sessionId']}").json()["data"]["answers"]
        assert sum(len(a["answer"] or "") for a in stored) <= limit
        assert httpx.get(f"{base}{BASE}/{doc['sessionId']}/report").status_code == 200


def test_undecodable_bytes_in_headers_never_500(db_url, document):
    """A lone surrogate's UTF-8 bytes (or any non-UTF-8) in the headers an export reads."""
    doc = new_doc(document)
    with live_server(make_app(db_url)) as (base, port):
        httpx.post(base + BASE, json=doc).raise_for_status()
        httpx.get(f"{base}{BASE}/{doc['sessionId']}/report").raise_for_status()
        surrogate = "\ud800".encode("utf-8", "surrogatepass")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            for header in (b"If-None-Match", b"Range", b"If-Range", b"X-Request-ID", b"Origin", b"Content-Type"):
                raw.sendall(b"GET " + f"{BASE}/{doc['sessionId']}/export".encode() + b" HTTP/1.1\r\nHost: x\r\n"
                            + header + b": \"" + surrogate + b"\xff\"\r\n\r\n")
                status, body = read_response(raw)
                assert status == 200 and body.startswith(b"%PDF-"), (header, status)
