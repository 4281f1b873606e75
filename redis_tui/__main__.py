"""python -m redis_tui"""

from redis_tui.cli import entry

entry()
