"""Alert rules for the UI: `psa.alert_rules` bound to one scope (blocking; use run_job)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.services import PsaScope, psa_scope


@dataclass(frozen=True)
class RuleChoices:
    """The tenant's own boards, priorities, closed statuses and users, by their own names.

    Each list holds (id as text, name); `default_board` is the board alert tickets go to when a
    rule names none (the integration's board, else the tenant's default board).
    """

    boards: list[tuple[str, str]] = field(default_factory=list)
    priorities: list[tuple[str, str]] = field(default_factory=list)
    closed_statuses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # by board
    users: list[tuple[str, str]] = field(default_factory=list)
    default_board: str | None = None


def load_choices(s: Any, integration_id: uuid.UUID) -> RuleChoices:
    """Read the choice lists in one session (blocking)."""
    import sqlalchemy as sa

    from ninja_desk.psa.errors import NotFound
    from ninja_desk.psa.integration_settings import load_settings, ticket_board
    from ninja_desk.psa.schema import boards, priorities, statuses
    from ninja_desk.psa.tenants import list_users

    b, p, st = boards.c, priorities.c, statuses.c
    board_rows = s.conn.execute(
        sa.select(b.board_id, b.board_name)
        .where(b.tenant == s.tenant, sa.func.coalesce(b.is_inactive, False).is_(False))
        .order_by(b.display_order, b.board_name)
    ).all()
    priority_rows = s.conn.execute(
        sa.select(p.priority_id, p.priority_name)
        .where(p.tenant == s.tenant, sa.func.coalesce(p.item_type, "ticket") == "ticket")
        .order_by(p.order_number, p.priority_name)
    ).all()
    closed: dict[str, list[tuple[str, str]]] = {}
    for row in s.conn.execute(
        sa.select(st.board_id, st.status_id, st.name)
        .where(
            st.tenant == s.tenant,
            sa.func.coalesce(st.item_type, st.status_type) == "ticket",
            st.is_closed.is_(True),
        )
        .order_by(st.order_number, st.name)
    ):
        closed.setdefault(str(row.board_id), []).append((str(row.status_id), str(row.name)))
    people = []
    for user in list_users(s):
        if user.is_inactive:
            continue
        full = " ".join(x for x in (user.first_name, user.last_name) if x)
        people.append((str(user.user_id), f"{full} ({user.username})" if full else user.username))
    try:
        default_board: str | None = str(ticket_board(s, load_settings(s, integration_id)))
    except NotFound:
        default_board = None
    return RuleChoices(
        boards=[(str(r.board_id), str(r.board_name)) for r in board_rows],
        priorities=[(str(r.priority_id), str(r.priority_name)) for r in priority_rows],
        closed_statuses=closed,
        users=people,
        default_board=default_board,
    )


class PsaAlertRules:
    def __init__(self, scope: PsaScope) -> None:
        self.scope = scope

    def list(self) -> list[Any]:
        from ninja_desk.psa.alert_rules import list_rules

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return list_rules(s, integration)

    def choices(self) -> RuleChoices:
        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return load_choices(s, integration)

    def create(self, name: str, **fields: Any) -> uuid.UUID:
        from ninja_desk.psa.alert_rules import create_rule

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return create_rule(s, integration, name, **fields)

    def update(self, rule_id: uuid.UUID, **changes: Any) -> None:
        from ninja_desk.psa.alert_rules import update_rule

        with self.scope.session() as s:
            update_rule(s, rule_id, **changes)

    def delete(self, rule_id: uuid.UUID) -> None:
        from ninja_desk.psa.alert_rules import delete_rule

        with self.scope.session() as s:
            delete_rule(s, rule_id)

    def reorder(self, rule_ids: Sequence[uuid.UUID]) -> None:
        """Renumber in steps of 10 in one transaction, so the order is never half-written."""
        from ninja_desk.psa.alert_rules import update_rule

        with self.scope.session() as s:
            for position, rule_id in enumerate(rule_ids):
                update_rule(s, rule_id, priority_order=(position + 1) * 10)

    def client_of_org(self) -> dict[int, str]:
        """NinjaOne org id -> PSA client id, for the rule preview's client conditions."""
        from ninja_desk.psa.org_mapping import load_mappings

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            rows = load_mappings(s, integration)
        return {int(k): str(r.client_id) for k, r in rows.items() if r.client_id and k.isdigit()}


def alert_rules_service(ctx: AppContext) -> Any:
    """The service, or the sentence that says why there is none."""
    given = getattr(ctx, "alert_rules", None)
    if given is not None:
        return given
    scope = psa_scope(ctx)
    return scope if isinstance(scope, str) else PsaAlertRules(scope)
