"""The exception tree of texreport.

Every error the library raises on purpose is a :class:`TexreportError`::

    TexreportError
    ├── InputError                 bad input document; CLI exit 2, HTTP 400/422
    │   ├── UnsupportedCharacterError   a character no configured font can draw
    │   └── LimitError             a field or the document exceeds a size limit (HTTP 413)
    └── RenderError                the document was valid but no PDF came out; CLI exit 1, HTTP 500
        ├── CompileError           xelatex reported an error (first error and its line)
        ├── CompileTimeout         xelatex exceeded its wall-clock budget and was killed
        ├── ToolMissingError       xelatex (or a font) is not installed
        └── DiskFullError          the temporary folder is full (named in the message)

Errors carry structured fields (``field``, ``character``, ``tex_line`` …) so that
callers can build their own messages; ``str(error)`` is always a single line.
"""

from __future__ import annotations

__all__ = [
    "CompileError",
    "CompileTimeout",
    "DiskFullError",
    "InputError",
    "LimitError",
    "RenderError",
    "TexreportError",
    "ToolMissingError",
    "UnsupportedCharacterError",
    "printable",
]


def printable(text: str) -> str:
    """``text`` safe to print or log in UTF-8: a lone surrogate (from JSON, or a file name
    that is not UTF-8) becomes its escape (``\\ud800``) instead of crashing the writer."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(printable(text).split())


class TexreportError(Exception):
    """Base class of every error texreport raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))

    @property
    def message(self) -> str:
        return str(self)


class InputError(TexreportError):
    """The input document is invalid; ``field`` is its dotted path (``questionDetails.2.score``)."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class UnsupportedCharacterError(InputError):
    """A character that no configured font can draw; naming it beats dropping it silently."""

    def __init__(self, character: str, *, field: str | None = None) -> None:
        self.character = character
        name = _unicode_name(character)
        super().__init__(
            f"character {character!r} (U+{ord(character):04X} {name}) cannot be drawn by any configured font",
            field=field,
        )


class LimitError(InputError):
    """A field or the whole document is larger than the renderer accepts."""

    def __init__(self, message: str, *, field: str | None = None, limit: int | None = None) -> None:
        self.limit = limit
        super().__init__(message, field=field)


class RenderError(TexreportError):
    """A valid document did not produce a PDF."""

    exit_code = 1


class CompileError(RenderError):
    """xelatex failed; ``tex_error`` is the first error message, ``tex_line`` its source line.

    ``reached_driver`` is False when xelatex stopped before it opened the job's own
    file: nothing of the document can be the cause (a run from a precompiled format
    then blames the format, :func:`texreport.formats.format_refused`) — unless
    ``killed``: a signal from outside (SIGKILL, SIGTERM, …) stopped it, which says
    nothing about the format.
    """

    def __init__(self, tex_error: str, *, tex_line: int | None = None, log_excerpt: str = "",
                 reached_driver: bool = True, killed: bool = False) -> None:
        self.tex_error = tex_error
        self.tex_line = tex_line
        self.log_excerpt = log_excerpt
        self.reached_driver = reached_driver
        self.killed = killed
        where = f" (line {tex_line})" if tex_line else ""
        super().__init__(f"xelatex failed{where}: {tex_error}")


class CompileTimeout(RenderError):
    """xelatex ran longer than its budget; its whole process group was killed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"xelatex did not finish within {seconds:g} s and was stopped")


class ToolMissingError(RenderError):
    """A program or font the renderer needs is not installed."""


class DiskFullError(RenderError):
    """The folder a job writes to is full (or over quota); ``folder`` names it."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        super().__init__(f"disk full: no space left in the temporary folder {folder}")


def _unicode_name(character: str) -> str:
    import unicodedata

    return unicodedata.name(character, "unnamed character")
