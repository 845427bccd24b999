"""The simulator's answers validated against NinjaOne's official OpenAPI document.

`/work/shared/ninjaone-openapi.yml` (2.0.9-draft) is read, every schema is flattened (allOf
merged) and made strict (`additionalProperties: false`), so the simulator may not add a
field the spec does not name. Where real captures contradict the spec (reference §3, §7,
§11), the difference is one explicit, commented entry in `EXCEPTIONS` below instead of a
looser schema. `APP_READS` lists the fields the app reads: they must be present.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from ninja_desk.simulator import SimulatorConfig

SPEC_PATH = Path(os.environ.get("NINJAONE_OPENAPI", "/work/shared/ninjaone-openapi.yml"))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjaone"

# (schema, property) -> replacement property schema. Each one is a real-world deviation.
EXCEPTIONS: dict[tuple[str, str], dict[str, Any]] = {
    # Real AgentDevice captures carry volumes[].nodeId (reference §7.2, CAP-KNI); not in spec.
    ("Volume", "nodeId"): {"type": "integer", "format": "int32"},
    # installDate arrives as "YYYY-MM-DD" (STELLAR's parser, reference §3); spec says date-time.
    ("Application", "installDate"): {"type": "string", "format": "date"},
    ("DeviceApplication", "installDate"): {"type": "string", "format": "date"},
    # SPEC-NEW (the newer 2.0.9 snapshot, reference §6.4/§7.4) added these alert fields; this
    # older 2.0.9-draft copy lacks them. The simulator emits them on "newer tenant" alerts.
    ("Alert", "severity"): {
        "type": "string",
        "enum": ["NONE", "MINOR", "MODERATE", "MAJOR", "CRITICAL"],
    },
    ("Alert", "priority"): {"type": "string", "enum": ["NONE", "LOW", "MEDIUM", "HIGH"]},
    ("Alert", "conditionName"): {"type": "string"},
    ("Alert", "conditionHealthStatus"): {
        "type": "string",
        "enum": ["UNKNOWN", "HEALTHY", "NEEDS_ATTENTION", "UNHEALTHY"],
    },
    ("Alert", "useGlobalHealthStatus"): {"type": "boolean"},
    # Webhook deliveries are DetailedActivity (WH-YAML): Activity plus the expanded device.
    ("DetailedActivity", "device"): {"$ref": "#/components/schemas/NodeWithDetailedReferences"},
    # SPEC-NEW's Maintenance has `reasonMessage` (reference §7.1 "new"); this copy lacks it.
    ("Maintenance", "reasonMessage"): {"type": "string"},
}
# Enum values real tenants send that this spec copy lacks: maintenance activities are listed
# by STELLAR and WH-YAML (reference §7.5); clients must treat statusCode as open anyway.
EXTRA_ENUM_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Activity", "statusCode"): ("MAINTENANCE_MODE_CONFIGURED", "MAINTENANCE_MODE_DELETED"),
}
# Device subtypes the simulator emits (deviceType = schema name, reference §7.2).
DEVICE_SUBTYPES = ("AgentDevice", "VMHost", "VMGuest", "NMSTarget")

# Fields the app reads (ninja_desk/core types, sync engine): absent would be a silent bug.
APP_READS: dict[str, set[str]] = {
    "Organization": {"id", "name", "nodeApprovalMode"},
    "Location": {"id", "name"},
    "LocationWithOrganizationRef": {"id", "name", "organizationId"},
    "NodeWithDetailedReferences": {
        "id",
        "uid",
        "organizationId",
        "locationId",
        "nodeClass",
        "approvalStatus",
        "offline",
        "systemName",
        "created",
        "lastContact",
        "lastUpdate",
    },
    "AgentDevice": {
        "id",
        "deviceType",
        "os",
        "system",
        "memory",
        "processors",
        "volumes",
        "ipAddresses",
        "macAddresses",
    },
    "Alert": {"uid", "deviceId", "message", "createTime", "sourceType"},
    "Activity": {"id", "activityTime", "activityType", "statusCode"},
    "DeviceApplication": {"deviceId", "name", "installDate", "timestamp"},
    "DeviceOSPatch": {"deviceId", "id", "name", "status"},
    "DeviceSoftwarePatch": {"deviceId", "id", "title", "status"},
    "DeviceAntivirusStatus": {"deviceId", "productName", "productState", "definitionStatus"},
    "DeviceHealthSummary": {
        "deviceId",
        "healthStatus",
        "pendingOSPatchesCount",
        "failedOSPatchesCount",
        "alertCount",
        "offline",
    },
    "DeviceVolume": {"deviceId", "name", "capacity", "freeSpace"},
    "Cursor": {"name", "offset", "count", "expires"},
}


def _flatten(name: str, schemas: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(schemas[name])
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in schema.pop("allOf"):
            if "$ref" in part:
                part = _flatten(part["$ref"].rsplit("/", 1)[1], schemas)
            merged["properties"].update(part.get("properties", {}))
            if part.get("required"):
                merged.setdefault("required", []).extend(part["required"])
        merged.update({k: v for k, v in schema.items() if k not in ("type", "properties")})
        schema = merged
    schema.pop("discriminator", None)
    return schema


def _strict(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw = spec["components"]["schemas"]
    raw["DetailedActivity"] = {"allOf": [{"$ref": "#/components/schemas/Activity"}]}
    schemas = {name: _flatten(name, raw) for name in raw}
    for (name, prop), replacement in EXCEPTIONS.items():
        schemas[name].setdefault("properties", {})[prop] = replacement
    for (name, prop), values in EXTRA_ENUM_VALUES.items():
        # DetailedActivity was flattened from Activity above: it needs the values too.
        for target in (name, "DetailedActivity") if name == "Activity" else (name,):
            enum = schemas[target]["properties"][prop]["enum"]
            enum.extend(v for v in values if v not in enum)
    # A polymorphic Device is exactly one subtype, chosen by deviceType.
    subtypes = []
    for sub in DEVICE_SUBTYPES:
        schema = copy.deepcopy(schemas[sub])
        schema["properties"]["deviceType"] = {"type": "string", "enum": [sub]}
        schema["required"] = ["deviceType"]
        subtypes.append(schema)
    schemas["Device"] = {"oneOf": subtypes}
    _strict(schemas)
    return {"schemas": schemas, "paths": spec["paths"]}


def _response_schema(components: dict[str, Any], path: str) -> dict[str, Any]:
    responses = components["paths"][path]["get"]["responses"]
    resp = responses.get("200") or responses["default"]
    return resp["content"]["application/json"]["schema"]


def _validate(components: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    document = dict(schema, components={"schemas": components["schemas"]})
    validator = OAS30Validator(document, format_checker=oas30_format_checker)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])


def _check_reads(schema_name: str, rows: list[dict[str, Any]]) -> None:
    wanted = APP_READS[schema_name]
    assert rows, f"no {schema_name} rows to check"
    for row in rows:
        missing = wanted - set(row)
        assert not missing, f"{schema_name} row lacks {missing}: {row}"


@pytest.fixture
def sim_config() -> SimulatorConfig:
    # Big enough for every device type, junk serials, alerts with and without severity.
    return SimulatorConfig(orgs=6, devices=260, seed=2)


@pytest.fixture
async def fleet_ids(api: httpx.AsyncClient) -> dict[str, int]:
    detailed = (await api.get("/v2/devices-detailed")).json()
    ids = {}
    for dev in detailed:
        ids.setdefault(dev["deviceType"], dev["id"])
        if dev["nodeClass"] == "WINDOWS_WORKSTATION":
            ids.setdefault("windows", dev["id"])
    assert set(DEVICE_SUBTYPES) <= set(ids), ids
    return ids


LIST_ENDPOINTS = [
    "/v2/organizations",
    "/v2/organizations-detailed",
    "/v2/locations",
    "/v2/devices",
    "/v2/devices-detailed",
    "/v2/alerts",
    "/v2/activities",
    "/v2/queries/software",
    "/v2/queries/os-patches",
    "/v2/queries/os-patch-installs",
    "/v2/queries/software-patches",
    "/v2/queries/software-patch-installs",
    "/v2/queries/volumes",
    "/v2/queries/processors",
    "/v2/queries/disks",
    "/v2/queries/antivirus-status",
    "/v2/queries/antivirus-threats",
    "/v2/queries/device-health",
    "/v2/queries/computer-systems",
    "/v2/queries/operating-systems",
    "/v2/queries/network-interfaces",
    "/v2/queries/logged-on-users",
]


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
async def test_list_endpoints_conform(
    api: httpx.AsyncClient, components: dict[str, Any], path: str
) -> None:
    params = {"include": "bl", "pageSize": 2000} if path.startswith("/v2/queries") else {}
    resp = await api.get(path, params=params)
    assert resp.status_code == 200
    body = resp.json()
    _validate(components, _response_schema(components, path), body)
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    if path.startswith("/v2/queries"):
        _check_reads("Cursor", [body["cursor"]])
        if path == "/v2/queries/antivirus-threats":
            return  # only a few devices have threats; shape checked above
    assert rows, f"{path} returned nothing to validate"
    reads = {
        "/v2/organizations": "Organization",
        "/v2/locations": "LocationWithOrganizationRef",
        "/v2/devices": "NodeWithDetailedReferences",
        "/v2/alerts": "Alert",
        "/v2/queries/software": "DeviceApplication",
        "/v2/queries/os-patches": "DeviceOSPatch",
        "/v2/queries/software-patches": "DeviceSoftwarePatch",
        "/v2/queries/antivirus-status": "DeviceAntivirusStatus",
        "/v2/queries/device-health": "DeviceHealthSummary",
        "/v2/queries/volumes": "DeviceVolume",
    }
    if path in reads:
        _check_reads(reads[path], rows)
    if path == "/v2/activities":
        _check_reads("Activity", rows["activities"])
    if path == "/v2/devices-detailed":
        _check_reads("NodeWithDetailedReferences", rows)
        _check_reads("AgentDevice", [r for r in rows if r["deviceType"] == "AgentDevice"])


async def test_device_endpoints_conform(
    api: httpx.AsyncClient, components: dict[str, Any], fleet_ids: dict[str, int]
) -> None:
    win = fleet_ids["windows"]
    for kind in DEVICE_SUBTYPES:
        body = (await api.get(f"/v2/device/{fleet_ids[kind]}")).json()
        _validate(components, _response_schema(components, "/v2/device/{id}"), body)
    subresources = [
        "software",
        "os-patches",
        "os-patch-installs",
        "software-patches",
        "software-patch-installs",
        "volumes",
        "processors",
        "disks",
        "network-interfaces",
        "last-logged-on-user",
        "alerts",
        "activities",
        "dashboard-url",
    ]
    for sub in subresources:
        resp = await api.get(f"/v2/device/{win}/{sub}", params={"include": "bl"})
        assert resp.status_code == 200, (sub, resp.text)
        _validate(components, _response_schema(components, f"/v2/device/{{id}}/{sub}"), resp.json())


async def test_org_endpoints_and_search_conform(
    api: httpx.AsyncClient, components: dict[str, Any]
) -> None:
    for path, template in (
        ("/v2/organization/1", "/v2/organization/{id}"),
        ("/v2/organization/1/locations", "/v2/organization/{id}/locations"),
        ("/v2/organization/1/devices", "/v2/organization/{id}/devices"),
    ):
        _validate(components, _response_schema(components, template), (await api.get(path)).json())
    expanded = (await api.get("/v2/devices", params={"expand": "organization,location"})).json()
    assert expanded[0]["references"]["organization"]["id"] == expanded[0]["organizationId"]
    _validate(components, _response_schema(components, "/v2/devices"), expanded)
    found = (await api.get("/v2/devices/search", params={"q": "ws"})).json()
    assert found["devices"]
    _validate(components, _response_schema(components, "/v2/devices/search"), found)


def test_exceptions_are_needed(components: dict[str, Any]) -> None:
    """Each exception must describe a real difference: the plain spec rejects our shape."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    raw = spec["components"]["schemas"]
    for name, prop in EXCEPTIONS:
        if name == "DetailedActivity":
            assert "device" not in raw["Activity"]["properties"]
            continue
        props = raw[name].get("properties", {})
        assert prop not in props or props[prop].get("format") == "date-time", (name, prop)
    for (name, prop), values in EXTRA_ENUM_VALUES.items():
        assert not set(values) & set(raw[name]["properties"][prop]["enum"]), (name, prop)


