from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from redis_tui.ui.screens.base import Dialog
from redis_tui.ui.widgets.key_list import KeyList


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], object], timeout: float = 10.0
) -> None:
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {getattr(condition, '__name__', condition)}"
            )
        await pilot.pause(0.05)


def dialog_shown(app: App[None], kind: type[Screen[object]]) -> bool:
    """``kind`` is the current screen and mounted: a decision (yes/no) refuses the keys sent
    before it was on screen, as typed-ahead keys, so a test waits for this before answering."""
    screen = app.screen
    return isinstance(screen, kind) and (not isinstance(screen, Dialog) or screen.on_screen)


def key_list_lines(pilot: Pilot[None]) -> list[str]:
    """The key list's visible lines as the terminal would show them (plain text)."""
    keys = pilot.app.query_one(KeyList)
    return ["".join(seg.text for seg in keys.render_line(y)) for y in range(keys.size.height)]


def static_text(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.query_one(selector, Static).content)
