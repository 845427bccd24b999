"""The simulated NinjaOne tenant: fleet, inventory, alerts and the activity log, plus every
change the control API can make. Each change records an activity (reference §7.5 shapes) and
hands it to the listeners (webhook delivery) — exactly one place where the world changes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from ninja_desk.simulator import catalog
from ninja_desk.simulator.activities import ActivityLog
from ninja_desk.simulator.config import SimulatorConfig
from ninja_desk.simulator.custom_fields import CustomFields
from ninja_desk.simulator.fleet import DeviceRec, Fleet, rng_uuid
from ninja_desk.simulator.inventory import Inventory
from ninja_desk.simulator.serializers import DeviceJsonCache, device_base
from ninja_desk.simulator.services import WindowsServices

ActivityListener = Callable[[dict[str, Any]], None]


# How a device going offline or coming back shows up (`set_offline`): with no condition
# configured NinjaOne records no activity at all; with an agent-offline condition the change
# arrives as a CONDITION TRIGGERED / RESET; "system" is an explicit NODE_UPDATED, for tests.
OFFLINE_REPORTING = ("none", "condition", "system")
OFFLINE_SOURCE = "AGENT_OFFLINE"

# Activity ids of a run start at `_FIRST_ACTIVITY_ID` plus one million per second since
# `_ID_EPOCH`: a restarted simulator continues above the previous run (a run records ~20 ids
# per activity, so it would need 50,000 activities a second to catch up with the next run).
_FIRST_ACTIVITY_ID = 347_000_000
_ID_EPOCH = 1_700_000_000.0
_IDS_PER_SECOND = 1_000_000


class NotFound(LookupError):
    """An id the tenant does not know; the API answers 404."""


def first_activity_id(run_epoch: float) -> int:
    return _FIRST_ACTIVITY_ID + int(max(0.0, run_epoch - _ID_EPOCH) * _IDS_PER_SECOND)


class Tenant:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.fleet = Fleet(config)
        self.inventory = Inventory(self.fleet)
        self.services = WindowsServices(config.seed)
        self.custom_fields = CustomFields(self.fleet)
        self.json_cache = DeviceJsonCache()
        self.run_epoch = config.run_epoch if config.run_epoch is not None else self.fleet.base_time
        self.activities = ActivityLog(first_id=first_activity_id(self.run_epoch), seed=config.seed)
        self.alerts: dict[str, dict[str, Any]] = {}
        self.listeners: list[ActivityListener] = []
        self._rng = random.Random(f"tenant:{config.seed}")
        # Alert uids (= seriesUid) are unique per run, not only per seed: a saved profile from
        # an earlier run must never see one of its alerts' uids reused for another alert.
        self._uid_rng = random.Random(f"alert-uids:{config.seed}:{self.run_epoch!r}")
        self._seed_history()
        self.inventory.prepare_patches()

    # -- generation ------------------------------------------------------------------------

    def _seed_history(self) -> None:
        """NODE_CREATED per device and a few active alerts, with ids in time order."""
        fleet = self.fleet
        rng = self._rng
        for dev in sorted(fleet.devices.values(), key=lambda d: d.created):
            self._record_node(
                dev,
                "NODE_CREATED",
                f"Device {dev.system_name} was added",
                "node_created",
                when=dev.created,
                notify=False,
            )
        n_alerts = max(1, len(fleet.devices) // 50) if fleet.devices else 0
        candidates = [
            d for d in fleet.devices.values() if d.is_agent or d.node_class == "VMWARE_VM_HOST"
        ]
        for dev in rng.sample(candidates, min(n_alerts, len(candidates))):
            kind = rng.choice(catalog.ALERT_KINDS)
            # About a third use the older-tenant alert shape without severity/priority.
            legacy = rng.random() < 0.35
            when = round(fleet.base_time - rng.uniform(600, 3 * 86400), 3)
            self._trigger(dev, kind, when=when, legacy=legacy, notify=False)

    # -- helpers ---------------------------------------------------------------------------

    def device(self, device_id: int) -> DeviceRec:
        dev = self.fleet.devices.get(device_id)
        if dev is None:
            raise NotFound(f"A device with the provided nodeId was not found: {device_id}")
        return dev

    def touch(self, dev: DeviceRec) -> None:
        """Mark a device changed (its cached JSON and report rows are rebuilt)."""
        self._touch(dev)

    def _touch(self, dev: DeviceRec) -> None:
        # Every cached serialisation of this device (JSON, report rows) keys on revision.
        dev.revision += 1

    def _emit(self, row: dict[str, Any], notify: bool) -> dict[str, Any]:
        if notify:
            for listener in self.listeners:
                listener(row)
        return row

    def _record_node(
        self,
        dev: DeviceRec,
        code: str,
        message: str,
        msg_code: str,
        *,
        when: float | None = None,
        params: dict[str, Any] | None = None,
        notify: bool = True,
        activity_type: str = "SYSTEM",
    ) -> dict[str, Any]:
        now = when if when is not None else time.time()
        self._touch(dev)
        row = self.activities.record(
            activity_type,
            code,
            now,
            deviceId=dev.id,
            message=message,
            data={"message": {"code": msg_code, "params": params or {"nodeName": dev.system_name}}},
        )
        return self._emit(row, notify)

    def record_activity(
        self, activity_type: str, code: str, device_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Append a device activity (jobs, maintenance, reboots) and notify the listeners."""
        dev = self.fleet.devices.get(device_id)
        if dev is not None:
            self._touch(dev)
        row = self.activities.record(
            activity_type, code, round(time.time(), 3), deviceId=device_id, **fields
        )
        return self._emit(row, True)

    # -- device changes --------------------------------------------------------------------

    def add_device(
        self,
        org_id: int,
        node_class: str = "WINDOWS_WORKSTATION",
        *,
        location_id: int | None = None,
        name: str | None = None,
    ) -> DeviceRec:
        if org_id not in self.fleet.orgs:
            raise NotFound(f"Organization {org_id} not found")
        if location_id is not None and (
            location_id not in self.fleet.locations
            or self.fleet.locations[location_id].org_id != org_id
        ):
            raise NotFound(f"Location {location_id} not found in organization {org_id}")
        dev = self.fleet.add_device(org_id, node_class, location_id=location_id, system_name=name)
        self._record_node(
            dev, "NODE_CREATED", f"Device {dev.system_name} was added", "node_created"
        )
        return dev

    def rename_device(self, device_id: int, name: str, *, field: str = "displayName") -> DeviceRec:
        """A technician rename sets `displayName`; `field="systemName"` renames the host."""
        dev = self.device(device_id)
        old = dev.display_name or dev.system_name
        if field == "systemName":
            dev.system_name = name
        else:
            dev.display_name = name or None
        self._touch(dev)
        self._record_node(
            dev,
            "NODE_UPDATED",
            f"Device {old} was renamed to {name}",
            "node_renamed",
            params={"oldName": old, "newName": name},
        )
        return dev

    def move_device(self, device_id: int, org_id: int, location_id: int | None = None) -> DeviceRec:
        dev = self.device(device_id)
        org = self.fleet.orgs.get(org_id)
        if org is None:
            raise NotFound(f"Organization {org_id} not found")
        if location_id is None:
            location_id = dev.loc_id if dev.loc_id in org.location_ids else org.location_ids[0]
        elif location_id not in org.location_ids:
            raise NotFound(f"Location {location_id} not found in organization {org_id}")
        old_org, old_loc = dev.org_id, dev.loc_id
        dev.org_id, dev.loc_id = org_id, location_id
        self._touch(dev)
        self._record_node(
            dev,
            "NODE_UPDATED",
            f"Device {dev.system_name} was moved to {org.name}",
            "node_moved",
            params={
                "nodeName": dev.system_name,
                "oldClientId": old_org,
                "newClientId": org_id,
                "oldLocationId": old_loc,
                "newLocationId": location_id,
            },
        )
        return dev

    def delete_device(self, device_id: int) -> dict[str, Any]:
        dev = self.device(device_id)
        snapshot = device_base(dev)
        for uid in [u for u, a in self.alerts.items() if a["deviceId"] == device_id]:
            del self.alerts[uid]
        # Record first so an expanded webhook can still describe the device.
        self._record_node(
            dev, "NODE_DELETED", f"Device {dev.system_name} was deleted", "node_deleted"
        )
        self.fleet.delete_device(device_id)
        self.inventory.forget(device_id)
        self.services.forget(device_id)
        self.custom_fields.forget_device(device_id)
        self.json_cache.forget(device_id)
        return snapshot

    def set_offline(self, device_id: int, offline: bool, *, report: str = "none") -> DeviceRec:
        """`report`: one of OFFLINE_REPORTING (what NinjaOne records for the change)."""
        if report not in OFFLINE_REPORTING:
            raise ValueError(f"report must be one of {', '.join(OFFLINE_REPORTING)}")
        dev = self.device(device_id)
        dev.offline = offline
        self._touch(dev)
        if not offline:
            dev.last_contact = round(time.time(), 3)
        if dev.detail.get("powerState"):
            dev.detail = dict(dev.detail, powerState="POWERED_OFF" if offline else "POWERED_ON")
        for child in self.fleet.devices.values():
            if child.parent_id == dev.id:
                self._touch(child)  # their health rows carry parentOffline
        if report == "system":
            state = "offline" if offline else "online"
            self._record_node(
                dev, "NODE_UPDATED", f"Device {dev.system_name} is {state}", f"node_{state}"
            )
        elif report == "condition":
            open_uids = [
                uid
                for uid, a in self.alerts.items()
                if a["deviceId"] == dev.id and a["sourceType"] == OFFLINE_SOURCE
            ]
            if offline and not open_uids:
                self.trigger_alert(
                    dev.id,
                    severity="MAJOR",
                    message="Agent is offline",
                    source_type=OFFLINE_SOURCE,
                )
            elif not offline:
                for uid in open_uids:
                    self.reset_alert(uid)
        return dev

    # -- inventory changes -----------------------------------------------------------------

    def add_software(
        self, device_id: int, name: str, version: str | None = None, publisher: str | None = None
    ) -> dict[str, Any]:
        dev = self.device(device_id)
        self.inventory.add_software(dev, name, version, publisher)
        return self._record_node(
            dev,
            "SOFTWARE_ADDED",
            f"Software {name} {version or ''} was installed".strip(),
            "software_added",
            params={"name": name, "version": version or ""},
        )

    def remove_software(self, device_id: int, name: str) -> dict[str, Any]:
        dev = self.device(device_id)
        if not self.inventory.remove_software(dev, name):
            raise NotFound(f"Software {name!r} is not installed on device {device_id}")
        return self._record_node(
            dev,
            "SOFTWARE_REMOVED",
            f"Software {name} was removed",
            "software_removed",
            params={"name": name},
        )

    def patch_result(
        self, device_id: int, *, success: bool, kind: str = "os", patch_id: str | None = None
    ) -> dict[str, Any]:
        dev = self.device(device_id)
        now = time.time()
        row = self.inventory.apply_patch_result(
            dev, kind=kind, patch_id=patch_id, success=success, now=now
        )
        if row is None:
            raise NotFound(f"No pending {kind} patch on device {device_id}")
        activity_type = "PATCH_MANAGEMENT" if kind == "os" else "SOFTWARE_PATCH_MANAGEMENT"
        code = f"{activity_type}_{'INSTALLED' if success else 'INSTALL_FAILED'}"
        title = row.get("name") or row.get("title")
        return self._record_node(
            dev,
            code,
            f"{title} {'installed' if success else 'failed to install'}",
            code.lower(),
            activity_type=activity_type,
            params={
                "patchName": title,
                "patchId": row["id"],
                "installTime": int(now * 1000),
            },  # params carry epoch ms (reference §3)
        ) | {"patch": row}

    # -- alerts ----------------------------------------------------------------------------

    def _trigger(
        self,
        dev: DeviceRec,
        kind: tuple[Any, ...],
        *,
        when: float,
        legacy: bool,
        notify: bool,
        severity: str | None = None,
        priority: str | None = None,
        message: str | None = None,
    ) -> dict[str, Any]:
        source_type, default_msg, code, params, k_sev, k_pri, cond_name = kind
        uid = rng_uuid(self._uid_rng)
        config_uid = rng_uuid(random.Random(f"cond:{source_type}"))
        ms = int(when * 1000)
        alert: dict[str, Any] = {
            "uid": uid,
            "deviceId": dev.id,
            "message": message or default_msg,
            "createTime": when,
            "updateTime": when,
            "sourceType": source_type,
            "sourceConfigUid": config_uid,
            "sourceName": "",
            "subject": "",
            "data": {
                "message": {
                    "code": code,
                    "params": dict(params, start_date=ms - 300_000, end_date=ms),
                }
            },
        }
        if not legacy:
            alert["severity"] = severity or k_sev
            alert["priority"] = priority or k_pri
            alert["conditionName"] = cond_name
            alert["conditionHealthStatus"] = (
                "UNHEALTHY" if alert["severity"] in ("CRITICAL", "MAJOR") else "NEEDS_ATTENTION"
            )
            alert["useGlobalHealthStatus"] = False
        self.alerts[uid] = alert
        self._touch(dev)
        row = self.activities.record(
            "CONDITION",
            "TRIGGERED",
            when,
            deviceId=dev.id,
            seriesUid=uid,
            severity=None if legacy else alert["severity"],
            priority=None if legacy else alert["priority"],
            sourceConfigUid=config_uid,
            sourceName="",
            subject="",
            message=alert["message"],
            data=alert["data"],
        )
        self._emit(row, notify)
        return alert

    def trigger_alert(
        self,
        device_id: int,
        *,
        severity: str | None = None,
        priority: str | None = None,
        message: str | None = None,
        source_type: str | None = None,
    ) -> dict[str, Any]:
        """Trigger a condition. Without `severity` the alert has the older-tenant shape (no
        severity/priority keys), as reference §6.4 says clients must cope with."""
        dev = self.device(device_id)
        kinds = [k for k in catalog.ALERT_KINDS if source_type in (None, k[0])]
        kind: tuple[Any, ...] = (
            kinds[0]
            if kinds
            else (
                source_type,
                message or "Condition triggered",
                "custom_condition",
                {},
                "MODERATE",
                "MEDIUM",
                "Custom condition",
            )
        )
        return self._trigger(
            dev,
            kind,
            when=round(time.time(), 3),
            legacy=severity is None,
            notify=True,
            severity=severity,
            priority=priority,
            message=message,
        )

    def reset_alert(self, uid: str, custom: dict[str, Any] | None = None) -> dict[str, Any]:
        alert = self.alerts.pop(uid, None)
        if alert is None:
            raise NotFound(f"Alert {uid} not found")
        dev = self.fleet.devices.get(alert["deviceId"])
        if dev is not None:
            self._touch(dev)
        data = dict(alert["data"])
        if custom:
            data["custom"] = custom
        row = self.activities.record(
            "CONDITION",
            "RESET",
            round(time.time(), 3),
            deviceId=alert["deviceId"],
            seriesUid=uid,
            severity=alert.get("severity"),
            priority=alert.get("priority"),
            sourceConfigUid=alert["sourceConfigUid"],
            sourceName=alert["sourceName"],
            subject=alert["subject"],
            message=alert["message"],
            data=data,
        )
        return self._emit(row, True)

    # -- bulk ------------------------------------------------------------------------------

    def churn(self, count: int, rng: random.Random) -> list[dict[str, Any]]:
        """Apply `count` random changes (benchmarks, demo); returns what happened."""
        done: list[dict[str, Any]] = []
        ops = (
            "rename",
            "move",
            "offline",
            "software_add",
            "software_remove",
            "patch",
            "alert",
            "reset",
            "add",
            "delete",
        )
        weights = (20, 8, 12, 12, 8, 10, 12, 8, 6, 4)
        for _ in range(count):
            ids = self.fleet.sorted_device_ids()
            op = rng.choices(ops, weights)[0]
            if not ids:
                op = "add"
            try:
                done.append(self._churn_one(op, ids, rng))
            except NotFound:
                done.append({"op": op, "skipped": True})
        return done

    def _churn_one(self, op: str, ids: list[int], rng: random.Random) -> dict[str, Any]:
        dev_id = rng.choice(ids) if ids else 0
        if op == "rename":
            self.rename_device(dev_id, f"renamed-{dev_id}-{rng.randint(100, 999)}")
        elif op == "move":
            self.move_device(dev_id, rng.choice(list(self.fleet.orgs)))
        elif op == "offline":
            offline = not self.device(dev_id).offline
            report = rng.choice(("none", "condition"))
            self.set_offline(dev_id, offline, report=report)
            return {"op": op, "deviceId": dev_id, "offline": offline, "report": report}
        elif op == "software_add":
            self.add_software(dev_id, f"Contoso Tool {rng.randint(1, 99)}", "1.0.0", "Contoso Ltd")
        elif op == "software_remove":
            items = self.inventory.software(self.device(dev_id))
            if not items:
                raise NotFound("no software")
            self.remove_software(dev_id, rng.choice(items).name)
        elif op == "patch":
            self.patch_result(dev_id, success=rng.random() > 0.2)
        elif op == "alert":
            self.trigger_alert(dev_id, severity=rng.choice(("MINOR", "MAJOR", "CRITICAL", None)))
        elif op == "reset":
            if not self.alerts:
                raise NotFound("no alerts")
            uid = rng.choice(list(self.alerts))
            self.reset_alert(uid)
            return {"op": op, "uid": uid}
        elif op == "add":
            dev_id = self.add_device(rng.choice(list(self.fleet.orgs))).id
        elif op == "delete":
            self.delete_device(dev_id)
        return {"op": op, "deviceId": dev_id}

    def alert_storm(
        self, count: int, rng: random.Random, severity: str | None = "CRITICAL"
    ) -> list[dict[str, Any]]:
        ids = self.fleet.sorted_device_ids()
        return [self.trigger_alert(rng.choice(ids), severity=severity) for _ in range(count) if ids]
