"""Warm xelatex workers: the preamble and fonts are loaded before the document is known.

A :class:`Worker` is one xelatex process started in a folder of its own with the
document-independent files (``preamble.tex``, the style) and a small driver
(:func:`texreport.drivers.worker_driver`) that inputs the preamble and then blocks
reading one line from its standard input — a pipe this module owns and writes
nothing to but the body's file name (``body``), which is the program's own
constant, never user text. Loading ctex, pgfcore and the Noto CJK fonts is
most of a pass, so a worker that is already waiting typesets a report in a
fraction of a cold run.

:class:`WorkerPool` is one of the :class:`texreport.transports.Compiler`
implementations. There is no process-wide pool: whoever needs one owns it (the
CLI's render, the console script's head start, the HTTP service, batch) and
closes it.

What a caller must know:

* **Sandboxed exactly like a cold compile**: the process is started by
  :func:`texreport.compiler.start_xelatex` (same environment with
  ``openin_any=p``/``openout_any=p``, no shell escape, rlimits, own process
  group) and finished by :func:`~texreport.compiler.finish_xelatex` (the job's
  wall-clock timeout kills the whole group) and judged by
  :func:`~texreport.compiler.check_result` (clean log, complete PDF).
* **One job per process**: a worker is never reused. Whatever a document did to
  TeX's state (or an error, or a timeout) dies with it. :class:`WorkerPool`
  starts the replacement when the job is over, so that loading it does not take
  CPU from the job a user waits for (on two cores a spare loading its format at
  the same moment made a job ~50 % slower).
* **Same PDF text as the cold path**: the worker reads the very same
  ``preamble.tex`` and ``body.tex`` that a cold ``report.tex`` inputs.
* **Nothing is left behind**: :meth:`WorkerPool.close` kills every worker's
  process group and removes its folder. Idle spares hold ~200 MB each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from . import telemetry
from .compiler import CompileLimits, check_result, disk_full_as_error, finish_xelatex, kill_group, start_xelatex
from .drivers import JOB_NAME, WORKER_TEX_NAME, worker_driver
from .errors import CompileError, TexreportError
from .formats import ensure_format
from .jobdirs import make_job_folder, remove_orphans, write_files
from .transports import PreparedJob

__all__ = ["Worker", "WorkerPool"]


def _fingerprint(fixed: Mapping[str, str | bytes], limits: CompileLimits, fmt: Path | None = None) -> str:
    digest = hashlib.sha256()
    # The format file's identity too: a spare started from a format since dropped and rebuilt
    # (same path, new file) must not be used.
    try:
        stat = fmt.stat() if fmt is not None else None
    except OSError:
        stat = None
    digest.update(repr((fmt, stat and (stat.st_ino, stat.st_size, stat.st_mtime_ns))).encode())
    for name in sorted(fixed):
        content = fixed[name]
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        digest.update(name.encode() + b"\0" + data + b"\0")
    # rlimits are set when the process starts; the timeout applies per job, so it is not part of the key.
    digest.update(repr(limits.rlimits).encode())
    return digest.hexdigest()


class Worker:
    """One xelatex process waiting for its body; use :meth:`run` once, then it is spent."""

    def __init__(self, fixed: Mapping[str, str | bytes], *, limits: CompileLimits = CompileLimits(),
                 fmt: Path | None = None, nice: int = 0) -> None:
        """Start xelatex on ``fixed``: from the precompiled format ``fmt`` (see texreport.formats)
        if given, else loading the whole preamble; ``nice`` > 0 lowers its CPU priority."""
        self.fingerprint = _fingerprint(fixed, limits, fmt)
        self.fmt = fmt
        self.started = time.monotonic()
        # The pid in the name lets a later process remove what a killed one left (remove_orphans).
        self.folder = make_job_folder("worker")
        try:
            write_files(self.folder, {**fixed, WORKER_TEX_NAME: worker_driver(fmt)})
            self.process = start_xelatex(self.folder, WORKER_TEX_NAME, limits=limits, stdin=subprocess.PIPE,
                                         fmt=fmt)
            if nice:
                self.set_priority(nice)  # from the parent, after the start: no pre-exec code in a threaded process
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self._used = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def pid(self) -> int:
        return self.process.pid

    def run(self, document: Mapping[str, str], *, timeout: float, keep_dir: Path | None = None) -> bytes:
        """Typeset ``document`` (``body.tex`` and its files); return the PDF bytes or raise a RenderError.

        The worker is spent afterwards whatever happens: its process group is
        dead and its folder removed (copied to ``keep_dir`` first if given).
        """
        if self._used:
            raise RuntimeError("a worker runs one job only")
        self._used = True
        try:
            write_files(self.folder, document)
            started = time.monotonic()
            try:
                terminal = finish_xelatex(self.process, timeout=timeout, input_bytes=(JOB_NAME + "\n").encode())
            except BrokenPipeError:  # died before reading: its log says why
                kill_group(self.process)
                terminal = b""
            assert self.process.returncode is not None
            result = check_result(self.folder, WORKER_TEX_NAME, self.process.returncode, terminal,
                                  time.monotonic() - started)
            return result.pdf.read_bytes()
        finally:
            if keep_dir is not None:
                shutil.copytree(self.folder, keep_dir, dirs_exist_ok=True)
            self.discard()

    def set_priority(self, nice: int) -> None:
        """Set the niceness of the worker's process group (xelatex, and xdvipdfmx once started).

        Lowering it again needs the privilege to (root, or CAP_SYS_NICE); without it
        the worker keeps its priority.
        """
        try:
            os.setpriority(os.PRIO_PGRP, self.process.pid, nice)
        except (PermissionError, ProcessLookupError):
            pass

    def discard(self) -> None:
        """Kill the process group and remove the folder (safe to call twice, from any thread)."""
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        kill_group(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class WorkerPool:
    """Keeps ``spares`` warm workers ready; each :meth:`compile` takes one, and replaces it when done.

    Thread-safe: the HTTP service calls :meth:`compile` from several compile
    threads at once. A spare whose preamble files (or rlimits) differ from the
    job's is not used; the pool starts workers for the newest ones instead, so an
    edited ``texreport.sty`` takes effect on the next job.
    """

    def __init__(self, *, spares: int = 1, limits: CompileLimits = CompileLimits(), nice: int = 0) -> None:
        """``nice`` > 0 runs every worker at a lower CPU priority (background work, render-ahead)."""
        if spares < 0:
            raise ValueError("spares must be 0 or more")
        self.spares = spares
        self.limits = limits
        self.nice = nice
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._closed = False
        remove_orphans()
        self.jobs = 0          # counters for tests and the bench
        self.cold_starts = 0   # jobs that found no matching spare

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def warm_up(self, fixed: Mapping[str, str | bytes]) -> None:
        """Start spares for ``fixed`` now (they load in the background); returns at once.

        (Once per installation it first builds the precompiled format, ~1 s.)
        """
        fmt = ensure_format(fixed, limits=self.limits)  # a first build happens here, not under the lock
        with self._lock:
            self._replenish(fixed, fmt)

    def _replenish(self, fixed: Mapping[str, str | bytes], fmt: Path | None) -> None:
        # Called with the lock held. Popen returns at once; xelatex loads on its own.
        if self._closed:
            return
        wanted = _fingerprint(fixed, self.limits, fmt)
        stale = [w for w in self._idle if w.fingerprint != wanted or not w.alive]
        telemetry.count(telemetry.WORKER_RESTARTS, sum(1 for w in stale if not w.alive))
        for worker in stale:
            self._idle.remove(worker)
            worker.discard()
        while len(self._idle) < self.spares:
            self._idle.append(Worker(fixed, limits=self.limits, fmt=fmt, nice=self.nice))

    def _take(self, fixed: Mapping[str, str | bytes], limits: CompileLimits, fmt: Path | None) -> Worker:
        with self._lock:
            if self._closed:
                raise CompileError("the worker pool is closed")
            wanted = _fingerprint(fixed, limits, fmt)
            worker = next((w for w in self._idle if w.fingerprint == wanted and w.alive), None)
            if worker is not None:
                self._idle.remove(worker)
            else:
                self.cold_starts += 1
                worker = Worker(fixed, limits=limits, fmt=fmt, nice=self.nice)
            self._busy.add(worker)
            self.jobs += 1
            return worker

    def compile(self, job: PreparedJob, *, limits: CompileLimits | None = None,
                keep_dir: Path | None = None) -> bytes:
        """Typeset one job in a warm worker; the PDF bytes, or a RenderError.

        ``limits.timeout`` counts from the moment the job is handed over (a spare
        that is still loading its preamble spends part of it). The replacement
        spare starts when the job is over.
        """
        limits = limits or self.limits
        with disk_full_as_error():
            return self._compile(job, limits, keep_dir)

    def _compile(self, job: PreparedJob, limits: CompileLimits, keep_dir: Path | None) -> bytes:
        fmt = ensure_format(job.fixed, limits=limits)  # never built while holding the lock
        worker = self._take(job.fixed, limits, fmt)
        try:
            return worker.run(job.document, timeout=limits.timeout, keep_dir=keep_dir)
        finally:
            with self._lock:
                self._busy.discard(worker)
                try:
                    self._replenish(job.fixed, fmt)
                except (OSError, TexreportError):
                    pass  # no spare now: the next job starts its own worker and meets the problem
            if self._closed:  # closed while we ran: the pool already killed it
                worker.discard()

    def abort(self) -> None:
        """Kill the workers running a job now (their compiles raise); the pool stays open."""
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.discard()

    def promote(self) -> None:
        """Run the jobs in progress at normal priority (best effort: see :meth:`Worker.set_priority`)."""
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.set_priority(0)

    def close(self) -> None:
        """Kill every worker, idle or busy, and remove their folders; later compiles fail."""
        with self._lock:
            self._closed = True
            workers = self._idle + list(self._busy)
            self._idle = []
        for worker in workers:
            worker.discard()

    def worker_pids(self) -> list[int]:
        """Process ids of the idle and busy workers (for tests)."""
        with self._lock:
            return [w.pid for w in self._idle + list(self._busy)]
