r"""The document-independent preamble, and a precompiled xelatex format of it, built once and cached.

Most of a cold xelatex run is its preamble: ctexart, pgfcore and the rest
of ``texreport.sty`` (~0.4 s on our 2-core machines), then the fonts (~0.1 s).
XeTeX can dump the first part into a format file (``xelatex -ini … \dump``); a
run that starts from it (``-fmt=…``) skips that work. It cannot dump OpenType
("native") fonts, so the preamble comes in two files:

* ``preload.tex``: the class, ``texreport.sty`` and ``charclasses.tex`` (xeCJK
  character classes, :func:`texreport.fonts.char_class_setup_text`); this is what
  the format holds;
* ``fonts.tex``: the fontspec/xeCJK font setup (:func:`texreport.fonts.font_setup_text`),
  read by every run.

``preamble.tex`` inputs both: it is what a run without a format reads, and what
the standalone sources of ``texreport tex`` use. :func:`preamble_input` gives the
line a driver starts with for either case.

ctexart selects the default font (Latin Modern, an OpenType font under XeTeX)
while it loads, which alone makes ``\dump`` fail. ``preload.tex`` therefore
starts by declaring TFM stand-ins for the Latin Modern shapes; ``fonts.tex``
replaces every family before any text is set, and the style sets its lengths in
em and ex at ``\begin{document}``, in the body font. Runs with and without the
format read the same preamble, and the tests compare word positions and fonts.

The format lives in ``cache_dir()/formats`` (:func:`texreport.paths.cache_dir`),
named by a hash of what went into it (``preload.tex``, ``charclasses.tex``,
``texreport.sty``, the xelatex binary). A sidecar records the format's size and
CRC-32 (checked once per process before first use) and every file of the TeX
installation the build read (``-recorder``) with its size and mtime; a truncated
format, or a changed file (TeX Live updated), means a rebuild. The build runs in the
same sandbox as a compile. If it fails, or the cache cannot be written, renders run
without a format: slower, same PDF. A run from a format that fails before it reaches
the job's own file is blamed on the format (:func:`format_refused`), which the one
retry policy (:func:`texreport.transports.compile_job`) drops (:func:`forget_format`)
before compiling again, from a rebuilt format or without one. ``TEXREPORT_FORMAT=off``
turns formats off.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import zlib
from collections.abc import Mapping
from pathlib import Path

from . import telemetry
from .atomic import write_atomic
from .compiler import (
    CompileLimits,
    check_log,
    finish_xelatex,
    start_sandboxed,
    xelatex_command,
    xelatex_executable,
)
from .errors import CompileError, RenderError
from .fonts import FONT_SETS, char_class_setup_text, font_setup_text
from .jobdirs import job_folder, write_files
from .paths import cache_dir, latex_dir
from .theme import THEME_FILE, Theme, resolve_theme

__all__ = ["fixed_files", "ensure_format", "format_path", "preamble_input", "format_enabled", "format_refused",
           "forget_format", "PRELOAD_NAME", "CLASSES_NAME", "FONTS_NAME", "PREAMBLE_NAME", "STYLE_FILE"]

PRELOAD_NAME = "preload.tex"     # class + texreport.sty + charclasses.tex: what the format holds
CLASSES_NAME = "charclasses.tex"  # xeCJK character classes (no fonts), input by preload.tex
FONTS_NAME = "fonts.tex"         # the font setup, read by every run
PREAMBLE_NAME = "preamble.tex"   # both, for a run without a format
STYLE_FILE = "texreport.sty"
PREAMBLE = "\\input{preload}\n\\input{fonts}\n"
FORMAT_VERSION = "2"             # bump when the build procedure changes
_FORMAT_INPUTS = (PRELOAD_NAME, CLASSES_NAME, STYLE_FILE, THEME_FILE)  # theme.tex: a format per theme

_BUILD_NAME = "format.tex"
_JOB_NAME = "texreport"
_lock = threading.Lock()
_failed: dict[str, float] = {}  # key → when its build failed in this process (time.monotonic())
RETRY_AFTER = 600.0              # seconds before a failed build is tried again (a full disk may be freed)


def fixed_files(theme: Theme | str | None = None) -> dict[str, str | bytes]:
    """The document-independent files of every job with ``theme`` (default: the default theme).

    Read afresh, so edits apply. The theme adds ``theme.tex`` and its logo (bytes).
    """
    chosen = resolve_theme(theme)
    return {
        PRELOAD_NAME: (latex_dir() / PRELOAD_NAME).read_text(encoding="utf-8"),
        CLASSES_NAME: char_class_setup_text(),
        FONTS_NAME: font_setup_text(FONT_SETS[chosen.font_set]),
        PREAMBLE_NAME: PREAMBLE,
        STYLE_FILE: (latex_dir() / STYLE_FILE).read_text(encoding="utf-8"),
        **chosen.files(),
    }


def preamble_input(fmt: Path | None) -> str:
    """The first line of a driver: the fonts after a format, else the whole preamble."""
    return "\\input{fonts}" if fmt is not None else "\\input{preamble}"


def format_enabled() -> bool:
    return os.environ.get("TEXREPORT_FORMAT", "on").strip().lower() not in ("off", "0", "no", "false")


def format_refused(error: RenderError) -> bool:
    """Whether a compile from a format failed before xelatex reached the job's own file.

    Only loading the format happens before that, so the format is to blame, however
    it is damaged and whatever xelatex said (its wording, like the format's bytes,
    differs between machines); a run killed from outside proves nothing. The caller
    :func:`forget_format` s it and compiles again without one. A format damaged on disk
    is normally caught earlier, by the digest :func:`ensure_format` checks once per process.
    """
    return isinstance(error, CompileError) and not error.reached_driver and not error.killed


def forget_format(fmt: Path) -> None:
    """Remove a format xelatex refused; the next :func:`ensure_format` builds it again."""
    import logging

    logging.getLogger("texreport.formats").warning("texreport: xelatex refused the format %s; rebuilding it", fmt)
    for path in (fmt.with_suffix(".json"), fmt):  # the sidecar first: the pair is invalid at once
        try:
            path.unlink()
        except OSError:
            pass


def _key(fixed: Mapping[str, str | bytes]) -> str:
    exe = os.path.realpath(xelatex_executable())
    stat = os.stat(exe)
    digest = hashlib.sha256()
    for part in (FORMAT_VERSION, *(fixed[name] for name in _FORMAT_INPUTS),
                 f"{exe}|{stat.st_size}|{stat.st_mtime_ns}"):
        digest.update((part if isinstance(part, bytes) else part.encode("utf-8")) + b"\0")
    return digest.hexdigest()[:24]


def _inputs_unchanged(sidecar: Path) -> bool:
    """Whether the format next to ``sidecar`` is whole, undamaged, and every file its build read is unchanged."""
    try:
        stored = json.loads(sidecar.read_text(encoding="utf-8"))
        fmt = sidecar.with_suffix(".fmt")
        if fmt.stat().st_size != stored["size"] or not _digest_matches(fmt, stored["crc32"]):
            return False
        for path, size, mtime_ns in stored["inputs"]:
            stat = os.stat(path)
            if stat.st_size != size or stat.st_mtime_ns != mtime_ns:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


_verified: dict[Path, tuple[int, int, int]] = {}  # format → (inode, size, mtime) whose digest matched here


def _digest_matches(fmt: Path, expected: int) -> bool:
    """Whether the format's bytes are the ones its build wrote; read once per process and file.

    Any damage (flipped bytes, a zeroed page, garbage, a format of another TeX Live
    copied over it) changes the CRC-32; it costs ~2 ms for the ~10 MB a run reads
    anyway. A file replaced since (a new inode or mtime) is checked again.
    """
    stat = fmt.stat()
    identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if _verified.get(fmt) == identity:
        return True
    if zlib.crc32(fmt.read_bytes()) != expected:
        return False
    _verified[fmt] = identity
    return True


def format_path(fixed: Mapping[str, str | bytes]) -> Path | None:
    """Where the format for these fixed files lives (built or not); None when they get none."""
    if any(name not in fixed for name in _FORMAT_INPUTS) or not format_enabled():
        return None
    return cache_dir() / "formats" / f"{_JOB_NAME}-{_key(fixed)}.fmt"


def ensure_format(fixed: Mapping[str, str | bytes], *, limits: CompileLimits = CompileLimits()) -> Path | None:
    """The format for these fixed files, built now if missing or stale; None to run without one.

    None when the files are not texreport's preamble (no ``preload.tex``), when
    formats are turned off, or when the build failed or could not be stored (logged;
    renders go on without a format, and the build is tried again after
    :data:`RETRY_AFTER` seconds).
    """
    fmt = format_path(fixed)
    if fmt is None:
        return None
    key, folder, sidecar = fmt.stem[len(_JOB_NAME) + 1:], fmt.parent, fmt.with_suffix(".json")
    if _inputs_unchanged(sidecar):
        return fmt
    with _lock:  # one build per process; other threads wait for it
        if _inputs_unchanged(sidecar):
            return fmt
        if key in _failed and time.monotonic() - _failed[key] < RETRY_AFTER:
            return None
        try:
            _build(fixed, folder, fmt, sidecar, limits)
        except (RenderError, OSError) as error:
            _failed[key] = time.monotonic()
            import logging  # only on this path: the CLI imports this module before anything else

            logging.getLogger("texreport.formats").warning("texreport: rendering without a precompiled format (%s)",
                                                           error)
            return None
    return fmt


def _build(fixed: Mapping[str, str | bytes], folder: Path, fmt: Path, sidecar: Path, limits: CompileLimits) -> None:
    folder.mkdir(parents=True, exist_ok=True)  # before the second of work: a cache it cannot write fails here
    with job_folder("format") as name:
        build = Path(name)
        write_files(build, {name: fixed[name] for name in _FORMAT_INPUTS})
        (build / _BUILD_NAME).write_text("\\input{preload}\n\\dump\n", encoding="utf-8")
        command = xelatex_command(_BUILD_NAME, dump_as=_JOB_NAME)
        process = start_sandboxed(command, build, limits=limits, stdin=subprocess.DEVNULL)
        terminal = finish_xelatex(process, timeout=limits.timeout)
        assert process.returncode is not None
        check_log(build, f"{_JOB_NAME}.tex", process.returncode, terminal)
        built = build / f"{_JOB_NAME}.fmt"
        if not built.is_file():
            raise OSError(f"xelatex -ini wrote no {built.name}")
        inputs = _recorded_inputs(build / f"{_JOB_NAME}.fls")
        data = built.read_bytes()
        # 0644: a cache shared by users (a container image) stays readable. The sidecar
        # comes second and records the size: a format without a matching one is rebuilt.
        write_atomic(fmt, data, mode=0o644)
        record = {"size": len(data), "crc32": zlib.crc32(data), "inputs": inputs}
        write_atomic(sidecar, json.dumps(record).encode("utf-8"), mode=0o644)
    telemetry.count(telemetry.FORMAT_BUILDS)
    _remove_stale(folder, keep=fmt)


def _recorded_inputs(fls: Path) -> list[list[object]]:
    """The installation files a build read (absolute INPUT lines of the recorder file)."""
    inputs: list[list[object]] = []
    seen: set[str] = set()
    for line in fls.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("INPUT /"):
            continue
        path = line[len("INPUT "):]
        if path in seen:
            continue
        seen.add(path)
        stat = os.stat(path)
        inputs.append([path, stat.st_size, stat.st_mtime_ns])
    return inputs


def _remove_stale(folder: Path, *, keep: Path) -> None:
    """Remove formats whose TeX Live files changed (they would be rebuilt anyway).

    A format younger than an hour is left alone: another process may be between
    installing it and installing its sidecar.
    """
    now = time.time()
    for other in folder.glob(f"{_JOB_NAME}-*.fmt"):
        sidecar = other.with_suffix(".json")
        try:
            recent = now - other.stat().st_mtime < 3600
        except OSError:
            continue
        if other != keep and not recent and not _inputs_unchanged(sidecar):
            for path in (other, sidecar):
                try:
                    path.unlink()
                except OSError:
                    pass
