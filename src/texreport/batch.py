"""Render many reports at once: input expansion, sharding, output names, warm workers.

:func:`plan_batch` turns command-line inputs (files, folders, globs) into a
sorted list of :class:`BatchItem` (source → output file name), and picks this
machine's shard. :func:`run_batch` renders them with ``jobs`` compiles at once
(groups of reports in one xelatex run, :class:`~texreport.transports.GroupCompiler`;
one report per warm worker, :class:`~texreport.workers.WorkerPool`, for groups of
one and as the fallback), writes each PDF atomically, and
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
  coordinator needed. In a Kubernetes indexed Job the CLI takes the shard from
  ``JOB_COMPLETION_INDEX``/``JOB_COMPLETIONS`` (:func:`shard_from_environment`).
* **One file, one report**: a file found under several names (a glob through a
  symlink loop, a folder and a glob naming the same file) is rendered once.
* **Failures** never stop the batch: each becomes a :class:`BatchResult` with
  the reason. A report a group's run stops on compiles on its own (its error is
  the one a single render gives); the group's other reports stay grouped.
* **Scheduling**: the largest reports (by file size) go first, in groups of up to
  ``group`` (a multiple of ``jobs`` groups, of sizes one apart); at most ``jobs`` TeX
  processes run at once: a group's xelatex as soon as a core is free, the short
  xdvipdfmx runs side by side around them; one group more than ``jobs`` lays out meanwhile
  (measured: bench/batch_bench.py, bench/RESULTS.md "Batch").
* **Interrupting** (KeyboardInterrupt in the calling thread) stops queued items,
  kills every xelatex (the pool's process groups) and re-raises; PDFs are only
  ever renamed into place complete (:func:`~texreport.atomic.write_atomic`).
"""

from __future__ import annotations

import glob
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from .atomic import user_file_mode, write_atomic
from .compiler import CompileLimits
from .drivers import group_prefix
from .errors import InputError, TexreportError
from .formats import fixed_files
from .models import load_json
from .naming import export_filename, is_safe_session_id
from .pipeline import JobSource, RenderOptions, prepare
from .reading import read_document
from .theme import Theme, resolve_theme
from .transports import GroupCompiler, compile_job
from .workers import WorkerPool

__all__ = [
    "DEFAULT_GROUP",
    "BatchItem",
    "BatchResult",
    "BatchSummary",
    "expand_inputs",
    "parse_shard",
    "plan_batch",
    "run_batch",
    "shard_from_environment",
]

DEFAULT_GROUP = 8  # reports per xelatex run at most: start-up shared (bench/RESULTS.md "Batch": 4 → 8 saved ~10 % CPU)


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
    return _one_path_per_file(sorted(found, key=lambda p: p.as_posix()))


def _one_path_per_file(paths: Sequence[Path]) -> list[Path]:
    """Keep the first path of each file: a glob through a symlink loop finds one file under many names."""
    seen: set[tuple[int, int]] = set()
    kept = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:
            kept.append(path)  # fails later, in its own job, with the reason
            continue
        if (status.st_dev, status.st_ino) not in seen:
            seen.add((status.st_dev, status.st_ino))
            kept.append(path)
    return kept


def shard_from_environment(environ: Mapping[str, str]) -> tuple[int, int] | None:
    """This pod's shard in a Kubernetes indexed Job (``JOB_COMPLETION_INDEX`` of ``JOB_COMPLETIONS``), if set.

    The index is 0-based, the shard 1-based: index 2 of 8 completions is shard 3/8.
    Raises ValueError for values that are not such a pair.
    """
    index_text, count_text = environ.get("JOB_COMPLETION_INDEX"), environ.get("JOB_COMPLETIONS")
    if index_text is None or count_text is None:
        return None
    try:
        return parse_shard(f"{int(index_text) + 1}/{int(count_text)}")
    except ValueError:
        raise ValueError(f"JOB_COMPLETION_INDEX={index_text!r} and JOB_COMPLETIONS={count_text!r} "
                         "are not an index below a count") from None


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
        data = json.loads(read_document(path).decode("utf-8-sig"))
    except Exception:
        return None
    if isinstance(data, dict):
        for holder in (data, data.get("data")):  # a bare report or the {code, message, data} envelope
            session_id = holder.get("sessionId") if isinstance(holder, dict) else None
            if isinstance(session_id, str):
                return session_id
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
    for path, wanted_name in zip(ordered, wanted, strict=True):
        items.append(BatchItem(path, wanted_name or _free_name(path.stem, taken)))
    index, count = shard
    return items[index - 1::count]


