"""psa package."""
