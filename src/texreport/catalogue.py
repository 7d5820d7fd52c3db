"""The learning-resource catalogue (``data/resources.json``) and how a category name finds its entry.

Pure apart from reading the package's own JSON once. :func:`catalogue_entry_for`
matches a category: exact alias, then contained alias, else the fallback;
comparison ignores case, width and separators (:func:`same_name`).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources as _resources
from typing import Any

__all__ = ["Resource", "CatalogueEntry", "catalogue_entry_for", "default_entry", "load_catalogue", "same_name"]


@dataclass(frozen=True)
class Resource:
    title: str
    detail: str        # author / kind / where to find it; plain text, may hold a URL shown as text


@dataclass(frozen=True)
class CatalogueEntry:
    """One category of the learning-resource catalogue (``data/resources.json``)."""

    id: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    generic: bool                       # a broad entry ("Java") that loses to a specific one ("Java并发")
    actions: dict[str, tuple[str, ...]]
    resources: tuple[tuple[Resource, str], ...]   # (resource, language of the resource)

    def resources_for(self, lang: str) -> list[Resource]:
        """Resources in the reader's language first, then the rest, each group in catalogue order."""
        ordered = sorted(self.resources, key=lambda pair: pair[1] != lang)
        return [resource for resource, _ in ordered]


@dataclass(frozen=True)
class _Catalogue:
    entries: tuple[CatalogueEntry, ...]
    fallback: CatalogueEntry


def _entry(raw: dict[str, Any]) -> CatalogueEntry:
    # The package's own JSON, checked by tests/test_view.py (test_catalogue_is_complete).
    return CatalogueEntry(
        id=str(raw["id"]),
        names=dict(raw["name"]),
        aliases=tuple(raw.get("aliases", ())),
        generic=bool(raw.get("generic", False)),
        actions={lang: tuple(texts) for lang, texts in raw["actions"].items()},
        resources=tuple(
            (Resource(title=item["title"], detail=item.get("detail", "")), item.get("lang", "en"))
            for item in raw["resources"]
        ),
    )


@functools.cache
def _catalogue() -> _Catalogue:
    # Data, not code: a curator edits the JSON without touching Python.
    text = _resources.files("texreport").joinpath("data/resources.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return _Catalogue(entries=tuple(_entry(item) for item in raw["entries"]), fallback=_entry(raw["fallback"]))


def load_catalogue() -> tuple[CatalogueEntry, ...]:
    """Every catalogue entry, fallback last (cached after the first call)."""
    catalogue = _catalogue()
    return (*catalogue.entries, catalogue.fallback)


# Separators that people write differently ("Spring Boot", "spring-boot", "数据结构 & 算法").
_SEPARATORS = re.compile(r"[\s\-_·・/&.,:;|()（）、，：]+")


def _spaced(text: str) -> str:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _tight(text: str) -> str:
    return _spaced(text).replace(" ", "")


def _is_word_char(character: str) -> bool:
    return character.isascii() and character.isalnum()


def _contains(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` and is not part of a longer Latin word ("java" ∉ "javascript")."""
    if not needle:
        return False
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = start == 0 or not (_is_word_char(needle[0]) and _is_word_char(haystack[start - 1]))
        after_ok = end == len(haystack) or not (_is_word_char(needle[-1]) and _is_word_char(haystack[end]))
        if before_ok and after_ok:
            return True
        start = haystack.find(needle, start + 1)
    return False


def catalogue_entry_for(category: str) -> CatalogueEntry:
    """The catalogue entry for a category name: exact alias, else contained alias, else the fallback.

    Comparison ignores case, width and separators. Among contained aliases a
    specific entry beats a generic one, then the longer alias wins
    ("Java并发编程" → concurrency, "Spring Boot 原理" → Spring Boot).
    """
    catalogue = _catalogue()
    tight, spaced = _tight(category), _spaced(category)
    if not tight:
        return catalogue.fallback
    for entry in catalogue.entries:
        if any(_tight(alias) == tight for alias in entry.aliases):
            return entry
    best: tuple[bool, int, int] | None = None
    chosen = catalogue.fallback
    for order, entry in enumerate(catalogue.entries):
        for alias in entry.aliases:
            if _contains(spaced, _spaced(alias)) or _contains(tight, _tight(alias)):
                rank = (entry.generic, -len(_tight(alias)), order)
                if best is None or rank < best:
                    best, chosen = rank, entry
    return chosen


def default_entry() -> CatalogueEntry:
    """The fallback entry (categories the catalogue does not know)."""
    return _catalogue().fallback


def same_name(left: str, right: str) -> bool:
    """Whether two category names are the same, ignoring case, width and separators."""
    return _tight(left) == _tight(right) if _tight(left) else left == right
