"""Several report documents → one progress PDF, on the single report's pipeline.

The same steps as :mod:`texreport.pipeline`, with the progress modules in the
middle: every document is validated and character-checked exactly as for a
single report (an error names the document — its file, or its position in a
list — then the field), :func:`texreport.progress.build_progress` compares
them, :mod:`texreport.progress_view` and :mod:`texreport.progress_charts` lay
them out, ``latex/progress.tex.j2`` is rendered into ``body.tex``, and
:func:`texreport.pipeline.compile_job` compiles it — cold from the precompiled
format, or in warm workers (the fixed preamble is the single report's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from .atomic import user_file_mode, write_atomic
from .errors import InputError
from .models import DocumentInvalid, load_json
from .naming import is_safe_session_id, progress_filename
from .pipeline import JobSource, RenderOptions, _pdf_date, assemble_job, check_characters, compile_job
from .progress import SessionInput, build_progress, located_field
from .progress_charts import build_progress_charts
from .progress_view import build_progress_view
from .templating import render_template
from .theme import resolve_theme

__all__ = ["PROGRESS_TEMPLATE", "located", "read_sessions", "expand_session_paths", "prepare_progress",
           "render_progress", "render_progress_to_file"]

PROGRESS_TEMPLATE = "progress.tex.j2"


def located(error: InputError, source: str) -> InputError:
    """The same error, its field prefixed with the document it is in (``b.json: overallScore``, ``2.overallScore``)."""
    message = str(error)
    if error.field and message.startswith(f"{error.field}: "):
        message = message[len(error.field) + 2:]
    moved = type(error).__new__(type(error))   # no __init__: subclasses take different arguments
    moved.__dict__.update(error.__dict__)
    moved.field = located_field(source, error.field)
    moved.args = (f"{moved.field}: {message}",)
    if isinstance(moved, DocumentInvalid):
        moved.errors = [(located_field(source, field), text) for field, text in moved.errors]
    return moved


def expand_session_paths(arguments: Iterable[str]) -> list[Path]:
    """Files in the order given; a folder gives its ``*.json`` files sorted by name."""
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted((p for p in path.glob("*.json") if p.is_file()), key=lambda p: p.name)
            if not found:
                raise InputError(f"no report files (*.json) in {argument}")
            paths += found
        elif path.is_file():
            paths.append(path)
        else:
            raise InputError(f"no such file or folder: {argument}")
    return paths


def read_sessions(arguments: Iterable[str]) -> list[SessionInput]:
    """Load and validate every report file (see :func:`expand_session_paths`); errors name the file."""
    sessions = []
    for path in expand_session_paths(arguments):
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read {source}: {error.strerror}") from None
        try:
            sessions.append(SessionInput(report=load_json(raw), source=source))
        except InputError as error:
            raise located(error, source) from None
    return sessions


def prepare_progress(inputs: Sequence[SessionInput], *, options: RenderOptions = RenderOptions()) -> JobSource:
    """Check, compare and lay out the sessions: the files of the job folder."""
    theme = resolve_theme(options.theme)
    for item in inputs:
        try:
            check_characters(item.report, theme)
        except InputError as error:
            raise located(error, item.source) from None
    moment = options.generated_at or datetime.now(UTC)
    progress = build_progress(inputs, lang=options.lang, generated_at=moment)
    view = build_progress_view(progress, generated_at=moment)
    charts = build_progress_charts(view)
    context = {f.name: getattr(view, f.name) for f in fields(view)}
    context.update(charts=charts, creation_date=_pdf_date(moment))
    body = render_template(PROGRESS_TEMPLATE, **context)
    return assemble_job(body, charts.files, view, theme=theme)


def render_progress(inputs: Sequence[SessionInput], *, options: RenderOptions = RenderOptions(),
                    keep_dir: Path | None = None) -> bytes:
    """The progress PDF of two or more validated sessions (see :mod:`texreport.progress`)."""
    return compile_job(prepare_progress(inputs, options=options), options=options, keep_dir=keep_dir)


def render_progress_to_file(inputs: Sequence[SessionInput], output: Path | None, *,
                            options: RenderOptions = RenderOptions(), keep_dir: Path | None = None) -> Path:
    """Render and write ``output`` atomically (a temporary name in the same folder, then rename).

    Without ``output``: ``面试进步报告_{id}.pdf`` in the current folder, ``id`` being the
    candidate id, else the first session's id (an id unsafe in a file name is an
    :class:`~texreport.errors.InputError` asking for an output name).
    """
    job = prepare_progress(inputs, options=options)
    if output is None:
        identifier = job.view.footer_id
        if not is_safe_session_id(identifier):
            raise InputError("cannot be used in a file name; give the output with -o", field="candidate.id")
        output = Path(progress_filename(identifier))
    write_atomic(Path(output), compile_job(job, options=options, keep_dir=keep_dir), mode=user_file_mode())
    return Path(output)
