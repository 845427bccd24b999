"""Pure identity logic, the nodeClass tables and the Alga field mapping (no database)."""

from __future__ import annotations

import pytest

from ninja_desk.core.device_identity import (
    Candidate,
    IdentityIndex,
    fingerprint,
    is_stable_mac,
    normalise_serial,
    stable_macs,
)
from ninja_desk.core.devices import Volume
from ninja_desk.core.inventory import AntivirusStatus
from ninja_desk.core.node_class import ASSET_TYPES, NODE_CLASSES, asset_type_for
from ninja_desk.sync.psa_fields import (
    antivirus,
    desired_asset,
    disk_usage,
    lan_ip,
    os_type,
)
from tests.psa.builders import device, snapshot


@pytest.mark.parametrize(
    "serial",
    [
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "Default string",
        "System Serial Number",
        "None",
        "Chassis Serial Number",
        "0",
        "00000000",
        "0000-0000-00",
        "",
        "   ",
        None,
        "N/A",
        "XXXXXXXXXX",
        "Not Specified",
        "123456789",
    ],
)
def test_placeholder_serials_are_not_identities(serial):
    assert normalise_serial(serial) is None


def test_real_serials_are_kept_and_normalised():
    assert normalise_serial(" 5cg1234xyz ") == "5CG1234XYZ"
    assert normalise_serial("VMware-56 4d 12 34") == "VMWARE-56 4D 12 34"


@pytest.mark.parametrize(
    ("mac", "stable"),
    [
        ("3C:52:82:11:22:33", True),
        ("3c-52-82-11-22-33", True),
        ("00:00:00:00:00:00", False),
        ("FF:FF:FF:FF:FF:FF", False),
        ("02:42:AC:11:00:02", False),
        ("00:15:5D:01:02:03", False),
        ("00:50:56:AA:BB:CC", False),
        ("08:00:27:00:11:22", False),
        ("01:00:5E:00:00:01", False),
        ("52:54:00:12:34:56", False),
        ("not a mac", False),
    ],
)
def test_only_burned_in_macs_are_stable(mac, stable):
    assert is_stable_mac(mac) is stable


def test_stable_macs_dedupes_and_sorts():
    assert stable_macs(["3c:52:82:11:22:33", "3C-52-82-11-22-33", "00:15:5D:00:00:01", None]) == [
        "3C52821122 33".replace(" ", "")
    ]


def _cand(asset, client, serial=None, maker="Dell Inc.", macs=()):
    return Candidate(asset, client, None, fingerprint(serial, maker, list(macs)))


def test_serial_needs_the_same_manufacturer():
    index = IdentityIndex([_cand("a1", "c1", "SER-1", "Dell Inc.")])
    assert index.match("c1", fingerprint("SER-1", "HP", [])) is None
    assert index.match("c1", fingerprint("SER-1", "DELL", [])).candidate.asset_id == "a1"


def test_ambiguous_identifiers_never_match():
    index = IdentityIndex([_cand("a1", "c1", "SER-1"), _cand("a2", "c1", "SER-1")])
    assert index.match("c1", fingerprint("SER-1", "Dell", [])) is None


def test_a_candidate_is_claimed_once():
    index = IdentityIndex([_cand("a1", "c1", "SER-1")])
    assert index.match("c1", fingerprint("SER-1", "Dell", [])) is not None
    assert index.match("c1", fingerprint("SER-1", "Dell", [])) is None


def test_mac_match_is_refused_when_serials_disagree():
    index = IdentityIndex([_cand("a1", "c1", "SER-1", macs=["3C:52:82:11:22:33"])])
    assert index.match("c1", fingerprint("SER-2", "Dell", ["3C:52:82:11:22:33"])) is None
    hit = index.match("c1", fingerprint(None, None, ["3C:52:82:11:22:33"]))
    assert hit is not None and hit.matched_by == "mac"


def test_matching_is_per_client():
    index = IdentityIndex([_cand("a1", "c1", "SER-1")])
    assert index.match("c2", fingerprint("SER-1", "Dell", [])) is None


# NinjaOne API reference §8.1, copied verbatim (33 values).
REFERENCE_NODE_CLASSES = [
    "WINDOWS_SERVER",
    "WINDOWS_WORKSTATION",
    "LINUX_WORKSTATION",
    "MAC",
    "ANDROID",
    "APPLE_IOS",
    "APPLE_IPADOS",
    "VMWARE_VM_HOST",
    "VMWARE_VM_GUEST",
    "HYPERV_VMM_HOST",
    "HYPERV_VMM_GUEST",
    "LINUX_SERVER",
    "MAC_SERVER",
    "CLOUD_MONITOR_TARGET",
    "NMS_SWITCH",
    "NMS_ROUTER",
    "NMS_FIREWALL",
    "NMS_PRIVATE_NETWORK_GATEWAY",
    "NMS_PRINTER",
    "NMS_SCANNER",
    "NMS_DIAL_MANAGER",
    "NMS_WAP",
    "NMS_IPSLA",
    "NMS_COMPUTER",
    "NMS_VM_HOST",
    "NMS_APPLIANCE",
    "NMS_OTHER",
    "NMS_SERVER",
    "NMS_PHONE",
    "NMS_VIRTUAL_MACHINE",
    "NMS_NETWORK_MANAGEMENT_AGENT",
    "UNMANAGED_DEVICE",
    "MANAGED_DEVICE",
]


