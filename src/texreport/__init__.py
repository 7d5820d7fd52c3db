"""texreport: evaluated mock-interview reports (JSON) → print-quality A4 PDFs via XeLaTeX.

The small public API::

    from texreport import render, load_json
    pdf_bytes = render(load_json(text))

Names are imported lazily so that ``texreport --help`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "render": "pipeline",
    "render_to_file": "pipeline",
    "RenderOptions": "pipeline",
    "Report": "models",
    "load_document": "models",
    "load_json": "models",
    "TexreportError": "errors",
    "InputError": "errors",
    "UnsupportedCharacterError": "errors",
    "LimitError": "errors",
    "RenderError": "errors",
    "CompileError": "errors",
    "CompileTimeout": "errors",
    "ToolMissingError": "errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'texreport' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