WEBHOOK_FIXTURES = [
    "webhook_condition_triggered_expanded.json",
    "webhook_condition_reset_expanded.json",
    "webhook_condition_acknowledged.json",
    "webhook_condition_triggered_plain.json",
    "webhook_node_created.json",
    "webhook_node_deleted.json",
]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


REST_FIXTURES: dict[str, dict[str, Any]] = {
    "organizations_page.json": _array("Organization"),
    "organizations_detailed.json": _array("OrganizationDetailed"),
    "locations.json": _array("LocationWithOrganizationRef"),
    "devices_slim_page.json": _array("NodeWithDetailedReferences"),
    "device_detailed_agent.json": _ref("Device"),
    "device_detailed_vmhost.json": _ref("Device"),
    "alerts_with_severity.json": _array("Alert"),
    "alert_without_severity.json": _array("Alert"),
    "activities_page.json": _ref("ActivitiesResponse"),
    "report_software.json": _ref("SoftwareReport"),
    "report_os_patches.json": _ref("OSPatchReport"),
    "report_software_patches.json": _ref("SoftwarePatchReport"),
    "report_antivirus_status.json": _ref("AntivirusStatusReport"),
    "report_device_health.json": _ref("DeviceHealthReport"),
    "report_volumes_bl.json": _ref("VolumesReport"),
    "dashboard_url.json": _ref("DeviceLink"),
    "webhook_config_put.json": _ref("WebhookConfiguration"),
    **{name: _ref("DetailedActivity") for name in WEBHOOK_FIXTURES},
}


