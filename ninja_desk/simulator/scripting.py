"""What `GET /v2/device/{id}/scripting/options` offers (`DeviceScriptingOptions`): script
categories, built-in actions (`type: ACTION`, addressed by `uid`), the tenant's scripts
(`type: SCRIPT`, addressed by `id`) for the device's OS, and the "run as" choices.

The "run as" values are not documented; the simulator uses NinjaOne's credential role
names as the UI shows them (SYSTEM, LOGGED_ON_USER, SR_* credential roles) and accepts
them case-insensitively, plus the id of a credential.
"""

from __future__ import annotations

from typing import Any

from ninja_desk.simulator.fleet import DeviceRec

CATEGORIES = (
    {"id": 1, "name": "Uncategorized", "internal": True},
    {"id": 2, "name": "Maintenance", "internal": False},
    {"id": 3, "name": "Troubleshooting", "internal": False},
    {"id": 4, "name": "Security", "internal": False},
)

# Built-in actions: (uid, name, description, os families).
BUILT_IN_ACTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "0f4fae6c-2f7b-4b8e-9a69-6d3b9c1d7a01",
        "Clear DNS cache",
        "Flushes the DNS resolver cache",
        ("windows",),
    ),
    (
        "0f4fae6c-2f7b-4b8e-9a69-6d3b9c1d7a02",
        "Restart Print Spooler",
        "Restarts the Print Spooler service",
        ("windows",),
    ),
    (
        "0f4fae6c-2f7b-4b8e-9a69-6d3b9c1d7a03",
        "Empty recycle bin",
        "Empties every user's recycle bin",
        ("windows",),
    ),
    (
        "0f4fae6c-2f7b-4b8e-9a69-6d3b9c1d7a04",
        "Flush DNS (macOS)",
        "dscacheutil -flushcache",
        ("mac",),
    ),
)

# Tenant scripts: (id, name, language, description, category id, os families).
SCRIPTS: tuple[tuple[int, str, str, str, int, tuple[str, ...]], ...] = (
    (101, "Disk cleanup", "PowerShell", "Removes temp files and old updates", 2, ("windows",)),
    (102, "Collect event logs", "PowerShell", "Zips the last 24 h of event logs", 3, ("windows",)),
    (103, "Reset Windows Update", "Batch", "Resets the Windows Update components", 3, ("windows",)),
    (104, "Check BitLocker", "PowerShell", "Reports BitLocker protection status", 4, ("windows",)),
    (105, "Update Homebrew", "ShellScript", "brew update && brew upgrade", 2, ("mac",)),
    (106, "Clear apt cache", "ShellScript", "apt-get clean", 2, ("linux",)),
    (107, "Uptime report", "ShellScript", "Prints uptime and load", 3, ("mac", "linux")),
)

RUN_AS_ROLES = ("SYSTEM", "LOGGED_ON_USER", "SR_LOCAL_ADMINISTRATOR", "SR_DOMAIN_ADMINISTRATOR")
CREDENTIALS = (
    {"id": 1, "name": "Domain admin (vault)", "type": "BASIC"},
    {"id": 2, "name": "Local admin (LAPS)", "type": "BASIC"},
)
_ARCH = {"windows": ["32", "64"], "mac": ["64"], "linux": ["64"]}


def scripting_options(dev: DeviceRec) -> dict[str, Any]:
    family = dev.os_family
    scripts: list[dict[str, Any]] = []
    for uid, name, description, families in BUILT_IN_ACTIONS:
        if family in families:
            scripts.append(
                {
                    "type": "ACTION",
                    "uid": uid,
                    "name": name,
                    "language": "NATIVE",
                    "description": description,
                    "architecture": _ARCH[family],
                    "categoryId": 2,
                }
            )
    for script_id, name, language, description, category, families in SCRIPTS:
        if family in families:
            scripts.append(
                {
                    "type": "SCRIPT",
                    "id": script_id,
                    "name": name,
                    "language": language,
                    "description": description,
                    "architecture": _ARCH[family],
                    "categoryId": category,
                }
            )
    roles = list(RUN_AS_ROLES) if family == "windows" else ["SYSTEM", "LOGGED_ON_USER"]
    return {
        "categories": [dict(c) for c in CATEGORIES],
        "scripts": scripts,
        "credentials": {"roles": roles, "credentials": [dict(c) for c in CREDENTIALS]},
    }


def find_script(
    dev: DeviceRec, kind: str, script_id: int | None, uid: str | None
) -> dict[str, Any] | None:
    for script in scripting_options(dev)["scripts"]:
        if script["type"] != kind:
            continue
        if kind == "SCRIPT" and script.get("id") == script_id:
            return script
        if kind == "ACTION" and script.get("uid") == uid:
            return script
    return None


def run_as_allowed(dev: DeviceRec, run_as: str) -> bool:
    creds = scripting_options(dev)["credentials"]
    if run_as.upper() in creds["roles"]:
        return True
    return run_as in {str(c["id"]) for c in creds["credentials"]}


def automation_scripts(created: float) -> list[dict[str, Any]]:
    """`GET /v2/automation/scripts` (`AutomationScript`)."""
    out = []
    for script_id, name, language, description, _category, families in SCRIPTS:
        os_names = {"windows": "Windows", "mac": "Mac", "linux": "Linux"}
        out.append(
            {
                "id": script_id,
                "name": name,
                "description": description,
                "active": True,
                "language": language,
                "architecture": ["64"],
                "operatingSystems": [os_names[f] for f in families],
                "scriptParameters": [],
                "scriptVariables": [],
                "createdBy": "admin@msp.example",
                "lastUpdatedBy": "admin@msp.example",
                "createdOn": created,
                "updatedOn": created,
            }
        )
    return out
