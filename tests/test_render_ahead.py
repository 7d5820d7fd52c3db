"""Render-ahead: a generated report's PDF is ready before it is asked for, never stale, never in
the way of an on-demand export, bounded, and a cancelled job leaves no process or folder.

The app runs in-process with a fake renderer whose background calls can be held on an event
(no sleeps: every wait is on an event or on :meth:`RenderAhead.wait_idle`); the cancellation
test kills a real xelatex.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from texreport.http import Settings, create_app
from texreport.http.render_ahead import RenderAhead
from texreport.http.store import Store

BASE = "/api/interview/sessions"
GUARD = 120  # seconds: only a deadlock guard, never a timing assertion


class GatedRenderer:
    """A fake PDF holding the report's answers; background calls wait for ``release`` if ``hold``."""

    def __init__(self, *, hold: bool = False) -> None:
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple[str, bool]] = []
        self._lock = threading.Lock()

    def __call__(self, report, *, lang, generated_at) -> bytes:
        background = threading.current_thread().name.startswith("texreport-render-ahead")
        with self._lock:
            self.calls.append((report.session_id, background))
        if background and self.hold:
            self.entered.set()
            assert self.release.wait(GUARD)
        answers = [d.user_answer for d in report.question_details]
        body = json.dumps({"session": report.session_id, "answers": answers}, ensure_ascii=False)
        return b"%PDF-1.4\n" + body.encode() + b"\n%%EOF\n"

    def count(self, *, background: bool) -> int:
        with self._lock:
            return sum(1 for _, in_background in self.calls if in_background == background)


def content(response) -> dict:
    return json.loads(response.content.split(b"\n")[1])


@pytest.fixture
def make_client(tmp_path):
    apps = []

    def make(renderer: GatedRenderer) -> TestClient:
        settings = Settings(db_url=f"sqlite:///{tmp_path / f'ahead{len(apps)}.db'}", probe_on_startup=False,
                            render_ahead=True)
        app = create_app(settings, renderer=renderer)
        apps.append(app)
        return TestClient(app)

    yield make
    for app in apps:
        app.state.store.close()


def new_session(client: TestClient, document: dict) -> str:
    session_id = "ra" + uuid.uuid4().hex[:14]
    body = dict(document, sessionId=session_id)
    assert client.post(BASE, json=body).status_code == 200
    return session_id


def ahead_of(client: TestClient) -> RenderAhead:
    ahead = client.app.state.services.exports.ahead
    assert ahead is not None
    return ahead


def test_the_pdf_is_ready_before_the_click_and_counted(make_client, document):
    renderer = GatedRenderer()
    with make_client(renderer) as client:
        session_id = new_session(client, document)
        assert client.get(f"{BASE}/{session_id}/report").status_code == 200
        assert ahead_of(client).wait_idle(GUARD)
        assert renderer.count(background=True) == 1
        memory = client.app.state.services.exports.memory
        assert len(memory) == 1                                # kept in memory too: no database read to serve it
        export = client.get(f"{BASE}/{session_id}/export")
        assert export.status_code == 200 and content(export)["session"] == session_id
        assert renderer.count(background=False) == 0          # served from the cache, no compile
        assert ahead_of(client).stats.hits == 1
        metrics = client.get("/metrics").text
        assert re.search(r"^texreport_render_ahead_hits_total [1-9]", metrics, re.MULTILINE), metrics


def test_an_answer_discards_the_stale_job_and_no_stale_pdf_is_ever_served(make_client, document):
    renderer = GatedRenderer(hold=True)
    with make_client(renderer) as client:
        session_id = new_session(client, document)
        client.get(f"{BASE}/{session_id}/report")
        assert renderer.entered.wait(GUARD)                  # the old report is compiling ahead
        answer = {"questionIndex": document["questionDetails"][0]["questionIndex"], "answer": "全新的回答 NEW"}
        assert client.post(f"{BASE}/{session_id}/answers", json=answer).status_code == 200
        client.get(f"{BASE}/{session_id}/report")            # regenerated: queued behind the held job
        fresh = client.get(f"{BASE}/{session_id}/export")    # takes the queued job over
        assert "全新的回答 NEW" in content(fresh)["answers"]
        renderer.release.set()                                # the stale compile finishes now …
        assert ahead_of(client).wait_idle(GUARD)
        again = client.get(f"{BASE}/{session_id}/export")    # … and is not what the cache holds
        assert again.content == fresh.content and renderer.count(background=False) == 1
        stats = ahead_of(client).stats
        assert stats.discarded == 1 and stats.claimed == 1 and stats.compiled == 0


