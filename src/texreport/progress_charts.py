"""Progress view → pgfplots-ready CSV files for the trend charts (pure: returns names and contents).

As in :mod:`texreport.charts`, the CSV files hold numbers only: session numbers
and scores, ``nan`` where a session did not score a category (pgfplots leaves a
gap there). Names reach the charts through label macros the template defines
from escaped text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .escape import LatexMarkup
from .progress_view import CategoryRow, ProgressView

__all__ = ["ProgressCharts", "build_progress_charts"]


@dataclass(frozen=True)
class ProgressCharts:
    """File contents to write into the job folder, and which file each chart reads."""

    files: dict[str, str] = field(default_factory=dict)
    overall: str = ""                                           # overall score per session
    panels: dict[int, str] = field(default_factory=dict)        # category position → its trend file
    session_count: int = 0


def _csv(rows: list[tuple[int, int | None]]) -> str:
    lines = ["session,score", *(f"{n},{'nan' if s is None else s}" for n, s in rows)]
    return "\n".join(lines) + "\n"


def _panel_rows(row: CategoryRow) -> list[tuple[int, int | None]]:
    return [(number, cell.score) for number, cell in enumerate(row.cells, start=1)]


def build_progress_charts(view: ProgressView) -> ProgressCharts:
    """The overall trend and one small multiple per drawn category (file names are the program's own)."""
    overall = LatexMarkup("progress-overall.csv")
    files = {str(overall): _csv([(s.number, s.score) for s in view.sessions])}
    panels: dict[int, str] = {}
    for row in view.trend_panels:
        name = LatexMarkup(f"progress-category-{row.position}.csv")
        files[str(name)] = _csv(_panel_rows(row))
        panels[row.position] = name
    return ProgressCharts(files=files, overall=overall, panels=panels, session_count=len(view.sessions))
