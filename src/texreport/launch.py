"""The ``texreport`` console entry point: for ``render``, xelatex starts before the CLI's imports.

A cold render's critical path is xelatex: its format and fonts load in ~0.2 s while
Python imports click, pydantic and Jinja2, reads the report and lays it out. Starting
the worker before those imports takes ~30 ms (~5 %) off a whole render. Everything
else is :func:`texreport.cli.main`; ``python -m texreport.cli`` skips only the head start.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["render"] and not {"-h", "--help"} & set(arguments):
        from .workers import prestart_pool

        prestart_pool()
    from .cli import main as cli_main

    cli_main()


if __name__ == "__main__":  # pragma: no cover
    main()
