"""How the service runs: one frozen :class:`Settings`, every field with a named default."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..theme import Theme, builtin_theme

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """How the service runs; ``texreport serve`` fills it from options and ``TEXREPORT_*`` variables."""

    db_url: str = "sqlite:///texreport.db"
    max_compiles: int | None = None         # default: CPU count
    max_queue: int | None = None            # default: 4 × max_compiles
    max_body_bytes: int = 2 * 1024 * 1024   # larger request bodies: 413
    compile_timeout: float = 60.0           # seconds before xelatex's process group is killed
    probe_on_startup: bool = True           # start the /readyz CJK compile when the app starts
    readiness_wait: float = 20.0            # how long /readyz may wait for a running probe
    disconnect_poll: float = 0.5            # seconds between "is the client still there?" checks
    warm_workers: bool = True               # keep xelatex workers with the preamble loaded (~270 MB each)
    cors_origins: tuple[str, ...] = ()      # origins allowed to call the API from a browser; () = CORS off
    lease_seconds: float = 30.0             # a compile lease not renewed for this long is another instance's
    migrate_on_start: bool = True           # bring the database schema up to date when the app starts
    render_ahead: bool | None = None        # compile a generated report's PDF before it is asked for
                                            # (None: on with the real renderer, off with a test's fake)
    themes: tuple[Theme, ...] = ()          # what ?theme=NAME may pick, the first is the default; (): default
    pdf_memory_bytes: int = 64 * 1024 * 1024  # recently compiled or served PDFs kept in memory (0: none)

    def __post_init__(self) -> None:
        names = [theme.name for theme in self.themes]
        if len(set(names)) != len(names):
            raise ValueError(f"two themes share a name: {', '.join(names)}")

    def offered_themes(self) -> tuple[Theme, ...]:
        """The themes a request may pick by name; the first is used when it picks none."""
        return self.themes or (builtin_theme(),)

    def picked_theme(self, name: str | None) -> Theme | None:
        """The theme a request names, ``None`` for the default; KeyError for one not offered."""
        offered = {theme.name: theme for theme in self.offered_themes()}
        if name is None or name == self.offered_themes()[0].name:
            return None
        return offered[name]

    def compiles(self) -> int:
        return self.max_compiles or os.cpu_count() or 1

    def queue(self) -> int:
        return self.max_queue if self.max_queue is not None else 4 * self.compiles()
