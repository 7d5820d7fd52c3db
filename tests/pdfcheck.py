"""Helpers the tests share: read a PDF back as a user would, render a document to a file.

(A module of its own, not conftest: several conftest.py files exist and tests import this by name.)
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


FIXTURES = Path(__file__).parent / "fixtures"
GENERATED_AT = datetime(2026, 11, 29, 14, 30, tzinfo=timezone.utc)


def pdf_text(path: Path, *, layout: bool = False, first: int | None = None, last: int | None = None) -> str:
    """Text of a PDF as poppler's pdftotext reads it (what a user can copy)."""
    command = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        command.append("-layout")
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    command += [str(path), "-"]
    return subprocess.run(command, check=True, capture_output=True, timeout=60).stdout.decode("utf-8")


def pdf_pages(path: Path) -> list[str]:
    """Text per page."""
    return pdf_text(path).split("\f")[:-1]


def squash(text: str) -> str:
    """Remove all whitespace: line breaks and justification must not change what is compared."""
    return re.sub(r"\s+", "", text)


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-isodates", str(path)], check=True, capture_output=True, timeout=60).stdout
    info: dict[str, str] = {}
    for line in out.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def render_file(document: Any, path: Path, **options: Any) -> Path:
    from texreport.pipeline import RenderOptions, render_to_file

    options.setdefault("generated_at", GENERATED_AT)
    return render_to_file(document, path, options=RenderOptions(**options))
