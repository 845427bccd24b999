"""ninjaone package."""