def test_an_on_demand_export_never_waits_behind_background_work(make_client, document):
    renderer = GatedRenderer(hold=True)
    with make_client(renderer) as client, ThreadPoolExecutor(1) as pool:
        first = new_session(client, document)
        client.get(f"{BASE}/{first}/report")
        assert renderer.entered.wait(GUARD)                  # background busy with the first report
        second = new_session(client, document)
        client.get(f"{BASE}/{second}/report")                # queued behind it
        export = pool.submit(client.get, f"{BASE}/{second}/export").result(GUARD)
        assert export.status_code == 200 and content(export)["session"] == second
        assert not renderer.release.is_set()                 # answered while the background job still ran
        assert renderer.count(background=False) == 1
        renderer.release.set()
        assert ahead_of(client).wait_idle(GUARD)


def test_an_export_of_a_pdf_being_prepared_joins_that_compile(make_client, document):
    renderer = GatedRenderer(hold=True)
    with make_client(renderer) as client, ThreadPoolExecutor(1) as pool:
        session_id = new_session(client, document)
        client.get(f"{BASE}/{session_id}/report")
        assert renderer.entered.wait(GUARD)
        ahead, claimed = ahead_of(client), threading.Event()
        claim = ahead.claim
        ahead.claim = lambda key: (claim(key), claimed.set())[0]  # type: ignore[method-assign]
        waiting = pool.submit(client.get, f"{BASE}/{session_id}/export")
        assert claimed.wait(GUARD)                           # the export asked while the compile still ran
        renderer.release.set()
        export = waiting.result(GUARD)
        assert export.status_code == 200 and content(export)["session"] == session_id
        assert renderer.count(background=False) == 0 and renderer.count(background=True) == 1
        assert ahead_of(client).stats.joined == 1


def test_a_flood_of_reports_stays_bounded_and_exports_still_answer(make_client, document):
    renderer = GatedRenderer(hold=True)
    with make_client(renderer) as client:
        ahead = ahead_of(client)
        sessions = [new_session(client, document) for _ in range(ahead.max_pending + 6)]
        client.get(f"{BASE}/{sessions[0]}/report")
        assert renderer.entered.wait(GUARD)                  # one compiles (held), the rest queue
        for session_id in sessions[1:]:
            client.get(f"{BASE}/{session_id}/report")
        assert len(ahead._pending) == ahead.max_pending
        assert ahead.stats.dropped == len(sessions) - 1 - ahead.max_pending  # the oldest went
        last = client.get(f"{BASE}/{sessions[-1]}/export")   # compiled on demand meanwhile
        assert last.status_code == 200 and content(last)["session"] == sessions[-1]
        renderer.release.set()
        assert ahead.wait_idle(GUARD)


def test_a_deleted_session_drops_its_job(make_client, document):
    renderer = GatedRenderer(hold=True)
    with make_client(renderer) as client:
        held = new_session(client, document)
        client.get(f"{BASE}/{held}/report")
        assert renderer.entered.wait(GUARD)
        gone = new_session(client, document)
        client.get(f"{BASE}/{gone}/report")
        assert client.delete(f"{BASE}/{gone}").status_code == 200
        assert ahead_of(client).stats.discarded == 1
        renderer.release.set()
        assert ahead_of(client).wait_idle(GUARD)
        assert renderer.count(background=True) == 1          # the deleted one never compiled


def test_a_cancelled_compile_leaves_no_process_or_folder(tmp_path, document, monkeypatch):
    """A real xelatex that never ends (an endless macro) is killed when its report changes."""
    from texreport.workers import Worker

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    store = Store(f"sqlite:///{tmp_path / 'cancel.db'}")
    store.create_session("cancelme", dict(document, sessionId="cancelme"))
    stored = store.generate_report("cancelme", lambda record: record.document)
    started = threading.Event()
    workers: list[Worker] = []

    def render(report, *, lang, generated_at) -> bytes:
        worker = Worker({"preamble.tex": "\\documentclass{article}\n"})
        workers.append(worker)
        started.set()
        return worker.run({"body.tex": "\\def\\x{\\x}\\x\n"}, timeout=GUARD)

    ahead = RenderAhead(store=store, render=render, version="test", is_busy=lambda: False,
                        abort=lambda: [w.discard() for w in workers])
    try:
        ahead.schedule(stored)
        assert started.wait(GUARD)
        pid = workers[0].pid
        ahead.discard("cancelme")
        assert ahead.wait_idle(GUARD)
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
        assert list(private.iterdir()) == []
        assert store.cached_pdf("cancelme", ahead.key_of(stored)) is None
        assert ahead.stats.discarded == 1 and ahead.stats.compiled == 0
    finally:
        ahead.close()
        store.close()
