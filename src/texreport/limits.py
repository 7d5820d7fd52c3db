"""Every bound texreport puts on an input document, in one place (see the table in :mod:`texreport.models`).

Kept free of imports: the CLI reads :data:`MAX_DOCUMENT_BYTES` before it loads pydantic,
and the HTTP service stores counts and indexes in database integer columns.
"""

from __future__ import annotations

__all__ = [
    "MAX_CATEGORIES",
    "MAX_COUNT",
    "MAX_DOCUMENT_BYTES",
    "MAX_HEADING_CHARS",
    "MAX_INT_DIGITS",
    "MAX_ITEM_CHARS",
    "MAX_KEYWORDS_CHARS",
    "MAX_LABEL_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_QUESTIONS",
    "MAX_TEXT_CHARS",
    "MAX_TEXT_LINES",
    "MAX_TOTAL_CHARS",
    "SESSION_ID_MAX_LENGTH",
]

SESSION_ID_MAX_LENGTH = 128
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_TEXT_CHARS = 20_000
MAX_TEXT_LINES = 500
MAX_ITEM_CHARS = 10_000
MAX_LABEL_CHARS = 1_000
#: Category names and plan areas: a category is one row of the category table
#: (0.4 of the text width, which a row never breaks across pages) and a question's
#: or plan item's heading (which never breaks across pages either). 200 CJK
#: characters are 14 table lines and 6 heading lines: measured to fit, with margin.
MAX_HEADING_CHARS = 200
MAX_QUESTIONS = 500
MAX_CATEGORIES = 100
MAX_LIST_ITEMS = 200
MAX_TOTAL_CHARS = 500_000
#: Counts and indexes (``questionIndex``, ``questionCount``, ``totalQuestions``):
#: at most 2^31-1, so that every store's INTEGER column holds them.
MAX_COUNT = 2**31 - 1
#: An integer literal longer than this anywhere in the JSON (even in a field
#: texreport ignores) refuses the document, naming the field; Python could not
#: even convert one of more than 4,300 digits.
MAX_INT_DIGITS = 100
#: The PDF's keyword list (every category name) is cut at this many characters
#: (whole names only): it is metadata on one source line, and the names are printed anyway.
MAX_KEYWORDS_CHARS = 2_000
