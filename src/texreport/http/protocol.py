"""uvicorn's h11 protocol with a deadline for request headers (a slow-header client is cut off).

uvicorn times out an idle keep-alive connection, but not a client that opens a
connection and sends its request line and headers a byte at a time: each byte
resets nothing and the connection is held for ever. :func:`guarded_protocol`
gives every connection a deadline from its start (and from the end of each
response) to the end of the next request's headers; past it the client gets
``408 Request Timeout`` and the connection is closed. Bodies are not affected.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["TIMEOUT_RESPONSE", "guarded_protocol"]

TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class _HeaderDeadlineProtocol(H11Protocol):
    """:class:`H11Protocol` that closes a connection whose request headers take too long."""

    header_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:          # a request's headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        self._arm()                           # before super(): it may start a pipelined request
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


def guarded_protocol(header_timeout: float) -> type[H11Protocol]:
    """The protocol class for ``uvicorn.Config(http=…)`` with this header deadline (seconds)."""
    return type("GuardedH11Protocol", (_HeaderDeadlineProtocol,), {"header_timeout": header_timeout})