def _free_name(stem: str, taken: set[str]) -> str:
    """``{stem}.pdf``, else ``{stem}-2.pdf`` …: the first name not taken yet (and take it)."""
    name, suffix = f"{stem}.pdf", 2
    while name in taken:
        name, suffix = f"{stem}-{suffix}.pdf", suffix + 1
    taken.add(name)
    return name


@dataclass(frozen=True)
class _Run:
    """What every group of one batch shares."""

    output_dir: Path
    options: RenderOptions
    pool: WorkerPool          # warm workers: groups of one, and the fallback of a failed group
    grouped: GroupCompiler
    stop: threading.Event     # set on an interrupt: queued items are skipped, no file is added
    file_mode: int

    @classmethod
    def start(cls, output_dir: Path, options: RenderOptions, *, jobs: int, spares: int) -> _Run:
        """``jobs`` TeX processes at once; ``spares`` warm workers wait (they only pay off without groups);
        PDFs respect the umask, like any other tool's output."""
        return cls(output_dir, options, pool=WorkerPool(spares=spares), grouped=GroupCompiler(processes=jobs),
                   stop=threading.Event(), file_mode=user_file_mode())


def _failed(item: BatchItem, started: float, error: Exception) -> BatchResult:
    reason = str(error) if isinstance(error, TexreportError) else f"{type(error).__name__}: {error}"
    return BatchResult(item, time.monotonic() - started, reason)


def _prepare_group(items: Sequence[BatchItem], order: int,
                   run: _Run) -> tuple[list[tuple[BatchItem, JobSource, float]], list[BatchResult]]:
    """Read, check and lay out each item of the ``order``-th group: (item, job, start time) of the good ones,
    results of the others."""
    prepared: list[tuple[BatchItem, JobSource, float]] = []
    results: list[BatchResult] = []
    for number, item in enumerate(items, start=1):
        started = time.monotonic()
        if run.stop.is_set():
            results.append(BatchResult(item, 0.0, "interrupted"))
            continue
        try:
            with run.grouped.preparing(order):  # one thread at a time, a group ready to start first
                job = prepare(load_json(read_document(item.source)), options=run.options,
                              name_prefix=group_prefix(number))
            prepared.append((item, job, started))
        except Exception as error:
            results.append(_failed(item, started, error))
    return prepared, results


def _compile_together(jobs: Sequence[JobSource], run: _Run) -> Sequence[bytes | None] | None:
    """The PDFs of two or more jobs from one xelatex run, or None: then each compiles on its own.

    A report the group's run stopped on gets None too: it compiles on its own, so that
    its error (or its PDF, when the group was at fault) is the one a single render gives.
    """
    if len(jobs) < 2 or run.stop.is_set():
        return None
    try:
        pdfs = run.grouped.compile_group(jobs, limits=run.options.limits)
    except TexreportError:
        return None  # the run failed outside any report: each gets its own compile
    return [pdf if isinstance(pdf, bytes) else None for pdf in pdfs]


def _finish(item: BatchItem, job: JobSource, started: float, pdf: bytes | None, run: _Run) -> BatchResult:
    """Compile ``job`` alone unless its group gave ``pdf``, then write it (never after an interrupt)."""
    if run.stop.is_set():
        return BatchResult(item, time.monotonic() - started, "interrupted")
    try:
        if pdf is None:
            pdf = compile_job(run.pool, job, limits=run.options.limits)
        if run.stop.is_set():
            return BatchResult(item, time.monotonic() - started, "interrupted")
        write_atomic(run.output_dir / item.output_name, pdf, mode=run.file_mode)
    except Exception as error:
        return _failed(item, started, error)
    return BatchResult(item, time.monotonic() - started)


