"""Which fonts the report uses, the XeLaTeX lines that load them, and which characters they can draw.

The chain, all from Debian packages (see ``fonts/README.md``):

* Latin class (everything xeCJK does not treat as CJK): "DejaVu Sans" (regular,
  bold) for text and "DejaVu Sans Mono" (regular, bold; scaled so a Latin cell is
  exactly half a CJK cell) for code.  Noto Sans CJK SC was tried as the Latin font
  but lacks most of Latin Extended-A/B, Greek with accents and non-Russian
  Cyrillic (Łukasz, Dvořák, Ελληνικά, Україна), and XeTeX has no per-character
  fallback for non-CJK characters.
* CJK class: "Noto Sans CJK SC" (regular, bold) for text and "Noto Sans Mono CJK
  SC" for code; xeCJK's ``AutoFallBack`` sends characters they lack (Extension
  B-F: 𪚥) to "HanaMinA" then "HanaMinB".
* Emoji and symbol blocks (:data:`SYMBOL_RANGES`) are made CJK class and routed
  to the "Symbola" sub-block of every CJK family (monochrome; XeTeX cannot draw
  colour emoji); AutoFallBack applies to them too.

Those are the ``sans`` set; the ``serif`` set swaps in "DejaVu Serif" and "Noto
Serif CJK SC" for text (code and the fallbacks stay). :data:`FONT_SETS` holds both
as data; a theme names one (``texreport.theme``), and both the LaTeX setup and the
coverage check are generated from that choice, so a theme can only pick fonts the
check knows.

:func:`font_setup_latex` returns the preamble lines of a set (for ``ctexart`` with
``fontset=none``).  :class:`FontChain` (:func:`font_chain`) answers, from the fonts'
cmaps, whether the font XeTeX will actually pick for a character can draw it;
:meth:`FontChain.check_text` raises :class:`~texreport.errors.UnsupportedCharacterError`
for the first one it cannot.  Coverage sets are cached in-process and on disk
under ``$XDG_CACHE_HOME/texreport/`` (reading the CJK cmaps takes ~0.5 s).
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .atomic import write_atomic
from .errors import ToolMissingError, UnsupportedCharacterError
from .paths import cache_dir, xdg_cache_home

if TYPE_CHECKING:  # escape imports markdown-it; the CLI needs font_setup_latex before that
    from .escape import LatexMarkup

__all__ = [
    "FontFace",
    "FontChain",
    "CodepointRanges",
    "SYMBOL_RANGES",
    "EXTRA_CJK_RANGES",
    "font_class",
    "MISSING_CHARACTER_ERROR",
    "font_setup_latex",
    "font_setup_text",
    "char_class_setup_text",
    "default_chain",
    "font_chain",
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
_CJK_MONO = _noto("Noto Sans Mono CJK SC")
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

_DEFAULT = FONT_SETS[DEFAULT_FONT_SET]
LATIN_TEXT = _DEFAULT.text.checked
LATIN_MONO = _DEFAULT.mono.checked
CJK_FACES = _DEFAULT.cjk_text.checked + _DEFAULT.cjk_mono.checked
FALLBACK_FACES = _DEFAULT.fallback
SYMBOL_FACE = _DEFAULT.symbols
MONO_SCALE = _DEFAULT.mono_scale

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


# ---------------------------------------------------------------- coverage


@dataclass(frozen=True)
class _Located:
    path: str
    index: int


def _locate(face: FontFace) -> _Located:
    """Find a face's file and .ttc index with fc-match; raise if only a substitute exists."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise ToolMissingError("fc-match is not installed (Debian package fontconfig)")
    result = subprocess.run(
        [fc_match, "-f", "%{family}\t%{style}\t%{file}\t%{index}", face.pattern],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    parts = result.stdout.split("\t")
    # fc-match always answers with *some* font; accept it only if it is the family asked for.
    if result.returncode != 0 or len(parts) != 4 or face.family not in parts[0].split(","):
        raise ToolMissingError(f"font {face.family!r} ({face.style}) is not installed (Debian package {face.package})")
    styles = parts[1].split(",")
    if face.style not in styles:
        raise ToolMissingError(f"font {face.family!r} style {face.style} is not installed "
                               f"(Debian package {face.package})")
    return _Located(os.path.realpath(parts[2]), int(parts[3] or 0))


def _to_ranges(codepoints: Iterable[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for cp in sorted(codepoints):
        if ranges and ranges[-1][1] + 1 == cp:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


@functools.cache
def _coverage(path: str, index: int) -> frozenset[int]:
    """The code points in a face's cmap; cached on disk by path, index, size and mtime."""
    stat = os.stat(path)
    key = f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}"
    cache_file = cache_dir() / "coverage-v1.json"
    try:
        stored = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    entry = stored.get(key) if isinstance(stored, dict) else None
    if isinstance(entry, list):
        return frozenset(cp for a, b in entry for cp in range(a, b + 1))

    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # lazily: only on a cache miss

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        codepoints = frozenset(font.getBestCmap() or {})
    finally:
        font.close()
    if not isinstance(stored, dict):
        stored = {}
    stored[key] = _to_ranges(codepoints)
    _write_atomically(cache_file, json.dumps(stored, separators=(",", ":")))
    return codepoints


def _write_atomically(target: Path, content: str) -> None:
    # The cache is an optimisation: a read-only home must not break rendering.
    try:
        write_atomic(target, content.encode("utf-8"), mode=0o644, sync=False)
    except OSError:
        pass


def _faces_coverage(faces: Iterable[FontFace], *, combine: Literal["all", "any"],
                    files: list[str]) -> CodepointRanges:
    located = [_locate(face) for face in faces]
    files += [loc.path for loc in located]
    sets = [_coverage(loc.path, loc.index) for loc in located]
    combined = frozenset.intersection(*sets) if combine == "all" else frozenset.union(*sets)
    return CodepointRanges(_to_ranges(combined))


class CodepointRanges:
    """An immutable set of code points kept as sorted inclusive ranges; membership by bisection."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, ranges: Iterable[Iterable[int]]) -> None:
        pairs = sorted((int(a), int(b)) for a, b in ranges)
        self._starts = [a for a, _ in pairs]
        self._ends = [b for _, b in pairs]

    def __contains__(self, cp: object) -> bool:
        if not isinstance(cp, int):
            return False
        index = bisect.bisect_right(self._starts, cp) - 1
        return index >= 0 and cp <= self._ends[index]

    def __iter__(self) -> Iterator[int]:
        for a, b in zip(self._starts, self._ends, strict=True):
            yield from range(a, b + 1)

    def __len__(self) -> int:
        return sum(b - a + 1 for a, b in zip(self._starts, self._ends, strict=True))

    def __ge__(self, other: Iterable[int]) -> bool:  # {…} <= ranges
        return all(cp in self for cp in other)

    def ranges(self) -> list[list[int]]:
        return [[a, b] for a, b in zip(self._starts, self._ends, strict=True)]


class FontChain:
    """What the configured fonts can draw, class by class, as XeTeX + xeCJK will pick them.

    ``latin_text``/``latin_mono`` must hold a Latin-class character in every face
    (regular and bold, since markup may embolden any text); CJK- and symbol-class
    characters are drawn by their primary font or, through AutoFallBack, HanaMin.
    """

    def __init__(
        self,
        *,
        latin_text: CodepointRanges,
        latin_mono: CodepointRanges,
        cjk: CodepointRanges,
        symbols: CodepointRanges,
        fallback: CodepointRanges,
    ) -> None:
        self.latin_text = latin_text
        self.latin_mono = latin_mono
        self.cjk = cjk
        self.symbols = symbols
        self.fallback = fallback

    def covers(self, ch: str, *, monospace: bool | None = None) -> bool:
        """Whether ``ch`` will be drawn: in text (``monospace=False``), in code (``True``) or both (``None``)."""
        if ch in "\n\t ":
            return True
        cp = ord(ch)
        cls = font_class(ch)
        if cls == "latin":
            in_text = cp in self.latin_text
            in_mono = cp in self.latin_mono
            if monospace is None:
                return in_text and in_mono
            return in_mono if monospace else in_text
        return cp in self._primary(cls) or cp in self.fallback

    def _primary(self, cls: FontClass) -> CodepointRanges:
        """The font xeCJK tries first for a CJK- or symbol-class character."""
        return self.cjk if cls == "cjk" else self.symbols

    def needs_fallback(self, text: str) -> bool:
        """Whether some CJK- or symbol-class character of ``text`` is drawn by the fallback (HanaMin).

        xeCJK's AutoFallBack checks every CJK character for a glyph (~5 % of a
        report's TeX time); a document that needs no fallback turns it off.
        """
        for ch in set(text):
            cls = "latin" if ord(ch) < 0x80 else font_class(ch)
            if cls != "latin" and ord(ch) not in self._primary(cls):
                return True
        return False

    def check_text(self, text: str, *, field: str, monospace: bool | None = None) -> None:
        """Raise UnsupportedCharacterError for the first character of ``text`` no used font can draw.

        The check runs on the text as escape will typeset it (NFC, control and
        invisible characters removed), so what is dropped anyway never fails.
        ``monospace=None`` (the default) demands both text and code fonts, right
        for Markdown fields where a character may land in either.
        """
        from .escape import clean_text

        for ch in dict.fromkeys(clean_text(text)):
            if not self.covers(ch, monospace=monospace):
                raise UnsupportedCharacterError(ch, field=field)


_CHAIN_CLASSES = ("latin_text", "latin_mono", "cjk", "symbols", "fallback")
_CHAIN_CACHE = "chain-v1.json"


def _chain_faces(fonts: FontSet) -> tuple[tuple[FontFace, ...], ...]:
    """The faces of each chain class (:data:`_CHAIN_CLASSES` order)."""
    return (fonts.text.checked, fonts.mono.checked, fonts.cjk_text.checked + fonts.cjk_mono.checked,
            (fonts.symbols,), fonts.fallback)


def _fontconfig_stamp(fonts: FontSet) -> str:
    """What changes when fonts are installed or fontconfig is reconfigured (fc-cache, packages)."""
    folders = ("/etc/fonts", "/etc/fonts/conf.d", "/var/cache/fontconfig", str(xdg_cache_home() / "fontconfig"),
               os.path.expanduser("~/.fontconfig"))
    latin_text, latin_mono, cjk, symbols, fallback = _chain_faces(fonts)
    parts = [repr((latin_text, latin_mono, cjk, symbols[0], fallback))]
    parts += [os.environ.get(name, "") for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH")]
    for folder in folders:
        try:
            parts.append(f"{folder}|{os.stat(folder).st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}|-")
    return "\n".join(parts)


def _chain_cache(fonts: FontSet) -> Path:
    name = _CHAIN_CACHE if fonts.name == DEFAULT_FONT_SET else _CHAIN_CACHE.replace(".json", f"-{fonts.name}.json")
    return cache_dir() / name


def _cached_chain(fonts: FontSet, stamp: str) -> FontChain | None:
    try:
        stored = json.loads(_chain_cache(fonts).read_text(encoding="utf-8"))
        if stored["stamp"] != stamp:
            return None
        for path, size, mtime_ns in stored["files"]:
            stat = os.stat(path)
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
                return None
        return FontChain(**{name: CodepointRanges(stored["classes"][name]) for name in _CHAIN_CLASSES})
    except (OSError, ValueError, KeyError, TypeError):
        return None


@functools.cache
def default_chain() -> FontChain:
    """The chain of the default font set (:func:`font_chain`)."""
    return _read_chain(FONT_SETS[DEFAULT_FONT_SET])


def font_chain(font_set: str) -> FontChain:
    """The chain :func:`font_setup_text` configures for the font set named ``font_set``.

    Read from the installed fonts once per process and set, and cached on disk with
    the font files it came from and a stamp of fontconfig's folders, so a process
    does not run fc-match eleven times; a font installed, removed or changed makes
    it read the fonts again.
    """
    return default_chain() if font_set == DEFAULT_FONT_SET else _other_chain(font_set)


@functools.cache
def _other_chain(font_set: str) -> FontChain:
    return _read_chain(FONT_SETS[font_set])


def _read_chain(fonts: FontSet) -> FontChain:
    stamp = _fontconfig_stamp(fonts)
    cached = _cached_chain(fonts, stamp)
    if cached is not None:
        return cached
    files: list[str] = []
    latin_text, latin_mono, cjk, symbols, fallback = _chain_faces(fonts)
    chain = FontChain(
        latin_text=_faces_coverage(latin_text, combine="all", files=files),
        latin_mono=_faces_coverage(latin_mono, combine="all", files=files),
        cjk=_faces_coverage(cjk, combine="all", files=files),
        symbols=_faces_coverage(symbols, combine="all", files=files),
        fallback=_faces_coverage(fallback, combine="any", files=files),
    )
    stats = [[path, os.stat(path).st_size, os.stat(path).st_mtime_ns] for path in dict.fromkeys(files)]
    classes = {name: getattr(chain, name).ranges() for name in _CHAIN_CLASSES}
    _write_atomically(_chain_cache(fonts),
                      json.dumps({"stamp": stamp, "files": stats, "classes": classes}, separators=(",", ":")))
    return chain
