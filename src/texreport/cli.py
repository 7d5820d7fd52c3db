"""The ``texreport`` command line; the only place where errors become exit codes.

Exit codes: 0 success, 1 render failure (TeX error, timeout, missing tool),
2 invalid input or usage. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .errors import InputError, TexreportError, printable
from .signals import EXIT_TERMINATED, Terminated, exit_on_sigterm

if TYPE_CHECKING:
    from rich.console import Console

    from .batch import BatchItem
    from .models import Report
    from .theme import Theme
    from .workers import WorkerPool

__all__ = ["cli", "main"]

_state: dict[str, bool] = {}


def _fail(error: TexreportError) -> NoReturn:
    click.echo(printable(f"texreport: error: {error}"), err=True)
    sys.exit(error.exit_code)


def _read_input(source: str) -> Report:
    """Parse the input document (a path or ``-`` for stdin; read no further than the size limit)."""
    from .models import load_json
    from .reading import read_bounded, read_document

    raw = read_bounded(sys.stdin.buffer) if source == "-" else read_document(Path(source))
    return load_json(raw)


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                           help="Report language (default: the report's own, else zh).")
keep_option = click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Copy the job folder (LaTeX source, CSV, log) here, for debugging.")
timeout_option = click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
                              help="Seconds before xelatex is stopped.")
theme_option = click.option("--theme", default=None, metavar="NAME|FILE",
                            help="A shipped theme by name (themes/*.toml) or a theme file; see themes/README.md.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="texreport")
def cli() -> None:
    """Evaluated mock-interview reports (JSON) to print-quality PDFs."""


@cli.command()
@click.argument("source", metavar="REPORT.json|-")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write (default: ./模拟面试报告_{sessionId}.pdf).")
@lang_option
@keep_option
@timeout_option
@theme_option
def render(source: str, output: Path | None, lang: str | None, keep: Path | None, timeout: float,
           theme: str | None) -> None:
    """Render a report to PDF."""
    from .compiler import CompileLimits
    from .formats import fixed_files
    from .theme import resolve_theme
    from .workers import WorkerPool

    limits = CompileLimits(timeout=timeout)
    try:
        chosen = resolve_theme(theme)
        # xelatex loads the preamble and fonts while Python imports, reads, checks and
        # lays out the report (texreport.launch starts it before pydantic, Jinja2 or even
        # click are imported); a one-shot process needs no replacement worker.
        head_start: WorkerPool | None = (click.get_current_context().obj or {}).get("head_start")
        fits = head_start is not None and head_start.limits.rlimits == limits.rlimits
        own = head_start if head_start is not None and fits else WorkerPool(spares=1, limits=limits)
        with own as pool:
            if own is not head_start:
                pool.warm_up(fixed_files(chosen))
            pool.spares = 0
            from .naming import export_filename, is_safe_session_id
            from .pipeline import RenderOptions, render_to_file

            report = _read_input(source)
            if output is None:
                if not is_safe_session_id(report.session_id):
                    raise InputError("cannot be used in a file name; give the output with -o", field="sessionId")
                output = Path(export_filename(report.session_id))
            options = RenderOptions(lang=lang, limits=limits, compiler=pool, theme=chosen)
            render_to_file(report, output, options=options, keep_dir=keep)
    except TexreportError as error:
        _fail(error)
    click.echo(printable(str(output)))
    _state["skip_teardown"] = True  # the pool and its workers are closed; nothing else is pending


@cli.command()
@click.argument("source", metavar="REPORT.json|-")
@theme_option
def validate(source: str, theme: str | None) -> None:
    """Check a report without rendering; names each bad field."""
    from .models import DocumentInvalid
    from .pipeline import check_characters
    from .theme import resolve_theme

    try:
        chosen = resolve_theme(theme)
        report = _read_input(source)
        check_characters(report, chosen)
    except DocumentInvalid as error:
        for field, message in error.errors:
            line = f"texreport: error: {field}: {message}" if field else f"texreport: error: {message}"
            click.echo(printable(line), err=True)
        sys.exit(error.exit_code)
    except TexreportError as error:
        _fail(error)
    click.echo(printable(f"ok: session {report.session_id}, {len(report.question_details)} questions"))


@cli.command()
@click.option("--progress", is_flag=True,
              help="Five sessions of one candidate instead (a JSON list, or files with -o).")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --progress: write one report file per session into this folder.")
def sample(progress: bool, folder: Path | None) -> None:
    """Print a realistic sample report (Chinese, 10 questions)."""
    if folder is not None and not progress:
        raise click.UsageError("-o/--output goes with --progress")
    if progress:
        from .progress_sample import write_progress_sample

        click.echo(write_progress_sample(folder), nl=False)
        return
    from .sample import sample_json

    click.echo(sample_json(), nl=False)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="REPORTS...")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write (default: ./面试进步报告_{candidate.id, else first sessionId}.pdf).")
@lang_option
@keep_option
@timeout_option
@theme_option
def progress(inputs: tuple[str, ...], output: Path | None, lang: str | None, keep: Path | None,
             timeout: float, theme: str | None) -> None:
    """Compare two or more sessions of one candidate (report files or folders) in one PDF."""
    from .compiler import CompileLimits
    from .pipeline import RenderOptions
    from .progress_pipeline import read_sessions, render_progress_to_file
    from .theme import resolve_theme

    try:
        options = RenderOptions(lang=lang, limits=CompileLimits(timeout=timeout), theme=resolve_theme(theme))
        output = render_progress_to_file(read_sessions(inputs), output, options=options, keep_dir=keep)
    except TexreportError as error:
        _fail(error)
    click.echo(str(output))


@cli.command()
@click.argument("source", metavar="REPORT.json|-")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write report.tex, texreport.sty and the chart CSVs into.")
@lang_option
@theme_option
def tex(source: str, folder: Path, lang: str | None, theme: str | None) -> None:
    """Write the generated LaTeX source and chart CSVs, for inspection."""
    from .pipeline import RenderOptions, prepare, write_source
    from .theme import resolve_theme

    try:
        chosen = resolve_theme(theme)
        job = prepare(_read_input(source), options=RenderOptions(lang=lang, theme=chosen))
        write_source(job, folder)
    except TexreportError as error:
        _fail(error)
    for name in sorted(job.files):
        click.echo(printable(str(folder / name)))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="REPORTS...")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the PDFs (named like the export endpoint's files).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="xelatex runs at once.")
@click.option("--group", type=click.IntRange(min=1), default=8, show_default=True,
              help="Most reports typeset in one xelatex run (the preamble loads once for them); 1: one run each.")
@click.option("--shard", default=None, metavar="I/N",
              help="Render only this machine's share: every N-th report of the sorted inputs, from the I-th "
                   "(default: JOB_COMPLETION_INDEX+1/JOB_COMPLETIONS in a Kubernetes indexed Job, else 1/1).")
@lang_option
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds before one report's xelatex is stopped.")
@theme_option
def batch(inputs: tuple[str, ...], folder: Path, jobs: int, group: int, shard: str | None, lang: str | None,
          timeout: float, theme: str | None) -> None:
    """Render many reports (files, folders, globs) into a folder; exit 1 if any failed."""
    from rich.console import Console

    from .batch import run_batch

    chosen, items = _plan_batch(inputs, shard, theme)
    console = Console(stderr=True)
    with _BatchProgress(console, len(items)) as progress:
        summary = run_batch(items, folder, jobs=jobs, lang=lang, timeout=timeout, on_result=progress.advance,
                            group=group, theme=chosen)
    for failure in summary.failed:
        console.print(printable(f"failed: {failure.item.source}: {failure.error}"), markup=False, highlight=False,
                      soft_wrap=True)
    rate = summary.done / summary.seconds if summary.seconds else 0.0
    console.print(f"done: {summary.done}, failed: {len(summary.failed)}, "
                  f"time: {summary.seconds:.1f} s ({rate:.2f} reports/s), output: {folder}",
                  markup=False, highlight=False, soft_wrap=True)
    if summary.failed:
        sys.exit(1)


def _plan_batch(inputs: tuple[str, ...], shard: str | None, theme: str | None) -> tuple[Theme, list[BatchItem]]:
    """The theme and this machine's share of the inputs; a bad ``--shard`` is a usage error."""
    from .batch import expand_inputs, parse_shard, plan_batch, shard_from_environment
    from .theme import resolve_theme

    try:
        shard_pair = parse_shard(shard) if shard is not None else shard_from_environment(os.environ) or (1, 1)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    try:
        return resolve_theme(theme), plan_batch(expand_inputs(inputs), shard=shard_pair)
    except TexreportError as error:
        _fail(error)


