"""``texreport serve``: run the app under uvicorn with one JSON log line per event.

:func:`run_server` blocks until the process is asked to stop (SIGINT/SIGTERM);
uvicorn then stops accepting connections and lets in-flight requests finish for
a few seconds. Logs go to stderr, one JSON object per line (``request_id`` on
every request line), so they can be shipped without parsing free text.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .app import create_app
from .settings import Settings

__all__ = ["JsonLogFormatter", "configure_logging", "run_server"]


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: ``{"time", "level", "logger", "message", …fields}`` (python-json-logger).

    A log call names its event as the message and passes its fields as ``extra``
    (``log.info("request", extra={"request_id": …})``); text is escaped to ASCII
    JSON, so no user text (a lone surrogate, a newline) can break or forge a line.
    A traceback stays here (``exc_info``), never in a response body.
    """

    def __init__(self) -> None:
        super().__init__("{levelname}{name}{message}", style="{", timestamp="time", json_ensure_ascii=True,
                         rename_fields={"levelname": "level", "name": "logger"})

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data["level"] = str(log_data.get("level", "")).lower()
        return log_data


def configure_logging(level: int = logging.INFO) -> None:
    """Send texreport's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    for name in ("texreport", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def run_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080,
               header_timeout: float = 10.0) -> None:
    """Serve the app on ``host:port`` until stopped; the store is created (or upgraded) if needed.

    ``header_timeout``: seconds a client has to send a request's headers
    (:mod:`~texreport.http.protocol`); idle keep-alive connections close after 5 s.
    """
    import uvicorn

    from .protocol import guarded_protocol

    configure_logging()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        http=guarded_protocol(header_timeout),
        log_config=None,        # keep the JSON handlers configured above
        access_log=False,       # the app logs each request itself, with its request id
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )
