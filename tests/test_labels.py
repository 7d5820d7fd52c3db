"""labels: zh and en carry the same keys and the same placeholders; no label is empty."""

from __future__ import annotations

import string

import pytest

from texreport.labels import DEFAULT_LANGUAGE, LANGUAGES, labels_for


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


LABELS = {lang: labels_for(lang) for lang in LANGUAGES}
KEYS = sorted(LABELS[DEFAULT_LANGUAGE])


def test_languages() -> None:
    assert set(LANGUAGES) == {"zh", "en"}
    assert DEFAULT_LANGUAGE == "zh"


def test_same_keys_in_every_language() -> None:
    zh, en = set(LABELS["zh"]), set(LABELS["en"])
    assert zh - en == set(), "keys only in zh"
    assert en - zh == set(), "keys only in en"


@pytest.mark.parametrize("key", KEYS)
def test_same_placeholders(key: str) -> None:
    assert placeholders(LABELS["zh"][key]) == placeholders(LABELS["en"][key])


AFFIXES = ("_prefix", "_middle", "_suffix")   # parts around a number: English needs no "页" after it


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_empty_label(lang: str) -> None:
    empty = [key for key, value in LABELS[lang].items()
             if not isinstance(value, str) or (not value.strip() and not key.endswith(AFFIXES))]
    assert empty == []


@pytest.mark.parametrize("key", [key for key in KEYS if key.endswith(AFFIXES)])
def test_an_affix_is_text_in_at_least_one_language(key: str) -> None:
    assert all(isinstance(LABELS[lang][key], str) for lang in LANGUAGES)
    assert any(LABELS[lang][key].strip() for lang in LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_named_and_format(lang: str) -> None:
    for key, value in LABELS[lang].items():
        names = placeholders(value)
        assert "" not in names, key   # positional {} would depend on argument order
        value.format(**{name: "X" for name in names})   # well-formed braces


def test_plan_phrases_have_placeholders() -> None:
    assert any(placeholders(value) for key, value in LABELS["en"].items() if key.startswith("plan_"))


def test_a_fresh_copy_each_call() -> None:
    first = labels_for("en")
    first["title"] = "changed"
    assert labels_for("en")["title"] != "changed"


@pytest.mark.parametrize("lang", ["fr", "", "ZH", "zh-CN"])
def test_unknown_language(lang: str) -> None:
    with pytest.raises(KeyError, match="no labels for language"):
        labels_for(lang)
