"""The optional web service (``pip install 'texreport[http]'``; ``texreport serve``).

Modules, one job each:

* :mod:`~texreport.http.app` — ``create_app``: wiring of settings, services, middleware, handlers, routers;
* :mod:`~texreport.http.routes` — the routers: ``sessions``, ``export``, ``probes``;
* :mod:`~texreport.http.deps` — the services routes use; a session id → record or 404;
* :mod:`~texreport.http.statuses` — one table from exception to status (JSON and plain HTTP);
* :mod:`~texreport.http.reports` — a session's report from its document and answers (no FastAPI);
* :mod:`~texreport.http.exports` — the export path: cache key, cache, single-flight compile (no FastAPI);
* :mod:`~texreport.http.store` / :mod:`~texreport.http.records` — SQLAlchemy storage and its records;
* :mod:`~texreport.http.render_queue` — bounded, single-flight compile slots;
* :mod:`~texreport.http.middleware` — request id, access log, body limit, last-resort 500;
* :mod:`~texreport.http.server` — :func:`run_server`, uvicorn and JSON logging.

The core (``texreport`` without this package) never imports it.
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
