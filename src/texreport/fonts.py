"""Which fonts the report uses and the XeLaTeX lines that load them (what they can draw: :mod:`texreport.coverage`).

The chain, all from Debian packages (see ``fonts/README.md``):

* Latin class (everything xeCJK does not treat as CJK): "DejaVu Sans" (regular,
  bold) for text and "DejaVu Sans Mono" (regular, bold; scaled so a Latin cell is
  exactly half a CJK cell) for code.  Noto Sans CJK SC was tried as the Latin font
  but lacks most of Latin Extended-A/B, Greek with accents and non-Russian
  Cyrillic (Łukasz, Dvořák, Ελληνικά, Україна), and XeTeX has no per-character
  fallback for non-CJK characters.
* CJK class: "Noto Sans CJK SC" (regular, bold) for text and code alike; xeCJK's
  ``AutoFallBack`` sends characters they lack (Extension B-F: 𪚥) to "HanaMinA"
  then "HanaMinB".
* Emoji and symbol blocks (:data:`SYMBOL_RANGES`) are made CJK class and routed
  to the "Symbola" sub-block of every CJK family (monochrome; XeTeX cannot draw
  colour emoji); AutoFallBack applies to them too.

Those are the ``sans`` set; the ``serif`` set swaps in "DejaVu Serif" and "Noto
Serif CJK SC" for text (code and the fallbacks stay). :data:`FONT_SETS` holds both
as data; a theme names one (``texreport.theme``), and both the LaTeX setup (here)
and the coverage check (:mod:`texreport.coverage`) are generated from that choice,
so a theme can only pick fonts the check knows.

:func:`font_setup_latex` returns the preamble lines of a set (for ``ctexart`` with
``fontset=none``); :func:`font_class` says which class of the chain XeTeX uses for
a character.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # escape imports markdown-it; the CLI needs font_setup_latex before that
    from .escape import LatexMarkup

__all__ = [
    "FontClass",
    "FontFace",
    "SYMBOL_RANGES",
    "EXTRA_CJK_RANGES",
    "font_class",
    "MISSING_CHARACTER_ERROR",
    "font_setup_latex",
    "font_setup_text",
    "char_class_setup_text",
    "FontFamily",
    "FontSet",
    "FONT_SETS",
    "DEFAULT_FONT_SET",
]

FontClass = Literal["latin", "cjk", "symbols"]


@dataclass(frozen=True)
class FontFace:
    """One font face as fontconfig names it, and the Debian package that provides it."""

    family: str
    style: str  # "Regular" or "Bold": what fc-match is asked for
    package: str

    @property
    def pattern(self) -> str:
        return f"{self.family}:style={self.style}"


_DEJAVU = "fonts-dejavu-core"
_NOTO = "fonts-noto-cjk"


@dataclass(frozen=True)
class FontFamily:
    """One family as fontspec loads it (four shapes), and the faces whose coverage is checked.

    Markup may embolden any text, so ``checked`` holds the regular and the bold face;
    the italic shapes print only what those two cover.
    """

    regular: str
    bold: str
    italic: str
    bold_italic: str
    checked: tuple[FontFace, ...]


def _family(name: str, package: str, *, regular: str, bold: str, italic: str, bold_italic: str,
            styles: tuple[str, str] = ("Regular", "Bold")) -> FontFamily:
    return FontFamily(regular=regular, bold=bold, italic=italic, bold_italic=bold_italic,
                      checked=tuple(FontFace(name, style, package) for style in styles))


@dataclass(frozen=True)
class FontSet:
    """A choice of faces for every class of the chain; a theme names one (:data:`FONT_SETS`).

    ``mono_scale``: DejaVu Sans Mono advances 0.602 em, Noto's CJK cells 1 em; at
    0.8305 two Latin columns are exactly one CJK character wide, so CJK comments in
    code align.
    """

    name: str
    text: FontFamily          # Latin class, body text
    mono: FontFamily          # Latin class, code
    cjk_text: FontFamily      # CJK class, body text
    cjk_mono: FontFamily      # CJK class, code
    symbols: FontFace         # the emoji and symbol blocks (:data:`SYMBOL_RANGES`)
    fallback: tuple[FontFace, ...]  # xeCJK AutoFallBack, in order
    mono_scale: float = 0.8305


def _dejavu(name: str, oblique: str, book: str = "Book") -> FontFamily:
    return _family(name, _DEJAVU, regular=name, bold=f"{name} Bold", italic=f"{name} {oblique}",
                   bold_italic=f"{name} Bold {oblique}", styles=(book, "Bold"))


def _noto(name: str) -> FontFamily:
    # Noto CJK has no italics: the upright faces stand in for them.
    return _family(name, _NOTO, regular=name, bold=f"{name} Bold", italic=name, bold_italic=f"{name} Bold")


_MONO = _dejavu("DejaVu Sans Mono", "Oblique")
# CJK in code: Noto Sans CJK SC's own ideographs, kana, Hangul and full-width forms are
# the same 1 em cells as Noto Sans Mono CJK's (Latin in code is DejaVu Sans Mono's), and
# one face fewer for xdvipdfmx to read: each CJK instance costs it ~50,000 seeks in the
# collection (measured: 190 → 130 ms per PDF for the sample, bench/RESULTS.md).
_CJK_MONO = _noto("Noto Sans CJK SC")
_FALLBACK = (FontFace("HanaMinA", "Regular", "fonts-hanazono"), FontFace("HanaMinB", "Regular", "fonts-hanazono"))
_SYMBOLA = FontFace("Symbola", "Regular", "fonts-symbola")

#: The font sets a theme may choose from (every face is from a Debian package the
#: install script installs, and the coverage check reads the chosen set).
FONT_SETS: dict[str, FontSet] = {
    "sans": FontSet("sans", text=_dejavu("DejaVu Sans", "Oblique"), mono=_MONO,
                    cjk_text=_noto("Noto Sans CJK SC"), cjk_mono=_CJK_MONO, symbols=_SYMBOLA, fallback=_FALLBACK),
    "serif": FontSet("serif", text=_dejavu("DejaVu Serif", "Italic"), mono=_MONO,
                     cjk_text=_noto("Noto Serif CJK SC"), cjk_mono=_CJK_MONO, symbols=_SYMBOLA, fallback=_FALLBACK),
}
DEFAULT_FONT_SET = "sans"

#: Blocks routed to Symbola.  Measured: Noto has 27/256 of Technical, 50/256 Misc
#: Symbols, 38/192 Dingbats, 0 of the math arrows/operators supplements, 225/2313
#: emoji-area characters; Symbola has them all except 332 newer emoji.
SYMBOL_RANGES: tuple[tuple[int, int], ...] = (
    (0x2300, 0x23FF),  # Miscellaneous Technical (⌘ ⌚ ⏰)
    (0x2600, 0x27FF),  # Misc Symbols, Dingbats (✅ ❌ ➜), Misc Math A, Suppl. Arrows A
    (0x2900, 0x2AFF),  # Suppl. Arrows B (⤴), Misc Math B, Suppl. Math Operators
    (0x2B00, 0x2BFF),  # Misc Symbols and Arrows (⭐ ⭕ ⬆)
    (0x1D400, 0x1D7FF),  # Mathematical Alphanumeric Symbols (𝑥)
    (0x1F000, 0x1FAFF),  # Mahjong … Symbols and Pictographs Extended-A (emoji)
)

#: Characters common in Chinese text that DejaVu lacks but Noto CJK has: made CJK
#: class so Noto draws them (they sit between CJK characters anyway).
EXTRA_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x203B, 0x203B),  # ※
    (0x2103, 0x2103),  # ℃
    (0x2109, 0x2109),  # ℉
    (0x2121, 0x2121),  # ℡
    (0x2160, 0x217F),  # Ⅰ Ⅱ ⅰ ⅱ (Roman numerals)
    (0x2460, 0x24FF),  # ① ⑴ ⒈ Ⓐ (enclosed alphanumerics)
)

# Characters xeCJK 3.9.1 (as loaded by ctex 2.5.10, TL2022) puts in a CJK class
# (CJK, FullLeft, FullRight, CM, HangulJamo): dumped with \XeTeXcharclass over all
# code points; tests/test_fonts.py re-dumps and compares.
_XECJK_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x00B7, 0x00B7), (0x02EA, 0x02EB), (0x1100, 0x11FF), (0x2013, 0x2014),
    (0x2018, 0x2019), (0x201C, 0x201D), (0x2025, 0x2027), (0x2E3A, 0x2E3A),
    (0x2E80, 0x2FDF), (0x2FF0, 0xA4CF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF), (0xFE00, 0xFE1F), (0xFE30, 0xFE50), (0xFE52, 0xFE52),
    (0xFE54, 0xFE57), (0xFE59, 0xFE5E), (0xFE69, 0xFE6A), (0xFF00, 0xFFEF),
    (0x16FE0, 0x18D7F), (0x1AFF0, 0x1B2FF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF),
    (0x2F800, 0x2FA1F), (0x30000, 0x3134F), (0xE0100, 0xE01EF),
)


@functools.cache  # built on first use, not at import (the CLI imports this module early)
def _class_table() -> tuple[list[int], list[FontClass]]:
    """Breakpoints → class, later entries winning, as \\xeCJKsetcharclass does."""
    cps: list[tuple[int, int, FontClass]] = [(a, b, "cjk") for a, b in _XECJK_CJK_RANGES]
    cps += [(a, b, "cjk") for a, b in EXTRA_CJK_RANGES]
    cps += [(a, b, "symbols") for a, b in SYMBOL_RANGES]
    # Paint a sparse map: apply ranges in order over a list of (start, class) cuts.
    cuts: list[tuple[int, FontClass]] = [(0, "latin")]
    for start, end, cls in cps:
        cuts = _paint(cuts, start, end, cls)
    return [c for c, _ in cuts], [k for _, k in cuts]


def _paint(cuts: list[tuple[int, FontClass]], start: int, end: int, cls: FontClass) -> list[tuple[int, FontClass]]:
    def at(cp: int) -> FontClass:
        idx = bisect.bisect_right([c for c, _ in cuts], cp) - 1
        return cuts[idx][1]

    after = at(end + 1)
    kept = [(c, k) for c, k in cuts if c < start or c > end + 1]
    kept += [(start, cls), (end + 1, after)]
    kept.sort()
    merged: list[tuple[int, FontClass]] = []
    for c, k in kept:
        if merged and merged[-1][1] == k:
            continue
        merged.append((c, k))
    return merged


def font_class(ch: str) -> FontClass:
    """Which part of the chain XeTeX uses for ``ch``: the Latin fonts, the CJK fonts or Symbola."""
    starts, classes = _class_table()
    return classes[bisect.bisect_right(starts, ord(ch)) - 1]


def _hex_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f'"{a:X} -> "{b:X}' for a, b in ranges)


def char_class_setup_text() -> str:
    """The xeCJK lines that give characters their classes and the symbol sub-block (no font loads).

    Assigning classes code point by code point costs ~65 ms of TeX time, and these
    lines load no font, so they belong to the precompiled format (``preload.tex``
    inputs them; see texreport.formats). Order matters: ``\\xeCJKsetcharclass``
    must precede ``\\xeCJKDeclareSubCJKBlock``, otherwise the sub-block font is
    silently never used.
    """
    lines = [r"\xeCJKsetup{AutoFallBack=true, CJKspace=true}"]
    for a, b in EXTRA_CJK_RANGES + SYMBOL_RANGES:
        lines.append(rf'\xeCJKsetcharclass{{"{a:X}}}{{"{b:X}}}{{1}}')
    lines.append(rf"\xeCJKDeclareSubCJKBlock{{TRSymbols}}{{{_hex_ranges(SYMBOL_RANGES)}}}")
    return "\n".join(lines) + "\n"


def _shapes(family: FontFamily) -> str:
    return (f"BoldFont={{{family.bold}}}, ItalicFont={{{family.italic}}}, "
            f"BoldItalicFont={{{family.bold_italic}}}")


def font_setup_text(font_set: FontSet | None = None) -> str:
    """The lines that load every font of ``font_set`` (default: :data:`DEFAULT_FONT_SET`).

    Read after the class, ``texreport.sty`` and :func:`char_class_setup_text`. TeX
    ligatures are off for all fonts, so ``--``, ``` `` ```, ``<<`` print as typed;
    ``\\XeTeXgenerateactualtext=1`` makes copied/extracted text exact (without it
    Noto's hyphen glyph extracts as U+2011); ``\\tracinglostchars=3`` turns a
    missing glyph into an error (see :data:`MISSING_CHARACTER_ERROR`).
    """
    fonts = font_set or FONT_SETS[DEFAULT_FONT_SET]
    text, mono, symbols = fonts.text, fonts.mono, fonts.symbols.family
    fallback = ", ".join(f"{{{face.family}}}" for face in fonts.fallback)
    lines = [
        rf"\setmainfont{{{text.regular}}}[Ligatures=TeXOff, {_shapes(text)}]",
        rf"\setsansfont{{{text.regular}}}[Ligatures=TeXOff, {_shapes(text)}]",
        rf"\setmonofont{{{mono.regular}}}[Ligatures=TeXOff, Scale={fonts.mono_scale}, {_shapes(mono)}]",
    ]
    for command, family in (("main", fonts.cjk_text), ("sans", fonts.cjk_text), ("mono", fonts.cjk_mono)):
        lines.append(rf"\setCJK{command}font{{{family.regular}}}[{_shapes(family)}, TRSymbols={{{symbols}}}]")
    for default in ("rm", "sf", "tt"):
        lines.append(rf"\setCJKfallbackfamilyfont{{\CJK{default}default}}{{{fallback}}}")
    lines += [r"\XeTeXgenerateactualtext=1", r"\tracinglostchars=3"]
    return "\n".join(lines) + "\n"


def font_setup_latex(font_set: FontSet | None = None) -> LatexMarkup:
    """The whole setup for ``\\documentclass[fontset=none,…]{ctexart}``: classes, then fonts."""
    from .escape import LatexMarkup

    return LatexMarkup(char_class_setup_text() + font_setup_text(font_set))


#: The start of the TeX error ``\tracinglostchars=3`` raises for a glyph no font has (TL2022).
MISSING_CHARACTER_ERROR = "! Missing character: There is no"
