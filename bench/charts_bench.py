"""What the charts cost xelatex: a report's body with its charts against the same body without them.

Run from the repository root:

    .venv/bin/python bench/charts_bench.py [--runs 9] [--before REV] [--pdf] [--progress] [REPORT.json]

For each style (the working tree's ``latex/texreport.sty``, and the one at git revision
``--before``, default 5bf7822: the single report's charts in plain TikZ, the progress
report's in pgfplots) it builds that style's precompiled format (``formats.ensure_format``,
as the service does) and typesets the body the way a cold compile does
(``xelatex -fmt=… -no-pdf job.tex``, job.tex = ``\\input{fonts}\\begin{document}\\input{body}\\end{document}``),
once as it is and once with the chart lines removed (and ``\\TRgauge`` made empty). The
four variants run interleaved, ``--runs`` rounds after one warm-up round; it prints the CPU
time (user + system of the reaped processes) median and min per variant, and the charts'
cost (with − without) per style. The report is the bundled sample (or REPORT.json);
``--progress``: the progress report of the bundled five sessions. ``--pdf`` adds
xdvipdfmx's CPU time. Not a test: the machine's load moves every number; compare the
medians of one run, or count instructions (bench/RESULTS.md, "Charts").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPORT_CHARTS = ("\\TRbarchart{", "\\TRradarchart{", "\\TRquestionchart{")
PROGRESS_CHARTS = ("\\TRtrendchart{", "\\TRtrendpanel{")
NO_GAUGE = "\\renewcommand\\TRgauge[2]{}"
ROOT = Path(__file__).resolve().parent.parent
GENERATED_AT = datetime(2026, 11, 29, 14, 30, tzinfo=UTC)


def style_at(revision: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:latex/texreport.sty"], check=True,
                          capture_output=True).stdout.decode("utf-8")


def job_files(report: str | None, progress: bool) -> tuple[dict[str, str | bytes], dict[str, str]]:
    """The fixed files (preamble, style, theme) and the document's files (body, CSV) of the job."""
    from texreport.pipeline import RenderOptions

    options = RenderOptions(generated_at=GENERATED_AT)
    if progress:
        from texreport.models import load_document
        from texreport.progress import SessionInput
        from texreport.progress_pipeline import prepare_progress
        from texreport.progress_sample import progress_sample_documents

        inputs = [SessionInput(load_document(d), f"session-{i}") for i, d in enumerate(progress_sample_documents())]
        job = prepare_progress(inputs, options=options)
    else:
        from texreport.pipeline import prepare
        from texreport.sample import sample_json

        job = prepare(json.loads(Path(report).read_text(encoding="utf-8") if report else sample_json()),
                      options=options)
    return dict(job.fixed), dict(job.document)


def variant_files(body: str, macros: tuple[str, ...]) -> dict[str, str]:
    """Drivers for the body as it is (``charts.tex``) and without charts (``none.tex``: lines dropped, gauge empty)."""
    kept = [line for line in body.splitlines(keepends=True) if not line.startswith(macros)]
    if len(kept) == len(body.splitlines()):
        raise SystemExit("charts_bench: the body has no chart lines")
    return {"body-nocharts.tex": "".join(kept),
            "charts.tex": "\\input{fonts}\\begin{document}\\input{body}\\end{document}\n",
            "none.tex": f"\\input{{fonts}}{NO_GAUGE}\\begin{{document}}\\input{{body-nocharts}}\\end{{document}}\n"}


def cpu_of(command: list[str], folder: Path) -> float:
    """CPU seconds (user + system) of one child process run to its end in ``folder``."""
    process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"charts_bench: {command[0]} failed in {folder} (see the .log there)")
    return usage.ru_utime + usage.ru_stime


def prepare_folder(root: Path, label: str, style: str, fixed: dict[str, str | bytes], document: dict[str, str],
                   macros: tuple[str, ...]) -> tuple[Path, Path]:
    """A job folder for one style, with its format built (or found in the cache)."""
    from texreport.formats import STYLE_FILE, ensure_format

    files = {**fixed, STYLE_FILE: style}
    fmt = ensure_format(files)
    if fmt is None:
        raise SystemExit("charts_bench: no precompiled format (TEXREPORT_FORMAT=off, or its build failed)")
    folder = root / label
    folder.mkdir()
    for name, content in {**files, **document, **variant_files(document["body.tex"], macros)}.items():
        path = folder / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return folder, fmt


def run_variant(folder: Path, fmt: Path, variant: str, pdf: bool) -> float:
    command = ["xelatex", f"-fmt={fmt.with_suffix('')}", "-no-shell-escape", "-interaction=batchmode",
               "-halt-on-error", "-no-pdf", f"{variant}.tex"]
    cpu = cpu_of(command, folder)
    if pdf:
        cpu += cpu_of(["xdvipdfmx", "-q", f"{variant}.xdv"], folder)
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--before", default="5bf7822", help="git revision of the style to compare against")
    parser.add_argument("--pdf", action="store_true", help="add xdvipdfmx's CPU time")
    parser.add_argument("--progress", action="store_true", help="the progress report's charts instead")
    parser.add_argument("--keep", type=Path, help="leave the job folders here (must not exist)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    fixed, files = job_files(args.report, args.progress)
    macros = PROGRESS_CHARTS if args.progress else REPORT_CHARTS
    styles = {"before": style_at(args.before), "after": (ROOT / "latex" / "texreport.sty").read_text("utf-8")}
    root = Path(tempfile.mkdtemp(prefix="charts-bench-"))
    try:
        folders = {label: prepare_folder(root, label, style, fixed, files, macros) for label, style in styles.items()}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs + 1):   # the first round warms the file cache and is dropped
            for label, (folder, fmt) in folders.items():
                for variant in ("charts", "none"):
                    times.setdefault((label, variant), []).append(run_variant(folder, fmt, variant, args.pdf))
        report(times, args)
    finally:
        if args.keep:
            shutil.copytree(root, args.keep)
        shutil.rmtree(root)
    return 0


def report(times: dict[tuple[str, str], list[float]], args: argparse.Namespace) -> None:
    ms = {key: [round(1000 * t) for t in runs[1:]] for key, runs in times.items()}
    what = "xelatex + xdvipdfmx" if args.pdf else "xelatex -no-pdf"
    which = "progress report (5 sessions)" if args.progress else (args.report or "sample report")
    print(f"CPU ms of {what}, {which}, {args.runs} interleaved rounds; before = {args.before}, "
          "after = working tree")
    for (label, variant), runs in ms.items():
        print(f"  {label:6} {'with charts' if variant == 'charts' else 'no charts':11}  "
              f"median {statistics.median(runs):5.0f}  min {min(runs):5.0f}  raw {runs}")
    for label in ("before", "after"):
        median = statistics.median(ms[(label, "charts")]) - statistics.median(ms[(label, "none")])
        least = min(ms[(label, "charts")]) - min(ms[(label, "none")])
        print(f"charts cost {label:6}: {median:4.0f} ms (medians), {least:4.0f} ms (mins)")


if __name__ == "__main__":
    sys.exit(main())
