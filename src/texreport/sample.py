"""The bundled sample report: a realistic evaluated Chinese interview, in the platform's envelope.

``texreport sample`` prints :func:`sample_json`; tests and the install script
render it. It exercises every section: 10 questions over 9 categories with
scores in all three bands, one unanswered question, Markdown (lists, **bold**,
`inline code`, Java and SQL code blocks with a long line), TeX special
characters in ordinary text, and the ``candidate``/``interview`` extensions.
It has no ``improvementPlan``, so the PDF shows the derived plan.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["sample_json", "SAMPLE_RESOURCE"]

SAMPLE_RESOURCE = "data/sample_report.json"


def sample_json() -> str:
    """The sample document as JSON text (UTF-8, ending in a newline), exactly as shipped."""
    return resources.files("texreport").joinpath(SAMPLE_RESOURCE).read_text(encoding="utf-8")
