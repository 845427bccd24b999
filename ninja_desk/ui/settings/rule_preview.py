"""The alert-rule shape the editor writes, and "test against the last 7 days" on the cache.

No Qt here. The JSON stored in `rmm_alert_rules.conditions` / `.action` (docs/alert-rules.md):

    conditions = {"severities": [...], "activity_types": [...], "status_codes": [...],
                  "organization_ids": [...], "client_ids": [...], "node_classes": [...],
                  "message_contains": "text"}          # a missing or empty key matches all
    action = {"type": "create_ticket", "priority": "from_severity" | "low" | ...,
              "board": str, "assignee": str, "title_template": str}  or  {"type": "suppress"}

The preview applies the rules in order, first match wins, like the pipeline. Client conditions
need the PSA's organization mapping, so the preview takes that mapping as an argument.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONDITION_KEYS = (
    "severities",
    "activity_types",
    "status_codes",
    "organization_ids",
    "client_ids",
    "node_classes",
    "message_contains",
)
DEFAULT_TITLE_TEMPLATE = "[{severity}] {message} on {device}"
WEEK = 7 * 24 * 3600


def clean_conditions(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty entries so the stored JSON says only what the rule checks."""
    out: dict[str, Any] = {}
    for key in CONDITION_KEYS:
        value = raw.get(key)
        if key == "message_contains":
            if value and str(value).strip():
                out[key] = str(value).strip()
        elif value:
            out[key] = sorted(set(value), key=str)
    return out


def matches(
    conditions: Mapping[str, Any],
    alert: Mapping[str, Any],
    client_of_org: Mapping[int, str] | None = None,
) -> bool:
    """`alert` is a cache row joined with its device (node_class, organization_id)."""
    severities = {s.upper() for s in conditions.get("severities") or ()}
    if severities and (alert.get("severity") or "NONE").upper() not in severities:
        return False
    types = {t.upper() for t in conditions.get("activity_types") or ()}
    if types and (alert.get("source_type") or "").upper() not in types:
        return False
    codes = {c.upper() for c in conditions.get("status_codes") or ()}
    if codes and (alert.get("status_code") or "").upper() not in codes:
        return False
    orgs = {int(o) for o in conditions.get("organization_ids") or ()}
    if orgs and alert.get("organization_id") not in orgs:
        return False
    clients = {str(c) for c in conditions.get("client_ids") or ()}
    if clients:
        client = (client_of_org or {}).get(alert.get("organization_id") or -1)
        if client is None or str(client) not in clients:
            return False
    classes = {c.upper() for c in conditions.get("node_classes") or ()}
    if classes and (alert.get("node_class") or "").upper() not in classes:
        return False
    text = str(conditions.get("message_contains") or "").strip().lower()
    return not (text and text not in (alert.get("message") or "").lower())


@dataclass
class RulePreview:
    alerts: int = 0
    first_match: dict[str, int] = field(default_factory=dict)  # rule key -> alerts it decides
    matched_alone: dict[str, int] = field(default_factory=dict)  # ignoring earlier rules
    unmatched: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def sentence(self, key: str, rule: Mapping[str, Any]) -> str:
        decided = self.first_match.get(key, 0)
        alone = self.matched_alone.get(key, 0)
        verb = (
            "suppressed"
            if (rule.get("action") or {}).get("type") == "suppress"
            else ("turned into tickets")
        )
        parts = [f"In the last 7 days, {alone} of {self.alerts} alerts match this rule"]
        if alone != decided:
            parts.append(f"{alone - decided} of them are taken by an earlier rule")
        parts.append(f"so {decided} would be {verb}")
        text = "; ".join(parts) + "."
        if rule.get("dry_run"):
            text += " Dry run: decisions are recorded, no ticket is made."
        if not rule.get("is_enabled", True):
            text += " The rule is disabled, so today it decides nothing."
        text += f" {self.unmatched} alerts match no rule."
        return text


def alerts_since(cache: Any, since: float) -> list[dict[str, Any]]:
    return cache.rows(
        "SELECT a.uid, a.severity, a.source_type, a.message, a.create_time,"
        " d.node_class, d.organization_id, d.name AS device_name,"
        " (SELECT status_code FROM activities x WHERE x.series_uid = a.uid"
        "  ORDER BY x.id LIMIT 1) AS status_code"
        " FROM alerts a LEFT JOIN devices d ON d.id = a.device_id"
        " WHERE a.create_time >= :since",
        since=since,
    )


def preview(
    rules: Sequence[tuple[str, Mapping[str, Any]]],
    alerts: Sequence[Mapping[str, Any]],
    client_of_org: Mapping[int, str] | None = None,
) -> RulePreview:
    """`rules` in evaluation order as (key, {"conditions", "is_enabled", ...})."""
    result = RulePreview(alerts=len(alerts))
    for key, _rule in rules:
        result.first_match[key] = 0
        result.matched_alone[key] = 0
        result.examples[key] = []
    for alert in alerts:
        decided = False
        for key, rule in rules:
            if not matches(rule.get("conditions") or {}, alert, client_of_org):
                continue
            result.matched_alone[key] += 1
            if not decided and rule.get("is_enabled", True):
                decided = True
                result.first_match[key] += 1
                if len(result.examples[key]) < 5:
                    result.examples[key].append(alert.get("message") or alert["uid"])
        if not decided:
            result.unmatched += 1
    return result


def preview_last_week(
    cache: Any,
    rules: Sequence[tuple[str, Mapping[str, Any]]],
    client_of_org: Mapping[int, str] | None = None,
    now: float | None = None,
) -> RulePreview:
    since = (now if now is not None else time.time()) - WEEK
    return preview(rules, alerts_since(cache, since), client_of_org)
