"""The evaluators' GitHub-Flavoured Markdown → LaTeX (pure apart from one font lookup).

What the platform's web UI shows (react-markdown + remark-gfm + remark-breaks) is
what the PDF typesets: headings (small, run into the field, not in the outline),
``**bold**``, ``*italic*``, ``***both***``, ``~~strike~~``, inline code, lists to any
depth (start numbers, loose and tight, task items ☐/☑), block quotes, GFM tables
(alignment, wrapping cells, header repeated on a page break), fenced and indented
code (highlighted by :mod:`texreport.highlight`), links (text clickable, URL printed;
only http, https and mailto become links), images (alt text and URL, never fetched),
rules, and every newline a line break.  Raw HTML and entities print as typed.

Every character of user text goes through :func:`texreport.escape.escape_pieces`;
the macros used (``\\TRmd…``, ``TRcodeblock``) live in the Markdown section of
``latex/texreport.sty``.  Whatever the parser cannot place prints as typed: a top
level block that reaches the parser's nesting limit is printed line by line.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from .escape import _LONG_WORD as LONG_WORD
from .escape import LatexMarkup, clean_text, escape_pieces, escape_text, join_pieces
from .highlight import code_block_latex

__all__ = ["markdown_to_latex", "MAX_NESTING", "LINK_SCHEMES"]

#: The parser's nesting limit (markdown-it counts a list and its item as two levels).
MAX_NESTING = 60
#: Deeper lists are typeset without list environments, still indented (LaTeX has four
#: levels of itemize/enumerate and the template itself may use one).
MAX_LIST_DEPTH = 3
_MAX_EXTRA_INDENT = 8  # flat levels beyond which indentation stops growing
#: Deeper block quotes continue inside the deepest bar.
MAX_QUOTE_DEPTH = 5
#: The only URL schemes that become link annotations.
LINK_SCHEMES = ("http://", "https://", "mailto:")

_PAR = "\n\\par "
_NEWLINE = "\\TRnewline "


def _as_typed(link: str) -> str:
    return link


_TYPED = threading.local()  # per render: link target as markdown-it normalised it → as typed


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "maxNesting": MAX_NESTING})
    md.enable(["table", "strikethrough"])
    md.disable(["entity"])  # "&amp;" prints as typed
    md.use(gfm_autolink_plugin)
    normalize = md.normalizeLink

    def remember_typed(url: str) -> str:
        normalized = normalize(url)
        typed: dict[str, str] | None = getattr(_TYPED, "urls", None)
        if typed is not None:
            typed.setdefault(normalized, url)
        return normalized

    # Printed URLs and autolink texts are what the user typed (markdown-it would decode "%41" to "A").
    md.normalizeLink = remember_typed  # type: ignore[method-assign]
    md.normalizeLinkText = _as_typed  # type: ignore[method-assign]
    return md


_MARKDOWN = _parser()


def markdown_to_latex(text: str) -> LatexMarkup:
    """Typeset one field's Markdown (code blocks too: from escaped tokens, inline, with no files)."""
    if isinstance(text, LatexMarkup):
        return text
    # Tabs become spaces to the next multiple of 4 before clean_text would make them one space.
    source = clean_text("\n".join(line.expandtabs(4) for line in text.split("\n")))
    _TYPED.urls = {}
    try:
        tokens = _MARKDOWN.parse(source)
        renderer = _Renderer(source.split("\n"))
        return LatexMarkup(_PAR.join(renderer.top_level(tokens)))
    finally:
        _TYPED.urls = None


def _close(tokens: list[Token], open_index: int) -> int:
    """Index of the token closing tokens[open_index] (same level, nesting -1)."""
    level = tokens[open_index].level
    for j in range(open_index + 1, len(tokens)):
        if tokens[j].level == level and tokens[j].nesting == -1:
            return j
    return len(tokens) - 1


def _block_end(tokens: list[Token], index: int) -> int:
    """Index after the block starting at tokens[index]."""
    return _close(tokens, index) + 1 if tokens[index].nesting == 1 else index + 1


