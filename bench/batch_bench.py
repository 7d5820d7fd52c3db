"""Where `texreport batch` spends its CPU and wall time: reports/s, CPU utilisation, CPU per phase. Not a test.

Run from the repository root:

    .venv/bin/python bench/batch_bench.py [--reports 50] [--runs 3] [--jobs 2] [--group 4 --group 8 ...]
                                          [--src before=/tmp/old/src --src after=src] [--check 3]

Writes ``--reports`` varied reports (bench.py's ``variants()``: the sample cut to 3–10
questions, zh and en, shifted scores, every tenth one a test fixture), renders them once
untimed (caches: format, font coverage, template), then runs the real
``texreport batch DIR -o OUT -j JOBS [--group G]`` ``--runs`` times per group size, each in
a fresh process. That process records every child it reaps with ``wait4`` (user + system
CPU, start and end), so each run reports:

* wall seconds and reports/s (median of the runs);
* CPU-seconds per report: xelatex, xdvipdfmx, Python (the batch process itself; its
  ``prepare()`` part separately) — steadier than wall time on a shared machine;
* utilisation: all CPU used / (wall × jobs); the share of the ``jobs`` slots a TeX process
  filled over the run, and the share of the wall time during which fewer TeX processes ran
  than there are jobs (an idle core unless Python used it). Unlike wall time, these say how
  well the batch schedules even when other work on the machine slows every process down.

``--src LABEL=DIR`` (repeatable) runs the batch with the package found in DIR (a
``src`` folder of another checkout, put first on PYTHONPATH) instead of the installed one:
before/after on the same machine, with the runs of all configurations interleaved, so
that a change in the machine's load hits them alike.

When the Typst baseline is installed (bench.py's ``typst_rows``: $TYPST_PEER_PYTHON and
../shared/peers/typst_full.py), each round of runs also times Typst on the same files in
``--jobs`` processes, and the summary gives the ratio of the medians.

``--check N`` compares the text of N of the batch's PDFs with a single ``render`` of the
same report (the generation time masked), as tests/test_batch.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import machine, typst_rows, variants  # noqa: E402  (bench/bench.py, run as a script next to this one)

_TEX = {"xelatex": "xelatex", "xdvipdfmx": "xdvipdfmx"}


# ---------------------------------------------------------------- the batch process (--child)


def _install_probes(records: list[dict[str, object]], python: dict[str, float]) -> None:
    """Record every reaped child's rusage and lifetime; time ``prepare()`` per thread."""
    import subprocess as sp
    import threading

    import texreport.batch as batch

    real_init, lock = sp.Popen.__init__, threading.Lock()

    def init(self: sp.Popen[bytes], *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        self._bench_started = time.monotonic()  # type: ignore[attr-defined]

    def try_wait(self: sp.Popen[bytes], flags: int) -> tuple[int, int]:
        try:
            pid, status, usage = os.wait4(self.pid, flags)
        except ChildProcessError:
            return self.pid, 0
        if pid:
            program = next((name for word in map(str, self.args) for name in _TEX if word.endswith("/" + name)), "?")
            with lock:
                records.append({"program": program, "cpu": usage.ru_utime + usage.ru_stime,
                                "start": getattr(self, "_bench_started", 0.0), "end": time.monotonic(),
                                "rss_mb": usage.ru_maxrss / 1024})
        return pid, status

    real_prepare = batch.prepare

    def prepare(*args: object, **kwargs: object) -> object:
        started = time.thread_time()
        try:
            return real_prepare(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                python["prepare"] = python.get("prepare", 0.0) + time.thread_time() - started

    sp.Popen.__init__ = init  # type: ignore[method-assign]
    sp.Popen._try_wait = try_wait  # type: ignore[attr-defined]
    batch.prepare = prepare  # type: ignore[assignment]


def child(stats_path: Path, arguments: list[str]) -> int:
    """Run ``texreport ARGUMENTS`` in this process with probes; write what they saw to ``stats_path``."""
    records: list[dict[str, object]] = []
    python: dict[str, float] = {}
    started = time.monotonic()
    _install_probes(records, python)
    from texreport.cli import main as cli_main

    sys.argv = ["texreport", *arguments]
    code: object = 0
    try:
        cli_main()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        own = os.times()
        python["all"] = own.user + own.system
        stats_path.write_text(json.dumps({"started": started, "ended": time.monotonic(), "records": records,
                                          "python": python}))
    return code if isinstance(code, int) else 1


# ---------------------------------------------------------------- the parent: runs and numbers


def occupancy(records: list[dict], started: float, ended: float, jobs: int) -> tuple[float, float]:
    """Over [started, ended]: the share of the time fewer than ``jobs`` TeX processes ran, and the mean share of
    the ``jobs`` slots a TeX process filled (1.0: a TeX process on every core all the time)."""
    events = sorted([(r["start"], 1) for r in records] + [(r["end"], -1) for r in records])
    running, last, short, filled = 0, started, 0.0, 0.0
    for moment, change in events:
        span = max(0.0, moment - last)
        short += span if running < jobs else 0.0
        filled += span * min(running, jobs)
        running, last = running + change, moment
    short += max(0.0, ended - last)
    total = max(ended - started, 1e-9)
    return short / total, filled / (total * jobs)


def one_run(inputs: Path, work: Path, jobs: int, config: tuple[str, str | None, int | None], number: int) -> dict:
    label, src, group = config
    tag = re.sub(r"\W", "_", f"{label}-{group}-{number}")
    out, stats = work / f"out-{tag}", work / f"stats-{tag}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(stats), "--", "batch", str(inputs),
               "-o", str(out), "-j", str(jobs), *([] if group is None else ["--group", str(group)])]
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()), *filter(None, [env.get("PYTHONPATH")])])
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    data = json.loads(stats.read_text())
    records = data["records"]
    produced = len(list(out.glob("*.pdf")))
    if produced != len(list(inputs.glob("*.json"))):
        raise SystemExit(f"batch wrote {produced} PDFs: {done.stderr[-2000:]}")
    cpu = {name: sum(r["cpu"] for r in records if r["program"] == name) for name in _TEX}
    cpu["python"] = data["python"]["all"]
    cpu["prepare"] = data["python"].get("prepare", 0.0)
    total = cpu["xelatex"] + cpu["xdvipdfmx"] + cpu["python"]
    first_tex = min((r["start"] for r in records), default=data["ended"]) - data["started"]
    fewer_tex, filled = occupancy(records, data["started"], data["ended"], jobs)
    return {"wall": wall, "produced": produced, "rate": produced / wall, "cpu": cpu, "first_tex": first_tex,
            "cpu_per_report": total / produced, "utilisation": total / (wall * jobs), "fewer_tex": fewer_tex,
            "tex_occupancy": filled,
            "xelatex_runs": sum(1 for r in records if r["program"] == "xelatex"),
            "max_rss_mb": max((r["rss_mb"] for r in records), default=0.0), "out": out}


