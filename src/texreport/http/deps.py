"""What routes depend on: the app's services, a session id turned into a record (or a 404), a candidate
id checked (or a 404), and the ``?lang=`` / ``?theme=`` query parameters checked (or a 422 naming them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ..labels import LANGUAGES
from ..models import Report
from ..naming import is_safe_session_id
from ..theme import Theme
from .exports import Exports
from .metrics import Metrics
from .progress_exports import CandidateNotFound, ProgressExports
from .readiness import Readiness
from .records import SessionRecord
from .render_queue import RenderQueue
from .settings import Settings
from .statuses import ParameterInvalid
from .store import SessionNotFound, Store

__all__ = [
    "CandidateId",
    "LangDep",
    "Services",
    "ServicesDep",
    "SessionDep",
    "SessionId",
    "ThemeDep",
    "checked_lang",
    "picked_theme",
    "safe_candidate_id",
    "safe_session_id",
    "services",
    "session_record",
]


@dataclass(frozen=True)
class Services:
    """Everything a route uses, built once by ``create_app`` (``app.state.services``)."""

    settings: Settings
    store: Store
    queue: RenderQueue
    exports: Exports
    readiness: Readiness
    metrics: Metrics
    check: Callable[[Report], None]     # raises InputError for text no font can draw
    version: str
    progress: ProgressExports           # the progress report across a candidate's sessions


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def safe_session_id(session_id: str) -> str:
    """The path's session id if it is well-formed; anything else is "not found" before storage sees it."""
    if not is_safe_session_id(session_id):
        raise SessionNotFound(session_id)
    return session_id


ServicesDep = Annotated[Services, Depends(services)]
SessionId = Annotated[str, Depends(safe_session_id)]


async def session_record(session_id: SessionId, found: ServicesDep) -> SessionRecord:
    record = await run_in_threadpool(found.store.get_session, session_id)
    if record is None:
        raise SessionNotFound(session_id)
    return record


SessionDep = Annotated[SessionRecord, Depends(session_record)]


def safe_candidate_id(candidate_id: str) -> str:
    """The path's candidate id if it is well-formed (the session id's rules); anything else is "not found"."""
    if not is_safe_session_id(candidate_id):
        raise CandidateNotFound(candidate_id)
    return candidate_id


CandidateId = Annotated[str, Depends(safe_candidate_id)]


async def checked_lang(lang: Annotated[str | None, Query(
        description="The PDF's language: zh or en (default: the report's own, else zh)")] = None) -> str | None:
    """``?lang=``: one of the labels' languages or absent; anything else is a 422 naming ``lang``."""
    if lang is not None and lang not in LANGUAGES:
        raise ParameterInvalid("lang", f"must be {' or '.join(LANGUAGES)}")
    return lang


async def picked_theme(found: ServicesDep, theme: Annotated[str | None, Query(
        description="A theme the service offers, by name (texreport serve --theme); the first is the "
                    "default. Never a path.")] = None) -> Theme | None:
    """``?theme=NAME`` among the configured themes (``None``: the default); else a 422 naming ``theme``."""
    try:
        return found.settings.picked_theme(theme)
    except KeyError:
        offered = ", ".join(choice.name for choice in found.settings.offered_themes())
        raise ParameterInvalid("theme", f"must be one of: {offered}") from None


LangDep = Annotated[str | None, Depends(checked_lang)]
ThemeDep = Annotated[Theme | None, Depends(picked_theme)]
