"""Organization mapping for the UI: the PSA repository calls bound to one scope.

Every method is blocking (it talks to the PSA database): the page calls them through
`background.run_job`. The NinjaOne organizations come from the local cache.
"""

from __future__ import annotations

import uuid
from typing import Any

from ninja_desk.cache.queries.clients import DEVICES_PER_ORG_SQL, organizations
from ninja_desk.core.organizations import Organization
from ninja_desk.ui.context import AppContext
from ninja_desk.ui.settings.services import PsaScope, psa_scope


class PsaOrgMapping:
    def __init__(self, scope: PsaScope, cache: Any) -> None:
        self.scope = scope
        self.cache = cache

    def organizations(self) -> list[Organization]:
        return organizations(self.cache)

    def _org(self, org_id: int) -> Organization:
        for org in self.organizations():
            if org.id == org_id:
                return org
        raise LookupError(f"Organization {org_id} is not in the local cache; sync and retry.")

    def device_counts(self) -> dict[int, int]:
        return {r["organization_id"]: r["n"] for r in self.cache.rows(DEVICES_PER_ORG_SQL)}

    def states(self) -> list[Any]:
        from ninja_desk.psa.org_mapping import list_org_mappings

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return list_org_mappings(s, integration, self.organizations())

    def clients(self) -> list[Any]:
        from ninja_desk.psa.clients import list_clients

        with self.scope.session() as s:
            return list_clients(s)

    def map(self, org_id: int, client_id: uuid.UUID | None, auto_sync: bool = True) -> None:
        from ninja_desk.psa.org_mapping import map_organization

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            map_organization(s, integration, self._org(org_id), client_id, auto_sync=auto_sync)

    def create_client(self, org_id: int) -> uuid.UUID:
        from ninja_desk.psa.org_mapping import create_client_from_organization

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return create_client_from_organization(s, integration, self._org(org_id))

    def set_auto_sync(self, org_id: int, enabled: bool) -> None:
        from ninja_desk.psa.org_mapping import set_auto_sync

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            set_auto_sync(s, integration, self._org(org_id), enabled)

    def map_by_suggestion(self) -> int:
        from ninja_desk.psa.org_mapping import map_by_suggestion

        integration = self.scope.require_integration()
        with self.scope.session() as s:
            return map_by_suggestion(s, integration, self.organizations())


def org_mapping_service(ctx: AppContext) -> Any:
    """The service, or the sentence that says why there is none."""
    given = getattr(ctx, "org_mapping", None)
    if given is not None:
        return given
    scope = psa_scope(ctx)
    return scope if isinstance(scope, str) else PsaOrgMapping(scope, ctx.cache)
