"""The optional web service (``pip install 'texreport[http]'``; ``texreport serve``).

Modules, one job each:

* :mod:`~texreport.http.app` — the FastAPI app: routes, envelope, errors, request ids;
* :mod:`~texreport.http.store` — SQLAlchemy storage (SQLite or PostgreSQL) incl. the PDF cache;
* :mod:`~texreport.http.render_queue` — bounded, single-flight compile slots;
* :mod:`~texreport.http.server` — :func:`run_server`, uvicorn and JSON logging.

The core (``texreport`` without this package) never imports it.
"""

from __future__ import annotations

from .app import Settings, create_app

__all__ = ["Settings", "create_app"]
