"""Readiness: this instance's storage answers and a CJK compile worked here (no web framework here)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..errors import RenderError
from ..models import load_document
from .exports import Renderer
from .render_queue import RenderQueue

__all__ = ["READINESS_DOCUMENT", "READINESS_TEXT", "Readiness", "Verdict"]

log = logging.getLogger("texreport.http")

# A tiny report whose compile proves that this instance can typeset Chinese.
READINESS_TEXT = "多态"
READINESS_DOCUMENT: dict[str, Any] = {
    "sessionId": "readyz",
    "overallScore": 80,
    "questionDetails": [{
        "questionIndex": 0, "question": "什么是多态？", "category": "Java基础",
        "userAnswer": "同一接口，不同实现。", "score": 80, "feedback": "回答正确。",
    }],
}
RETRY_FAILED_AFTER = 10.0   # seconds before a failed probe may run again


@dataclass(frozen=True)
class Verdict:
    ready: bool
    reason: str


class Readiness:
    """Runs the CJK probe compile once (again after a failure, at most every 10 s) and remembers it."""

    def __init__(self, *, queue: RenderQueue, render: Renderer, version: str, ping: Callable[[], None],
                 read_back: bool) -> None:
        self.queue = queue
        self.render = render
        self.version = version
        self.ping = ping
        self.read_back = read_back      # check the PDF's text with pdftotext (real renderer only)
        self.ready = False
        self.task: asyncio.Task[None] | None = None
        self.failed_at = 0.0
        self.reason = "not checked yet"

    def start(self) -> asyncio.Task[None]:
        failed_long_ago = time.monotonic() - self.failed_at > RETRY_FAILED_AFTER
        if self.task is None or (self.task.done() and not self.ready and failed_long_ago):
            self.task = asyncio.get_running_loop().create_task(self._probe())
        return self.task

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def verdict(self, wait: float) -> Verdict:
        """Ready or not (with a brief reason), waiting up to ``wait`` s for a running probe."""
        try:
            await asyncio.to_thread(self.ping)
        except Exception:
            return Verdict(False, "storage unavailable")
        if not self.ready:
            try:
                await asyncio.wait_for(asyncio.shield(self.start()), timeout=wait)
            except TimeoutError:
                pass
        if self.ready:
            return Verdict(True, "ready")
        return Verdict(False, self.reason if self.task and self.task.done() else "CJK test compile running")

    async def _probe(self) -> None:
        try:
            report = load_document(READINESS_DOCUMENT)
            pdf = await self.queue.run(f"readyz:{self.version}",
                                       partial(self.render, report, lang=None, generated_at=None))
            if not pdf.startswith(b"%PDF-"):
                raise RenderError("the readiness compile did not produce a PDF")
            if self.read_back and not await asyncio.to_thread(_pdf_has_text, pdf, READINESS_TEXT):
                raise RenderError("the readiness PDF does not contain the Chinese test text")
            self.ready = True
            log.info("ready", extra={"version": self.version})
        except Exception as error:
            self.failed_at = time.monotonic()
            self.reason = "CJK test compile failed"
            log.warning("readiness_failed", extra={"error": type(error).__name__, "detail": str(error)[:300]})


def _pdf_has_text(pdf: bytes, text: str) -> bool:
    """Whether poppler's pdftotext finds ``text`` in ``pdf``; ``True`` when pdftotext is missing."""
    if shutil.which("pdftotext") is None:
        return True
    try:
        result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and text in result.stdout.decode("utf-8", errors="replace")
