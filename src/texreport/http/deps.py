"""What routes depend on: the app's services, and a session id turned into a record (or a 404)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..models import Report
from ..naming import is_safe_session_id
from .exports import Exports
from .metrics import Metrics
from .progress_exports import ProgressExports
from .readiness import Readiness
from .records import SessionRecord
from .render_queue import RenderQueue
from .settings import Settings
from .store import SessionNotFound, Store

__all__ = [
    "Services",
    "ServicesDep",
    "SessionDep",
    "SessionId",
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
