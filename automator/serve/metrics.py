"""What the receiver counts, in the Prometheus text format (``GET /metrics``).

One registry per receiver (not the process-wide default), so tests and several receivers
in one process never share counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class ServeMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.events_received = Counter(
            "automator_events_received", "Push events accepted, by source", ["source"], registry=self.registry
        )
        self.events_rejected = Counter(
            "automator_events_rejected", "Webhook requests refused, by source and reason", ["source", "reason"], registry=self.registry
        )
        self.runs = Counter("automator_runs", "Runs started, by trigger (event or poll)", ["trigger"], registry=self.registry)
        self.updates = Counter("automator_updates", "Image updates written by runs", registry=self.registry)
        self.failures = Counter("automator_run_failures", "Runs that ended with a non-zero exit code", registry=self.registry)
        self.run_duration = Histogram(
            "automator_run_duration_seconds",
            "How long one run took",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, float("inf")),
            registry=self.registry,
        )

    def record_run(self, trigger: str, report, seconds: float) -> None:
        """Count one finished run (``report`` is a :class:`automator.serve.queue.RunReport`)."""
        self.runs.labels(trigger).inc()
        self.updates.inc(report.updates)
        if report.exit_code != 0:
            self.failures.inc()
        self.run_duration.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
