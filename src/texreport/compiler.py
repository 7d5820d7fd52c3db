"""Run xelatex on a prepared job folder: sandboxed, bounded, and checked.

``compile_tex(folder, "report.tex")`` runs one xelatex pass and returns the PDF
path, or raises a :class:`~texreport.errors.RenderError`. The caller owns the
folder; this module never creates or deletes it.

The sandbox does not trust the escaping upstream: shell escape is off,
``openin_any=p``/``openout_any=p`` keep TeX from reading or writing outside the
job folder, stdin is /dev/null, the process runs in its own process group and
the whole group is killed at the deadline, and rlimits bound file size, memory
and CPU time (set by ``prlimit``, which then execs xelatex: see
:func:`limited_command`). A run that fails in a full temporary folder raises
:class:`~texreport.errors.DiskFullError`. Success means exit status 0, a complete PDF *and* a clean log.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import CompileError, CompileTimeout, DiskFullError, ToolMissingError, UnsupportedCharacterError

__all__ = ["CompileLimits", "CompileResult", "compile_tex", "sandbox_environment", "parse_log", "LogProblem",
           "start_xelatex", "finish_xelatex", "check_result", "check_log", "kill_group", "xelatex_command",
           "compile_xdv", "xdv_to_pdf", "start_sandboxed", "xelatex_executable", "limited_command",
           "disk_full_as_error"]

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class CompileLimits:
    """Resource bounds for one xelatex run (per process)."""

    timeout: float = DEFAULT_TIMEOUT          # wall clock, whole process group killed after it
    max_file_bytes: int = 256 * 1024 * 1024   # RLIMIT_FSIZE: a page flood dies here, not on the disk
    max_memory_bytes: int = 3 * 1024**3       # RLIMIT_AS: CJK fonts need a few hundred MB
    max_cpu_seconds: int = 120                # RLIMIT_CPU: a second, independent stop

    @property
    def rlimits(self) -> tuple[int, int, int]:
        """The bounds fixed when a process starts (the timeout applies per job)."""
        return (self.max_file_bytes, self.max_memory_bytes, self.max_cpu_seconds)


@dataclass(frozen=True)
class CompileResult:
    pdf: Path
    log: str
    seconds: float


@dataclass(frozen=True)
class LogProblem:
    message: str
    line: int | None
    character: str | None = None   # set for "Missing character" problems


def sandbox_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment xelatex runs in: no shell escape, reads and writes only below the job folder."""
    source = os.environ if base is None else base
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TEXMFHOME", "TEXMFVAR", "TEXMFCONFIG", "TEXMFCNF",
            "FONTCONFIG_FILE", "FONTCONFIG_PATH", "XDG_CACHE_HOME", "SOURCE_DATE_EPOCH")
    env = {name: source[name] for name in keep if name in source}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update(
        openin_any="p",      # TeX Live's default "a" lets \input{/etc/passwd} read any file
        openout_any="p",
        shell_escape="f",    # belt and braces with -no-shell-escape
        shell_escape_commands="",
        TEXINPUTS="",        # no extra search paths beyond the job folder and TeX Live's tree
        max_print_line="10000",  # keep each log message on one line for the parser
        error_line="254",
        half_error_line="238",
        # XeTeX allocates ~250 MB of tables (a Unicode-sized eqtb twice, font memory) and
        # touches them at start-up: ~45,000 page faults, ~70 ms of every xelatex start.
        # Transparent huge pages (where the kernel offers them) cut that tenfold; glibc
        # before 2.35 ignores the tunable (measured: bench/RESULTS.md, "xelatex start-up").
        # A GLIBC_TUNABLES of the caller's own is kept (hugetlb=0 turns this off).
        GLIBC_TUNABLES=source.get("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"),
    )
    return env


_FILE_LINE_ERROR = re.compile(r"^(?:\./)?[^:\n]+\.(?:tex|sty|cls|def|cfg|clo):(\d+): (.+)$", re.M)
_BANG_ERROR = re.compile(r"^! (.+)$", re.M)
_LINE_MARK = re.compile(r"^l\.(\d+)", re.M)
_MISSING = re.compile(r"Missing character: There is no (.) \(U\+([0-9A-F]{4,6})\)")


