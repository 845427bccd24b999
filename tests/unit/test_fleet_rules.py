"""The SQL that cache readers rank and filter by says what the rules in `core` say, for every
value the cache can hold (SQLite itself evaluates the generated SQL)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from ninja_desk.cache.queries.fleet_rules import (
    av_in_sql,
    av_verdict_sql,
    managed_sql,
    severity_rank_sql,
)
from ninja_desk.core.antivirus import AvVerdict, av_verdict
from ninja_desk.core.node_class import is_rmm_managed
from ninja_desk.core.severity import severity_rank

SEVERITIES = (None, "", "CRITICAL", "critical", "Major", "MODERATE", "minor", "NONE", "URGENT")
CLASSES = (None, "WINDOWS_SERVER", "MAC", "LINUX_WORKSTATION", "NMS_SWITCH", "windows_server")


@pytest.fixture
def db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE devices (node_class TEXT, av_product TEXT, av_state TEXT,"
        " av_definition_status TEXT)"
    )
    return conn


@pytest.mark.parametrize("severity", SEVERITIES)
def test_severity_rank_sql_is_core_severity_rank(db, severity) -> None:
    (rank,) = db.execute(f"SELECT {severity_rank_sql(':s')}", {"s": severity}).fetchone()
    assert rank == severity_rank(severity)


def test_critical_outranks_major_outranks_minor(db) -> None:
    ranks = [db.execute(f"SELECT {severity_rank_sql(':s')}", {"s": s}).fetchone()[0]
             for s in ("CRITICAL", "MAJOR", "MODERATE", "MINOR", "NONE")]  # fmt: skip
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 5


@pytest.mark.parametrize("node_class", CLASSES)
def test_managed_sql_is_core_is_rmm_managed(db, node_class) -> None:
    db.execute("INSERT INTO devices (node_class) VALUES (?)", (node_class,))
    (managed,) = db.execute(f"SELECT count(*) FROM devices d WHERE {managed_sql()}").fetchone()
    assert bool(managed) == is_rmm_managed(node_class)


PRODUCTS = (None, "", " ", "Defender")
STATES = (None, "", "ON", " on ", "on", "ENABLED", "OFF", "DISABLED", "SNOOZED", "EXPIRED", "X")
DEFINITIONS = (None, "", "UP_TO_DATE", "up_to_date", "OUT_OF_DATE", "OUTDATED", "EXPIRED", "Y")
AV_COMBOS = list(itertools.product(("MAC", "NMS_SWITCH", None), PRODUCTS, STATES, DEFINITIONS))


@pytest.fixture
def fleet(db) -> sqlite3.Connection:
    db.executemany("INSERT INTO devices VALUES (?, ?, ?, ?)", AV_COMBOS)
    return db


def test_av_verdict_sql_is_core_av_verdict_on_every_combination(fleet) -> None:
    got = fleet.execute(
        "SELECT node_class, av_product, av_state, av_definition_status,"
        f" {av_verdict_sql()} FROM devices d"
    ).fetchall()
    assert len(got) == len(AV_COMBOS)
    for node_class, product, state, defs, verdict in got:
        assert verdict == av_verdict(product, state, defs, node_class), (product, state, defs)


@pytest.mark.parametrize("verdict", list(AvVerdict))
def test_each_verdict_filter_keeps_exactly_its_devices(fleet, verdict) -> None:
    kept = fleet.execute(
        "SELECT node_class, av_product, av_state, av_definition_status FROM devices d"
        f" WHERE {av_in_sql({verdict})}"
    ).fetchall()
    expected = [c for c in AV_COMBOS if av_verdict(c[1], c[2], c[3], c[0]) is verdict]
    assert sorted(kept, key=repr) == sorted(expected, key=repr) and expected
