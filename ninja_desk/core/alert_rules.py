"""Alert rules: which alerts become tickets. Pure matching, first matching rule wins.

This is the matcher's own shape. Rules are stored in Alga's shape (`rmm_alert_rules.conditions`
/ `.actions`, plus NinjaDesk's options): ninja_desk/psa/alert_rules.to_core translates them into
this one, so a rule made in Alga or in NinjaDesk matches the same way.

    conditions = {"severities": [...], "activity_types": [...], "status_codes": [...],
                  "organization_ids": [...], "client_ids": [...], "node_classes": [...],
                  "message_contains": "text"}        # a missing or empty key matches everything
    action = {"type": "create_ticket" | "suppress",
              "priority": "from_severity" | "urgent" | "high" | ...,
              "priority_map": {"CRITICAL": "urgent", ...},      # optional, for from_severity
              "board": "Monitoring", "assignee": "<user uuid or username>",
              "title_template": "[NinjaOne Alert] {condition} on {device}",
              "auto_resolve": true,        # resolve the untouched ticket when the alert resets
              "reset_on_close": false,     # closing the ticket resets the alert in NinjaOne
              "group_storms": true, "storm_window_minutes": 15}

`activity_types` matches the alert's source type (`CONDITION_AGENT_CPU`, ...) or its activity
type (`CONDITION`); `status_codes` the status code of the activity that opened it.

Also understood (what Alga's rule shape adds, translated by ninja_desk/psa/alert_rules.py):
`source_types` (the source type only), `alert_classes`, `message_pattern` (a regular
expression searched in the message and condition name) and `keywords` (any of them, case
insensitive).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ninja_desk.core.severity import ticket_priority_for

DEFAULT_TITLE_TEMPLATE = "[NinjaOne Alert] {condition} on {device}"
DEFAULT_STORM_WINDOW_MINUTES = 15

# Decisions recorded on every alert (rmm_alerts.rule_decision).
TICKET = "ticket"
SUPPRESSED = "suppressed"
DRY_RUN = "dry_run"
NO_RULE = "no_rule"
UNMAPPED = "org_not_mapped"
MAINTENANCE = "maintenance"
DUPLICATE = "duplicate"
MANUAL = "manual_ticket"


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What a rule can look at."""

    series_uid: str
    severity: str = "NONE"
    activity_type: str | None = None
    source_type: str | None = None
    status_code: str | None = None
    organization_id: int | None = None
    client_id: str | None = None
    node_class: str | None = None
    message: str | None = None
    condition_name: str | None = None
    device_id: int | None = None
    device_name: str | None = None
    alert_class: str | None = None


# Alga's rmm_alerts.alert_class is varchar(100).
ALERT_CLASS_LENGTH = 100


def alert_class_of(condition_name: str | None) -> str | None:
    """The alert class a rule matches and the PSA stores: NinjaOne's condition name, cut to
    Alga's column; None when there is none."""
    return (condition_name or "")[:ALERT_CLASS_LENGTH] or None


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    name: str
    priority_order: int = 0
    enabled: bool = True
    dry_run: bool = False
    conditions: Mapping[str, Any] = field(default_factory=dict)
    action: Mapping[str, Any] = field(default_factory=dict)

    @property
    def action_type(self) -> str:
        return str(self.action.get("type") or "create_ticket")


def _upper_set(values: Iterable[Any] | None) -> set[str]:
    return {str(v).upper() for v in values or () if str(v).strip()}


def _any_pattern(patterns: set[str], *values: str | None) -> bool:
    """Exact match or shell-style wildcard (`CONDITION_*`): the editor's search box allows both."""
    for value in values:
        if value is None:
            continue
        v = value.upper()
        for p in patterns:
            if p == v or (("*" in p or "?" in p) and fnmatch.fnmatchcase(v, p)):
                return True
    return False


