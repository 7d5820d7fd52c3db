"""The font chain covers every alphabet the fuzzer uses; an uncovered character is named, never lost.

Coverage comes from the fonts' cmaps through :mod:`texreport.fonts` (fontTools).
"""

from __future__ import annotations

import unicodedata

import pytest

from hostile_support import ALPHABETS, UNCOVERED
from texreport import fonts
from texreport.errors import UnsupportedCharacterError
from texreport.fonts import default_chain, font_class
from texreport.pipeline import prepare

FACES = {
    "latin text": fonts.LATIN_TEXT,
    "latin mono": fonts.LATIN_MONO,
    "cjk": fonts.CJK_FACES,
    "fallback (HanaMin)": fonts.FALLBACK_FACES,
    "symbols (Symbola)": (fonts.SYMBOL_FACE,),
}


@pytest.mark.parametrize("group", FACES)
def test_each_configured_face_is_installed_and_enumerable(group):
    for face in FACES[group]:
        located = fonts._locate(face)
        codepoints = fonts._coverage(located.path, located.index)
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
