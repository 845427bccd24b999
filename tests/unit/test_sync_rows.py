"""What a full sync stores for a NinjaOne record: the parsed record, whichever path built it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from ninja_desk.cache.device_rows import device_from_row, device_row, software_row
from ninja_desk.cache.schema import DEVICE_FIELD_COLUMNS
from ninja_desk.ninjaone.parsers import (
    MalformedRecord,
    parse_device,
    parse_software_row,
    software_row_values,
)
from ninja_desk.sync.full_sync import REPORT_ROWS, SkipCounter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ninjaone"

ODD_SOFTWARE = [
    {"deviceId": "12", "size": "5", "name": ""},  # ids and sizes as strings, empty name
    {"deviceId": 3.0, "size": True, "name": 7, "version": 1.5},  # float id, bool size
    {"deviceId": 1, "size": 2.0, "publisher": None},
]


def test_the_software_rows_a_full_sync_stores_are_the_parsed_software_items() -> None:
    raws = json.loads((FIXTURES / "report_software.json").read_text())["results"] + ODD_SOFTWARE
    for raw in raws:
        assert software_row_values(raw) == software_row(parse_software_row(raw))
    assert REPORT_ROWS["software"](ODD_SOFTWARE[0])[:2] == (12, "(unnamed)")
    assert REPORT_ROWS["software"](ODD_SOFTWARE[1])[6] is None  # a bool is not a size


def test_a_software_row_without_a_device_is_skipped_and_counted() -> None:
    skips = SkipCounter()
    rows = skips.parse_all(REPORT_ROWS["software"], [{"name": "x"}, "junk", ODD_SOFTWARE[2]])
    assert rows == [software_row_values(ODD_SOFTWARE[2])]
    assert skips.count == 2
    with pytest.raises(MalformedRecord, match="deviceId"):
        software_row_values({"deviceId": True})


@pytest.mark.parametrize("fixture", ["device_detailed_agent.json", "device_detailed_vmhost.json"])
def test_a_device_row_keeps_every_field_and_reads_back_as_the_same_device(fixture: str) -> None:
    device = parse_device(json.loads((FIXTURES / fixture).read_text()))
    row = dict(zip(DEVICE_FIELD_COLUMNS, device_row(device), strict=True))
    assert row["name"] == device.name
    assert json.loads(row["volumes"]) == [asdict(v) for v in device.volumes]
    assert json.loads(row["ip_addresses"]) == device.ip_addresses
    assert row["offline"] in (0, 1, None) and json.loads(row["tags"]) == device.tags
    assert device_from_row(row) == device
