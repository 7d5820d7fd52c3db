"""Where texreport's own files are (the LaTeX sources it ships, its cache folder) and how it writes files.

Kept free of heavy imports: the CLI asks for these before it loads pydantic or Jinja2.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "latex_dir", "user_file_mode", "write_atomic", "xdg_cache_home"]


def latex_dir() -> Path:
    """The folder holding the templates, ``preload.tex`` and ``texreport.sty`` (top-level ``latex/``)."""
    return Path(__file__).resolve().parent / "latex"


def cache_dir() -> Path:
    """The cache folder: ``$TEXREPORT_CACHE_DIR``, else ``$XDG_CACHE_HOME/texreport``, else ``~/.cache/texreport``.

    Everything in it can be rebuilt (font coverage, the precompiled format,
    compiled templates); a read-only or missing folder only makes renders slower.
    """
    explicit = os.environ.get("TEXREPORT_CACHE_DIR")
    return Path(explicit) if explicit else xdg_cache_home() / "texreport"


def xdg_cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache`` (where fontconfig keeps its cache too)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))


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
