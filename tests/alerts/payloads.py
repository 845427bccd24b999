"""Real-shaped NinjaOne alert payloads (fixture files) and builders for many of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjaone"
# Org 1 and 2 are mapped to PSA clients; org 3 is not (its alerts explain "not mapped").
ORGS = {1: "Contoso Ltd", 2: "Fabrikam Inc"}
UNMAPPED_ORG = 3
# Devices 101-110 in org 1, 201-210 in org 2, 301-302 in org 3 (assets exist for orgs 1 and 2).
DEVICES = {**{d: 1 for d in range(101, 111)}, **{d: 2 for d in range(201, 211)}, 301: 3, 302: 3}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def activity(
    activity_id: int,
    series: str,
    status_code: str = "TRIGGERED",
    *,
    device_id: int = 101,
    severity: str | None = "CRITICAL",
    when: float | None = None,
    expand: bool = True,
    message: str = "Memory Utilization is greater than or equal to 80% for 5 minutes",
) -> dict[str, Any]:
    """A CONDITION webhook delivery shaped like the captured one (reference §12.14)."""
    body = copy.deepcopy(load("webhook_condition_triggered_expanded.json"))
    body.update(
        id=activity_id,
        seriesUid=series,
        statusCode=status_code,
        status=status_code.title(),
        deviceId=device_id,
        activityTime=when if when is not None else 1742391675.556 + activity_id,
        message=message,
    )
    if severity is not None:
        body["severity"] = severity
        body["priority"] = {"CRITICAL": "HIGH", "MAJOR": "HIGH", "MODERATE": "MEDIUM"}.get(
            severity, "LOW"
        )
    if expand:
        org = DEVICES.get(device_id, 1)
        body["device"].update(id=device_id, organizationId=org, displayName=f"PC-{device_id:05d}")
        body["device"]["references"]["organization"]["id"] = org
    else:
        body.pop("device", None)
    return body
