"""Tests for texreport.markdown: what each construct becomes, hostile text stays inert, nothing is dropped."""

from __future__ import annotations

import re

import pytest

from test_escape import HOSTILE, unbroken
from texreport.escape import LatexMarkup, clean_text
from texreport.markdown import MAX_NESTING, markdown_to_latex


def md(text: str) -> str:
    return unbroken(markdown_to_latex(text))


CASES = [
    ("**bold** and __bold__", "{\\bfseries bold} and {\\bfseries bold}"),
    ("*em* and _em_", "\\TRmdem{0}{em} and \\TRmdem{0}{em}"),
    ("*中文*", "\\TRmdem{1}{中文}"),
    ("~~gone~~", "{\\TRmdstrike{gone}}"),
    ("`a {b} \\c`", "\\TRcode{a \\{b\\} \\textbackslash{}c}"),
    ("line one\nline two", "line one\\TRnewline line two"),
    ("para one\n\npara two", "para one\n\\par para two"),
    ("## 标题", "\\TRmdheading{2}{标题}"),
    ("---", "\\TRmdrule"),
    ("<b>html</b>", "\\textless{}b\\textgreater{}html\\textless{}/b\\textgreater{}"),
    ("\\*not\\* &amp;", "*not* \\&amp;"),
    ("- a\n- b", "\\begin{itemize}[TRmdtight]\n\\item a\n\\item b\n\\end{itemize}"),
    ("3. c\n4. d", "\\begin{enumerate}[TRmdtight,start=3,label=\\arabic*.]\n\\item c\n\\item d\n\\end{enumerate}"),
    ("1) c\n\n2) d", "\\begin{enumerate}[TRmdloose,start=1,label=\\arabic*)]\n\\item c\n\\item d\n\\end{enumerate}"),
    ("- [ ] todo\n- [x] done", "\\begin{itemize}[TRmdtight]\n\\item[\\TRmdtask{0}] todo\n\\item[\\TRmdtask{1}] done\n\\end{itemize}"),
    ("> q", "\\begin{TRmdquote}\nq\n\\end{TRmdquote}"),
    ("![alt](http://x/y.png)", "\\TRmdimage{alt}{http://x/y.png}"),
]


@pytest.mark.parametrize(("markdown", "expected"), CASES)
def test_constructs(markdown: str, expected: str) -> None:
    assert md(markdown) == expected


def test_markup_passes_through() -> None:
    once = LatexMarkup("\\x")
    assert markdown_to_latex(once) is once


def test_links_only_for_http_and_mailto_with_the_url_printed() -> None:
    latex = md("[docs](https://x.org/a?b=1) <mailto:me@x.org> https://bare.org [bad](javascript:alert(1)) [f](file:///etc/passwd)")
    hexes = re.findall(r"\\TRmdlinkstart\{<([0-9A-F]+)>\}", latex)
    assert [bytes.fromhex(h).decode() for h in hexes] == ["https://x.org/a?b=1", "mailto:me@x.org", "https://bare.org"]
    assert "docs\\TRmdlinkend \\TRmdurl{https://x.org/a?b=1}" in latex
    assert "\\TRmdurl{https://bare.org}" not in latex  # a bare URL is its own text: printed once
    assert "javascript" in latex and "file:" in latex  # as text
    assert latex.count("\\TRmdlinkstart") == latex.count("\\TRmdlinkend") == 3


def test_other_schemes_print_text_and_url_without_a_link() -> None:
    latex = md("[call me](tel:123) [f](ftp://x.org/a) <ftp://y.org>")
    assert "\\TRmdlinkstart" not in latex
    assert "call me\\TRmdurl{tel:123}" in latex and "f\\TRmdurl{ftp://x.org/a}" in latex
    assert latex.count("ftp://y.org") == 1


def test_a_link_url_cannot_leave_its_hex_string() -> None:
    latex = markdown_to_latex("[x](https://a.org/>>/%3E%3E)}\\special{pdf:exec}) [y](<https://a.org/ )>)")
    for argument in re.findall(r"\\TRmdlinkstart\{([^}]*)\}", latex):
        assert re.fullmatch(r"<[0-9A-F]+>", argument)


