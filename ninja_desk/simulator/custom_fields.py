"""Custom fields: definitions (`GET /v2/device-custom-fields`) and values per device,
location and organization (`GET/PATCH .../custom-fields`, `{fieldName: value}`).

Values follow reference §3: DATE fields carry epoch milliseconds. A field defined on several
scopes inherits: `withInheritance=true` on a device fills an unset value from its location,
then its organization. Unknown field names are refused with 400, as NinjaOne does for a
field that is not defined for that entity.
"""

from __future__ import annotations

import random
from typing import Any

from ninja_desk.simulator.fleet import DAY, DeviceRec, Fleet

# name -> (label, type, definitionScope)
DEFINITIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "assetTag": ("Asset tag", "TEXT", ("NODE",)),
    "warrantyExpiry": ("Warranty expiry", "DATE", ("NODE",)),
    "backupVerified": ("Backup verified", "CHECKBOX", ("NODE",)),
    "patchRing": ("Patch ring", "TEXT", ("NODE",)),
    "primaryContact": ("Primary contact", "TEXT", ("NODE", "LOCATION", "ORGANIZATION")),
    "siteCode": ("Site code", "TEXT", ("LOCATION", "NODE")),
    "contractTier": ("Contract tier", "TEXT", ("ORGANIZATION",)),
    "slaHours": ("SLA hours", "NUMERIC", ("ORGANIZATION",)),
    "afterHoursSupport": ("After-hours support", "CHECKBOX", ("ORGANIZATION",)),
}
_SCOPE = {"device": "NODE", "location": "LOCATION", "organization": "ORGANIZATION"}
_TYPES: dict[str, tuple[type, ...]] = {
    "TEXT": (str,),
    "DATE": (int, float),
    "CHECKBOX": (bool,),
    "NUMERIC": (int,),
}


class CustomFieldError(ValueError):
    pass


def definitions() -> list[dict[str, Any]]:
    out = []
    for name, (label, kind, scopes) in DEFINITIONS.items():
        out.append(
            {
                "entityType": "NODE",
                "scope": "NODE_GLOBAL",
                "definitionScope": list(scopes),
                "type": kind,
                "label": label,
                "description": label,
                "name": name,
                "endUserPermission": "HIDDEN",
                "technicianPermission": "EDITABLE",
                "scriptPermission": "READ_WRITE",
                "apiPermission": "READ_WRITE",
            }
        )
    return out


class CustomFields:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self._values: dict[tuple[str, int], dict[str, Any]] = {}

    def _seed(self, entity: str, entity_id: int) -> dict[str, Any]:
        rng = random.Random(f"custom-fields:{self.fleet.seed}:{entity}:{entity_id}")
        if entity == "device":
            dev = self.fleet.devices[entity_id]
            values: dict[str, Any] = {"assetTag": f"AT-{entity_id:05d}"}
            if dev.is_agent:
                values["warrantyExpiry"] = int((dev.created + rng.uniform(1, 4) * 365 * DAY) * 1000)
                values["backupVerified"] = rng.random() < 0.7
                values["patchRing"] = rng.choice(("Ring 0 (pilot)", "Ring 1", "Ring 2"))
            return values
        if entity == "location":
            return {"siteCode": f"SITE-{entity_id:03d}"}
        return {
            "contractTier": rng.choice(("Gold", "Silver", "Bronze")),
            "slaHours": rng.choice((4, 8, 24)),
            "afterHoursSupport": rng.random() < 0.4,
            "primaryContact": f"it-contact@client{entity_id}.example",
        }

    def _store(self, entity: str, entity_id: int) -> dict[str, Any]:
        key = (entity, entity_id)
        if key not in self._values:
            self._values[key] = self._seed(entity, entity_id)
        return self._values[key]

    def get(self, entity: str, entity_id: int, *, inherit: bool = False) -> dict[str, Any]:
        values = dict(self._store(entity, entity_id))
        if inherit and entity in ("device", "location"):
            parents: list[tuple[str, int]] = []
            if entity == "device":
                dev: DeviceRec = self.fleet.devices[entity_id]
                parents = [("location", dev.loc_id), ("organization", dev.org_id)]
            else:
                parents = [("organization", self.fleet.locations[entity_id].org_id)]
            for parent, parent_id in parents:
                for name, value in self._store(parent, parent_id).items():
                    if _SCOPE[entity] in DEFINITIONS[name][2]:
                        values.setdefault(name, value)
        return values

    def patch(self, entity: str, entity_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        scope = _SCOPE[entity]
        for name, value in changes.items():
            definition = DEFINITIONS.get(name)
            if definition is None or scope not in definition[2]:
                raise CustomFieldError(f"Custom field {name!r} is not defined for {entity} fields")
            kind = definition[1]
            ok = value is None or (
                isinstance(value, _TYPES[kind])
                and not (kind != "CHECKBOX" and isinstance(value, bool))
            )
            if not ok:
                raise CustomFieldError(
                    f"Custom field {name!r} is a {kind} field; {value!r} is not a valid value"
                )
        store = self._store(entity, entity_id)
        for name, value in changes.items():
            if value is None:
                store.pop(name, None)
            else:
                store[name] = value
        return dict(store)

    def forget_device(self, device_id: int) -> None:
        self._values.pop(("device", device_id), None)
