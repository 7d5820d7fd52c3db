"""Plain text and a small Markdown subset → safe LaTeX (pure: no files, no processes).

:func:`escape_text` is the one escaping function: a single pass over the
characters with one table, so nothing is escaped twice, and its result is
:class:`LatexMarkup`, which every escaping function returns unchanged.  What a
caller must know:

* The output relies on ``\\TRnewline`` and ``\\TRbreak`` (definitions in
  :data:`SUPPORT_MACROS`), on fontspec fonts with TeX ligatures off (see
  :func:`texreport.fonts.font_setup_latex`) and, for Markdown, on ``\\TRcode{…}``,
  ``\\TRcodeblock{<file name>}`` and enumitem's ``start=`` key.
* Control and invisible characters are removed, text is NFC-normalised,
  blank lines become ``\\par``, single newlines ``\\TRnewline``.
* Runs of more than 16 characters without a space or CJK character get a
  stretchable break point every 4 characters, so tokens and URLs wrap.
* No output line exceeds about 1,000 characters (XeTeX aborts on ~200,000).
* Code blocks never enter the LaTeX source: :class:`CodeFiles` collects them
  under names the program chooses; the caller writes them next to the .tex.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = [
    "LatexMarkup",
    "SUPPORT_MACROS",
    "clean_text",
    "escape_text",
    "escape_line",
    "CodeFiles",
    "markdown_to_latex",
]


class LatexMarkup(str):
    """LaTeX produced by this program's own code; escaping it again returns it unchanged."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"LatexMarkup({str.__repr__(self)})"


#: Definitions the output of this module needs (the report's .sty provides them).
SUPPORT_MACROS = LatexMarkup(
    # A line break that is harmless where \newline would fail: nothing in vertical
    # mode (start of a paragraph or list item), a space in LR mode (l-columns, \mbox).
    "\\DeclareRobustCommand\\TRnewline{\\ifvmode\\else\\ifinner\\space\\else\\unskip\\newline\\fi\\fi}\n"
    # A break point that adds no width: unbroken, the two glues cancel; at a break
    # the first fills the line (ragged) and the second is discarded.  Finite
    # stretch (0.5pt, 3em) still left overfull lines next to long words; the
    # penalty keeps TeX from breaking inside a token when a normal break is good.
    "\\DeclareRobustCommand\\TRbreak{\\hskip 0pt plus 1fil\\penalty50\\hskip 0pt plus -1fil\\relax}\n"
)

# One table, applied once per character.  Every replacement ends in "{}", "}" or is
# a control symbol, so it cannot glue to the following letters.
_TABLE: dict[str, str] = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # Ligature and quote characters: printed as typed even if a font turned TeX
    # ligatures on (checked: "-{}-{}" stays "--", \textasciigrave{} stays "`").
    "`": r"\textasciigrave{}",
    "'": r"\textquotesingle{}",
    '"': r"\textquotedbl{}",
    "-": "-{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    # Braced so that "\item[" style optional-argument capture cannot happen.
    "[": "{[}",
    "]": "{]}",
    "\u00a0": "~",
}

_LONG_RUN = 16  # characters without a space or CJK character before breaks are added
_BREAK_EVERY = 4
_MAX_SOURCE_LINE = 1000  # output characters before a newline is slipped in
_CODE_LINE_LIMIT = 1000  # fvextra fails with "Dimension too large" near 3,100

_BREAK = "\\TRbreak "
_NEWLINE = "\\TRnewline "
_PAR = "\\par "


def _is_dropped(ch: str) -> bool:
    """Characters that never reach TeX: controls, format/bidi, surrogates, noncharacters, selectors."""
    cp = ord(ch)
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs"):  # C0, DEL, C1; ZW*, bidi, BOM, soft hyphen, tags; surrogates
        return True
    if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
        return True
    # Variation selectors and the grapheme joiner are invisible and absent from the fonts' cmaps.
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or cp == 0x034F


_NEWLINES = re.compile(r"\r\n|\r|\u2028|\x85")


def clean_text(text: str) -> str:
    """Text as it will be typeset: newlines unified, invisible characters removed, NFC.

    U+2028 becomes a newline and U+2029 a blank line; tabs and unusual spaces
    become spaces (U+3000 and U+00A0 are kept).
    """
    text = _NEWLINES.sub("\n", text).replace("\u2029", "\n\n")
    out = []
    for ch in text:
        if _is_dropped(ch):
            continue
        if ch == "\t" or (ch not in " \u00a0\u3000" and unicodedata.category(ch) == "Zs"):
            out.append(" ")
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _breaks_run(ch: str) -> bool:
    """Whether ``ch`` ends a run of unbreakable characters (spaces and CJK break anyway)."""
    return ch.isspace() or unicodedata.east_asian_width(ch) in ("W", "F")


def _joins_previous(ch: str) -> bool:
    """Whether a break before ``ch`` would split a grapheme (combining marks, emoji modifiers)."""
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) in ("Mn", "Mc", "Me") or (
        0x1F3FB <= ord(ch) <= 0x1F3FF
    )