def test_table_alignment_widths_and_escaped_pipes() -> None:
    latex = md("| a | b | c |\n|:--|:-:|--:|\n| 1 | x\\|y | **z** |")
    spec = re.search(r"\\TRmdtable\{([^}]*(?:\}[^}]*)*?)\}\{", latex).group(1)
    assert re.fullmatch(r"L\{0\.\d+\}C\{0\.\d+\}R\{0\.\d+\}", spec)
    assert "x\\textbar{}y" in latex and "{\\bfseries z}" in latex
    assert "\\TRmdth{a} & \\TRmdth{b} & \\TRmdth{c}" in latex


def test_six_wide_columns_share_the_line() -> None:
    row = "| " + " | ".join(["很长的单元格内容需要换行" * 3] * 6) + " |"
    latex = md(row + "\n|" + "---|" * 6 + "\n" + row)
    widths = [float(w) for w in re.findall(r"[LCR]\{(0\.\d+)\}", latex)]
    assert len(widths) == 6 and abs(sum(widths) - 1) < 0.01


def test_fence_info_that_is_not_a_language_still_prints() -> None:
    latex = md("```Important: read this first\nbody\n```")
    assert latex.startswith("\\begin{TRcodeblock}{Important: read this first}")
    assert "\\TRcodeline{body}" in latex


def test_lists_deeper_than_latex_allows_stay_indented_and_complete() -> None:
    markdown = "\n".join("  " * level + f"- level{level}" for level in range(12))
    latex = md(markdown)
    assert latex.count("\\begin{itemize}") == 3
    assert all(f"level{level}" in latex for level in range(12))
    indents = [int(n) for n in re.findall(r"\\TRmdflatitem\{(\d+)\}", latex)]
    assert indents == sorted(indents) and indents[0] == 1


def _visible(latex: str) -> str:
    """Letters and digits of the LaTeX output outside macro names (enough to find user words)."""
    return re.sub(r"\\[A-Za-z@]+", "", unbroken(latex).replace("%\n", "")).replace("{}", "")


