"""Warm xelatex workers: the preamble and fonts are loaded before the document is known.

A :class:`Worker` is one xelatex process started in a folder of its own with the
document-independent files (``preamble.tex``, the style) and a small driver,
``report.tex``, that inputs the preamble and then blocks reading one line from
its standard input — a pipe this module owns and writes nothing to but the
body's file name (``body``), which is the program's own constant, never user
text. Loading ctex, TikZ/pgfplots and the Noto CJK fonts is most of a pass, so a
worker that is already waiting typesets a report in a fraction of a cold run.

What a caller must know:

* **Sandboxed exactly like a cold compile**: the process is started by
  :func:`texreport.compiler.start_xelatex` (same environment with
  ``openin_any=p``/``openout_any=p``, no shell escape, rlimits, own process
  group) and finished by :func:`~texreport.compiler.finish_xelatex` (the job's
  wall-clock timeout kills the whole group) and judged by
  :func:`~texreport.compiler.check_result` (clean log, complete PDF).
* **One job per process**: a worker is never reused. Whatever a document did to
  TeX's state (or an error, or a timeout) dies with it. :class:`WorkerPool`
  starts the replacement as soon as a spare is taken, so the next one loads its
  preamble while the current job runs.
* **Same PDF text as the cold path**: the worker reads the very same
  ``preamble.tex`` and ``body.tex`` that a cold ``report.tex`` inputs.
* **Nothing is left behind**: :meth:`WorkerPool.close` (also run at exit for the
  shared pool) kills every worker's process group and removes its folder.
  Idle spares hold ~200 MB each.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from . import telemetry
from .compiler import CompileLimits, check_result, disk_full_as_error, finish_xelatex, kill_group, start_xelatex
from .errors import CompileError
from .formats import ensure_format, forget_format, format_refused, preamble_input
from .jobdirs import make_job_folder, remove_orphans, write_files

__all__ = ["Worker", "WorkerPool", "shared_pool", "configure_shared_pool", "prestart_pool", "take_prestarted",
           "WORKER_DRIVER", "JOB_NAME"]

JOB_NAME = "body"  # the only thing ever written to a worker's pipe
TEX_NAME = "report.tex"

#: The worker's entry point after its first line (:func:`texreport.formats.preamble_input`:
#: the fonts after a precompiled format, else the whole preamble). ``\read-1`` reads a
#: terminal line without a prompt; TeX refuses terminal reads in nonstop mode, so the
#: read alone runs in scroll mode. End of file on the pipe (pool closed) stops xelatex.
WORKER_DRIVER = (
    "\\begingroup\\endlinechar=-1 \\scrollmode\\global\\read-1 to\\TRjobname\\nonstopmode\\endgroup\n"
    "\\input{\\TRjobname}\n"
)


def _fingerprint(fixed: Mapping[str, str | bytes], limits: CompileLimits) -> str:
    digest = hashlib.sha256()
    for name in sorted(fixed):
        content = fixed[name]
        digest.update(name.encode() + b"\0" + (content if isinstance(content, bytes) else content.encode("utf-8")) + b"\0")
    # rlimits are set when the process starts; the timeout applies per job, so it is not part of the key.
    digest.update(repr(limits.rlimits).encode())
    return digest.hexdigest()


class Worker:
    """One xelatex process waiting for its body; use :meth:`run` once, then it is spent."""

    def __init__(self, fixed: Mapping[str, str | bytes], *, limits: CompileLimits = CompileLimits(),
                 fmt: Path | None = None) -> None:
        """Start xelatex on ``fixed``: from the precompiled format ``fmt`` (see texreport.formats)
        if given, else loading the whole preamble."""
        self.fingerprint = _fingerprint(fixed, limits)
        self.fmt = fmt
        self.started = time.monotonic()
        # The pid in the name lets a later process remove what a killed one left (remove_orphans).
        self.folder = make_job_folder("worker")
        try:
            write_files(self.folder, fixed)
            (self.folder / TEX_NAME).write_text(f"{preamble_input(fmt)}\n{WORKER_DRIVER}", encoding="utf-8")
            self.process = start_xelatex(self.folder, TEX_NAME, limits=limits, stdin=subprocess.PIPE, fmt=fmt)
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
            for name, content in document.items():
                (self.folder / name).write_text(content, encoding="utf-8")
            started = time.monotonic()
            try:
                terminal = finish_xelatex(self.process, timeout=timeout, input_bytes=(JOB_NAME + "\n").encode())
            except BrokenPipeError:  # died before reading: its log says why
                kill_group(self.process)
                terminal = b""
            assert self.process.returncode is not None
            result = check_result(self.folder, TEX_NAME, self.process.returncode, terminal,
                                  time.monotonic() - started)
            return result.pdf.read_bytes()
        finally:
            if keep_dir is not None:
                shutil.copytree(self.folder, keep_dir, dirs_exist_ok=True)
            self.discard()

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
    """Keeps ``spares`` warm workers ready; each :meth:`compile` takes one and starts its replacement.

    Thread-safe: the HTTP service calls :meth:`compile` from several compile
    threads at once. A spare whose preamble files (or rlimits) differ from the
    job's is not used; the pool starts workers for the newest ones instead, so an
    edited ``texreport.sty`` takes effect on the next job.
    """

    def __init__(self, *, spares: int = 1, limits: CompileLimits = CompileLimits()) -> None:
        if spares < 0:
            raise ValueError("spares must be 0 or more")
        self.spares = spares
        self.limits = limits
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
        wanted = _fingerprint(fixed, self.limits)
        stale = [w for w in self._idle if w.fingerprint != wanted or not w.alive]
        telemetry.count(telemetry.WORKER_RESTARTS, sum(1 for w in stale if not w.alive))
        for worker in stale:
            self._idle.remove(worker)
            worker.discard()
        while len(self._idle) < self.spares:
            self._idle.append(Worker(fixed, limits=self.limits, fmt=fmt))

    def _take(self, fixed: Mapping[str, str | bytes], limits: CompileLimits) -> Worker:
        fmt = ensure_format(fixed, limits=limits)  # as in warm_up: never build it while holding the lock
        with self._lock:
            if self._closed:
                raise CompileError("the worker pool is closed")
            wanted = _fingerprint(fixed, limits)
            worker = next((w for w in self._idle if w.fingerprint == wanted and w.alive), None)
            if worker is not None:
                self._idle.remove(worker)
            try:
                self._replenish(fixed, fmt)  # before the job runs, so the next spare loads meanwhile
            except OSError:
                # No spare could be started (a full temporary folder …); the worker taken
                # above must not be lost with it. A later job tries again.
                pass
            if worker is None:
                self.cold_starts += 1
                worker = Worker(fixed, limits=limits, fmt=fmt)
            self._busy.add(worker)
            self.jobs += 1
            return worker

    def compile(
        self,
        fixed: Mapping[str, str | bytes],
        document: Mapping[str, str],
        *,
        limits: CompileLimits | None = None,
        keep_dir: Path | None = None,
    ) -> bytes:
        """Typeset one document in a warm worker; the PDF bytes, or a RenderError.

        ``limits.timeout`` counts from the moment the job is handed over (a spare
        that is still loading its preamble spends part of it).
        """
        limits = limits or self.limits
        with disk_full_as_error():
            return self._compile(fixed, document, limits, keep_dir)

    def _compile(self, fixed: Mapping[str, str | bytes], document: Mapping[str, str], limits: CompileLimits,
                 keep_dir: Path | None) -> bytes:
        for last_attempt in (False, True):
            worker = self._take(fixed, limits)
            try:
                return worker.run(document, timeout=limits.timeout, keep_dir=keep_dir)
            except CompileError as error:
                if last_attempt or worker.fmt is None or not format_refused(error):
                    raise
                # xelatex could not load the format: drop it (spares started from it have
                # died too and are replaced) and run the job once more; the next worker
                # rebuilds the format or, failing that, loads the whole preamble.
                forget_format(worker.fmt)
            finally:
                with self._lock:
                    self._busy.discard(worker)
                if self._closed:  # closed while we ran: the pool already killed it
                    worker.discard()
        raise AssertionError("unreachable: the last attempt returns or raises")

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


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()
_shared_spares = 1


def configure_shared_pool(*, spares: int) -> None:
    """Set how many warm spares :func:`shared_pool` keeps (call before first use; e.g. compile slots)."""
    global _shared_spares
    with _shared_lock:
        _shared_spares = spares
        if _shared is not None:
            _shared.spares = spares


def shared_pool() -> WorkerPool:
    """The process-wide pool ``render(…, options=RenderOptions(warm=True))`` uses; closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._closed:
            _shared = WorkerPool(spares=_shared_spares)
            atexit.register(_shared.close)
        return _shared


_prestarted: WorkerPool | None = None


def prestart_pool() -> None:
    """Start a one-shot pool with one spare now (``texreport render``'s head start; see texreport.launch).

    Its worker has the default rlimits; a job's timeout applies when it runs. If
    nobody takes the pool, it is closed at exit.
    """
    global _prestarted
    from .formats import fixed_files

    pool = WorkerPool(spares=1)
    atexit.register(pool.close)
    pool.warm_up(fixed_files())
    _prestarted = pool


def take_prestarted(limits: CompileLimits) -> WorkerPool | None:
    """The pool :func:`prestart_pool` started, if any and if its rlimits fit ``limits`` (once)."""
    global _prestarted
    pool, _prestarted = _prestarted, None
    if pool is None:
        return None
    if pool.limits.rlimits != limits.rlimits:
        pool.close()
        return None
    pool.limits = limits
    return pool