@pytest.mark.parametrize("name", sorted(REST_FIXTURES))
def test_fixtures_conform(components: dict[str, Any], name: str) -> None:
    body = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    _validate(components, REST_FIXTURES[name], body)


def test_every_fixture_is_listed_in_the_readme() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in FIXTURES.glob("*.json") if f"`{p.name}`" not in readme]
    assert missing == []


def test_validator_is_strict(components: dict[str, Any]) -> None:
    """Guard against a validator that accepts anything: each of these must fail."""
    bad = [
        ("Organization", {"id": 1, "name": "x", "bogus": 2}),  # undeclared field
        ("Alert", {"uid": "not-a-uuid"}),  # uuid format
        ("Device", {"id": 1, "deviceType": "AgentDevice", "cpuMhz": 5}),  # VMHost field
        ("Device", {"id": 1}),  # no deviceType
        ("DeviceApplication", {"installDate": "2025-02-11T00:00:00Z"}),  # not the real shape
        ("NodeWithDetailedReferences", {"id": 1, "deviceType": "AgentDevice"}),
    ]
    for name, value in bad:
        with pytest.raises(AssertionError):
            _validate(components, _ref(name), value)


async def test_simulator_webhook_payloads_conform(
    api: httpx.AsyncClient, sim: Any, components: dict[str, Any]
) -> None:
    from ninja_desk.simulator.webhooks import WebhookConfig

    tenant = sim.tenant
    config = WebhookConfig(
        url="http://127.0.0.1:9/x", expand=["device", "organization", "location"]
    )

    def newest() -> dict[str, Any]:
        return tenant.activities.page(older_than=None, newer_than=None, page_size=1)[0]

    dev_id = tenant.fleet.sorted_device_ids()[3]
    patchable = next(
        d.id
        for d in tenant.fleet.devices.values()
        if any(p["status"] != "REJECTED" for p in tenant.inventory.os_patches(d))
    )
    rows = []
    for change in (
        lambda: tenant.trigger_alert(dev_id, severity="MAJOR"),
        lambda: tenant.trigger_alert(dev_id),
        lambda: tenant.rename_device(dev_id, "x"),
        lambda: tenant.patch_result(patchable, success=False),
        lambda: tenant.add_software(dev_id, "Tool", "1.0"),
    ):
        change()
        rows.append(newest())
    for row in rows:
        _validate(components, _ref("DetailedActivity"), sim.state.webhooks.payload(row, config))


