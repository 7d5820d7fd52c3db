"""The Typst baseline's timings, run with the peer's own Python (Typst is not our dependency).

    /tmp/typst-peer/bin/python bench/typst_peer.py PEER.py WORK_DIR RUNS JOBS REPORT.json [BATCH.json ...]

Prints one JSON object: ``cold`` (whole process per report, seconds), ``warm`` (in-process
renders after a first untimed one), ``batch`` (reports/s over the batch files in JOBS
processes). bench/bench.py runs it; see /work/shared/peers/README.md for the peer itself.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _load(peer: str):  # the peer module
    sys.path.insert(0, str(Path(peer).parent))
    import typst_full  # type: ignore[import-not-found]

    return typst_full


def _warm_renderer(module):
    """In-process rendering as a warm service would do it: one typst.Compiler (font set built once)."""
    import tempfile

    import typst  # type: ignore[import-not-found]

    template = Path(tempfile.mkdtemp(prefix="typst-peer-")) / "report.typ"
    template.write_bytes(module.TEMPLATE_BYTES)
    compiler = typst.Compiler(str(template), root=str(template.parent), font_paths=[module.FONT_DIR],
                              ignore_system_fonts=True)

    def render(document: dict) -> bytes:  # type: ignore[type-arg]
        view = module.build_view(document)
        return compiler.compile(sys_inputs={"data": json.dumps(view, ensure_ascii=False)})

    return render


def _render_files(peer: str, sources: list[str], out: str) -> int:
    render = _warm_renderer(_load(peer))
    for source in sources:
        pdf = render(json.loads(Path(source).read_bytes()))
        (Path(out) / (Path(source).stem + ".pdf")).write_bytes(pdf)
    return len(sources)


def main(argv: list[str]) -> int:
    peer, work, runs, jobs, report, *batch = argv
    work_dir = Path(work)
    cold = []
    for run in range(int(runs)):
        started = time.perf_counter()
        subprocess.run([sys.executable, peer, report, str(work_dir / f"typst-cold{run}.pdf")], check=True)
        cold.append(time.perf_counter() - started)
    render = _warm_renderer(_load(peer))
    document = json.loads(Path(report).read_bytes())
    render(document)  # untimed: the font set is built once per process
    warm = []
    for _ in range(int(runs)):
        started = time.perf_counter()
        pdf = render(document)
        warm.append(time.perf_counter() - started)
    (work_dir / "typst-warm.pdf").write_bytes(pdf)
    rate = 0.0
    if batch:
        out = work_dir / "typst-batch"
        out.mkdir(exist_ok=True)
        shares = [batch[index::int(jobs)] for index in range(int(jobs))]
        started = time.perf_counter()
        # spawn, not fork: a forked copy of a process that already ran Typst (Rust threads) hangs.
        with ProcessPoolExecutor(max_workers=int(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
            done = sum(pool.map(_render_files, [peer] * len(shares), shares, [str(out)] * len(shares)))
        rate = done / (time.perf_counter() - started)
    print(json.dumps({"cold": cold, "warm": warm, "batch": rate}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
