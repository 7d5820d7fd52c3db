"""The web page at ``/`` as a person uses it, in Debian's Chromium: each flow, by mouse and by keyboard.

Paste or upload a report, read the validation errors next to the text they name,
create the session, generate its report, read the PDF in the page in either
language, download it, delete the session. The PDFs the page shows are read back
with pdftotext. Screenshots (desktop, 1280 px; phone, 390 px) go to
``screenshot_dir`` (TEXREPORT_SCREENSHOT_DIR keeps them).
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import httpx
from playwright.sync_api import expect

from texreport.labels import labels_for

BASE = "/api/interview/sessions"
EXPORT_TIMEOUT = 120_000


def pdf_words(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                            timeout=60, check=True)
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


def new_id(prefix: str = "p") -> str:
    return prefix + uuid.uuid4().hex[:15]


def report_text(document: dict, session_id: str) -> str:
    return json.dumps({**document, "sessionId": session_id}, ensure_ascii=False, indent=2)


def create_through_the_page(page, text: str) -> None:
    page.fill("#report-json", text)
    page.get_by_role("button", name="Create session").click()


def pdf_pages(pdf: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, timeout=60, check=True)
    return int(re.search(rb"^Pages:\s+(\d+)", result.stdout, re.MULTILINE).group(1))


def shown_pages(page, blob_url: str, expected: int) -> None:
    """Wait until Chromium's PDF viewer in the iframe has laid out ``expected`` pages.

    The viewer is Chromium's built-in extension, a frame inside the iframe's document;
    it draws one ``viewer-thumbnail`` per page in its sidebar.
    """
    def is_viewer(frame) -> bool:
        parent = frame.parent_frame
        return frame.url.startswith("chrome-extension://") and parent is not None and parent.url == blob_url

    viewer = next((frame for frame in page.frames if is_viewer(frame)), None)
    if viewer is None:
        viewer = page.wait_for_event("framenavigated", predicate=is_viewer, timeout=EXPORT_TIMEOUT)
    expect(viewer.locator("viewer-thumbnail")).to_have_count(expected, timeout=EXPORT_TIMEOUT)


def wait_for_pdf(page, action, *, lang: str | None = None) -> bytes:
    """Run ``action``; return the PDF the page fetched for its viewer, once Chromium shows all its pages."""
    def is_export(response) -> bool:
        url = response.url
        return "/export" in url and (lang is None or url.endswith(f"?lang={lang}"))

    with page.expect_response(is_export, timeout=EXPORT_TIMEOUT) as info:
        action()
    response = info.value
    assert response.status == 200
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")
    frame = page.locator("#pdf-frame")
    expect(frame).to_be_visible(timeout=EXPORT_TIMEOUT)
    expect(frame).to_have_attribute("data-lang", lang or "")
    blob_url = frame.get_attribute("src")
    assert blob_url.startswith("blob:")
    shown_pages(page, blob_url, pdf_pages(pdf))
    return pdf


def test_paste_create_generate_view_switch_language_download_delete(page, sqlite_server, document, tmp_path,
                                                                     screenshot_dir):
    session_id = new_id()
    page.goto("/")
    create_through_the_page(page, report_text(document, session_id))

    row = page.locator(f"tr[data-session-id='{session_id}']")
    expect(row.locator("td.status-COMPLETED")).to_be_visible()
    expect(page.locator("#viewer-id")).to_have_text(session_id)
    expect(page.locator("#pdf-placeholder")).to_contain_text("not generated yet")
    expect(page.locator("#download")).to_be_disabled()
    expect(page.locator("#pdf-frame")).to_be_hidden()

    chinese = pdf_words(wait_for_pdf(page, lambda: page.get_by_role("button", name="Generate report").click()))
    assert labels_for("zh")["overall_feedback"] in chinese and session_id in chinese
    expect(row.locator("td.status-EVALUATED")).to_be_visible()
    expect(page.locator("#generate")).to_be_hidden()
    page.screenshot(path=screenshot_dir / "desktop-viewer.png", full_page=True)

    english = pdf_words(wait_for_pdf(page, lambda: page.select_option("#pdf-lang", "en"), lang="en"))
    assert labels_for("en")["overall_feedback"].replace(" ", "") in english
    assert labels_for("zh")["overall_feedback"] not in english

    with page.expect_download(timeout=EXPORT_TIMEOUT) as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename == f"模拟面试报告_{session_id}.pdf"
    saved = tmp_path / "saved.pdf"
    download.save_as(saved)
    assert labels_for("en")["overall_feedback"].replace(" ", "") in pdf_words(saved.read_bytes())

    page.get_by_role("button", name="Delete session").click()
    dialog = page.locator("#confirm-delete")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(session_id)
    page.screenshot(path=screenshot_dir / "desktop-delete-dialog.png")
    dialog.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page.locator("#message")).to_have_text(f"Deleted {session_id}.")
    assert httpx.get(f"{sqlite_server.base_url}{BASE}/{session_id}").status_code == 404


def test_cancelled_delete_keeps_the_session(page, sqlite_server, document):
    session_id = new_id()
    assert httpx.post(f"{sqlite_server.base_url}{BASE}", json={**document, "sessionId": session_id}).status_code == 200
    page.goto("/")
    row = page.locator(f"tr[data-session-id='{session_id}']")
    row.get_by_role("button", name=f"Delete {session_id}").click()
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-delete")).to_be_hidden()
    expect(row.get_by_role("button", name=f"Delete {session_id}")).to_be_focused()
    assert httpx.get(f"{sqlite_server.base_url}{BASE}/{session_id}").status_code == 200


def field_error(page, field: str):
    return page.locator("#error-list li").filter(has=page.locator("code", has_text=re.compile(f"^{re.escape(field)}$")))


def test_validation_errors_name_each_field_and_point_into_the_pasted_text(page, document, screenshot_dir):
    session_id = new_id()
    hostile = "<img src=x onerror=\"window.pwned=1\">"
    broken = {**document, "sessionId": session_id, "overallScore": hostile}
    broken["questionDetails"][1]["score"] = 150
    del broken["questionDetails"][2]["question"]
    text = report_text(broken, session_id)
    page.goto("/")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    create_through_the_page(page, text)

    errors = page.locator("#errors")
    expect(errors).to_be_visible()
    expect(errors).to_be_focused()
    expect(page.locator("#errors-title")).to_have_text("The report has 3 problems")
    expect(page.locator("#report-json")).to_have_attribute("aria-invalid", "true")

    score = field_error(page, "overallScore")
    expect(score).to_contain_text("line 4, column 3")
    # The offending line, as text: the markup is shown literally and never runs.
    expect(score.locator(".snippet")).to_have_text(f'"overallScore": "{hostile.replace(chr(34), chr(92) + chr(34))}",')
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#error-list img").count() == 0

    nested = field_error(page, "questionDetails.1.score")
    expect(nested.locator(".message")).to_contain_text("100")
    nested.get_by_role("button", name="Show questionDetails.1.score in the report JSON").click()
    editor = page.locator("#report-json")
    expect(editor).to_be_focused()
    selected = editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert selected == '"score": 150'
    start = editor.evaluate("e => e.selectionStart")
    assert start == text.index('"score": 150', text.index('"questionIndex": 1'))

    missing = field_error(page, "questionDetails.2.question")
    expect(missing).to_contain_text("is required")
    expect(missing).to_contain_text("missing; inside the value at line")
    expect(missing.locator(".snippet")).to_contain_text('{ "questionIndex": 2,')
    missing.get_by_role("button").click()
    selected = editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)")
    assert json.loads(selected)["questionIndex"] == 2

    assert posts == [f"{page.url.rstrip('/')}{BASE}"]      # one POST; the server found all three
    page.screenshot(path=screenshot_dir / "desktop-errors.png", full_page=True)

    # Fixing the text and sending again creates the session.
    fixed = {**broken, "overallScore": 70}
    fixed["questionDetails"][1]["score"] = 90
    fixed["questionDetails"][2]["question"] = "补上的问题"
    create_through_the_page(page, report_text(fixed, session_id))
    expect(page.locator("#errors")).to_be_hidden()
    expect(page.locator(f"tr[data-session-id='{session_id}']")).to_have_count(1)


def test_text_that_is_not_json_is_located_without_a_request(page):
    text = '{\n  "sessionId": "x1",\n  "overallScore": 70,,\n  "questionDetails": []\n}'
    page.goto("/")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    create_through_the_page(page, text)
    expect(page.locator("#errors-title")).to_have_text("This is not valid JSON")
    expect(page.locator("#error-list")).to_contain_text("line 3, column 22")
    page.get_by_role("button", name="Show the place in the text").click()
    assert page.locator("#report-json").evaluate("e => e.selectionStart") == text.index(",,") + 1
    assert posts == []


def test_an_existing_session_id_is_named(page, sqlite_server, document):
    session_id = new_id()
    text = report_text(document, session_id)
    assert httpx.post(f"{sqlite_server.base_url}{BASE}", content=text.encode()).status_code == 200
    page.goto("/")
    create_through_the_page(page, text)
    expect(page.locator("#errors-title")).to_have_text("This session already exists")
    expect(field_error(page, "sessionId")).to_contain_text("line 2, column 3")


def test_upload_a_file_creates_the_session_and_shows_its_text(page, document, tmp_path):
    session_id = new_id("u")
    path = tmp_path / "报告.json"
    path.write_text(report_text(document, session_id), encoding="utf-8")
    page.goto("/")
    page.set_input_files("#report-file", str(path))
    expect(page.locator("#viewer-id")).to_have_text(session_id)
    expect(page.locator(f"tr[data-session-id='{session_id}']")).to_have_count(1)
    assert json.loads(page.locator("#report-json").input_value())["sessionId"] == session_id
    expect(page.locator("#file-name")).to_contain_text("报告.json")


def focused(page) -> str:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return e.id || `${e.tagName.toLowerCase()}:${e.getAttribute('aria-label') || e.textContent.trim()}`;
    }""")


