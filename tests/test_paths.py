"""paths: cache folder precedence, the LaTeX folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from texreport.paths import cache_dir, latex_dir, xdg_cache_home


@pytest.mark.parametrize(("explicit", "xdg", "expected"), [
    ("/explicit", "/xdg", "/explicit"),
    ("/explicit", None, "/explicit"),
    (None, "/xdg", "/xdg/texreport"),
    ("", "/xdg", "/xdg/texreport"),          # an empty variable counts as unset
    (None, None, "HOME/.cache/texreport"),
    (None, "", "HOME/.cache/texreport"),
    ("", "", "HOME/.cache/texreport"),
])
def test_cache_dir_precedence(monkeypatch, tmp_path: Path, explicit, xdg, expected: str) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in (("TEXREPORT_CACHE_DIR", explicit), ("XDG_CACHE_HOME", xdg)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert cache_dir() == Path(expected.replace("HOME", str(tmp_path)))


def test_xdg_cache_home_default(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert xdg_cache_home() == tmp_path / ".cache"


def test_latex_dir_holds_the_templates() -> None:
    assert (latex_dir() / "report.tex.j2").is_file()
