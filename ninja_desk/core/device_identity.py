"""Is this "new" NinjaOne device really a machine the PSA already knows?

Re-imaging or reinstalling the agent gives a machine a new NinjaOne device id. Matching on
hardware identity (serial + manufacturer, then a stable MAC) lets the PSA keep one asset with
its history and tickets instead of growing a duplicate. Junk identifiers must never match:
a placeholder serial or a virtual MAC is shared by thousands of unrelated machines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Compared after normalise_serial(): upper case, inner whitespace collapsed.
PLACEHOLDER_SERIALS = frozenset(
    {
        "TO BE FILLED BY O.E.M.",
        "TO BE FILLED BY OEM",
        "DEFAULT STRING",
        "SYSTEM SERIAL NUMBER",
        "CHASSIS SERIAL NUMBER",
        "BASE BOARD SERIAL NUMBER",
        "SERIAL NUMBER",
        "SERIALNUMBER",
        "NONE",
        "NULL",
        "N/A",
        "NA",
        "NOT SPECIFIED",
        "NOT APPLICABLE",
        "NOT AVAILABLE",
        "UNKNOWN",
        "INVALID",
        "O.E.M.",
        "OEM",
        "123456789",
        "1234567890",
        "0123456789",
        "EMPTY",
        "-",
    }
)

# OUIs of hypervisors and virtual adapters: shared by clones, reassigned on re-creation.
VIRTUAL_OUIS = frozenset(
    {
        "000569",
        "000C29",
        "001C14",
        "005056",  # VMware
        "00155D",  # Hyper-V
        "080027",
        "0A0027",  # VirtualBox
        "001C42",  # Parallels
        "00163E",  # Xen
        "525400",  # QEMU/KVM
        "0003FF",  # Microsoft Virtual PC
        "020054",
        "024200",  # Docker/Podman bridges (also locally administered)
    }
)

_NON_HEX = re.compile(r"[^0-9A-Fa-f]")
_SERIAL_SEPARATORS = re.compile(r"[\s\-_.:]")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]")
_MANUFACTURER_NOISE = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|ag|sa|bv|plc)\b\.?"
)


def normalise_serial(serial: str | None) -> str | None:
    """Upper-cased serial, or None when it is empty or a known placeholder."""
    if serial is None:
        return None
    text = " ".join(serial.strip().upper().split())
    if len(text) < 4 or text in PLACEHOLDER_SERIALS:
        return None
    compact = _SERIAL_SEPARATORS.sub("", text)
    # All zeros, all "X", all "F": a blank EEPROM, not an identity.
    if not compact or len(set(compact)) == 1:
        return None
    return text


def normalise_manufacturer(name: str | None) -> str | None:
    if not name:
        return None
    text = _NON_ALNUM.sub(" ", _MANUFACTURER_NOISE.sub(" ", name.lower()))
    text = " ".join(text.split())
    return text or None


def normalise_mac(mac: str | None) -> str | None:
    """12 upper-case hex digits, or None if it is not a MAC."""
    if not mac:
        return None
    digits = _NON_HEX.sub("", mac).upper()
    return digits if len(digits) == 12 else None


def is_stable_mac(mac: str) -> bool:
    """A burned-in, globally unique MAC: not zero/broadcast, not locally administered or
    multicast, not from a hypervisor's OUI."""
    digits = normalise_mac(mac)
    if digits is None or len(set(digits)) == 1:
        return False
    first_octet = int(digits[:2], 16)
    if first_octet & 0x02 or first_octet & 0x01:
        return False
    return digits[:6] not in VIRTUAL_OUIS


def stable_macs(macs: Iterable[str | None]) -> list[str]:
    """The stable MACs of a device, normalised, sorted, without duplicates."""
    return sorted({m for m in (normalise_mac(x) for x in macs) if m and is_stable_mac(m)})


@dataclass(frozen=True, slots=True)
class Fingerprint:
    serial: str | None
    manufacturer: str | None
    macs: tuple[str, ...]


def fingerprint(
    serial: str | None, manufacturer: str | None, macs: Sequence[str | None]
) -> Fingerprint:
    return Fingerprint(
        normalise_serial(serial), normalise_manufacturer(manufacturer), tuple(stable_macs(macs))
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """An asset a new device may turn out to be."""

    asset_id: object
    client_id: object
    device_id: str | None
    fingerprint: Fingerprint


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    candidate: Candidate
    matched_by: str  # "serial" or "mac"


class IdentityIndex:
    """Candidates indexed by (client, serial, manufacturer) and (client, MAC).

    An identifier shared by two candidates is ambiguous and never matches: guessing would merge
    two machines' histories. Each candidate can be claimed once per push.
    """

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self._by_serial: dict[tuple[object, str, str], list[Candidate]] = {}
        self._by_mac: dict[tuple[object, str], list[Candidate]] = {}
        self._claimed: set[object] = set()
        for cand in candidates:
            fp = cand.fingerprint
            if fp.serial and fp.manufacturer:
                key = (cand.client_id, fp.serial, fp.manufacturer)
                self._by_serial.setdefault(key, []).append(cand)
            for mac in fp.macs:
                self._by_mac.setdefault((cand.client_id, mac), []).append(cand)

    def match(self, client_id: object, fp: Fingerprint) -> IdentityMatch | None:
        if fp.serial and fp.manufacturer:
            found = self._unique(self._by_serial.get((client_id, fp.serial, fp.manufacturer)))
            if found is not None:
                return self._claim(found, "serial")
        # A MAC match is only trusted when the serials do not contradict it (a moved NIC).
        for mac in fp.macs:
            found = self._unique(self._by_mac.get((client_id, mac)))
            if found is None:
                continue
            other = found.fingerprint.serial
            if fp.serial and other and other != fp.serial:
                continue
            return self._claim(found, "mac")
        return None

    def _unique(self, found: list[Candidate] | None) -> Candidate | None:
        if not found:
            return None
        free = [c for c in found if c.asset_id not in self._claimed]
        distinct = {c.asset_id for c in found}
        return free[0] if len(distinct) == 1 and free else None

    def _claim(self, cand: Candidate, how: str) -> IdentityMatch:
        self._claimed.add(cand.asset_id)
        return IdentityMatch(cand, how)
