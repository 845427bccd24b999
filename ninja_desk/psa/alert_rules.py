"""Alert rules in Alga's `rmm_alert_rules`, in the JSON shape Alga's UI stores.

A rule made here shows in Alga's UI, and one made in Alga works in NinjaDesk:

    conditions = {"severities": ["critical", "major"],       # Alga's severity words
                  "activityTypes": ["CONDITION"], "sourceTypes": ["CONDITION_AGENT_CPU"],
                  "alertClasses": [...], "organizationIds": ["12"],   # NinjaOne org ids
                  "messagePattern": "disk|volume", "keywords": ["C:"]}   # all optional, AND
    actions = {"createTicket": true, "boardId": "<uuid>", "priorityOverride": "<priority id>",
               "assignToUserId": "<uuid>",
               "ticketTemplate": {"titleTemplate": "...", "descriptionTemplate": "..."},
               "autoResolveTicket": true, "autoResolveStatusId": "<status id>",
               "resetAlertOnTicketClose": true, "notifyUserIds": []}

An unknown key in `actions` makes Alga treat the rule as record-only, so NinjaDesk never writes
one: what only NinjaDesk can do (dry run, storm grouping, client and device-class conditions)
lives in `ninjadesk_alert_rule_options` (storm grouping is off unless an option turns it on,
so a rule made in Alga behaves as in Alga). First active rule by `priority_order` wins.
Every change is audited (`audit_logs`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.core import alert_rules as core
from ninja_desk.psa import audit
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.integration_settings import SEVERITIES
from ninja_desk.psa.permissions import CONFIGURE_ALERT_RULES, VIEW_ALERTS, require
from ninja_desk.psa.schema import ninjadesk_alert_rule_options, rmm_alert_rules
from ninja_desk.psa.tenancy import TenantSession

CONDITION_KEYS = frozenset(
    {
        "severities",
        "activityTypes",
        "alertClasses",
        "sourceTypes",
        "organizationIds",
        "messagePattern",
        "keywords",
    }
)
ACTION_KEYS = frozenset(
    {
        "createTicket",
        "boardId",
        "priorityOverride",
        "assignToUserId",
        "ticketTemplate",
        "autoResolveTicket",
        "autoResolveStatusId",
        "resetAlertOnTicketClose",
        "notifyUserIds",
    }
)
TEMPLATE_KEYS = frozenset({"titleTemplate", "descriptionTemplate"})
# NinjaDesk-only: dry run, storm grouping, and two conditions Alga has no key for.
OPTION_KEYS = frozenset(
    {"dry_run", "group_storms", "storm_window_minutes", "client_ids", "node_classes"}
)
_EDITABLE = (
    "name",
    "description",
    "is_active",
    "priority_order",
    "conditions",
    "actions",
    "options",
)


@dataclass(frozen=True, slots=True)
class AlertRule:
    rule_id: uuid.UUID
    integration_id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    priority_order: int
    conditions: dict[str, Any]
    actions: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def dry_run(self) -> bool:
        return bool(self.options.get("dry_run"))

    @property
    def creates_ticket(self) -> bool:
        return bool(self.actions.get("createTicket", True))


def validate(conditions: dict[str, Any], actions: dict[str, Any], options: dict[str, Any]) -> None:
    """Alga's keys only (a rule Alga's UI can show), with values of the right kind."""
    unknown = set(conditions) - CONDITION_KEYS
    if unknown:
        raise ValueError(
            f"Alert rule conditions have no key(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(CONDITION_KEYS))}."
        )
    unknown = set(actions) - ACTION_KEYS
    if unknown:
        raise ValueError(
            f"Alert rule actions have no key(s) {', '.join(sorted(unknown))} (Alga would treat "
            "the rule as record-only); NinjaDesk-only settings go in the rule's options."
        )
    unknown = set(options) - OPTION_KEYS
    if unknown:
        raise ValueError(f"Alert rule options have no key(s) {', '.join(sorted(unknown))}.")
    bad = [s for s in conditions.get("severities") or () if str(s).lower() not in SEVERITIES]
    if bad:
        raise ValueError(f"Severities are {', '.join(SEVERITIES)}; not {', '.join(map(str, bad))}.")
    for key in ("severities", "activityTypes", "alertClasses", "sourceTypes", "keywords"):
        if not isinstance(conditions.get(key, []), list):
            raise ValueError(f"Alert rule condition {key} is a list.")
    if not isinstance(conditions.get("organizationIds", []), list):
        raise ValueError("Alert rule condition organizationIds is a list of NinjaOne org ids.")
    pattern = conditions.get("messagePattern")
    if pattern:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise ValueError(f"messagePattern is not a valid regular expression ({exc}).") from None
    template = actions.get("ticketTemplate")
    if template is not None and (not isinstance(template, dict) or set(template) - TEMPLATE_KEYS):
        raise ValueError("ticketTemplate holds titleTemplate and descriptionTemplate only.")
    for key in ("boardId", "priorityOverride", "assignToUserId", "autoResolveStatusId"):
        if actions.get(key):
            try:
                uuid.UUID(str(actions[key]))
            except ValueError:
                raise ValueError(f"Alert rule action {key} is an id (uuid).") from None


def _normalise(conditions: dict[str, Any]) -> dict[str, Any]:
    out = dict(conditions)
    if "severities" in out:
        out["severities"] = [str(s).lower() for s in out["severities"]]
    if "organizationIds" in out:
        out["organizationIds"] = [str(o) for o in out["organizationIds"]]
    return out


def create_rule(
    s: TenantSession,
    integration_id: uuid.UUID,
    name: str,
    *,
    priority_order: int,
    conditions: dict[str, Any] | None = None,
    actions: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    is_active: bool = True,
    description: str | None = None,
) -> uuid.UUID:
    require(s, CONFIGURE_ALERT_RULES)
    conditions, actions, options = _normalise(conditions or {}), actions or {}, options or {}
    validate(conditions, actions, options)
    rule_id = uuid.uuid4()
    now = utcnow()
    values = dict(
        name=name,
        description=description,
        is_active=is_active,
        priority_order=priority_order,
        conditions=conditions,
        actions=actions,
    )
    s.conn.execute(
        rmm_alert_rules.insert().values(
            tenant=s.tenant,
            rule_id=rule_id,
            integration_id=integration_id,
            created_at=now,
            updated_at=now,
            **values,
        )
    )
    if options:
        _save_options(s, rule_id, options, insert=True)
    audit.record(
        s,
        "alert_rule.created",
        "rmm_alert_rules",
        rule_id,
        audit.diff({}, {**values, "options": options}),
    )
    return rule_id


def _save_options(
    s: TenantSession, rule_id: uuid.UUID, options: dict[str, Any], *, insert: bool
) -> None:
    t = ninjadesk_alert_rule_options
    now = utcnow()
    if not insert:
        done = s.conn.execute(
            t.update()
            .where(t.c.tenant == s.tenant, t.c.rule_id == rule_id)
            .values(options=options, updated_at=now)
        ).rowcount
        if done:
            return
    s.conn.execute(
        t.insert().values(tenant=s.tenant, rule_id=rule_id, options=options, updated_at=now)
    )


def update_rule(s: TenantSession, rule_id: uuid.UUID, **changes: Any) -> None:
    require(s, CONFIGURE_ALERT_RULES)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"Rules have no field(s) {', '.join(sorted(unknown))}.")
    before = get_rule(s, rule_id)
    if "conditions" in changes:
        changes["conditions"] = _normalise(changes["conditions"] or {})
    validate(
        changes.get("conditions", before.conditions),
        changes.get("actions", before.actions),
        changes.get("options", before.options),
    )
    options = changes.pop("options", None)
    t = rmm_alert_rules
    s.conn.execute(
        t.update()
        .where(t.c.tenant == s.tenant, t.c.rule_id == rule_id)
        .values(updated_at=utcnow(), **changes)
    )
    if options is not None:
        _save_options(s, rule_id, options, insert=False)
        changes["options"] = options
    old = {k: getattr(before, k) for k in changes}
    audit.record(s, "alert_rule.updated", "rmm_alert_rules", rule_id, audit.diff(old, changes))


def delete_rule(s: TenantSession, rule_id: uuid.UUID) -> None:
    require(s, CONFIGURE_ALERT_RULES)
    before = get_rule(s, rule_id)
    t, o = rmm_alert_rules, ninjadesk_alert_rule_options
    s.conn.execute(o.delete().where(o.c.tenant == s.tenant, o.c.rule_id == rule_id))
    s.conn.execute(t.delete().where(t.c.tenant == s.tenant, t.c.rule_id == rule_id))
    audit.record(s, "alert_rule.deleted", "rmm_alert_rules", rule_id, {"name": before.name})


def _query(s: TenantSession) -> sa.Select:
    t, o = rmm_alert_rules, ninjadesk_alert_rule_options
    return sa.select(
        t.c.rule_id,
        t.c.integration_id,
        t.c.name,
        t.c.description,
        t.c.is_active,
        t.c.priority_order,
        t.c.conditions,
        t.c.actions,
        o.c.options,
    ).select_from(t.outerjoin(o, sa.and_(o.c.tenant == t.c.tenant, o.c.rule_id == t.c.rule_id)))


def _rule(row: Any) -> AlertRule:
    return AlertRule(
        row.rule_id,
        row.integration_id,
        row.name,
        row.description,
        bool(row.is_active),
        int(row.priority_order or 0),
        dict(row.conditions or {}),
        dict(row.actions or {}),
        dict(row.options or {}),
    )


def get_rule(s: TenantSession, rule_id: uuid.UUID) -> AlertRule:
    t = rmm_alert_rules
    row = s.conn.execute(_query(s).where(t.c.tenant == s.tenant, t.c.rule_id == rule_id)).first()
    if row is None:
        raise NotFound("That alert rule does not exist in this tenant.")
    return _rule(row)


def list_rules(s: TenantSession, integration_id: uuid.UUID) -> list[AlertRule]:
    """In evaluation order."""
    require(s, VIEW_ALERTS)
    t = rmm_alert_rules
    rows = s.conn.execute(
        _query(s)
        .where(t.c.tenant == s.tenant, t.c.integration_id == integration_id)
        .order_by(t.c.priority_order, t.c.name, t.c.rule_id)
    )
    return [_rule(row) for row in rows]


# -- to the pure matcher ---------------------------------------------------------------------

_MUSTACHE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _template(text: Any) -> str | None:
    """Alga-style `{{device}}` placeholders or NinjaDesk's `{device}`: both render."""
    if not text:
        return None
    return _MUSTACHE.sub(r"{\1}", str(text))


