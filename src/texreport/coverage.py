"""Which characters the fonts of a font set can draw, as XeTeX + xeCJK will pick them.

:class:`FontChain` (:func:`font_chain`) answers, from the fonts' cmaps, whether the
font XeTeX will actually pick for a character (:func:`texreport.fonts.font_class`)
can draw it; :meth:`FontChain.check_text` raises
:class:`~texreport.errors.UnsupportedCharacterError` for the first one it cannot.
The faces come from :data:`texreport.fonts.FONT_SETS` (this module reads the font
data; :mod:`texreport.fonts` knows nothing of coverage). Coverage sets are cached
in-process and on disk under ``$XDG_CACHE_HOME/texreport/`` (reading the CJK cmaps
takes ~0.5 s): per font file in ``coverage-v1.json``, per font set in
``chain-v1.json`` with a stamp of fontconfig's folders.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .atomic import write_atomic
from .errors import ToolMissingError, UnsupportedCharacterError
from .fonts import DEFAULT_FONT_SET, FONT_SETS, FontClass, FontFace, FontSet, font_class
from .paths import cache_dir, xdg_cache_home

__all__ = ["CodepointRanges", "FontChain", "cmap_coverage", "default_chain", "font_chain"]


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
def cmap_coverage(path: str, index: int) -> frozenset[int]:
    """The code points in the cmap of the face at ``index`` of font file ``path``.

    Cached in-process and on disk by path, index, size and mtime.
    """
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
    _store(cache_file, stored)
    return codepoints


def _store(target: Path, document: object) -> None:
    """Write a cache file; the cache is an optimisation: a read-only home must not break rendering."""
    with contextlib.suppress(OSError):
        write_atomic(target, json.dumps(document, separators=(",", ":")).encode("utf-8"), mode=0o644, sync=False)


def _faces_coverage(faces: Iterable[FontFace], *, combine: Literal["all", "any"],
                    files: list[str]) -> CodepointRanges:
    located = [_locate(face) for face in faces]
    files += [loc.path for loc in located]
    sets = [cmap_coverage(loc.path, loc.index) for loc in located]
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
    _store(_chain_cache(fonts), {"stamp": stamp, "files": stats, "classes": classes})
    return chain