def test_every_reference_node_class_is_known_and_has_an_asset_type():
    assert len(REFERENCE_NODE_CLASSES) == 33
    assert set(NODE_CLASSES) == set(REFERENCE_NODE_CLASSES)
    for node_class in REFERENCE_NODE_CLASSES:
        assert asset_type_for(node_class) in ASSET_TYPES


# Alga's own NinjaOne sync: Windows/Linux workstations and Mac -> workstation; Windows/Linux
# servers, VMware and Hyper-V hosts and guests -> server; NMS and cloud monitor targets ->
# network_device; anything else -> unknown.
ALGA_TYPES = {
    "WINDOWS_WORKSTATION": "workstation",
    "LINUX_WORKSTATION": "workstation",
    "MAC": "workstation",
    "WINDOWS_SERVER": "server",
    "LINUX_SERVER": "server",
    "VMWARE_VM_HOST": "server",
    "VMWARE_VM_GUEST": "server",
    "HYPERV_VMM_HOST": "server",
    "HYPERV_VMM_GUEST": "server",
    "CLOUD_MONITOR_TARGET": "network_device",
    **{c: "network_device" for c in REFERENCE_NODE_CLASSES if c.startswith("NMS_")},
}


@pytest.mark.parametrize("node_class", [*REFERENCE_NODE_CLASSES, "SOMETHING_NEW", None])
def test_asset_type_follows_algas_own_sync(node_class):
    assert len(ALGA_TYPES) == 27  # 9 + cloud monitor + 17 NMS classes; 6 more are unknown
    assert asset_type_for(node_class) == ALGA_TYPES.get(node_class or "", "unknown")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Windows 11 Pro", "Windows"),
        ("Microsoft Windows Server 2022 Standard", "Windows"),
        ("macOS Sonoma", "macOS"),
        ("Darwin 23.4", "macOS"),
        ("Ubuntu 22.04.4 LTS", "Linux"),
        ("Debian GNU/Linux 12", "Linux"),
        ("FreeBSD 14", "FreeBSD 14"),
        (None, None),
    ],
)
def test_os_type_uses_algas_words(name, expected):
    assert os_type(name) == expected


@pytest.mark.parametrize(
    ("state", "definitions", "expected"),
    [
        ("ON", "UP_TO_DATE", "protected"),
        ("OFF", "UP_TO_DATE", "at_risk"),
        ("ON", "OUT_OF_DATE", "at_risk"),
        ("SNOOZED", None, "at_risk"),
        ("ON", None, "unknown"),
        (None, None, "unknown"),
    ],
)
def test_antivirus_status_uses_algas_words(state, definitions, expected):
    assert antivirus(AntivirusStatus(1, "Defender", state, definitions)) == (expected, "Defender")
    assert antivirus(None) == ("unknown", None)


def test_disk_usage_has_algas_shape_and_skips_unsized_volumes():
    volumes = [
        Volume("C:", capacity=256 * 1024**3, free_space=64 * 1024**3),
        Volume("", label="Recovery", capacity=1024**3, free_space=1024**3),
        Volume("E:", capacity=None),
    ]
    assert disk_usage(volumes) == [
        {"name": "C:", "total_gb": 256.0, "free_gb": 64.0, "utilization_percent": 75.0},
        {"name": "Recovery", "total_gb": 1.0, "free_gb": 1.0, "utilization_percent": 0.0},
    ]


def test_lan_ip_skips_loopback_link_local_and_ipv6():
    assert lan_ip(["127.0.0.1", "fe80::1", "169.254.3.4", "192.168.1.20"]) == "192.168.1.20"
    assert lan_ip(["::1"]) is None


def test_desired_asset_ram_is_rounded_and_the_fingerprint_ignores_nothing_it_writes():
    base = desired_asset(snapshot(device(1, memory=15 * 1024**3 + 900 * 1024**2)), "client")
    assert base.extension["ram_gb"] == 16
    assert base.asset_tag == "NINJA-SN00000001"
    same = desired_asset(snapshot(device(1, memory=15 * 1024**3 + 900 * 1024**2)), "client")
    assert same.fingerprint == base.fingerprint
    patched = desired_asset(snapshot(device(1), pending_os=5), "client")
    assert patched.fingerprint != base.fingerprint
    moved = desired_asset(snapshot(device(1, memory=15 * 1024**3 + 900 * 1024**2)), "other")
    assert moved.fingerprint != base.fingerprint
