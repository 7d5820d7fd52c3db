"""What the PDF shows of a Markdown field, computed from the parser's tokens (for read-back tests).

The renderer's own additions are mirrored: list numbers (start + position), task
boxes, a link's URL in parentheses when it differs from its text, an image's alt
text and URL, a fence's info string before its code.  Whitespace is removed.
"""

from __future__ import annotations

import re

from markdown_it.token import Token


def visible_markdown(text: str) -> str:
    from texreport.escape import clean_text
    from texreport.markdown import _MARKDOWN, _TYPED

    source = clean_text("\n".join(line.expandtabs(4) for line in text.split("\n")))
    _TYPED.urls = {}
    try:
        tokens = _MARKDOWN.parse(source)
        return re.sub(r"\s+", "", "".join(_blocks(tokens, _TYPED.urls)))
    finally:
        _TYPED.urls = None


def _blocks(tokens: list[Token], typed: dict[str, str]) -> list[str]:
    out: list[str] = []
    numbers: list[int | None] = []
    for token in tokens:
        if token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            numbers.pop()
        elif token.type == "list_item_open" and numbers and numbers[-1] is not None:
            out.append(f"{numbers[-1]}{token.markup}")
            numbers[-1] += 1
        elif token.type in ("fence", "code_block"):
            out.append(token.info + token.content)
        elif token.type == "inline":
            out.append(_inline(token.children or [], typed))
        elif token.type == "html_block":
            out.append(token.content)
    return out


def _inline(children: list[Token], typed: dict[str, str]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for index, child in enumerate(children):
        if index == 0 and child.type == "text" and re.match(r"\[[ xX]\] ", child.content):
            out.append(("☐" if child.content[1] == " " else "☑") + child.content[4:])
        elif child.type in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
            links.append((typed.get(href, href), len(out)))
        elif child.type == "link_close" and links:
            shown, start = links.pop()
            text = "".join(out[start:])
            if text not in (shown, shown.removeprefix("mailto:"), shown.removeprefix("http://")):
                out.append(f"({shown})")
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            out.append("".join(c.content for c in child.children or []) + f"({typed.get(src, src)})")
    return "".join(out)
