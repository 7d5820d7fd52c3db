"""Test habits: no sleep to synchronise a test, no assertion on elapsed wall-clock time.

A test waits on an event, a barrier, or a condition the code exposes (``tests/waiting.py``
polls one with a deadline that fails the test by name). Speed is measured in ``bench/``,
never asserted in a test: on a busy machine a wall-clock bound is either flaky or so loose
that it proves nothing. A sleep is allowed only where it is listed below with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SELF = Path(__file__).resolve()

# (file relative to tests/, enclosing function's qualified name or "<module>") -> why a sleep is right there.
ALLOWED_SLEEPS: dict[tuple[str, str], str] = {
    ("waiting.py", "wait_until"):
        "the shared bounded poll of a condition the code exposes; its deadline fails the test by name",
    ("waiting.py", "async_wait_until"):
        "the same poll for asyncio code (yields to the loop between checks)",
    ("pgserver.py", "PrivateServer._wait_ready"):
        "PostgreSQL starting in another process: polled by connecting, bounded by START_SECONDS",
    ("test_service_faults.py", "test_fifty_clients_get_pdfs_or_503_never_500.client_loop"):
        "test input: a load client backs off as the 503's Retry-After tells it to",
    ("test_service_faults.py", "test_fifty_clients_get_pdfs_or_503_never_500.sample_rss"):
        "test input: the server's memory is sampled once a second during the load run",
}

SLEEP = re.compile(r"\b(?:time|asyncio)\.sleep\(|from\s+(?:time|asyncio)\s+import\s+[^\n]*\bsleep\b")
CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns", "process_time"}


def python_files() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if path.resolve() != SELF and ".venv" not in path.parts)


def _function_spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and method, outermost first."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str:
    inside = [span for span in spans if span[0] <= line <= span[1]]
    return max(inside, key=lambda span: span[0])[2] if inside else "<module>"


def sleeps_in(source: str) -> list[tuple[int, str]]:
    """(line, enclosing function) of every ``time.sleep(`` / ``asyncio.sleep(`` / ``from time import sleep``."""
    spans = _function_spans(ast.parse(source))
    return [(number, _enclosing(spans, number))
            for number, line in enumerate(source.splitlines(), start=1) if SLEEP.search(line)]


def _reads_clock(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCKS and \
                    isinstance(func.value, ast.Name) and func.value.id == "time":
                return True
            if isinstance(func, ast.Name) and func.id in CLOCKS - {"time"}:
                return True
    return False


def _timing_names(scope: ast.AST) -> set[str]:
    """Names assigned (directly or through each other) from a clock reading in ``scope``."""
    tainted: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(scope):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None \
                    and _reads_clock(node.value, tainted):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name) and name.id not in tainted:
                            tainted.add(name.id)
                            changed = True
    return tainted


def timing_assertions(source: str) -> list[int]:
    """Lines of ``assert`` statements whose condition reads the clock (directly or via a name)."""
    tree = ast.parse(source)
    scopes = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found: set[int] = set()
    for scope in [tree, *scopes]:
        tainted = _timing_names(scope)
        for node in ast.walk(scope):
            if isinstance(node, ast.Assert) and _reads_clock(node.test, tainted):
                found.add(node.lineno)
    return sorted(found)


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(TESTS)))
def test_no_sleep_outside_the_allow_list(path: Path) -> None:
    relative = str(path.relative_to(TESTS))
    found = [(line, where) for line, where in sleeps_in(path.read_text(encoding="utf-8"))
             if (relative, where) not in ALLOWED_SLEEPS]
    assert found == [], (f"{relative}: sleep used at {found}; wait on an event or tests/waiting.py's "
                         "wait_until, or add the use to ALLOWED_SLEEPS with its reason")


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(TESTS)))
def test_no_assertion_on_elapsed_time(path: Path) -> None:
    lines = timing_assertions(path.read_text(encoding="utf-8"))
    assert lines == [], (f"{path.relative_to(TESTS)}: assertion on wall-clock time at lines {lines}; "
                         "assert on the cause instead, and measure speed in bench/")


def test_every_allowed_sleep_is_still_there() -> None:
    """A stale entry would silently allow a new sleep in that function later."""
    used = {(str(path.relative_to(TESTS)), where) for path in python_files()
            for _, where in sleeps_in(path.read_text(encoding="utf-8"))}
    assert set(ALLOWED_SLEEPS) - used == set()
    assert all(reason.strip() for reason in ALLOWED_SLEEPS.values())


# ----------------------------------------------------------------------------- the checks can fail

SLEEPY = '''
import asyncio, time

class Server:
    def start(self):
        time.sleep(0.1)

async def test_queue():
    async def inner():
        await asyncio.sleep(0.2)
'''

TIMED = '''
import time
from time import perf_counter

def test_fast():
    started = time.monotonic()
    work()
    elapsed = time.monotonic() - started
    assert elapsed < 5
    assert time.monotonic() - started < 6
    began = perf_counter()
    assert perf_counter() - began < 1
    assert result == 3

def test_fine():
    seconds = 3
    assert seconds == 3
'''


def test_the_sleep_check_finds_sleeps_and_names_their_function() -> None:
    assert sleeps_in(SLEEPY) == [(6, "Server.start"), (10, "test_queue.inner")]
    assert sleeps_in("from time import sleep\n") == [(1, "<module>")]
    assert sleeps_in("import time\nx = time.monotonic()\n") == []


def test_the_timing_check_finds_elapsed_assertions_only() -> None:
    assert timing_assertions(TIMED) == [9, 10, 12]
