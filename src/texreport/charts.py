"""Chart data → pgfplots-ready CSV files (pure: returns file names and contents).

The CSV files hold numbers only. Category names never enter a CSV (pgfplots would
read them with TeX's catcodes: ``C#``, ``100%`` or ``{x}`` would break the table);
the template defines one label macro per category position instead, from escaped
text, and the charts print ``\\TRcategory{<position>}`` as tick labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .escape import LatexMarkup
from .view import Band, ReportView

__all__ = ["ChartData", "build_charts", "BANDS"]

BANDS: tuple[Band, ...] = ("good", "fair", "poor")


@dataclass(frozen=True)
class ChartData:
    """File contents to write into the job folder, and which file each chart reads."""

    files: dict[str, str] = field(default_factory=dict)
    category_bars: dict[str, str] = field(default_factory=dict)   # band → file name ("" = none)
    question_bars: dict[str, str] = field(default_factory=dict)   # band → file name ("" = none)
    radar: str = ""                                               # "" when fewer than 3 categories
    category_count: int = 0
    question_count: int = 0


def _csv(header: tuple[str, ...], rows: list[tuple[float | int, ...]]) -> str:
    lines = [",".join(header)]
    lines += [",".join(_number(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def _number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}".rstrip("0").rstrip(".")


def build_charts(view: ReportView, *, prefix: str = "") -> ChartData:
    """CSV files for the category bar chart, the radar chart and the per-question chart.

    ``prefix`` (letters, digits, dashes; the program's own) keeps several reports'
    files apart in one job folder.
    """
    if not re.fullmatch(r"[a-z0-9-]*", prefix):
        raise ValueError("a chart file prefix is letters, digits and dashes")
    files: dict[str, str] = {}
    category_bars: dict[str, str] = {}
    question_bars: dict[str, str] = {}
    for band in BANDS:
        # One file per colour band: pgfplots colours a whole \addplot, so each band is a plot.
        rows = [(c.position, c.score, c.question_count) for c in view.categories if c.band == band]
        # File names are the program's own (letters, digits, dashes): safe to print as LaTeX.
        name = LatexMarkup(f"{prefix}categories-{band}.csv" if rows else "")
        if rows:
            files[name] = _csv(("position", "score", "questions"), rows)
        category_bars[band] = name
        qrows = [(q.number, q.score) for q in view.questions if q.band == band]
        qname = LatexMarkup(f"{prefix}questions-{band}.csv" if qrows else "")
        if qrows:
            files[qname] = _csv(("number", "score"), qrows)
        question_bars[band] = qname
    radar = LatexMarkup("")
    count = len(view.categories)
    if count >= 3:
        step = 360 / count
        rows_radar: list[tuple[float | int, ...]] = [(c.position * step, c.score) for c in view.categories]
        rows_radar.append((360.0, view.categories[0].score))  # close the polygon
        radar = LatexMarkup(f"{prefix}radar.csv")
        files[radar] = _csv(("angle", "score"), rows_radar)
    return ChartData(files=files, category_bars=category_bars, question_bars=question_bars,
                     radar=radar, category_count=count, question_count=len(view.questions))