class _BatchProgress:
    """The batch's progress bar on stderr (done, rate, ETA); an interrupt inside it exits with a one-line note.

    ``run_batch`` has killed every xelatex when the KeyboardInterrupt (Ctrl-C or SIGTERM) arrives here;
    click would turn it into "Aborted!" and exit 1.
    """

    def __init__(self, console: Console, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} reports/s"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn())
        self.console, self.total = console, total
        self.progress = Progress(*columns, console=console, transient=False)
        self.task = self.progress.add_task("rendering", total=total, rate="-")
        self.started = time.monotonic()

    def advance(self, result: object) -> None:
        completed = self.progress.tasks[0].completed + 1
        rate = completed / max(time.monotonic() - self.started, 1e-6)
        self.progress.update(self.task, advance=1, rate=f"{rate:.2f}")

    def __enter__(self) -> _BatchProgress:
        self.progress.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        self.progress.stop()
        if isinstance(error, KeyboardInterrupt):
            done = int(self.progress.tasks[0].completed)
            what, code = ("terminated", EXIT_TERMINATED) if isinstance(error, Terminated) else ("interrupted", 130)
            self.console.print(f"texreport: {what} after {done} of {self.total} reports", markup=False,
                               highlight=False, soft_wrap=True)
            sys.exit(code)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="TEXREPORT_HOST", help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, envvar="TEXREPORT_PORT")
