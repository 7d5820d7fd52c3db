"""Tests for texreport.escape: the table, cleaning, long-word breaks, a real compile."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from texreport import escape
from texreport.escape import (
    SUPPORT_MACROS,
    LatexMarkup,
    clean_text,
    escape_line,
    escape_text,
)
from texreport.markdown import markdown_to_latex

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
BREAKS = ("\\TRwordstart ", "\\TRbreakpart ", "\\TRbreakany ")
_KNOWN = sorted({replacement for _, replacement in SPECIALS} | {"~", "\\TRnewline ", "\\par ", "%\n", *BREAKS},
                key=len, reverse=True)


def unbroken(latex: str) -> str:
    for mark in BREAKS:
        latex = latex.replace(mark, "")
    return latex
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
    assert unbroken(escape_text("\\textbackslash{}")) == r"\textbackslash{}textbackslash\{\}"


def test_returns_markup_and_is_idempotent() -> None:
    once = escape_text("a & b")
    assert isinstance(once, LatexMarkup)
    assert escape_text(once) is once
    assert escape_line(once) is once
    assert markdown_to_latex(once) is once


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


def test_short_words_get_no_breaks() -> None:
    assert escape_text("abcdefgh " * 10) == ("abcdefgh " * 10).strip()
    assert escape_text("中" * 100) == "中" * 100


def test_long_words_break_at_boundaries_cheaper_than_anywhere() -> None:
    latex = escape_text("use ConcurrentHashMap.computeIfAbsent now")
    assert latex.startswith("use \\TRwordstart Co")  # a ragged break before the word: it moves whole if it fits
    assert unbroken(latex) == "use ConcurrentHashMap.computeIfAbsent now"
    # boundaries: camelCase, after a dot
    for before, after in (("t", "H"), ("h", "M"), ("p.", "c"), ("e", "I"), ("f", "A")):
        assert f"{before}\\TRbreakpart {after}" in latex, (before, after)
    assert "\\TRbreakany " in latex  # and, dearer, anywhere
    url = escape_text("https://example.com/a_b/c-d")
    for before in (":", "/", ".", "\\_", "-{}"):
        assert f"{before}\\TRbreakpart " in url, before


def test_break_points_cost_what_their_purpose_says() -> None:
    # The penalties decide: a ragged break before a word is cheap, a boundary dearer, anywhere dearest.
    penalties = [int(re.search(rf"\\{name}\{{.*?penalty(\d+)", SUPPORT_MACROS).group(1))
                 for name in ("TRwordstart", "TRbreakpart", "TRbreakany")]
    assert penalties == sorted(penalties) and penalties[0] < penalties[1] < penalties[2] <= 1000  # 1000 lines of 1000^2 stay below 2^30
    sty = (Path(__file__).parents[1] / "latex" / "texreport.sty").read_text(encoding="utf-8")
    for line in SUPPORT_MACROS.splitlines()[2:]:
        assert line.replace("\\DeclareRobustCommand", "") in sty.replace("\\DeclareRobustCommand", ""), line


def test_breaks_never_split_combining_marks() -> None:
    text = "q\u0307" * 20  # no precomposed form: stays two code points
    latex = escape_text(text)
    assert all(f"{mark}\u0307" not in latex for mark in BREAKS)


def test_source_lines_stay_short() -> None:
    for text in ("x" * 100_000, "中" * 50_000, "ab " * 30_000):
        latex = escape_text(text)
        assert max(len(line) for line in latex.split("\n")) < 1200
        assert unbroken(latex.replace("%\n", "")).replace("\n", " ").replace(" ", "") == text.replace(" ", "")


def test_support_macros_define_what_output_uses() -> None:
    assert "\\TRnewline" in SUPPORT_MACROS and all(mark.strip() in SUPPORT_MACROS for mark in BREAKS)
    assert set(escape.__all__) >= {"LatexMarkup", "escape_text", "escape_pieces"}


# ---------------------------------------------------------------- real compile

_VISIBLE_HOSTILE = "\n".join(HOSTILE[:-1]) + "\n中文 한국어 공백 Ελληνικά Łukasz ✅🚀 𪚥 ①"


def _compile(tmp_path: Path, body: str, *, check_overfull: bool = True) -> str:
    from texreport.fonts import font_setup_latex

    source = (
        "\\documentclass[fontset=none,a4paper]{ctexart}\n"
        + font_setup_latex()
        + SUPPORT_MACROS
        + "\\lefthyphenmin=62 \\righthyphenmin=62\n\\pagestyle{empty}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(source, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "openin_any": "p", "openout_any": "p"}
    result = subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-no-shell-escape", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, env=env, check=False,
    )
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-3000:]
    if check_overfull:
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


def test_names_up_to_sixteen_letters_pass_unchanged() -> None:
    # Templates print program-chosen names (an environment such as TRlongcategories) through the escaper.
    assert escape_text("TRlongcategories") == "TRlongcategories"
    assert escape_text("abcdefghijklmnopq") != "abcdefghijklmnopq"  # 17: break points
