"""Shared fixtures: sample documents and a cached real render (helpers live in pdfcheck.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pdfcheck import render_file


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


# ----------------------------------------------------------------------------- PostgreSQL
# Minimal private server for the service tests (the test-infra branch replaces it with
# its own fixture of the same name): TEXREPORT_TEST_PG_URL if set, else initdb + pg_ctl
# in a temporary folder, on a Unix socket only, stopped at the end of the session.


def _pg_bin() -> "Path | None":
    import shutil

    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def pg_url():
    import os
    import subprocess

    if os.environ.get("TEXREPORT_TEST_PG_URL"):
        yield os.environ["TEXREPORT_TEST_PG_URL"]
        return
    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    import shutil
    import tempfile

    # Not under pytest's basetemp: its parents are private to root, and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="texreport-pg-"))
    data, socket_dir = folder / "data", folder / "sock"
    socket_dir.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as Debian's postgres user
        as_user = ["runuser", "-u", "postgres", "--"]
        subprocess.run(["chown", "-R", "postgres", str(folder)], check=True)
        folder.chmod(0o755)

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr[-2000:]}")

    run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-c listen_addresses='' -c fsync=off -k {socket_dir}"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o", options, "start")
    try:
        yield f"postgresql://postgres@/postgres?host={socket_dir}"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
