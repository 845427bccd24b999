"""NinjaOne's `nodeClass`: the classes it documents (reference §8.1), which of them run the
NinjaOne agent, and the asset type each becomes in the PSA.

The asset type follows Alga's own NinjaOne sync (its deviceMapper), so an asset NinjaDesk
writes looks like one Alga wrote: Windows/Linux workstations and Macs are workstations;
Windows/Linux servers and VMware/Hyper-V hosts and guests are servers; NMS devices and cloud
monitor targets are network devices; everything else (phones, tablets, Mac servers, classes
NinjaOne adds later) is `unknown`, for a person to reclassify in Alga.
"""

from __future__ import annotations

# Every class the API reference lists; the enum is open, so others may arrive.
NODE_CLASSES: tuple[str, ...] = (
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

ASSET_TYPES: tuple[str, ...] = ("workstation", "server", "network_device", "unknown")
_WORKSTATIONS = frozenset({"WINDOWS_WORKSTATION", "MAC", "LINUX_WORKSTATION"})
_SERVERS = frozenset(
    {
        "WINDOWS_SERVER",
        "LINUX_SERVER",
        "VMWARE_VM_HOST",
        "VMWARE_VM_GUEST",
        "HYPERV_VMM_HOST",
        "HYPERV_VMM_GUEST",
    }
)


def is_rmm_managed(node_class: str | None) -> bool:
    return node_class in RMM_MANAGED_CLASSES


def asset_type_for(node_class: str | None) -> str:
    """The PSA asset type of a device of this class (one of ASSET_TYPES), as Alga files it."""
    key = (node_class or "").strip().upper()
    if key in _WORKSTATIONS:
        return "workstation"
    if key in _SERVERS:
        return "server"
    if key == "NMS" or key.startswith("NMS_") or key == "CLOUD_MONITOR_TARGET":
        return "network_device"
    return "unknown"
