"""The Jinja2 environment that writes LaTeX: safe delimiters, escape by default.

Delimiters never occur in LaTeX or in the template's own TeX: ``\\VAR{…}`` prints,
``\\BLOCK{…}`` controls, ``\\#{…}`` comments. Every printed value goes through
:func:`~texreport.escape.escape_text` unless it is already
:class:`~texreport.escape.LatexMarkup` (LaTeX our code produced), so forgetting a
filter can only over-escape, never inject. Undefined names are errors.

The environment (and so each compiled template) is built once per process and
shared: compiling ``report.tex.j2`` costs ~20 ms, paid once in a batch or the
server; it holds no per-render state. Pure: it reads the templates and writes no
file (no bytecode cache: it saved those ~20 ms once per process, ~2 % of a CLI
render).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Any

import jinja2

from .escape import LatexMarkup, escape_text
from .markdown import markdown_to_latex
from .paths import latex_dir
from .view import chart_label

__all__ = ["make_environment", "render_template", "pdf_string", "keep_edge_spaces"]


def _finalize(value: Any) -> Any:
    if isinstance(value, LatexMarkup):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"refusing to print {value!r} into LaTeX; the template should test it")
    if isinstance(value, (int, float)):
        return LatexMarkup(str(value))
    return escape_text(str(value))


def pdf_string(text: str) -> LatexMarkup:
    """A PDF text string as hex UTF-16BE (``<FEFF…>``): safe inside any \\special."""
    cleaned = "".join(
        ch for ch in unicodedata.normalize("NFC", str(text))
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch in "\t"
    )
    data = cleaned.encode("utf-16-be", errors="replace")
    return LatexMarkup("<FEFF" + data.hex().upper() + ">")


def keep_edge_spaces(text: str) -> LatexMarkup:
    """Escape ``text`` but keep a leading/trailing space (labels glued to numbers: "Page " + 3)."""
    text = str(text)
    before = "\\ " if text[:1].isspace() else ""
    after = "\\ " if text[-1:].isspace() else ""
    return LatexMarkup(before + escape_text(text) + after)


def make_environment(*, search_path: Path | None = None) -> jinja2.Environment:
    """A fresh environment reading templates from ``search_path`` (default: :func:`~texreport.paths.latex_dir`)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(search_path or latex_dir())),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix=None,
        line_comment_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,   # our escaping is LaTeX's, applied in finalize
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda text: markdown_to_latex(str(text))
    env.filters["e"] = lambda text: escape_text(str(text))
    env.filters["pdfstring"] = pdf_string
    env.filters["spaced"] = keep_edge_spaces
    env.filters["chart_label"] = lambda text: escape_text(chart_label(str(text)))
    return env


@functools.lru_cache(maxsize=4)
def _shared_environment(search_path: str) -> jinja2.Environment:
    return make_environment(search_path=Path(search_path))


def render_template(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``; returns the LaTeX source.

    Templates are compiled once per process (Jinja re-reads a template only when
    its file changes on disk).
    """
    template = _shared_environment(str(latex_dir())).get_template(name)
    return template.render(**context)
