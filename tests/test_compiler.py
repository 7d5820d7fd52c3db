"""The sandboxed compiler on raw TeX: the sandbox must stop attacks even without escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile_support import processes_mentioning
from pdfcheck import FIXTURES, pdf_text
from texreport.compiler import CompileLimits, compile_tex, parse_log, sandbox_environment
from texreport.errors import CompileError, CompileTimeout, UnsupportedCharacterError

LOGS = FIXTURES / "logs"


def compile_body(tmp_path: Path, body: str, *, timeout: float = 20, preamble: str = "") -> Path:
    source = "\\documentclass{article}\n" + preamble + "\\begin{document}\n" + body + "\n\\end{document}\n"
    (tmp_path / "report.tex").write_text(source, encoding="utf-8")
    return compile_tex(tmp_path, "report.tex", limits=CompileLimits(timeout=timeout)).pdf


def test_clean_document_compiles(tmp_path):
    pdf = compile_body(tmp_path, "hello sandbox")
    assert "hello sandbox" in pdf_text(pdf)


def test_sandbox_environment_blocks_reads_and_writes_outside_the_folder():
    env = sandbox_environment({"PATH": "/usr/bin", "openin_any": "a", "SECRET": "x"})
    assert env["openin_any"] == "p" and env["openout_any"] == "p" and env["shell_escape"] == "f"
    assert "SECRET" not in env


def test_sandbox_environment_asks_for_huge_pages_unless_told_otherwise():
    assert sandbox_environment({})["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    assert sandbox_environment({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})["GLIBC_TUNABLES"].endswith("=0")


def test_absolute_input_is_refused(tmp_path):
    with pytest.raises(CompileError) as caught:
        compile_body(tmp_path, r"\input{/etc/hostname}")
    assert "not found" in caught.value.tex_error


def test_openin_of_absolute_path_reads_nothing(tmp_path):
    body = r"\newread\r \openin\r=/etc/passwd \ifeof\r CLOSED\else \read\r to\x OPEN:\x\fi"
    pdf = compile_body(tmp_path, body)
    text = pdf_text(pdf)
    assert "CLOSED" in text and "root" not in text


def test_parent_directory_write_is_refused(tmp_path):
    job = tmp_path / "job"
    job.mkdir()
    body = r"\newwrite\w \immediate\openout\w=../escaped.tex \immediate\write\w{x}\immediate\closeout\w done"
    try:
        compile_body(job, body)
    except CompileError:
        pass
    assert not (tmp_path / "escaped.tex").exists()


def test_shell_escape_is_off(tmp_path):
    marker = tmp_path / "pwned"
    compile_body(tmp_path, rf"\immediate\write18{{touch {marker}}} text")
    assert not marker.exists()


def test_pipe_input_runs_nothing(tmp_path):
    marker = tmp_path / "pwned-pipe"
    with pytest.raises(CompileError):
        compile_body(tmp_path, rf'\input{{|"touch {marker}"}}')
    assert not marker.exists()


def test_endless_loop_is_killed_with_its_process_group(tmp_path):
    # the endless loop ends only by the wall-clock timeout (pytest's own timeout would catch a hang)
    with pytest.raises(CompileTimeout) as caught:
        compile_body(tmp_path, r"\def\x{\x}\x", timeout=3)
    assert caught.value.seconds == 3
    assert processes_mentioning(str(tmp_path)) == []


def test_page_flood_is_stopped(tmp_path):
    with pytest.raises((CompileTimeout, CompileError)):
        compile_body(tmp_path, r"\loop\null\newpage\iftrue\repeat", timeout=4)


def test_tex_error_reports_first_error_and_line(tmp_path):
    with pytest.raises(CompileError) as caught:
        compile_body(tmp_path, "ok\n\\undefinedmacro\n\\alsoundefined")
    assert caught.value.tex_error == "Undefined control sequence."
    assert caught.value.tex_line == 4
    assert "\n" not in str(caught.value)


def test_missing_glyph_is_an_error_naming_the_character(tmp_path):
    with pytest.raises(UnsupportedCharacterError) as caught:
        compile_body(tmp_path, "\u4e2d", preamble="\\tracinglostchars=3\n")
    assert caught.value.character == "\u4e2d"


@pytest.mark.parametrize("log_name, message, line", [
    ("undefined.log", "Undefined control sequence.", 4),
    ("runaway.log", "File ended while scanning use of \\textbf .", None),
])
def test_parse_saved_logs(log_name, message, line):
    problem = parse_log((LOGS / log_name).read_text(encoding="utf-8"))
    assert problem is not None
    assert problem.message == message
    assert problem.line == line


def test_parse_clean_log_finds_nothing():
    assert parse_log((LOGS / "clean.log").read_text(encoding="utf-8")) is None