def mismatch(rule: Rule, facts: AlertFacts) -> str | None:
    """None if the rule's conditions hold, else a short reason (for explain and rule tests)."""
    c = rule.conditions
    severities = _upper_set(c.get("severities"))
    if severities and facts.severity.upper() not in severities:
        return f"severity {facts.severity} not in {sorted(severities)}"
    types = _upper_set(c.get("activity_types"))
    if types and not _any_pattern(types, facts.source_type, facts.activity_type):
        return f"type {facts.source_type or facts.activity_type} not selected"
    codes = _upper_set(c.get("status_codes"))
    if codes and not _any_pattern(codes, facts.status_code):
        return f"status code {facts.status_code} not selected"
    orgs = {str(o) for o in c.get("organization_ids") or ()}
    if orgs and str(facts.organization_id) not in orgs:
        return f"organization {facts.organization_id} not selected"
    clients = {str(x) for x in c.get("client_ids") or ()}
    if clients and (facts.client_id is None or facts.client_id not in clients):
        return "client not selected"
    classes = _upper_set(c.get("node_classes"))
    if classes and not _any_pattern(classes, facts.node_class):
        return f"device class {facts.node_class} not selected"
    text = str(c.get("message_contains") or "").strip().lower()
    haystack = " ".join(x for x in (facts.message, facts.condition_name) if x)
    if text and text not in haystack.lower():
        return f"message does not contain '{text}'"
    sources = _upper_set(c.get("source_types"))
    if sources and not _any_pattern(sources, facts.source_type):
        return f"source type {facts.source_type} not selected"
    classes_ = _upper_set(c.get("alert_classes"))
    if classes_ and not _any_pattern(classes_, facts.alert_class):
        return f"alert class {facts.alert_class} not selected"
    pattern = str(c.get("message_pattern") or "")
    if pattern:
        try:
            found = re.search(pattern, haystack, re.IGNORECASE) is not None
        except re.error:
            return f"message pattern '{pattern}' is not a valid regular expression"
        if not found:
            return f"message does not match '{pattern}'"
    keywords = [str(k).strip().lower() for k in c.get("keywords") or () if str(k).strip()]
    if keywords and not any(k in haystack.lower() for k in keywords):
        return f"message has none of the keywords {keywords}"
    return None


def first_match(rules: Sequence[Rule], facts: AlertFacts) -> Rule | None:
    for rule in sorted(rules, key=lambda r: (r.priority_order, r.name)):
        if rule.enabled and mismatch(rule, facts) is None:
            return rule
    return None


def ticket_priority(rule: Rule, severity: str, default_map: Mapping[str, str] | None = None) -> str:
    wanted = str(rule.action.get("priority") or "from_severity")
    if wanted != "from_severity":
        return wanted
    mapping = rule.action.get("priority_map") or default_map
    return ticket_priority_for(severity, dict(mapping) if mapping else None)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render_title(template: str | None, values: Mapping[str, Any]) -> str:
    """A title from the rule's template; unknown placeholders become empty, never an error."""
    try:
        title = (template or DEFAULT_TITLE_TEMPLATE).format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError):
        title = DEFAULT_TITLE_TEMPLATE.format_map(_Blank(values))
    return " ".join(title.split())[:500]


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # one of the decision constants above
    reason: str
    rule: Rule | None = None
    priority: str | None = None
    window: str | None = None

    @property
    def wants_ticket(self) -> bool:
        return self.outcome in (TICKET, MANUAL)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "reason": self.reason}
        if self.rule is not None:
            out["rule"] = self.rule.name
            out["rule_id"] = self.rule.rule_id
            out["action"] = self.rule.action_type
            if self.rule.dry_run:
                out["dry_run"] = True
        if self.priority:
            out["priority"] = self.priority
        if self.window:
            out["window"] = self.window
        return out


def decide(
    rules: Sequence[Rule],
    facts: AlertFacts,
    *,
    mapped: bool,
    window_name: str | None = None,
    default_map: Mapping[str, str] | None = None,
) -> Decision:
    """The whole decision for one newly opened alert, as a sentence-worthy record."""
    rule = first_match(rules, facts)
    if rule is None:
        return Decision(NO_RULE, "No enabled rule matches this alert.")
    if rule.action_type == "suppress":
        return Decision(SUPPRESSED, f"Suppressed by rule '{rule.name}'.", rule)
    if not mapped:
        if facts.organization_id is None:
            return Decision(
                UNMAPPED,
                f"Rule '{rule.name}' matched, but device {facts.device_id} is not known yet "
                "(no PSA asset, not in the cache); the next alert poll after a sync decides.",
                rule,
            )
        return Decision(
            UNMAPPED,
            f"Rule '{rule.name}' matched, but NinjaOne organization {facts.organization_id} "
            "is not mapped to a PSA client; map it in Settings → Organization mapping, and the "
            "next alert poll creates the ticket.",
            rule,
        )
    if window_name is not None:
        return Decision(
            MAINTENANCE,
            f"Rule '{rule.name}' matched, but maintenance window '{window_name}' is open.",
            rule,
            window=window_name,
        )
    priority = ticket_priority(rule, facts.severity, default_map)
    if rule.dry_run:
        return Decision(
            DRY_RUN,
            f"Dry run: rule '{rule.name}' would have created {_a(priority)} {priority} ticket.",
            rule,
            priority,
        )
    return Decision(
        TICKET, f"Rule '{rule.name}' created {_a(priority)} {priority} ticket.", rule, priority
    )


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
