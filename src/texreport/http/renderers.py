"""The service's real renderers: the report pipeline and the progress pipeline under its compile limits.

Both render with the same base options (the compile timeout, the app's compiler,
the default theme); a request's language, generation time and picked theme are
laid over them. Tests replace these with fakes through ``create_app``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..models import Report
from ..progress import SessionInput
from ..theme import Theme
from .exports import Renderer
from .progress_exports import ProgressRenderer

if TYPE_CHECKING:
    from ..pipeline import RenderOptions
    from ..transports import Compiler

__all__ = ["pipeline_progress_renderer", "pipeline_renderer"]


def _base_options(timeout: float, compiler: Compiler | None, theme: Theme | None) -> RenderOptions:
    """``timeout`` per compile, ``theme`` by default, in ``compiler`` (a pool the app owns) or, without one,
    a fresh xelatex per job."""
    from ..compiler import CompileLimits
    from ..pipeline import RenderOptions

    base = RenderOptions(limits=CompileLimits(timeout=timeout), theme=theme)
    return base if compiler is None else replace(base, compiler=compiler)


def _options(base: RenderOptions, lang: str | None, generated_at: datetime | None,
             theme: Theme | None) -> RenderOptions:
    return replace(base, lang=lang, generated_at=generated_at, theme=theme or base.theme)


def pipeline_renderer(timeout: float, *, compiler: Compiler | None = None, theme: Theme | None = None) -> Renderer:
    """A report's PDF (:func:`texreport.pipeline.render`)."""
    from ..pipeline import render as render_pdf

    base = _base_options(timeout, compiler, theme)

    def render(report: Report, *, lang: str | None, generated_at: datetime | None,
               theme: Theme | None = None) -> bytes:
        return render_pdf(report, options=_options(base, lang, generated_at, theme))

    return render


def pipeline_progress_renderer(timeout: float, *, compiler: Compiler | None = None,
                               theme: Theme | None = None) -> ProgressRenderer:
    """The progress PDF of two or more sessions (:func:`texreport.progress_pipeline.render_progress`)."""
    from ..progress_pipeline import render_progress

    base = _base_options(timeout, compiler, theme)

    def render(inputs: Sequence[SessionInput], *, lang: str | None, generated_at: datetime | None,
               theme: Theme | None = None) -> bytes:
        return render_progress(inputs, options=_options(base, lang, generated_at, theme))

    return render
