"""texreport.coverage: the font chain covers every alphabet the fuzzer uses; an uncovered character is named,
never lost; coverage is cached on disk and read again when a font changes.

Coverage comes from the fonts' cmaps (fontTools), the faces from :data:`texreport.fonts.FONT_SETS`.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from hostile_support import ALPHABETS, UNCOVERED
from texreport import coverage
from texreport.coverage import default_chain
from texreport.errors import ToolMissingError, UnsupportedCharacterError
from texreport.fonts import DEFAULT_FONT_SET, FONT_SETS, FontFace, font_class
from texreport.pipeline import prepare

DEFAULT = FONT_SETS[DEFAULT_FONT_SET]
FACES = {
    "latin text": DEFAULT.text.checked,
    "latin mono": DEFAULT.mono.checked,
    "cjk": DEFAULT.cjk_text.checked + DEFAULT.cjk_mono.checked,
    "fallback (HanaMin)": DEFAULT.fallback,
    "symbols (Symbola)": (DEFAULT.symbols,),
}


@pytest.mark.parametrize("group", FACES)
def test_each_configured_face_is_installed_and_enumerable(group):
    for face in FACES[group]:
        located = coverage._locate(face)
        codepoints = coverage.cmap_coverage(located.path, located.index)
        # Every face holds at least Basic Latin digits or its own script: a nonempty, plausible cmap.
        assert len(codepoints) > 200, (face, len(codepoints))
        print(f"{face.family} {face.style}: {len(codepoints)} code points")


def test_face_coverage_matches_what_each_face_is_for():
    chain = default_chain()
    assert {ord(c) for c in "Łukasz Dvořák Ελληνικά Україна"} - {32} <= chain.latin_text
    assert {ord(c) for c in "public static void main"} - {32} <= chain.latin_mono
    assert {ord(c) for c in "多态线程あいうカタカナ한국어"} <= chain.cjk
    assert ord("𪚥") not in chain.cjk and ord("𪚥") in chain.fallback  # Extension B: HanaMin only
    assert {ord(c) for c in "😀🚀✅⭐"} <= chain.symbols


@pytest.mark.parametrize("script", ALPHABETS)
def test_chain_covers_test_alphabet(script):
    chain = default_chain()
    missing = [f"{ch} U+{ord(ch):04X} {unicodedata.name(ch, '?')} ({font_class(ch)})"
               for ch in ALPHABETS[script] if not chain.covers(ch)]
    assert missing == []


@pytest.mark.parametrize("character", list(UNCOVERED))
def test_uncovered_character_is_known_to_be_uncovered(character):
    assert not default_chain().covers(character)


FIELDS = [
    ("overallFeedback", lambda d, t: d.__setitem__("overallFeedback", t)),
    ("strengths.0", lambda d, t: d.__setitem__("strengths", [t])),
    ("categoryScores.0.category", lambda d, t: d["categoryScores"][0].__setitem__("category", t)),
    ("questionDetails.1.userAnswer", lambda d, t: d["questionDetails"][1].__setitem__("userAnswer", t)),
    ("questionDetails.2.feedback", lambda d, t: d["questionDetails"][2].__setitem__("feedback", t)),
    ("candidate.name", lambda d, t: d.__setitem__("candidate", {"name": t})),
]


@pytest.mark.parametrize("character", list(UNCOVERED))
@pytest.mark.parametrize("field, put", FIELDS, ids=[f[0] for f in FIELDS])
def test_uncovered_character_is_an_error_naming_it_and_its_field(document, field, put, character):
    put(document, f"前文 text {character} after")
    with pytest.raises(UnsupportedCharacterError) as caught:
        prepare(document)  # before any compile
    assert caught.value.character == character
    assert caught.value.field == field
    assert f"U+{ord(character):04X}" in str(caught.value) and field in str(caught.value)


def test_invisible_characters_are_dropped_not_reported(document):
    document["overallFeedback"] = "a\u200bb\u202ec\ufeffd\u00ade\u2066f"
    prepare(document)  # no UnsupportedCharacterError: these never reach TeX


def test_uncovered_character_raises_naming_it_and_the_field() -> None:
    chain = default_chain()
    assert not chain.covers("\u0d9e")  # Sinhala: no font in the chain has it
    with pytest.raises(UnsupportedCharacterError) as caught:
        chain.check_text("fine 中文 then \u0d9e", field="questionDetails.2.userAnswer")
    assert caught.value.character == "\u0d9e"
    assert caught.value.field == "questionDetails.2.userAnswer"
    assert "U+0D9E" in str(caught.value)


def test_removed_characters_never_fail() -> None:
    default_chain().check_text("a\x00\x1b\u200b\u202e\ufeff\ufe0f\u2028b\tc", field="x")


def test_monospace_is_checked_against_the_mono_fonts() -> None:
    chain = default_chain()
    vietnamese = "\u1ea2"  # Ả: in DejaVu Sans, not in DejaVu Sans Mono
    assert chain.covers(vietnamese, monospace=False)
    assert not chain.covers(vietnamese, monospace=True)
    assert not chain.covers(vietnamese)


def test_missing_font_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ToolMissingError, match="fonts-nowhere"):
        coverage._locate(FontFace("No Such Font Family XYZ", "Regular", "fonts-nowhere"))


def test_disk_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXREPORT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    located = coverage._locate(FONT_SETS[DEFAULT_FONT_SET].symbols)
    fresh = coverage.cmap_coverage.__wrapped__(located.path, located.index)
    assert (tmp_path / "texreport" / "coverage-v1.json").exists()
    assert coverage.cmap_coverage.__wrapped__(located.path, located.index) == fresh
    assert 0x1F600 in fresh


def test_chain_is_cached_on_disk_and_read_again_when_a_font_changes(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXREPORT_CACHE_DIR", str(tmp_path))
    fresh = default_chain.__wrapped__()
    stored = json.loads((tmp_path / "chain-v1.json").read_text(encoding="utf-8"))
    assert any("DejaVuSans" in path for path, _, _ in stored["files"])

    def no_fc_match(face):
        raise AssertionError("a valid cached chain needs no fc-match")

    monkeypatch.setattr(coverage, "_locate", no_fc_match)
    cached = default_chain.__wrapped__()
    for name in ("latin_text", "latin_mono", "cjk", "symbols", "fallback"):
        assert getattr(cached, name).ranges() == getattr(fresh, name).ranges()
    assert cached.covers("中") and cached.covers("😀") and not cached.covers("\U000F0000")

    stored["files"][0][1] += 1  # as if the font file had been replaced
    (tmp_path / "chain-v1.json").write_text(json.dumps(stored), encoding="utf-8")
    with pytest.raises(AssertionError, match="fc-match"):
        default_chain.__wrapped__()


def test_codepoint_ranges_behave_like_a_set() -> None:
    ranges = coverage.CodepointRanges([[10, 12], [1, 3], [20, 20]])
    assert list(ranges) == [1, 2, 3, 10, 11, 12, 20] and len(ranges) == 7
    assert 11 in ranges and 4 not in ranges and 0 not in ranges and 21 not in ranges and "a" not in ranges
    assert {1, 2, 20} <= ranges and not {1, 4} <= ranges