# -- device actions, jobs and the reads around them (issue 16) ---------------------------

# Custom field values: the spec types each value `{"type": "object"}` (a Java Object), but
# real values are strings, numbers and booleans (CAP-KNI, reference §3: DATE in epoch ms).
CUSTOM_FIELD_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
    },
}


async def _wait_idle(sim: Any) -> None:
    import asyncio

    for _ in range(200):
        if not sim.state.actions.jobs.running:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("jobs still running")


async def test_action_reads_and_jobs_conform(
    api: httpx.AsyncClient, sim: Any, components: dict[str, Any], fleet_ids: dict[str, int]
) -> None:
    win = next(
        d.id
        for d in sim.tenant.fleet.devices.values()
        if d.node_class == "WINDOWS_SERVER" and not d.offline
    )
    sim.state.actions.jobs.settings.duration = 30.0
    for path, body in (
        (f"/v2/device/{win}/reboot/NORMAL", {"reason": "conformance"}),
        (f"/v2/device/{win}/patch/os/scan", None),
        (f"/v2/device/{win}/script/run", {"type": "SCRIPT", "id": 101, "runAs": "SYSTEM"}),
        (f"/v2/device/{win}/windows-service/Spooler/control", {"action": "RESTART"}),
    ):
        resp = await api.post(path, json=body)
        assert resp.status_code == 204, (path, resp.text)
    jobs = (await api.get(f"/v2/device/{win}/jobs")).json()
    assert len(jobs) == 4
    _validate(components, _response_schema(components, "/v2/device/{id}/jobs"), jobs)
    _validate(
        components, _response_schema(components, "/v2/jobs"), (await api.get("/v2/jobs")).json()
    )
    for job in list(sim.state.actions.jobs.running.values()):
        sim.state.actions.jobs.finish(job)
    maintenance = {"disabledFeatures": ["ALERTS"], "end": 4102444800, "reasonMessage": "Move"}
    assert (await api.put(f"/v2/device/{win}/maintenance", json=maintenance)).status_code == 204
    device = (await api.get(f"/v2/device/{win}")).json()
    assert device["maintenance"]["reasonMessage"] == "Move"
    _validate(components, _response_schema(components, "/v2/device/{id}"), device)
    assert (await api.delete(f"/v2/device/{win}/maintenance")).status_code == 204
    activities = (await api.get(f"/v2/device/{win}/activities")).json()
    types = {a["activityType"] for a in activities["activities"]}
    assert {"ACTION", "SCRIPTING", "PATCH_MANAGEMENT", "REMOTE_TOOLS", "SYSTEM"} <= types
    assert any("activityResult" in a for a in activities["activities"])
    _validate(components, _response_schema(components, "/v2/device/{id}/activities"), activities)
    from ninja_desk.simulator.webhooks import WebhookConfig

    config = WebhookConfig(url="http://127.0.0.1:9/x", expand=["device"])
    for row in activities["activities"][:12]:
        payload = sim.state.webhooks.payload(row, config)
        _validate(components, _ref("DetailedActivity"), payload)
    await _wait_idle(sim)

    per_device = {
        "/v2/device/{id}/scripting/options": f"/v2/device/{win}/scripting/options",
        "/v2/device/{id}/windows-services": f"/v2/device/{win}/windows-services",
        "/v2/device/{id}/policy/overrides": f"/v2/device/{win}/policy/overrides",
    }
    for template, path in per_device.items():
        body = (await api.get(path)).json()
        assert body, path
        _validate(components, _response_schema(components, template), body)
    mac = next(d.id for d in sim.tenant.fleet.devices.values() if d.node_class == "MAC")
    body = (await api.get(f"/v2/device/{mac}/scripting/options")).json()
    _validate(components, _response_schema(components, "/v2/device/{id}/scripting/options"), body)


