"""The generated tenant: deterministic, realistic, fast."""

from __future__ import annotations

import time
from collections import Counter

from ninja_desk.simulator import SimulatorConfig
from ninja_desk.simulator.serializers import device_base, device_detailed
from ninja_desk.simulator.tenant import Tenant


def _tenant(**kw: object) -> Tenant:
    return Tenant(
        SimulatorConfig(
            **({"orgs": 10, "devices": 400, "seed": 3, "base_time": 1_759_100_000.0} | kw)
        )
    )


def test_same_seed_same_fleet_and_different_seed_differs() -> None:
    a, b, c = _tenant(), _tenant(), _tenant(seed=4)
    assert [device_detailed(d) for d in a.fleet.devices.values()] == [
        device_detailed(d) for d in b.fleet.devices.values()
    ]
    dev = a.fleet.devices[10]
    assert [s.name for s in a.inventory.software(dev)] == [
        s.name for s in b.inventory.software(b.fleet.devices[10])
    ]
    assert [d.system_name for d in a.fleet.devices.values()] != [
        d.system_name for d in c.fleet.devices.values()
    ]


def test_fleet_is_realistic() -> None:
    t = _tenant()
    devs = list(t.fleet.devices.values())
    classes = Counter(d.node_class for d in devs)
    assert classes.most_common(1)[0][0] == "WINDOWS_WORKSTATION"
    assert {"WINDOWS_SERVER", "MAC", "VMWARE_VM_HOST", "NMS_SWITCH"} <= set(classes)
    for org in t.fleet.orgs.values():
        assert 1 <= len(org.location_ids) <= 3
    offline = sum(d.offline for d in devs) / len(devs)
    assert 0.01 <= offline <= 0.12
    agents = [d for d in devs if d.is_agent]
    counts = [len(t.inventory.software(d)) for d in agents]
    assert min(counts) >= 30 and max(counts) <= 60
    # >= 40 per device across the whole fleet, NMS targets and VM records included.
    assert sum(counts) / len(devs) >= 40
    serials = Counter(d.detail["system"]["serialNumber"] for d in agents)
    assert serials["To be filled by O.E.M."] >= 1 and serials["0"] >= 1
    old, new = t.fleet.reimaged_pair or (0, 0)
    assert serials[t.fleet.devices[old].detail["system"]["serialNumber"]] == 2
    assert t.fleet.devices[old].system_name == t.fleet.devices[new].system_name
    assert t.alerts and any("severity" not in a for a in t.alerts.values())


def test_absent_fields_are_left_out() -> None:
    t = _tenant()
    shapes = [device_base(d) for d in t.fleet.devices.values()]
    assert any("displayName" not in s for s in shapes)
    assert all(s.get("displayName") is not None for s in shapes if "displayName" in s)
    assert all(v is not None for s in shapes for v in s.values())


def test_ten_thousand_devices_generate_fast() -> None:
    # CPU time, not wall time: colleagues' test runs share the two cores.
    start = time.process_time()
    t = Tenant(SimulatorConfig(orgs=200, devices=10_000, seed=1))
    elapsed = time.process_time() - start
    assert len(t.fleet.devices) == 10_000 and len(t.fleet.orgs) == 200
    assert elapsed < 3.0, f"generation took {elapsed:.2f}s"