def test_keyboard_only_with_visible_focus(page, sqlite_server, document):
    """Tab order follows the page; every control shows where the focus is; the whole flow works by keys."""
    session_id = new_id("k")
    page.goto("/")
    expect(page.locator("#sessions")).not_to_have_text("Loading…")
    order = []
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(focused(page))
        # The file input is transparent; its label (the visible button) carries the focus ring.
        outline = page.evaluate("""() => {
            const e = document.activeElement;
            const shown = e.type === 'file' ? e.nextElementSibling : e;
            return getComputedStyle(shown).outlineStyle + ' ' + getComputedStyle(shown).outlineWidth;
        }""")
        assert outline == "solid 3px", f"{order[-1]} shows no focus ring: {outline}"
    assert order == ["report-json", "report-file", "create", "session-id", "lookup-download", "lookup-open",
                         "refresh"]

    page.focus("#report-json")
    page.keyboard.insert_text(report_text(document, session_id))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page) == "create"
    page.keyboard.press("Enter")
    expect(page.locator("#viewer-id")).to_have_text(session_id)
    expect(page.locator("#viewer")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "generate"
    wait_for_pdf(page, lambda: page.keyboard.press("Enter"))

    page.focus("#pdf-lang")
    wait_for_pdf(page, lambda: page.keyboard.press("ArrowDown"), lang="zh")

    page.focus("#delete")
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-cancel")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused(page) == "confirm-ok"
    page.keyboard.press("Enter")
    expect(page.locator(f"tr[data-session-id='{session_id}']")).to_have_count(0)
    assert httpx.get(f"{sqlite_server.base_url}{BASE}/{session_id}").status_code == 404


def test_phone_width_reads_without_sideways_scrolling(phone_page, sqlite_server, document, screenshot_dir):
    page = phone_page
    session_id = new_id("m")
    broken = {**document, "sessionId": session_id, "overallScore": 101}
    page.goto("/")
    create_through_the_page(page, report_text(broken, session_id))
    expect(field_error(page, "overallScore")).to_be_visible()
    page.locator("#errors").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "phone-errors.png")

    create_through_the_page(page, report_text(document, session_id))
    expect(page.locator("#viewer-id")).to_have_text(session_id)
    wait_for_pdf(page, lambda: page.get_by_role("button", name="Generate report").click())
    row = page.locator(f"tr[data-session-id='{session_id}']")
    expect(row.locator("td.status-EVALUATED")).to_be_visible()

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Sessions are cards, labelled, with touch-sized buttons.
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    assert row.locator("td.status-EVALUATED").evaluate("c => getComputedStyle(c, '::before').content") == '"Status: "'
    for box in (b.bounding_box() for b in row.get_by_role("button").all()):
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.locator("#viewer").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "phone-viewer.png")
    page.locator("#sessions-section").screenshot(path=screenshot_dir / "phone-sessions.png")


