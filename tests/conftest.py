"""Shared fixtures: sample documents, a cached real render, and PDF read-back helpers."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def sample_document() -> dict[str, Any]:
    from texreport.sample import sample_json

    return json.loads(sample_json())


@pytest.fixture(scope="session")
def sample_report(sample_document):
    from texreport.models import load_document

    return load_document(sample_document)


@pytest.fixture
def document(sample_document) -> dict[str, Any]:
    """A fresh, mutable copy of the sample report object (without the envelope)."""
    data = copy.deepcopy(sample_document)
    return data["data"] if "data" in data and "code" in data else data


def render_file(document: Any, path: Path, **options: Any) -> Path:
    from texreport.pipeline import RenderOptions, render_to_file

    options.setdefault("generated_at", GENERATED_AT)
    return render_to_file(document, path, options=RenderOptions(**options))


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory, sample_document) -> Path:
    """The sample report rendered once per test session."""
    return render_file(sample_document, tmp_path_factory.mktemp("sample") / "sample.pdf")