def parse_log(log: str) -> LogProblem | None:
    """The first problem in a xelatex log, or None when the log is clean."""
    missing = _MISSING.search(log)
    first = _FILE_LINE_ERROR.search(log)
    bang = _BANG_ERROR.search(log)
    candidates = [m for m in (missing, first, bang) if m]
    if not candidates:
        if "Emergency stop" in log or "Fatal error occurred" in log:
            return LogProblem("fatal error, no output PDF produced", None)
        return None
    earliest = min(candidates, key=lambda m: m.start())
    if earliest is first:
        problem = LogProblem(first.group(2).strip(), int(first.group(1)))
    elif earliest is bang:
        line_mark = _LINE_MARK.search(log, bang.end())
        problem = LogProblem(bang.group(1).strip(), int(line_mark.group(1)) if line_mark else None)
    else:
        problem = LogProblem(earliest.group(0), None)
    # With \tracinglostchars=3 a missing glyph is an error whose message names the character.
    glyph = _MISSING.search(problem.message)
    if glyph:
        return LogProblem(problem.message, problem.line, chr(int(glyph.group(2), 16)))
    return problem


# The rlimits are set by a tiny program that execs the TeX program (same pid, same process
# group, no shell): prlimit(1) from util-linux, or where it is missing this Python one-liner.
# Not preexec_fn: Python documents it as unsafe in a process with threads (the service
# compiles from several), where the child can deadlock between fork and exec.
_PYTHON_LIMITER = (
    "import os,resource as r,sys;a=sys.argv;"
    "[r.setrlimit(k,(int(v),int(v))) for k,v in ((r.RLIMIT_FSIZE,a[1]),(r.RLIMIT_AS,a[2]),(r.RLIMIT_CPU,a[3]),"
    "(r.RLIMIT_CORE,0))];os.execv(a[4],a[4:])"
)


def limited_command(command: list[str], limits: CompileLimits) -> list[str]:
    """``command`` (absolute program path first) run under ``limits``' rlimits, as an argument list."""
    file_bytes, memory_bytes, cpu_seconds = limits.rlimits
    prlimit = shutil.which("prlimit")
    if prlimit is not None:
        return [prlimit, f"--fsize={file_bytes}", f"--as={memory_bytes}", f"--cpu={cpu_seconds}", "--core=0",
                "--", *command]
    return [sys.executable, "-I", "-S", "-c", _PYTHON_LIMITER, str(file_bytes), str(memory_bytes),
            str(cpu_seconds), *command]


def xelatex_executable() -> str:
    exe = shutil.which("xelatex")
    if exe is None:
        raise ToolMissingError("xelatex not found: install TeX Live (Debian: texlive-xetex), see scripts/install.sh")
    return exe


_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error")


