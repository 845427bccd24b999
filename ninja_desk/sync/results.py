"""What a sync run reports back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SyncResult:
    kind: str  # "full" | "incremental"
    run_id: int
    devices: int = 0
    organizations: int = 0
    software_rows: int = 0
    tombstoned: int = 0
    activities: int = 0
    skipped_records: int = 0
    api_calls: int = 0
    api_calls_by_endpoint: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # Why an incremental request became a full sync, when it did.
    fell_back: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}
