"""templating: LaTeX-safe delimiters, escaping of every printed value, StrictUndefined."""

from __future__ import annotations

import functools

import jinja2
import pytest

from texreport.escape import LatexMarkup, escape_text
from texreport.templating import keep_edge_spaces, make_environment, pdf_string


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return make_environment()


def render(env: jinja2.Environment, source: str, **context) -> str:
    return env.from_string(source).render(**context)


@pytest.mark.parametrize(("source", "context", "expected"), [
    (r"\VAR{x}", {"x": "plain"}, "plain"),
    (r"\BLOCK{if x}yes\BLOCK{endif}", {"x": True}, "yes"),
    (r"\BLOCK{for i in xs}\VAR{i};\BLOCK{endfor}", {"xs": [1, 2]}, "1;2;"),
    (r"a\#{ a comment }b", {}, "ab"),
    # Jinja's default delimiters are ordinary text here: LaTeX groups and TeX comments pass through.
    (r"{{ x }}{% raw %}{# c #}", {"x": "ignored"}, r"{{ x }}{% raw %}{# c #}"),
    (r"\section{A}\textbf{\VAR{x}}", {"x": "b"}, r"\section{A}\textbf{b}"),
])
def test_delimiters(env, source: str, context: dict, expected: str) -> None:
    assert render(env, source, **context) == expected


@pytest.mark.parametrize("text", [
    "50% off", "C# & F#", "$x_1^2$", "{braces}", "\\input{/etc/passwd}", "~tilde", "a#b", "\\", "^_",
])
def test_user_text_is_escaped(env, text: str) -> None:
    out = render(env, r"\VAR{x}", x=text)
    assert out == escape_text(text)
    assert out != text   # every case holds a TeX special character


def test_latex_markup_passes_unchanged(env) -> None:
    markup = LatexMarkup(r"\textbf{bold} 50\%")
    assert render(env, r"\VAR{x}", x=markup) == markup


def test_escaping_markup_again_changes_nothing(env) -> None:
    once = escape_text("100% {x}")
    assert render(env, r"\VAR{x}", x=once) == once
    assert render(env, r"\VAR{x|e}", x="100% {x}") == once


@pytest.mark.parametrize(("value", "expected"), [(3, "3"), (2.5, "2.5"), (0, "0")])
def test_numbers_print_as_numbers(env, value, expected: str) -> None:
    assert render(env, r"\VAR{x}", x=value) == expected


@pytest.mark.parametrize("value", [True, False, None])
def test_booleans_and_none_refused(env, value) -> None:
    with pytest.raises(TypeError, match="refusing to print"):
        render(env, r"\VAR{x}", x=value)


@pytest.mark.parametrize("source", [r"\VAR{missing}", r"\VAR{missing.attr}", r"\BLOCK{for i in missing}\BLOCK{endfor}"])
def test_missing_variable_raises(env, source: str) -> None:
    with pytest.raises(jinja2.UndefinedError, match="missing"):
        render(env, source)


def test_missing_attribute_raises(env) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render(env, r"\VAR{x.nope}", x={"yes": 1})


@pytest.mark.parametrize(("text", "expected"), [
    ("A", "<FEFF0041>"),
    ("中", "<FEFF4E2D>"),
    ("a\x00b", "<FEFF00610062>"),   # control characters are dropped
    (")\\", "<FEFF0029005C>"),       # hex: nothing a \special could misread
])
def test_pdf_string(text: str, expected: str) -> None:
    assert pdf_string(text) == expected
    assert isinstance(pdf_string(text), LatexMarkup)


@pytest.mark.parametrize(("text", "expected"), [
    ("Page ", "Page\\ "),
    (" of ", "\\ of\\ "),
    ("x", "x"),
])
def test_keep_edge_spaces(text: str, expected: str) -> None:
    assert keep_edge_spaces(text) == expected


def test_spaced_and_pdfstring_filters(env) -> None:
    assert render(env, r"\VAR{x|spaced}\VAR{n}", x="Page ", n=3) == "Page\\ 3"
    assert render(env, r"\VAR{x|pdfstring}", x="A") == "<FEFF0041>"


def test_rendering_writes_no_file(document, tmp_path, monkeypatch) -> None:
    from texreport import templating
    from texreport.pipeline import prepare

    prepare(document)  # font coverage read (and cached in-process) before the cache folder moves
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("TEXREPORT_CACHE_DIR", str(cache))
    fresh = functools.lru_cache(maxsize=4)(templating._shared_environment.__wrapped__)
    monkeypatch.setattr(templating, "_shared_environment", fresh)  # the template is compiled again
    assert "\\TRfooter" in prepare(document).document["body.tex"]
    assert fresh.cache_info().misses == 1
    assert list(cache.iterdir()) == []