@click.option("--db", default="sqlite:///texreport.db", show_default=True, envvar="TEXREPORT_DB",
              help="Store URL: a SQLite file (default) or postgresql://user@host/name.")
@click.option("--max-compiles", type=click.IntRange(min=1), default=None, envvar="TEXREPORT_MAX_COMPILES",
              help="Compiles at once (default: CPU count).")
@click.option("--queue", "max_queue", type=click.IntRange(min=0), default=None, envvar="TEXREPORT_QUEUE",
              help="Exports that may wait for a compile slot before 503.")
@click.option("--cors-origin", "cors_origins", multiple=True, envvar="TEXREPORT_CORS_ORIGINS",
              help="An origin whose browser pages may call the API (repeatable; env: space-separated). "
                   "Default: none (CORS off).")
@click.option("--compile-timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              envvar="TEXREPORT_COMPILE_TIMEOUT", help="Seconds before a compile is killed.")
@click.option("--max-body", "max_body_bytes", type=click.IntRange(min=1024), default=2 * 1024 * 1024,
              show_default=True, envvar="TEXREPORT_MAX_BODY", help="Largest request body in bytes (413 above).")
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              envvar="TEXREPORT_HEADER_TIMEOUT", help="Seconds a client has to send a request's headers.")
@click.option("--lease-seconds", type=click.FloatRange(min=1), default=30.0, show_default=True,
              envvar="TEXREPORT_LEASE_SECONDS",
              help="A compile lease not renewed this long is taken over by another instance.")
@click.option("--warm/--no-warm", "warm_workers", default=True, show_default=True, envvar="TEXREPORT_WARM",
              help="Keep xelatex workers with the preamble loaded (~270 MB each).")
@click.option("--render-ahead/--no-render-ahead", "render_ahead", default=None, envvar="TEXREPORT_RENDER_AHEAD",
              help="Compile a generated report's PDF in the background, before it is asked for (default: on).")
@click.option("--theme", "themes", multiple=True, envvar="TEXREPORT_THEMES", metavar="NAME|FILE",
              help="A theme requests may pick with ?theme=NAME (repeatable; the first is the default; "
                   "env: space-separated). Default: the default theme only.")
@click.option("--pdf-memory", "pdf_memory_mb", type=click.IntRange(min=0), default=64, show_default=True,
              envvar="TEXREPORT_PDF_MEMORY", metavar="MB",
              help="Recently compiled or served PDFs kept in memory (0: read every export from the database).")
