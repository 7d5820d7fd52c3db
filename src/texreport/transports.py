r"""One compile interface, three implementations, one retry policy.

In the spirit of httpx's transports: a :class:`Compiler` turns a prepared job
(the fixed preamble files and one report's files, see
:class:`texreport.pipeline.JobSource`) into PDF bytes under
:class:`~texreport.compiler.CompileLimits`, and can be closed. Callers hold one
and never ask which:

* :class:`ColdCompiler` — a fresh sandboxed xelatex per job, from the precompiled
  format when there is one (stateless; the default of ``RenderOptions``);
* :class:`texreport.workers.WorkerPool` — warm xelatex workers that have already
  loaded the preamble and fonts (the CLI, the launcher and the service each own one);
* :class:`GroupCompiler` — several reports in ONE xelatex run, split into one
  PDF each by xdvipdfmx (``texreport batch``); :meth:`GroupCompiler.compile_group`.

:func:`compile_job` wraps any of them once with the retry policy: a compile that
failed because xelatex refused its precompiled format (damaged but whole-sized)
drops the format and runs the job once more (the next attempt rebuilds it, or
runs without one). Every implementation writes its folder with
:func:`texreport.jobdirs.write_files` and starts xelatex on a driver from
:mod:`texreport.drivers`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from .compiler import CompileLimits, compile_tex, compile_xdv, disk_full_as_error, kill_group, xdv_to_pdf
from .drivers import (
    BODY_NAME,
    COLD_TEX_NAME,
    GROUP_TEX_NAME,
    cold_driver,
    group_body_name,
    group_driver,
    group_prefix,
)
from .errors import CompileError, CompileTimeout, TexreportError, UnsupportedCharacterError
from .formats import ensure_format, forget_format, format_path, format_refused
from .jobdirs import job_folder, write_files

__all__ = ["ColdCompiler", "Compiler", "GroupCompiler", "Job", "PreparedJob", "compile_job"]


class PreparedJob(Protocol):
    """What a compiler needs: file name → content, fixed (preamble) and per-document."""

    @property
    def fixed(self) -> Mapping[str, str | bytes]: ...

    @property
    def document(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class Job:
    """A prepared job as plain files (``pipeline.JobSource`` is the other kind: it also carries its view)."""

    fixed: Mapping[str, str | bytes]
    document: Mapping[str, str]


class Compiler(Protocol):
    """Compile a prepared job under limits; close. Implementations raise a RenderError on failure."""

    def compile(self, job: PreparedJob, *, limits: CompileLimits, keep_dir: Path | None = None) -> bytes: ...

    def close(self) -> None: ...


def compile_job(compiler: Compiler, job: PreparedJob, *, limits: CompileLimits,
                keep_dir: Path | None = None) -> bytes:
    """``compiler.compile`` under the one retry policy for a format xelatex refuses."""
    try:
        return compiler.compile(job, limits=limits, keep_dir=keep_dir)
    except CompileError as error:
        if not format_refused(error):
            raise
        refused = format_path(job.fixed)  # the format these files were compiled from
        if refused is not None:
            forget_format(refused)  # the next attempt builds it again, or runs without one
    return compiler.compile(job, limits=limits, keep_dir=keep_dir)


@dataclass(frozen=True)
class ColdCompiler:
    """A fresh sandboxed xelatex per job, in a job folder removed afterwards. Stateless."""

    def compile(self, job: PreparedJob, *, limits: CompileLimits, keep_dir: Path | None = None) -> bytes:
        fmt = ensure_format(job.fixed, limits=limits)
        with disk_full_as_error(), job_folder("job") as folder_name:
            folder = Path(folder_name)
            write_files(folder, {**job.fixed, **job.document, COLD_TEX_NAME: cold_driver(fmt)})
            try:
                return compile_tex(folder, COLD_TEX_NAME, limits=limits, fmt=fmt).pdf.read_bytes()
            finally:
                if keep_dir is not None:
                    shutil.copytree(folder, keep_dir, dirs_exist_ok=True)

    def close(self) -> None:
        """Nothing to release: every compile cleans up after itself."""


_RANGE = re.compile(r"^TRRANGE (\d+) (START|END) (\d+)$", re.MULTILINE)
_FIRST, _AFTER = 0, 1  # ranks: a group's xelatex before conversions; writing a group's files before laying out
#: Errors of one report's conversion: that report is singled out (a full disk or a missing tool is everyone's).
_REPORT_ERRORS = (CompileError, CompileTimeout)


def _marks(log: str) -> list[tuple[int, str]]:
    """The ``TRRANGE`` marks of a group's log, in order: (report number, "START" or "END")."""
    return [(int(m.group(1)), m.group(2)) for m in _RANGE.finditer(log)]


