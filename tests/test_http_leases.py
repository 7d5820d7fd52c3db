"""Two app instances on one database (in this process, fake renderer): one compile per PDF, leases taken over.

The real multi-process proof (two `texreport serve` on PostgreSQL, one killed
mid-compile) is in test_service_faults.py; these pin the lease logic exactly.
"""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid
from typing import Any

import pytest

pytest.importorskip("fastapi")

import httpx

from texreport.http import Settings, create_app
from texreport.http.exports import cache_key
from waiting import async_wait_until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BASE = "/api/interview/sessions"


class GatedRenderer:
    def __init__(self) -> None:
        self.calls = 0
        self.gate = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, report, *, lang, generated_at) -> bytes:
        with self.lock:
            self.calls += 1
        assert self.gate.wait(30), "gate never opened"
        return b"%PDF-1.7\n% " + report.session_id.encode() + b"\n%%EOF\n"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("pg_url"))


def instance(db_url: str, renderer: GatedRenderer, **settings):
    return create_app(Settings(db_url=db_url, probe_on_startup=False, warm_workers=False, **settings),
                      renderer=renderer)


async def wait_for(predicate, timeout: float = 60.0) -> None:
    await async_wait_until(predicate, "the other instance's lease state", timeout)


def counting_lease_checks(app) -> list[int]:
    """Count how often this instance looked at another instance's lease (it is waiting for its PDF)."""
    store = app.state.store
    seen = [0]
    original = store.lease_holder

    def lease_holder(session_id: str, key: str):
        seen[0] += 1
        return original(session_id, key)

    store.lease_holder = lease_holder
    return seen


async def generated_under_lease(client: httpx.AsyncClient, app: Any, doc: dict[str, Any], holder: str,
                                seconds: float) -> str:
    """Create the session, generate its report, and let ``holder`` (another instance) take the
    export's lease for ``seconds``; the export's cache key."""
    assert (await client.post(BASE, json=doc)).status_code == 200
    assert (await client.get(f"{BASE}/{doc['sessionId']}/report")).status_code == 200
    stored = app.state.store.get_report(doc["sessionId"])
    key = cache_key(stored.canonical, version=app.state.services.version, lang=None, generated_at=stored.generated_at)
    assert app.state.store.take_lease(doc["sessionId"], key, holder, seconds)
    return key


def test_two_instances_compile_a_pdf_once(shared_db, document):
    renderer = GatedRenderer()
    first, second = instance(shared_db, renderer), instance(shared_db, renderer)
    waiting = counting_lease_checks(second)
    doc = copy.deepcopy(document)
    doc["sessionId"] = "i" + uuid.uuid4().hex[:15]
    url = f"{BASE}/{doc['sessionId']}/export"

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://a") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://b") as b:
            assert (await a.post(BASE, json=doc)).status_code == 200
            assert (await a.get(f"{BASE}/{doc['sessionId']}/report")).status_code == 200
            compiling = asyncio.create_task(a.get(url))
            await wait_for(lambda: renderer.calls == 1)          # the first instance holds the lease
            waiter = asyncio.create_task(b.get(url))
            await wait_for(lambda: waiting[0] >= 1)              # the second found it held and waits
            renderer.gate.set()
            return await compiling, await waiter

    one, two = asyncio.run(scenario())
    assert one.status_code == two.status_code == 200
    assert one.content == two.content and one.headers["etag"] == two.headers["etag"]
    assert renderer.calls == 1
    for app in (first, second):
        app.state.store.close()


def test_a_lease_left_by_a_dead_instance_is_taken_over_when_it_expires(shared_db, document):
    renderer = GatedRenderer()
    renderer.gate.set()
    app = instance(shared_db, renderer)
    waiting = counting_lease_checks(app)
    store = app.state.store
    doc = copy.deepcopy(document)
    doc["sessionId"] = "d" + uuid.uuid4().hex[:15]

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as client:
            key = await generated_under_lease(client, app, doc, "a-dead-instance", 1.0)  # never renewed or released
            response = await client.get(f"{BASE}/{doc['sessionId']}/export")
            return response, store.lease_holder(doc["sessionId"], key)

    response, holder_after = asyncio.run(scenario())
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert renderer.calls == 1 and waiting[0] >= 1                # it waited on the dead lease, then compiled
    assert holder_after is None                                   # and released its own lease
    store.close()


def test_waiting_for_another_instance_is_bounded(shared_db, document):
    renderer = GatedRenderer()
    app = instance(shared_db, renderer, lease_seconds=60.0, compile_timeout=0.5)   # gives up after ~61 s …
    app.state.services.exports.give_up_after = 0.5                                 # … here after half a second
    store = app.state.store
    doc = copy.deepcopy(document)
    doc["sessionId"] = "w" + uuid.uuid4().hex[:15]

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as client:
            await generated_under_lease(client, app, doc, "a-live-instance", 60.0)
            return await client.get(f"{BASE}/{doc['sessionId']}/export")

    response = asyncio.run(scenario())
    assert response.status_code == 503 and response.headers["retry-after"].isdigit()
    assert renderer.calls == 0
    store.close()
