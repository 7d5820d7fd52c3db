"""A real ``texreport serve`` process on loopback, for the end-to-end and browser tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import httpx

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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"texreport serve exited: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return Server(base_url, port, process, log_path)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("texreport serve did not answer /healthz within 30 s")


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
