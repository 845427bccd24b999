"""Prometheus text exposition of the relay's counters, without a client library."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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

    def render(self, stats: StoreStats, batches: int = 0, batched: int = 0) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

        metric(
            "ninjadesk_relay_received_total",
            "counter",
            "Webhooks accepted and stored as new events.",
            [("", self.received)],
        )
        metric(
            "ninjadesk_relay_duplicates_total",
            "counter",
            "Webhooks acknowledged as duplicates of a stored activity id.",
            [("", self.duplicates)],
        )
        metric(
            "ninjadesk_relay_rejected_total",
            "counter",
            "Webhooks refused, by reason.",
            [(f'{{reason="{r}"}}', self.rejected[r]) for r in REJECT_REASONS],
        )
        metric(
            "ninjadesk_relay_intake_commits_total",
            "counter",
            "Intake transactions (one fsync each); webhooks per commit = items / commits.",
            [("", batches)],
        )
        metric(
            "ninjadesk_relay_intake_committed_items_total",
            "counter",
            "Webhooks written by intake transactions, duplicates included.",
            [("", batched)],
        )
        metric(
            "ninjadesk_relay_store_errors_total",
            "counter",
            "Webhooks answered 503 because the database failed.",
            [("", self.store_errors)],
        )
        metric(
            "ninjadesk_relay_subscribers_connected",
            "gauge",
            "Open event streams on this instance.",
            [("", self.subscribers_connected)],
        )
        metric(
            "ninjadesk_relay_streams_refused_total",
            "counter",
            "Requests to /events answered 429: the token had too many open.",
            [("", self.rejected_streams)],
        )
        metric(
            "ninjadesk_relay_oldest_retained_seq",
            "gauge",
            "Oldest event id still retained (pruned_through + 1).",
            [("", stats.bounds.oldest_retained)],
        )
        metric(
            "ninjadesk_relay_last_seq", "gauge", "Newest event id.", [("", stats.bounds.last_seq)]
        )
        metric("ninjadesk_relay_store_events", "gauge", "Events retained.", [("", stats.events)])
        metric(
            "ninjadesk_relay_store_size_bytes",
            "gauge",
            "Size of the relay database.",
            [("", stats.size_bytes)],
        )
        metric(
            "ninjadesk_relay_forward_queue_depth",
            "gauge",
            "Deliveries waiting in the forward outbox.",
            [("", stats.outbox_depth)],
        )
        metric(
            "ninjadesk_relay_forwarded_total",
            "counter",
            "Events delivered to forward targets.",
            [("", self.forwarded)],
        )
        metric(
            "ninjadesk_relay_forward_failures_total",
            "counter",
            "Failed forward attempts (each is retried).",
            [("", self.forward_failures)],
        )
        metric(
            "ninjadesk_relay_pruned_total",
            "counter",
            "Events deleted by retention on this instance.",
            [("", self.pruned)],
        )
        return "\n".join(lines) + "\n"