class _Renderer:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.list_depth = 0
        self.quote_depth = 0

    # ------------------------------------------------------------ blocks

    def top_level(self, tokens: list[Token]) -> list[str]:
        """Top-level blocks; one that reached the nesting limit prints as typed."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            end = _block_end(tokens, i)
            if any(t.nesting == 1 and t.level >= MAX_NESTING - 1 for t in tokens[i:end]):
                out.append(self.as_typed(tokens[i]))
            else:
                out.extend(self.blocks(tokens, i, end))
            i = end
        return [block for block in out if block]

    def as_typed(self, token: Token) -> str:
        start, end = token.map or (0, len(self.lines))
        return escape_text("\n".join(self.lines[start:end]))

    def blocks(self, tokens: list[Token], start: int, end: int) -> list[str]:
        """Render block tokens[start:end] into LaTeX blocks."""
        out: list[str] = []
        i = start
        while i < end:
            after = _block_end(tokens, i)
            out.append(self.block(tokens, i, after))
            i = after
        return [block for block in out if block]

    def block(self, tokens: list[Token], i: int, after: int) -> str:
        token = tokens[i]
        kind = token.type
        if kind == "paragraph_open":
            return "".join(self.inline(tokens[j]) for j in range(i + 1, after - 1))
        if kind == "heading_open":
            level = int(token.tag[1:]) if token.tag[1:].isdigit() else 6
            return f"\\TRmdheading{{{level}}}{{" + self.inline(tokens[i + 1]) + "}"
        if kind in ("bullet_list_open", "ordered_list_open"):
            return self.list_block(tokens, i, after - 1)
        if kind == "blockquote_open":
            return self.quote(tokens, i + 1, after - 1)
        if kind in ("fence", "code_block"):
            return code_block_latex(token.content, token.info if kind == "fence" else "")
        if kind == "table_open":
            return self.table(tokens, i, after - 1)
        if kind == "hr":
            return "\\TRmdrule"
        if kind == "inline":
            return self.inline(token)
        # html_block and anything unexpected: its text, as typed.
        return escape_text(token.content) if token.content else ""

    def quote(self, tokens: list[Token], start: int, end: int) -> str:
        body = _PAR.join(self._nested_quote(tokens, start, end))
        if self.quote_depth >= MAX_QUOTE_DEPTH:
            return body
        return "\\begin{TRmdquote}\n" + body + "\n\\end{TRmdquote}"

    def _nested_quote(self, tokens: list[Token], start: int, end: int) -> list[str]:
        self.quote_depth += 1
        try:
            return self.blocks(tokens, start, end)
        finally:
            self.quote_depth -= 1

    # ------------------------------------------------------------ lists

    def list_block(self, tokens: list[Token], open_index: int, close_index: int) -> str:
        opener = tokens[open_index]
        ordered = opener.type == "ordered_list_open"
        start_attr = opener.attrGet("start")
        number = int(start_attr) if start_attr is not None else 1
        items = self._items(tokens, open_index + 1, close_index)
        tight = bool(items) and all(
            tokens[begin].hidden for begin, _ in items if begin < len(tokens) and tokens[begin].type == "paragraph_open"
        )
        self.list_depth += 1
        try:
            rendered = [self._item(tokens, begin, end) for begin, end in items]
        finally:
            self.list_depth -= 1
        if self.list_depth >= MAX_LIST_DEPTH:
            markers = [f"{number + k}{opener.markup}" if ordered else "•" for k in range(len(items))]
            indent = min(self.list_depth - MAX_LIST_DEPTH + 1, _MAX_EXTRA_INDENT)
            return "\n".join(f"\\TRmdflatitem{{{indent}}}{{{join_pieces(escape_pieces(marker))}}}{{{body}}}"
                              for marker, (body, _) in zip(markers, rendered, strict=True))
        spacing = "TRmdtight" if tight else "TRmdloose"
        if ordered:
            delimiter = ")" if opener.markup == ")" else "."
            head = f"\\begin{{enumerate}}[{spacing},start={number},label=\\arabic*{delimiter}]"
            tail = "\\end{enumerate}"
        else:
            head, tail = f"\\begin{{itemize}}[{spacing}]", "\\end{itemize}"
        lines = [head] + [f"\\item{label} " + body for body, label in rendered] + [tail]
        return "\n".join(lines)

    def _item(self, tokens: list[Token], begin: int, end: int) -> tuple[str, str]:
        """(body, optional ``[label]``) of one list item; a task item gets a box label."""
        label = ""
        if begin + 1 < end and tokens[begin].type == "paragraph_open" and tokens[begin + 1].type == "inline":
            box = _task_box(tokens[begin + 1])
            if box is not None:
                label = f"[\\TRmdtask{{{box}}}]"
        return _PAR.join(self.blocks(tokens, begin, end)), label

    @staticmethod
    def _items(tokens: list[Token], start: int, end: int) -> list[tuple[int, int]]:
        items = []
        i = start
        while i < end:
            if tokens[i].type == "list_item_open":
                close = _close(tokens, i)
                items.append((i + 1, close))
                i = close + 1
            else:
                i += 1
        return items

    # ------------------------------------------------------------ tables

    def table(self, tokens: list[Token], open_index: int, close_index: int) -> str:
        rows: list[list[tuple[str, str]]] = []  # per row: (align, latex) per cell
        texts: list[list[str]] = []
        row: list[tuple[str, str]] = []
        plain: list[str] = []
        for j in range(open_index, close_index):
            token = tokens[j]
            if token.type == "tr_open":
                row, plain = [], []
            elif token.type in ("th_open", "td_open"):
                style = str(token.attrGet("style") or "")
                align = "r" if "right" in style else "c" if "center" in style else "l"
                cell = tokens[j + 1]
                row.append((align, self.inline(cell) if cell.type == "inline" else ""))
                plain.append(cell.content if cell.type == "inline" else "")
            elif token.type == "tr_close":
                rows.append(row)
                texts.append(plain)
        if not rows:
            return ""
        columns = max(len(r) for r in rows)
        aligns = [rows[0][k][0] if k < len(rows[0]) else "l" for k in range(columns)]
        widths = _column_widths(texts, columns)
        if _tallest_row_lines(texts, widths) > _MAX_ROW_LINES:
            # A row taller than a page cannot break (inside a panel framed would never place
            # it): such a table prints as typed, which can.
            return self.as_typed(tokens[open_index])
        spec = "".join(f"{a.upper()}{{{w:.3f}}}" for a, w in zip(aligns, widths, strict=True))

        def render(cells: list[tuple[str, str]], header: bool) -> str:
            padded = [c for _, c in cells] + [""] * (columns - len(cells))
            wrap = "\\TRmdth{" if header else "{"
            return " & ".join(wrap + c + "}" for c in padded) + " \\tabularnewline"

        # Each body row marks its table, so a panel split between rows repeats the header.
        body = "\n".join("\\TRmdrowmark " + render(r, False) for r in rows[1:])
        return f"\\TRmdtable{{{spec}}}{{{render(rows[0], True)}}}{{%\n{body}\n}}"

    # ------------------------------------------------------------ inline

    def inline(self, token: Token) -> str:
        if token.type != "inline":
            return ""
        latex = join_pieces(_Inline().pieces(token.children or []))
        while latex.endswith(_NEWLINE):
            latex = latex[: -len(_NEWLINE)]
        return latex


def _task_box(inline: Token) -> str | None:
    """"0" or "1" if the item starts with "[ ] " / "[x] " (and strip that), else None."""
    children = inline.children or []
    if not children or children[0].type != "text":
        return None
    content = children[0].content
    if len(content) < 4 or content[0] != "[" or content[2:4] != "] " or content[1] not in " xX":
        if content in ("[ ]", "[x]", "[X]") and len(children) == 1:
            children[0].content = ""
            return "0" if content[1] == " " else "1"
        return None
    children[0].content = content[4:]
    return "0" if content[1] == " " else "1"


def _display_width(text: str) -> float:
    """Rough width in em of text at the table's size (CJK 1 em, other characters 0.6 em)."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6 for ch in text)


