"""Themes: the look of a report as data (colours, font set, organisation, logo, footer line).

A theme is one TOML file (``themes/README.md`` documents every key). The shipped
ones live in the package's ``themes/`` folder and are named by their file stem
(``default``, ``ink``); any other file is named by its path. Keys a theme leaves
out are the default theme's, so a theme file holds only what it changes, and
adding a theme touches nothing but that file.

:meth:`Theme.files` is what a theme adds to every job folder: ``theme.tex`` (read
by ``preload.tex`` right after ``texreport.sty``, so each theme has its own
precompiled format) and the logo, copied under a name this module chooses
(:data:`LOGO_STEM` plus the extension its magic bytes prove). Theme text
(organisation, footer line) is escaped like user text and its characters are
checked against the theme's font set (:meth:`Theme.text_fields`). A bad theme
raises :class:`ThemeError` naming the file and the key.

What a caller must know:

* Colours are ``RRGGBB`` hex; every band of :data:`texreport.bands.BANDS` needs
  ``fill``, ``text`` and ``on`` (text on the fill) colours.
* ``fonts`` names one of :data:`texreport.fonts.FONT_SETS`.
* A logo is PNG, JPEG or PDF (checked by its first bytes), at most
  :data:`MAX_LOGO_BYTES`, a file next to the theme file (no folders, no ``..``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bands import BANDS, Band
from .errors import InputError
from .fonts import DEFAULT_FONT_SET, FONT_SETS

__all__ = ["Theme", "Logo", "BandColours", "ThemeError", "load_theme", "builtin_theme", "builtin_names",
           "resolve_theme", "themes_dir", "DEFAULT_THEME", "THEME_FILE", "LOGO_STEM", "MAX_LOGO_BYTES",
           "COLOUR_ROLES", "MAX_TEXT_CHARS"]

DEFAULT_THEME = "default"
THEME_FILE = "theme.tex"          # the theme's LaTeX, in every job folder
LOGO_STEM = "theme-logo"          # the logo's name in the job folder (never a name from a file or report)
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = 200              # organisation and footer line: one short line each

#: Colour roles a theme sets besides the bands, and the .sty colour each defines.
COLOUR_ROLES: dict[str, str] = {
    "primary": "TRprimary",      # title, headings
    "accent": "TRaccent",        # radar chart, improvement bars
    "muted": "TRmuted",          # labels, footer, secondary text
    "rule": "TRrule",            # rules, chart axes
    "panel": "TRpanel",          # answer panels, gauge track
    "reference": "TRrefbg",      # reference-answer panels
}
_BAND_PARTS = ("fill", "text", "on")
_KEYS = {"name", "description", "fonts", "colours", "bands", "cover", "footer"}
_HEX = re.compile(r"[0-9A-Fa-f]{6}")
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,59}")
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"%PDF-", "pdf"))


class ThemeError(InputError):
    """A theme file that cannot be used; the message names the file and the key."""

    def __init__(self, source: str, message: str, *, key: str | None = None) -> None:
        self.source = source
        super().__init__(message, field=f"theme {source}" + (f": {key}" if key else ""))
        self.field = key


@dataclass(frozen=True)
class BandColours:
    fill: str   # badges, bars, the gauge
    text: str   # scores printed in the band colour
    on: str     # text on the fill


@dataclass(frozen=True)
class Logo:
    data: bytes
    extension: str   # "png", "jpg" or "pdf", from the magic bytes

    @property
    def file_name(self) -> str:
        return f"{LOGO_STEM}.{self.extension}"


@dataclass(frozen=True)
class Theme:
    name: str
    font_set: str
    colours: Mapping[str, str]            # role (COLOUR_ROLES) → RRGGBB
    bands: Mapping[Band, BandColours]
    organisation: str
    footer: str
    logo: Logo | None

    def text_fields(self) -> Iterator[tuple[str, str]]:
        """(field name, text) of the theme's printed text, for the character check."""
        yield "theme.cover.organisation", self.organisation
        yield "theme.footer.text", self.footer

    def latex(self) -> str:
        """``theme.tex``: the macro calls of ``texreport.sty``'s theme section, data escaped."""
        from .escape import escape_line

        lines = [f"% texreport theme {self.name!r} (written by texreport.theme)"]
        lines += [f"\\TRsetcolour{{{COLOUR_ROLES[role]}}}{{{hex_}}}" for role, hex_ in self.colours.items()]
        for band in BANDS:
            colours = self.bands[band]
            lines.append(f"\\TRsetband{{{band}}}{{{colours.fill}}}{{{colours.text}}}{{{colours.on}}}")
        if self.organisation:
            lines.append(f"\\TRsetorganisation{{{escape_line(self.organisation)}}}")
        if self.footer:
            lines.append(f"\\TRsetfooterline{{{escape_line(self.footer)}}}")
        if self.logo is not None:
            lines.append(f"\\TRsetlogo{{{self.logo.file_name}}}")
        return "\n".join(lines) + "\n"

    def files(self) -> dict[str, str | bytes]:
        """What the theme adds to a job folder: ``theme.tex`` and the logo, under the program's names."""
        files: dict[str, str | bytes] = {THEME_FILE: self.latex()}
        if self.logo is not None:
            files[self.logo.file_name] = self.logo.data
        return files

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the theme prints changes (for caches keyed on the look)."""
        digest = hashlib.sha256(self.latex().encode("utf-8") + b"\0" + self.font_set.encode())
        digest.update(self.logo.data if self.logo is not None else b"")
        return digest.hexdigest()[:16]


def themes_dir() -> Path:
    """The shipped themes (top-level ``themes/``, package data)."""
    return Path(__file__).resolve().parent / "themes"


def builtin_names() -> list[str]:
    """Names of the shipped themes, the default first."""
    names = sorted(path.stem for path in themes_dir().glob("*.toml"))
    return sorted(names, key=lambda name: name != DEFAULT_THEME)


@functools.cache
def builtin_theme(name: str = DEFAULT_THEME) -> Theme:
    """A shipped theme by name (cached: the files are part of the package)."""
    if name not in builtin_names():
        raise ThemeError(name, f"no such theme (shipped: {', '.join(builtin_names())})")
    return load_theme(themes_dir() / f"{name}.toml")


def resolve_theme(spec: str | Theme | None) -> Theme:
    """``None`` → the default; a shipped theme's name; else the path of a theme file."""
    if isinstance(spec, Theme):
        return spec
    if spec is None:
        return builtin_theme(DEFAULT_THEME)
    if spec in builtin_names():
        return builtin_theme(spec)
    path = Path(spec)
    if not path.exists() and path.suffix != ".toml" and "/" not in spec:
        raise ThemeError(spec, f"no shipped theme of that name ({', '.join(builtin_names())}) and no such file")
    return load_theme(path)


