"""Plain text → safe LaTeX: the one escaper (pure: no files, no processes).

:func:`escape_text` is the one escaping function: a single pass over the
characters with one table, so nothing is escaped twice, and its result is
:class:`LatexMarkup`, which every escaping function returns unchanged.  What a
caller must know:

* The output relies on ``\\TRnewline``, ``\\TRbreak``, ``\\TRwordstart``,
  ``\\TRbreakpart`` and ``\\TRbreakany`` (definitions in :data:`SUPPORT_MACROS`)
  and on fontspec fonts with TeX ligatures off (see
  :func:`texreport.fonts.font_setup_latex`).  :mod:`texreport.markdown` and
  :mod:`texreport.highlight` build on :func:`escape_pieces`.
* Control and invisible characters are removed, text is NFC-normalised,
  blank lines become ``\\par``, single newlines ``\\TRnewline``.
* A word (run without a space or CJK character) longer than 16 characters may
  break, but only where it must: before it is a ragged break that TeX prefers,
  inside it break points after ``. / _ - : ? & = #`` and at camelCase or
  letter/digit changes, and, dearer still, every second character.  A word that
  fits on a line is never split; one that does not splits at a boundary first.
* No output line exceeds about 1,000 characters (XeTeX aborts on ~200,000).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

__all__ = [
    "LatexMarkup",
    "SUPPORT_MACROS",
    "clean_text",
    "escape_text",
    "escape_line",
    "escape_pieces",
    "join_pieces",
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
    # Long words: a ragged break before the word (cheap, so a word that fits moves to
    # the next line whole), then, only if it must, a break at a boundary inside it
    # (camelCase, after . / _ -) and, dearer still, anywhere.
    "\\DeclareRobustCommand\\TRwordstart{\\nobreak\\hskip 0pt plus 1fil\\penalty50\\hskip 0pt plus -1fil\\relax}\n"
    "\\DeclareRobustCommand\\TRbreakpart{\\nobreak\\hskip 0pt plus 1fil\\penalty200\\hskip 0pt plus -1fil\\relax}\n"
    "\\DeclareRobustCommand\\TRbreakany{\\nobreak\\hskip 0pt plus 1fil\\penalty900\\hskip 0pt plus -1fil\\relax}\n"
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

_LONG_WORD = 16  # characters without a space or CJK character before break points are added (templates pass
# program-chosen names such as "TRlongcategories" through the escaper: they must come out unchanged)
_BREAK_EVERY = 2  # "anywhere" break points: every second character of a long word
_BREAK_AFTER = frozenset("./_-:?&=#\\,;")
_MAX_SOURCE_LINE = 1000  # output characters before a newline is slipped in

_WORD_START = "\\TRwordstart "
_BREAK_PART = "\\TRbreakpart "
_BREAK_ANY = "\\TRbreakany "
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


def _cleaned(ch: str) -> str:
    """What one character becomes: nothing (invisible), a space (tab, unusual space) or itself."""
    if _is_dropped(ch):
        return ""
    if ch == "\t" or (ch not in " \u00a0\u3000" and unicodedata.category(ch) == "Zs"):
        return " "
    return ch


class _CleanTable(dict[int, str]):
    """A ``str.translate`` table filled on demand (bounded: hostile text may use many characters)."""

    def __missing__(self, codepoint: int) -> str:
        value = _cleaned(chr(codepoint))
        if len(self) < 50_000:
            self[codepoint] = value
        return value


_CLEAN = _CleanTable()


def clean_text(text: str) -> str:
    """Text as it will be typeset: newlines unified, invisible characters removed, NFC.

    U+2028 becomes a newline and U+2029 a blank line; tabs and unusual spaces
    become spaces (U+3000 and U+00A0 are kept).
    """
    text = _NEWLINES.sub("\n", text).replace("\u2029", "\n\n")
    return unicodedata.normalize("NFC", text.translate(_CLEAN))


def _breaks_run(ch: str) -> bool:
    """Whether ``ch`` ends a run of unbreakable characters (spaces and CJK break anyway)."""
    return ch.isspace() or unicodedata.east_asian_width(ch) in ("W", "F")


def _joins_previous(ch: str) -> bool:
    """Whether a break before ``ch`` would split a grapheme (combining marks, emoji modifiers)."""
    return unicodedata.combining(ch) != 0 or unicodedata.category(ch) in ("Mn", "Mc", "Me") or (
        0x1F3FB <= ord(ch) <= 0x1F3FF
    )


def _word_break(previous: str, ch: str, position: int) -> str:
    """The break point (or nothing) between two characters of a long word."""
    if _joins_previous(ch):
        return ""
    if previous in _BREAK_AFTER or (previous.islower() and ch.isupper()) or (
        previous.isalpha() != ch.isalpha() and previous.isalnum() and ch.isalnum()
    ):
        return _BREAK_PART
    return _BREAK_ANY if position % _BREAK_EVERY == 0 else ""


def _word_pieces(word: str, *, after_space: bool = False) -> Iterator[str]:
    """Escaped pieces of one word (no space, no CJK), with break points if it is long.

    After a space the word also gets a cheap ragged break before it, so that it moves to
    the next line whole. Never at the start of a paragraph or cell: that would allow an
    empty first line.
    """
    if len(word) <= _LONG_WORD:
        yield word.translate(_TRANSLATE)
        return
    if after_space:
        yield _WORD_START
    previous = ""
    for position, ch in enumerate(word):
        if position:
            mark = _word_break(previous, ch, position)
            if mark:
                yield mark
        yield _TABLE.get(ch, ch)
        previous = ch


def escape_pieces(line: str, *, after_space: bool = False) -> Iterator[str]:
    """Escaped pieces of one cleaned line (no newlines), with break points in long words.

    The building block of every escaping function here and of the Markdown and code
    renderers; :func:`join_pieces` turns pieces into source text. ``after_space``: the
    line continues text that ended in a space (a Markdown text run after "word ").
    """
    for index, chunk in enumerate(_SPACES.split(line)):
        if index % 2:
            yield from chunk  # the spaces, one piece each (join_pieces may end a source line there)
        elif chunk.isascii():  # no CJK inside: the chunk is one word
            if len(chunk) <= _LONG_WORD:
                if chunk:
                    yield chunk.translate(_TRANSLATE)  # a short word is one piece
            else:
                yield from _word_pieces(chunk, after_space=after_space or index > 0)
        else:
            yield from _mixed_pieces(chunk, after_space=after_space or index > 0)


def _mixed_pieces(chunk: str, *, after_space: bool) -> Iterator[str]:
    """Pieces of a space-free chunk that may hold CJK characters (each ends a word)."""
    start = 0
    for index, ch in enumerate(chunk):
        if _breaks_run(ch):
            if index > start:
                yield from _word_pieces(chunk[start:index], after_space=after_space and start == 0)
            yield _TABLE.get(ch, ch)
            start = index + 1
    if len(chunk) > start:
        yield from _word_pieces(chunk[start:], after_space=after_space and start == 0)


_SPACES = re.compile(r"( +)")
_TRANSLATE = str.maketrans(_TABLE)
_pieces = escape_pieces


def join_pieces(pieces: Iterable[str]) -> str:
    """Concatenate pieces, starting a new source line now and then (never inside a piece)."""
    listed = pieces if isinstance(pieces, list) else list(pieces)
    joined = "".join(listed)
    if len(joined) < _MAX_SOURCE_LINE or all(len(line) < _MAX_SOURCE_LINE for line in joined.split("\n")):
        return joined  # the common case: no line to split
    out: list[str] = []
    length = 0
    for piece in listed:
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
    return join_pieces(_pieces(text))


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

    return LatexMarkup(join_pieces(pieces()))


def escape_line(text: str) -> LatexMarkup:
    """Escape text for a one-line place (title, table cell, chart label): newlines become spaces."""
    if isinstance(text, LatexMarkup):
        return text
    line = " ".join(clean_text(text).split())
    return LatexMarkup(_escape_inline(line))