DIRECTORY_ENDPOINTS = [
    ("/v2/policies", "/v2/policies"),
    ("/v2/roles", "/v2/roles"),
    ("/v2/groups", "/v2/groups"),
    ("/v2/group/1/device-ids", "/v2/group/{id}/device-ids"),
    ("/v2/users", "/v2/users"),
    ("/v2/users?includeRoles=true", "/v2/users"),
    ("/v2/user/technicians", "/v2/user/technicians"),
    ("/v2/user/technician/1", "/v2/user/technician/{id}"),
    ("/v2/user/end-users", "/v2/user/end-users"),
    ("/v2/user/end-user/100", "/v2/user/end-user/{id}"),
    ("/v2/user/roles", "/v2/user/roles"),
    ("/v2/organization/1/end-users", "/v2/organization/{id}/end-users"),
    ("/v2/notification-channels", "/v2/notification-channels"),
    ("/v2/notification-channels/enabled", "/v2/notification-channels/enabled"),
    ("/v2/tasks", "/v2/tasks"),
    ("/v2/automation/scripts", "/v2/automation/scripts"),
    ("/v2/software-products", "/v2/software-products"),
    ("/v2/device-custom-fields", "/v2/device-custom-fields"),
    ("/v2/tag", "/v2/tag"),
    ("/v2/contacts", "/v2/contacts"),
    (
        "/v2/organization/1/location/1/installer/WINDOWS_MSI",
        "/v2/organization/{id}/location/{location_id}/installer/{installer_type}",
    ),
    ("/v2/queries/windows-services?pageSize=2000", "/v2/queries/windows-services"),
    ("/v2/queries/custom-fields?pageSize=2000", "/v2/queries/custom-fields"),
    ("/v2/queries/scoped-custom-fields?pageSize=2000", "/v2/queries/scoped-custom-fields"),
    ("/v2/queries/policy-overrides?pageSize=2000", "/v2/queries/policy-overrides"),
    ("/v2/queries/raid-controllers", "/v2/queries/raid-controllers"),
]