def summarise(label: str, runs: list[dict]) -> str:
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    per = lambda name: statistics.median(r["cpu"][name] / r["produced"] for r in runs) * 1000  # noqa: E731
    walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
    best = min(runs, key=lambda r: r["wall"])
    return (f"{label:>16}  {med('rate'):6.2f} rep/s (best {best['rate']:.2f})  wall {med('wall'):6.2f} s [{walls}]  "
            f"CPU/report {med('cpu_per_report') * 1000:4.0f} ms (xelatex {per('xelatex'):3.0f}, "
            f"xdvipdfmx {per('xdvipdfmx'):3.0f}, python {per('python'):3.0f} of which prepare {per('prepare'):3.0f})  "
            f"util {med('utilisation') * 100:3.0f} %  TeX slots filled {med('tex_occupancy') * 100:3.0f} %, "
            f"<{runs[0]['jobs']} TeX {med('fewer_tex') * 100:3.0f} % of wall  "
            f"first TeX at {med('first_tex'):.2f} s  xelatex runs {runs[0]['xelatex_runs']}  "
            f"max RSS {max(r['max_rss_mb'] for r in runs):.0f} MB")


def typst_run(work: Path, inputs: Path, jobs: int, number: int) -> list[float]:
    """Typst's reports/s on the same files in ``jobs`` processes (empty when the baseline is not installed)."""
    folder = work / f"typst-{number}"
    folder.mkdir()
    rows = typst_rows(folder, inputs / "r000.json", sorted(inputs.glob("*.json")), 1, jobs)
    if rows is None:
        return []
    print(f"    Typst run {number + 1}: {rows['batch']:.2f} rep/s", flush=True)
    return [rows["batch"]]


