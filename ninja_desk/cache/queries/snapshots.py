"""The fleet as the PSA push wants it: one DeviceSnapshot per cached device, with its
software, antivirus and patch counts (the whole fleet, or the devices a webhook changed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ninja_desk.cache.device_rows import device_from_row
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.inventory import AntivirusStatus, SoftwareItem
from ninja_desk.core.snapshots import DeviceSnapshot


def snapshots_from_cache(
    cache: LocalCache, device_ids: list[int] | None = None
) -> list[DeviceSnapshot]:
    """The fleet (or just `device_ids`) as the PSA push wants it, from the local cache."""
    devices = sa.text("SELECT * FROM devices")
    software_rows = sa.text(
        "SELECT device_id, name, publisher, version, install_date FROM software"
    )
    params: dict[str, Any] = {}
    if device_ids is not None:
        devices = sa.text("SELECT * FROM devices WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        )
        software_rows = sa.text(
            "SELECT device_id, name, publisher, version, install_date FROM software"
            " WHERE device_id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True))
        params = {"ids": list(device_ids)}
    with cache.engine.connect() as conn:
        rows = conn.execute(devices, params).all()
        software: dict[int, list[SoftwareItem]] = {}
        for r in conn.execute(software_rows, params):
            software.setdefault(r.device_id, []).append(
                SoftwareItem(r.device_id, r.name, r.publisher, r.version, r.install_date)
            )
    out = []
    for r in rows:
        m = r._mapping
        out.append(
            DeviceSnapshot(
                device=device_from_row(r),
                pending_os_patches=m["pending_os_patches"] or 0,
                failed_os_patches=m["failed_os_patches"] or 0,
                pending_software_patches=m["pending_software_patches"] or 0,
                failed_software_patches=m["failed_software_patches"] or 0,
                antivirus=AntivirusStatus(
                    m["id"], m["av_product"], m["av_state"], m["av_definition_status"]
                )
                if m["av_product"] or m["av_state"]
                else None,
                software=software.get(m["id"], []),
                active_alerts=m["active_alerts"] or 0,
                deleted=bool(m["deleted"]),
            )
        )
    return out
