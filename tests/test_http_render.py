"""The app in-process with the real renderer (xelatex): a few real compiles, read back."""

from __future__ import annotations

import re
import subprocess
import threading
import uuid

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from texreport.http import Settings, create_app
from texreport.http.renderers import pipeline_renderer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BASE = "/api/interview/sessions"


class CountingRealRenderer:
    """The pipeline renderer the service uses by default, with a call counter."""

    def __init__(self) -> None:
        from texreport.workers import WorkerPool

        self.pool = WorkerPool(spares=1)  # the service default: warm workers
        self.real = pipeline_renderer(120.0, compiler=self.pool)
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, report, *, lang, generated_at):
        with self._lock:
            self.calls += 1
        return self.real(report, lang=lang, generated_at=generated_at)


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, timeout=60,
                         check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


def test_real_export_is_cached_and_invalidated(tmp_path, document):
    renderer = CountingRealRenderer()
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'real.db'}", probe_on_startup=False), renderer=renderer)
    session_id = "r" + uuid.uuid4().hex[:15]
    document["sessionId"] = session_id
    with TestClient(app) as client:
        assert client.post(BASE, json=document).status_code == 200
        client.get(f"{BASE}/{session_id}/report")
        first = client.get(f"{BASE}/{session_id}/export")
        assert first.status_code == 200 and renderer.calls == 1
        text = pdf_text(first.content)
        assert session_id in text and document["candidate"]["name"] in text

        again = client.get(f"{BASE}/{session_id}/export")
        assert again.content == first.content and renderer.calls == 1  # served from the cache: no compile

        client.post(f"{BASE}/{session_id}/answers", json={"questionIndex": 0, "answer": "全新的回答：值相等与引用相等"})
        client.get(f"{BASE}/{session_id}/report")
        changed = client.get(f"{BASE}/{session_id}/export")
        assert changed.status_code == 200 and renderer.calls == 2
        assert "全新的回答：值相等与引用相等" in pdf_text(changed.content)
    renderer.pool.close()
    app.state.store.close()


def test_alternating_languages_are_each_compiled_once(tmp_path, document):
    """zh, en, zh again: the third is the cached zh PDF (the session keeps every variant); after an answer
    none of them is served."""
    from texreport.labels import labels_for

    renderer = CountingRealRenderer()
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'langs.db'}", probe_on_startup=False,
                              render_ahead=False), renderer=renderer)
    session_id = "l" + uuid.uuid4().hex[:15]
    document["sessionId"] = session_id
    url = f"{BASE}/{session_id}/export"
    titles = {lang: re.sub(r"\s+", "", labels_for(lang)["title"]) for lang in ("zh", "en")}
    with TestClient(app) as client:
        assert client.post(BASE, json=document).status_code == 200
        client.get(f"{BASE}/{session_id}/report")
        zh, en, zh_again = (client.get(url, params={"lang": lang}) for lang in ("zh", "en", "zh"))
        assert zh.status_code == en.status_code == zh_again.status_code == 200
        assert renderer.calls == 2 and zh_again.content == zh.content
        assert "texreport_pdf_cache_total{result=\"hit\"} 1.0" in client.get("/metrics").text
        assert titles["zh"] in pdf_text(zh_again.content) and titles["en"] not in pdf_text(zh_again.content)
        assert titles["en"] in pdf_text(en.content) and titles["zh"] not in pdf_text(en.content)

        client.post(f"{BASE}/{session_id}/answers", json={"questionIndex": 0, "answer": "换了一个回答"})
        client.get(f"{BASE}/{session_id}/report")
        en_after = client.get(url, params={"lang": "en"})
        assert en_after.status_code == 200 and renderer.calls == 3 and "换了一个回答" in pdf_text(en_after.content)
        assert client.get(url, params={"lang": "zh"}).content != zh.content and renderer.calls == 4
    renderer.pool.close()
    app.state.store.close()


def test_readiness_proves_a_cjk_compile(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'ready.db'}"))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["data"]["ready"] is True
    app.state.store.close()


def test_stateless_real_pdf_in_english(tmp_path, document):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'stateless.db'}", probe_on_startup=False))
    with TestClient(app) as client:
        response = client.post("/api/reports/pdf", params={"lang": "en"}, json=document)
        assert response.status_code == 200
        assert document["sessionId"] in pdf_text(response.content)
    app.state.store.close()