_TABLE_EMS = 40.0  # about the line's width in em at the table's size
_PADDING = 1.0


_MAX_ROW_LINES = 30  # estimated lines in a table cell beyond which the table prints as typed


def _tallest_row_lines(texts: list[list[str]], widths: list[float]) -> float:
    """Estimated lines of the tallest cell, from its text and its column's width."""
    return max((_display_width(cell) / max(width * _TABLE_EMS - _PADDING, 1.0)
                for row in texts for cell, width in zip(row, widths, strict=False)), default=0.0)


def _column_widths(texts: list[list[str]], columns: int) -> list[float]:
    """Column widths as fractions of the line.

    A table whose cells fit on one line each gets its natural width.  Otherwise every
    column first gets room for its longest word (so words stay whole when they can),
    and what is left goes to the columns with long cells, in proportion to their excess.
    """
    needs, minimums = [], []
    for k in range(columns):
        cells = [row[k] for row in texts if k < len(row)] or [""]
        needs.append(min(max(_display_width(cell) for cell in cells), 30.0) + _PADDING)
        words = [word for cell in cells for word in cell.split()] or [""]
        minimums.append(min(max(_display_width(word) for word in words), 12.0) + _PADDING)
    if sum(needs) <= _TABLE_EMS:
        return [need / _TABLE_EMS for need in needs]
    if sum(minimums) >= _TABLE_EMS:
        return [m / sum(minimums) for m in minimums]
    spare = _TABLE_EMS - sum(minimums)
    excess = [max(need - m, 0.0) for need, m in zip(needs, minimums, strict=True)]
    total_excess = sum(excess) or 1.0
    return [(m + spare * e / total_excess) / _TABLE_EMS for m, e in zip(minimums, excess, strict=True)]


