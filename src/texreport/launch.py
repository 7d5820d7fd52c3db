"""The ``texreport`` console entry point: for ``render``, xelatex starts before the CLI's imports.

A cold render's critical path is xelatex: its format and fonts load in ~0.2 s while
Python imports click, pydantic and Jinja2, reads the report and lays it out. Starting
the worker before those imports takes ~30 ms (~5 %) off a whole render. Everything
else is :func:`texreport.cli.main`; ``python -m texreport.cli`` skips only the head start.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .workers import WorkerPool

__all__ = ["main"]


def main() -> None:
    from .signals import EXIT_TERMINATED, Terminated, exit_on_sigterm

    exit_on_sigterm()  # from here on SIGTERM cleans up like Ctrl-C (the head start's worker included)
    arguments = sys.argv[1:]
    head_start: WorkerPool | None = None
    try:
        try:
            # A head start loads the default theme's preamble: with --theme it would be wasted.
            themed = any(argument.split("=")[0] == "--theme" for argument in arguments)
            if arguments[:1] == ["render"] and not {"-h", "--help"} & set(arguments) and not themed:
                head_start = _head_start()
            from .cli import main as cli_main
        except Terminated:
            sys.stderr.write("texreport: terminated\n")
            sys.exit(EXIT_TERMINATED)
        except KeyboardInterrupt:  # Ctrl-C before the CLI runs: as the CLI would answer it
            sys.stderr.write("texreport: interrupted\n")
            sys.exit(130)
        cli_main(head_start=head_start)  # render takes the pool if its limits fit
    finally:
        if head_start is not None:
            head_start.close()  # unused, or already closed by render


def _head_start() -> WorkerPool | None:
    """This process's pool, with one spare loading now (default rlimits; a job's timeout applies when it runs)."""
    from .errors import TexreportError
    from .formats import fixed_files
    from .workers import WorkerPool

    pool = WorkerPool(spares=1)
    try:
        pool.warm_up(fixed_files())
    except (TexreportError, OSError):
        pool.close()
        return None  # no head start; the render itself meets the problem and reports it in one line
    except BaseException:
        pool.close()
        raise
    return pool


if __name__ == "__main__":  # pragma: no cover
    main()
