"""Windows services per Windows device (`WindowsService`), generated from the device id and
kept once a service was controlled. The service id in `.../windows-service/{serviceId}/...`
is the service's short name (the spec's WindowsService has no other identifier)."""

from __future__ import annotations

import random
from typing import Any

from ninja_desk.simulator.fleet import DeviceRec

_NET = "NT AUTHORITY\\NetworkService"
_LOCAL = "NT AUTHORITY\\LocalService"
# (name, displayName, startType, userName, usual state; None = either)
CATALOG = (
    ("Spooler", "Print Spooler", "AUTO_START", "LocalSystem", "RUNNING"),
    ("wuauserv", "Windows Update", "DEMAND_START", "LocalSystem", "RUNNING"),
    ("BITS", "Background Intelligent Transfer Service", "AUTO_START_DELAYED", "LocalSystem", None),
    ("W32Time", "Windows Time", "DEMAND_START", _LOCAL, "RUNNING"),
    ("Dnscache", "DNS Client", "AUTO_START", _NET, "RUNNING"),
    ("WinRM", "Windows Remote Management (WS-Management)", "AUTO_START", _NET, "RUNNING"),
    ("TermService", "Remote Desktop Services", "DEMAND_START", _NET, None),
    ("WSearch", "Windows Search", "AUTO_START_DELAYED", "LocalSystem", "RUNNING"),
    ("NinjaRMMAgent", "NinjaRMMAgent", "AUTO_START", "LocalSystem", "RUNNING"),
    ("sppsvc", "Software Protection", "AUTO_START_DELAYED", _NET, "STOPPED"),
    ("RemoteRegistry", "Remote Registry", "DISABLED", _LOCAL, "STOPPED"),
    ("MSSQLSERVER", "SQL Server (MSSQLSERVER)", "AUTO_START", "NT Service\\MSSQLSERVER", "RUNNING"),
)
SERVER_ONLY = frozenset({"MSSQLSERVER"})
CONTROL_ACTIONS = ("START", "PAUSE", "STOP", "RESTART")
# State while the control runs, and after it succeeded.
PENDING_STATE = {
    "START": "START_PENDING",
    "STOP": "STOP_PENDING",
    "RESTART": "STOP_PENDING",
    "PAUSE": "PAUSE_PENDING",
}
FINAL_STATE = {"START": "RUNNING", "STOP": "STOPPED", "RESTART": "RUNNING", "PAUSE": "PAUSED"}
START_TYPES = (
    "AUTO_START",
    "AUTO_START_DELAYED",
    "BOOT_START",
    "DEMAND_START",
    "DISABLED",
    "SYSTEM_START",
)


class WindowsServices:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._kept: dict[int, list[dict[str, Any]]] = {}

    def applicable(self, dev: DeviceRec) -> bool:
        return dev.is_agent and dev.os_family == "windows"

    def _generate(self, dev: DeviceRec) -> list[dict[str, Any]]:
        rng = random.Random(f"services:{self.seed}:{dev.id}")
        out = []
        for name, display, start_type, user, state in CATALOG:
            if name in SERVER_ONLY and dev.node_class != "WINDOWS_SERVER":
                continue
            if state is None:
                state = "RUNNING" if rng.random() < 0.6 else "STOPPED"
            out.append(
                {
                    "name": name,
                    "displayName": display,
                    "startType": start_type,
                    "userName": user,
                    "state": state,
                }
            )
        return out

    def list(self, dev: DeviceRec) -> list[dict[str, Any]]:
        if not self.applicable(dev):
            return []
        kept = self._kept.get(dev.id)
        return kept if kept is not None else self._generate(dev)

    def find(self, dev: DeviceRec, service_id: str) -> dict[str, Any] | None:
        for service in self.list(dev):
            if service["name"].lower() == service_id.lower():
                return service
        return None

    def update(self, dev: DeviceRec, service_id: str, **changes: Any) -> dict[str, Any]:
        services = [dict(s) for s in self.list(dev)]
        for service in services:
            if service["name"].lower() == service_id.lower():
                service.update(changes)
                self._kept[dev.id] = services
                return service
        raise KeyError(service_id)

    def forget(self, device_id: int) -> None:
        self._kept.pop(device_id, None)
