"""The relay's settings: one declared table of environment variables, validated at start.

Every field is read from `NINJA_DESK_RELAY_<FIELD>` (`NINJA_DESK_RELAY_PORT=8787`); a command
line flag of the same name wins over the environment. A bad value stops the relay before it
touches the database, with one sentence naming the variable or flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "NINJA_DESK_RELAY_"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class RelaySettingsError(ValueError):
    """A setting has a value the relay cannot use; the message is one sentence."""


class RelaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    db: str | None = Field(None, description="sqlite:///path/relay.db or postgresql://...")
    host: str = Field("127.0.0.1", min_length=1, description="address to listen on")
    port: int = Field(8787, ge=0, le=65535, description="port to listen on; 0 picks a free one")
    heartbeat: float = Field(15.0, gt=0, description="SSE heartbeat seconds")
    retention_age: float = Field(
        7 * 24 * 3600.0, ge=0, description="keep events this many seconds (0 = no age limit)"
    )
    retention_count: int = Field(
        1_000_000, ge=0, description="keep at most this many events (0 = no count limit)"
    )
    prune_interval: float = Field(60.0, gt=0, description="seconds between retention runs")
    forwarding: bool = Field(True, description="run the forwarder on this instance")
    max_streams_per_token: int = Field(
        8, ge=1, description="open /events requests one subscriber token may hold"
    )
    memory_budget_mb: int = Field(
        16, ge=1, description="MiB of event payload all replies may hold in memory at once"
    )
    request_timeout: float = Field(
        10.0, gt=0, description="seconds a client has to send a request's headers, and its body"
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def load_settings(flags: Mapping[str, Any] | None = None) -> RelaySettings:
    """Environment, then the flags given (None means not given); raises RelaySettingsError."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    try:
        return RelaySettings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        where = flag_name(field) if field in given else env_name(field)
        raise RelaySettingsError(
            f"{where} is {error.get('input')!r}, which is not allowed: {error['msg']}."
        ) from exc


def env_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) of every setting, for the docs and --help."""
    return [
        (env_name(name), repr(info.default), info.description or "")
        for name, info in RelaySettings.model_fields.items()
    ]
