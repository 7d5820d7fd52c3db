"""Themes in the service: `texreport serve --theme`, requests pick among them with ?theme=NAME.

Real compiles (the app's own pipeline renderer), read back from the PDFs.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from pdfcheck import pdf_text
from texreport.http import Settings, create_app
from texreport.theme import builtin_theme, load_theme
from themecheck import assert_themed, first_page_images, png_logo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BASE = "/api/interview/sessions"
INK = builtin_theme("ink")


@pytest.fixture
def acme(tmp_path: Path):
    (tmp_path / "acme.png").write_bytes(png_logo((0x0A, 0x6E, 0x5C)))
    path = tmp_path / "acme.toml"
    path.write_text('name = "acme"\n[colours]\nprimary = "0A6E5C"\n[cover]\norganisation = "ACME Hiring"\n'
                    'logo = "acme.png"\n[footer]\ntext = "ACME internal"\n', encoding="utf-8")
    return load_theme(path)


def themed_app(tmp_path: Path, themes) -> TestClient:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'themes.db'}", probe_on_startup=False, themes=themes)
    return TestClient(create_app(settings))


def small(document):
    document["sessionId"] = "t" + uuid.uuid4().hex[:15]
    document["questionDetails"] = document["questionDetails"][:2]
    document["referenceAnswers"] = document.get("referenceAnswers", [])[:2]
    document["totalQuestions"] = 2
    return document


def test_export_picks_a_configured_theme(tmp_path: Path, document) -> None:
    document = small(document)
    session_id = document["sessionId"]
    with themed_app(tmp_path, (builtin_theme(), INK)) as client:
        assert client.post(BASE, json=document).status_code == 200
        assert client.get(f"{BASE}/{session_id}/report").status_code == 200
        plain = client.get(f"{BASE}/{session_id}/export")
        inked = client.get(f"{BASE}/{session_id}/export", params={"theme": "ink"})
        again = client.get(f"{BASE}/{session_id}/export", params={"theme": "ink"})
        named_default = client.get(f"{BASE}/{session_id}/export", params={"theme": "default"})
    assert plain.status_code == inked.status_code == 200
    assert inked.headers["etag"] != plain.headers["etag"]
    assert again.content == inked.content                       # served from the cache
    (tmp_path / "plain.pdf").write_bytes(plain.content)
    (tmp_path / "default.pdf").write_bytes(named_default.content)
    (tmp_path / "ink.pdf").write_bytes(inked.content)
    assert "/Image" not in first_page_images(tmp_path / "plain.pdf")
    assert pdf_text(tmp_path / "default.pdf") == pdf_text(tmp_path / "plain.pdf")
    assert_themed(tmp_path / "ink.pdf", organisation=INK.organisation, footer=INK.footer,
                  primary=INK.colours["primary"], font="DejaVuSerif")


def test_the_first_configured_theme_is_the_default(tmp_path: Path, document, acme) -> None:
    document = small(document)
    with themed_app(tmp_path, (acme, INK)) as client:
        response = client.post("/api/reports/pdf", json=document)
    assert response.status_code == 200
    (tmp_path / "acme.pdf").write_bytes(response.content)
    assert_themed(tmp_path / "acme.pdf", organisation="ACME Hiring", footer="ACME internal", primary="0A6E5C",
                  font="DejaVuSans")


def test_stateless_render_with_a_theme(tmp_path: Path, document, acme) -> None:
    with themed_app(tmp_path, (builtin_theme(), acme)) as client:
        response = client.post("/api/reports/pdf", params={"theme": "acme"}, json=small(document))
    assert response.status_code == 200
    (tmp_path / "out.pdf").write_bytes(response.content)
    assert_themed(tmp_path / "out.pdf", organisation="ACME Hiring", footer="ACME internal", primary="0A6E5C",
                  font="DejaVuSans")


@pytest.mark.parametrize("name", ["nosuch", "ink", "../themes/ink.toml", "/etc/passwd", ""])
def test_a_theme_that_is_not_configured_is_refused(tmp_path: Path, document, name: str) -> None:
    document = small(document)
    session_id = document["sessionId"]
    with themed_app(tmp_path, ()) as client:                     # only the default theme is offered
        client.post(BASE, json=document)
        client.get(f"{BASE}/{session_id}/report")
        export = client.get(f"{BASE}/{session_id}/export", params={"theme": name})
        stateless = client.post("/api/reports/pdf", params={"theme": name}, json=document)
    assert export.status_code == 422 and export.text == "theme must be one of: default"
    assert stateless.status_code == 422
    assert stateless.json()["data"]["errors"] == [{"field": "theme", "message": "must be one of: default"}]


def test_sessions_are_checked_against_every_offered_theme(tmp_path: Path, document) -> None:
    # Lao: the sans fonts draw it, the serif set of "ink" does not. Accepted means exportable in each theme.
    document = small(document)
    document["overallFeedback"] = "ສະບາຍດີ"
    with themed_app(tmp_path, ()) as client:
        assert client.post(BASE, json=document).status_code == 200
    document["sessionId"] = "t" + uuid.uuid4().hex[:15]
    (tmp_path / "themes.db").unlink()
    with themed_app(tmp_path, (builtin_theme(), INK)) as client:
        refused = client.post(BASE, json=document)
    assert refused.status_code == 422
    assert refused.json()["data"]["errors"][0]["field"] == "overallFeedback"


def test_serve_refuses_a_bad_theme_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[colours]\nprimary = "navy"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "texreport.cli", "serve", "--port", "0", "--db",
                             f"sqlite:///{tmp_path / 's.db'}", "--theme", "ink", "--theme", str(bad)],
                            capture_output=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (f"texreport: error: theme {bad}: colours.primary: "
                                               "'navy' is not a colour RRGGBB (hex)")
    assert not (tmp_path / "s.db").exists()


def test_serve_refuses_two_themes_of_one_name(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "texreport.cli", "serve", "--port", "0", "--db",
                             f"sqlite:///{tmp_path / 's.db'}", "--theme", "ink", "--theme", "ink"],
                            capture_output=True, timeout=120)
    assert result.returncode == 2 and "two --theme options give this name" in result.stderr.decode()


def fake_pdf(*_args, **_kwargs) -> bytes:
    return b"%PDF-1.7\n% fake\n%%EOF\n"


def test_every_route_checks_lang_and_theme_alike(tmp_path: Path) -> None:
    """?lang= and ?theme= are one dependency each: the same 422 on all four routes that take them (plain text on
    the two exports, the envelope naming the field on the two stateless renders), and an id that is not
    well-formed is still "not found" before they are looked at."""
    from texreport.progress_sample import progress_sample_documents

    reports = [document["data"] for document in progress_sample_documents()[:2]]
    for report in reports:
        report["candidate"]["id"] = "cand-1"
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'params.db'}", probe_on_startup=False, warm_workers=False,
                        themes=(builtin_theme(), INK))
    app = create_app(settings, renderer=fake_pdf)
    app.state.services.progress.render = fake_pdf
    with TestClient(app) as client:
        for report in reports:
            assert client.post(BASE, json=report).status_code == 200
            assert client.get(f"{BASE}/{report['sessionId']}/report").status_code == 200
        exports = [f"{BASE}/{reports[0]['sessionId']}/export", "/api/interview/candidates/cand-1/progress/export"]
        stateless = [("/api/reports/pdf", reports[0]), ("/api/reports/progress/pdf", reports)]
        for params in ({}, {"lang": "en"}, {"theme": "ink"}, {"lang": "zh", "theme": "default"}):
            assert [client.get(url, params=params).status_code for url in exports] == [200, 200]
            assert [client.post(url, params=params, json=body).status_code for url, body in stateless] == [200, 200]
        for name, value, message in [("lang", "fr", "must be zh or en"),
                                     ("theme", "nosuch", "must be one of: default, ink")]:
            for url in exports:
                response = client.get(url, params={name: value})
                assert response.status_code == 422 and response.text == f"{name} {message}", url
            for url, body in stateless:
                response = client.post(url, params={name: value}, json=body)
                assert response.status_code == 422, url
                assert response.json()["data"]["errors"] == [{"field": name, "message": message}]
                assert response.json()["message"] == f"invalid request: {name}: {message}"
        for url in (f"{BASE}/bad%20id/export", "/api/interview/candidates/bad%20id/progress/export"):
            response = client.get(url, params={"lang": "fr", "theme": "nosuch"})
            assert response.status_code == 404 and response.content == b"", url
        spec = client.get("/openapi.json").json()["paths"]
    for path, method in [(f"{BASE}/{{session_id}}/export", "get"), ("/api/reports/pdf", "post"),
                         ("/api/interview/candidates/{candidate_id}/progress/export", "get"),
                         ("/api/reports/progress/pdf", "post")]:
        query = {p["name"]: p for p in spec[path][method].get("parameters", []) if p["in"] == "query"}
        assert set(query) == {"lang", "theme"}, path
        assert not any(p["required"] for p in query.values())
        assert "zh" in query["lang"]["description"] and "theme" in query["theme"]["description"]
