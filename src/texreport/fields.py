"""The one description of the document's text fields and lists; validation, limits and checks read it.

Each :class:`TextField` names a user string by its dotted camelCase path, with ``*``
for a list index (``questionDetails.*.category``), and says what kind of text it is:

* ``long``: answers, feedback, questions (:data:`~texreport.limits.MAX_TEXT_CHARS`);
* ``item``: one entry of a bullet list (:data:`~texreport.limits.MAX_ITEM_CHARS`);
* ``label``: names, titles, URLs (:data:`~texreport.limits.MAX_LABEL_CHARS`);
* ``heading``: typeset as a heading or a table row (categories, plan areas):
  :data:`~texreport.limits.MAX_HEADING_CHARS`, and one line only (the model turns
  every line or paragraph break in it into a space);
* ``id``: ``sessionId`` (validated on its own, see :mod:`texreport.models`).

``printed`` is False for strings the PDF never shows (``referenceAnswers[].question``).
:data:`LIST_FIELDS` gives the entry limit of every list. Adding a text field means
adding its model attribute and one line here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .limits import (
    MAX_CATEGORIES,
    MAX_HEADING_CHARS,
    MAX_ITEM_CHARS,
    MAX_LABEL_CHARS,
    MAX_LIST_ITEMS,
    MAX_QUESTIONS,
    MAX_TEXT_CHARS,
    SESSION_ID_MAX_LENGTH,
)

__all__ = ["CHAR_LIMITS", "LIST_FIELDS", "TEXT_FIELDS", "Kind", "TextField", "field_for", "walk"]

Kind = Literal["long", "item", "label", "heading", "id"]

CHAR_LIMITS: dict[Kind, int] = {
    "long": MAX_TEXT_CHARS,
    "item": MAX_ITEM_CHARS,
    "label": MAX_LABEL_CHARS,
    "heading": MAX_HEADING_CHARS,
    "id": SESSION_ID_MAX_LENGTH,
}


@dataclass(frozen=True)
class TextField:
    path: str
    kind: Kind
    printed: bool = True

    @property
    def limit(self) -> int:
        return CHAR_LIMITS[self.kind]


# In document order: a report's first bad field is the first one a reader meets.
TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("sessionId", "id"),
    TextField("candidate.id", "id", printed=False),   # the progress report prints it, the single report not
    TextField("candidate.name", "label"),
    TextField("candidate.targetPosition", "label"),
    TextField("candidate.experienceLevel", "label"),
    TextField("interview.interviewer", "label"),
    TextField("interview.interviewType", "label"),
    TextField("overallFeedback", "long"),
    TextField("strengths.*", "item"),
    TextField("improvements.*", "item"),
    TextField("categoryScores.*.category", "heading"),
    TextField("questionDetails.*.question", "long"),
    TextField("questionDetails.*.category", "heading"),
    TextField("questionDetails.*.userAnswer", "long"),
    TextField("questionDetails.*.feedback", "long"),
    TextField("referenceAnswers.*.question", "long", printed=False),
    TextField("referenceAnswers.*.referenceAnswer", "long"),
    TextField("referenceAnswers.*.keyPoints.*", "item"),
    TextField("improvementPlan.items.*.area", "heading"),
    TextField("improvementPlan.items.*.actions.*", "item"),
    TextField("improvementPlan.items.*.resources.*.title", "label"),
    TextField("improvementPlan.items.*.resources.*.detail", "label"),
    TextField("improvementPlan.items.*.resources.*.url", "label"),
)

#: Entry limits of every list, by path (``*`` for an index).
LIST_FIELDS: dict[str, int] = {
    "questionDetails": MAX_QUESTIONS,
    "referenceAnswers": MAX_QUESTIONS,
    "categoryScores": MAX_CATEGORIES,
    "strengths": MAX_LIST_ITEMS,
    "improvements": MAX_LIST_ITEMS,
    "referenceAnswers.*.keyPoints": MAX_LIST_ITEMS,
    "improvementPlan.items": MAX_CATEGORIES,
    "improvementPlan.items.*.actions": MAX_LIST_ITEMS,
    "improvementPlan.items.*.resources": MAX_LIST_ITEMS,
}

_BY_PATH = {field.path: field for field in TEXT_FIELDS}


def field_for(path: str) -> TextField | None:
    """The table entry of a concrete path (``questionDetails.3.category``), if it is a text field."""
    pattern = ".".join("*" if part.isdigit() else part for part in path.split("."))
    return _BY_PATH.get(pattern)


def _trie(paths: list[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for part in path.split("."):
            node = node.setdefault(part, {})
        node[""] = path  # the leaf marker holds the pattern
    return root


_TEXT_TRIE = _trie([field.path for field in TEXT_FIELDS])
_LIST_TRIE = _trie(list(LIST_FIELDS))


def walk(document: object, *, lists: bool = False) -> Iterator[tuple[str, str, Any]]:
    """``(concrete path, pattern, value)`` for every text field (or list, with ``lists=True``) present.

    Works on a validated :class:`~texreport.models.Report` (attributes found by
    their camelCase alias) and on raw parsed JSON (mappings, by key), entry by
    entry in document order (a question's fields together).
    """
    yield from _walk(document, _LIST_TRIE if lists else _TEXT_TRIE, "")


def _walk(value: object, node: dict[str, Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    if "" in node:
        yield prefix, node[""], value
    for part, child in node.items():
        if part == "":
            continue
        if part == "*":
            if isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    yield from _walk(item, child, f"{prefix}.{index}")
            continue
        found = _member(value, part)
        if found is not None:
            yield from _walk(found, child, f"{prefix}.{part}" if prefix else part)


def _member(value: object, alias: str) -> object:
    if isinstance(value, Mapping):
        return value.get(alias)
    model_fields = getattr(type(value), "model_fields", None)
    if model_fields is None:
        return None
    for name, info in model_fields.items():
        if (info.alias or name) == alias or name == alias:
            return getattr(value, name)
    return None
