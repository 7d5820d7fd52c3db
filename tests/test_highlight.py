"""Tests for texreport.highlight: Pygments picks classes, the escaper writes every character."""

from __future__ import annotations

import re

import pytest

from test_escape import HOSTILE, unbroken
from test_markdown import assert_only_our_tex
from texreport.highlight import LANGUAGES, code_block_latex, language_of

SNIPPETS = {
    "java": ("public class A { int x = 1; }", "public"),
    "sql": ("SELECT id FROM t WHERE a > 1;", "SELECT"),
    "python": ("def f(x):\n    return x", "def"),
    "bash": ("if [ -f x ]; then echo hi; fi", "if"),
    "shell": ("for f in *; do echo $f; done", "for"),
    "yaml": ("key: value\nlist:\n  - 1", None),
    "json": ('{"a": 1, "b": true}', "true"),
    "xml": ("<a href=\"x\">t</a>", None),
    "go": ("func main() { var x int }", "func"),
    "javascript": ("const x = () => { return 1 }", "const"),
    "typescript": ("let x: number = 1; interface A {}", "let"),
    "kotlin": ("fun main() { val x = 1 }", "fun"),
    "c": ("int main(void) { return 0; }", "return"),
    "c++": ("class A { public: int x; };", "class"),
    "cpp": ("#include <vector>\nint main() { return 0; }", "return"),
}


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_each_listed_language_is_highlighted(language: str) -> None:
    code, keyword = SNIPPETS[language]
    latex = unbroken(code_block_latex(code, language))
    assert language_of(language) is not None
    assert re.search(r"\\TRtok[a-z]\{", latex), latex
    if keyword:
        assert re.search(r"\\TRtokk\{" + re.escape(keyword), latex), latex
    assert latex.startswith("\\begin{TRcodeblock}{" + language.replace("+", "+"))


def test_unknown_or_missing_language_is_plain_and_its_info_still_shows() -> None:
    for info in ("", "brainfuck", "Important: read this first"):
        latex = code_block_latex("public class A {}", info)
        assert "\\TRtok" not in latex
        assert unbroken(latex).startswith("\\begin{TRcodeblock}{" + info)


def test_info_words_after_the_language_are_kept() -> None:
    assert language_of("java title=Main.java") == "java"
    assert unbroken(code_block_latex("x", "java title=Main.java")).startswith(
        "\\begin{TRcodeblock}{java title=Main.java}")


def test_tabs_expand_blank_lines_and_indentation_stay() -> None:
    latex = code_block_latex("a\n\n\tb\n  c\n\n", "")
    lines = re.findall(r"\\TRcodeline\{(.*)\}", latex)
    assert lines == ["a", "", "\\ \\ \\ \\ b", "\\ \\ c"]


def test_every_character_goes_through_the_escaper() -> None:
    code = "String s = \"\\\\end{TRcodeblock} } { $ & # % ^ ~ _\"; // \\input{/etc/passwd}"
    for language in ("java", "", "python"):
        latex = code_block_latex(code, language)
        assert_only_our_tex(latex)
        assert "\\end{TRcodeblock}" not in latex[:-len("\\end{TRcodeblock}")]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("language", ["java", "bash", "", "}\\input{x}"])
def test_hostile_code_and_languages_are_inert(text: str, language: str) -> None:
    assert_only_our_tex(code_block_latex(text, language))


def test_long_lines_break_and_source_lines_stay_short() -> None:
    latex = code_block_latex("x = \"" + "a" * 20000 + "\"\n" + "y" * 5000, "python")
    assert max(len(line) for line in latex.split("\n")) < 1200
    assert "\\TRbreakany" in latex


def test_every_language_alias_has_a_lexer() -> None:
    for word in LANGUAGES:
        assert code_block_latex("x", word)
