"""How many read (GET) endpoints of NinjaOne's OpenAPI document the simulator serves.

A third-party client pointed at the simulator should not hit "no such route" on the read
endpoints around devices, scripting, policies, users and the like. This walks every GET
operation of `ninjaone-openapi.yml`, fills the path parameters with ids the tenant has, and
counts the answers that are the simulator's "unknown route" 404 (not an entity 404).

Run as a script to print the list: `python -m tests.simulator.test_read_endpoint_coverage`.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import yaml

from ninja_desk.simulator import SimulatorConfig, start_simulator

from .conftest import client_credentials_token
from .test_openapi_conformance import SPEC_PATH

# Before issue 16 the simulator answered "unknown route" on 88 of the document's 128 GET
# operations; the bound below keeps what was added from quietly disappearing.
MAX_UNROUTED = 40

_PARAM = re.compile(r"\{([^}]+)\}")


def _get_paths() -> list[str]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return [p for p, ops in spec["paths"].items() if "get" in ops]


def _fill(path: str, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if path.startswith("/v2/device/") and name == "id":
            return str(ids["device"])
        if name in ("id", "organizationId") and path.startswith("/v2/organization"):
            return "1"
        if name in ("locationId", "location_id"):
            return str(ids["location"])
        if name in ("entityType", "relEntityType", "relatedEntityType"):
            return "NODE"
        if name == "installer_type":
            return "WINDOWS_MSI"
        if path.startswith("/v2/group/"):
            return "1"
        if path.startswith(("/v2/user/technician/", "/v2/user/end-user/")):
            return str(ids["user"])
        return "1"

    return _PARAM.sub(value, path)


def _unrouted(template: str, resp: httpx.Response) -> bool:
    """An unknown-route 404/405, or any 404 on a collection (it has no id to be missing)."""
    if resp.status_code not in (404, 405):
        return False
    if "{" not in template:
        return True
    try:
        message = resp.json().get("errorMessage", "")
    except ValueError:
        return True
    return isinstance(message, str) and message.endswith(("Not Found", "Method Not Allowed"))


async def measure(api: httpx.AsyncClient) -> tuple[int, list[str]]:
    devices = (await api.get("/v2/devices-detailed")).json()
    windows = next(d for d in devices if d["nodeClass"].startswith("WINDOWS"))
    users = await api.get("/v2/user/technicians")
    user_id = users.json()[0]["id"] if users.status_code == 200 and users.json() else 1
    ids = {"device": windows["id"], "location": windows["locationId"], "user": user_id}
    paths = _get_paths()
    missing = []
    for path in paths:
        resp = await api.get(_fill(path, ids), follow_redirects=False)
        if _unrouted(path, resp):
            missing.append(path)
    return len(paths), missing


async def test_read_endpoints_are_routed(api: httpx.AsyncClient) -> None:
    total, missing = await measure(api)
    assert total == 128
    assert len(missing) <= MAX_UNROUTED, missing
    for served in (
        "/v2/device/{id}/jobs",
        "/v2/jobs",
        "/v2/device/{id}/scripting/options",
        "/v2/device/{id}/windows-services",
        "/v2/device/{id}/custom-fields",
        "/v2/organization/{id}/custom-fields",
        "/v2/policies",
        "/v2/roles",
        "/v2/groups",
        "/v2/users",
        "/v2/notification-channels",
    ):
        assert served not in missing


async def _main() -> None:
    config = SimulatorConfig(orgs=3, devices=40, seed=1)
    async with (
        start_simulator(config) as sim,
        httpx.AsyncClient(base_url=sim.base_url, timeout=10) as http,
    ):
        token = await client_credentials_token(http)
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        total, missing = await measure(http)
    print(f"{len(missing)} of {total} GET operations answer 'unknown route':")
    for path in missing:
        print("  ", path)


if __name__ == "__main__":
    asyncio.run(_main())
