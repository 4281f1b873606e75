"""The data layer runs headless: importing all of it must not load Textual or Rich."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import redis_tui.data as data
for mod in pkgutil.walk_packages(data.__path__, "redis_tui.data."):
    importlib.import_module(mod.name)
import redis_tui.errors
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
assert not bad, bad
print("ok")
"""


def test_data_layer_imports_no_textual() -> None:
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
