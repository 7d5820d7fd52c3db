r"""render(document) → PDF bytes: validate, check fonts, lay out, compile.

:func:`prepare` turns a document into the files of a job (pure apart from the
font lookup): the fixed files (:func:`texreport.formats.fixed_files`: ``preload.tex``
with the class and style, ``fonts.tex``, and ``preamble.tex`` inputting both; the
same for every document) and ``body.tex`` (everything about this report, from its
footer labels to ``\end{document}``) with its chart CSVs, under
names the program chooses. :func:`render` hands the job to the compiler that
``RenderOptions.compiler`` names (:mod:`texreport.transports`: a fresh xelatex per
job by default, or a warm :class:`~texreport.workers.WorkerPool` the caller owns),
under the one retry policy (:func:`texreport.transports.compile_job`). Each
compiler owns its job folder and removes it whatever happens; only the PDF bytes
leave it. ``keep_dir`` copies the folder's content out for debugging.

``texreport tex`` writes :attr:`JobSource.files`: the standalone ``report.tex``
(:func:`texreport.drivers.standalone_driver`) with the fixed and document files,
which stock xelatex compiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .atomic import user_file_mode, write_atomic
from .charts import build_charts
from .compiler import CompileLimits
from .coverage import font_chain
from .drivers import BODY_NAME, TEX_NAME, standalone_driver
from .escape import LatexMarkup
from .formats import fixed_files
from .jobdirs import write_files
from .models import Report, iter_text_fields, load_document
from .templating import render_template
from .theme import Theme, resolve_theme
from .transports import ColdCompiler, Compiler
from .transports import compile_job as compile_with_retry
from .view import build_view

__all__ = [
    "JobSource",
    "RenderOptions",
    "assemble_job",
    "check_characters",
    "compile_job",
    "prepare",
    "render",
    "render_to_file",
    "write_source",
]

TEMPLATE = "report.tex.j2"


@dataclass(frozen=True)
class RenderOptions:
    """How to render; every field has a named default."""

    lang: str | None = None                 # overrides the report's language ("zh" or "en")
    generated_at: datetime | None = None    # default: now (UTC); fixes the footer and CreationDate
    limits: CompileLimits = CompileLimits()  # noqa: RUF009 — frozen: one shared default is safe
    compiler: Compiler = ColdCompiler()      # noqa: RUF009 — stateless; or a WorkerPool the caller owns
    theme: Theme | str | None = None        # a Theme, a shipped theme's name or a theme file; None: default


@dataclass(frozen=True)
class JobSource:
    """Everything a compile needs, as file name → content, plus the view it came from.

    ``fixed`` holds the document-independent files (preamble, style) a warm worker
    loads before it knows the document; ``document`` holds this report's files
    (``body.tex``, chart CSVs). ``files`` is the complete cold job folder.
    """

    fixed: dict[str, str | bytes]
    document: dict[str, str]
    view: Any               # ReportView, or the progress report's ProgressView

    @property
    def files(self) -> dict[str, str | bytes]:
        return {TEX_NAME: standalone_driver(), **self.fixed, **self.document}


def _as_report(document: Report | Mapping[str, Any]) -> Report:
    return document if isinstance(document, Report) else load_document(document)


def _pdf_date(moment: datetime) -> LatexMarkup:
    utc = moment.astimezone(UTC)
    return LatexMarkup(utc.strftime("D:%Y%m%d%H%M%SZ"))  # digits only: safe inside a \special


def check_characters(report: Report, theme: Theme | None = None) -> None:
    """Every character of every text field (and of the theme's text) must be drawable in the
    theme's fonts; the error names char and field."""
    chosen = resolve_theme(theme)
    chain = font_chain(chosen.font_set)
    for field_path, text in (*chosen.text_fields(), *iter_text_fields(report)):
        chain.check_text(text, field=field_path)


def prepare(
    document: Report | Mapping[str, Any], *, options: RenderOptions = RenderOptions(), name_prefix: str = ""
) -> JobSource:
    """Validate and lay out ``document``: the files of the job folder (pure apart from font lookup).

    ``name_prefix`` prefixes the chart file names (not ``body.tex``), so that
    several reports can share one job folder (``texreport batch``).
    """
    report = _as_report(document)
    theme = resolve_theme(options.theme)
    check_characters(report, theme)
    generated_at = options.generated_at or datetime.now(UTC)
    view = build_view(report, lang=options.lang, generated_at=generated_at)
    charts = build_charts(view, prefix=name_prefix)
    context = {f.name: getattr(view, f.name) for f in fields(view)}
    context.update(charts=charts, creation_date=_pdf_date(generated_at))
    body = render_template(TEMPLATE, **context)
    return assemble_job(body, charts.files, view, theme=theme)


def assemble_job(body: str, chart_files: Mapping[str, str], view: Any, *, theme: Theme | None = None) -> JobSource:
    """A job from a rendered body and its chart CSVs (any document type: report, progress) in
    ``theme`` (default: the default theme)."""
    theme = resolve_theme(theme)
    # Everything this document typesets is in body.tex (the CSVs hold numbers) or the theme.
    fallback = font_chain(theme.font_set).needs_fallback(body + theme.latex())
    document_files = {BODY_NAME: f"\\xeCJKsetup{{AutoFallBack={'true' if fallback else 'false'}}}\n" + body}
    document_files.update(chart_files)
    return JobSource(fixed=fixed_files(theme), document=document_files, view=view)


def write_source(job: JobSource, folder: Path) -> None:
    """Write a job's standalone files into ``folder`` (names are the program's own, never user text)."""
    write_files(folder, job.files)


def render(
    document: Report | Mapping[str, Any],
    *,
    options: RenderOptions = RenderOptions(),
    keep_dir: Path | None = None,
) -> bytes:
    """Render a report document (model, raw dict or envelope) to PDF bytes.

    ``options.compiler`` compiles (a fresh xelatex by default); the PDF text is
    the same whichever it is.
    """
    return compile_job(prepare(document, options=options), options=options, keep_dir=keep_dir)


def compile_job(job: JobSource, *, options: RenderOptions = RenderOptions(), keep_dir: Path | None = None) -> bytes:
    """Compile a prepared job (any document type) in ``options.compiler``, under the one retry policy."""
    return compile_with_retry(options.compiler, job, limits=options.limits, keep_dir=keep_dir)


def render_to_file(
    document: Report | Mapping[str, Any],
    output: Path,
    *,
    options: RenderOptions = RenderOptions(),
    keep_dir: Path | None = None,
) -> Path:
    """Render and write ``output`` atomically: a temporary name in the same folder, then rename.

    The file gets the permissions the umask gives a new file (like ``open()``).
    """
    data = render(document, options=options, keep_dir=keep_dir)
    write_atomic(Path(output), data, mode=user_file_mode())
    return Path(output)
