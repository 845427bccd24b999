"""One antivirus verdict everywhere: the PSA asset field, the desktop's filters (and so the
dashboard's counts) and the device table's cell agree on every state NinjaOne can report."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cache.queries import devices as q
from ninja_desk.cache.queries.fleet import STATS_SQL
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.inventory import AntivirusStatus
from ninja_desk.sync.psa_fields import antivirus
from ninja_desk.ui.models.device_table_model import DeviceTableModel

PRODUCTS = (None, "", "Bitdefender Endpoint")
STATES = (None, "", "ON", "on", "ENABLED", "OFF", "DISABLED", "SNOOZED", "EXPIRED", "WEIRD")
DEFINITIONS = (None, "UP_TO_DATE", "OUT_OF_DATE", "OUTDATED", "EXPIRED", "NEWFANGLED")
CLASSES = ("WINDOWS_WORKSTATION", "NMS_SWITCH")
COMBOS = list(itertools.product(PRODUCTS, STATES, DEFINITIONS, CLASSES))
AV_COLUMN = next(n for n, c in enumerate(q.COLUMNS) if c.key == "av")


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    local = LocalCache(tmp_path / "cache.sqlite3")
    cols = [*DEVICE_FIELD_COLUMNS, "av_product", "av_state", "av_definition_status"]

    def write(conn) -> None:
        conn.exec_driver_sql("INSERT INTO organizations (id, name, deleted) VALUES (1, 'A', 0)")
        for n, (product, state, definitions, node_class) in enumerate(COMBOS, start=1):
            values = dict.fromkeys(DEVICE_FIELD_COLUMNS)
            values.update(id=n, organization_id=1, node_class=node_class, name=f"DEV-{n:04}")
            conn.exec_driver_sql(
                f"INSERT INTO devices ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                (*[values[c] for c in DEVICE_FIELD_COLUMNS], product, state, definitions),
            )

    local.write_blocking(write)
    yield local
    local.close()


def filtered(cache: LocalCache, av: str) -> set[int]:
    sql, params = q.base_query(q.DeviceFilter(av=av))
    return {r["id"] for r in cache.rows(sql, **params)}


def cells(qtbot, cache: LocalCache) -> dict[int, str]:
    model = DeviceTableModel(cache)
    model.set_filter(q.DeviceFilter(show_deleted=True))
    model.fetch_all()
    rows = [model.row_at(r) for r in range(model.rowCount())]
    return {
        row["id"]: model.index(r, AV_COLUMN).data() for r, row in enumerate(rows) if row is not None
    }


def psa_status(n: int) -> str:
    product, state, definitions, _class = COMBOS[n - 1]
    return antivirus(AntivirusStatus(n, product, state, definitions))[0]


def test_the_filters_the_cell_and_the_psa_field_agree_on_every_state(qtbot, cache) -> None:
    off, outdated, missing = (filtered(cache, k) for k in ("off", "outdated", "missing"))
    issue = filtered(cache, "issue")
    text = cells(qtbot, cache)
    assert len(text) == len(COMBOS)
    assert issue == off | outdated | missing
    assert not (off & outdated) and not (off & missing) and not (outdated & missing)
    for n, cell in text.items():
        product, _state, _definitions, node_class = COMBOS[n - 1]
        psa = psa_status(n)
        why = f"{COMBOS[n - 1]}: cell {cell!r}, PSA {psa!r}"
        assert (n in outdated) == (cell == "Outdated"), why
        assert (n in missing) == (cell == "None"), why
        assert (n in off) == (cell not in ("On", "Outdated", "Unknown", "None", "")), why
        assert (psa == "at_risk") == (n in off | outdated), why
        assert (psa == "protected") == (cell == "On"), why
        if not product:
            assert cell == ("None" if node_class == "WINDOWS_WORKSTATION" else ""), why


@pytest.mark.parametrize(
    ("state", "definitions", "cell", "psa", "in_filter"),
    [
        ("ON", "UP_TO_DATE", "On", "protected", None),
        ("ENABLED", "UP_TO_DATE", "On", "protected", None),
        ("ON", "EXPIRED", "Outdated", "at_risk", "outdated"),  # expired definitions: outdated
        ("ON", "OUT_OF_DATE", "Outdated", "at_risk", "outdated"),
        ("EXPIRED", "UP_TO_DATE", "Expired", "at_risk", "off"),  # an expired licence: off
        ("SNOOZED", None, "Snoozed", "at_risk", "off"),
        ("ON", None, "Unknown", "unknown", None),  # never protected on a guess
        (None, None, "Unknown", "unknown", None),
    ],
)
def test_named_states(qtbot, cache, state, definitions, cell, psa, in_filter) -> None:
    n = COMBOS.index(("Bitdefender Endpoint", state, definitions, "WINDOWS_WORKSTATION")) + 1
    assert cells(qtbot, cache)[n] == cell
    assert psa_status(n) == psa
    for key in ("off", "outdated", "missing"):
        assert (n in filtered(cache, key)) == (key == in_filter)
    assert (n in filtered(cache, "issue")) == (in_filter is not None)


def test_the_dashboard_counts_what_the_filters_list(cache) -> None:
    stats = cache.rows(STATS_SQL, stale_before=0)[0]
    assert stats["av_off"] == len(filtered(cache, "off"))
    assert stats["av_outdated"] == len(filtered(cache, "outdated"))
    assert stats["av_missing"] == len(filtered(cache, "missing"))
