"""The architecture rule of design.md §1: nothing below ui/ imports Qt, core imports no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ninja_desk"
HEADLESS = ["core", "ninjaone", "cache", "psa", "sync", "relay", "simulator", "cli"]
CORE_FORBIDDEN = {"httpx", "sqlalchemy", "aiohttp", "PySide6", "keyring", "requests", "psycopg"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", HEADLESS)
def test_headless_packages_never_import_qt(package: str) -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / package).rglob("*.py")
        if {"PySide6", "qasync"} & _imported_roots(path)
    ]
    assert offenders == []


def test_core_is_pure() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(CORE_FORBIDDEN & _imported_roots(path))
        for path in (PACKAGE / "core").rglob("*.py")
        if CORE_FORBIDDEN & _imported_roots(path)
    }
    assert offenders == {}
