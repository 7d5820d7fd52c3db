"""No leftovers after any kind of failure: no xelatex processes, temp folders, open fds or half PDFs.

Every test points TMPDIR (and :data:`tempfile.tempdir`) at a private folder, so
"nothing left" is simply "that folder is empty", and finds xelatex processes by
that folder appearing in their working directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

import texreport.atomic as atomic
from hostile_support import default_sigint, open_fds, xelatex_processes_in
from texreport.compiler import CompileLimits
from texreport.errors import CompileError, CompileTimeout, InputError, RenderError
from texreport.pipeline import RenderOptions, render, render_to_file
from waiting import wait_until

TEXREPORT = Path(sys.executable).parent / "texreport"


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "private-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_clean(folder: Path, *, wait: float = 5.0) -> None:
    wait_until(lambda: not xelatex_processes_in(folder), f"xelatex processes in {folder} to end", wait)
    assert sorted(p.name for p in folder.iterdir()) == []


def _wait_for_xelatex(folder: Path, timeout: float = 30.0) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []

    def started() -> bool:
        found[:] = [(pid, what) for pid, what in xelatex_processes_in(folder) if "xelatex" in what]
        return bool(found)

    wait_until(started, "xelatex to start", timeout)
    return found


def _break_tex(monkeypatch) -> None:
    import texreport.transports as transports

    real = transports.write_files

    def write_broken(folder, files):
        real(folder, files)
        for tex in Path(folder).glob("*.tex"):  # the driver inputs the body
            source = tex.read_text(encoding="utf-8")
            tex.write_text(source.replace("\\end{document}", "\\undefinedcommandxyz\n\\end{document}"), encoding="utf-8")

    monkeypatch.setattr(transports, "write_files", write_broken)


def test_invalid_input_leaves_nothing(private_tmp, document):
    document["overallScore"] = "high"
    with pytest.raises(InputError):
        render(document)
    assert_clean(private_tmp)


def test_tex_error_leaves_nothing(private_tmp, document, monkeypatch):
    _break_tex(monkeypatch)
    with pytest.raises(CompileError) as caught:
        render(document)
    assert "Undefined control sequence" in str(caught.value)
    assert_clean(private_tmp)


def test_timeout_leaves_nothing(private_tmp, document):
    with pytest.raises(CompileTimeout):
        render(document, options=RenderOptions(limits=CompileLimits(timeout=0.3)))
    assert_clean(private_tmp)


def test_killed_xelatex_leaves_nothing(private_tmp, document):
    outcome: dict[str, BaseException | bytes] = {}

    def run():
        try:
            outcome["result"] = render(document)
        except BaseException as error:
            outcome["result"] = error

    worker = threading.Thread(target=run)
    worker.start()
    for pid, _ in _wait_for_xelatex(private_tmp):
        os.kill(pid, signal.SIGKILL)
    worker.join(60)
    assert isinstance(outcome["result"], RenderError), outcome
    assert "SIGKILL" in str(outcome["result"]) or "no complete PDF" in str(outcome["result"])
    assert_clean(private_tmp)


@pytest.mark.parametrize("cache", ["built", "empty"])
def test_ctrl_c_of_cli_render_leaves_nothing(private_tmp, tmp_path, document, cache):
    """Ctrl-C while xelatex runs: the render's worker, or (empty cache) the format's build."""
    source = tmp_path / "report.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    output = tmp_path / "out" / "report.pdf"
    env = dict(os.environ, TMPDIR=str(private_tmp))
    if cache == "empty":
        env["TEXREPORT_CACHE_DIR"] = str(tmp_path / "cache")
    process = subprocess.Popen([str(TEXREPORT), "render", str(source), "-o", str(output)], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=default_sigint)
    try:
        _wait_for_xelatex(private_tmp)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends the CLI; xelatex runs in its own process group
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Traceback" not in stderr
    assert_clean(private_tmp)
    assert not output.exists()
    assert not output.parent.exists() or list(output.parent.iterdir()) == []
    assert process.returncode == 130, stderr
    assert stderr.decode().strip() == "texreport: interrupted"
    if cache == "empty":  # no format, whole or partial, was installed
        assert list((tmp_path / "cache").rglob("*.fmt*")) == []


def test_failed_render_keeps_the_old_pdf_and_leaves_no_part_file(private_tmp, tmp_path, document, monkeypatch):
    output = tmp_path / "report.pdf"
    output.write_bytes(b"%PDF-old complete file")
    _break_tex(monkeypatch)
    with pytest.raises(CompileError):
        render_to_file(document, output)
    assert output.read_bytes() == b"%PDF-old complete file"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
    assert_clean(private_tmp)


def test_failed_write_never_leaves_a_half_pdf_under_the_final_name(tmp_path, monkeypatch):
    output = tmp_path / "report.pdf"

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        atomic.write_atomic(output, b"%PDF-1.5 " + b"x" * 100_000)
    assert list(tmp_path.iterdir()) == []


def test_open_descriptors_do_not_grow(private_tmp, document, monkeypatch):
    render(document)  # warm caches (font coverage, templates) before counting
    before = open_fds()
    for _ in range(20):
        bad = dict(document, overallScore=101)
        with pytest.raises(InputError):
            render(bad)
    for _ in range(3):
        with pytest.raises(CompileTimeout):
            render(document, options=RenderOptions(limits=CompileLimits(timeout=0.3)))
    for _ in range(3):
        render(document)
    with monkeypatch.context() as patch:
        _break_tex(patch)
        for _ in range(3):
            with pytest.raises(CompileError):
                render(document)
    after = open_fds()
    assert after <= before + 1, (before, after)
    assert_clean(private_tmp)