# ---------------------------------------------------------------- inline pieces


@functools.cache
def _kai_coverage() -> frozenset[int]:
    """Code points FandolKai (the emphasis face for CJK) draws; empty if it is not installed."""
    import shutil
    import subprocess

    from .coverage import cmap_coverage

    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return frozenset()
    found = subprocess.run([kpsewhich, "FandolKai-Regular.otf"], capture_output=True, text=True, timeout=30,
                           check=False, stdin=subprocess.DEVNULL).stdout.strip()
    return cmap_coverage(found, 0) if found else frozenset()


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and not unicodedata.category(ch).startswith("S")


class _Inline:
    """Pieces of one inline token's children."""

    def __init__(self) -> None:
        self.strike = 0
        self.emphasis = 0
        self.strong = 0
        self.link_url: list[tuple[bool, str | None]] = []  # open links: (annotated, URL to print)
        self.after_space = False  # the text so far ends in a space (a long word next may move whole)
        self.kai: set[int] = set()  # em_open indices whose CJK text the Kai face draws

    def pieces(self, children: list[Token]) -> Iterator[str]:
        self.kai = _kai_spans(children)
        for index, child in enumerate(children):
            yield from self.child(child, children, index)
            if child.type in ("text", "code_inline"):
                self.after_space = child.content.endswith(" ")
            elif child.type in ("softbreak", "hardbreak", "image"):
                self.after_space = False

    def child(self, child: Token, children: list[Token], index: int) -> Iterator[str]:
        kind = child.type
        if kind in ("softbreak", "hardbreak"):
            yield _NEWLINE
        elif kind == "text":
            yield from self.text(child.content)
        elif kind == "code_inline":
            first = child.content.split(" ", 1)[0]
            if self.after_space and len(first) > LONG_WORD and first.isascii():
                yield "\\TRwordstart "  # before the code's colour: a break there is a space's
            yield "\\TRcode{"
            saved, self.after_space = self.after_space, False
            yield from self.text(child.content)
            self.after_space = saved
            yield "}"
        elif kind == "strong_open":
            self.strong += 1
            yield "{\\bfseries "
        elif kind == "em_open":
            self.emphasis += 1
            yield "\\TRmdem{" + ("1" if index in self.kai else "0") + "}{"
        elif kind == "s_open":
            self.strike += 1
            yield "{"
        elif kind in ("strong_close", "em_close", "s_close"):
            if kind == "strong_close":
                self.strong -= 1
            elif kind == "em_close":
                self.emphasis -= 1
            else:
                self.strike -= 1
            yield "}"
        elif kind == "link_open":
            yield from self.link_open(child, children, index)
        elif kind == "link_close":
            yield from self.link_close()
        elif kind == "image":
            yield from self.image(child)
        else:  # html_inline and anything unexpected: as typed
            yield from self.text(child.content)

    def text(self, text: str) -> Iterator[str]:
        if not self.strike:
            yield from escape_pieces(text, after_space=self.after_space)
            return
        yield from _struck(text)  # each word or CJK character its own struck box

    def link_open(self, child: Token, children: list[Token], index: int) -> Iterator[str]:
        href = str(child.attrGet("href") or "")
        shown = _shown_url(href)
        text = _link_text(children, index)
        # Autolinks and bare URLs show their URL as their text: print it once.
        same = text in (shown, shown.removeprefix("mailto:"), shown.removeprefix("http://"))
        annotated = href.lower().startswith(LINK_SCHEMES)
        self.link_url.append((annotated, None if same else shown))
        if annotated:  # other schemes (ftp:, tel:, …) print text and URL but make no link
            yield "\\TRmdlinkstart{" + _hex(href) + "}"

    def link_close(self) -> Iterator[str]:
        annotated, shown = self.link_url.pop() if self.link_url else (False, None)
        if annotated:
            yield "\\TRmdlinkend "
        if shown is not None:
            yield "\\TRmdurl{"
            yield from escape_pieces(shown)
            yield "}"

    def image(self, child: Token) -> Iterator[str]:
        alt = "".join(c.content for c in (child.children or []))
        yield "\\TRmdimage{"
        yield from escape_pieces(alt)
        yield "}{"
        yield from escape_pieces(str(child.attrGet("src") or ""))
        yield "}"


