"""Score bands: the one list of band names and the rule that picks one (no imports, so
the style's colours, themes and the view all read it without loading the models).

The platform colours scores green from 80, yellow from 60, red below; texreport
calls these bands ``good``, ``fair`` and ``poor``. Every theme gives each band in
:data:`BANDS` its colours (``texreport.theme``), and the style's band macros take a
band name (``latex/texreport.sty``, theme section).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["Band", "BANDS", "GOOD_THRESHOLD", "FAIR_THRESHOLD", "band_for"]

Band = Literal["good", "fair", "poor"]
#: Every band, best first.
BANDS: tuple[Band, ...] = get_args(Band)

GOOD_THRESHOLD = 80  # green from here (the platform's rule)
FAIR_THRESHOLD = 60  # yellow from here, red below


def band_for(score: int) -> Band:
    """``"good"`` from 80, ``"fair"`` from 60, ``"poor"`` below: the platform's green/yellow/red."""
    if score >= GOOD_THRESHOLD:
        return "good"
    if score >= FAIR_THRESHOLD:
        return "fair"
    return "poor"
