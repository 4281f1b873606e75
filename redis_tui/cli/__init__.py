"""The command line: ``redis-tui`` (the app) and ``redis-tui sessions`` (headless).

``launch`` starts the app and hands ``sessions`` on; ``common`` holds what both share.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from redis_tui.cli.launch import main

__all__ = ["entry", "main"]


def entry() -> NoReturn:
    """The ``redis-tui`` command: ``main``, then out without the interpreter's teardown.

    Every ``finally`` has run by then (the terminal is restored, the demo server and the scan
    process are stopped); what is left is freeing a million keys one object at a time, which
    made ``q`` wait a tenth of a second more for nothing.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
