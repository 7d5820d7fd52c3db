"""launch.main: the console entry point hands over to the CLI; only ``render`` gets a head start (no PDF compiled here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# _head_start is replaced: these tests never start xelatex. It reports that it was asked.
SCRIPT = """
import sys
from texreport import launch
def fake_head_start():
    sys.stderr.write("HEAD-START\\n")
    return None
launch._head_start = fake_head_start
sys.argv = ["texreport", *sys.argv[1:]]
launch.main()
"""


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-c", SCRIPT, *arguments], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_commands(flag: str) -> None:
    result = run(flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: texreport")
    for command in ("render", "validate", "batch", "sample", "tex", "progress"):
        assert f"\n  {command} " in result.stdout
    assert "HEAD-START" not in result.stderr


@pytest.mark.parametrize(("arguments", "code", "head_start"), [
    (("render", "--help"), 0, False),
    (("render", "-h"), 0, False),
    (("validate", "--help"), 0, False),
    (("render", "--theme=x"), 2, False),       # a themed render would waste the default theme's head start
    (("render", "--theme", "x"), 2, False),
    (("render",), 2, True),                    # missing input: click's usage error after the head start
    (("no-such-command",), 2, False),
])
def test_head_start_only_for_plain_render(arguments: tuple[str, ...], code: int, head_start: bool) -> None:
    result = run(*arguments)
    assert result.returncode == code, result.stderr
    assert ("HEAD-START" in result.stderr) == head_start
