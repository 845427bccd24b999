"""Settings pages: integrations, organization mapping, alert rules."""
