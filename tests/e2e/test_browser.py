"""The web page in Debian's headless Chromium, driven by Playwright (which downloads no browser).

What a person sees: the download's file name decodes to ``模拟面试报告_{id}.pdf``, the
progress bar reaches 100 %, and the API page's messages appear for 404 and 400.
"""

from __future__ import annotations

import uuid

import httpx
from playwright import sync_api

BASE = "/api/interview/sessions"


def create_session(server, document, *, generate: bool) -> str:
    session_id = "b" + uuid.uuid4().hex[:15]
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        assert client.post(BASE, json={**document, "sessionId": session_id}).status_code == 200
        if generate:
            assert client.get(f"{BASE}/{session_id}/report").status_code == 200
    return session_id


def download_row(page, session_id: str):
    row = page.locator(f"tr[data-session-id='{session_id}']")
    row.wait_for()
    with page.expect_download(timeout=120_000) as info:
        row.get_by_role("button", name="Download PDF").click()
    return info.value


def test_download_gets_the_chinese_file_name(page, sqlite_server, document, tmp_path):
    session_id = create_session(sqlite_server, document, generate=True)
    page.goto("/")
    download = download_row(page, session_id)
    assert download.suggested_filename == f"模拟面试报告_{session_id}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert page.locator("#progress").evaluate("bar => bar.value") == 100
    sync_api.expect(page.locator("#message")).to_have_text(f"Downloaded 模拟面试报告_{session_id}.pdf")


def test_not_generated_shows_the_page_message_then_downloads(page, sqlite_server, document):
    session_id = create_session(sqlite_server, document, generate=False)
    page.goto("/")
    messages = []
    page.expose_function("recordMessage", lambda text: messages.append(text))
    page.evaluate("""() => new MutationObserver(() => window.recordMessage(
        document.getElementById('message').textContent)).observe(
        document.getElementById('message'), {childList: true, characterData: true, subtree: true})""")
    download = download_row(page, session_id)
    assert download.suggested_filename == f"模拟面试报告_{session_id}.pdf"
    assert "Report not generated yet. Generating now..." in messages
    page.locator(f"tr[data-session-id='{session_id}'] td.status-EVALUATED").wait_for()


def test_unknown_session_shows_the_page_message(page):
    page.goto("/")
    page.fill("#session-id", "unknown" + uuid.uuid4().hex[:8])
    page.click("#lookup-download")
    # expect() polls without eval (the page's CSP forbids 'unsafe-eval', rightly).
    sync_api.expect(page.locator("#message")).to_have_text("Session not found. Please check the session ID.")
