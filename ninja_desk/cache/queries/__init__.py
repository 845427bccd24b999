"""Read-only queries over the local cache for the fleet views (no Qt, testable on a file)."""
