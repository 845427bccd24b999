"""The PSA database schema: Alga's tables plus NinjaDesk's `ninjadesk_` bookkeeping, one MetaData.

Import tables from here (`from ninja_desk.psa.schema import tickets`). alga_schema.py holds
Alga's tables as Alga ships them; own_schema.py holds what NinjaDesk adds.
"""

from __future__ import annotations

import sqlalchemy as sa

from ninja_desk.psa.alga_schema import (
    api_keys,
    asset_associations,
    asset_history,
    asset_software,
    assets,
    audit_logs,
    boards,
    clients,
    comment_threads,
    comments,
    mobile_device_assets,
    network_device_assets,
    next_number,
    permissions,
    printer_assets,
    priorities,
    rmm_alert_rules,
    rmm_alerts,
    rmm_integrations,
    rmm_maintenance_windows,
    rmm_organization_mappings,
    role_permissions,
    roles,
    server_assets,
    software_catalog,
    statuses,
    tenant_external_entity_mappings,
    tenants,
    ticket_audit_logs,
    tickets,
    user_roles,
    users,
    workstation_assets,
)
from ninja_desk.psa.own_schema import (
    OWN_TABLES,
    ninjadesk_alert_rule_options,
    ninjadesk_alert_series,
    ninjadesk_alert_tickets,
    ninjadesk_asset_device_lineage,
    ninjadesk_asset_sync,
    ninjadesk_events_outbox,
    ninjadesk_integration_settings,
    ninjadesk_sync_leases,
)
from ninja_desk.psa.schema_types import metadata

# Alga's asset type -> its extension table (Alga's asset_type words).
EXTENSION_TABLES: dict[str, sa.Table] = {
    "workstation": workstation_assets,
    "server": server_assets,
    "network_device": network_device_assets,
    "mobile_device": mobile_device_assets,
    "printer": printer_assets,
}

OWN_TABLE_NAMES: frozenset[str] = frozenset(t.name for t in OWN_TABLES)
ALGA_TABLE_NAMES: frozenset[str] = frozenset(
    name for name in metadata.tables if name not in OWN_TABLE_NAMES
)

__all__ = [
    "ALGA_TABLE_NAMES",
    "EXTENSION_TABLES",
    "OWN_TABLES",
    "OWN_TABLE_NAMES",
    "api_keys",
    "asset_associations",
    "asset_history",
    "asset_software",
    "assets",
    "audit_logs",
    "boards",
    "clients",
    "comment_threads",
    "comments",
    "metadata",
    "mobile_device_assets",
    "network_device_assets",
    "next_number",
    "ninjadesk_alert_rule_options",
    "ninjadesk_alert_series",
    "ninjadesk_alert_tickets",
    "ninjadesk_asset_device_lineage",
    "ninjadesk_asset_sync",
    "ninjadesk_events_outbox",
    "ninjadesk_integration_settings",
    "ninjadesk_sync_leases",
    "permissions",
    "printer_assets",
    "priorities",
    "rmm_alert_rules",
    "rmm_alerts",
    "rmm_integrations",
    "rmm_maintenance_windows",
    "rmm_organization_mappings",
    "role_permissions",
    "roles",
    "server_assets",
    "software_catalog",
    "statuses",
    "tenant_external_entity_mappings",
    "tenants",
    "ticket_audit_logs",
    "tickets",
    "user_roles",
    "users",
    "workstation_assets",
]
