"""Code blocks → LaTeX: Pygments decides the colours, our escaper writes every character.

:func:`code_block_latex` turns a fenced or indented block into one ``TRcodeblock``
environment (``latex/texreport.sty``, Markdown section): an optional label line
(the fence's info string as typed), then one ``\\TRcodeline{…}`` per source line.
Tokens of a known language become ``\\TRtok{<class>}{<escaped text>}``; the class is
one of a fixed set of letters (:data:`TOKEN_CLASSES`), never text from the input.
Nothing from the code reaches TeX except through :func:`texreport.escape.escape_pieces`.

What a reader sees: tabs expanded to 4 columns, blank lines and indentation kept
(each space is a fixed-width ``\\ ``), long lines wrapping inside the margin at
spaces, at token boundaries, and inside long tokens where the escaper allows.

Only the languages in :data:`LANGUAGES` are lexed (a fixed list: no lexer is
chosen by guessing, and every lexer here is a plain regex lexer); anything else
prints in plain monospace.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Number, Operator, String, _TokenType, is_token_subtype

from .escape import LatexMarkup, clean_text, escape_pieces, join_pieces

__all__ = ["LANGUAGES", "TOKEN_CLASSES", "code_block_latex", "language_of"]

#: Info-string words (lower case) → Pygments lexer alias.
LANGUAGES: dict[str, str] = {
    "java": "java", "sql": "sql", "mysql": "mysql", "postgresql": "postgresql", "plsql": "plpgsql",
    "python": "python", "py": "python", "python3": "python",
    "bash": "bash", "sh": "bash", "shell": "bash", "zsh": "bash", "console": "console", "shell-session": "console",
    "yaml": "yaml", "yml": "yaml", "json": "json", "jsonc": "json",
    "xml": "xml", "html": "html", "css": "css",
    "go": "go", "golang": "go",
    "javascript": "javascript", "js": "javascript", "jsx": "javascript", "node": "javascript",
    "typescript": "typescript", "ts": "typescript", "tsx": "typescript",
    "kotlin": "kotlin", "kt": "kotlin",
    "c": "c", "h": "c", "cpp": "cpp", "c++": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp",
    "csharp": "csharp", "c#": "csharp", "cs": "csharp", "rust": "rust", "rs": "rust",
    "scala": "scala", "swift": "swift", "php": "php", "ruby": "ruby", "rb": "ruby",
    "ini": "ini", "toml": "toml", "properties": "properties", "dockerfile": "docker", "docker": "docker",
    "diff": "diff", "groovy": "groovy", "gradle": "groovy", "lua": "lua", "r": "r",
}

#: Our token classes, most specific Pygments type first (a letter each; colours in texreport.sty).
TOKEN_CLASSES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "c"),
    (Keyword.Type, "t"),
    (Keyword, "k"),
    (String, "s"),
    (Number, "n"),
    (Name.Function, "f"),
    (Name.Class, "t"),
    (Name.Builtin, "b"),
    (Name.Decorator, "a"),
    (Name.Attribute, "a"),
    (Name.Tag, "k"),
    (Name.Namespace, "t"),
    (Operator.Word, "k"),
)

_SPACE = "\\ "
_TOKEN_BREAK = "\\TRbreakpart "  # between two tokens of a code line


def language_of(info: str) -> str | None:
    """The lexer alias for a fence's info string, or None (plain)."""
    words = info.strip().split()
    if not words:
        return None
    return LANGUAGES.get(words[0].lower().strip("{}."))


@functools.cache
def _lexer(alias: str) -> Lexer:
    # stripnl=False keeps leading and trailing blank lines; tabs are expanded before.
    return get_lexer_by_name(alias, stripnl=False, ensurenl=False, stripall=False)


@functools.cache
def _class_of(token_type: _TokenType) -> str:
    for pygments_type, letter in TOKEN_CLASSES:
        if is_token_subtype(token_type, pygments_type):
            return letter
    return ""


def _code_lines(code: str) -> list[str]:
    """Lines as typeset: newlines unified, tabs expanded, invisible characters removed, trailing blanks cut."""
    lines = [clean_text(line.expandtabs(4)).rstrip() for line in code.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _text_pieces(text: str) -> Iterator[str]:
    """Escaped pieces of a token's text: every space a fixed-width space, the rest through the escaper."""
    for index, part in enumerate(text.split(" ")):
        if index:
            yield _SPACE
        if part:
            yield from escape_pieces(part)


def _tokens(lines: list[str], alias: str | None) -> Iterator[tuple[str, str]]:
    """(class letter, text) pairs; "\\n" separates lines."""
    source = "\n".join(lines)
    if alias is None:
        yield "", source
        return
    for token_type, value in _lexer(alias).get_tokens(source):
        yield _class_of(token_type), value


def _line_pieces(tokens: Iterable[tuple[str, str]]) -> Iterator[str]:
    """Pieces of the whole block: ``\\TRcodeline{…}`` per line, tokens in ``\\TRtok``."""
    yield "\\TRcodeline{"
    first_in_line = True
    for letter, text in tokens:
        for index, part in enumerate(text.split("\n")):
            if index:
                yield "}\n\\TRcodeline{"
                first_in_line = True
            if not part:
                continue
            if not first_in_line and not part.startswith(" "):
                yield _TOKEN_BREAK
            first_in_line = False
            if letter:
                yield f"\\TRtok{letter}{{"
                yield from _text_pieces(part)
                yield "}"
            else:
                yield from _text_pieces(part)
    yield "}"


def code_block_latex(code: str, info: str = "") -> LatexMarkup:
    """One code block: the info string as typed (if any) as its label, then the highlighted lines."""
    lines = _code_lines(code)
    alias = language_of(info)
    label = " ".join(clean_text(info).split())
    head = "\\begin{TRcodeblock}{" + join_pieces(escape_pieces(label)) + "}\n"
    if not lines:
        return LatexMarkup(head + "\\end{TRcodeblock}")
    body = join_pieces(_line_pieces(_tokens(lines, alias)))
    return LatexMarkup(head + body + "\n\\end{TRcodeblock}")
