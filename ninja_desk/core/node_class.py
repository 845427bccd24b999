"""NinjaOne `nodeClass` -> PSA asset type (reference §8.1).

The enum is open: NinjaOne adds classes over time. An unknown class is kept, guessed from its
name where the name says enough, and otherwise filed as `unknown` so a person can reclassify it.
"""

from __future__ import annotations

ASSET_TYPES: tuple[str, ...] = (
    "workstation",
    "server",
    "network_device",
    "mobile_device",
    "printer",
    "unknown",
)

# Classes that run the NinjaOne agent: patch compliance is measured over them and they should
# report an antivirus. The rest are NMS devices, cloud monitors and agentless VM guests/hosts.
RMM_MANAGED_CLASSES: tuple[str, ...] = (
    "WINDOWS_WORKSTATION",
    "WINDOWS_SERVER",
    "MAC",
    "MAC_SERVER",
    "LINUX_WORKSTATION",
    "LINUX_SERVER",
)


def is_rmm_managed(node_class: str | None) -> bool:
    return node_class in RMM_MANAGED_CLASSES


NODE_CLASS_TO_ASSET_TYPE: dict[str, str] = {
    "WINDOWS_SERVER": "server",
    "WINDOWS_WORKSTATION": "workstation",
    "LINUX_WORKSTATION": "workstation",
    "MAC": "workstation",
    "ANDROID": "mobile_device",
    "APPLE_IOS": "mobile_device",
    "APPLE_IPADOS": "mobile_device",
    "VMWARE_VM_HOST": "server",
    # A guest's class says nothing about its OS role; in MSP fleets guests are mostly servers.
    "VMWARE_VM_GUEST": "server",
    "HYPERV_VMM_HOST": "server",
    "HYPERV_VMM_GUEST": "server",
    "LINUX_SERVER": "server",
    "MAC_SERVER": "server",
    # A monitored URL/host/port is not hardware; it is tracked like a network service.
    "CLOUD_MONITOR_TARGET": "network_device",
    "NMS_SWITCH": "network_device",
    "NMS_ROUTER": "network_device",
    "NMS_FIREWALL": "network_device",
    "NMS_PRIVATE_NETWORK_GATEWAY": "network_device",
    "NMS_PRINTER": "printer",
    "NMS_SCANNER": "printer",
    "NMS_DIAL_MANAGER": "network_device",
    "NMS_WAP": "network_device",
    "NMS_IPSLA": "network_device",
    "NMS_COMPUTER": "workstation",
    "NMS_VM_HOST": "server",
    "NMS_APPLIANCE": "network_device",
    "NMS_OTHER": "network_device",
    "NMS_SERVER": "server",
    "NMS_PHONE": "mobile_device",
    "NMS_VIRTUAL_MACHINE": "server",
    "NMS_NETWORK_MANAGEMENT_AGENT": "network_device",
    "UNMANAGED_DEVICE": "unknown",
    "MANAGED_DEVICE": "unknown",
}

# Name fragments tried in order for classes NinjaOne adds after this table was written.
_GUESSES: tuple[tuple[str, str], ...] = (
    ("PRINTER", "printer"),
    ("SERVER", "server"),
    ("HOST", "server"),
    ("WORKSTATION", "workstation"),
    ("PHONE", "mobile_device"),
    ("IOS", "mobile_device"),
    ("ANDROID", "mobile_device"),
    ("NMS_", "network_device"),
)


def asset_type_for(node_class: str | None) -> tuple[str, bool]:
    """Return (asset type, known). `known` is False when the class was guessed or defaulted,
    so the caller can log it once."""
    key = (node_class or "").strip().upper()
    if key in NODE_CLASS_TO_ASSET_TYPE:
        return NODE_CLASS_TO_ASSET_TYPE[key], True
    for fragment, asset_type in _GUESSES:
        if fragment in key:
            return asset_type, False
    return "unknown", False