def _pieces(line: str) -> Iterator[str]:
    """Escaped pieces of one line (no newlines), with break points in long runs."""
    run_start = 0
    for index, ch in enumerate(line):
        if _breaks_run(ch):
            run_start = index + 1
        else:
            position = index - run_start
            if position and position % _BREAK_EVERY == 0 and not _joins_previous(ch):
                end = index
                while end < len(line) and not _breaks_run(line[end]) and end - run_start <= _LONG_RUN:
                    end += 1
                if end - run_start > _LONG_RUN:
                    yield _BREAK
        yield _TABLE.get(ch, ch)


def _join(pieces: Iterator[str]) -> str:
    """Concatenate pieces, starting a new source line now and then (never inside a piece)."""
    out: list[str] = []
    length = 0
    for piece in pieces:
        if length >= _MAX_SOURCE_LINE:
            # A newline is a space token: use it for a real space, otherwise "%\n",
            # which ends the line without producing anything.
            if piece == " ":
                out.append("\n")
                length = 0
                continue
            if not piece.startswith(" "):
                out.append("%\n")
                length = 0
        out.append(piece)
        newline = piece.rfind("\n")
        length = length + len(piece) if newline < 0 else len(piece) - newline - 1
    return "".join(out)


def _escape_inline(text: str) -> str:
    """Escape cleaned text that holds no newlines, keeping its spaces."""
    return _join(_pieces(text))


def _paragraphs(text: str) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip(" ")
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def escape_text(text: str) -> LatexMarkup:
    """Escape plain text so that it prints exactly as typed and cannot act as TeX.

    Blank lines separate paragraphs (``\\par``); a single newline is a line break
    (``\\TRnewline``), emitted only between two non-empty lines.  Leading and
    trailing blank lines and spaces at line ends are dropped.
    """
    if isinstance(text, LatexMarkup):
        return text
    paragraphs = _paragraphs(clean_text(text))

    def pieces() -> Iterator[str]:
        for p_index, lines in enumerate(paragraphs):
            if p_index:
                yield "\n"
                yield _PAR
            for l_index, line in enumerate(lines):
                if l_index:
                    yield _NEWLINE
                yield from _pieces(line)

    return LatexMarkup(_join(pieces()))


def escape_line(text: str) -> LatexMarkup:
    """Escape text for a one-line place (title, table cell, chart label): newlines become spaces."""
    if isinstance(text, LatexMarkup):
        return text
    line = " ".join(clean_text(text).split())
    return LatexMarkup(_escape_inline(line))


# ---------------------------------------------------------------- code blocks


class CodeFiles:
    """Code blocks to be written as files whose names the program chooses (``code-001.txt`` …)."""

    def __init__(self, *, prefix: str = "") -> None:
        # ``prefix`` keeps several reports' files apart in one job folder (batch); the
        # program chooses it, it is never user text.
        if not re.fullmatch(r"[a-z0-9-]*", prefix):
            raise ValueError("a code file prefix is letters, digits and dashes")
        self._prefix = prefix
        self._items: list[tuple[str, str]] = []
        self._languages: dict[str, str | None] = {}

    def add(self, code: str, language: str | None = None) -> str:
        """Store ``code`` (cleaned, tabs expanded, long lines wrapped) and return its file name.

        ``language`` is kept for callers (:meth:`language`) but never reaches the name.
        """
        name = f"{self._prefix}code-{len(self._items) + 1:03d}.txt"
        self._items.append((name, _clean_code(code)))
        self._languages[name] = language
        return name

    def items(self) -> list[tuple[str, str]]:
        """(file name, content) pairs in the order they were added."""
        return list(self._items)

    def language(self, name: str) -> str | None:
        """The language given with a block, as typed (for display only)."""
        return self._languages[name]

    def __len__(self) -> int:
        return len(self._items)


def _clean_code(code: str) -> str:
    # Tabs expand to columns before clean_text would turn them into single spaces.
    lines = _NEWLINES.sub("\n", code).replace("\u2029", "\n").split("\n")
    cleaned = [clean_text(line.expandtabs(4)) for line in lines]
    while cleaned and not cleaned[-1].strip():
        cleaned.pop()
    wrapped: list[str] = []
    for line in cleaned:
        wrapped.extend(_hard_wrap(line.rstrip(), _CODE_LINE_LIMIT))
    return "\n".join(wrapped) + "\n" if wrapped else ""


def _hard_wrap(line: str, width: int) -> list[str]:
    """Split a line into chunks of at most ``width`` characters, never before a combining mark."""
    chunks: list[str] = []
    while len(line) > width:
        cut = width
        while cut > 1 and _joins_previous(line[cut]):
            cut -= 1
        chunks.append(line[:cut])
        line = line[cut:]
    chunks.append(line)
    return chunks


# ---------------------------------------------------------------- Markdown subset

_MAX_LIST_DEPTH = 4  # LaTeX allows four levels of itemize/enumerate; deeper lists print their markers


