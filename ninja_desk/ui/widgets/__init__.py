"""Widgets shared by every view: search line edit, badge, SQL-paged table model, charts."""
