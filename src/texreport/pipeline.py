r"""render(document) → PDF bytes: validate, check fonts, lay out, compile.

This module owns the job folder: each render gets a fresh temporary directory,
writes the LaTeX source, the chart CSVs and the code-block files into it under
names the program chooses, runs one sandboxed xelatex pass, and removes the
folder whatever happens. Only the PDF bytes leave it. ``keep_dir`` copies the
folder's content out for debugging instead of losing it.

The source is split so that a precompiled format and warm workers can help:
the fixed files (:func:`texreport.formats.fixed_files`: ``preload.tex`` with the
class and style, ``fonts.tex``, and ``preamble.tex`` inputting both; the same for
every document) and ``body.tex`` (everything about this report, from its footer
labels to ``\end{document}``). ``report.tex`` inputs the preamble and the body:
the standalone source. A cold compile starts xelatex from the cached format of
``preload.tex`` when there is one (:func:`texreport.formats.ensure_format`) and
inputs ``fonts.tex`` and the body. With ``RenderOptions(warm=True)`` the
process-wide :func:`texreport.workers.shared_pool` compiles instead: an xelatex
that has already loaded the preamble and fonts reads the body, then exits.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .charts import build_charts
from .compiler import CompileLimits, compile_tex, disk_full_as_error
from .errors import CompileError
from .escape import CodeFiles, LatexMarkup
from .fonts import default_chain
from .formats import (
    PREAMBLE_NAME,
    ensure_format,
    fixed_files,
    forget_format,
    format_refused,
    preamble_input,
)
from .jobdirs import job_folder
from .models import Report, iter_text_fields, load_document
from .paths import user_file_mode, write_atomic
from .templating import render_template
from .view import build_view

if TYPE_CHECKING:  # workers import this module; the pool type is only an annotation here
    from .workers import WorkerPool

__all__ = [
    "BODY_NAME",
    "PREAMBLE_NAME",
    "TEX_NAME",
    "JobSource",
    "RenderOptions",
    "assemble_job",
    "check_characters",
    "compile_job",
    "fixed_files",
    "prepare",
    "render",
    "render_to_file",
    "write_atomic",
    "write_source",
]

TEMPLATE = "report.tex.j2"
TEX_NAME = "report.tex"          # the standalone entry point: inputs the preamble, then the body
FORMAT_TEX_NAME = "job.tex"      # the entry point after a precompiled format: fonts, then the body
BODY_NAME = "body.tex"
COLD_DRIVER = "\\input{preamble}\n\\input{body}\n"


@dataclass(frozen=True)
class RenderOptions:
    """How to render; every field has a named default."""

    lang: str | None = None                 # overrides the report's language ("zh" or "en")
    generated_at: datetime | None = None    # default: now (UTC); fixes the footer and CreationDate
    limits: CompileLimits = CompileLimits()
    warm: bool = False                      # compile in warm xelatex workers (same PDF text)
    pool: WorkerPool | None = None          # the workers for warm=True; None: workers.shared_pool()


@dataclass(frozen=True)
class JobSource:
    """Everything a compile needs, as file name → content, plus the view it came from.

    ``fixed`` holds the document-independent files (preamble, style) a warm worker
    loads before it knows the document; ``document`` holds this report's files
    (``body.tex``, chart CSVs, code files). ``files`` is the complete cold job folder.
    """

    fixed: dict[str, str]
    document: dict[str, str]
    view: Any               # ReportView, or the progress report's ProgressView

    @property
    def files(self) -> dict[str, str]:
        return {TEX_NAME: COLD_DRIVER, **self.fixed, **self.document}


def _as_report(document: Report | Mapping[str, Any]) -> Report:
    return document if isinstance(document, Report) else load_document(document)


def _pdf_date(moment: datetime) -> LatexMarkup:
    utc = moment.astimezone(UTC)
    return LatexMarkup(utc.strftime("D:%Y%m%d%H%M%SZ"))  # digits only: safe inside a \special


def check_characters(report: Report) -> None:
    """Every character of every text field must be drawable; the error names char and field."""
    chain = default_chain()
    for field_path, text in iter_text_fields(report):
        chain.check_text(text, field=field_path)


def prepare(
    document: Report | Mapping[str, Any], *, options: RenderOptions = RenderOptions(), name_prefix: str = ""
) -> JobSource:
    """Validate and lay out ``document``: the files of the job folder (pure apart from font lookup).

    ``name_prefix`` prefixes the chart and code file names (not ``body.tex``), so that
    several reports can share one job folder (``texreport batch``).
    """
    report = _as_report(document)
    check_characters(report)
    generated_at = options.generated_at or datetime.now(UTC)
    view = build_view(report, lang=options.lang, generated_at=generated_at)
    charts = build_charts(view, prefix=name_prefix)
    code_files = CodeFiles(prefix=name_prefix)
    context = {f.name: getattr(view, f.name) for f in fields(view)}
    context.update(charts=charts, creation_date=_pdf_date(generated_at))
    body = render_template(TEMPLATE, code_files=code_files, **context)
    return assemble_job(body, code_files, charts.files, view)


def assemble_job(body: str, code_files: CodeFiles, chart_files: Mapping[str, str], view: Any) -> JobSource:
    """A job from a rendered body, its code files and chart CSVs (any document type: report, progress)."""
    document_files = dict(code_files.items())
    # Everything this document typesets is in body.tex or a code file (the CSVs hold numbers).
    fallback = default_chain().needs_fallback(body + "".join(document_files.values()))
    document_files[BODY_NAME] = f"\\xeCJKsetup{{AutoFallBack={'true' if fallback else 'false'}}}\n" + body
    document_files.update(chart_files)
    return JobSource(fixed=fixed_files(), document=document_files, view=view)


def write_source(job: JobSource, folder: Path) -> None:
    """Write a job's files into ``folder`` (names are the program's own, never user text)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in job.files.items():
        (folder / name).write_text(content, encoding="utf-8")


