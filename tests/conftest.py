"""Suite-wide guards: no test touches the real user data dir or the real keyring."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    # Anything that falls back to the platform data dir (lock files, settings) lands here.
    path = tmp_path_factory.mktemp("ninja-desk-data")
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(path))
    return path


# Fixtures that reach the PostgreSQL server at 127.0.0.1:5432 (tests/psa, tests/alerts,
# tests/relay). A test that uses one is marked `postgres` here, whether or not its module says
# so, so `-m "not postgres"` deselects exactly those; without that flag a missing server fails
# them (the fixtures call pytest.fail), it never skips them.
POSTGRES_FIXTURES = frozenset(
    {"pg_server_url", "pg_server", "pg", "pg_alerts", "pg_database", "pg_url"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
