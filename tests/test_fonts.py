"""Tests for texreport.fonts: character classes, the real preamble (fonts and glyphs in a PDF), test alphabets covered."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from texreport import fonts
from texreport.coverage import default_chain
from texreport.fonts import font_class, font_setup_latex

ALPHABETS = {
    "chinese": "中文汉字测试，。：“引号”（括号）【】、——……",
    "cjk_ext": "𠮷𪚥𠀀㐀",
    "emoji": "😀✅🚀⭐❌🎉👍🔥💡⚠",
    "greek": "Ελληνικά αβγδεζηθ ΆΈΉ",
    "cyrillic": "Кириллица Україна ґєї",
    "latin_ext": "Łukasz Dvořák Erdős Müller çãõ",
    "korean": "한국어 공백",
    "kana": "日本語かなカタカナ",
    "math": "∑∫≤≠→←⇒∞√±×÷°",
    "cjk_symbols": "①②※℃ⅫⅣ",
    "ascii": "The quick brown fox -- `code` {x} ~^_$&#%\\|<>[]'\"",
}


@pytest.mark.parametrize("name", sorted(ALPHABETS))
def test_alphabets_are_covered(name: str) -> None:
    chain = default_chain()
    text = ALPHABETS[name]
    assert [ch for ch in text if not chain.covers(ch)] == []
    chain.check_text(text, field=f"sample.{name}")


@pytest.mark.parametrize(
    ("char", "expected"),
    [("a", "latin"), ("Ł", "latin"), ("中", "cjk"), ("𪚥", "cjk"), ("한", "cjk"), ("“", "cjk"),
     ("①", "cjk"), ("😀", "symbols"), ("✅", "symbols"), ("⌘", "symbols"), ("→", "latin")],
)
def test_font_class(char: str, expected: str) -> None:
    assert font_class(char) == expected


def test_symbol_class_set_before_sub_block() -> None:
    setup = font_setup_latex()
    assert setup.rindex("\\xeCJKsetcharclass") < setup.index("\\xeCJKDeclareSubCJKBlock")
    assert "Ligatures=TeXOff" in setup and "\\tracinglostchars=3" in setup


def _xelatex(tmp_path: Path, body: str, preamble: str = "") -> subprocess.CompletedProcess[bytes]:
    source = "\\documentclass[fontset=none]{ctexart}\n" + font_setup_latex() + preamble + "\\begin{document}\n" + body + "\n\\end{document}\n"
    (tmp_path / "doc.tex").write_text(source, encoding="utf-8")
    return subprocess.run(
        ["xelatex", "-interaction=nonstopmode", "-no-shell-escape", "doc.tex"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, check=False,
    )


def test_every_alphabet_renders_with_the_expected_fonts(tmp_path: Path) -> None:
    body = "\n\n".join(ALPHABETS[name].replace("\\", "").translate(str.maketrans("", "", "{}~^_$&#%")) for name in sorted(ALPHABETS))
    body += "\n\n\\texttt{code 中文 😀 𠮷}"
    result = _xelatex(tmp_path, body)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-2000:]
    assert "Missing character" not in log
    pdf_fonts = subprocess.run(["pdffonts", str(tmp_path / "doc.pdf")], capture_output=True, text=True, check=True).stdout
    for name in ("DejaVuSans", "DejaVuSansMono", "NotoSansCJK", "HanaMin", "Symbola"):
        assert name in pdf_fonts
    text = subprocess.run(["pdftotext", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "한국어 공백" in text  # CJKspace keeps spaces between Hangul words
    assert "--" in text  # no TeX ligature


def test_missing_glyph_is_a_tex_error(tmp_path: Path) -> None:
    result = _xelatex(tmp_path, "a \u0d9e b")
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode != 0
    assert fonts.MISSING_CHARACTER_ERROR + " \u0d9e (U+0D9E) in font DejaVu Sans" in log


def test_cjk_class_table_matches_xetex(tmp_path: Path) -> None:
    # Dump \XeTeXcharclass for every code point with our preamble and compare classes.
    dump = (
        "\\newcount\\cp \\newcount\\prev \\newcount\\cur \\newwrite\\out\n"
        "\\immediate\\openout\\out=classes.txt \\prev=-1 \\cp=0\n"
        "\\loop \\cur=\\XeTeXcharclass\\cp \\ifnum\\cur=\\prev\\else\\immediate\\write\\out{\\the\\cp\\space\\the\\cur}\\prev=\\cur\\fi"
        " \\advance\\cp 1 \\ifnum\\cp<\"110000 \\repeat \\immediate\\closeout\\out\n"
    )
    result = _xelatex(tmp_path, "x", preamble=dump)
    assert result.returncode == 0
    rows = [tuple(map(int, line.split())) for line in (tmp_path / "classes.txt").read_text().split("\n") if line.strip()]
    sub_block_classes = {cls for cp, cls in rows if cls > 8}
    rows.append((0x110000, -1))
    for (start, cls), (next_start, _) in itertools.pairwise(rows):
        expected = "latin" if cls in (0, 4, 5, 6) else ("symbols" if cls in sub_block_classes else "cjk")
        for cp in {start, next_start - 1, (start + next_start - 1) // 2}:
            assert font_class(chr(cp)) == expected, f"U+{cp:04X} class {cls}"


def test_public_names() -> None:
    for name in fonts.__all__:
        assert hasattr(fonts, name)
    # CJK in code: the text faces (no third CJK instance for xdvipdfmx to read).
    assert re.search(r"\\setCJKmonofont\{Noto Sans CJK SC\}", font_setup_latex())