def test_open_unknown_session_says_so(page):
    page.goto("/")
    page.fill("#session-id", new_id("nobody"))
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.locator("#pdf-placeholder")).to_have_text("Session not found. Please check the session ID.")


def test_errors_in_an_enveloped_report_point_inside_data(page, sample_document):
    """The API names fields relative to the report object; the pasted envelope has them under ``data``."""
    enveloped = json.loads(json.dumps(sample_document))
    enveloped["data"]["sessionId"] = new_id("e")
    enveloped["data"]["categoryScores"][3]["score"] = -5
    text = json.dumps(enveloped, ensure_ascii=False, indent=2)
    page.goto("/")
    create_through_the_page(page, text)
    error = field_error(page, "categoryScores.3.score")
    expect(error).to_be_visible()
    error.get_by_role("button").click()
    editor = page.locator("#report-json")
    assert editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)") == '"score": -5'


def test_positions_survive_escapes_and_nesting(page):
    """The page's JSON locator agrees with the JSON parser on strings with escapes, unicode and nesting."""
    text = ('{"a\\"b": "x\\\\", "q": [1, {"k": "\\u4e2d\\"}"}, [true, null]], '
            '"questionDetails": [{"score": 1e2}, {"score": -0.5, "feedback": "第二 \\n 行"}]}')
    assert json.loads(text)["q"][1]["k"] == '中"}'
    page.goto("/")
    spans = page.evaluate("t => Object.fromEntries(locateJson(t))", text)
    picked = {path: text[start:end] for path, (start, end) in spans.items()}
    assert picked["a\"b"] == '"a\\"b": "x\\\\"'
    assert picked["q.1.k"] == '"k": "\\u4e2d\\"}"'
    assert picked["q.2.1"] == "null"
    assert picked["questionDetails.1.score"] == '"score": -0.5'
    assert picked["questionDetails.1.feedback"] == '"feedback": "第二 \\n 行"'
    assert picked[""] == text
    for broken, offset in (('{"a": 1,}', 8), ('{"a": "x', 6), ("[1 2]", 3), ('{"a": tru}', 6)):
        error = page.evaluate("t => { try { locateJson(t); return null; } catch (e) { return e.offset; } }", broken)
        assert error == offset, broken


