"""How quickly texreport's bounds act: the timings the tests no longer assert.

Run from the repository root:  .venv/bin/python bench/bounds_bench.py [--runs 3]

The tests check *why* a run ended (the wall-clock timeout, the CPU or file-size rlimit,
a list refused before validation); this prints *how long* each took on this machine,
as medians. Nothing here is a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from texreport.compiler import CompileLimits, compile_tex
from texreport.errors import CompileError, CompileTimeout, LimitError
from texreport.models import load_document
from texreport.sample import sample_json

ENDLESS = r"\def\x{\x}\x"
BUSY = r"\loop\iftrue\repeat"
FLOOD = r"\loop\null\newpage\iftrue\repeat"


def seconds_until(expected: type[BaseException], action: Callable[[], object]) -> float:
    """Seconds until ``action`` raises ``expected`` (anything else is a wrong result, not a timing)."""
    started = time.perf_counter()
    try:
        action()
    except expected:
        return time.perf_counter() - started
    raise SystemExit(f"{action} did not raise {expected.__name__}")


def compile_body(body: str, limits: CompileLimits) -> None:
    with tempfile.TemporaryDirectory(prefix="bounds-bench-") as folder:
        job = Path(folder)
        (job / "report.tex").write_text(
            "\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n", encoding="utf-8")
        compile_tex(job, "report.tex", limits=limits)


def huge_list() -> None:
    document = json.loads(sample_json())
    document.get("data", document)["questionDetails"] = [{}] * 100_000
    load_document(document)


ROWS: list[tuple[str, type[BaseException], Callable[[], object], str]] = [
    ("100,000-entry list refused", LimitError, huge_list, "before pydantic validation"),
    ("endless macro, timeout=3 s", CompileTimeout, lambda: compile_body(ENDLESS, CompileLimits(timeout=3)),
     "wall clock + killing the process group"),
    ("busy loop, RLIMIT_CPU=2 s", CompileError,
     lambda: compile_body(BUSY, CompileLimits(timeout=3600, max_cpu_seconds=2)), "SIGXCPU (wall clock 1 h)"),
    ("page flood, RLIMIT_FSIZE=256 KiB", CompileError,
     lambda: compile_body(FLOOD, CompileLimits(timeout=3600, max_file_bytes=256 * 1024)), "SIGXFSZ (wall clock 1 h)"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions per row (median)")
    runs = parser.parse_args().runs
    print("| bound | median | stopped by |")
    print("|---|---|---|")
    for name, expected, action, how in ROWS:
        timings = [seconds_until(expected, action) for _ in range(runs)]
        middle = statistics.median(timings)
        shown = f"{middle * 1000:.1f} ms" if middle < 1 else f"{middle:.2f} s"
        print(f"| {name} | {shown} | {how} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
