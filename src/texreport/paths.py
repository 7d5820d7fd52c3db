"""Where texreport's own files are: the LaTeX sources it ships and its cache folder (writes: :mod:`texreport.atomic`).

Kept free of heavy imports: the CLI asks for these before it loads pydantic or Jinja2.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "latex_dir", "xdg_cache_home"]


def latex_dir() -> Path:
    """The folder holding the templates, ``preload.tex`` and ``texreport.sty`` (top-level ``latex/``)."""
    return Path(__file__).resolve().parent / "latex"


def cache_dir() -> Path:
    """The cache folder: ``$TEXREPORT_CACHE_DIR``, else ``$XDG_CACHE_HOME/texreport``, else ``~/.cache/texreport``.

    Everything in it can be rebuilt (font coverage, the precompiled formats); a
    read-only or missing folder only makes renders slower.
    """
    explicit = os.environ.get("TEXREPORT_CACHE_DIR")
    return Path(explicit) if explicit else xdg_cache_home() / "texreport"


def xdg_cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache`` (where fontconfig keeps its cache too)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))
