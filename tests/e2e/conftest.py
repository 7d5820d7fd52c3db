"""A real ``texreport serve`` process on loopback, and Debian's Chromium, for the end-to-end tests.

The browser is ``/usr/bin/chromium`` (scripts/install.sh installs it), driven by
Playwright's Python package, which never downloads a browser here; it runs headless
without a sandbox (root in CI) and without background networking.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import httpx

from waiting import wait_until

TEXREPORT = Path(sys.executable).parent / "texreport"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base_url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def start_server(db_url: str, log_path: Path, *extra: str) -> Server:
    """Start ``texreport serve`` and wait until /healthz answers (the CLI as a user runs it)."""
    port = free_port()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [str(TEXREPORT), "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db_url, *extra],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, cwd=log_path.parent,
        )
    base_url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"texreport serve exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, "texreport serve to answer /healthz", 30, interval=0.1)
    except AssertionError:
        process.kill()
        raise
    return Server(base_url, port, process, log_path)


def stop_server(server: Server) -> int:
    server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
        raise


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """One server per module and store backend."""
    folder = tmp_path_factory.mktemp("serve")
    if request.param == "sqlite":
        db_url = f"sqlite:///{folder / 'texreport.db'}"
    else:
        db_url = request.getfixturevalue("pg_url")
    running = start_server(db_url, folder / "serve.log", "--max-compiles", "2")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("serve-sqlite")
    running = start_server(f"sqlite:///{folder / 'texreport.db'}", folder / "serve.log")
    yield running
    stop_server(running)


@pytest.fixture
def server_control():
    """``(start_server, stop_server)`` for tests that manage their own process (no ``import conftest``)."""
    return start_server, stop_server


# ---------------------------------------------------------------------- the browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps", "--no-first-run",
                 "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--metrics-recording-only"]


# Not the network: the page's own blobs, and Chromium's PDF viewer (its resources are built in).
BROWSER_INTERNAL = ("blob:", "data:", "chrome:", "chrome-extension:", "chrome-untrusted:")


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "/usr/bin/chromium is missing: run scripts/install.sh (Debian's chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def open_page(browser, base_url: str, **context_options):
    """A new context and page on ``base_url``; every network request elsewhere is aborted and recorded."""
    context = browser.new_context(accept_downloads=True, base_url=base_url, **context_options)
    outside: list[str] = []
    context.route(lambda url: not url.startswith((base_url, *BROWSER_INTERNAL)),
                  lambda route: (outside.append(route.request.url), route.abort()))
    return context, context.new_page(), outside


@pytest.fixture
def page(browser, sqlite_server):
    """A desktop-sized page; the test fails if the page fetched anything off the server (a CDN)."""
    context, opened, outside = open_page(browser, sqlite_server.base_url, viewport={"width": 1280, "height": 900})
    yield opened
    context.close()
    assert outside == []


@pytest.fixture
def phone_page(browser, sqlite_server):
    """A 390 px wide touch screen (an iPhone 12-14's CSS width)."""
    context, opened, outside = open_page(browser, sqlite_server.base_url, viewport={"width": 390, "height": 844},
                                         device_scale_factor=2, is_mobile=True, has_touch=True)
    yield opened
    context.close()
    assert outside == []


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where the page tests leave their screenshots (TEXREPORT_SCREENSHOT_DIR to keep them somewhere)."""
    chosen = os.environ.get("TEXREPORT_SCREENSHOT_DIR")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("screenshots")
