"""CPU seconds of the TeX processes per render (user + system of reaped children): a measure that a
loaded machine disturbs much less than wall-clock time. Not a test.

    .venv/bin/python bench/cpu.py [--runs 5] [--compiler cold|warm] [REPORT.json]

Prints the median, min and raw CPU seconds of xelatex + xdvipdfmx per render of the report
(default: the bundled sample), and the same for the wall clock.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compiler", choices=("cold", "warm"), default="cold")
    args = parser.parse_args()

    from texreport.pipeline import RenderOptions, prepare
    from texreport.sample import sample_json
    from texreport.transports import ColdCompiler, compile_job
    from texreport.workers import WorkerPool

    document = json.loads(Path(args.report).read_text(encoding="utf-8") if args.report else sample_json())
    options = RenderOptions(generated_at=datetime(2026, 11, 29, 14, 30, tzinfo=UTC))
    job = prepare(document, options=options)
    compile_job(ColdCompiler(), job, limits=options.limits)  # caches: format, fonts
    cpu: list[float] = []
    wall: list[float] = []
    with WorkerPool(spares=0) as pool:
        compiler = pool if args.compiler == "warm" else ColdCompiler()
        for _ in range(args.runs):
            before, started = children_cpu(), time.perf_counter()
            compile_job(compiler, job, limits=replace(options.limits))
            wall.append(time.perf_counter() - started)
            cpu.append(children_cpu() - before)
    print(f"{args.compiler}: CPU median {statistics.median(cpu):.3f} s, min {min(cpu):.3f} s, "
          f"raw {[round(c, 3) for c in cpu]}; wall median {statistics.median(wall):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
