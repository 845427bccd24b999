"""SQL generated from the fleet rules in `core` (severity rank, managed classes, antivirus).

Each reader of the cache that ranks, filters or counts by one of these rules takes its SQL
fragment from here, so changing the rule in `core` changes every screen, command and report.
The values are constants from `core`, never user input, so inlining them as literals is safe.
"""

from __future__ import annotations

from collections.abc import Iterable

from ninja_desk.core.antivirus import (
    CURRENT_DEFINITIONS,
    ON_STATES,
    OUTDATED_DEFINITIONS,
    AvVerdict,
)
from ninja_desk.core.node_class import RMM_MANAGED_CLASSES
from ninja_desk.core.severity import SEVERITIES


def sql_list(values: Iterable[str]) -> str:
    """A parenthesised SQL list of string literals, sorted so the text is stable."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + ")"


MANAGED_CLASSES_SQL = sql_list(RMM_MANAGED_CLASSES)


def managed_sql(alias: str = "d") -> str:
    return f"{alias}.node_class IN {MANAGED_CLASSES_SQL}"


def severity_rank_sql(expr: str) -> str:
    """`core.severity_rank` of an alert severity column: NONE/unknown 0 … CRITICAL 4."""
    whens = " ".join(
        f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(SEVERITIES) if rank > 0
    )
    return f"CASE upper(coalesce({expr}, 'NONE')) {whens} ELSE 0 END"


def av_verdict_sql(alias: str = "d") -> str:
    """`core.antivirus.av_verdict` of a devices row, as the verdict's string value."""
    state = f"upper(trim(coalesce({alias}.av_state, '')))"
    definitions = f"upper(trim(coalesce({alias}.av_definition_status, '')))"
    no_product = f"trim(coalesce({alias}.av_product, '')) = ''"
    return (
        f"(CASE WHEN {no_product} AND {managed_sql(alias)} THEN '{AvVerdict.MISSING}'"
        f" WHEN {no_product} THEN '{AvVerdict.NOT_EXPECTED}'"
        f" WHEN {state} != '' AND {state} NOT IN {sql_list(ON_STATES)} THEN '{AvVerdict.OFF}'"
        f" WHEN {definitions} IN {sql_list(OUTDATED_DEFINITIONS)} THEN '{AvVerdict.OUTDATED}'"
        f" WHEN {state} IN {sql_list(ON_STATES)}"
        f" AND {definitions} IN {sql_list(CURRENT_DEFINITIONS)} THEN '{AvVerdict.PROTECTED}'"
        f" ELSE '{AvVerdict.UNKNOWN}' END)"
    )


def av_in_sql(verdicts: Iterable[AvVerdict], alias: str = "d") -> str:
    """A predicate: the row's antivirus verdict is one of `verdicts`."""
    return f"{av_verdict_sql(alias)} IN {sql_list(str(v) for v in verdicts)}"