def _upper_list(values: Any) -> list[str]:
    return [str(x).upper() for x in values]


def _str_list(values: Any) -> list[str]:
    return [str(x) for x in values]


def to_core(rule: AlertRule, priority_names: dict[str, str] | None = None) -> core.Rule:
    """The rule for core/alert_rules.py. `priority_names` (priority id -> name) turns
    `priorityOverride` into the name the decision records."""
    c, a, o = rule.conditions, rule.actions, rule.options
    conditions: dict[str, Any] = {
        key: read(source[name])
        for source, name, key, read in (
            (c, "severities", "severities", _upper_list),
            (c, "activityTypes", "activity_types", list),
            (c, "sourceTypes", "source_types", list),
            (c, "alertClasses", "alert_classes", list),
            (c, "organizationIds", "organization_ids", _str_list),
            (c, "messagePattern", "message_pattern", str),
            (c, "keywords", "keywords", list),
            (o, "client_ids", "client_ids", _str_list),  # NinjaDesk's options, not Alga's
            (o, "node_classes", "node_classes", list),
        )
        if source.get(name)
    }
    template = a.get("ticketTemplate") or {}
    override = a.get("priorityOverride")
    action: dict[str, Any] = {
        "type": "create_ticket" if a.get("createTicket", True) else "suppress",
        "priority": (priority_names or {}).get(str(override), str(override))
        if override
        else "from_severity",
        "title_template": _template(template.get("titleTemplate")),
        "description_template": _template(template.get("descriptionTemplate")),
        "auto_resolve": bool(a.get("autoResolveTicket", True)),
        "reset_on_close": bool(a.get("resetAlertOnTicketClose", True)),
        # Off unless NinjaDesk's options turn it on: a rule made in Alga makes one ticket per
        # alert, as Alga does.
        "group_storms": bool(o.get("group_storms", False)),
        "storm_window_minutes": int(
            o.get("storm_window_minutes") or core.DEFAULT_STORM_WINDOW_MINUTES
        ),
        "board_id": a.get("boardId"),
        "assignee_id": a.get("assignToUserId"),
        "priority_id": override,
        "auto_resolve_status_id": a.get("autoResolveStatusId"),
    }
    return core.Rule(
        rule_id=str(rule.rule_id),
        name=rule.name,
        priority_order=rule.priority_order,
        enabled=rule.is_active,
        dry_run=rule.dry_run,
        conditions=conditions,
        action=action,
    )
