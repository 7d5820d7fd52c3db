"""Temporary job folders named after the process that owns them, and their sweep.

Every folder texreport creates for a compile is ``texreport-<kind>-<pid>-<random>``
in the temporary directory. A process removes its own folders whatever happens
short of SIGKILL; :func:`remove_orphans` removes the folders of processes that no
longer run (a server or batch killed with ``kill -9``), so they do not pile up.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["job_folder", "make_job_folder", "remove_orphans", "write_files"]

_NAME = re.compile(r"texreport-(job|worker|batch|format)-(\d+)-")


def _prefix(kind: str) -> str:
    if kind not in ("job", "worker", "batch", "format"):
        raise ValueError(f"unknown job folder kind {kind!r}")
    return f"texreport-{kind}-{os.getpid()}-"


def job_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A self-removing folder for one job (``with job_folder("job") as name: …``)."""
    return tempfile.TemporaryDirectory(prefix=_prefix(kind))


def make_job_folder(kind: str) -> Path:
    """A folder the caller removes itself (a warm worker's, which outlives one call)."""
    return Path(tempfile.mkdtemp(prefix=_prefix(kind)))


def write_files(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Write a job's files into ``folder``: text as UTF-8, bytes (a theme's logo) as they are.

    Names are the program's own, never user text.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")


def remove_orphans(base: Path | None = None) -> list[Path]:
    """Remove this user's job folders whose owning process is dead; returns them."""
    base = Path(base or tempfile.gettempdir())
    removed = []
    for folder in base.glob("texreport-*-*-*"):
        match = _NAME.match(folder.name)
        try:
            if not match or folder.stat().st_uid != os.getuid() or _running(int(match.group(2))):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
