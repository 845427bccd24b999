"""Packaging: relay install without Qt, docs that match the code, the desktop bundle."""
