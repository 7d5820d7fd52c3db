"""Warm workers: same PDF text as a cold compile, same sandbox, one job per process, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pdfcheck import GENERATED_AT, load_fixture, pdf_text
from texreport.compiler import CompileLimits
from texreport.errors import CompileError, CompileTimeout
from texreport.pipeline import RenderOptions, prepare, render
from texreport.transports import Job
from texreport.workers import Worker, WorkerPool

# A tiny preamble keeps the sandbox tests fast; the real one is used where output matters.
ARTICLE = {"preamble.tex": "\\documentclass{article}\n"}


def body(text: str) -> dict[str, str]:
    return {"body.tex": text + "\n"}  # the driver writes the begin-document and end-document lines


def job(fixed: dict[str, str], text: str) -> Job:
    return Job(fixed, body(text))


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def write_pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fixture, lang", [("sample", None), ("full_extensions_en.json", None), ("sample", "en")])
def test_warm_pdf_text_equals_cold(tmp_path, sample_document, fixture, lang):
    document = sample_document if fixture == "sample" else load_fixture(fixture)
    options = RenderOptions(generated_at=GENERATED_AT, lang=lang)
    cold = render(document, options=options)
    prepared = prepare(document, options=options)
    with WorkerPool(spares=1) as pool:
        warm = pool.compile(prepared)
    cold_text = pdf_text(write_pdf(tmp_path, "cold.pdf", cold))
    warm_text = pdf_text(write_pdf(tmp_path, "warm.pdf", warm))
    assert warm_text == cold_text
    assert "第 1 页" in cold_text or "Page 1" in cold_text


def test_render_options_name_the_pool_that_compiles(tmp_path, sample_document):
    with WorkerPool(spares=1) as pool:
        options = RenderOptions(generated_at=GENERATED_AT, compiler=pool)
        data = render(sample_document, options=options)
        assert data.startswith(b"%PDF-")
        assert pool.jobs == 1
        keep = tmp_path / "keep"
        render(sample_document, options=options, keep_dir=keep)
        assert (keep / "body.tex").exists() and (keep / "report.log").exists()
        assert pool.jobs == 2


def test_worker_refuses_absolute_input():
    with WorkerPool(spares=0) as pool, pytest.raises(CompileError) as caught:
        pool.compile(job(ARTICLE, r"\input{/etc/hostname}"))
    assert "not found" in caught.value.tex_error


def test_worker_cannot_read_outside_its_folder(tmp_path):
    text = r"\newread\r \openin\r=/etc/passwd \ifeof\r CLOSED\else \read\r to\x OPEN:\x\fi"
    with WorkerPool(spares=0) as pool:
        pdf = write_pdf(tmp_path, "x.pdf", pool.compile(job(ARTICLE, text)))
    assert "CLOSED" in pdf_text(pdf) and "root" not in pdf_text(pdf)


def test_worker_shell_escape_is_off(tmp_path):
    marker = tmp_path / "pwned"
    with WorkerPool(spares=0) as pool:
        pool.compile(job(ARTICLE, rf"\immediate\write18{{touch {marker}}} text"))
    assert not marker.exists()


def test_worker_timeout_kills_the_group_and_the_pool_recovers(tmp_path):
    with WorkerPool(spares=1) as pool:
        pool.warm_up(ARTICLE)
        spare = pool.worker_pids()[0]
        with pytest.raises(CompileTimeout) as caught:
            pool.compile(job(ARTICLE, r"\def\x{\x}\x"), limits=CompileLimits(timeout=3))
        assert caught.value.seconds == 3
        assert gone(spare)
        pdf = write_pdf(tmp_path, "after.pdf", pool.compile(job(ARTICLE, "recovered")))
        assert "recovered" in pdf_text(pdf)


def test_error_spends_the_worker_and_the_next_job_is_clean(tmp_path):
    with WorkerPool(spares=1) as pool:
        with pytest.raises(CompileError):
            pool.compile(job(ARTICLE, r"\gdef\leak{LEAKED}\undefinedcommand"))
        pdf = write_pdf(tmp_path, "next.pdf", pool.compile(job(ARTICLE, r"\ifdefined\leak LEAKED\else CLEAN\fi")))
    assert "CLEAN" in pdf_text(pdf)


def test_a_worker_runs_one_job_only():
    worker = Worker(ARTICLE)
    worker.run(body("one"), timeout=30)
    with pytest.raises(RuntimeError):
        worker.run(body("two"), timeout=30)


def test_spares_are_replaced_and_close_leaves_nothing(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pool = WorkerPool(spares=2)
    pool.warm_up(ARTICLE)
    first = set(pool.worker_pids())
    assert len(first) == 2
    pool.compile(job(ARTICLE, "x"))
    second = set(pool.worker_pids())
    assert len(second) == 2 and second != first
    pool.close()
    assert all(gone(pid) for pid in first | second)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CompileError):
        pool.compile(job(ARTICLE, "closed"))


def test_changed_preamble_is_not_served_by_a_stale_spare(tmp_path):
    with WorkerPool(spares=1) as pool:
        pool.warm_up(ARTICLE)
        changed = {"preamble.tex": "\\documentclass{article}\\def\\marker{NEWPREAMBLE}\n"}
        pdf = write_pdf(tmp_path, "x.pdf", pool.compile(job(changed, r"\marker")))
    assert "NEWPREAMBLE" in pdf_text(pdf)


def test_worker_environment_is_the_sandbox(monkeypatch):
    import texreport.compiler as compiler

    seen = {}
    real = compiler.subprocess.Popen

    def spy(*args, **kwargs):
        seen.update(kwargs, command=args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(compiler.subprocess, "Popen", spy)
    worker = Worker(ARTICLE)
    try:
        assert seen["env"] == compiler.sandbox_environment()
        # no preexec_fn (unsafe with threads): the rlimits come from the exec'd limiter
        assert seen["process_group"] == 0 and seen.get("preexec_fn") is None
        assert seen["command"] == compiler.limited_command(seen["command"][seen["command"].index("--") + 1:],
                                                           CompileLimits())
        assert "-no-shell-escape" in seen["command"]
    finally:
        worker.discard()
    assert gone(worker.pid)


def test_a_background_pool_runs_its_workers_at_lower_priority(tmp_path):
    """Render-ahead's pool: its spares load and run at nice 10, so they yield the CPU to exports."""
    import os

    with WorkerPool(spares=1, nice=10) as pool:
        pool.warm_up(ARTICLE)
        (pid,) = pool.worker_pids()
        assert os.getpriority(os.PRIO_PROCESS, pid) == 10
        pdf = write_pdf(tmp_path, "nice.pdf", pool.compile(job(ARTICLE, "low priority, same PDF")))
        assert "low priority, same PDF" in pdf_text(pdf)
    with WorkerPool(spares=1) as pool:
        pool.warm_up(ARTICLE)
        (pid,) = pool.worker_pids()
        assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0)