def xelatex_command(tex_name: str, *, make_pdf: bool = True, fmt: Path | None = None,
                    dump_as: str | None = None) -> list[str]:
    """The xelatex command line of every run: sandbox flags, then the mode.

    ``fmt`` starts from a precompiled format (see texreport.formats); ``dump_as``
    builds one named so instead of a document (``-ini``, recording the files read).
    """
    if dump_as is not None:
        return [xelatex_executable(), "-ini", "-recorder", f"-jobname={dump_as}", *_FLAGS, "&xelatex", tex_name]
    return [xelatex_executable(), *([f"-fmt={fmt}"] if fmt is not None else []), *_FLAGS,
            *([] if make_pdf else ["-no-pdf"]), tex_name]


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and everything it started (xdvipdfmx runs as xelatex's child)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone (PermissionError: macOS reports a dead group so)
    process.wait()


def start_xelatex(
    folder: Path, tex_name: str, *, limits: CompileLimits, stdin: int, make_pdf: bool = True, fmt: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start one sandboxed xelatex in ``folder`` (its own process group, rlimits, sandbox env).

    ``stdin`` is ``subprocess.DEVNULL`` for a cold compile; a warm worker passes
    ``subprocess.PIPE`` and writes only the job's file name to it. Everything else
    is identical, so a worker is sandboxed exactly like a cold compile.
    """
    return start_sandboxed(xelatex_command(tex_name, make_pdf=make_pdf, fmt=fmt), folder, limits=limits, stdin=stdin)


def start_sandboxed(command: list[str], folder: Path, *, limits: CompileLimits, stdin: int) -> subprocess.Popen[bytes]:
    """Start a TeX program in ``folder`` with the sandbox environment, rlimits and its own process group."""
    return subprocess.Popen(
        limited_command(command, limits),
        cwd=folder,
        env=sandbox_environment(),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,  # set by the C fork helper: safe with threads, unlike preexec_fn
        close_fds=True,
    )


def finish_xelatex(
    process: subprocess.Popen[bytes], *, timeout: float, input_bytes: bytes | None = None
) -> bytes:
    """Feed ``input_bytes`` (if any), wait up to ``timeout`` s, return the terminal output.

    Kills the whole process group on timeout (raising CompileTimeout) and on any
    other exception (KeyboardInterrupt included): no xelatex outlives this call.
    """
    try:
        terminal, _ = process.communicate(input=input_bytes, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise CompileTimeout(timeout) from None
    except BaseException:  # KeyboardInterrupt, cancellation: never leave xelatex behind
        kill_group(process)
        raise
    finally:
        if process.poll() is None:
            kill_group(process)
    return terminal


def check_result(folder: Path, tex_name: str, returncode: int, terminal: bytes, seconds: float) -> CompileResult:
    """Judge a finished run: a clean log and a complete PDF, or the matching RenderError."""
    log = check_log(folder, tex_name, returncode, terminal)
    pdf = folder / f"{Path(tex_name).stem}.pdf"
    if not _complete_pdf(pdf):
        _raise_if_disk_full(folder, terminal.decode("utf-8", "replace"))
        raise CompileError("xelatex produced no complete PDF", log_excerpt=terminal.decode("utf-8", "replace")[-2000:],
                           reached_driver=_reached_driver(log + terminal.decode("utf-8", "replace"), tex_name))
    return CompileResult(pdf=pdf, log=log, seconds=seconds)


def check_log(folder: Path, tex_name: str, returncode: int, terminal: bytes) -> str:
    """Raise the RenderError a finished run's log or exit status shows; return the clean log."""
    stem = Path(tex_name).stem
    log_path = folder / f"{stem}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    output = terminal.decode("utf-8", errors="replace")
    if returncode != 0:
        _raise_if_disk_full(folder, output + log)
    problem = parse_log(log)
    if problem is None and "Unable to read an entire line" in output:
        problem = LogProblem("a source line is too long (Unable to read an entire line)", None)
    if problem and problem.character:
        raise UnsupportedCharacterError(problem.character)
    reached = _reached_driver(log + output, tex_name)
    if problem:
        raise CompileError(problem.message, tex_line=problem.line, log_excerpt=_excerpt(log, problem),
                           reached_driver=reached)
    if returncode != 0:
        if returncode < 0:
            reason = f"killed by signal {signal.Signals(-returncode).name}"
        else:
            reason = f"exit status {returncode}"
        raise CompileError(f"xelatex stopped ({reason})", log_excerpt=output[-2000:], reached_driver=reached,
                           killed=-returncode in _OUTSIDE_SIGNALS)
    return log


#: Signals that stop xelatex from outside (a user, a supervisor, the OOM killer): never the format's doing.
_OUTSIDE_SIGNALS = frozenset({signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT})


def _reached_driver(transcript: str, tex_name: str) -> bool:
    """Whether xelatex opened the job's own file (the log or the terminal shows ``(./NAME``).

    TeX flushes the terminal as it opens a file, so a run killed later still shows
    it; a run that dies while it loads its format (whatever the damage, whatever the
    wording of the error, which differs between machines) never gets this far.
    """
    return f"(./{tex_name}" in transcript


def compile_tex(folder: Path, tex_name: str = "report.tex", *, limits: CompileLimits = CompileLimits(),
                fmt: Path | None = None) -> CompileResult:
    """One sandboxed xelatex pass in ``folder`` (from format ``fmt`` if given); the PDF, or a RenderError."""
    folder = Path(folder)
    started = time.monotonic()
    process = start_xelatex(folder, tex_name, limits=limits, stdin=subprocess.DEVNULL, fmt=fmt)
    terminal = finish_xelatex(process, timeout=limits.timeout)
    assert process.returncode is not None
    return check_result(folder, tex_name, process.returncode, terminal, time.monotonic() - started)


def compile_xdv(folder: Path, tex_name: str, *, limits: CompileLimits = CompileLimits(),
                on_start: Callable[[subprocess.Popen[bytes]], None] | None = None, fmt: Path | None = None) -> str:
    """One sandboxed ``xelatex -no-pdf`` pass: leaves ``<stem>.xdv`` in ``folder``; returns the log.

    ``on_start`` receives the process (a caller that must be able to kill it from
    another thread registers it there).
    """
    process = start_xelatex(folder, tex_name, limits=limits, stdin=subprocess.DEVNULL, make_pdf=False, fmt=fmt)
    if on_start is not None:
        on_start(process)
    terminal = finish_xelatex(process, timeout=limits.timeout)
    assert process.returncode is not None
    log = check_log(folder, tex_name, process.returncode, terminal)
    if not (folder / f"{Path(tex_name).stem}.xdv").is_file():
        raise CompileError("xelatex produced no XDV output")
    return log


def xdv_to_pdf(folder: Path, xdv_name: str, pages: tuple[int, int], pdf_name: str, *,
               limits: CompileLimits = CompileLimits()) -> Path:
    """Convert physical pages ``pages`` (first, last; 1-based) of an XDV file into ``pdf_name``.

    Runs xdvipdfmx as xelatex itself does (``-E``: embed fonts), sandboxed the same way.
    """
    exe = shutil.which("xdvipdfmx")
    if exe is None:
        raise ToolMissingError("xdvipdfmx not found: install TeX Live (Debian: texlive-xetex)")
    first, last = pages
    command = [exe, "-q", "-E", "-s", f"{first}-{last}", "-o", pdf_name, xdv_name]
    process = start_sandboxed(command, folder, limits=limits, stdin=subprocess.DEVNULL)
    terminal = finish_xelatex(process, timeout=limits.timeout)
    pdf = folder / pdf_name
    if process.returncode != 0 or not _complete_pdf(pdf):
        _raise_if_disk_full(folder, terminal.decode("utf-8", "replace"))
        raise CompileError("xdvipdfmx produced no complete PDF",
                           log_excerpt=terminal.decode("utf-8", "replace")[-2000:])
    return pdf


_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_DISK_FULL_WORDS = ("No space left on device", "Disk quota exceeded")
_FULL_BELOW = 256 * 1024  # free bytes under which a failed run is blamed on the disk


def _raise_if_disk_full(folder: Path, output: str) -> None:
    """A failed run in a full folder is reported as a full disk, naming the temporary folder."""
    try:
        status = os.statvfs(folder)
        full = status.f_bavail * status.f_frsize < _FULL_BELOW
    except OSError:
        full = False
    if full or any(words in output for words in _DISK_FULL_WORDS):
        raise DiskFullError(str(Path(folder).parent))


@contextmanager
def disk_full_as_error(folder: Path | str | None = None) -> Iterator[None]:
    """Turn an ENOSPC/EDQUOT ``OSError`` from writing a job's files into :class:`DiskFullError`."""
    try:
        yield
    except OSError as error:
        if error.errno in _DISK_FULL_ERRNOS:
            raise DiskFullError(str(folder or tempfile.gettempdir())) from None
        raise


def _complete_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
            handle.seek(max(0, path.stat().st_size - 1024))
            tail = handle.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail


def _excerpt(log: str, problem: LogProblem) -> str:
    index = log.find(problem.message)
    if index < 0:
        return log[-1500:]
    return log[max(0, index - 200): index + 1300]
