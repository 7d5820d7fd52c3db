"""Themes: loading and checking theme files, and the look they give a PDF on the CLI and batch paths.

(The service path is in tests/test_http_themes.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pdfcheck import pdf_pages, pdf_text, render_file
from texreport.bands import BANDS
from texreport.errors import InputError, UnsupportedCharacterError
from texreport.fonts import FONT_SETS
from texreport.theme import (
    COLOUR_ROLES,
    MAX_LOGO_BYTES,
    THEME_FILE,
    Theme,
    ThemeError,
    builtin_names,
    builtin_theme,
    load_theme,
    resolve_theme,
)
from themecheck import assert_themed, fill_colours, first_page_images, font_names, pdf_logo, png_logo, rgb

TEXREPORT = [sys.executable, "-m", "texreport.cli"]
INK = builtin_theme("ink")


def write_theme(folder: Path, text: str, files: dict[str, bytes] | None = None) -> Path:
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    path = folder / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading


def test_two_themes_ship_and_differ_visibly() -> None:
    assert builtin_names()[0] == "default" and "ink" in builtin_names()
    default = builtin_theme("default")
    assert default.organisation == "" and default.logo is None and default.footer == ""
    assert INK.colours["primary"] != default.colours["primary"]
    assert INK.font_set != default.font_set
    assert INK.organisation and INK.footer and INK.logo is not None and INK.logo.extension == "png"


@pytest.mark.parametrize("name", builtin_names())
def test_every_band_has_its_colours(name: str) -> None:
    theme = builtin_theme(name)
    assert set(theme.bands) == set(BANDS)
    latex = theme.latex()
    for band in BANDS:
        colours = theme.bands[band]
        assert f"\\TRsetband{{{band}}}{{{colours.fill}}}{{{colours.text}}}{{{colours.on}}}" in latex
    for role, colour in COLOUR_ROLES.items():
        assert f"\\TRsetcolour{{{colour}}}{{{theme.colours[role]}}}" in latex


def test_the_style_defines_no_band_or_theme_colour_itself() -> None:
    """The theme is the one source: a colour the style also set would hide a theme that forgot it."""
    style = (Path(__file__).parent.parent / "latex" / "texreport.sty").read_text(encoding="utf-8")
    for name in [*COLOUR_ROLES.values(), *(f"TR{band}{part}" for band in BANDS for part in ("", "text", "on"))]:
        assert f"\\definecolor{{{name}}}" not in style and f"\\colorlet{{{name}}}" not in style


def test_a_theme_file_holds_only_what_it_changes(tmp_path: Path) -> None:
    theme = load_theme(write_theme(tmp_path, 'name = "mine"\n[colours]\nprimary = "#123abc"\n'))
    default = builtin_theme("default")
    assert theme.name == "mine" and theme.colours["primary"] == "123ABC"
    assert theme.colours["accent"] == default.colours["accent"] and theme.bands == default.bands
    assert theme.font_set == default.font_set and theme.logo is None
    assert theme.files() == {THEME_FILE: theme.latex()}


@pytest.mark.parametrize("text, files, key", [
    ('[colours]\nprimary = "12345"\n', {}, "colours.primary"),
    ('[colours]\nprimary = "12345G"\n', {}, "colours.primary"),
    ('[colours]\ninvisible = "123456"\n', {}, "colours.invisible"),
    ('[bands.excellent]\nfill = "123456"\n', {}, "bands.excellent"),
    ('[bands.good]\nfill = 123456\n', {}, "bands.good.fill"),
    ('[bands.good]\nshade = "123456"\n', {}, "bands.good.shade"),
    ('fonts = "comic"\n', {}, "fonts"),
    ('colour = "123456"\n', {}, "colour"),
    ('name = "a/b"\n', {}, "name"),
    ('[cover]\norganisation = "two\\nlines"\n', {}, "cover.organisation"),
    ('[cover]\norganisation = "%s"\n' % ("x" * 201), {}, "cover.organisation"),
    ('[footer]\ntext = 3\n', {}, "footer.text"),
    ('[cover]\nlogo = "logo.gif"\n', {"logo.gif": b"GIF89a" + bytes(20)}, "cover.logo"),
    ('[cover]\nlogo = "../logo.png"\n', {}, "cover.logo"),
    ('[cover]\nlogo = "/etc/passwd"\n', {}, "cover.logo"),
    ('[cover]\nlogo = "missing.png"\n', {}, "cover.logo"),
    ('[cover]\nlogo = "big.png"\n', {"big.png": png_logo() + bytes(MAX_LOGO_BYTES)}, "cover.logo"),
])
def test_a_bad_theme_names_the_file_and_the_key(tmp_path: Path, text: str, files: dict[str, bytes],
                                                 key: str) -> None:
    path = write_theme(tmp_path, text, files)
    with pytest.raises(ThemeError) as caught:
        load_theme(path)
    assert isinstance(caught.value, InputError) and caught.value.exit_code == 2
    assert str(caught.value).startswith(f"theme {path}: {key}: ")
    assert "\n" not in str(caught.value)


def test_not_a_toml_file(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "this is [not toml")
    with pytest.raises(ThemeError, match="not a UTF-8 TOML file"):
        load_theme(path)


@pytest.mark.parametrize("data, extension", [
    (png_logo(), "png"), (b"\xff\xd8\xff\xe0" + bytes(40), "jpg"), (pdf_logo(), "pdf"),
], ids=["png", "jpeg", "pdf"])
def test_logos_are_known_by_their_first_bytes_and_renamed(tmp_path: Path, data: bytes, extension: str) -> None:
    theme = load_theme(write_theme(tmp_path, '[cover]\nlogo = "Our_Logo-2.bin"\n', {"Our_Logo-2.bin": data}))
    assert theme.logo is not None and theme.logo.extension == extension
    assert theme.files()[f"theme-logo.{extension}"] == data
    assert f"\\TRsetlogo{{theme-logo.{extension}}}" in theme.latex()


def test_theme_text_is_escaped(tmp_path: Path) -> None:
    theme = load_theme(write_theme(tmp_path, '[cover]\norganisation = "\\\\input{/etc/passwd} 100% & $x$"\n'))
    latex = theme.latex()
    assert "\\input{" not in latex and "\\textbackslash{}" in latex
    assert "100\\% \\& \\$x\\$" in latex


def test_resolve_by_name_path_or_default(tmp_path: Path) -> None:
    assert resolve_theme(None) is builtin_theme("default")
    assert resolve_theme("ink") is INK
    assert resolve_theme(INK) is INK
    assert resolve_theme(str(write_theme(tmp_path, 'name = "mine"\n'))).name == "mine"
    with pytest.raises(ThemeError, match="no shipped theme of that name"):
        resolve_theme("nosuch")


def test_font_sets_are_within_the_chain() -> None:
    for theme_name in builtin_names():
        assert builtin_theme(theme_name).font_set in FONT_SETS


# ---------------------------------------------------------------- the PDF


def test_render_with_the_second_theme(tmp_path: Path, document) -> None:
    pdf = render_file(document, tmp_path / "ink.pdf", theme="ink")
    assert_themed(pdf, organisation=INK.organisation, footer=INK.footer, primary=INK.colours["primary"],
                  font="DejaVuSerif")
    assert rgb(INK.bands["poor"].fill) in fill_colours(pdf)


def test_the_default_theme_prints_no_organisation_logo_or_footer_line(sample_pdf: Path) -> None:
    # The checks assert_themed makes, failing here: they can tell a theme's look apart.
    assert "/Image" not in first_page_images(sample_pdf)
    assert rgb(INK.colours["primary"]) not in fill_colours(sample_pdf)
    assert rgb(builtin_theme("default").colours["primary"]) in fill_colours(sample_pdf)
    assert "DejaVuSerif" not in font_names(sample_pdf)
    assert INK.footer not in pdf_text(sample_pdf)


def test_a_pdf_logo_is_drawn(tmp_path: Path, document) -> None:
    theme_file = write_theme(tmp_path, '[cover]\nlogo = "logo.pdf"\norganisation = "ACME"\n',
                             {"logo.pdf": pdf_logo("0.11 0.22 0.33 rg")})
    pdf = render_file(document, tmp_path / "pdf-logo.pdf", theme=str(theme_file))
    assert "/Form" in first_page_images(pdf)
    assert (0.11, 0.22, 0.33) in fill_colours(pdf, first_page_only=True)
    assert "ACME" in pdf_pages(pdf)[0]


def test_theme_text_a_font_cannot_draw_is_refused_naming_the_field(tmp_path: Path, document) -> None:
    theme_file = write_theme(tmp_path, '[footer]\ntext = "ok \U000F0000"\n')
    with pytest.raises(UnsupportedCharacterError) as caught:
        render_file(document, tmp_path / "x.pdf", theme=str(theme_file))
    assert caught.value.field == "theme.footer.text"
    assert not (tmp_path / "x.pdf").exists()


def test_the_theme_font_set_decides_what_can_be_drawn(tmp_path: Path, document) -> None:
    # Georgian: DejaVu Sans draws it, DejaVu Serif does not. One verdict on every theme.
    document["overallFeedback"] = "ສະບາຍດີ ຢ"
    render_file(document, tmp_path / "sans.pdf")
    with pytest.raises(UnsupportedCharacterError) as caught:
        render_file(document, tmp_path / "serif.pdf", theme="ink")
    assert caught.value.field == "overallFeedback"


# ---------------------------------------------------------------- the command line


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(TEXREPORT + args, cwd=cwd, capture_output=True, timeout=300)


@pytest.fixture
def report_file(tmp_path: Path, document) -> Path:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_render_with_a_theme_file(tmp_path: Path, report_file: Path) -> None:
    theme_file = write_theme(tmp_path, '\n'.join([
        'name = "acme"', 'fonts = "serif"', '[colours]', 'primary = "0A6E5C"',
        '[cover]', 'organisation = "ACME 招聘部"', 'logo = "acme.png"',
        '[footer]', 'text = "ACME internal"']), {"acme.png": png_logo()})
    result = run(["render", str(report_file), "-o", "out.pdf", "--theme", str(theme_file)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert_themed(tmp_path / "out.pdf", organisation="ACME 招聘部", footer="ACME internal", primary="0A6E5C",
                  font="DejaVuSerif")


def test_cli_render_with_a_shipped_theme(tmp_path: Path, report_file: Path) -> None:
    result = run(["render", str(report_file), "-o", "out.pdf", "--theme", "ink"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert_themed(tmp_path / "out.pdf", organisation=INK.organisation, footer=INK.footer,
                  primary=INK.colours["primary"], font="DejaVuSerif")


@pytest.mark.parametrize("command", [["render", "-o", "out.pdf"], ["validate"], ["batch", "-o", "out"],
                                     ["tex", "-o", "src"]])
def test_cli_refuses_a_bad_theme_with_one_line_and_exit_2(tmp_path: Path, report_file: Path,
                                                          command: list[str]) -> None:
    theme_file = write_theme(tmp_path, '[bands.good]\nfill = "green"\n')
    result = run([command[0], str(report_file), *command[1:], "--theme", str(theme_file)], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (f"texreport: error: theme {theme_file}: bands.good.fill: "
                                               "'green' is not a colour RRGGBB (hex)")
    assert not (tmp_path / "out.pdf").exists() and not (tmp_path / "out").exists()


def test_cli_validate_checks_characters_in_the_theme_fonts(tmp_path: Path, report_file: Path) -> None:
    document = json.loads(report_file.read_text(encoding="utf-8"))
    document["overallFeedback"] = "ສະບາຍດີ ຢ"
    report_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert run(["validate", str(report_file)], tmp_path).returncode == 0
    result = run(["validate", str(report_file), "--theme", "ink"], tmp_path)
    assert result.returncode == 2 and "overallFeedback" in result.stderr.decode()


@pytest.mark.parametrize("group", ["1", "4"])
def test_cli_batch_with_a_theme(tmp_path: Path, report_file: Path, document, group: str) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for number in range(2):
        document["sessionId"] = f"themed{number:010d}"
        (inputs / f"r{number}.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = run(["batch", str(inputs), "-o", "out", "--group", group, "--theme", "ink"], tmp_path)
    assert result.returncode == 0, result.stderr
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 2
    for pdf in pdfs:
        assert_themed(pdf, organisation=INK.organisation, footer=INK.footer, primary=INK.colours["primary"],
                      font="DejaVuSerif")


def test_theme_objects_are_values() -> None:
    assert isinstance(INK, Theme) and builtin_theme("ink") is INK
    assert INK.fingerprint != builtin_theme("default").fingerprint


def test_each_theme_has_its_own_precompiled_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from texreport.formats import ensure_format, fixed_files

    monkeypatch.setenv("TEXREPORT_CACHE_DIR", str(tmp_path))
    default, ink = ensure_format(fixed_files()), ensure_format(fixed_files("ink"))
    assert default is not None and ink is not None and default != ink
    assert default.is_file() and ink.is_file()
    assert ensure_format(fixed_files(INK)) == ink
    assert fixed_files("ink")["theme-logo.png"] == INK.logo.data  # type: ignore[union-attr]


def test_cli_progress_report_with_a_theme(tmp_path: Path) -> None:
    assert run(["sample", "--progress", "-o", "sessions"], tmp_path).returncode == 0
    result = run(["progress", "sessions", "-o", "progress.pdf", "--theme", "ink"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert_themed(tmp_path / "progress.pdf", organisation=INK.organisation, footer=INK.footer,
                  primary=INK.colours["primary"], font="DejaVuSerif")
