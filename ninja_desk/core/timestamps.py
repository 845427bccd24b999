"""NinjaOne timestamps: epoch seconds with fractions, except a few fields in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

# Anything above this is certainly milliseconds: 1e11 seconds is the year 5138.
_MS_THRESHOLD = 1e11


def epoch_seconds(value: object) -> float | None:
    """Parse a NinjaOne timestamp into epoch seconds.

    Accepts fractional seconds (the REST norm), integer milliseconds (custom fields, message
    params), numeric strings and ISO-8601 strings. Returns None for anything unparseable so one
    odd field never loses a whole record.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
    else:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000.0
    return number


def to_datetime(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)