def _parser() -> MarkdownIt:
    # "zero" has no backslash escapes, entities, links, HTML, headings, quotes or
    # tables: all of those stay literal text, which is what we want.
    return MarkdownIt("zero").enable(["list", "fence", "emphasis", "backticks", "newline"])


_MARKDOWN = _parser()


def markdown_to_latex(text: str, *, code_files: CodeFiles) -> LatexMarkup:
    """Typeset the evaluators' Markdown subset; everything else prints as typed.

    Paragraphs, line breaks (every newline), bullet and numbered lists (start
    number kept, nesting), ``**bold**``/``__bold__``, ``inline code`` and fenced
    code blocks.  Fenced code goes to ``code_files``; the output only names it.
    """
    if isinstance(text, LatexMarkup):
        return text
    tokens = _MARKDOWN.parse(clean_text(text))
    renderer = _Renderer(code_files)
    blocks = renderer.blocks(tokens, 0, len(tokens))
    return LatexMarkup(("\n" + _PAR).join(blocks))


class _Renderer:
    def __init__(self, code_files: CodeFiles) -> None:
        self.code_files = code_files
        self.depth = 0

    def blocks(self, tokens: list[Token], start: int, end: int) -> list[str]:
        """Render block tokens[start:end] into a list of LaTeX blocks."""
        out: list[str] = []
        i = start
        while i < end:
            token = tokens[i]
            if token.type == "paragraph_open":
                close = self._close(tokens, i)
                content = "".join(self.inline(tokens[j]) for j in range(i + 1, close))
                if content:
                    out.append(content)
                i = close + 1
            elif token.type == "fence":
                language = token.info.strip() or None
                name = self.code_files.add(token.content, language)
                out.append(f"\\TRcodeblock{{{name}}}")
                i += 1
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                close = self._close(tokens, i)
                out.append(self.list(tokens, i, close))
                i = close + 1
            elif token.type == "inline":
                out.append(self.inline(token))
                i += 1
            else:
                # Any other block (not produced with the rules enabled): its text, literally.
                if token.content:
                    out.append(escape_text(token.content))
                i += 1
        return out

    def list(self, tokens: list[Token], open_index: int, close_index: int) -> str:
        opener = tokens[open_index]
        ordered = opener.type == "ordered_list_open"
        start_attr = opener.attrGet("start")
        number = int(start_attr) if start_attr is not None else 1
        items = self._items(tokens, open_index + 1, close_index)
        self.depth += 1
        try:
            if self.depth > _MAX_LIST_DEPTH:
                # Too deep for LaTeX: print each item as a paragraph with its marker.
                rendered = []
                for offset, (begin, end) in enumerate(items):
                    marker = f"{number + offset}{opener.markup}" if ordered else opener.markup
                    body = ("\n" + _PAR).join(self.blocks(tokens, begin, end))
                    rendered.append(_escape_inline(marker) + " " + body)
                return ("\n" + _PAR).join(rendered)
            if ordered:
                options = f"[start={number}]" if number != 1 else ""
                head, tail = f"\\begin{{enumerate}}{options}", "\\end{enumerate}"
            else:
                head, tail = "\\begin{itemize}", "\\end{itemize}"
            lines = [head]
            for begin, end in items:
                lines.append("\\item " + ("\n" + _PAR).join(self.blocks(tokens, begin, end)))
            lines.append(tail)
            return "\n".join(lines)
        finally:
            self.depth -= 1

    def _items(self, tokens: list[Token], start: int, end: int) -> list[tuple[int, int]]:
        """(first, end) token ranges of the list items between start and end."""
        items = []
        i = start
        while i < end:
            if tokens[i].type == "list_item_open":
                close = self._close(tokens, i)
                items.append((i + 1, close))
                i = close + 1
            else:
                i += 1
        return items

    @staticmethod
    def _close(tokens: list[Token], open_index: int) -> int:
        """Index of the token closing tokens[open_index] (same level, nesting -1)."""
        level = tokens[open_index].level
        for j in range(open_index + 1, len(tokens)):
            if tokens[j].level == level and tokens[j].nesting == -1:
                return j
        return len(tokens)

    def inline(self, token: Token) -> str:
        if token.type != "inline":
            return ""
        return _strip_edges(_join(self._inline_pieces(token.children or [])))

    @staticmethod
    def _inline_pieces(children: list[Token]) -> Iterator[str]:
        for child in children:
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                yield _NEWLINE
            elif kind == "code_inline":
                yield "\\TRcode{"
                yield from _pieces(child.content)
                yield "}"
            elif kind == "strong_open":
                yield "\\textbf{"
            elif kind == "strong_close":
                yield "}"
            elif kind in ("em_open", "em_close"):
                # Single * or _ is not part of the subset: show the marker as typed.
                yield from _pieces(child.markup)
            else:  # text, and anything unexpected: its content, literally
                yield from _pieces(child.content)


def _strip_edges(latex: str) -> str:
    # Trailing hard-break markup at a paragraph end would be an empty line.
    while latex.endswith(_NEWLINE):
        latex = latex[: -len(_NEWLINE)]
    return latex
