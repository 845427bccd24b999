"""PostgreSQL security: app roles, per-right grants, row-level security, actor stamping.

On SQLite (one local administrator) this revision does nothing.

Roles (cluster-wide, created if missing, shared by every PSA database on the server):
- nd_app: every app login is a member. Reads the tenant tables, writes the outbox, audit log
  and sync leases.
- nd_p_<right>: one role per right that allows writes (`alert_rules.configure` ->
  nd_p_alert_rules_configure). A technician's login is granted the roles of the rights their
  PSA roles hold (nd_apply_user_grants), so the database refuses what the app would refuse.
- nd_service: for the headless agent: member of nd_app and every nd_p_* role, and may act for
  any tenant the app selects. Technician logins are pinned to their tenant through db_logins.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    "tenants",
    "companies",
    "users",
    "roles",
    "role_permissions",
    "user_roles",
    "db_logins",
    "priorities",
    "statuses",
    "channels",
    "ticket_number_sequences",
    "rmm_integrations",
    "rmm_organization_mappings",
    "assets",
    "workstation_assets",
    "server_assets",
    "network_device_assets",
    "mobile_device_assets",
    "printer_assets",
    "asset_history",
    "asset_device_lineage",
    "software_catalog",
    "asset_software",
    "tenant_external_entity_mappings",
    "tickets",
    "ticket_comments",
    "asset_ticket_associations",
    "rmm_alert_rules",
    "rmm_alerts",
    "events_outbox",
    "audit_log",
    "sync_leases",
]

_ASSET_TABLES = [
    "assets",
    "workstation_assets",
    "server_assets",
    "network_device_assets",
    "mobile_device_assets",
    "printer_assets",
    "asset_software",
    "software_catalog",
    "tenant_external_entity_mappings",
    "asset_device_lineage",
]

# right -> [(privileges, table)]. Frozen with this revision; later revisions add their own.
PERMISSION_GRANTS: dict[str, list[tuple[str, str]]] = {
    "devices.sync": [
        *(("INSERT, UPDATE", t) for t in _ASSET_TABLES),
        ("INSERT", "asset_history"),
        # The sync records which organizations it saw, but cannot map them.
        (
            "INSERT (tenant, mapping_id, integration_id, external_organization_id,"
            " external_organization_name, first_seen_at, last_seen_at, updated_at)",
            "rmm_organization_mappings",
        ),
        (
            "UPDATE (external_organization_name, last_seen_at, vanished_at)",
            "rmm_organization_mappings",
        ),
        (
            "UPDATE (last_full_sync_at, last_incremental_sync_at, sync_status, sync_error,"
            " updated_at)",
            "rmm_integrations",
        ),
    ],
    "alerts.act": [("INSERT, UPDATE", "rmm_alerts")],
    "tickets.create": [
        ("INSERT, UPDATE", "tickets"),
        ("INSERT, UPDATE", "ticket_comments"),
        ("INSERT, UPDATE, DELETE", "asset_ticket_associations"),
        ("UPDATE", "ticket_number_sequences"),
    ],
    "tickets.assign": [("UPDATE (assigned_to, updated_at, updated_by)", "tickets")],
    "remote.connect": [],
    "org_mapping.configure": [
        ("INSERT, UPDATE, DELETE", "rmm_organization_mappings"),
        ("INSERT, UPDATE", "companies"),
    ],
    "integration.configure": [("INSERT, UPDATE, DELETE", "rmm_integrations")],
    "alert_rules.configure": [("INSERT, UPDATE, DELETE", "rmm_alert_rules")],
    "maintenance.configure": [],
    "relay.configure": [],
    "rights.administer": [
        ("INSERT, UPDATE", "users"),
        ("INSERT, UPDATE, DELETE", "roles"),
        ("INSERT, UPDATE, DELETE", "role_permissions"),
        ("INSERT, UPDATE, DELETE", "user_roles"),
    ],
    "devices.view": [],
    "alerts.view": [],
    "tickets.view": [],
}

# table -> columns the database sets to the acting user. "!" = always on insert; otherwise
# whenever the app sets or changes the column (acknowledged_by when acknowledging).
ACTOR_COLUMNS: dict[str, list[str]] = {
    "tickets": ["entered_by!", "updated_by"],
    "ticket_comments": ["author_id!"],
    "asset_ticket_associations": ["created_by!"],
    "asset_history": ["changed_by!"],
    "rmm_alerts": ["acknowledged_by", "resolved_by"],
    "rmm_alert_rules": ["created_by!", "updated_by"],
    "rmm_organization_mappings": ["updated_by"],
    "rmm_integrations": ["connected_by"],
    "audit_log": ["actor_user_id!"],
    "events_outbox": ["actor_user_id!"],
}


def role_for(permission: str) -> str:
    return "nd_p_" + permission.replace(".", "_")


def _create_role(name: str) -> str:
    # Roles are cluster-wide; another database's migration may be creating the same one now.
    return f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
    CREATE ROLE {name} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;"""


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION nd_current_tenant() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  requested text := nullif(current_setting('app.current_tenant', true), '');
  pinned uuid;
BEGIN
  IF requested IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT tenant INTO pinned FROM db_logins WHERE login_name = session_user;
  IF FOUND THEN
    -- A technician's login acts for its own tenant only, whatever the app asked for.
    RETURN CASE WHEN pinned = requested::uuid THEN pinned END;
  END IF;
  IF pg_has_role(session_user, 'nd_service', 'MEMBER') THEN
    RETURN requested::uuid;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION nd_current_user() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  mapped uuid;