@pytest.mark.parametrize(("path", "template"), DIRECTORY_ENDPOINTS)
async def test_directory_endpoints_conform(
    api: httpx.AsyncClient, components: dict[str, Any], path: str, template: str
) -> None:
    resp = await api.get(path)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    schema = _response_schema(components, template)
    if template in ("/v2/queries/custom-fields", "/v2/queries/scoped-custom-fields"):
        item = "NodeAttributes" if template.endswith("/custom-fields") else "ScopedAttributes"
        schema = copy.deepcopy(components["schemas"][item])
        schema["properties"]["fields"] = CUSTOM_FIELD_VALUES
        assert body["results"]
        for row in body["results"]:
            _validate(components, schema, row)
        return
    _validate(components, schema, body)
    rows = body.get("results", body.get("tags", body)) if isinstance(body, dict) else body
    if template not in ("/v2/tag", "/v2/contacts", "/v2/queries/raid-controllers"):
        assert rows, f"{path} returned nothing to validate"


async def test_custom_field_values_conform(
    api: httpx.AsyncClient, components: dict[str, Any], fleet_ids: dict[str, int]
) -> None:
    win = fleet_ids["windows"]
    location = (await api.get("/v2/organization/1")).json()["locations"][0]["id"]
    paths = (
        f"/v2/device/{win}/custom-fields?withInheritance=true",
        "/v2/organization/1/custom-fields",
        f"/v2/organization/1/location/{location}/custom-fields",
    )
    for path in paths:
        body = (await api.get(path)).json()
        assert body, path
        _validate(components, CUSTOM_FIELD_VALUES, body)
    with pytest.raises(AssertionError):
        _validate(components, CUSTOM_FIELD_VALUES, {"x": {"nested": 1}})
