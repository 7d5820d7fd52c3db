"""The command line as a user meets it: exit codes, one-line messages, files written or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from texreport.cli import cli
from texreport.errors import CompileError

from hostile_support import xelatex_processes_in
from pdfcheck import pdf_text, squash

TEXREPORT = [sys.executable, "-m", "texreport.cli"]


def run(args, *, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(TEXREPORT + args, cwd=cwd, input=stdin, capture_output=True, timeout=180)


@pytest.fixture
def sample_file(tmp_path, sample_document) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(sample_document, ensure_ascii=False), encoding="utf-8")
    return path


def test_render_default_name_in_current_folder(tmp_path, sample_file, sample_document):
    result = run(["render", str(sample_file)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    session_id = sample_document["data"]["sessionId"]
    expected = tmp_path / f"模拟面试报告_{session_id}.pdf"
    assert expected.exists()
    assert result.stdout.decode().strip() == expected.name
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".pdf"] == [expected.name]


def test_render_from_stdin_to_output(tmp_path, sample_file):
    out = tmp_path / "out" / "r.pdf"
    result = run(["render", "-", "-o", str(out), "--lang", "en"], cwd=tmp_path, stdin=sample_file.read_bytes())
    assert result.returncode == 0, result.stderr
    assert "MockInterviewReport" in squash(pdf_text(out))


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.update(overallScore=150), "overallScore"),
    (lambda d: d["questionDetails"][2].update(score="abc"), "questionDetails.2.score"),
    (lambda d: d["categoryScores"][0].pop("category"), "categoryScores.0.category"),
    (lambda d: d.update(sessionId=None), "sessionId"),
])
def test_invalid_input_exit_2_names_field_and_writes_nothing(tmp_path, document, mutate, field):
    mutate(document)
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run(["render", str(source), "-o", str(tmp_path / "bad.pdf")], cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and field in lines[0], lines
    assert "Traceback" not in result.stderr.decode()
    assert not any(p.suffix in (".pdf", ".part") for p in tmp_path.iterdir())


@pytest.mark.parametrize("content, needle", [
    (b"{not json", "line 1"),
    (b"[]", "object"),
    (b'{"code": 200, "message": "success", "data": null}', "report"),
])
def test_unreadable_documents_exit_2(tmp_path, content, needle):
    source = tmp_path / "bad.json"
    source.write_bytes(content)
    result = run(["render", str(source)], cwd=tmp_path)
    assert result.returncode == 2
    message = result.stderr.decode().strip()
    assert len(message.splitlines()) == 1 and needle in message.lower()


def test_missing_file_exit_2(tmp_path):
    result = run(["render", str(tmp_path / "nope.json")], cwd=tmp_path)
    assert result.returncode == 2 and "no such file" in result.stderr.decode()


def test_unsafe_session_id_needs_output(tmp_path, document):
    document["sessionId"] = "../../etc/evil"
    source = tmp_path / "r.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run(["render", str(source)], cwd=tmp_path)
    assert result.returncode == 2 and "sessionId" in result.stderr.decode()
    assert not any(p.suffix == ".pdf" for p in tmp_path.rglob("*"))


def test_unsupported_character_exit_2_names_character_and_field(tmp_path, document):
    document["questionDetails"][1]["feedback"] = "fine until \U0001E900 here"  # Adlam: no font of the chain has it
    source = tmp_path / "r.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run(["validate", str(source)], cwd=tmp_path)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "questionDetails.1.feedback" in message and "U+1E900" in message


def test_validate_ok_and_sample(tmp_path):
    sample = run(["sample"], cwd=tmp_path)
    assert sample.returncode == 0
    document = json.loads(sample.stdout)
    assert len(document["data"]["questionDetails"]) >= 8
    source = tmp_path / "s.json"
    source.write_bytes(sample.stdout)
    result = run(["validate", str(source)], cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.decode().startswith("ok")
    assert not any(p.suffix == ".pdf" for p in tmp_path.iterdir())


def test_tex_writes_source_and_csv(tmp_path, sample_file):
    out = tmp_path / "build"
    result = run(["tex", str(sample_file), "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = {p.name for p in out.iterdir()}
    assert {"report.tex", "texreport.sty"} <= names
    assert any(n.endswith(".csv") for n in names)
    # Code blocks are typeset from escaped, highlighted tokens in the body (no code files since issue 11).
    assert "\\begin{TRcodeblock}" in (out / "body.tex").read_text(encoding="utf-8")
    for csv in out.glob("*.csv"):
        header, *rows = csv.read_text().splitlines()
        assert rows and all(all(c.replace(".", "").isdigit() for c in row.split(",")) for row in rows)


def test_compile_failure_exit_1_one_line(tmp_path, sample_file, monkeypatch):
    def broken(*args, **kwargs):
        raise CompileError("Undefined control sequence.", tex_line=42)

    monkeypatch.setattr("texreport.pipeline.render", broken)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["render", str(sample_file), "-o", "x.pdf"])
    assert result.exit_code == 1
    assert "line 42" in result.output and "Undefined control sequence." in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_keep_copies_job_folder(tmp_path, sample_file):
    keep = tmp_path / "job"
    result = run(["render", str(sample_file), "-o", str(tmp_path / "k.pdf"), "--keep", str(keep)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (keep / "report.tex").exists() and (keep / "report.log").exists()


def test_serve_without_the_http_extra_says_what_to_install(monkeypatch):
    import sys as system

    for name in list(system.modules):
        if name.startswith(("texreport.http", "fastapi", "uvicorn")):
            monkeypatch.delitem(system.modules, name)
    monkeypatch.setitem(system.modules, "fastapi", None)  # as if the extra were not installed
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "pip install 'texreport[http]'" in result.output


def test_the_core_never_imports_the_web_stack(tmp_path, sample_file):
    code = ("import sys, texreport.cli, texreport.pipeline, texreport.batch\n"
            "from texreport.models import load_json\n"
            "from texreport.pipeline import prepare\n"
            f"prepare(load_json(open({str(sample_file)!r}, 'rb').read()))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'sqlalchemy', 'starlette')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=120).stdout
    assert out.decode().strip() == "[]"


@pytest.mark.parametrize("command", [["render", "{src}", "-o", "/proc/texreport-nope/x.pdf"],
                                     ["tex", "{src}", "-o", "/proc/texreport-nope"]])
def test_unwritable_output_is_one_line_not_a_traceback(tmp_path, sample_file, command):
    result = run([part.format(src=sample_file) for part in command], cwd=tmp_path)
    assert result.returncode == 1
    message = result.stderr.decode().strip()
    assert len(message.splitlines()) == 1 and "/proc/texreport-nope" in message and "Traceback" not in message


# ------------------------------------------------------------------ the console script (texreport.launch)

CONSOLE = Path(sys.executable).parent / "texreport"


def run_console(args, *, cwd: Path) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    """Run the installed ``texreport`` script with a private TMPDIR; returns the result and that folder."""
    if not CONSOLE.exists():
        pytest.skip("the texreport console script is not installed next to this Python")
    private = cwd / "private-tmp"
    private.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(private)}
    return subprocess.run([str(CONSOLE), *args], cwd=cwd, env=env, capture_output=True, timeout=180), private


def test_console_script_renders_and_cleans_up(tmp_path, sample_file):
    out = tmp_path / "r.pdf"
    result, private = run_console(["render", str(sample_file), "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == str(out)
    assert "模拟面试报告" in squash(pdf_text(out))
    assert list(private.iterdir()) == []
    assert xelatex_processes_in(private) == []


@pytest.mark.parametrize("args, message", [
    (["render", "missing.json", "-o", "x.pdf"], "no such file: missing.json"),
    (["render"], "Missing argument"),
    (["render", "bad.json", "-o", "x.pdf"], "overallScore"),
])
def test_console_script_failure_leaves_no_worker_behind(tmp_path, document, args, message):
    document["overallScore"] = 150
    (tmp_path / "bad.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result, private = run_console(args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert not (tmp_path / "x.pdf").exists()
    assert list(private.iterdir()) == []  # the head-start worker's folder is gone
    assert xelatex_processes_in(private) == []