def render(
    document: Report | Mapping[str, Any],
    *,
    options: RenderOptions = RenderOptions(),
    keep_dir: Path | None = None,
) -> bytes:
    """Render a report document (model, raw dict or envelope) to PDF bytes.

    ``options.warm`` compiles in the process-wide warm pool
    (:func:`texreport.workers.shared_pool`); the PDF text is the same either way.
    """
    return compile_job(prepare(document, options=options), options=options, keep_dir=keep_dir)


def compile_job(job: JobSource, *, options: RenderOptions = RenderOptions(), keep_dir: Path | None = None) -> bytes:
    """Compile a prepared job (warm pool or cold, as ``options`` say) to PDF bytes."""
    if options.warm:
        from .workers import shared_pool

        pool = options.pool or shared_pool()
        return pool.compile(job.fixed, job.document, limits=options.limits, keep_dir=keep_dir)
    fmt = ensure_format(job.fixed, limits=options.limits)
    with disk_full_as_error(), job_folder("job") as folder_name:
        folder = Path(folder_name)
        write_source(job, folder)
        try:
            if fmt is not None:
                (folder / FORMAT_TEX_NAME).write_text(f"{preamble_input(fmt)}\n\\input{{body}}\n", encoding="utf-8")
                try:
                    result = compile_tex(folder, FORMAT_TEX_NAME, limits=options.limits, fmt=fmt)
                except CompileError as error:
                    if not format_refused(error):
                        raise
                    forget_format(fmt)
                    fmt = None
            if fmt is None:
                result = compile_tex(folder, TEX_NAME, limits=options.limits)
            return result.pdf.read_bytes()
        finally:
            if keep_dir is not None:
                shutil.copytree(folder, keep_dir, dirs_exist_ok=True)


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
