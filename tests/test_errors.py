"""errors: the exception tree as its docstring draws it, exit codes, one-line messages naming field and character."""

from __future__ import annotations

import pytest

from texreport import errors
from texreport.errors import (
    CompileError,
    CompileTimeout,
    DiskFullError,
    InputError,
    LimitError,
    RenderError,
    TexreportError,
    ToolMissingError,
    UnsupportedCharacterError,
    printable,
)

PARENT = {
    InputError: TexreportError,
    RenderError: TexreportError,
    UnsupportedCharacterError: InputError,
    LimitError: InputError,
    CompileError: RenderError,
    CompileTimeout: RenderError,
    ToolMissingError: RenderError,
    DiskFullError: RenderError,
}


@pytest.mark.parametrize(("child", "parent"), list(PARENT.items()), ids=lambda c: c.__name__)
def test_direct_parent(child: type, parent: type) -> None:
    assert child.__bases__ == (parent,)


def test_tree_covers_every_exported_exception() -> None:
    exported = {getattr(errors, name) for name in errors.__all__}
    classes = {item for item in exported if isinstance(item, type)}
    assert classes == set(PARENT) | {TexreportError}
    assert TexreportError.__bases__ == (Exception,)


def test_docstring_draws_every_class() -> None:
    for cls in [TexreportError, *PARENT]:
        assert cls.__name__ in (errors.__doc__ or "")


@pytest.mark.parametrize(("sibling", "other"), [
    (InputError, RenderError), (RenderError, InputError), (LimitError, RenderError), (CompileError, InputError),
    (UnsupportedCharacterError, LimitError), (CompileTimeout, CompileError),
])
def test_branches_are_disjoint(sibling: type, other: type) -> None:
    assert not issubclass(sibling, other)


@pytest.mark.parametrize(("error", "code"), [
    (TexreportError("x"), 1),
    (InputError("x"), 2),
    (UnsupportedCharacterError("\u2603"), 2),
    (LimitError("x", limit=3), 2),
    (RenderError("x"), 1),
    (CompileError("x"), 1),
    (CompileTimeout(5), 1),
    (ToolMissingError("xelatex not found"), 1),
    (DiskFullError("/tmp"), 1),
])
def test_exit_codes(error: TexreportError, code: int) -> None:
    assert error.exit_code == code


@pytest.mark.parametrize(("error", "expected"), [
    (InputError("is required", field="sessionId"), "sessionId: is required"),
    (InputError("is required"), "is required"),
    (LimitError("too long", field="questionDetails.2.userAnswer", limit=10), "questionDetails.2.userAnswer: too long"),
    (CompileError("Undefined control sequence", tex_line=42), "xelatex failed (line 42): Undefined control sequence"),
    (CompileError("Emergency stop"), "xelatex failed: Emergency stop"),
    (CompileTimeout(2.5), "xelatex did not finish within 2.5 s and was stopped"),
    (CompileTimeout(60.0), "xelatex did not finish within 60 s and was stopped"),
    (DiskFullError("/tmp/job"), "disk full: no space left in the temporary folder /tmp/job"),
    (TexreportError("two\nlines\t and  spaces"), "two lines and spaces"),
])
def test_messages(error: TexreportError, expected: str) -> None:
    assert str(error) == expected
    assert error.message == expected


@pytest.mark.parametrize(("character", "code", "name"), [
    ("\u2603", "U+2603", "SNOWMAN"),
    ("\U0001F600", "U+1F600", "GRINNING FACE"),
    ("\ue000", "U+E000", "unnamed character"),
])
def test_unsupported_character_names_it(character: str, code: str, name: str) -> None:
    error = UnsupportedCharacterError(character, field="overallFeedback")
    assert error.character == character
    assert error.field == "overallFeedback"
    assert str(error).startswith("overallFeedback: character ")
    assert code in str(error) and name in str(error)
    assert "\n" not in str(error)


def test_structured_fields() -> None:
    error = CompileError("boom", tex_line=7, log_excerpt="! boom", reached_driver=False, killed=True)
    assert (error.tex_error, error.tex_line, error.log_excerpt, error.reached_driver, error.killed) == (
        "boom", 7, "! boom", False, True)
    defaults = CompileError("boom")
    assert (defaults.tex_line, defaults.reached_driver, defaults.killed) == (None, True, False)
    assert LimitError("big", limit=100).limit == 100
    assert CompileTimeout(3).seconds == 3
    assert DiskFullError("/x").folder == "/x"


@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("中文", "中文"),
    ("a\ud800b", "a\\ud800b"),
])
def test_printable(text: str, expected: str) -> None:
    assert printable(text) == expected
    printable(text).encode("utf-8")   # never raises


def test_message_with_lone_surrogate_is_printable() -> None:
    error = InputError("bad \udcff byte", field="x")
    str(error).encode("utf-8")
    assert "\\udcff" in str(error)
