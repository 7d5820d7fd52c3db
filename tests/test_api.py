"""The public API is small and honest: every name in each __all__ exists and imports."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import texreport

MODULES = ["texreport", "texreport.errors", "texreport.models", "texreport.view", "texreport.labels",
           "texreport.escape", "texreport.fonts", "texreport.coverage", "texreport.charts", "texreport.templating",
           "texreport.compiler", "texreport.pipeline", "texreport.workers", "texreport.batch",
           "texreport.jobdirs", "texreport.naming", "texreport.cli", "texreport.formats", "texreport.paths", "texreport.atomic",
           "texreport.launch", "texreport.transports", "texreport.drivers", "texreport.progress",
           "texreport.progress_view", "texreport.progress_charts", "texreport.progress_pipeline",
           "texreport.progress_sample", "texreport.theme", "texreport.bands", "texreport.catalogue"]


@pytest.mark.parametrize("name", MODULES)
def test_every_exported_name_exists(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    assert len(exported) == len(set(exported))
    missing = [attribute for attribute in exported if not hasattr(module, attribute)]
    assert missing == []


def test_top_level_api():
    assert set(texreport.__all__) >= {"render", "render_to_file", "RenderOptions", "load_json", "load_document",
                                      "TexreportError", "InputError", "RenderError"}
    assert sorted(dir(texreport)) == sorted(texreport.__all__)
    with pytest.raises(AttributeError):
        texreport.no_such_name  # noqa: B018


def test_package_is_typed():
    assert (Path(texreport.__file__).parent / "py.typed").exists()


def test_render_options_are_named_with_defaults():
    options = texreport.RenderOptions()
    from texreport.transports import ColdCompiler

    assert options.lang is None and options.compiler == ColdCompiler() and options.limits.timeout > 0
