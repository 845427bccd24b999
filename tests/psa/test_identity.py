"""Pure identity logic and the nodeClass table (no database)."""

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
from ninja_desk.core.node_class import ASSET_TYPES, NODE_CLASS_TO_ASSET_TYPE, asset_type_for


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


def test_every_reference_node_class_has_an_asset_type():
    assert len(REFERENCE_NODE_CLASSES) == 33
    assert set(NODE_CLASS_TO_ASSET_TYPE) == set(REFERENCE_NODE_CLASSES)
    assert set(NODE_CLASS_TO_ASSET_TYPE.values()) <= set(ASSET_TYPES)
    for node_class in REFERENCE_NODE_CLASSES:
        assert asset_type_for(node_class)[1] is True


@pytest.mark.parametrize(
    ("node_class", "expected"),
    [
        ("WINDOWS_SERVER", ("server", True)),
        ("MAC", ("workstation", True)),
        ("NMS_PRINTER", ("printer", True)),
        ("APPLE_IPADOS", ("mobile_device", True)),
        ("NMS_NEW_PRINTER_KIND", ("printer", False)),
        ("AIX_SERVER", ("server", False)),
        ("TOTALLY_NEW", ("unknown", False)),
        (None, ("unknown", False)),
    ],
)
def test_asset_type_for(node_class, expected):
    assert asset_type_for(node_class) == expected
