"""The command line: ``redis-tui`` (the app) and ``redis-tui sessions`` (headless).

``common`` holds what both share; ``main`` runs the app and hands ``sessions`` on.
"""

# The attribute ``redis_tui.cli.main`` is this function, not the submodule: import the
# module's names with ``from redis_tui.cli.main import …``.
from redis_tui.cli.main import main

__all__ = ["main"]
