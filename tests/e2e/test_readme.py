"""README's "HTTP service" curl examples work as written, against a real server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def http_section_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## HTTP service\n", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    curl ")]


def test_readme_has_the_curl_examples():
    commands = http_section_commands()
    assert len(commands) >= 6 and any("/export" in c for c in commands)


def test_readme_curl_examples_work_as_written(sqlite_server, tmp_path):
    assert shutil.which("curl"), "curl is not installed: run scripts/install.sh"
    sample = subprocess.run([str(Path(sys.executable).parent / "texreport"), "sample"], capture_output=True,
                            check=True).stdout
    (tmp_path / "sample.json").write_bytes(sample)
    for command in http_section_commands():
        # Only the address differs: the test server listens on a free port.
        command = command.replace("localhost:8080", f"127.0.0.1:{sqlite_server.port}")
        result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=120, check=False)
        assert result.returncode == 0, (command, result.stderr.decode(errors="replace"))
    assert (tmp_path / "interview-report-a3f9c2e17b4d8e60.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "report-en.pdf").read_bytes().startswith(b"%PDF-")
