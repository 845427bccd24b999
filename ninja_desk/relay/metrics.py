"""The relay's Prometheus metrics: counters kept by the handlers, exposed by prometheus_client.

Handlers bump plain integers on `Metrics` (no lock per webhook); a custom collector turns them,
the intake writer's counts and the store's figures into metric families when /metrics is
scraped. Each application has its own registry, so two relays in one process (the tests, the
demo) never share or collide on counters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ninja_desk.relay.store import StoreStats

REJECT_REASONS = (
    "unknown_endpoint",
    "unauthorized",
    "too_large",
    "unsupported_media_type",
    "malformed_json",
    "not_object",
    "timeout",
)


@dataclass(slots=True)
class Metrics:
    received: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    store_errors: int = 0
    subscribers_connected: int = 0
    rejected_streams: int = 0
    forwarded: int = 0
    forward_failures: int = 0
    pruned: int = 0


@dataclass(frozen=True, slots=True)
class Scrape:
    """Everything one scrape reports."""

    metrics: Metrics
    stats: StoreStats
    intake_commits: int
    intake_items: int


Value = Callable[[Scrape], float]

# name (counters without their _total suffix), kind, help, value.
_TABLE: tuple[tuple[str, str, str, Value], ...] = (
    (
        "ninjadesk_relay_received",
        "counter",
        "Webhooks accepted and stored as new events.",
        lambda s: s.metrics.received,
    ),
    (
        "ninjadesk_relay_duplicates",
        "counter",
        "Webhooks acknowledged as duplicates of a stored activity id.",
        lambda s: s.metrics.duplicates,
    ),
    (
        "ninjadesk_relay_intake_commits",
        "counter",
        "Intake transactions (one fsync each); webhooks per commit = items / commits.",
        lambda s: s.intake_commits,
    ),
    (
        "ninjadesk_relay_intake_committed_items",
        "counter",
        "Webhooks written by intake transactions, duplicates included.",
        lambda s: s.intake_items,
    ),
    (
        "ninjadesk_relay_store_errors",
        "counter",
        "Webhooks answered 503 because the database failed.",
        lambda s: s.metrics.store_errors,
    ),
    (
        "ninjadesk_relay_subscribers_connected",
        "gauge",
        "Open event streams on this instance.",
        lambda s: s.metrics.subscribers_connected,
    ),
    (
        "ninjadesk_relay_streams_refused",
        "counter",
        "Requests to /events answered 429: the token had too many open.",
        lambda s: s.metrics.rejected_streams,
    ),
    (
        "ninjadesk_relay_oldest_retained_seq",
        "gauge",
        "Oldest event id still retained (pruned_through + 1).",
        lambda s: s.stats.bounds.oldest_retained,
    ),
    ("ninjadesk_relay_last_seq", "gauge", "Newest event id.", lambda s: s.stats.bounds.last_seq),
    ("ninjadesk_relay_store_events", "gauge", "Events retained.", lambda s: s.stats.events),
    (
        "ninjadesk_relay_store_size_bytes",
        "gauge",
        "Size of the relay database.",
        lambda s: s.stats.size_bytes,
    ),
    (
        "ninjadesk_relay_forward_queue_depth",
        "gauge",
        "Deliveries waiting in the forward outbox.",
        lambda s: s.stats.outbox_depth,
    ),
    (
        "ninjadesk_relay_forwarded",
        "counter",
        "Events delivered to forward targets.",
        lambda s: s.metrics.forwarded,
    ),
    (
        "ninjadesk_relay_forward_failures",
        "counter",
        "Failed forward attempts (each is retried).",
        lambda s: s.metrics.forward_failures,
    ),
    (
        "ninjadesk_relay_pruned",
        "counter",
        "Events deleted by retention on this instance.",
        lambda s: s.metrics.pruned,
    ),
)


class RelayCollector(Collector):
    def __init__(self, scrape: Callable[[], Scrape]) -> None:
        self._scrape = scrape

    def collect(self) -> Iterable[Metric]:
        # Blocks on the store: /metrics runs the scrape in a thread.
        scrape = self._scrape()
        for name, kind, help_text, value in _TABLE:
            family = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            yield family(name, help_text, value=value(scrape))
        rejected = CounterMetricFamily(
            "ninjadesk_relay_rejected", "Webhooks refused, by reason.", labels=["reason"]
        )
        for reason in REJECT_REASONS:
            rejected.add_metric([reason], scrape.metrics.rejected[reason])
        yield rejected


def relay_registry(scrape: Callable[[], Scrape]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RelayCollector(scrape))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format (0.0.4), which every Prometheus version reads."""
    return generate_latest(registry)
