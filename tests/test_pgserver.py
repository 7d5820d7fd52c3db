"""The tests' private PostgreSQL (tests/pgserver.py): it runs, restarts, and leaves nothing behind."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from pgserver import ROLE, discard, start_private_server  # noqa: E402 - after the importorskip


def _connect(port: int):
    return psycopg.connect(host="127.0.0.1", port=port, user=ROLE, dbname="texreport", connect_timeout=5)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_server_stores_unicode_restarts_with_its_data_and_is_removed():
    server = start_private_server()
    try:
        assert server.process is not None
        with _connect(server.port) as connection:
            connection.execute("CREATE TABLE t (v text)")
            connection.execute("INSERT INTO t VALUES (%s)", ("模拟面试 ✓ 𠀀",))
            # Not the superuser's rights of the test process: initdb refuses root.
            assert connection.execute("SELECT current_setting('server_encoding')").fetchone() == ("UTF8",)
        owner = Path(f"/proc/{server.process.pid}").stat().st_uid
        if os.geteuid() == 0:
            assert owner != 0
        first_pid = server.process.pid
        server.restart()
        assert server.process.pid != first_pid and not _alive(first_pid)
        with _connect(server.port) as connection:
            assert connection.execute("SELECT v FROM t").fetchall() == [("模拟面试 ✓ 𠀀",)]
    finally:
        pid = server.process.pid if server.process else None
        discard(server)
    assert pid is not None and not _alive(pid)
    assert not server.folder.exists()


def test_server_dies_with_a_killed_test_process(tmp_path):
    """kill -9 of pytest (no finalizer runs): the postmaster gets SIGQUIT from the kernel and exits."""
    here = Path(__file__).resolve().parent
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(here)!r})
        from pgserver import start_private_server
        server = start_private_server()
        print(server.process.pid, server.folder, flush=True)
        sys.stdin.read()  # blocks until the test kills this process (its stdin pipe never closes first)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid_text, folder = owner.stdout.readline().split()
    finally:
        owner.kill()
        owner.wait(timeout=30)
    pid = int(pid_text)
    # A pidfd becomes readable when the process exits (it is not our child: no wait()).
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        pidfd = None  # already gone
    if pidfd is not None:
        try:
            assert select.select([pidfd], [], [], 60)[0], "the postmaster outlived its test process by 60 s"
        finally:
            os.close(pidfd)
    assert not _alive(pid)
    # The next run removes the dead run's folder.
    from pgserver import ROOT, remove_stale_folders

    assert Path(folder).exists()
    remove_stale_folders(ROOT)
    assert not Path(folder).exists()
