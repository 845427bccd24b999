"""The ticket view's working parts: the ticket with pending edits on top (overlay.py) and the
panel that changes it (work_panel.py)."""
