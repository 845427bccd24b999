"""NinjaOne organizations and locations as the rest of the app sees them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Organization:
    id: int
    name: str
    description: str | None = None
    node_approval_mode: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Location:
    id: int
    organization_id: int
    name: str
    address: str | None = None
    description: str | None = None
