"""How a sync tells its caller (CLI, UI) what it is doing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SyncProgress:
    stage: str  # "organizations", "devices", "software", ... or "done"
    done: int  # items fetched so far in this stage
    message: str


ProgressCallback = Callable[[SyncProgress], None]


def ignore_progress(_: SyncProgress) -> None:
    return None
