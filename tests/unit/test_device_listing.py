"""`ninja-desk devices --filter …` selects through the desktop's device filter: each
expression against hand-made rows, and the errors a script author reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.queries.devices import listing_query
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.cache.store import LocalCache
from ninja_desk.cli.common import CliError
from ninja_desk.cli.device_listing import parse_filters

# id, org, class, name, offline, deleted
ROWS = [
    (1, 1, "WINDOWS_SERVER", "SRV-ACME-01", 0, 0),
    (2, 1, "WINDOWS_WORKSTATION", "WS-ACME-02", 1, 0),
    (3, 2, "MAC", "MAC_BIRCH-03", 0, 0),
    (4, 2, "WINDOWS_WORKSTATION", "WS-BIRCH-04", None, 1),
    (5, 2, "NMS_SWITCH", "100%-SWITCH", 1, 0),
]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    local = LocalCache(tmp_path / "cache.sqlite3")
    cols = [*DEVICE_FIELD_COLUMNS, "deleted"]

    def write(conn) -> None:
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Acme', 0), (2, 'Birch', 0)"
        )
        for device_id, org, node_class, name, offline, deleted in ROWS:
            values = dict.fromkeys(DEVICE_FIELD_COLUMNS)
            values.update(id=device_id, organization_id=org, node_class=node_class, name=name,
                          offline=offline)  # fmt: skip
            conn.exec_driver_sql(
                f"INSERT INTO devices ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                (*[values[c] for c in DEVICE_FIELD_COLUMNS], deleted),
            )

    local.write_blocking(write)
    yield local
    local.close()


def listed(cache: LocalCache, *exprs: str) -> list[int]:
    sql, params = listing_query(parse_filters(list(exprs)))
    return [r["id"] for r in cache.rows(sql, **params)]


@pytest.mark.parametrize(
    ("exprs", "expected"),
    [
        ((), [1, 2, 3, 4, 5]),  # no filter: everything the cache knows, deleted too
        (("active",), [1, 2, 3, 5]),
        (("deleted",), [4]),
        (("online",), [1, 3]),
        (("offline",), [2, 5]),
        (("org=2",), [3, 4, 5]),
        (("org=2", "active"), [3, 5]),
        (("class=WINDOWS_WORKSTATION",), [2, 4]),
        (("id=3",), [3]),
        (("name~acme",), [1, 2]),
        (("name~100%",), [5]),  # % is a character, not a wildcard
        (("name~_",), [3]),
        (("offline", "org=1"), [2]),
    ],
)
def test_filters_select_the_devices_they_name(cache, exprs, expected) -> None:
    assert listed(cache, *exprs) == expected


def test_rows_carry_the_script_contract(cache) -> None:
    sql, params = listing_query(parse_filters(["id=1"]))
    (row,) = cache.rows(sql, **params)
    assert row["organizationName"] == "Acme" and row["nodeClass"] == "WINDOWS_SERVER"
    assert {"systemName", "displayName", "lastContact", "pendingOsPatches"} <= row.keys()


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("colour=red", "Unknown filter field 'colour'"),
        ("org=acme", "needs a number after 'org='"),
        ("whatever", "Cannot read the filter 'whatever'"),
    ],
)
def test_unreadable_filters_say_what_to_write(expr, message) -> None:
    with pytest.raises(CliError, match=message):
        parse_filters([expr])
