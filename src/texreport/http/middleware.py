"""Pure ASGI middleware: request id, one JSON log line per request, body size limit, last-resort 500."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .responses import envelope
from .statuses import response_for

__all__ = ["RequestContext"]

access_log = logging.getLogger("texreport.http.access")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass
class _Seen:
    status: int = 0     # 0 until the response started
    bytes: int = 0


def _tracking(send: Send, request_id: str, seen: _Seen) -> Send:
    """``send`` that adds the request id and ``nosniff`` and records status and size."""
    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen.status = message["status"]
            message["headers"] = list(message.get("headers", [])) + [
                (b"x-request-id", request_id.encode("ascii")),
                (b"x-content-type-options", b"nosniff"),
            ]
        elif message["type"] == "http.response.body":
            seen.bytes += len(message.get("body", b""))
        await send(message)

    return send_with_id


class RequestContext:
    """Request id, access log, body limit, and the answer to any exception no handler took.

    The id comes from a well-formed ``X-Request-ID`` header or is generated; it is
    echoed on the response and available as ``request.state.request_id``. Bodies
    above ``max_body_bytes`` get 413, whether announced by ``Content-Length`` or
    streamed. An exception that reaches this middleware is answered here (a brief
    500 from :mod:`~texreport.http.statuses`) and not re-raised, so the server
    keeps the client's keep-alive connection open.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        began = time.monotonic()
        seen = _Seen()
        send_with_id = _tracking(send, request_id, seen)
        try:
            await self._answer(scope, receive, send_with_id, headers.get("content-length"), seen)
        finally:
            # Fields, not text: the formatter escapes them, so a hostile path cannot forge a log line.
            access_log.info("request", extra={
                "request_id": request_id, "method": scope.get("method"), "path": scope.get("path"),
                "status": seen.status, "bytes": seen.bytes, "ms": round((time.monotonic() - began) * 1000, 1),
            })

    async def _answer(self, scope: Scope, receive: Receive, send: Send, declared: str | None, seen: _Seen) -> None:
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            too_large = envelope(None, code=413, message=f"request body larger than {self.max_body_bytes} bytes")
            await too_large(scope, receive, send)
            return
        try:
            await self.app(scope, self._limited(receive), send)
        except Exception as error:  # answered here; a started response cannot be
            if seen.status:
                raise
            request_id = scope["state"]["request_id"]
            await response_for(error, path=scope.get("path", ""), request_id=request_id)(scope, receive, send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes FastAPI's body parsing untouched (others become 400).
                    raise StarletteHTTPException(413, f"request body larger than {self.max_body_bytes} bytes")
            return message

        return limited_receive