def test_the_page_never_parses_text_as_html():
    """Every text reaches the page through textContent: no HTML-parsing sink in its script."""
    from texreport.http.routes.probes import STATIC_DIR

    source = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    script = source.split("<script>", 1)[1]
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser", "eval(",
                 "new Function", "srcdoc"):
        assert sink not in script, sink


def test_a_browser_without_a_pdf_viewer_is_told_to_download(browser, sqlite_server, document):
    """Chrome on Android has no PDF viewer (navigator.pdfViewerEnabled is false): the page says so."""
    from conftest import open_page

    context, page, outside = open_page(browser, sqlite_server.base_url, viewport={"width": 390, "height": 844},
                                       is_mobile=True, has_touch=True)
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'pdfViewerEnabled', {get: () => false})")
    try:
        session_id = new_id("v")
        page.goto("/")
        create_through_the_page(page, report_text(document, session_id))
        page.get_by_role("button", name="Generate report").click()
        expect(page.locator("#pdf-placeholder")).to_have_text(
            "This browser cannot show PDFs inside a page: use Download PDF.", timeout=EXPORT_TIMEOUT)
        expect(page.locator("#pdf-frame")).to_be_hidden()
        with page.expect_download(timeout=EXPORT_TIMEOUT) as info:
            page.locator("#download").click()
        assert info.value.suggested_filename == f"模拟面试报告_{session_id}.pdf"
    finally:
        context.close()
    assert outside == []
