"""atomic: write_atomic's all-or-nothing writes, user_file_mode."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from texreport import atomic
from texreport.atomic import user_file_mode, write_atomic


def leftovers(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != name)


@pytest.mark.parametrize("old", [None, b"old content"])
@pytest.mark.parametrize("data", [b"", b"new", b"x" * 200_000])
def test_write_atomic_writes_complete_file(tmp_path: Path, old, data: bytes) -> None:
    target = tmp_path / "out.bin"
    if old is not None:
        target.write_bytes(old)
    write_atomic(target, data)
    assert target.read_bytes() == data
    assert leftovers(tmp_path, "out.bin") == []


def test_write_atomic_creates_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    write_atomic(target, b"ok", sync=False)
    assert target.read_bytes() == b"ok"


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640, 0o755])
def test_write_atomic_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "out"
    write_atomic(target, b"x", mode=mode)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_write_atomic_without_mode_is_private(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_atomic(target, b"x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600   # mkstemp's mode


def _fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("where", ["fsync", "chmod", "replace", "write"])
@pytest.mark.parametrize("old", [None, b"old content"])
def test_write_atomic_failure_leaves_old_file_and_no_temporary(monkeypatch, tmp_path: Path, where: str, old) -> None:
    target = tmp_path / "out"
    if old is not None:
        target.write_bytes(old)
    data: object = b"new content"
    if where == "write":
        data = "not bytes"   # the write itself raises (TypeError)
    else:
        monkeypatch.setattr(atomic.os, where, _fail)
    with pytest.raises((OSError, TypeError)):
        write_atomic(target, data, mode=0o644)  # type: ignore[arg-type]
    monkeypatch.undo()
    if old is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == old
    assert leftovers(tmp_path, "out") == []


def test_write_atomic_interrupted_cleans_up(monkeypatch, tmp_path: Path) -> None:
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "out", b"data")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_user_file_mode_follows_umask(mask: int) -> None:
    previous = os.umask(mask)
    try:
        assert user_file_mode() == 0o666 & ~mask
    finally:
        os.umask(previous)
