"""The HTTP service under load and faults, on loopback, with bounded loops and time.

* Load: 50 client threads for ``TEXREPORT_LOAD_SECONDS`` (CI: 20 s; ``scripts/fuzz.sh
  service``: 180 s) create sessions and export them (new sessions keep the
  compiler busy; repeated exports hit the cache). Every export answers a PDF or
  503 with Retry-After, never a 500; the server's RSS is reported and only gross
  growth fails.
* kill -9 mid-compile: the SQLite sessions survive, a restarted server exports.
* PostgreSQL restarted under the service: the tests' own server (``pg_url`` and
  ``pg_restart`` in conftest.py; ``TEXREPORT_TEST_PG_RESTART`` with an outside server).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from hostile_support import rss_kib, xelatex_processes_in  # noqa: E402
from waiting import wait_until  # noqa: E402

TEXREPORT = Path(sys.executable).parent / "texreport"
LOAD_SECONDS = float(os.environ.get("TEXREPORT_LOAD_SECONDS", "20"))
CLIENTS = 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, folder: Path, db_url: str, *extra: str) -> None:
        self.folder = folder
        self.db_url = db_url
        self.extra = extra
        self.tmp = folder / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> Server:
        port = _free_port()
        env = dict(os.environ, TMPDIR=str(self.tmp))
        with open(self.folder / "server.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(TEXREPORT), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", self.db_url, *self.extra],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, env=env)
        self.base = f"http://127.0.0.1:{port}"
        wait_until(self._answers, "texreport serve to answer /healthz", 60, interval=0.1)
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError((self.folder / "server.log").read_text(errors="replace")[-2000:])
        try:
            return httpx.get(self.base + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def report_document(document):
    return copy.deepcopy(document)


def _create(client: httpx.Client, document: dict, session_id: str) -> None:
    body = dict(document, sessionId=session_id)
    response = client.post("/api/interview/sessions", content=json.dumps(body, ensure_ascii=False).encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 201), response.text[:300]
    response = client.get(f"/api/interview/sessions/{session_id}/report")
    assert response.status_code == 200, response.text[:300]


def _stray_compiles(server: Server) -> list:
    return xelatex_processes_in(server.tmp)


@pytest.mark.slow
def test_fifty_clients_get_pdfs_or_503_never_500(tmp_path, report_document):
    server = Server(tmp_path, f"sqlite:///{tmp_path / 'load.db'}").start()
    statuses: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + LOAD_SECONDS
    rss: list[int] = []

    def client_loop(number: int) -> None:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            iteration = 0
            while time.monotonic() < stop_at and iteration < 10_000:
                iteration += 1
                session_id = f"load{number:02d}x{iteration:04d}{uuid.uuid4().hex[:6]}"
                try:
                    _create(client, report_document, session_id)
                    for lang in ("zh", "zh", "en"):  # second zh: served from the cache
                        response = client.get(f"/api/interview/sessions/{session_id}/export", params={"lang": lang})
                        key = str(response.status_code)
                        ok = (response.status_code == 200 and response.content.startswith(b"%PDF-")
                              and response.headers.get("content-type") == "application/pdf")
                        busy = response.status_code == 503 and response.headers.get("retry-after", "").isdigit()
                        with lock:
                            statuses[key] += 1
                            if not (ok or busy):
                                problems.append(f"{key} {response.headers} {response.content[:200]!r}")
                        if busy:
                            time.sleep(min(int(response.headers["retry-after"]), 2) * 0.25)
                except (httpx.HTTPError, AssertionError) as error:
                    with lock:
                        statuses["error"] += 1
                        problems.append(repr(error)[:300])

    def sample_rss() -> None:
        while time.monotonic() < stop_at:
            rss.append(rss_kib(server.process.pid))
            time.sleep(1)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
    sampler = threading.Thread(target=sample_rss)
    try:
        for thread in threads + [sampler]:
            thread.start()
        for thread in threads + [sampler]:
            thread.join(LOAD_SECONDS + 180)
    finally:
        server.stop()
    quarter = max(1, len(rss) // 4)
    early, late = max(rss[:quarter]), max(rss[-quarter:])
    print(f"\nload: {CLIENTS} clients, {LOAD_SECONDS:.0f} s, statuses {dict(statuses)}, "
          f"server RSS KiB first quarter max {early}, last quarter max {late}, overall max {max(rss)}")
    assert problems == []
    assert statuses["200"] > 0
    assert "500" not in statuses
    assert late < early * 2 + 200_000, (early, late)  # only gross growth fails; numbers are in the output
    assert _stray_compiles(server) == []


@pytest.mark.slow
def test_kill_9_mid_compile_loses_no_session_and_restart_exports(tmp_path, report_document):
    db_url = f"sqlite:///{tmp_path / 'crash.db'}"
    server = Server(tmp_path, db_url).start()
    reports = {}
    try:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            for n in range(5):
                session_id = f"crash{n}{uuid.uuid4().hex[:8]}"
                _create(client, report_document, session_id)
                reports[session_id] = client.get(f"/api/interview/sessions/{session_id}/report").json()
        victim = next(iter(reports))
        result: dict = {}

        def export() -> None:
            try:
                result["response"] = httpx.get(f"{server.base}/api/interview/sessions/{victim}/export", timeout=120)
            except httpx.HTTPError as error:
                result["error"] = error

        exporter = threading.Thread(target=export)
        exporter.start()
        wait_until(lambda: _stray_compiles(server), "the export's compile to start")
        server.kill9()
        exporter.join(60)
        assert "error" in result  # the connection dropped; no half PDF was served as complete
    finally:
        server.stop()
    # Orphaned compiles end on their own (their own process group survives the server): wait for them.
    wait_until(lambda: not _stray_compiles(server), "the orphaned compiles to end on their own", 90)
    restarted = Server(tmp_path, db_url).start()
    try:
        with httpx.Client(base_url=restarted.base, timeout=120) as client:
            for session_id, before in reports.items():
                after = client.get(f"/api/interview/sessions/{session_id}/report")
                assert after.status_code == 200 and after.json() == before, session_id
            response = client.get(f"/api/interview/sessions/{victim}/export")
            assert response.status_code == 200 and response.content.startswith(b"%PDF-")
            assert response.content.rstrip().endswith(b"%%EOF")
    finally:
        restarted.stop()
    # The killed server's worker folders are removed by the restarted one (jobdirs.remove_orphans).
    leftovers = sorted(p.name for p in server.tmp.iterdir() if p.name.startswith("texreport-"))
    assert leftovers == []


@pytest.mark.postgres
def test_postgres_restart_fails_cleanly_and_recovers(tmp_path, report_document, pg_url, pg_restart):
    server = Server(tmp_path, pg_url).start()
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            session_id = f"pg{uuid.uuid4().hex[:10]}"
            _create(client, report_document, session_id)
            pg_restart()

            def recovered() -> bool:
                response = client.get(f"/api/interview/sessions/{session_id}/report")
                assert response.status_code in (200, 503), response.text[:300]
                return response.status_code == 200

            wait_until(recovered, "the report to be served again after the PostgreSQL restart", 60, interval=0.5)
            response = client.get(f"/api/interview/sessions/{session_id}/export")
            assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    finally:
        server.stop()


def test_client_disconnect_mid_compile_leaves_nothing_behind(tmp_path, report_document):
    """A client that hangs up mid-export: the compile ends (bounded), fills the cache, leaves nothing."""
    server = Server(tmp_path, f"sqlite:///{tmp_path / 'gone.db'}").start()
    session_id = f"gone{uuid.uuid4().hex[:10]}"
    try:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            _create(client, report_document, session_id)
        host, port = server.base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(f"GET /api/interview/sessions/{session_id}/export HTTP/1.1\r\n"
                        f"Host: {host}\r\nConnection: close\r\n\r\n".encode())
            # the export is accepted and its compile starts; then the client is gone
            wait_until(lambda: _stray_compiles(server), "the export's compile to start")
        with httpx.Client(base_url=server.base, timeout=120) as client:
            responses = []

            def served() -> bool:  # the abandoned compile fills the cache
                responses.append(client.get(f"/api/interview/sessions/{session_id}/export"))
                return responses[-1].status_code == 200

            wait_until(served, "the abandoned compile's PDF to be served", 90, interval=0.5)
            assert responses[-1].content.startswith(b"%PDF-")
    finally:
        server.stop()
    assert _stray_compiles(server) == []
    assert sorted(p.name for p in server.tmp.iterdir() if p.name.startswith("texreport-")) == []


# ----------------------------------------------------------------------------- several instances


def _compiles(server: Server) -> float:
    """How many exports this instance compiled, from its /metrics."""
    text = httpx.get(server.base + "/metrics", timeout=30).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("texreport_compile_seconds_count{"))


def _together(calls: list) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(60)
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


def _lease_rows(pg_url: str, session_id: str) -> int:
    from sqlalchemy import create_engine, text

    from texreport.http.store import normalize_url

    engine = create_engine(normalize_url(pg_url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM texreport_leases WHERE session_id = :s"),
                                          {"s": session_id}).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_instances_on_one_postgresql_compile_once_and_survive_each_other(tmp_path, pg_url, report_document):
    # No render-ahead: this test counts the compiles that exports start.
    options = ("--no-warm", "--no-render-ahead", "--lease-seconds", "3", "--max-compiles", "2")
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    first, second = (Server(folder, pg_url, *options).start() for folder in folders)
    try:
        for server in (first, second):
            assert httpx.get(server.base + "/readyz", timeout=120).status_code == 200   # probe compile done
        session_id = f"multi{uuid.uuid4().hex[:10]}"
        with httpx.Client(base_url=first.base, timeout=120) as client:
            _create(client, report_document, session_id)
        url = f"/api/interview/sessions/{session_id}/export"

        # Concurrent exports of one session through both instances: one compile, one PDF.
        responses = _together([lambda s=s: httpx.get(s.base + url, timeout=180) for s in (first, second) * 3])
        assert [r.status_code for r in responses] == [200] * 6
        assert len({r.content for r in responses}) == 1 and len({r.headers["etag"] for r in responses}) == 1
        assert responses[0].content.startswith(b"%PDF-")
        assert _compiles(first) + _compiles(second) == 1
        for server in (first, second):                                        # both serve the cached PDF
            assert httpx.get(server.base + url, timeout=60).content == responses[0].content
        assert _compiles(first) + _compiles(second) == 1

        # A session deleted through one instance is gone for the other.
        assert httpx.delete(f"{second.base}/api/interview/sessions/{session_id}", timeout=60).status_code == 200
        assert httpx.get(f"{first.base}/api/interview/sessions/{session_id}", timeout=60).status_code == 404
        assert httpx.get(first.base + url, timeout=60).status_code == 404

        # An instance killed mid-compile does not block the other: its lease expires.
        victim = _kill_mid_compile(first, pg_url, report_document)
        compiled_before = _compiles(second)
        response = httpx.get(f"{second.base}/api/interview/sessions/{victim}/export", timeout=180)
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert _compiles(second) == compiled_before + 1                     # it compiled once the lease expired
    finally:
        first.stop()
        second.stop()


def _kill_mid_compile(server: Server, pg_url: str, report_document: dict) -> str:
    """Kill -9 ``server`` while it compiles a new session's PDF under its lease; that session's id."""
    victim = f"kill{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=server.base, timeout=120) as client:
        _create(client, report_document, victim)
    url = f"{server.base}/api/interview/sessions/{victim}/export"
    hung_up = threading.Thread(target=lambda: _swallow(lambda: httpx.get(url, timeout=120)))
    hung_up.start()
    wait_until(lambda: _lease_rows(pg_url, victim) and _stray_compiles(server),
               "the instance to take the lease and start compiling")
    assert _lease_rows(pg_url, victim) == 1, "the instance never took the lease"
    server.kill9()
    hung_up.join(60)
    assert _lease_rows(pg_url, victim) == 1, "the compile finished before the kill: nothing left to take over"
    return victim


def _swallow(call) -> None:
    try:
        call()
    except httpx.HTTPError:
        pass