def serve(host: str, port: int, header_timeout: float, **options: Any) -> None:
    """Run the HTTP export service (needs the [http] extra). Every option also reads TEXREPORT_* (README)."""
    try:
        from .http.server import run_server
        from .http.settings import Settings
    except ImportError as error:
        missing = getattr(error, "name", None) or "the web stack"
        click.echo(f"texreport: error: `texreport serve` needs {missing}: pip install 'texreport[http]'", err=True)
        sys.exit(2)
    from sqlalchemy.exc import SQLAlchemyError

    options["db_url"] = options.pop("db")
    options["cors_origins"] = tuple(options["cors_origins"])
    options["pdf_memory_bytes"] = options.pop("pdf_memory_mb") * 1024 * 1024
    try:
        options["themes"] = _offered_themes(options["themes"])
        run_server(Settings(**options), host=host, port=port, header_timeout=header_timeout)
    except TexreportError as error:
        _fail(error)
    except (SQLAlchemyError, ValueError) as error:
        url = options["db_url"].split("@")[-1]
        click.echo(f"texreport: error: database {url!r}: {_database_error(error)}", err=True)
        sys.exit(1)


def _offered_themes(specs: tuple[str, ...]) -> tuple[Any, ...]:
    """The service's themes, each checked now (a bad one stops the start, naming its key)."""
    from .theme import ThemeError, resolve_theme

    themes = tuple(resolve_theme(spec) for spec in specs)
    names = [theme.name for theme in themes]
    for name in names:
        if names.count(name) > 1:
            raise ThemeError(name, "two --theme options give this name; rename one (its name key)")
    return themes


@cli.group()
def db() -> None:
    """The service's database (needs the [http] extra)."""


@db.command("upgrade")
@click.option("--db", "db_url", default="sqlite:///texreport.db", show_default=True, envvar="TEXREPORT_DB",
              help="Store URL, as for `texreport serve`.")
def db_upgrade(db_url: str) -> None:
    """Create or upgrade the service's tables to the newest schema (serve also does this on start)."""
    try:
        from .http.store import Store
    except ImportError as error:
        missing = getattr(error, "name", None) or "the web stack"
        click.echo(f"texreport: error: `texreport db` needs {missing}: pip install 'texreport[http]'", err=True)
        sys.exit(2)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        store = Store(db_url, upgrade_schema=False)
        try:
            click.echo(f"schema at revision {store.upgrade_schema()}")
        finally:
            store.close()
    except (SQLAlchemyError, ValueError) as error:
        click.echo(f"texreport: error: database {db_url.split('@')[-1]!r}: {_database_error(error)}", err=True)
        sys.exit(1)


def _database_error(error: Exception) -> str:
    """One line about a database failure (the driver's first line; never a password or traceback)."""
    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first[:200]}"


def main(*, head_start: WorkerPool | None = None) -> None:
    """Entry point: click without standalone mode, so that Ctrl-C exits 130, not "Aborted!" and 1.

    ``head_start`` is a pool the console script started before importing the CLI
    (texreport.launch); ``render`` compiles in it when its limits fit, and closes it.
    """
    exit_on_sigterm()
    try:
        code = cli.main(prog_name="texreport", standalone_mode=False, obj={"head_start": head_start})
    except (KeyboardInterrupt, click.Abort) as interrupt:
        # Click turns a KeyboardInterrupt inside a command into Abort; the cause tells SIGTERM
        # (Terminated: cleaned up on the way out, as for Ctrl-C) from Ctrl-C.
        if isinstance(interrupt, Terminated) or isinstance(interrupt.__cause__, Terminated):
            click.echo("texreport: terminated", err=True)
            sys.exit(EXIT_TERMINATED)
        click.echo("texreport: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:  # usage errors: click's message, exit 2
        error.show()
        sys.exit(error.exit_code)
    except OSError as error:  # an output folder that cannot be created, a full disk …: one line, exit 1
        where = f"{error.filename}: " if error.filename else ""
        click.echo(printable(f"texreport: error: {where}{error.strerror or error}"), err=True)
        sys.exit(1)
    code = code if isinstance(code, int) else 0
    if _state.get("skip_teardown") and code == 0:
        # A one-shot render has closed everything it opened; tearing down the
        # interpreter (pydantic, Jinja2 …) would add ~30 ms to every command.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
