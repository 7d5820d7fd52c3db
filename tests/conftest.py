"""Shared fixtures: sample documents, a cached real render, the tests' private PostgreSQL.

Helpers live in pdfcheck.py (PDFs) and pgserver.py (the PostgreSQL server).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pdfcheck import render_file
from pgserver import PrivateServer, discard, start_private_server

# Overrides: an existing PostgreSQL (its database is shared with other runs: tests use
# unique session ids) and, for the restart test, a shell command that restarts it.
PG_URL_OVERRIDE = os.environ.get("TEXREPORT_TEST_PG_URL")
PG_RESTART_OVERRIDE = os.environ.get("TEXREPORT_TEST_PG_RESTART")


@pytest.fixture(scope="session")
def sample_document() -> dict[str, Any]:
    from texreport.sample import sample_json

    return json.loads(sample_json())


@pytest.fixture(scope="session")
def sample_report(sample_document):
    from texreport.models import load_document

    return load_document(sample_document)


@pytest.fixture
def document(sample_document) -> dict[str, Any]:
    """A fresh, mutable copy of the sample report object (without the envelope)."""
    data = copy.deepcopy(sample_document)
    return data["data"] if "data" in data and "code" in data else data


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory, sample_document) -> Path:
    """The sample report rendered once per test session."""
    return render_file(sample_document, tmp_path_factory.mktemp("sample") / "sample.pdf")


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateServer]:
    """This process's own PostgreSQL (one per xdist worker), stopped and removed at the end."""
    server = start_private_server()
    yield server
    discard(server)


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> str:
    """SQLAlchemy URL of a PostgreSQL database for the tests: TEXREPORT_TEST_PG_URL, else a private server."""
    if PG_URL_OVERRIDE:
        return PG_URL_OVERRIDE
    server: PrivateServer = request.getfixturevalue("private_postgres")
    return server.url


@pytest.fixture(scope="session")
def pg_restart(request: pytest.FixtureRequest, pg_url: str) -> Callable[[], None]:
    """Restarts the server behind ``pg_url`` (TEXREPORT_TEST_PG_RESTART's command with the override)."""
    if PG_URL_OVERRIDE:
        if not PG_RESTART_OVERRIDE:
            pytest.skip("TEXREPORT_TEST_PG_URL names an outside server; set TEXREPORT_TEST_PG_RESTART to "
                        "a command that restarts it (or unset both to use the tests' own server)")
        command = PG_RESTART_OVERRIDE
        return lambda: subprocess.run(command, shell=True, check=True, timeout=120)
    server: PrivateServer = request.getfixturevalue("private_postgres")
    return server.restart
