"""texreport: evaluated mock-interview reports (JSON) → print-quality A4 PDFs via XeLaTeX.

The small public API::

    from texreport import render, load_document
    pdf_bytes = render(load_document(json.loads(text)))
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    CompileError,
    CompileTimeout,
    InputError,
    LimitError,
    RenderError,
    TexreportError,
    ToolMissingError,
    UnsupportedCharacterError,
)
from .models import Report, load_document, load_json
from .pipeline import RenderOptions, render, render_to_file

__all__ = [
    "__version__",
    "render",
    "render_to_file",
    "RenderOptions",
    "Report",
    "load_document",
    "load_json",
    "TexreportError",
    "InputError",
    "UnsupportedCharacterError",
    "LimitError",
    "RenderError",
    "CompileError",
    "CompileTimeout",
    "ToolMissingError",
]
