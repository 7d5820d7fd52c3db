"""Render many reports at once: input expansion, sharding, output names, warm workers.

:func:`plan_batch` turns command-line inputs (files, folders, globs) into a
sorted list of :class:`BatchItem` (source → output file name), and picks this
machine's shard. :func:`run_batch` renders them with ``jobs`` compiles at once
in a :class:`~texreport.workers.WorkerPool`, writes each PDF atomically, and
reports every finished item to a callback (the CLI draws its progress bar from
it; this module never prints).

What a caller must know:

* **Names** are the export endpoint's (``naming.export_filename(sessionId)``).
  An id that is unsafe in a file name, unreadable, or shared by several inputs
  falls back to the input file's stem (``{stem}.pdf``, then ``{stem}-2.pdf`` …),
  decided over the whole sorted input list, so every shard agrees and no two
  inputs ever write the same file.
* **Shards**: ``shard=(i, n)`` keeps every n-th item of the sorted list starting
  at the i-th (1-based): deterministic for the same inputs on every machine, no
  coordinator needed.
* **Failures** never stop the batch: each becomes a :class:`BatchResult` with
  the reason.
* **Interrupting** (KeyboardInterrupt in the calling thread) stops queued items,
  kills every xelatex (the pool's process groups) and re-raises; PDFs are only
  ever renamed into place complete (:func:`~texreport.pipeline.write_atomic`).
"""

from __future__ import annotations

import glob
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, TexreportError
from .naming import export_filename, is_safe_session_id

__all__ = ["BatchItem", "BatchResult", "BatchSummary", "expand_inputs", "plan_batch", "parse_shard", "run_batch"]


@dataclass(frozen=True)
class BatchItem:
    """One input report and the file name its PDF gets in the output folder."""

    source: Path
    output_name: str


@dataclass(frozen=True)
class BatchResult:
    """What happened to one item: ``error`` is None on success."""

    item: BatchItem
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[BatchResult, ...]
    seconds: float

    @property
    def done(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[BatchResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def expand_inputs(arguments: Iterable[str]) -> list[Path]:
    """Files as given, folders as their ``*.json`` files, anything else as a glob; sorted, unique.

    Raises InputError for an argument that names nothing (a typo should not
    silently shrink a batch).
    """
    found: set[Path] = set()
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            matches = [p for p in path.glob("*.json") if p.is_file()]
        elif path.is_file():
            matches = [path]
        else:
            matches = [Path(p) for p in glob.glob(argument, recursive=True) if Path(p).is_file()]
        if not matches:
            raise InputError(f"no report files match {argument}")
        found.update(matches)
    return sorted(found, key=lambda p: p.as_posix())


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/8"`` → ``(3, 8)``; raises ValueError unless 1 ≤ i ≤ n."""
    index_text, _, count_text = text.partition("/")
    try:
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise ValueError(f"shard must look like i/n, e.g. 3/8: {text!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"shard index must be between 1 and {count}: {text!r}")
    return index, count


def _session_id(path: Path) -> str | None:
    # Only the id, not a validation: a bad report fails later, in its own job.
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    if isinstance(data, dict):
        for holder in (data, data.get("data")):  # a bare report or the {code, message, data} envelope
            if isinstance(holder, dict) and isinstance(holder.get("sessionId"), str):
                return holder["sessionId"]
    return None


def plan_batch(sources: Sequence[Path], *, shard: tuple[int, int] = (1, 1)) -> list[BatchItem]:
    """Output names for all ``sources`` (see module docstring), then this shard's items."""
    ordered = sorted(sources, key=lambda p: p.as_posix())
    ids = [_session_id(p) for p in ordered]
    id_counts = Counter(i for i in ids if i is not None)
    taken: set[str] = set()
    wanted: list[str | None] = []
    for session_id in ids:
        if session_id is not None and is_safe_session_id(session_id) and id_counts[session_id] == 1:
            name = export_filename(session_id)
            taken.add(name)
            wanted.append(name)
        else:
            wanted.append(None)
    items = []
    for path, name in zip(ordered, wanted):
        if name is None:
            name, suffix = f"{path.stem}.pdf", 2
            while name in taken:
                name, suffix = f"{path.stem}-{suffix}.pdf", suffix + 1
            taken.add(name)
        items.append(BatchItem(path, name))
    index, count = shard
    return items[index - 1::count]


def _render_one(item: BatchItem, output_dir: Path, lang: str | None, timeout: float, pool: object,
                stop: threading.Event) -> BatchResult:
    from .compiler import CompileLimits
    from .models import load_json
    from .pipeline import RenderOptions, prepare, write_atomic
    from .workers import WorkerPool

    assert isinstance(pool, WorkerPool)
    started = time.monotonic()
    try:
        if stop.is_set():
            return BatchResult(item, 0.0, "interrupted")
        try:
            raw = item.source.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read {item.source}: {error.strerror}") from None
        limits = CompileLimits(timeout=timeout)
        job = prepare(load_json(raw), options=RenderOptions(lang=lang, limits=limits))
        pdf = pool.compile(job.fixed, job.document, limits=limits)
        if stop.is_set():  # interrupted while compiling: do not add files after Ctrl-C
            return BatchResult(item, time.monotonic() - started, "interrupted")
        write_atomic(output_dir / item.output_name, pdf)
    except TexreportError as error:
        return BatchResult(item, time.monotonic() - started, str(error))
    except Exception as error:  # one broken report must never stop the others
        return BatchResult(item, time.monotonic() - started, f"{type(error).__name__}: {error}")
    return BatchResult(item, time.monotonic() - started)


def run_batch(
    items: Sequence[BatchItem],
    output_dir: Path,
    *,
    jobs: int = 2,
    lang: str | None = None,
    timeout: float = 60.0,
    on_result: Callable[[BatchResult], None] | None = None,
) -> BatchSummary:
    """Render ``items`` into ``output_dir`` with ``jobs`` warm workers; never raises for one report."""
    from .pipeline import fixed_files
    from .workers import WorkerPool

    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: list[BatchResult] = []
    stop = threading.Event()
    pool = WorkerPool(spares=jobs)
    executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="texreport-batch")
    try:
        if items:
            pool.warm_up(fixed_files())  # preambles load while the first reports are laid out
        pending: set[Future[BatchResult]] = {
            executor.submit(_render_one, item, output_dir, lang, timeout, pool, stop) for item in items
        }
        while pending:
            # A timeout keeps the main thread responsive to Ctrl-C.
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                results.append(result)
                if on_result is not None:
                    on_result(result)
    except BaseException:
        stop.set()
        executor.shutdown(wait=False, cancel_futures=True)
        pool.close()  # kills running xelatex groups: their threads return at once
        executor.shutdown(wait=True)
        raise
    finally:
        pool.close()
        executor.shutdown(wait=True)
    return BatchSummary(tuple(results), time.monotonic() - started)