def _render_group(items: Sequence[BatchItem], order: int, run: _Run) -> list[BatchResult]:
    """Lay out each item of the ``order``-th group, typeset the good ones together, write each PDF."""
    prepared, results = _prepare_group(items, order, run)
    pdfs = _compile_together([job for _, job, _ in prepared], run)
    for index, (item, job, started) in enumerate(prepared):
        results.append(_finish(item, job, started, None if pdfs is None else pdfs[index], run))
    return results


def _weight(item: BatchItem) -> int:
    """The work an item's report is likely to take: its file's size."""
    try:
        return item.source.stat().st_size
    except OSError:
        return 0  # fails later, in its own job


def _groups(items: Sequence[BatchItem], group: int, jobs: int) -> list[list[BatchItem]]:
    """Groups of at most ``group`` items, as few as can be in a multiple of ``jobs`` groups of sizes one apart
    (every job gets work to the end), the largest reports first: the batch ends on its lightest groups."""
    count = jobs * -(-len(items) // (jobs * group))
    ordered = sorted(items, key=_weight, reverse=True)
    groups, start = [], 0
    for index in range(count):
        size = len(ordered) // count + (index < len(ordered) % count)
        if size:
            groups.append(ordered[start:start + size])
        start += size
    return groups


def _collect(pending: set[Future[list[BatchResult]]],
             on_result: Callable[[BatchResult], None] | None) -> list[BatchResult]:
    """Every group's results as the group finishes, each handed to ``on_result`` too."""
    results: list[BatchResult] = []
    while pending:
        # A timeout keeps the main thread responsive to Ctrl-C.
        finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        for future in finished:
            for result in future.result():
                results.append(result)
                if on_result is not None:
                    on_result(result)
    return results


def _interrupt(run: _Run, executor: ThreadPoolExecutor) -> None:
    """Skip queued groups and kill every running xelatex: the groups' threads return at once."""
    run.stop.set()
    executor.shutdown(wait=False, cancel_futures=True)
    run.pool.close()
    run.grouped.close()
    executor.shutdown(wait=True)


def run_batch(
    items: Sequence[BatchItem],
    output_dir: Path,
    *,
    jobs: int = 2,
    lang: str | None = None,
    timeout: float = 60.0,
    on_result: Callable[[BatchResult], None] | None = None,
    group: int = DEFAULT_GROUP,
    theme: Theme | str | None = None,
) -> BatchSummary:
    """Render ``items`` into ``output_dir``, ``jobs`` compiles at once; never raises for one report.

    Up to ``group`` reports share one xelatex run (the preamble and fonts load once
    for them; see :class:`~texreport.transports.GroupCompiler`); ``group=1`` gives each report its
    own warm worker. A bad report only fails itself (see the module docstring). ``theme`` (a Theme,
    a shipped theme's name or a theme file) applies to every report; a bad one raises
    :class:`~texreport.theme.ThemeError` before anything is rendered.
    """
    chosen = resolve_theme(theme)
    if group < 1:
        raise ValueError("group must be 1 or more")
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run = _Run.start(output_dir, RenderOptions(lang=lang, limits=CompileLimits(timeout=timeout), theme=chosen),
                     jobs=jobs, spares=jobs if group == 1 else 0)
    # With groups, one more thread than processes: a group lays out while ``jobs`` others typeset.
    executor = ThreadPoolExecutor(max_workers=jobs + (group > 1), thread_name_prefix="texreport-batch")
    try:
        if items and group == 1:
            run.pool.warm_up(fixed_files(chosen))  # preambles load while the first reports are laid out
        results = _collect({executor.submit(_render_group, chunk, order, run)
                            for order, chunk in enumerate(_groups(items, group, jobs))}, on_result)
    except BaseException:
        _interrupt(run, executor)
        raise
    finally:
        run.pool.close()
        executor.shutdown(wait=True)
    return BatchSummary(tuple(results), time.monotonic() - started)
