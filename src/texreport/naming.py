"""Session ids as they may appear in file names and HTTP headers.

A session id is user text. It is used in a file name or a header only when it
matches :data:`SESSION_ID_PATTERN` (the platform's 16-character ids and UUIDs do);
anything else is refused rather than "cleaned", so two ids never map to one name.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["SESSION_ID_PATTERN", "EXPORT_PREFIX", "PROGRESS_PREFIX", "is_safe_session_id", "export_filename",
           "ascii_export_filename", "content_disposition", "progress_filename", "progress_content_disposition"]

SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
EXPORT_PREFIX = "模拟面试报告_"
PROGRESS_PREFIX = "面试进步报告_"


def is_safe_session_id(session_id: str) -> bool:
    return SESSION_ID_PATTERN.fullmatch(session_id) is not None


def export_filename(session_id: str) -> str:
    """``模拟面试报告_{sessionId}.pdf``; the id must be safe (see module docstring)."""
    if not is_safe_session_id(session_id):
        raise ValueError("session id cannot be used in a file name")
    return f"{EXPORT_PREFIX}{session_id}.pdf"


def ascii_export_filename(session_id: str) -> str:
    """The ASCII fallback name for clients without RFC 5987 support."""
    if not is_safe_session_id(session_id):
        raise ValueError("session id cannot be used in a file name")
    return f"interview-report-{session_id}.pdf"


def content_disposition(session_id: str) -> str:
    """The export endpoint's header: ASCII ``filename`` first, RFC 5987 ``filename*`` last.

    The API page's browser code takes everything after ``filename*=UTF-8''``, so that
    parameter must be the last one.
    """
    encoded = quote(export_filename(session_id), safe="")
    return f"attachment; filename=\"{ascii_export_filename(session_id)}\"; filename*=UTF-8''{encoded}"


def progress_filename(identifier: str) -> str:
    """``面试进步报告_{id}.pdf`` for a candidate id (or a session id); the id must be safe."""
    if not is_safe_session_id(identifier):
        raise ValueError("id cannot be used in a file name")
    return f"{PROGRESS_PREFIX}{identifier}.pdf"


def progress_content_disposition(identifier: str) -> str:
    """The progress export's header, shaped like :func:`content_disposition` (ASCII ``interview-progress-…``)."""
    encoded = quote(progress_filename(identifier), safe="")
    return f"attachment; filename=\"interview-progress-{identifier}.pdf\"; filename*=UTF-8''{encoded}"