def _kai_spans(children: list[Token]) -> set[int]:
    """Indices of em_open tokens whose span holds CJK text that FandolKai draws entirely (one pass)."""
    found: set[int] = set()
    stack: list[list[int]] = []  # [em_open index, all covered (0/1), has CJK (0/1)]
    coverage: frozenset[int] | None = None
    for index, child in enumerate(children):
        if child.type == "em_open":
            stack.append([index, 1, 0])
        elif child.type == "em_close" and stack:
            opened, covered, has_cjk = stack.pop()
            if covered and has_cjk:
                found.add(opened)
            if stack:  # the enclosing span holds this one
                stack[-1][1] &= covered
                stack[-1][2] |= has_cjk
        elif stack and child.type in ("text", "code_inline"):
            for ch in child.content:
                if _is_cjk(ch):
                    coverage = _kai_coverage() if coverage is None else coverage
                    stack[-1][2] = 1
                    if ord(ch) not in coverage:
                        stack[-1][1] = 0
    return found


def _shown_url(href: str) -> str:
    """The URL as printed: as typed (markdown-it's normalised form only if that is unknown)."""
    typed: dict[str, str] = getattr(_TYPED, "urls", None) or {}
    return clean_text(typed.get(href, href))


def _link_text(children: list[Token], index: int) -> str:
    depth = 0
    parts = []
    for child in children[index:]:
        depth += child.nesting if child.type in ("link_open", "link_close") else 0
        if depth == 0:
            break
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts)


def _hex(url: str) -> str:
    """A PDF hex string: safe inside any \\special whatever the URL holds."""
    return "<" + url.encode("utf-8", errors="replace").hex().upper() + ">"


def _struck(text: str) -> Iterator[str]:
    word = ""
    for ch in text:
        if ch == " " or _is_cjk(ch):
            if word:
                yield "\\TRmdstrike{" + join_pieces(escape_pieces(word)) + "}"
                word = ""
            if ch == " ":
                yield "\\TRmdstrikespace "
            else:
                yield "\\TRmdstrike{" + join_pieces(escape_pieces(ch)) + "}\\TRmdstrikejoin "
        else:
            word += ch
    if word:
        yield "\\TRmdstrike{" + join_pieces(escape_pieces(word)) + "}"
