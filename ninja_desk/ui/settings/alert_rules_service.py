"""Alert rules for the UI: `psa.alert_rules` bound to one scope (blocking; use run_job)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.services import PsaScope, psa_scope


class PsaAlertRules:
    def __init__(self, scope: PsaScope) -> None:
        self.scope = scope

    def list(self) -> list[Any]:
        from ninja_desk.psa.alert_rules import list_rules

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return list_rules(s, integration)

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
