from __future__ import annotations

import pytest

from ninja_desk.core.timestamps import epoch_seconds


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1743088826.524929, 1743088826.524929),  # REST: fractional seconds
        (1758761443.0, 1758761443.0),
        (1742391365182, 1742391365.182),  # message params: milliseconds
        ("1759136775.901", 1759136775.901),
        ("2025-02-11T00:00:00Z", 1739232000.0),
        ("2025-02-11", 1739232000.0),
    ],
)
def test_epoch_seconds_accepts_every_unit_ninjaone_uses(raw: object, expected: float) -> None:
    assert epoch_seconds(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [None, "", "not a date", True, {"a": 1}])
def test_epoch_seconds_returns_none_for_garbage(raw: object) -> None:
    assert epoch_seconds(raw) is None
