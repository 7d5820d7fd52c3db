"""``GET /metrics``: the service's Prometheus metrics (one registry per app, no process globals).

Names (all prefixed ``texreport_``):

* ``compile_seconds`` — histogram of compile durations, label ``path``
  (``cold``: a fresh xelatex per job; ``warm``: a worker with the preamble
  loaded; ``batch``: grouped reports — not used by the service itself);
* ``queue_waiting`` / ``compiles_running`` — gauges of the compile queue;
* ``rejections_total`` — exports refused with 503 because the queue was full;
* ``pdf_cache_total`` — label ``result`` = ``hit`` | ``miss`` (cached PDF served or not);
* ``worker_restarts_total``, ``format_builds_total``, ``render_ahead_hits_total``
  — process-wide counts from :mod:`texreport.telemetry`.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .. import telemetry
from .render_queue import RenderQueue

__all__ = ["COMPILE_PATHS", "CONTENT_TYPE", "Metrics"]

COMPILE_PATHS = ("cold", "warm", "batch")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0)


class Metrics:
    """The app's metrics; :meth:`exposition` is the body of ``GET /metrics``."""

    def __init__(self, queue: RenderQueue) -> None:
        self.registry = CollectorRegistry()
        self.compile_seconds = Histogram("texreport_compile_seconds", "Compile duration by compile path",
                                         ["path"], buckets=_BUCKETS, registry=self.registry)
        for path in COMPILE_PATHS:
            self.compile_seconds.labels(path)       # every path appears from the start, at zero
        self.pdf_cache = Counter("texreport_pdf_cache", "Exports served from the PDF cache (hit) or not (miss)",
                                 ["result"], registry=self.registry)
        for result in ("hit", "miss"):
            self.pdf_cache.labels(result)
        self.registry.register(_QueueCollector(queue))
        self.registry.register(_TelemetryCollector())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _QueueCollector(Collector):
    def __init__(self, queue: RenderQueue) -> None:
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("texreport_queue_waiting", "Compile jobs waiting for a slot", value=self.queue.waiting)
        yield GaugeMetricFamily("texreport_compiles_running", "Compile jobs running", value=self.queue.running)
        yield CounterMetricFamily("texreport_rejections", "Exports refused with 503 (queue full)",
                                  value=self.queue.stats.rejected)


_TELEMETRY_HELP = {
    telemetry.WORKER_RESTARTS: "Warm xelatex workers found dead and replaced",
    telemetry.FORMAT_BUILDS: "Precompiled format builds (first build or rebuild)",
    telemetry.RENDER_AHEAD_HITS: "Exports served from a render started ahead of them",
}


class _TelemetryCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        counts = telemetry.snapshot()
        for event, text in _TELEMETRY_HELP.items():
            yield CounterMetricFamily(f"texreport_{event}", text, value=counts.get(event, 0))
