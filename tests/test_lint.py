"""The house rules that a linter can check run with the suite: ruff (rule set in pyproject.toml,
with the reasons) on everything, mypy --strict on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests", "bench"],
    [sys.executable, "-m", "mypy", "--no-incremental"],  # files and strictness: [tool.mypy]
], ids=["ruff", "mypy"])
def test_the_tree_is_clean(command):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