def check_texts(inputs: Path, out: Path, count: int, work: Path) -> None:
    """The text of ``count`` batch PDFs against a single render of the same report."""
    from texreport.batch import expand_inputs, plan_batch

    def text(pdf: Path) -> str:
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True)
        return re.sub(r"(生成时间|Generated):[^\n]*|\d\d:\d\d|\s+", "", done.stdout.decode())

    items = plan_batch(expand_inputs([str(inputs)]))
    for item in items[:: max(1, len(items) // max(count, 1))][:count]:
        alone = work / "alone.pdf"
        subprocess.run([str(Path(sys.executable).parent / "texreport"), "render", str(item.source), "-o", str(alone)],
                       check=True, capture_output=True)
        same = text(alone) == text(out / item.output_name)
        print(f"  same text as a single render: {item.source.name}: {'yes' if same else 'NO'}")
        if not same:
            raise SystemExit(1)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        return child(Path(sys.argv[2]), sys.argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--group", type=int, action="append", help="group sizes to compare (default: the CLI's)")
    parser.add_argument("--src", action="append", default=[], metavar="LABEL=DIR",
                        help="run with the package in DIR (another checkout's src), labelled LABEL")
    parser.add_argument("--check", type=int, default=0, help="compare N PDFs' text with single renders")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="texreport-batch-bench-"))
    try:
        inputs = work / "in"
        inputs.mkdir()
        for index, document in enumerate(variants(args.reports)):
            (inputs / f"r{index:03d}.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        subprocess.run([str(Path(sys.executable).parent / "texreport"), "render", str(inputs / "r000.json"), "-o",
                        str(work / "prime.pdf")], check=True, capture_output=True)
        sources = [tuple(pair.split("=", 1)) for pair in args.src] or [("installed", None)]
        configs = [(label, src, group) for label, src in sources for group in args.group or [None]]
        runs: dict[tuple, list[dict]] = {config: [] for config in configs}
        typst: list[float] = []
        for number in range(args.runs):
            for config in configs:
                runs[config].append({**one_run(inputs, work, args.jobs, config, number), "jobs": args.jobs})
                wall = runs[config][-1]["wall"]
                print(f"    {config[0]} group {config[2] or 'default'} run {number + 1}: {wall:.2f} s, "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
            typst += typst_run(work, inputs, args.jobs, number)
        for config in configs:
            label = f"{config[0]} {'default' if config[2] is None else f'g{config[2]}'}"
            print(summarise(label, runs[config]), flush=True)
            if typst:
                ours = statistics.median(r["rate"] for r in runs[config])
                print(f"{'':>18}{ours / statistics.median(typst):.2f}× Typst's {statistics.median(typst):.2f} rep/s "
                      f"(same runs: {', '.join(f'{t:.2f}' for t in typst)})")
            if args.check:
                check_texts(inputs, runs[config][-1]["out"], args.check, work)
        if not typst:
            print("Typst baseline: skipped (no venv at $TYPST_PEER_PYTHON or no typst_full.py; see bench.py)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
