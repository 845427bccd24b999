"""Plain domain types and pure functions. Standard library only: no I/O, no Qt."""
