"""The antivirus verdict: one rule for the PSA asset field, the desktop filter and the table cell.

NinjaOne's antivirus-status report gives a product, its state (ON, OFF, DISABLED, SNOOZED,
EXPIRED …; ENABLED from some vendors) and a definition status (UP_TO_DATE, OUT_OF_DATE,
EXPIRED …). Both enums are open, so anything unrecognised is read conservatively:

1. no product: MISSING on a class that runs the NinjaOne agent (it should report one),
   NOT_EXPECTED elsewhere (a switch or a cloud monitor has no antivirus);
2. a reported state that is not an "on" state: OFF (an expired licence or a snooze leaves the
   machine as unprotected as switching it off);
3. definitions out of date or expired: OUTDATED (whatever the state, short of OFF);
4. on with definitions up to date: PROTECTED;
5. anything else (state or definitions not reported): UNKNOWN — never counted as protected.

`cache/queries/fleet_rules.py` turns these same constants into SQL, so the SQLite filters and
this function cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

from ninja_desk.core.node_class import is_rmm_managed

ON_STATES: frozenset[str] = frozenset({"ON", "ENABLED"})
OUTDATED_DEFINITIONS: frozenset[str] = frozenset({"OUT_OF_DATE", "OUTDATED", "EXPIRED"})
CURRENT_DEFINITIONS: frozenset[str] = frozenset({"UP_TO_DATE"})


class AvVerdict(StrEnum):
    PROTECTED = "protected"
    OFF = "off"
    OUTDATED = "outdated"
    MISSING = "missing"
    UNKNOWN = "unknown"
    NOT_EXPECTED = "not_expected"


# What needs a technician: the desktop's "Antivirus issue" filter and the PSA's at_risk.
ISSUES: frozenset[AvVerdict] = frozenset({AvVerdict.OFF, AvVerdict.OUTDATED, AvVerdict.MISSING})


def normalise(value: str | None) -> str:
    """How every reader compares NinjaOne's enum strings (the SQL does upper() alike)."""
    return (value or "").upper()


def av_verdict(
    product: str | None, state: str | None, definitions: str | None, node_class: str | None
) -> AvVerdict:
    if not product:
        return AvVerdict.MISSING if is_rmm_managed(node_class) else AvVerdict.NOT_EXPECTED
    state_key, definitions_key = normalise(state), normalise(definitions)
    if state_key and state_key not in ON_STATES:
        return AvVerdict.OFF
    if definitions_key in OUTDATED_DEFINITIONS:
        return AvVerdict.OUTDATED
    if state_key in ON_STATES and definitions_key in CURRENT_DEFINITIONS:
        return AvVerdict.PROTECTED
    return AvVerdict.UNKNOWN


def verdict_text(verdict: AvVerdict, state: str | None = None) -> str:
    """The word a technician reads in a table cell; OFF names the state NinjaOne reported."""
    if verdict is AvVerdict.OFF:
        return normalise(state).replace("_", " ").title()
    return {
        AvVerdict.PROTECTED: "On",
        AvVerdict.OUTDATED: "Outdated",
        AvVerdict.MISSING: "None",
        AvVerdict.UNKNOWN: "Unknown",
        AvVerdict.NOT_EXPECTED: "",
    }[verdict]