@pytest.mark.parametrize("text", [
    ">" * 500 + " deepQuote\n\nafterQuote",
    "- " * 200 + "deepList\n\nafterList",
    "\n".join("  " * level + f"- item{level}" for level in range(MAX_NESTING + 20)) + "\n\nafterIndent",
    "\n".join(">" * level + f" line{level}" for level in range(1, MAX_NESTING + 20)) + "\n\nafterLines",
    "intro\n\n" + "> - " * (MAX_NESTING // 2 + 5) + "mixedDeep\n\nafterMixed",
])
def test_nesting_beyond_the_parser_limit_prints_as_typed(text: str) -> None:
    latex = markdown_to_latex(text)
    visible = _visible(latex)
    words = re.findall(r"[A-Za-z]+\d*", text)
    position = 0
    for word in words:
        found = visible.find(word, position)
        assert found >= 0, word
        position = found + len(word)


def test_the_nesting_limit_is_what_the_fallback_checks() -> None:
    # Without the fallback, markdown-it drops the content of a block that reaches maxNesting.
    from texreport.markdown import _MARKDOWN

    text = ">" * (MAX_NESTING + 5) + " lostWord"
    tokens = _MARKDOWN.parse(text)
    assert not any("lostWord" in (t.content or "") for t in tokens)  # the parser alone loses it
    assert "lostWord" in markdown_to_latex(text)


@pytest.mark.parametrize("text", HOSTILE + [
    "**" + h + "** `" + h + "` *" + h + "* ~~" + h + "~~" for h in HOSTILE[:8]
] + [
    "| " + h.replace("\n", " ") + " | b |\n|---|---|\n| " + h.replace("\n", " ") + " | c |" for h in HOSTILE[:8]
] + [
    "# " + h.replace("\n", " ") for h in HOSTILE[:8]
] + [
    f"[{h}](https://x.org/{h})" for h in HOSTILE[:8]
] + [
    f"```{h}\n{h}\n```" for h in HOSTILE[:8]
])
def test_hostile_text_in_every_construct_is_inert(text: str) -> None:
    latex = markdown_to_latex(text)
    assert_only_our_tex(latex, tables="|" in text)


#: Every control word the Markdown and code renderers (and escape) may write.
OUR_MACROS = {
    "TRnewline", "TRwordstart", "TRbreakpart", "TRbreakany", "par", "textbackslash", "textasciitilde",
    "textasciicircum", "textasciigrave", "textquotesingle", "textquotedbl", "textless", "textgreater", "textbar",
    "bfseries", "TRcode", "TRmdem", "TRmdstrike", "TRmdstrikespace", "TRmdstrikejoin", "TRmdheading", "TRmdrule",
    "TRmdlinkstart", "TRmdlinkend", "TRmdurl", "TRmdimage", "TRmdtask", "TRmdflatitem", "TRmdtable", "TRmdth",
    "tabularnewline", "TRmdrowmark", "begin", "end", "item", "TRcodeline", "TRtokk", "TRtokt", "TRtoks", "TRtokc", "TRtokn",
    "TRtokf", "TRtokb", "TRtoka", "arabic",
}
ENVIRONMENTS = {"itemize", "enumerate", "TRmdquote", "TRcodeblock"}


def assert_only_our_tex(latex: str, *, tables: bool = False) -> None:
    """Nothing in ``latex`` can act as TeX except what the renderer itself writes."""
    assert latex.count("{") - latex.count("\\{") == latex.count("}") - latex.count("\\}")
    for match in re.finditer(r"\\([A-Za-z@]+|.)", latex, flags=re.S):
        name = match.group(1)
        if name.isalpha() or "@" in name:
            assert name in OUR_MACROS, name
            if name in ("begin", "end"):
                environment = re.match(r"\{(\w+)\}", latex[match.end():])
                assert environment and environment.group(1) in ENVIRONMENTS, latex[match.start():match.end() + 30]
        else:
            assert name in "{}$&#%_ ", repr(name)
    rest = re.sub(r"\\([A-Za-z@]+|.)", "", latex, flags=re.S)
    rest = re.sub(r"%\n", "", rest)
    assert "^" not in rest and "$" not in rest and "#" not in rest and "%" not in rest, rest
    if not tables:
        assert "&" not in rest
    # Link targets are hex strings only.
    for argument in re.findall(r"\\TRmdlinkstart\{([^}]*)\}", latex):
        assert re.fullmatch(r"<[0-9A-F]+>", argument)


def test_every_visible_character_survives() -> None:
    text = "候选人 **HashMap** 的 `put()` 方法：\n\n| 键 | 值 |\n|--|--|\n| a\\|b | 𠮷 |\n\n> 引用 [链接](https://例子.中国/路径)"
    visible = _visible(markdown_to_latex(text))
    for word in ("候选人", "HashMap", "put()", "方法", "键", "值", "𠮷", "引用", "链接", "例子.中国/路径"):
        assert clean_text(word) in visible.replace("{}", ""), word


# ---------------------------------------------------------------- property: any Markdown soup

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SYNTAX = "|-:`*_~>#[]()!\\<&${}%^=+. \n\n\n   1234567890"
_LETTERS = "abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWYZ中文字表格代码链接"  # no x/X: "[x]" is a task box


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_SYNTAX + _LETTERS, max_size=300))
def test_any_markdown_soup_is_inert_and_keeps_every_letter(text: str) -> None:
    latex = markdown_to_latex(text)
    assert_only_our_tex(latex, tables=True)
    # Markdown only ever consumes punctuation (markers), never a letter: every letter shows, in order.
    shown = _visible(latex)
    position = 0
    for letter in (ch for ch in text if ch in _LETTERS):
        found = shown.find(letter, position)
        assert found >= 0, (letter, text)
        position = found + 1
