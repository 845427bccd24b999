"""The device table: a thin adapter over `cache.queries.devices` (SQLite sorts, filters, pages)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QColor

from ninja_desk.cache.queries import devices as q
from ninja_desk.cache.store import LocalCache
from ninja_desk.core.antivirus import ISSUES, AvVerdict, av_verdict, verdict_text
from ninja_desk.core.severity import SEVERITIES
from ninja_desk.ui.formatting import ago, alerts_text, node_class_text, status_text, when
from ninja_desk.ui.theme import BAD, SEVERITY_COLORS, STATUS_COLORS, WARN
from ninja_desk.ui.widgets.sql_table_model import SqlPagedTableModel

COL = {c.key: n for n, c in enumerate(q.COLUMNS)}


class DeviceTableModel(SqlPagedTableModel):
    page_size = 300

    def __init__(self, cache: LocalCache, parent: Any = None) -> None:
        super().__init__(
            cache,
            [c.title for c in q.COLUMNS],
            parent,
            numeric_columns=[n for n, c in enumerate(q.COLUMNS) if c.numeric],
        )
        self.filter = q.DeviceFilter()
        self._now = time.time()
        self._colors = {k: QColor(v) for k, v in {**SEVERITY_COLORS, **STATUS_COLORS}.items()}
        self._warn, self._bad = QColor(WARN), QColor(BAD)

    def set_filter(self, device_filter: q.DeviceFilter) -> None:
        self.filter = device_filter
        self.reload()

    def reload(self) -> None:
        self._now = time.time()
        super().reload()

    def count_query(self) -> tuple[str, dict[str, Any]]:
        return q.count_query(self.filter, self._now)

    def page_query(self, limit: int, offset: int) -> tuple[str, dict[str, Any]]:
        return q.page_query(
            self.filter, self.sort_column, self.sort_descending, limit, offset, self._now
        )

    def display(self, row: dict[str, Any], column: int) -> str:
        key = q.COLUMNS[column].key
        if key == "name":
            return row["name"] + ("  (deleted)" if row["deleted"] else "")
        if key == "org_name":
            return row["org_name"] or f"#{row['organization_id']}"
        if key == "node_class":
            return node_class_text(row["node_class"])
        if key == "os_name":
            return row["os_name"] or "—"
        if key == "status":
            return status_text(row["offline"])
        if key == "last_contact":
            return ago(row["last_contact"], self._now)
        if key in ("pending", "failed"):
            return str(row[key] or 0) if row[key] else ""
        if key == "av":
            verdict = _verdict(row)
            return verdict_text(verdict, row["av_state"])
        if key == "active_alerts":
            return alerts_text(row["active_alerts"], row["max_alert_severity"])
        return ""

    def foreground(self, row: dict[str, Any], column: int) -> Any:
        key = q.COLUMNS[column].key
        if key == "status":
            return self._colors[status_text(row["offline"]).lower()]
        if key == "failed" and row["failed"]:
            return self._bad
        if key == "active_alerts" and row["active_alerts"]:
            return self._colors.get(SEVERITIES[row["max_alert_severity"]])
        if key == "av" and _verdict(row) in ISSUES:
            return self._warn
        return None

    def tooltip(self, row: dict[str, Any], column: int) -> str | None:
        key = q.COLUMNS[column].key
        if key in ("name", "org_name"):  # whole, when a narrow column elides it
            return self.display(row, column)
        if key == "last_contact":
            return when(row["last_contact"])
        if key in ("pending", "failed"):
            kind = "pending" if key == "pending" else "failed"
            return f"OS: {row[f'{kind}_os_patches']}, software: {row[f'{kind}_software_patches']}"
        if key == "av":
            return f"{row['av_product'] or 'No antivirus'} — definitions: " + (
                row["av_definition_status"] or "unknown"
            )
        return None


def _verdict(row: dict[str, Any]) -> AvVerdict:
    return av_verdict(
        row["av_product"], row["av_state"], row["av_definition_status"], row["node_class"]
    )
