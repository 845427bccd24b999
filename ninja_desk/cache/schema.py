"""The local cache's tables. The cache is disposable: bump SCHEMA_VERSION to rebuild it.

Device rows carry denormalised compliance columns (patch counts, AV, active alerts) so the
device table sorts and filters in SQLite on indexed columns (design.md §5).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# 7: an unreported severity is stored as NULL (it was 'NONE', the same as NinjaOne saying NONE).
# 8: software as a title catalog and (device, title) rows behind a `software` view.
SCHEMA_VERSION = 8

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("description", Text),
    Column("node_approval_mode", String),
    Column("deleted", Integer, nullable=False, server_default="0"),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("organization_id", Integer, nullable=False, index=True),
    Column("name", String, nullable=False),
    Column("address", Text),
    Column("description", Text),
    Column("deleted", Integer, nullable=False, server_default="0"),
)

# Column order here is the insert order used by the bulk writer (cache/device_rows.py).
DEVICE_FIELD_COLUMNS: tuple[str, ...] = (
    "id", "uid", "organization_id", "location_id", "node_class", "device_type",
    "system_name", "display_name", "name", "dns_name", "netbios_name", "offline",
    "approval_status", "parent_device_id", "node_role_id", "policy_id", "created",
    "last_contact", "last_update", "maintenance_status", "os_name", "os_manufacturer",
    "os_architecture", "os_build", "os_release_id", "needs_reboot", "last_boot_time",
    "manufacturer", "model", "serial_number", "bios_serial_number", "domain", "domain_role",
    "chassis_type", "virtual_machine", "total_memory", "cpu_name", "cpu_cores",
    "cpu_logical_cores", "ip_addresses", "mac_addresses", "public_ip", "last_logged_in_user",
    "tags", "volumes",
)  # fmt: skip

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("uid", String),
    Column("organization_id", Integer, nullable=False),
    Column("location_id", Integer),
    Column("node_class", String, nullable=False),
    Column("device_type", String),
    Column("system_name", String),
    Column("display_name", String),
    Column("name", String, nullable=False),  # display name, else system name
    Column("dns_name", String),
    Column("netbios_name", String),
    Column("offline", Integer),
    Column("approval_status", String),
    Column("parent_device_id", Integer),
    Column("node_role_id", Integer),
    Column("policy_id", Integer),
    Column("created", Float),
    Column("last_contact", Float),
    Column("last_update", Float),
    Column("maintenance_status", String),
    Column("os_name", String),
    Column("os_manufacturer", String),
    Column("os_architecture", String),
    Column("os_build", String),
    Column("os_release_id", String),
    Column("needs_reboot", Integer),
    Column("last_boot_time", Float),
    Column("manufacturer", String),
    Column("model", String),
    Column("serial_number", String),
    Column("bios_serial_number", String),
    Column("domain", String),
    Column("domain_role", String),
    Column("chassis_type", String),
    Column("virtual_machine", Integer),
    Column("total_memory", Integer),
    Column("cpu_name", String),
    Column("cpu_cores", Integer),
    Column("cpu_logical_cores", Integer),
    Column("ip_addresses", Text),  # JSON array
    Column("mac_addresses", Text),  # JSON array
    Column("public_ip", String),
    Column("last_logged_in_user", String),
    Column("tags", Text),  # JSON array
    Column("volumes", Text),  # JSON array of objects
    # Derived from the reports, kept here so the device table can sort and filter on them.
    Column("pending_os_patches", Integer, nullable=False, server_default="0"),
    Column("failed_os_patches", Integer, nullable=False, server_default="0"),
    Column("pending_software_patches", Integer, nullable=False, server_default="0"),
    Column("failed_software_patches", Integer, nullable=False, server_default="0"),
    Column("software_count", Integer, nullable=False, server_default="0"),
    Column("av_product", String),
    Column("av_state", String),
    Column("av_definition_status", String),
    Column("health_status", String),
    Column("active_alerts", Integer, nullable=False, server_default="0"),
    Column("max_alert_severity", Integer, nullable=False, server_default="0"),
    # Tombstones: a device NinjaOne no longer returns stays, marked deleted, until it returns.
    Column("deleted", Integer, nullable=False, server_default="0"),
    Column("deleted_at", Float),
    Column("seen_run", Integer),
    Column("synced_at", Float),
)
Index("ix_devices_name", devices.c.deleted, devices.c.name)
Index("ix_devices_org", devices.c.organization_id)
Index("ix_devices_last_contact", devices.c.last_contact)
Index("ix_devices_class", devices.c.node_class)
Index("ix_devices_offline", devices.c.offline)

# Software as a title catalog and one small row per device and title. The same few hundred
# titles repeat on every device, so a row per install holding every string took most of a full
# sync's write time (415k rows at 10,000 devices, 2M at 50,000) and three times the disk;
# measured with the same rows, (device, title, date) rows clustered by device write 3x faster.
# A title is everything NinjaOne reports about the install except the device and the date.
software_titles = Table(
    "software_titles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # given by cache/writes.py
    Column("name", String, nullable=False),
    Column("publisher", String),
    Column("version", String),
    Column("location", Text),
    Column("size", Integer),
    Column("product_code", String),
)
Index("ix_software_titles_name", software_titles.c.name)

# Keyed (device, title) without a rowid: a device's software is one range of the table (the
# device panel, the PSA push and replacing a device's rows need no second index), and a title
# reported twice for one device with the same details is the same install, stored once.
device_software = Table(
    "device_software",
    metadata,
    Column("device_id", Integer, primary_key=True, autoincrement=False),
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("install_date", String),
    sqlite_with_rowid=False,
)
Index("ix_device_software_title", device_software.c.title_id)

# What readers see: one row per installed title per device, in the old `software` shape.
SOFTWARE_VIEW_DDL = (
    "CREATE VIEW IF NOT EXISTS software AS SELECT ds.device_id, ds.title_id, t.name,"
    " t.publisher, t.version, ds.install_date, t.location, t.size, t.product_code"
    " FROM device_software ds JOIN software_titles t ON t.id = ds.title_id"
)

os_patches = Table(
    "os_patches",
    metadata,
    Column("device_id", Integer, nullable=False),
    Column("id", String, nullable=False),
    Column("name", String, nullable=False),
    Column("status", String, nullable=False),
    Column("kb_number", String),
    Column("severity", String),
    Column("type", String),
    Column("installed_at", Float),
    Column("timestamp", Float),
)
Index("ix_os_patches_device", os_patches.c.device_id)

software_patches = Table(
    "software_patches",
    metadata,
    Column("device_id", Integer, nullable=False),
    Column("id", String, nullable=False),
    Column("title", String, nullable=False),
    Column("status", String, nullable=False),
    Column("product_identifier", String),
    Column("impact", String),
    Column("type", String),
    Column("installed_at", Float),
    Column("timestamp", Float),
)
Index("ix_software_patches_device", software_patches.c.device_id)

antivirus = Table(
    "antivirus",
    metadata,
    Column("device_id", Integer, nullable=False),
    Column("product_name", String),
    Column("product_state", String),
    Column("definition_status", String),
    Column("version", String),
    Column("timestamp", Float),
)
Index("ix_antivirus_device", antivirus.c.device_id)

alerts = Table(
    "alerts",
    metadata,
    Column("uid", String, primary_key=True),  # NinjaOne alert uid == activity seriesUid
    Column("device_id", Integer, index=True),
    Column("message", Text),
    Column("severity", String),
    Column("priority", String),
    Column("source_type", String),
    Column("condition_name", String),
    Column("create_time", Float),
    Column("update_time", Float),
    Column("status", String, nullable=False, server_default="TRIGGERED"),  # TRIGGERED | RESET
    Column("resolved_at", Float),
    Column("acknowledged_at", Float),
    Column("acknowledged_by", String),
    Column("ticket_id", String),
    Column("ticket_number", String),
    Column("decision", Text),  # why a ticket was or was not made (alert pipeline)
    Column("data", Text),  # JSON
)
Index("ix_alerts_status", alerts.c.status, alerts.c.create_time)

activities = Table(
    "activities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("activity_time", Float),
    Column("activity_type", String),
    Column("status_code", String),
    Column("device_id", Integer, index=True),
    Column("series_uid", String),
    Column("severity", String),
    Column("message", Text),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),  # full | incremental | webhook
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String, nullable=False),  # running | ok | failed | cancelled
    Column("devices", Integer, server_default="0"),
    Column("organizations", Integer, server_default="0"),
    Column("software_rows", Integer, server_default="0"),
    Column("api_calls", Integer, server_default="0"),
    Column("api_calls_by_endpoint", Text),  # JSON
    Column("skipped_records", Integer, server_default="0"),
    Column("error", Text),
    Column("note", Text),
)

# What this desktop did (remote sessions launched, ...), kept even without a PSA database.
local_activity_log = Table(
    "local_activity_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("kind", String, nullable=False),
    Column("who", String),
    Column("device_id", Integer, index=True),
    Column("ticket_id", String),
    Column("detail", Text),
)

# Substring search over 50k devices at keystroke speed: a trigram FTS5 index kept in step with
# `devices` by triggers (external content, so the text is not stored twice). A LIKE scan of
# every row took 35-45 ms a keystroke; a trigram MATCH takes a few.
DEVICE_SEARCH_COLUMNS = ("name", "system_name", "last_logged_in_user", "serial_number",
                         "ip_addresses")  # fmt: skip
_FTS_COLS = ", ".join(DEVICE_SEARCH_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in DEVICE_SEARCH_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in DEVICE_SEARCH_COLUMNS)
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in DEVICE_SEARCH_COLUMNS)
DEVICE_SEARCH_DDL: tuple[str, ...] = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS devices_fts USING fts5({_FTS_COLS}, "
    "content='devices', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS devices_fts_insert AFTER INSERT ON devices BEGIN "
    f"INSERT INTO devices_fts(rowid, {_FTS_COLS}) VALUES (new.id, {_NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS devices_fts_delete AFTER DELETE ON devices BEGIN "
    f"INSERT INTO devices_fts(devices_fts, rowid, {_FTS_COLS}) "
    f"VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS devices_fts_update AFTER UPDATE ON devices WHEN {_CHANGED} "
    f"BEGIN INSERT INTO devices_fts(devices_fts, rowid, {_FTS_COLS}) "
    f"VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO devices_fts(rowid, {_FTS_COLS}) VALUES (new.id, {_NEW}); END",
)

# Mirror of the PSA for offline display (filled by the PSA services).
psa_clients = Table(
    "psa_clients",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
)
psa_tickets = Table(
    "psa_tickets",
    metadata,
    Column("id", String, primary_key=True),
    Column("number", String),
    Column("title", String),
    Column("status", String),
    # Alga's tickets.is_closed: open/closed is the tenant's own flag, never a status name.
    Column("is_closed", Integer),
    Column("priority", String),
    Column("client_id", String),
    Column("client_name", String),
    Column("alert_uid", String),
    Column("created_at", Float),
    Column("updated_at", Float),
)
psa_ticket_devices = Table(
    "psa_ticket_devices",
    metadata,
    Column("ticket_id", String, primary_key=True),
    Column("device_id", Integer, primary_key=True),
)

# A technician's ticket edits, queued here first and sent to the PSA in `seq` order
# (cache/ticket_outbox.py, sync/ticket_edit_service.py). Rows are what the technician did: a
# rebuilt cache harvests the unsent ones from the file it moved aside.
ticket_outbox = Table(
    "ticket_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("edit_id", String, nullable=False, unique=True),
    Column("tenant", String, nullable=False),
    Column("user_id", String, nullable=False),
    Column("ticket_id", String, nullable=False),
    Column("ticket_number", String),
    Column("kind", String, nullable=False),  # comment | status | priority | assignee
    Column("value", Text),  # new id, or the comment's markdown
    Column("value_label", String),
    Column("expected", String),  # the id the technician saw
    Column("expected_label", String),
    Column("is_internal", Integer, nullable=False, server_default="1"),
    Column("is_resolution", Integer, nullable=False, server_default="0"),
    Column("reply_to", String),
    Column("close_anyway", Integer, nullable=False, server_default="0"),
    Column("reason", Text),
    Column("made_at", Float, nullable=False),
    # pending | sent | conflict | refused
    Column("state", String, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("message", Text),  # one sentence for the UI (conflict, refusal)
    Column("current_value", String),
    Column("current_label", String),
    Column("can_override", Integer, nullable=False, server_default="0"),
    Column("sent_at", Float),
)
Index("ix_ticket_outbox_state", ticket_outbox.c.state, ticket_outbox.c.seq)
Index("ix_ticket_outbox_ticket", ticket_outbox.c.ticket_id, ticket_outbox.c.seq)

# The ticket view's last look at a ticket (psa/tickets.py TicketDetail as JSON): description,
# thread and the choices Alga offered, so a ticket opened once can be read and edited offline.
psa_ticket_details = Table(
    "psa_ticket_details",
    metadata,
    Column("ticket_id", String, primary_key=True),
    Column("tenant", String, nullable=False),
    Column("data", Text, nullable=False),
    Column("fetched_at", Float, nullable=False),
)