def _page_ranges(log: str) -> dict[int, tuple[int, int]]:
    """Each report's (first, last) page in a group's log, from its first START and first END mark (0: none)."""
    ranges: dict[int, tuple[int, int]] = {}
    for match in _RANGE.finditer(log):
        number, page = int(match.group(1)), int(match.group(3))
        first, last = ranges.get(number, (0, 0))
        if match.group(2) == "START" and not first:
            first = page
        elif match.group(2) == "END" and not last:
            last = page
        ranges[number] = (first, last)
    return ranges


class _Slots:
    """At most ``count`` holders at once; of those waiting, the lowest ``rank`` goes first.

    ``count=None``: no bound. :meth:`close` wakes every waiter (it gets a CompileError).
    """

    def __init__(self, count: int | None) -> None:
        self._bounded = count is not None
        self._free = count or 0
        self._waiting: list[int] = []   # ranks of the waiting holders
        self._closed = False
        self._changed = threading.Condition()

    def _may_start(self, rank: int) -> bool:
        return self._closed or (self._free > 0 and rank <= min(self._waiting))

    @contextmanager
    def hold(self, rank: int) -> Iterator[None]:
        """One slot for the ``with`` block (at once when unbounded)."""
        if not self._bounded:
            yield
            return
        with self._changed:
            self._waiting.append(rank)
            try:
                self._changed.wait_for(lambda: self._may_start(rank))
            finally:
                self._waiting.remove(rank)
            if self._closed:
                raise CompileError("not started: the batch was stopped")
            self._free -= 1
        try:
            yield
        finally:
            with self._changed:
                self._free += 1
                self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class GroupCompiler:
    """Several reports in ONE xelatex run; :meth:`close` kills the runs in progress (from any thread).

    The preamble and fonts load once for the group (most of a report's CPU time);
    each report runs in a TeX group on pages numbered from 1 (``\\TRrunreport`` in
    texreport.sty) and xdvipdfmx writes each report's page range as its own PDF,
    with its own metadata, outline and page total.

    ``processes`` bounds the TeX processes (xelatex and xdvipdfmx) this compiler
    runs at once, over all threads that call it: a group's conversions then run side
    by side, and a group's xelatex that is waiting goes before them (the long serial
    runs start as early as they can; the short conversions fill the cores around them,
    and the batch does not end on one core). None: no bound, a group's conversions
    one after another. Python work is one thread at a time, writing a group's files
    before laying out the next group (:meth:`preparing`): threads that share the GIL
    would otherwise slow each other down (a thread that waits on a file for every
    write waits for a busy thread's GIL slice too).
    """

    def __init__(self, *, processes: int | None = None) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[bytes]] = set()
        self._closed = False
        self._parallel = processes or 1
        self._slots = _Slots(processes)
        self._python = _Slots(1)  # never closed: a thread waiting for its turn goes on after close()

    def preparing(self, order: int) -> AbstractContextManager[None]:
        """Hold while laying out a report for the ``order``-th group (one report at a time): one thread at a
        time does Python work; a group whose files are to be written goes first, then the earliest group."""
        return self._python.hold(1 + max(order, 0))

    def compile(self, job: PreparedJob, *, limits: CompileLimits, keep_dir: Path | None = None) -> bytes:
        pdf = self.compile_group([job], limits=limits, keep_dir=keep_dir)[0]
        if isinstance(pdf, TexreportError):
            raise pdf
        return pdf

    def compile_group(self, jobs: Sequence[PreparedJob], *, limits: CompileLimits,
                      keep_dir: Path | None = None) -> list[bytes | TexreportError]:
        """One PDF per job, in order, or the error the group's run met on that job (``limits`` per report).

        A run stops at the first report that fails; the reports after it are typeset
        in a run of their own, without it, so one bad report fails alone. Raises a
        RenderError when a run fails outside any report (nothing to single out) or
        was stopped by :meth:`close`. The jobs must have been prepared with
        ``name_prefix=drivers.group_prefix(n)`` (n from 1): their files do not collide.
        """
        if not jobs:
            return []
        files = dict(jobs[0].fixed)
        for number, job in enumerate(jobs, start=1):
            files.update({group_body_name(number) if name == BODY_NAME else name: content
                          for name, content in job.document.items()})
        with disk_full_as_error(), job_folder("batch") as folder_name:
            folder = Path(folder_name)
            with self._python.hold(_FIRST):
                fmt = ensure_format(jobs[0].fixed, limits=limits)
                write_files(folder, files)
            try:
                return self._typeset(folder, list(range(1, len(jobs) + 1)), fmt, limits)
            finally:
                if keep_dir is not None:
                    shutil.copytree(folder, keep_dir, dirs_exist_ok=True)

    def _typeset(self, folder: Path, numbers: list[int], fmt: Path | None,
                 limits: CompileLimits) -> list[bytes | TexreportError]:
        """Reports ``numbers`` of ``folder``: runs until every report has its PDF or the error it stopped a run on.

        A run that stops on a report's error still wrote the pages of the reports before it (TeX closes its
        output on an error): they are converted from it, and the next run starts after the failed report.
        """
        outcome: dict[int, bytes | TexreportError] = {}
        remaining, attempt = list(numbers), 1
        while remaining:
            tex_name = GROUP_TEX_NAME if attempt == 1 else f"{Path(GROUP_TEX_NAME).stem}-{attempt}.tex"
            write_files(folder, {tex_name: group_driver(fmt, remaining)})
            try:
                with self._slots.hold(_FIRST):
                    log = compile_xdv(folder, tex_name, limits=replace(limits, timeout=limits.timeout * len(remaining)),
                                      on_start=self._register, fmt=fmt)
                finished = remaining
            except (CompileError, UnsupportedCharacterError) as error:
                log, culprit = self._stopped_in(folder, tex_name, error)
                outcome[culprit] = error
                ended = {number for number, kind in _marks(log) if kind == "END"}
                finished = [number for number in remaining if number in ended]
            outcome.update(zip(finished, self._split_all(folder, tex_name, log, finished, limits), strict=True))
            remaining, attempt = [number for number in remaining if number not in outcome], attempt + 1
        return [outcome[number] for number in numbers]

    def _stopped_in(self, folder: Path, tex_name: str, error: TexreportError) -> tuple[str, int]:
        """The failed run's log and the report it stopped in (started, not ended); re-raises ``error`` unless TeX
        stopped on its own inside a report (a run killed from outside, or out of time, may not have a whole log)."""
        log_path = folder / f"{Path(tex_name).stem}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        marks = _marks(log)
        ended = re.search(r"^(Output written on|No pages of output)", log, re.MULTILINE)
        if self._closed or ended is None or not marks or marks[-1][1] != "START":
            raise error
        return log, marks[-1][0]

    def _split_all(self, folder: Path, tex_name: str, log: str, numbers: list[int],
                   limits: CompileLimits) -> list[bytes | TexreportError]:
        """Each report's PDF (or the error of its conversion), up to ``processes`` conversions side by side."""
        pages = _page_ranges(log)

        def split(number: int) -> bytes | TexreportError:
            try:
                return self._split(folder, f"{Path(tex_name).stem}.xdv", pages.get(number, (0, 0)), number, limits)
            except _REPORT_ERRORS as error:
                if self._closed:
                    raise
                return error

        if self._parallel == 1 or len(numbers) == 1:
            return [split(number) for number in numbers]
        with ThreadPoolExecutor(max_workers=min(self._parallel, len(numbers)),
                                thread_name_prefix="texreport-split") as pool:
            return list(pool.map(split, numbers))

    def _split(self, folder: Path, xdv_name: str, pages: tuple[int, int], number: int,
               limits: CompileLimits) -> bytes:
        first, last = pages
        if not 0 < first <= last:
            raise CompileError(f"report {number} of a batch group has no page range in the log")
        with self._slots.hold(_AFTER):
            pdf = xdv_to_pdf(folder, xdv_name, (first, last), f"{group_prefix(number)}report.pdf", limits=limits)
        return pdf.read_bytes()

    def _register(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes = {p for p in self._processes if p.poll() is None}
            self._processes.add(process)
            closed = self._closed
        if closed:
            kill_group(process)

    def close(self) -> None:
        """Kill every run in progress (their compiles raise); later runs are killed at start."""
        with self._lock:
            self._closed = True
            processes = list(self._processes)
        self._slots.close()
        for process in processes:
            kill_group(process)
