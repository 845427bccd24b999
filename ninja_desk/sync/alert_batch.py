"""What one alert batch works on: the locked series, what the batch loaded once, and what it
reports back. Shared by the pipeline (alert_pipeline.py) and its ticket work (alert_tickets.py),
which gets a BatchContext, never the pipeline itself: the route only goes down from here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from ninja_desk.core import alert_rules as rules_mod
from ninja_desk.core import alert_series as series_mod
from ninja_desk.core.alert_rules import AlertFacts, Decision, Rule
from ninja_desk.core.alert_series import AlertEvent, SeriesState, Transition
from ninja_desk.core.maintenance_windows import MaintenanceWindow, open_window
from ninja_desk.psa.integration_settings import IntegrationSettings, service_user
from ninja_desk.psa.schema import tickets
from ninja_desk.psa.tenancy import TenantSession


@dataclass
class SeriesOutcome:
    """Where one series stands after a batch (mirrored into the desktop cache)."""

    series_uid: str
    alert_id: uuid.UUID
    status: str
    severity: str | None  # None: NinjaOne has not said (the cache shows it as unknown)
    device_id: int | None
    decision: dict[str, Any] | None
    ticket_id: uuid.UUID | None = None
    ticket_number: str | None = None


@dataclass
class IngestResult:
    events: int = 0
    stale: int = 0
    opened: int = 0
    repeats: int = 0
    resolved: int = 0
    acknowledged: int = 0
    decided: int = 0
    tickets_created: int = 0
    tickets_joined: int = 0
    comments: int = 0
    tickets_auto_resolved: int = 0
    outcomes: dict[str, SeriesOutcome] = field(default_factory=dict)
    # One sentence each: why nothing was recorded (companion mode), boards left open, ...
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, other: IngestResult, *, counts_only: bool = False) -> None:
        """Sum `other` into this. `counts_only`: a running total (an agent's, for days)
        that must not keep every series' outcome."""
        for name, value in self.summary().items():
            setattr(self, name, value + getattr(other, name))
        if counts_only:
            return
        self.outcomes.update(other.outcomes)
        self.notes.extend(n for n in other.notes if n not in self.notes)

    def summary(self) -> dict[str, int]:
        return {
            k: v for k, v in self.__dict__.items() if isinstance(v, int) and not isinstance(v, bool)
        }


@dataclass
class SeriesWork:
    """One locked series inside a batch."""

    alert_id: uuid.UUID
    state: SeriesState
    # A series this batch sees first starts with nothing decided, linked or claimed.
    has_series_row: bool = False
    ticket_id: uuid.UUID | None = None
    decision: str | None = None
    explanation: str | None = None
    rule_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    acknowledged_by: uuid.UUID | None = None
    resolved_by: uuid.UUID | None = None
    source_payload: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    window_id: uuid.UUID | None = None
    auto_ticket: bool = False
    last_occurrence_at: float | None = None
    events: list[AlertEvent] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    new_decision: Decision | None = None
    # The row as read or as inserted by this batch: unchanged rows are not rewritten.
    original: dict[str, Any] | None = None
    is_new: bool = False


@dataclass
class BatchContext:
    """What a batch loads once: rules, windows, org mapping, assets, device facts, settings,
    and who it acts as. Ticket work (alert_tickets.py) gets this, never the pipeline."""

    integration_id: uuid.UUID
    user_id: uuid.UUID | None  # the acting person; None = the system
    ninjaone_url: str
    rules: list[Rule]
    windows: list[MaintenanceWindow]
    client_of_org: dict[str, uuid.UUID]
    assets_by_device: dict[str, dict[str, Any]]
    devices: dict[int, dict[str, Any]]
    now: float
    settings: IntegrationSettings
    severity_priority_ids: dict[str, uuid.UUID]
    severity_names: dict[str, str]
    ticket_numbers: dict[uuid.UUID, str] = field(default_factory=dict)
    _service_user: uuid.UUID | None = None

    def service_user(self, s: TenantSession) -> uuid.UUID:
        """Alga's user for the system's writes (asset links, events without a person);
        resolved only when a batch needs it: a tenant without one can still record alerts."""
        if self._service_user is None:
            self._service_user = service_user(s, self.settings)
        return self._service_user

    def load_ticket_numbers(self, s: TenantSession, ticket_ids: list[uuid.UUID]) -> None:
        wanted = sorted({t for t in ticket_ids if t not in self.ticket_numbers}, key=str)
        if wanted:
            rows = s.conn.execute(
                sa.select(tickets.c.ticket_id, tickets.c.ticket_number).where(
                    tickets.c.tenant == s.tenant, tickets.c.ticket_id.in_(wanted)
                )
            )
            self.ticket_numbers.update(dict(rows.all()))

    def attach_device(self, item: SeriesWork) -> None:
        st = item.state
        if st.device_id is None:
            return
        asset = self.assets_by_device.get(str(st.device_id))
        device = self.devices.get(st.device_id) or {}
        org = st.organization_id
        if org is None and asset and asset.get("rmm_organization_id"):
            org = as_int(asset["rmm_organization_id"])
        if org is None and device.get("organization_id") is not None:
            org = int(device["organization_id"])
        updates: dict[str, Any] = {}
        if org != st.organization_id:
            updates["organization_id"] = org
        if st.node_class is None and device.get("node_class"):
            updates["node_class"] = device["node_class"]
        if st.device_name is None:
            name = (asset or {}).get("name") or device.get("name")
            if name:
                updates["device_name"] = name
        if updates:
            item.state = replace(st, **updates)
        if asset is not None:
            item.asset_id = asset["asset_id"]
        client = self.client_of_org.get(str(org)) if org is not None else None
        if client is None and asset is not None:
            client = asset["client_id"]
        item.client_id = client

    def facts(self, item: SeriesWork) -> AlertFacts:
        st = item.state
        return AlertFacts(
            series_uid=st.series_uid,
            severity=st.severity or "NONE",
            activity_type=st.activity_type,
            source_type=st.source_type,
            status_code=series_mod.TRIGGERED,
            organization_id=st.organization_id,
            client_id=str(item.client_id) if item.client_id else None,
            node_class=st.node_class,
            message=st.message,
            condition_name=st.condition_name,
            device_id=st.device_id,
            device_name=st.device_name,
            alert_class=rules_mod.alert_class_of(st.condition_name),
        )

    def decide(self, item: SeriesWork) -> Decision:
        facts = self.facts(item)
        at = item.state.triggered_at or self.now
        window = open_window(self.windows, at, facts.client_id, facts.device_id)
        if window is None and at != self.now:
            window = open_window(self.windows, self.now, facts.client_id, facts.device_id)
        decision = rules_mod.decide(
            self.rules,
            facts,
            mapped=item.client_id is not None,
            window_name=window.name if window else None,
            default_map=self.severity_names,
        )
        item.decision = decision.outcome
        item.explanation = json.dumps(decision.as_json())
        item.rule_id = uuid.UUID(decision.rule.rule_id) if decision.rule else None
        item.window_id = (
            as_uuid(window.window_id)
            if window is not None and decision.outcome == rules_mod.MAINTENANCE
            else None
        )
        return decision


def as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and str(value).strip() else None
    except ValueError:
        return None


def as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
