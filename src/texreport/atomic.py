"""How texreport writes a file: all or nothing (a temporary name in the same folder, then a rename).

Every file the program writes outside a job folder goes through :func:`write_atomic`:
PDFs of the CLI and batch (with :func:`user_file_mode`), the precompiled formats,
the font-coverage caches, the sample sessions. Kept free of heavy imports, like
:mod:`texreport.paths`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["user_file_mode", "write_atomic"]


def write_atomic(path: Path, data: bytes, *, mode: int | None = None, sync: bool = True) -> None:
    """Write ``data`` so that ``path`` is either absent, the old file, or complete.

    A temporary name in the same folder, then a rename; ``sync`` flushes the data to
    disk before the rename (a crash cannot leave a truncated file under ``path``);
    ``mode`` sets the permissions (``mkstemp`` creates files readable by the owner only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def user_file_mode() -> int:
    """The mode a new file gets from ``open()`` under the current umask (``0o644`` for umask 022).

    Output files (PDFs of the CLI and batch) get it, like any other tool's; the
    umask is read from ``/proc`` where possible (setting it to read it back is not
    thread-safe).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return 0o666 & ~mask
