"""NinjaOne regions and their hosts (reference §1)."""

from __future__ import annotations

from urllib.parse import urlsplit

REGION_HOSTS: dict[str, str] = {
    "app": "https://app.ninjarmm.com",
    "us2": "https://us2.ninjarmm.com",
    "eu": "https://eu.ninjarmm.com",
    "ca": "https://ca.ninjarmm.com",
    "oc": "https://oc.ninjarmm.com",
}
REGION_LABELS: dict[str, str] = {
    "app": "United States (app)",
    "us2": "United States 2 (us2)",
    "eu": "Europe (eu)",
    "ca": "Canada (ca)",
    "oc": "Oceania (oc)",
}
# "us" is what several clients call the app host.
_ALIASES = {"us": "app"}


class UnknownRegion(ValueError):
    pass


def base_url_for(region: str | None = None, custom_url: str | None = None) -> str:
    """Base URL for API and OAuth calls; a custom URL (simulator, branded host) wins."""
    if custom_url:
        parts = urlsplit(custom_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UnknownRegion(f"'{custom_url}' is not an http(s) URL.")
        return f"{parts.scheme}://{parts.netloc}"
    key = _ALIASES.get((region or "app").lower(), (region or "app").lower())
    try:
        return REGION_HOSTS[key]
    except KeyError:
        known = ", ".join(REGION_HOSTS)
        raise UnknownRegion(f"Unknown NinjaOne region '{region}'. Use one of: {known}.") from None
