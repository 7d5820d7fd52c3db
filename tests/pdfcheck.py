"""Helpers the tests share: read a PDF back as a user would, render a document to a file.

(A module of its own, not conftest: several conftest.py files exist and tests import this by name.)
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED_AT = datetime(2026, 11, 29, 14, 30, tzinfo=UTC)


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


def body_text(path: Path, *, raw: bool = False, bottom: float = 788) -> str:
    """Text of every page above the footer band, pages joined (fields crossing a page stay contiguous).

    The text area ends 24 mm above the page bottom (y = 774 pt) and the footer starts
    near y = 789, so cropping at ``bottom`` drops the footer and nothing else. ``raw``
    reads in content-stream order (pdftotext's default mode drops a hyphen at a line end).
    """
    parts = []
    for page in range(1, int(pdfinfo(path)["Pages"]) + 1):
        command = ["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), "-f", str(page), "-l", str(page),
                   "-x", "0", "-y", "0", "-W", "596", "-H", str(bottom), str(path), "-"]
        parts.append(subprocess.run(command, check=True, capture_output=True, timeout=60).stdout.decode("utf-8"))
    return "".join(parts).replace("\u2022", "")  # list bullets are ours, not the user's


_WORD = re.compile(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>')


def word_boxes(path: Path) -> list[tuple[int, tuple[float, float, float, float], str]]:
    """(page number, (xMin, yMin, xMax, yMax), word) for every word pdftotext finds."""
    out = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
                         capture_output=True, check=True, timeout=120).stdout.decode("utf-8", errors="replace")
    boxes = []
    for page_number, page in enumerate(out.split("<page ")[1:], start=1):
        for match in _WORD.finditer(page):
            box = tuple(float(v) for v in match.groups()[:4])
            boxes.append((page_number, box, html.unescape(match.group(5))))
    return boxes  # type: ignore[return-value]

