"""The house rules that a linter can check run with the suite: ruff (rule set in pyproject.toml,
with the reasons) on everything, mypy --strict on the package, and no function in src/ longer than 40 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
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


MAX_FUNCTION_LINES = 40  # def line to last line: no function in src/ needs a scroll to read

#: Functions allowed to be longer, as module.qualified_name, until they are split: none.
LONG_FUNCTIONS_ALLOWED: set[str] = set()


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")


def test_no_function_needs_a_scroll():
    package = ROOT / "src" / "texreport"
    too_long = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts)
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and f"{module}.{name}" not in LONG_FUNCTIONS_ALLOWED:
                too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {name} ({lines} lines)")
    assert too_long == []
