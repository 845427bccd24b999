"""Software inventory across the fleet: titles (GROUP BY the indexed catalog name), the
versions of one title, and the devices that have it. The `software` view joins the title
catalog to the (device, title) rows (cache/schema.py)."""

from __future__ import annotations

from typing import Any

from ninja_desk.cache.queries.text import like_pattern


def titles_sql(search: str = "") -> tuple[str, dict[str, Any]]:
    """name, publisher, devices, versions per title (no ORDER BY)."""
    params: dict[str, Any] = {}
    where = ""
    if search.strip():
        where = " WHERE s.name LIKE :q ESCAPE '\\'"
        params["q"] = like_pattern(search.strip())
    return (
        "SELECT s.name, MAX(s.publisher) AS publisher,"
        " COUNT(DISTINCT s.device_id) AS devices, COUNT(DISTINCT s.version) AS versions"
        f" FROM software s{where} GROUP BY s.name",
        params,
    )


def versions_sql(title: str) -> tuple[str, dict[str, Any]]:
    """version ('' for none) and devices, for one title (no ORDER BY)."""
    return (
        "SELECT coalesce(s.version, '') AS version, COUNT(DISTINCT s.device_id) AS devices"
        " FROM software s WHERE s.name = :title GROUP BY coalesce(s.version, '')",
        {"title": title},
    )


def devices_sql(title: str, version: str | None) -> tuple[str, dict[str, Any]]:
    """The devices with a title (of one version, '' for none; None: any version)."""
    params: dict[str, Any] = {"title": title}
    where = "s.name = :title"
    if version is not None:
        where += " AND coalesce(s.version, '') = :version"
        params["version"] = version
    return (
        "SELECT s.device_id, s.version, s.install_date, d.name AS device_name,"
        " d.last_contact, d.offline, o.name AS org_name"
        " FROM software s"
        " LEFT JOIN devices d ON d.id = s.device_id"
        " LEFT JOIN organizations o ON o.id = d.organization_id"
        f" WHERE {where}",
        params,
    )


# One device's software (the device panel), with an optional name/publisher search.
DEVICE_SOFTWARE_SQL = (
    "SELECT title_id, name, publisher, version, install_date, size FROM software"
    " WHERE device_id = :device_id"
)


def device_software_search(text: str) -> tuple[str, dict[str, Any]]:
    """The AND clause narrowing DEVICE_SOFTWARE_SQL to a name or publisher."""
    if not text:
        return "", {}
    return (
        " AND (name LIKE :q ESCAPE '\\' OR publisher LIKE :q ESCAPE '\\')",
        {"q": like_pattern(text)},
    )
