r"""The ``.tex`` entry points (drivers) of every compile path, in one place.

A job folder holds the fixed files (:func:`texreport.formats.fixed_files`: the
preamble, the same for every report) and a report's own files (``body.tex``, the
chart CSVs). xelatex is started on a small driver that inputs them:

* ``report.tex`` (:func:`standalone_driver`): the whole preamble, then the body —
  what ``texreport tex`` writes and stock ``xelatex report.tex`` compiles;
* ``job.tex`` (:func:`cold_driver`): the same after a precompiled format (fonts
  only, then the body) or, without one, the standalone lines;
* the warm worker's ``report.tex`` (:func:`worker_driver`): the preamble, then it
  blocks reading the body's name from its standard input;
* ``batch.tex`` (:func:`group_driver`): several bodies in one run, each on its own
  pages (``\TRrunreport``, texreport.sty); ``batch-2.tex`` … the same without the
  reports an earlier run of the group stopped on.

Every name written here is the program's own, never user text. The xelatex
command line is :func:`texreport.compiler.xelatex_command`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .formats import preamble_input

__all__ = [
    "BODY_NAME",
    "COLD_TEX_NAME",
    "GROUP_TEX_NAME",
    "JOB_NAME",
    "TEX_NAME",
    "WORKER_TEX_NAME",
    "cold_driver",
    "group_body_name",
    "group_driver",
    "group_prefix",
    "standalone_driver",
    "worker_driver",
]

TEX_NAME = "report.tex"         # the standalone entry point: the whole preamble, then the body
COLD_TEX_NAME = "job.tex"       # a cold compile's entry point (after a format when there is one)
WORKER_TEX_NAME = "report.tex"  # a warm worker's entry point
GROUP_TEX_NAME = "batch.tex"    # several reports in one run
BODY_NAME = "body.tex"
JOB_NAME = "body"               # what a warm worker reads from its pipe: the only thing ever written there

#: ``\read-1`` reads a terminal line without a prompt; TeX refuses terminal reads in
#: nonstop mode, so the read alone runs in scroll mode. End of file on the pipe (pool
#: closed) stops xelatex.
_WAIT_FOR_BODY = (
    "\\begingroup\\endlinechar=-1 \\scrollmode\\global\\read-1 to\\TRjobname\\nonstopmode\\endgroup\n"
    "\\input{\\TRjobname}\n"
)


def standalone_driver() -> str:
    """``report.tex`` of the sources ``texreport tex`` writes: compiles with stock TeX Live."""
    return cold_driver(None)


def cold_driver(fmt: Path | None) -> str:
    """One report in one run: the preamble (or, after format ``fmt``, the fonts), then the body."""
    return f"{preamble_input(fmt)}\n\\begin{{document}}\n\\input{{body}}\n\\end{{document}}\n"


def worker_driver(fmt: Path | None) -> str:
    r"""A warm worker: the preamble (or the fonts after ``fmt``), ``\begin{document}`` and the font
    sizes the body uses (``\TRloadfonts``, texreport.sty), then wait for the body's name."""
    return (f"{preamble_input(fmt)}\n\\begin{{document}}\n\\ifdefined\\TRloadfonts\\TRloadfonts\\fi\n{_WAIT_FOR_BODY}"
            "\\end{document}\n")


def group_body_name(number: int) -> str:
    """The body file of the ``number``-th report (from 1) of a grouped run."""
    return f"{group_prefix(number)}{BODY_NAME}"


def group_prefix(number: int) -> str:
    """The prefix of every file of the ``number``-th report of a grouped run (charts, code)."""
    return f"r{number:02d}-"


def group_driver(fmt: Path | None, numbers: Sequence[int]) -> str:
    r"""The reports ``numbers`` (of a grouped run's files) in one run, each typeset by ``\TRrunreport`` on pages of
    its own."""
    lines = [preamble_input(fmt), "\\TRmultitrue", "\\begin{document}"]
    lines += [f"\\TRrunreport{{{number}}}{{{group_body_name(number)[:-4]}}}" for number in numbers]
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"
