"""The service's routers, one concern each: sessions, export, probes (and the page)."""

from __future__ import annotations

from . import export, probes, sessions

__all__ = ["export", "probes", "sessions"]
