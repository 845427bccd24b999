"""Filter combos whose choices come from the cache: refilled without losing the choice made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtWidgets import QComboBox

from ninja_desk.cache.queries.clients import CLIENT_CHOICES_SQL
from ninja_desk.cache.store import LocalCache


def select_data(combo: QComboBox, value: Any) -> None:
    """Choose the item carrying `value`; the first ("All …") when none does."""
    combo.setCurrentIndex(max(combo.findData(value), 0))


def refill(combo: QComboBox, everything: str, choices: Iterable[tuple[str, Any]]) -> None:
    """`everything` (data None) then `choices` (text, data); the current choice is kept when
    it is still there. Quiet: refilling is not the user changing the filter."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(everything, None)
    for text, data in choices:
        combo.addItem(text, data)
    select_data(combo, current)
    combo.blockSignals(False)


def refill_clients(combo: QComboBox, cache: LocalCache) -> None:
    refill(combo, "All clients", ((r["name"], r["id"]) for r in cache.rows(CLIENT_CHOICES_SQL)))
