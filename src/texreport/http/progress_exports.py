"""Progress PDFs across a candidate's sessions: grouping, cache key, cache, single flight (no web framework).

:meth:`ProgressExports.candidate_pdf` serves
``GET /api/interview/candidates/{candidateId}/progress/export`` and
:meth:`ProgressExports.stateless_pdf` serves ``POST /api/reports/progress/pdf``.
What a caller must know:

* A candidate's sessions are the stored sessions whose document carries that
  ``candidate.id`` (:meth:`~texreport.http.store.Store.candidate_sessions`);
  only those with a generated report count, the latest
  :data:`~texreport.progress.MAX_SESSIONS` of them by creation. A session
  without an interview time is placed by its creation time.
* Errors: :class:`CandidateNotFound` (no session names the candidate: 404),
  :class:`TooFewReports` (fewer than two generated reports: 400, its message
  says how many), ``QueueFull`` / ``ClientGone`` and whatever the renderer
  raised (:class:`~texreport.errors.InputError`, :class:`~texreport.errors.RenderError`).
* PDFs are cached in memory per instance (:data:`PROGRESS_CACHE_SIZE` of them)
  under a hash of every counted report's canonical JSON and generation time,
  the language and the content version: a new or changed report is a new key.
  The footer's time is the latest generation time, so a PDF is reproducible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Protocol

from ..errors import InputError
from ..models import load_document
from ..progress import MAX_SESSIONS, SessionInput, check_sessions
from ..theme import Theme
from .exports import Disconnected, PdfResult, digest, etag_of, theme_argument, theme_part
from .pdf_memory import PdfMemory
from .records import CandidateSession, StoredReport
from .render_queue import RenderQueue
from .store import Store

__all__ = ["PROGRESS_CACHE_SIZE", "CandidateNotFound", "ProgressExports", "ProgressRenderer", "TooFewReports",
           "parse_documents"]

PROGRESS_CACHE_SIZE = 32
PROGRESS_PDF_BYTES = 4 * 1024 * 1024  # a generous bound per cached progress PDF


class ProgressRenderer(Protocol):
    """Turns two or more validated sessions into PDF bytes (blocking). Tests inject fakes."""

    def __call__(self, inputs: Sequence[SessionInput], *, lang: str | None, generated_at: datetime | None,
                 theme: Theme | None = None) -> bytes: ...
    # ``theme`` is passed only when a request picked a theme other than the service's default.


class CandidateNotFound(Exception):
    """No stored session names this candidate (404)."""


class TooFewReports(Exception):
    """Fewer than two of the candidate's sessions have a generated report (400; the message says how many)."""

    def __init__(self, candidate_id: str, sessions: int, generated: int) -> None:
        super().__init__(f"Candidate {candidate_id} has {sessions} session(s), {generated} with a generated "
                         "report; a progress report needs at least 2 (generate them with GET /report first)")


def parse_documents(data: object) -> list[SessionInput]:
    """A parsed JSON list of report documents → checked sessions; errors name the list position, then the field."""
    from ..progress_pipeline import located

    if not isinstance(data, list):
        raise InputError(f"the body must be a JSON list of report documents, got {type(data).__name__}")
    inputs = []
    for position, document in enumerate(data):
        try:
            inputs.append(SessionInput(report=load_document(document), source=str(position)))
        except InputError as error:
            raise located(error, str(position)) from None
    check_sessions(inputs)
    return inputs


def _key(parts: Sequence[str], *, version: str, lang: str | None, theme: Theme | None) -> str:
    return digest("progress", version, lang or "", theme_part(theme), *parts)


def _inputs(sessions: Sequence[CandidateSession]) -> list[SessionInput]:
    return [SessionInput(report=load_document(s.report.data), source=s.session_id, created_at=s.created_at)
            for s in sessions if s.report is not None]


class ProgressExports:
    """The progress export path: cache first, else one compile per key (single flight), cached before answering."""

    def __init__(self, *, store: Store, queue: RenderQueue, render: ProgressRenderer, version: str,
                 cache_size: int = PROGRESS_CACHE_SIZE) -> None:
        self.store = store
        self.queue = queue
        self.render = render
        self.version = version
        self._cache = PdfMemory(items=cache_size, max_bytes=cache_size * PROGRESS_PDF_BYTES)

    def _counted(self, candidate_id: str) -> tuple[list[CandidateSession], list[StoredReport]]:
        sessions = self.store.candidate_sessions(candidate_id)
        if not sessions:
            raise CandidateNotFound(candidate_id)
        generated = [s for s in sessions if s.report is not None][-MAX_SESSIONS:]
        if len(generated) < 2:
            raise TooFewReports(candidate_id, len(sessions), len(generated))
        return generated, [s.report for s in generated if s.report is not None]

    async def candidate_pdf(self, candidate_id: str, lang: str | None, *, if_none_match: str | None,
                            is_disconnected: Disconnected | None = None, theme: Theme | None = None) -> PdfResult:
        """The progress PDF of a candidate's generated sessions, from the cache or compiled now."""
        sessions, reports = await asyncio.to_thread(self._counted, candidate_id)
        key = _key([f"{r.session_id}\0{r.canonical}\0{r.generated_at.isoformat()}" for r in reports],
                   version=self.version, lang=lang, theme=theme)
        cached = self._cache.get(key)
        if cached is not None:
            return PdfResult.answering(if_none_match, *cached)
        inputs = await asyncio.to_thread(_inputs, sessions)
        latest = max(r.generated_at for r in reports)
        etag, pdf = await self.queue.run(key, partial(self._render_and_cache, key, inputs, lang, latest, theme),
                                         is_disconnected=is_disconnected)
        return PdfResult.answering(if_none_match, etag, pdf)

    def _render_and_cache(self, key: str, inputs: list[SessionInput], lang: str | None,
                          generated_at: datetime | None, theme: Theme | None) -> tuple[str, bytes]:
        # In the compile thread, before anyone is answered: a client that left still fills the cache.
        pdf = self._render(inputs, lang, generated_at, theme)
        etag = etag_of(pdf)
        self._cache.put(key, etag, pdf)
        return etag, pdf

    def _render(self, inputs: list[SessionInput], lang: str | None, generated_at: datetime | None,
                theme: Theme | None) -> bytes:
        return self.render(inputs, lang=lang, generated_at=generated_at, **theme_argument(theme))

    async def stateless_pdf(self, inputs: list[SessionInput], lang: str | None, *,
                            is_disconnected: Disconnected | None = None, theme: Theme | None = None) -> PdfResult:
        """A progress PDF of documents that are not stored (single flight by content, never cached)."""
        key = "stateless-progress:" + _key([item.report.model_dump_json(by_alias=True) for item in inputs],
                                           version=self.version, lang=lang, theme=theme)
        pdf = await self.queue.run(key, partial(self._render, inputs, lang, None, theme),
                                   is_disconnected=is_disconnected)
        return PdfResult(etag_of(pdf), pdf)