BEGIN
  SELECT user_id INTO mapped FROM db_logins WHERE login_name = session_user;
  IF FOUND THEN
    RETURN mapped;
  END IF;
  IF pg_has_role(session_user, 'nd_service', 'MEMBER') THEN
    RETURN nullif(current_setting('app.current_user', true), '')::uuid;
  END IF;
  RETURN NULL;
END $$;

-- Overwrites "who did it" columns with the database's idea of the acting user, so a client
-- cannot record someone else as the author of its writes.
CREATE OR REPLACE FUNCTION nd_stamp_actor() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  actor uuid := nd_current_user();
  spec text;
  col text;
  always boolean;
  newj jsonb;
  oldj jsonb;
  patch jsonb := '{}'::jsonb;
BEGIN
  IF actor IS NULL THEN
    RETURN NEW;
  END IF;
  newj := to_jsonb(NEW);
  IF TG_OP = 'UPDATE' THEN
    oldj := to_jsonb(OLD);
  END IF;
  FOREACH spec IN ARRAY TG_ARGV LOOP
    always := right(spec, 1) = '!';
    col := rtrim(spec, '!');
    IF TG_OP = 'INSERT' THEN
      IF always OR newj->>col IS NOT NULL THEN
        patch := patch || jsonb_build_object(col, actor);
      END IF;
    ELSIF newj->>col IS NOT NULL AND (newj->col) IS DISTINCT FROM (oldj->col) THEN
      patch := patch || jsonb_build_object(col, actor);
    END IF;
  END LOOP;
  IF patch <> '{}'::jsonb THEN
    NEW := jsonb_populate_record(NEW, patch);
  END IF;
  RETURN NEW;
END $$;

-- Re-derives a user's database grants from their PSA roles. Callable by admins of the tenant
-- (and the service), so "grant rights" in the app reaches the database without an owner login.
CREATE OR REPLACE FUNCTION nd_apply_user_grants(target uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := nd_current_tenant();
  login record;
  r record;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant selected' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT (pg_has_role(session_user, 'nd_p_rights_administer', 'MEMBER')
          OR pg_has_role(session_user, 'nd_service', 'MEMBER')
          OR (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)) THEN
    RAISE EXCEPTION 'only an admin can grant rights' USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR login IN SELECT login_name FROM db_logins WHERE tenant = t AND user_id = target LOOP
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE 'nd\_p\_%' LOOP
      IF EXISTS (
        SELECT 1 FROM user_roles ur
        JOIN role_permissions rp ON rp.tenant = ur.tenant AND rp.role_id = ur.role_id
        WHERE ur.tenant = t AND ur.user_id = target
          AND 'nd_p_' || replace(rp.permission, '.', '_') = r.rolname
      ) THEN
        EXECUTE format('GRANT %I TO %I', r.rolname, login.login_name);
      ELSE
        EXECUTE format('REVOKE %I FROM %I', r.rolname, login.login_name);
      END IF;
    END LOOP;
  END LOOP;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for role in ["nd_app", "nd_service", *(role_for(p) for p in PERMISSION_GRANTS)]:
        op.execute(_create_role(role))
    op.execute(FUNCTIONS)
    op.execute("REVOKE ALL ON FUNCTION nd_apply_user_grants(uuid) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION nd_apply_user_grants(uuid) TO nd_app")
    op.execute("GRANT nd_app TO nd_service")
    for permission, grants in PERMISSION_GRANTS.items():
        role = role_for(permission)
        op.execute(f"GRANT {role} TO nd_service")
        for privileges, table in grants:
            op.execute(f"GRANT {privileges} ON {table} TO {role}")

    op.execute("GRANT USAGE ON SCHEMA public TO nd_app")
    readable = [t for t in TABLES if t != "db_logins"]
    op.execute(f"GRANT SELECT ON {', '.join(readable)} TO nd_app")
    op.execute("GRANT INSERT ON events_outbox, audit_log TO nd_app")
    op.execute("GRANT UPDATE (published_at) ON events_outbox TO nd_app")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON sync_leases TO nd_app")
    op.execute("REVOKE ALL ON db_logins FROM nd_app")
    # The service (headless agent, tenant provisioning) is trusted with every tenant table.
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(readable)} TO nd_service")

    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        # (SELECT ...) makes PostgreSQL evaluate the function once per statement, not per row.
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table}"
            " USING (tenant = (SELECT nd_current_tenant()))"
            " WITH CHECK (tenant = (SELECT nd_current_tenant()))"
        )
    for table, columns in ACTOR_COLUMNS.items():
        args = ", ".join(f"'{c}'" for c in columns)
        op.execute(
            f"CREATE TRIGGER stamp_actor BEFORE INSERT OR UPDATE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION nd_stamp_actor({args})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ACTOR_COLUMNS:
        op.execute(f"DROP TRIGGER IF EXISTS stamp_actor ON {table}")
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION IF EXISTS nd_apply_user_grants(uuid)")
    op.execute("DROP FUNCTION IF EXISTS nd_stamp_actor()")
    op.execute("DROP FUNCTION IF EXISTS nd_current_user()")
    op.execute("DROP FUNCTION IF EXISTS nd_current_tenant()")
    # The cluster-wide roles stay: other PSA databases on the server may use them.
