"""Tests for texreport.escape: the table, cleaning, breaks, Markdown subset, code files, a real compile."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from texreport import escape
from texreport.escape import (
    SUPPORT_MACROS,
    CodeFiles,
    LatexMarkup,
    clean_text,
    escape_line,
    escape_text,
    markdown_to_latex,
)

SPECIALS = [
    ("\\", r"\textbackslash{}"),
    ("{", r"\{"),
    ("}", r"\}"),
    ("$", r"\$"),
    ("&", r"\&"),
    ("#", r"\#"),
    ("%", r"\%"),
    ("_", r"\_"),
    ("~", r"\textasciitilde{}"),
    ("^", r"\textasciicircum{}"),
    ("`", r"\textasciigrave{}"),
    ("'", r"\textquotesingle{}"),
    ('"', r"\textquotedbl{}"),
    ("-", "-{}"),
    ("<", r"\textless{}"),
    (">", r"\textgreater{}"),
    ("|", r"\textbar{}"),
    ("[", "{[}"),
    ("]", "{]}"),
]

HOSTILE = [
    r"\input{/etc/passwd}",
    r"\immediate\write18{touch /tmp/x}",
    "^^5cinput{/etc/hostname} ^^^^005c",
    r"\def\x{\x}\x",
    r"\end{document}",
    r"\end{Verbatim}",
    "{{ 7*7 }} \\VAR{x} ((( x ))) ((* block *)) \\BLOCK{x} \\#{c}",
    "}}}{{{ unbalanced",
    "100% #1 $x$ a&b a_b ~ ^",
    "-- --- `` '' \" !` ?` << >> ,, |",
    "\\item[x] [opt] \\\\[2pt]",
    "😀 𠮷 " + "x" * 2000,
    "https://example.com/" + "a/b?c=d&e=f#g_" * 30,
    "ctrl\x00\x07\x0b\x1b\x7f\x85\u200b\ufeff\u202e\u2066end",
]

# Everything escape itself emits, longest first; what remains after removing them
# must be inert text.
_KNOWN = sorted({replacement for _, replacement in SPECIALS} | {"~", "\\TRbreak ", "\\TRnewline ", "\\par ", "%\n"}, key=len, reverse=True)
_ACTIVE = set("\\{}%#^$&_~")


def assert_inert(latex: str, *, openers: tuple[str, ...] = ()) -> None:
    rest = latex
    opened = 0
    for opener in openers:
        opened += len(re.findall(re.escape(opener), rest))
        rest = re.sub(re.escape(opener), "", rest)
    for known in _KNOWN:
        rest = rest.replace(known, "")
    assert rest.count("}") == opened, (rest, opened)
    rest = rest.replace("}", "")
    assert not (_ACTIVE & set(rest)), rest


@pytest.mark.parametrize(("char", "expected"), SPECIALS)
def test_every_special_has_one_replacement(char: str, expected: str) -> None:
    assert escape_text(f"a{char}b") == f"a{expected}b"


def test_backslash_escaped_once_not_twice() -> None:
    assert escape_text("\\{") == r"\textbackslash{}\{"
    assert escape_text("\\textbackslash{}") == r"\textbackslash{}textbackslash\{\}"


def test_returns_markup_and_is_idempotent() -> None:
    once = escape_text("a & b")
    assert isinstance(once, LatexMarkup)
    assert escape_text(once) is once
    assert escape_line(once) is once
    assert markdown_to_latex(once, code_files=CodeFiles()) is once


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_inert(text: str) -> None:
    assert_inert(escape_text(text))
    assert_inert(escape_line(text))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b\x07c\x1bd\x7fe", "abcde"),
        ("a\x85b", "a\nb"),
        ("a\u200bb\u200dc\u200ed\ufeffe", "abcde"),
        ("a\u202eb\u2066c\u2069d", "abcd"),
        ("a\u2028b\u2029c", "a\nb\n\nc"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\tb", "a b"),
        ("a\ud800b\ufdd0c\uffffd", "abcd"),
        ("e\u0301", "\u00e9"),
        ("✅\ufe0f", "✅"),
        ("a\u2003b\u3000c", "a b\u3000c"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_nfc_applied_after_removal() -> None:
    assert escape_text("e\u200b\u0301") == "\u00e9"
    assert unicodedata.is_normalized("NFC", escape_text("A\u030a"))


def test_paragraphs_and_line_breaks() -> None:
    assert escape_text("\n\none\ntwo\n\n \n\nthree\n\n") == "one\\TRnewline two\n\\par three"
    assert escape_text("a  \n   b") == "a\\TRnewline b"
    assert escape_line("one\ntwo\n\nthree") == "one two three"


def test_long_runs_get_breaks_short_ones_do_not() -> None:
    assert "\\TRbreak" not in escape_text("a" * 16)
    broken = escape_text("a" * 17)
    assert broken == "\\TRbreak ".join(["aaaa"] * 4) + "\\TRbreak a"
    assert "\\TRbreak" not in escape_text("中" * 100)
    assert "\\TRbreak" not in escape_text(" ".join(["word"] * 50))


def test_breaks_never_split_combining_marks() -> None:
    text = "q\u0307" * 20  # no precomposed form: stays two code points
    assert "\\TRbreak \u0307" not in escape_text(text)


def test_source_lines_stay_short() -> None:
    for text in ("x" * 100_000, "中" * 50_000, "ab " * 30_000):
        latex = escape_text(text)
        assert max(len(line) for line in latex.split("\n")) < 1200
        assert latex.replace("%\n", "").replace("\\TRbreak ", "").replace("\n", " ").replace(" ", "") == text.replace(" ", "")


def test_support_macros_define_what_output_uses() -> None:
    assert "\\TRnewline" in SUPPORT_MACROS and "\\TRbreak" in SUPPORT_MACROS
    assert set(escape.__all__) >= {"LatexMarkup", "escape_text", "CodeFiles", "markdown_to_latex"}


# ---------------------------------------------------------------- code files


def test_code_files_names_and_content() -> None:
    files = CodeFiles()
    assert files.add("x = 1\n", "python") == "code-001.txt"
    assert files.add("\tif x:\x00\n\t\treturn '😀'\n\n\n", "../../etc/passwd") == "code-002.txt"
    assert files.items() == [("code-001.txt", "x = 1\n"), ("code-002.txt", "    if x:\n        return '😀'\n")]
    assert files.language("code-002.txt") == "../../etc/passwd"
    assert len(files) == 2


def test_code_files_wrap_long_lines_and_keep_everything() -> None:
    files = CodeFiles()
    line = "".join(chr(ord("a") + i % 26) for i in range(5000))
    files.add(line + "\nshort", None)
    content = files.items()[0][1]
    assert max(len(part) for part in content.split("\n")) <= 1000
    assert content.replace("\n", "") == line + "short"


# ---------------------------------------------------------------- Markdown

MD_CASES = [
    ("**bold** and __bold__", "\\textbf{bold} and \\textbf{bold}"),
    ("*em* and _em_", "*em* and \\_em\\_"),
    ("`a {b} \\c`", "\\TRcode{a \\{b\\} \\textbackslash{}c}"),
    ("line one\nline two", "line one\\TRnewline line two"),
    ("para one\n\npara two", "para one\n\\par para two"),
    ("# heading", "\\# heading"),
    ("> quote", "\\textgreater{} quote"),
    ("[link](http://x)", "{[}link{]}(http://x)"),
    ("<b>html</b>", "\\textless{}b\\textgreater{}html\\textless{}/b\\textgreater{}"),
    ("\\*not\\* &amp;", "\\textbackslash{}*not\\textbackslash{}* \\&amp;"),
    ("| a | b |\n|---|---|", "\\textbar{} a \\textbar{} b \\textbar{}\\TRnewline \\textbar{}-{}-{}-{}\\textbar{}-{}-{}-{}\\textbar{}"),
    ("- a\n- b", "\\begin{itemize}\n\\item a\n\\item b\n\\end{itemize}"),
    ("3. c\n4. d", "\\begin{enumerate}[start=3]\n\\item c\n\\item d\n\\end{enumerate}"),
    ("1. a\n   - b", "\\begin{enumerate}\n\\item a\n\\par \\begin{itemize}\n\\item b\n\\end{itemize}\n\\end{enumerate}"),
]


@pytest.mark.parametrize(("markdown", "expected"), MD_CASES)
def test_markdown_subset(markdown: str, expected: str) -> None:
    assert markdown_to_latex(markdown, code_files=CodeFiles()) == expected


def test_fences_go_to_files() -> None:
    files = CodeFiles()
    latex = markdown_to_latex("before\n\n```java\nint x;\n\\end{Verbatim}\n```\n\n~~~\nplain\n~~~\n\n```\nunclosed", code_files=files)
    assert latex == "before\n\\par \\TRcodeblock{code-001.txt}\n\\par \\TRcodeblock{code-002.txt}\n\\par \\TRcodeblock{code-003.txt}"
    assert files.items() == [("code-001.txt", "int x;\n\\end{Verbatim}\n"), ("code-002.txt", "plain\n"), ("code-003.txt", "unclosed\n")]
    assert files.language("code-001.txt") == "java"


def test_deep_lists_do_not_exceed_latex_nesting() -> None:
    markdown = "\n".join("  " * level + "- level" + str(level) for level in range(8))
    latex = markdown_to_latex(markdown, code_files=CodeFiles())
    assert latex.count("\\begin{itemize}") == 4
    assert "level7" in latex


@pytest.mark.parametrize("text", HOSTILE + ["**" + h + "** `" + h + "`" for h in HOSTILE])
def test_markdown_hostile_inert(text: str) -> None:
    latex = markdown_to_latex(text, code_files=CodeFiles())
    assert_inert(latex, openers=("\\textbf{", "\\TRcode{"))


# ---------------------------------------------------------------- real compile

_VISIBLE_HOSTILE = "\n".join(HOSTILE[:-1]) + "\n中文 한국어 공백 Ελληνικά Łukasz ✅🚀 𪚥 ①"


def _compile(tmp_path: Path, body: str, files: CodeFiles | None = None, *, check_overfull: bool = True) -> str:
    from texreport.fonts import font_setup_latex

    source = (
        "\\documentclass[fontset=none,a4paper]{ctexart}\n"
        + font_setup_latex()
        + SUPPORT_MACROS
        + "\\usepackage{fvextra}\\usepackage{enumitem}\n"
        "\\newcommand\\TRcode[1]{{\\ttfamily #1}}\n"
        "\\newcommand\\TRcodeblock[1]{\\VerbatimInput[breaklines,breakanywhere]{#1}}\n"
        # No hyphenation (a "-" would be added); not \hyphenpenalty=10000, which also stops fvextra breaking.
        "\\lefthyphenmin=62 \\righthyphenmin=62\n\\pagestyle{empty}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(source, encoding="utf-8")
    for name, content in (files.items() if files else []):
        (tmp_path / name).write_text(content, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "openin_any": "p", "openout_any": "p"}
    result = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-no-shell-escape", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, env=env, check=False,
    )
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-3000:]
    if check_overfull:  # fvextra logs its unbroken measuring box as overfull even when it wraps
        assert "Overfull \\hbox" not in log
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True, check=True, timeout=60)
    return out.stdout


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_hostile_text_compiles_and_reads_back_exactly(tmp_path: Path) -> None:
    text = _compile(tmp_path, escape_text(_VISIBLE_HOSTILE) + "\n\\par\n" + escape_text(HOSTILE[-1]))
    expected = _squash(clean_text(_VISIBLE_HOSTILE) + clean_text(HOSTILE[-1]))
    assert _squash(text) == expected
    assert not Path("/tmp/x").exists() or Path("/tmp/x").stat().st_mtime < (tmp_path / "doc.tex").stat().st_mtime


def test_markdown_compiles_with_code_from_files(tmp_path: Path) -> None:
    files = CodeFiles()
    markdown = "Intro **bold** `a--b`\n\n1. one\n2. two\n\n```java\nString s = \"中文 😀 --\";\n\\end{Verbatim}\n" + "y" * 4000 + "\n```\n"
    text = _compile(tmp_path, markdown_to_latex(markdown, code_files=files), files, check_overfull=False)
    squashed = _squash(text)
    for part in ("Introbolda--b", "1.one2.two", 'Strings="中文😀--";', "\\end{Verbatim}"):
        assert part in squashed
    assert squashed.count("y") == 4000
    assert max(len(line) for line in text.splitlines()) < 120  # the long code line wrapped
