"""redis-tui: a keyboard-first terminal UI for Redis."""

__version__ = "0.1.0"
