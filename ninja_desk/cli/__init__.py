"""Headless command line: sync, devices, status, agent, demo."""
