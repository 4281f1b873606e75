"""The command line: ``redis-tui`` (the app) and ``redis-tui sessions`` (headless).

``launch`` starts the app and hands ``sessions`` on; ``common`` holds what both share.
"""

from redis_tui.cli.launch import main

__all__ = ["main"]
