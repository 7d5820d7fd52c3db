"""The ``texreport`` command line; the only place where errors become exit codes.

Exit codes: 0 success, 1 render failure (TeX error, timeout, missing tool),
2 invalid input or usage. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .errors import InputError, TexreportError

__all__ = ["main", "cli"]

_state: dict[str, bool] = {}


def _fail(error: TexreportError) -> NoReturn:
    click.echo(f"texreport: error: {error}", err=True)
    sys.exit(error.exit_code)


def _read_input(source: str) -> object:
    """Parse the input document (a path or ``-`` for stdin) into a report model."""
    from .models import load_json

    if source == "-":
        raw = sys.stdin.buffer.read()
    else:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"no such file: {source}") from None
        except IsADirectoryError:
            raise InputError(f"is a folder, not a report file: {source}") from None
        except OSError as error:
            raise InputError(f"cannot read {source}: {error.strerror}") from None
    return load_json(raw)


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                           help="Report language (default: the report's own, else zh).")
theme_option = click.option("--theme", default=None, metavar="NAME|FILE",
                            help="A shipped theme (default, ink) or a theme file (.toml); see themes/README.md.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="texreport")
def cli() -> None:
    """Evaluated mock-interview reports (JSON) to print-quality PDFs."""


@cli.command()
@click.argument("source", metavar="REPORT.json|-")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write (default: ./模拟面试报告_{sessionId}.pdf).")
@lang_option
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Copy the job folder (LaTeX source, CSV, log) here, for debugging.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds before xelatex is stopped.")
@theme_option
def render(source: str, output: Path | None, lang: str | None, keep: Path | None, timeout: float,
           theme: str | None) -> None:
    """Render a report to PDF."""
    from .compiler import CompileLimits
    from .formats import fixed_files
    from .theme import resolve_theme
    from .workers import WorkerPool, take_prestarted

    limits = CompileLimits(timeout=timeout)
    try:
        chosen = resolve_theme(theme)
        # xelatex loads the preamble and fonts while Python imports, reads, checks and
        # lays out the report (it starts before pydantic and Jinja2 are imported, or even
        # before click: texreport.launch); a one-shot process needs no replacement worker.
        prestarted = take_prestarted(limits)  # its spare is already loading
        with prestarted or WorkerPool(spares=1, limits=limits) as pool:
            if prestarted is None:
                pool.warm_up(fixed_files(chosen))
            pool.spares = 0
            from .naming import export_filename, is_safe_session_id
            from .pipeline import RenderOptions, render_to_file

            report = _read_input(source)
            if output is None:
                if not is_safe_session_id(report.session_id):
                    raise InputError("cannot be used in a file name; give the output with -o", field="sessionId")
                output = Path(export_filename(report.session_id))
            options = RenderOptions(lang=lang, limits=limits, warm=True, pool=pool, theme=chosen)
            render_to_file(report, output, options=options, keep_dir=keep)
    except TexreportError as error:
        _fail(error)
    click.echo(str(output))
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
            click.echo(f"texreport: error: {field}: {message}" if field else f"texreport: error: {message}", err=True)
        sys.exit(error.exit_code)
    except TexreportError as error:
        _fail(error)
    click.echo(f"ok: session {report.session_id}, {len(report.question_details)} questions")


@cli.command()
def sample() -> None:
    """Print a realistic sample report (Chinese, 10 questions)."""
    from .sample import sample_json

    click.echo(sample_json(), nl=False)


@cli.command()
@click.argument("source", metavar="REPORT.json|-")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write report.tex, texreport.sty, the CSV and code files into.")
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
        click.echo(str(folder / name))


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="REPORTS...")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the PDFs (named like the export endpoint's files).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="xelatex runs at once.")
@click.option("--group", type=click.IntRange(min=1), default=4, show_default=True,
              help="Reports typeset in one xelatex run (the preamble loads once for them); 1: one run each.")
@click.option("--shard", default="1/1", show_default=True, metavar="I/N",
              help="Render only this machine's share: every N-th report of the sorted inputs, from the I-th.")
@lang_option
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds before one report's xelatex is stopped.")
@theme_option
def batch(inputs: tuple[str, ...], folder: Path, jobs: int, group: int, shard: str, lang: str | None,
          timeout: float, theme: str | None) -> None:
    """Render many reports (files, folders, globs) into a folder; exit 1 if any failed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    from .batch import expand_inputs, parse_shard, plan_batch, run_batch
    from .theme import resolve_theme

    try:
        shard_pair = parse_shard(shard)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    try:
        chosen = resolve_theme(theme)
        items = plan_batch(expand_inputs(inputs), shard=shard_pair)
    except TexreportError as error:
        _fail(error)
    console = Console(stderr=True)
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} reports/s"), TimeElapsedColumn(), TextColumn("ETA"),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("rendering", total=len(items), rate="-")
        started = time.monotonic()

        def advance(result: object) -> None:
            completed = progress.tasks[0].completed + 1
            rate = completed / max(time.monotonic() - started, 1e-6)
            progress.update(task, advance=1, rate=f"{rate:.2f}")

        try:
            summary = run_batch(items, folder, jobs=jobs, lang=lang, timeout=timeout, on_result=advance, group=group,
                                theme=chosen)
        except KeyboardInterrupt:
            # run_batch has killed every xelatex; click would turn this into "Aborted!" and exit 1.
            progress.stop()
            done = int(progress.tasks[0].completed)
            console.print(f"texreport: interrupted after {done} of {len(items)} reports", markup=False,
                          highlight=False, soft_wrap=True)
            sys.exit(130)
    for failure in summary.failed:
        console.print(f"failed: {failure.item.source}: {failure.error}", markup=False, highlight=False, soft_wrap=True)
    rate = summary.done / summary.seconds if summary.seconds else 0.0
    console.print(f"done: {summary.done}, failed: {len(summary.failed)}, "
                  f"time: {summary.seconds:.1f} s ({rate:.2f} reports/s), output: {folder}",
                  markup=False, highlight=False, soft_wrap=True)
    if summary.failed:
        sys.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--db", default="sqlite:///texreport.db", show_default=True,
              help="Store URL: a SQLite file (default) or postgresql://user@host/name.")
@click.option("--max-compiles", type=click.IntRange(min=1), default=None,
              help="Compiles at once (default: CPU count).")
@click.option("--queue", "max_queue", type=click.IntRange(min=0), default=None,
              help="Exports that may wait for a compile slot before 503.")
def serve(host: str, port: int, db: str, max_compiles: int | None, max_queue: int | None) -> None:
    """Run the HTTP export service (needs the [http] extra)."""
    try:
        from .http.server import run_server
    except ImportError as error:
        missing = getattr(error, "name", None) or "the web stack"
        click.echo(f"texreport: error: `texreport serve` needs {missing}: pip install 'texreport[http]'", err=True)
        sys.exit(2)
    try:
        run_server(host=host, port=port, db_url=db, max_compiles=max_compiles, max_queue=max_queue)
    except TexreportError as error:
        _fail(error)


def main() -> None:
    """Entry point: click without standalone mode, so that Ctrl-C exits 130, not "Aborted!" and 1."""
    try:
        code = cli.main(prog_name="texreport", standalone_mode=False)
    except (KeyboardInterrupt, click.Abort):
        click.echo("texreport: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:  # usage errors: click's message, exit 2
        error.show()
        sys.exit(error.exit_code)
    except OSError as error:  # an output folder that cannot be created, a full disk …: one line, exit 1
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"texreport: error: {where}{error.strerror or error}", err=True)
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
