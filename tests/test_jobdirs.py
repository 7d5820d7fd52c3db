"""Job folders carry their owner's pid; the sweep removes only those of dead processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from texreport.jobdirs import job_folder, make_job_folder, remove_orphans


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_folders_are_named_with_kind_and_pid(private_tmp):
    folder = make_job_folder("worker")
    assert folder.parent == private_tmp and folder.name.startswith(f"texreport-worker-{os.getpid()}-")
    with job_folder("job") as name:
        assert os.path.basename(name).startswith(f"texreport-job-{os.getpid()}-")
    with pytest.raises(ValueError):
        make_job_folder("../x")


def test_sweep_removes_only_folders_of_dead_processes(private_tmp):
    mine = make_job_folder("worker")
    orphan = private_tmp / f"texreport-batch-{dead_pid()}-abc123"
    orphan.mkdir()
    (orphan / "report.log").write_text("left by a kill -9")
    unrelated = private_tmp / "texreport-notes"
    unrelated.mkdir()
    assert remove_orphans() == [orphan]
    assert mine.exists() and unrelated.exists() and not orphan.exists()
