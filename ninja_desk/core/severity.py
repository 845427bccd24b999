"""NinjaOne severities and priorities, and how severities map to PSA ticket priorities."""

from __future__ import annotations

SEVERITIES: tuple[str, ...] = ("NONE", "MINOR", "MODERATE", "MAJOR", "CRITICAL")
PRIORITIES: tuple[str, ...] = ("NONE", "LOW", "MEDIUM", "HIGH")

DEFAULT_SEVERITY_TO_TICKET_PRIORITY: dict[str, str] = {
    "CRITICAL": "urgent",
    "MAJOR": "high",
    "MODERATE": "medium",
    "MINOR": "low",
    "NONE": "low",
}


def severity_rank(severity: str | None) -> int:
    """Order severities; unknown values rank as NONE so they are kept but never escalated."""
    try:
        return SEVERITIES.index((severity or "NONE").upper())
    except ValueError:
        return 0


def ticket_priority_for(severity: str | None, mapping: dict[str, str] | None = None) -> str:
    table = mapping or DEFAULT_SEVERITY_TO_TICKET_PRIORITY
    return table.get((severity or "NONE").upper(), table.get("NONE", "low"))
