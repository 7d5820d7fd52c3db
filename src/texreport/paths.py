"""Where texreport's own files are: the LaTeX sources it ships and its cache folder.

Kept free of heavy imports: the CLI asks for these before it loads pydantic or Jinja2.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["latex_dir", "cache_dir"]


def latex_dir() -> Path:
    """The folder holding the templates, ``preload.tex`` and ``texreport.sty`` (top-level ``latex/``)."""
    return Path(__file__).resolve().parent / "latex"


def cache_dir() -> Path:
    """The cache folder: ``$TEXREPORT_CACHE_DIR``, else ``$XDG_CACHE_HOME/texreport``, else ``~/.cache/texreport``.

    Everything in it can be rebuilt (font coverage, the precompiled format,
    compiled templates); a read-only or missing folder only makes renders slower.
    """
    explicit = os.environ.get("TEXREPORT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "texreport"