def load_theme(path: Path) -> Theme:
    """Read and check a theme file; keys it leaves out come from the default theme."""
    raw = _read_toml(path)
    defaults = {} if path.resolve() == (themes_dir() / f"{DEFAULT_THEME}.toml").resolve() else _default_raw()
    source = str(path)
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ThemeError(source, "unknown key (see themes/README.md)", key=unknown[0])
    merged = _merge(defaults, raw)
    cover, footer = _table(merged, "cover", source), _table(merged, "footer", source)
    return Theme(
        name=_name(raw.get("name", path.stem), source),
        font_set=_font_set(merged.get("fonts", DEFAULT_FONT_SET), source),
        colours=_colours(_table(merged, "colours", source), source),
        bands=_bands(_table(merged, "bands", source), source),
        organisation=_text(cover.get("organisation", ""), "cover.organisation", source),
        footer=_text(footer.get("text", ""), "footer.text", source),
        logo=_logo(cover.get("logo", ""), path.parent, source),
    )


@functools.cache
def _default_raw() -> dict[str, Any]:
    return _read_toml(themes_dir() / f"{DEFAULT_THEME}.toml")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ThemeError(str(path), f"cannot read it ({error.strerror or error})") from None
    if len(data) > 64 * 1024:
        raise ThemeError(str(path), "larger than 64 KiB; a theme file holds settings only")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ThemeError(str(path), f"not a UTF-8 TOML file ({error})") from None


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _table(raw: Mapping[str, Any], key: str, source: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ThemeError(source, "must be a table", key=key)
    return value


def _colour(value: object, key: str, source: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value.removeprefix("#")):
        raise ThemeError(source, f"{value!r} is not a colour RRGGBB (hex)", key=key)
    return value.removeprefix("#").upper()


def _colours(table: Mapping[str, Any], source: str) -> dict[str, str]:
    for key in table:
        if key not in COLOUR_ROLES:
            raise ThemeError(source, f"unknown colour (known: {', '.join(COLOUR_ROLES)})", key=f"colours.{key}")
    missing = [role for role in COLOUR_ROLES if role not in table]
    if missing:
        raise ThemeError(source, "missing", key=f"colours.{missing[0]}")
    return {role: _colour(table[role], f"colours.{role}", source) for role in COLOUR_ROLES}


def _bands(table: Mapping[str, Any], source: str) -> dict[Band, BandColours]:
    for key in table:
        if key not in BANDS:
            raise ThemeError(source, f"unknown band (bands: {', '.join(BANDS)})", key=f"bands.{key}")
    bands: dict[Band, BandColours] = {}
    for band in BANDS:
        entry = table.get(band)
        if not isinstance(entry, dict):
            raise ThemeError(source, "missing (a table with fill, text and on)", key=f"bands.{band}")
        unknown = sorted(set(entry) - set(_BAND_PARTS))
        if unknown:
            raise ThemeError(source, "unknown key (fill, text, on)", key=f"bands.{band}.{unknown[0]}")
        parts = {part: _colour(entry.get(part), f"bands.{band}.{part}", source) for part in _BAND_PARTS}
        bands[band] = BandColours(**parts)
    return bands


def _name(value: object, source: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ThemeError(source, "1 to 60 letters, digits, spaces, '.', '_' or '-'", key="name")
    return value


def _font_set(value: object, source: str) -> str:
    if value not in FONT_SETS:
        raise ThemeError(source, f"{value!r} is not a font set (known: {', '.join(FONT_SETS)})", key="fonts")
    return str(value)


def _text(value: object, key: str, source: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise ThemeError(source, "must be a string", key=key)
    if "\n" in value or "\r" in value:
        raise ThemeError(source, "must be one line", key=key)
    if len(value) > limit:
        raise ThemeError(source, f"longer than {limit} characters", key=key)
    return value.strip()


def _logo(value: object, folder: Path, source: str) -> Logo | None:
    if not isinstance(value, str):
        raise ThemeError(source, "must be a file name", key="cover.logo")
    if not value:
        return None
    if not _SAFE_FILE.fullmatch(value):
        raise ThemeError(source, "must be a plain file name next to the theme file", key="cover.logo")
    try:
        with (folder / value).open("rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)   # never more, whatever the file claims to be
    except OSError as error:
        raise ThemeError(source, f"{value}: cannot read it ({error.strerror or error})", key="cover.logo") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ThemeError(source, f"{value}: larger than {MAX_LOGO_BYTES // 1024} KiB", key="cover.logo")
    extension = next((ext for magic, ext in _MAGIC if data.startswith(magic)), None)
    if extension is None:
        raise ThemeError(source, f"{value}: not a PNG, JPEG or PDF file", key="cover.logo")
    return Logo(data=data, extension=extension)
