"""Prometheus metrics and the health check, for operators running one or many processes."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    """Counters this process increments, and gauges read from the shared database."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("racewatch_polls", "Source polls", ["outcome"], registry=r)
        self.fetch_errors = Counter(
            "racewatch_fetch_errors", "Failed polls by source", ["source"], registry=r
        )
        self.items = Counter("racewatch_items", "New items stored", registry=r)
        self.matches = Counter("racewatch_rule_matches", "Items matching a rule", registry=r)
        self.deliveries = Counter(
            "racewatch_deliveries", "Deliveries by outcome", ["destination", "outcome"], registry=r
        )
        self.rate_limited = Counter(
            "racewatch_rate_limited", "429 answers received", ["destination"], registry=r
        )
        self.outbox_depth = Gauge(
            "racewatch_outbox_depth", "Pending deliveries", ["destination"], registry=r
        )
        self.delivery_lag = Gauge(
            "racewatch_delivery_lag_seconds", "Age of the oldest pending delivery", registry=r
        )
        self.up = Gauge("racewatch_up", "1 while this process runs", registry=r)
        self.up.set(1)

    def refresh(self, depths: dict[str, int], oldest: datetime | None, now: datetime) -> None:
        """Set the gauges read from the shared database (``store.queue_stats``)."""
        self.outbox_depth.clear()
        for destination, count in depths.items():
            self.outbox_depth.labels(destination).set(count)
        self.delivery_lag.set((now - oldest).total_seconds() if oldest else 0)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
