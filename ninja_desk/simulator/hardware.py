"""What a generated device is made of: OS, hardware, CPU, memory, volumes, serials, MACs.

Split from fleet.py so the fleet module is about ids, orgs and placement, and this one about
the device payloads (reference §7.2 AgentDevice / VMHost / VMGuest fields).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ninja_desk.simulator import catalog

if TYPE_CHECKING:
    from ninja_desk.simulator.fleet import DeviceRec

DAY = 86400.0


def fill_detail(dev: DeviceRec, rng: random.Random, domain: str) -> None:
    """The subtype payload of a new device: os/system/... for agents, flat VM fields."""
    cls = dev.node_class
    boot = round(dev.last_contact - rng.uniform(DAY / 4, 20 * DAY))
    if dev.is_agent:
        if cls == "WINDOWS_WORKSTATION":
            os_t, hw = rng.choice(catalog.WINDOWS_WS_OS), rng.choice(catalog.HARDWARE_WS)
            mem_gb = rng.choice(catalog.MEMORY_GB)
        elif cls == "WINDOWS_SERVER":
            os_t, hw = rng.choice(catalog.WINDOWS_SRV_OS), rng.choice(catalog.HARDWARE_SRV)
            mem_gb = rng.choice(catalog.SERVER_MEMORY_GB)
        elif cls.startswith("MAC"):
            os_t, hw = rng.choice(catalog.MAC_OS), rng.choice(catalog.HARDWARE_MAC)
            mem_gb = rng.choice(catalog.MEMORY_GB)
        else:
            os_t = rng.choice(catalog.LINUX_OS)
            server = cls == "LINUX_SERVER"
            hw = rng.choice(catalog.HARDWARE_SRV if server else catalog.HARDWARE_WS)
            mem_gb = rng.choice(catalog.MEMORY_GB)
        manufacturer, model, chassis, virtual = hw
        cpu_name, clock, cores, logical, arch = rng.choice(catalog.CPUS)
        if cls.startswith("MAC"):
            cpu_name, clock, cores, logical, arch = catalog.CPUS[5]
        serial = serial_number(rng, manufacturer)
        mem = mem_gb * 1024**3 - rng.randint(0, 512) * 1024**2
        windows = cls.startswith("WINDOWS")
        user = rng.choice(catalog.FIRST_NAMES)
        dev.last_user = f"{domain.split('.')[0].upper()}\\{user}" if windows else user
        needs_reboot = rng.random() < 0.12
        if needs_reboot and windows:
            dev.pending_reboot_reason = "WINDOWS_PM"
        dev.detail = {
            "os": {
                "manufacturer": os_t[0],
                "name": os_t[1],
                "architecture": os_t[4],
                "lastBootTime": float(boot),
                "buildNumber": os_t[2],
                "releaseId": os_t[3],
                "servicePackMajorVersion": 0,
                "servicePackMinorVersion": 0,
                "locale": rng.choice(("en-US", "en-GB", "de-DE", "fr-FR")),
                "language": "English",
                "needsReboot": needs_reboot,
            },
            "system": {
                "name": dev.system_name,
                "manufacturer": manufacturer,
                "model": model,
                "biosSerialNumber": serial,
                "serialNumber": serial,
                "domain": domain.split(".")[0].upper() if windows else "WORKGROUP",
                "domainRole": "Member Server" if cls == "WINDOWS_SERVER" else "Member Workstation",
                "numberOfProcessors": 1,
                "totalPhysicalMemory": mem,
                "virtualMachine": virtual,
                "chassisType": chassis,
            },
            "memory": {"capacity": mem},
            "processors": [
                {
                    "architecture": arch,
                    "maxClockSpeed": clock,
                    "clockSpeed": clock,
                    "name": cpu_name,
                    "numCores": cores,
                    "numLogicalCores": logical,
                }
            ],
            "volumes": _volumes(rng, dev, windows),
            "lastLoggedInUser": dev.last_user,
        }
        # 30-60 titles skewed high (mean ~51 per agent): the sync benchmark counts on
        # >= 40 per device across the whole fleet (NMS and VMs have none), ~415k rows
        # for 10,000 devices.
        dev.software_count = min(60, int(rng.triangular(33, 61, 61)))
        if windows:
            product, version = rng.choice(catalog.AV_PRODUCTS)
            state = "ON" if rng.random() > 0.06 else rng.choice(("OFF", "SNOOZED", "EXPIRED"))
            defs = "UP_TO_DATE" if rng.random() > 0.1 else "OUT_OF_DATE"
            dev.av = (product, version, state, defs)
        elif cls.startswith("MAC") and rng.random() < 0.7:
            dev.av = ("SentinelOne", "24.3.2", "ON", "UP_TO_DATE")
    elif cls == "VMWARE_VM_HOST":
        cores = rng.choice((16, 24, 32))
        dev.detail = {
            "cpuMhz": 2694,
            "cpuModel": "Intel(R) Xeon(R) Gold 6258R CPU @ 2.70GHz",
            "htActive": True,
            "htAvailable": True,
            "lastBootTime": float(boot),
            "memorySize": rng.choice((256, 384, 512)) * 1024**3,
            "model": "PowerEdge R750",
            "name": dev.system_name,
            "cpuCores": cores,
            "cpuPackages": 2,
            "cpuThreads": cores * 2,
            "serviceTag": serial_number(rng, "Dell"),
            "vendor": "Dell Inc.",
            "releaseName": "VMware ESXi 8.0.1 build-21495797",
            "version": "8.0.1",
            "buildNumber": "21495797",
        }
    elif cls in ("VMWARE_VM_GUEST", "HYPERV_VMM_GUEST"):
        vmware = cls == "VMWARE_VM_GUEST"
        dev.detail = {
            "fullName": dev.system_name,
            "lastBootTime": float(boot),
            "memorySize": rng.choice((4, 8, 16, 32)) * 1024**3,
            "coresPerSocket": 1,
            "cpuCores": rng.choice((2, 4, 8)),
            "powerState": "POWERED_OFF" if dev.offline else "POWERED_ON",
            "guestOSFullName": "Microsoft Windows Server 2022 (64-bit)",
            "guestOSFamily": "windowsGuest",
            "guestOSId": "windows2019srvNext_64Guest",
            "snapshotCount": rng.randint(0, 3),
            "snapshotTotalSize": rng.randint(0, 40) * 1024**3,
        }
        if vmware:
            dev.detail |= {
                "files": f"[datastore1] {dev.system_name}/{dev.system_name}.vmx",
                "toolsInstallType": "guestToolsTypeMSI",
                "toolStatus": "toolsOk",
                "toolsVersion": "12352",
                "toolsVersionStatus": "guestToolsCurrent",
            }


def hex_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def mac_address(rng: random.Random) -> str:
    oui = rng.choice(("00:15:5D", "3C:52:82", "F0:1F:AF", "A4:BB:6D", "00:50:56", "B8:27:EB"))
    return oui + "".join(f":{rng.randint(0, 255):02X}" for _ in range(3))


def serial_number(rng: random.Random, manufacturer: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    if manufacturer.startswith("Dell"):
        return "".join(rng.choice(alphabet) for _ in range(7))
    if manufacturer.startswith("Microsoft") and rng.random() < 0.5:
        return "-".join(f"{rng.randint(0, 9999):04d}" for _ in range(6)) + "-00"
    if manufacturer.startswith("VMware"):
        return "VMware-56 4d " + " ".join(hex_digits(rng, 2) for _ in range(6))
    return "".join(rng.choice(alphabet) for _ in range(10))


def _volumes(rng: random.Random, dev: DeviceRec, windows: bool) -> list[dict[str, Any]]:
    if windows:
        names = ["C:"] + (["D:"] if rng.random() < 0.3 else [])
    elif dev.node_class.startswith("MAC"):
        names = ["/"]
    else:
        names = ["/", "/boot"] if rng.random() < 0.5 else ["/"]
    vols = []
    for name in names:
        cap = rng.choice((128, 256, 512, 1024)) * 1000**3
        vol: dict[str, Any] = {
            "nodeId": dev.id,  # undocumented but present on real captures (reference §7.2)
            "name": name,
            "label": "" if name != "D:" else "Data",
            "deviceType": "Local Disk",
            "fileSystem": "NTFS"
            if windows
            else ("APFS" if name == "/" and dev.node_class.startswith("MAC") else "ext4"),
            "autoMount": True,
            "compressed": False,
            "capacity": cap,
            "freeSpace": int(cap * rng.uniform(0.03, 0.8)),
            "serialNumber": hex_digits(rng, 8).upper(),
        }
        if windows:
            vol["driveLetter"] = name
        vols.append(vol)
    return vols
