"""Crash reports: what to send us when redis-tui fails, with nothing from the user's Redis.

The report holds the versions and the stack (file, line, function and the source line of
each frame) and the exception's type. It never holds the exception's message, locals or
arguments: those may carry a password, a key name or a value.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from pathlib import Path

PACKAGES = ("redis-tui", "textual", "rich", "redis", "hiredis", "msgpack")


def crash_dir() -> Path:
    """Where reports go: ``$REDIS_TUI_CRASH_DIR`` or the user's state directory."""
    configured = os.environ.get("REDIS_TUI_CRASH_DIR")
    if configured:
        return Path(configured)
    import platformdirs

    return platformdirs.user_state_path("redis-tui") / "crashes"


def report_text(error: BaseException) -> str:
    # Where it is used: at start (the app imports this module) it costs ~10 ms (email...).
    from importlib import metadata

    lines = [
        "redis-tui crash report",
        f"time: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
        f"platform: {platform.platform()}",
    ]
    for package in PACKAGES:
        try:
            lines.append(f"{package}: {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{package}: not installed")
    lines.append("")
    lines.append("(exception messages and variables are left out: they may hold data)")
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in reversed(chain):
        lines.append("")
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    return "\n".join(lines) + "\n"


def write_report(error: BaseException) -> Path | None:
    """Write the report; its path, or None when it could not be written."""
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        path.write_text(report_text(error), encoding="utf-8")
        path.chmod(0o600)
        return path
    except OSError:
        return None


def crash_line(error: BaseException, path: Path | None) -> str:
    """The one line printed after the terminal is restored."""
    where = f"report: {path}" if path is not None else "no report could be written"
    return f"redis-tui crashed ({type(error).__name__}); {where}"
