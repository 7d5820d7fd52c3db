"""Chart data → pgfplots-ready CSV files (pure: returns file names and contents).

The CSV files hold numbers only. Category names never enter a CSV (pgfplots would
read them with TeX's catcodes: ``C#``, ``100%`` or ``{x}`` would break the table);
the template defines one label macro per category position instead, from escaped
text, and the charts print ``\\TRcategory{<position>}`` as tick labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .escape import LatexMarkup
from .view import Band, ReportView

__all__ = ["ChartData", "BarChart", "build_charts", "BANDS", "MAX_BARS_PER_CHART", "MAX_RADAR_AXES",
           "MAX_QUESTION_TICKS"]

BANDS: tuple[Band, ...] = ("good", "fair", "poor")


MAX_BARS_PER_CHART = 25   # a chart never grows taller than a page: more categories, more charts
MAX_RADAR_AXES = 16       # beyond this a radar is unreadable; the bar charts carry the data
MAX_QUESTION_TICKS = 25   # labelled columns in the per-question chart


@dataclass(frozen=True)
class BarChart:
    """One horizontal bar chart: categories ``offset`` … ``offset + count - 1``."""

    offset: int
    count: int
    bars: dict[str, str]   # band → file name ("" = no bars of that band)


@dataclass(frozen=True)
class ChartData:
    """File contents to write into the job folder, and which file each chart reads."""

    files: dict[str, str] = field(default_factory=dict)
    category_charts: list[BarChart] = field(default_factory=list)
    question_bars: dict[str, str] = field(default_factory=dict)   # band → file name ("" = none)
    question_ticks: str = ""                                      # "1,2,3" or "1,5,10,…": the labelled columns
    radar: str = ""                                               # "" outside 3 … MAX_RADAR_AXES categories
    category_count: int = 0
    question_count: int = 0


def _csv(header: tuple[str, ...], rows: Sequence[tuple[float | int, ...]]) -> str:
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
    category_charts = _category_charts(view, prefix, files)
    question_bars = _question_bars(view, prefix, files)
    radar = _radar(view, prefix, files)
    return ChartData(files=files, category_charts=category_charts, question_bars=question_bars,
                     question_ticks=_question_ticks(len(view.questions)), radar=radar,
                     category_count=len(view.categories), question_count=len(view.questions))


_CATEGORY_HEADER = ("position", "score", "questions")


def _add_file(files: dict[str, str], name: str, header: tuple[str, ...],
              rows: Sequence[tuple[float | int, ...]]) -> LatexMarkup:
    """Add ``name`` (the program's own: letters, digits, dashes) to ``files``; "" when there are no rows."""
    if not rows:
        return LatexMarkup("")
    files[name] = _csv(header, rows)
    return LatexMarkup(name)   # safe to print as LaTeX


def _category_charts(view: ReportView, prefix: str, files: dict[str, str]) -> list[BarChart]:
    """Bar charts of at most MAX_BARS_PER_CHART categories; each band's bars in a file of their own."""
    charts: list[BarChart] = []
    for number, offset in enumerate(range(0, len(view.categories), MAX_BARS_PER_CHART), start=1):
        chunk = view.categories[offset:offset + MAX_BARS_PER_CHART]
        # One file per colour band: each band is drawn in its colour (\TR@bands, texreport.sty).
        bars: dict[str, str] = {}
        for band in BANDS:
            rows = [(c.position - offset, c.score, c.question_count) for c in chunk if c.band == band]
            bars[band] = _add_file(files, f"{prefix}categories-{number}-{band}.csv", _CATEGORY_HEADER, rows)
        charts.append(BarChart(offset=offset, count=len(chunk), bars=bars))
    return charts


def _question_bars(view: ReportView, prefix: str, files: dict[str, str]) -> dict[str, str]:
    """The per-question chart's columns, a file per band (band → file name, "" = none)."""
    return {band: _add_file(files, f"{prefix}questions-{band}.csv", ("number", "score"),
                            [(q.number, q.score) for q in view.questions if q.band == band])
            for band in BANDS}


def _radar(view: ReportView, prefix: str, files: dict[str, str]) -> str:
    """The radar's closed polygon (angle, score), "" outside 3 … MAX_RADAR_AXES categories."""
    count = len(view.categories)
    if not 3 <= count <= MAX_RADAR_AXES:
        return LatexMarkup("")
    step = 360 / count
    rows: list[tuple[float | int, ...]] = [(c.position * step, c.score) for c in view.categories]
    rows.append((360.0, view.categories[0].score))  # close the polygon
    return _add_file(files, f"{prefix}radar.csv", ("angle", "score"), rows)


def _question_ticks(questions: int) -> str:
    """The labelled columns: every question up to MAX_QUESTION_TICKS, else 1 and every nice step."""
    step = max(1, -(-questions // MAX_QUESTION_TICKS))
    if step > 1:
        step = next(nice for nice in (2, 5, 10, 20, 25, 50, 100, 250) if nice >= step)
    ticks = sorted({1, *range(step, questions + 1, step)}) if questions else []
    return LatexMarkup(",".join(map(str, ticks)))
