"""Ctrl+K search across the cache: devices, clients, alerts and tickets (SQL LIKE)."""

from __future__ import annotations

from dataclasses import dataclass

from ninja_desk.cache.queries.text import like_pattern
from ninja_desk.cache.store import LocalCache


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str  # device | client | alert | ticket
    key: object  # device id, organization id, alert uid, ticket id
    title: str
    detail: str


_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "device",
        "SELECT d.id AS key, d.name AS title, coalesce(o.name, '') || ' · ' || "
        "CASE WHEN d.offline = 1 THEN 'offline' WHEN d.offline = 0 THEN 'online' ELSE 'unknown' END"
        " AS detail FROM devices d LEFT JOIN organizations o ON o.id = d.organization_id "
        "WHERE d.deleted = 0 AND (d.name LIKE :q ESCAPE '\\' OR d.ip_addresses LIKE :q ESCAPE '\\' "
        "OR d.serial_number LIKE :q ESCAPE '\\' OR d.last_logged_in_user LIKE :q ESCAPE '\\') "
        "ORDER BY d.name LIMIT :n",
    ),
    (
        "client",
        "SELECT o.id AS key, o.name AS title, (SELECT count(*) FROM devices d WHERE "
        "d.organization_id = o.id AND d.deleted = 0) || ' devices' AS detail FROM organizations o "
        "WHERE o.deleted = 0 AND o.name LIKE :q ESCAPE '\\' ORDER BY o.name LIMIT :n",
    ),
    (
        "alert",
        "SELECT a.uid AS key, coalesce(a.message, a.condition_name, a.uid) AS title, "
        "coalesce(a.severity, '') || ' · ' || coalesce(d.name, '') AS detail FROM alerts a "
        "LEFT JOIN devices d ON d.id = a.device_id WHERE a.status = 'TRIGGERED' AND "
        "(a.message LIKE :q ESCAPE '\\' OR d.name LIKE :q ESCAPE '\\' OR a.uid = :exact) "
        "ORDER BY a.create_time DESC LIMIT :n",
    ),
    (
        "ticket",
        "SELECT t.id AS key, coalesce(t.number, '') || ' ' || coalesce(t.title, '') AS title, "
        "coalesce(t.status, '') || ' · ' || coalesce(t.client_name, '') AS detail "
        "FROM psa_tickets t WHERE t.number LIKE :q ESCAPE '\\' OR t.title LIKE :q ESCAPE '\\' "
        "ORDER BY t.updated_at DESC LIMIT :n",
    ),
)


def search_cache(cache: LocalCache, text: str, per_kind: int = 6) -> list[SearchHit]:
    text = text.strip()
    if not text:
        return []
    params = {"q": like_pattern(text), "exact": text, "n": per_kind}
    hits: list[SearchHit] = []
    for kind, sql in _QUERIES:
        for row in cache.rows(sql, **params):
            hits.append(SearchHit(kind, row["key"], str(row["title"]), str(row["detail"] or "")))
    return hits
