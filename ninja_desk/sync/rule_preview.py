"""The rule shape the editor edits, and "test against the last 7 days" on the cache.

A rule is what `ninja_desk.psa.alert_rules` stores, in Alga's JSON shape plus
NinjaDesk's own options (see that module's docstring):

    {"name": str, "is_active": bool, "priority_order": int,
     "conditions": {"severities": ["critical", ...], "activityTypes": [...],
                    "sourceTypes": [...], "alertClasses": [...], "organizationIds": ["12"],
                    "messagePattern": "regex", "keywords": [...]},
     "actions": {"createTicket": bool, "boardId": id, "priorityOverride": id, ...},
     "options": {"dry_run": bool, "group_storms": bool, "storm_window_minutes": int,
                 "client_ids": [...], "node_classes": [...]}}

Matching belongs to `core.alert_rules` (the pipeline's) through `psa.alert_rules.to_core`, so
the preview cannot drift from what the agent decides; this module only replays cached alerts
through it, in list order, first match wins. Client conditions need the PSA's organization
mapping, so the preview takes that mapping as an argument.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ninja_desk.cache.queries.alerts import ALERTS_SINCE_SQL
from ninja_desk.core.alert_rules import AlertFacts, Rule, alert_class_of, mismatch
from ninja_desk.psa.alert_rules import AlertRule, to_core

LIST_CONDITIONS = ("severities", "activityTypes", "sourceTypes", "alertClasses", "keywords")
LIST_OPTIONS = ("client_ids", "node_classes")
WEEK = 7 * 24 * 3600


def _clean_list(key: str, value: Any) -> list[Any]:
    items = {str(v).strip() for v in value or () if str(v).strip()}
    if key == "severities":
        items = {v.lower() for v in items}
    return sorted(items)


def clean_conditions(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty entries so the stored JSON says only what the rule checks.

    Keys the editor does not know are kept as they are (a rule Alga made may carry them).
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in LIST_CONDITIONS:
            if cleaned := _clean_list(key, value):
                out[key] = cleaned
        elif key == "organizationIds":
            if value:
                out[key] = sorted({str(v) for v in value}, key=lambda v: (len(v), v))
        elif key == "messagePattern":
            if value and str(value).strip():
                out[key] = str(value).strip()
        elif value not in (None, "", [], {}):
            out[key] = value
    return out


def clean_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Options without empty condition lists (the rest as given)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in LIST_OPTIONS:
            if cleaned := _clean_list(key, value):
                out[key] = cleaned
        elif value is not None:
            out[key] = value
    return out


def facts_of(
    alert: Mapping[str, Any], client_of_org: Mapping[int, str] | None = None
) -> AlertFacts:
    """A cache row (alert joined with its device) as the pipeline's AlertFacts."""
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
        alert_class=alert_class_of(alert.get("condition_name")),
        device_id=alert.get("device_id"),
        device_name=alert.get("device_name"),
    )


def core_rule(key: str, rule: Mapping[str, Any]) -> Rule:
    """The editor's rule dict as core.alert_rules.Rule, through psa.alert_rules.to_core."""
    rule_id = rule.get("rule_id")
    return to_core(
        AlertRule(
            rule_id=rule_id if isinstance(rule_id, uuid.UUID) else key,  # type: ignore[arg-type]
            integration_id=rule.get("integration_id"),  # type: ignore[arg-type]
            name=str(rule.get("name") or key),
            description=rule.get("description"),
            is_active=bool(rule.get("is_active", True)),
            priority_order=int(rule.get("priority_order") or 0),
            conditions=dict(rule.get("conditions") or {}),
            actions=dict(rule.get("actions") or {}),
            options=dict(rule.get("options") or {}),
        )
    )


def creates_ticket(rule: Mapping[str, Any]) -> bool:
    return bool((rule.get("actions") or {}).get("createTicket", True))


def matches(
    conditions: Mapping[str, Any],
    alert: Mapping[str, Any],
    client_of_org: Mapping[int, str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> bool:
    """The pipeline's own test (core.alert_rules.mismatch), so the preview cannot drift."""
    rule = core_rule("preview", {"conditions": conditions, "options": options or {}})
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
        verb = "turned into tickets" if creates_ticket(rule) else "suppressed"
        parts = [f"In the last 7 days, {alone} of {self.alerts} alerts match this rule"]
        if alone != decided:
            parts.append(f"{alone - decided} of them are taken by an earlier rule")
        parts.append(f"so {decided} would be {verb}")
        text = "; ".join(parts) + "."
        if (rule.get("options") or {}).get("dry_run"):
            text += " Dry run: decisions are recorded, no ticket is made."
        if not rule.get("is_active", True):
            text += " The rule is disabled, so today it decides nothing."
        text += f" {self.unmatched} alerts match no rule."
        return text


def alerts_since(cache: Any, since: float) -> list[dict[str, Any]]:
    return list(cache.rows(ALERTS_SINCE_SQL, since=since))


def preview(
    rules: Sequence[tuple[str, Mapping[str, Any]]],
    alerts: Sequence[Mapping[str, Any]],
    client_of_org: Mapping[int, str] | None = None,
) -> RulePreview:
    """`rules` in evaluation order as (key, {"conditions", "options", "is_active", ...})."""
    result = RulePreview(alerts=len(alerts))
    for key, _rule in rules:
        result.first_match[key] = 0
        result.matched_alone[key] = 0
        result.examples[key] = []
    compiled = [(key, rule, core_rule(key, rule)) for key, rule in rules]
    for alert in alerts:
        decided = False
        facts = facts_of(alert, client_of_org)
        for key, rule, core in compiled:
            if mismatch(core, facts) is not None:
                continue
            result.matched_alone[key] += 1
            if not decided and rule.get("is_active", True):
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
