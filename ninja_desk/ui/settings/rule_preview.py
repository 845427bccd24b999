"""The alert-rule shape the editor writes, and "test against the last 7 days" on the cache.

No Qt here. The JSON stored in `rmm_alert_rules.conditions` / `.action` (docs/alert-rules.md):

    conditions = {"severities": [...], "activity_types": [...], "status_codes": [...],
                  "organization_ids": [...], "client_ids": [...], "node_classes": [...],
                  "message_contains": "text"}          # a missing or empty key matches all
    action = {"type": "create_ticket", "priority": "from_severity" | "low" | ...,
              "board": str, "assignee": str, "title_template": str}  or  {"type": "suppress"}

The shape and the matching belong to `core.alert_rules` (the pipeline's); this module only
replays cached alerts through it, in list order, first match wins. Client conditions need the
PSA's organization mapping, so the preview takes that mapping as an argument.
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


def facts_of(alert: Mapping[str, Any], client_of_org: Mapping[int, str] | None = None) -> Any:
    """A cache row (alert joined with its device) as the pipeline's AlertFacts."""
    from ninja_desk.core.alert_rules import AlertFacts

    org = alert.get("organization_id")
    return AlertFacts(
        series_uid=str(alert.get("uid") or ""),
        severity=(alert.get("severity") or "NONE").upper(),
        activity_type=alert.get("activity_type"),
        source_type=alert.get("source_type"),
        status_code=alert.get("status_code"),
        organization_id=org,
        client_id=(client_of_org or {}).get(org) if org is not None else None,
        node_class=alert.get("node_class"),
        message=alert.get("message"),
        condition_name=alert.get("condition_name"),
        device_id=alert.get("device_id"),
        device_name=alert.get("device_name"),
    )


def core_rule(key: str, rule: Mapping[str, Any]) -> Any:
    from ninja_desk.core.alert_rules import Rule

    return Rule(
        rule_id=key,
        name=str(rule.get("name") or key),
        priority_order=int(rule.get("priority_order") or 0),
        enabled=bool(rule.get("is_enabled", True)),
        dry_run=bool(rule.get("dry_run", False)),
        conditions=dict(rule.get("conditions") or {}),
        action=dict(rule.get("action") or {}),
    )


def matches(
    conditions: Mapping[str, Any],
    alert: Mapping[str, Any],
    client_of_org: Mapping[int, str] | None = None,
) -> bool:
    """The pipeline's own test (core.alert_rules.mismatch), so the preview cannot drift."""
    from ninja_desk.core.alert_rules import mismatch

    rule = core_rule("preview", {"conditions": conditions})
    return mismatch(rule, facts_of(alert, client_of_org)) is None


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
        "SELECT a.uid, a.device_id, a.severity, a.source_type, a.condition_name, a.message,"
        " a.create_time, d.node_class, d.organization_id, d.name AS device_name,"
        " (SELECT activity_type FROM activities x WHERE x.series_uid = a.uid"
        "  ORDER BY x.id LIMIT 1) AS activity_type,"
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
    from ninja_desk.core.alert_rules import mismatch

    compiled = [(key, rule, core_rule(key, rule)) for key, rule in rules]
    for alert in alerts:
        decided = False
        facts = facts_of(alert, client_of_org)
        for key, rule, core in compiled:
            if mismatch(core, facts) is not None:
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
