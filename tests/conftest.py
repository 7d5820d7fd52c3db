"""Shared fixtures: sample documents and a cached real render (helpers live in pdfcheck.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pdfcheck import render_file


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


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory, sample_document) -> Path:
    """The sample report rendered once per test session."""
    return render_file(sample_document, tmp_path_factory.mktemp("sample") / "sample.pdf")
