"""Import hygiene: the data layer loads no Textual or Rich; the start path no redis-py."""

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


START = """
import sys
import redis_tui.cli.launch
import redis_tui.ui.app
bad = sorted(m for m in sys.modules if m.split(".")[0] == "redis")
assert not bad, bad
assert "redis_tui.data.gateway" not in sys.modules  # built when the worker connects
print("ok")
"""


def test_start_path_imports_no_redis_py() -> None:
    """The command line and the app load redis-py and the gateway when the worker connects,
    after the first rows are painted (the start-up check reads them on a raw socket)."""
    proc = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
