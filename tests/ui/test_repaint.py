"""The key list repaints only what changed (issue 12): two lines for a cursor move, the rows a
scroll brings on screen, the scrollbar when its thumb moves. What the terminal was sent must
still be what a full repaint draws, after moves, scrolls, paging, focus and theme changes,
and rows whose data changes (a type filled in, a TTL set) must be drawn again."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterable
from typing import Any

import redis
from rich.control import ControlType
from rich.segment import Segment
from rich.style import Style
from textual.pilot import Pilot

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.widgets.key_list import KeyList

from .helpers import wait_for

SIZE = (100, 30)
KEYS = 300

Cell = tuple[str, Style | None]


class Terminal:
    """The cells the app's updates were written to, as a terminal keeps them."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.cells: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]

    def write(self, segments: Iterable[Segment]) -> None:
        x = y = 0
        for segment in segments:
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(code[1]), int(code[2])
                continue
            if segment.text == "\n":
                continue
            for char in segment.text:  # ASCII keys only: one cell a character
                if 0 <= y < len(self.cells) and 0 <= x < self.width:
                    self.cells[y][x] = (char, segment.style)
                x += 1

    def text(self) -> list[str]:
        return ["".join(char for char, _ in row) for row in self.cells]


def watch_terminal(app: RedisTuiApp) -> Terminal:
    """A Terminal showing the screen now, that receives every update the app displays."""
    terminal = full_repaint(app)
    display = app._display

    def recording_display(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            terminal.write(renderable.__rich_console__(app.console, app.console.options))
        display(screen, renderable)

    app._display = recording_display  # type: ignore[method-assign]
    return terminal


def full_repaint(app: RedisTuiApp) -> Terminal:
    """The screen drawn from scratch, now."""
    terminal = Terminal(*SIZE)
    update = app.screen._compositor.render_full_update()
    terminal.write(update.__rich_console__(app.console, app.console.options))
    return terminal


async def check(pilot: Pilot[None], terminal: Terminal) -> None:
    """The terminal shows what a full repaint draws, with every line of the list drawn again,
    and the cursor row is highlighted."""
    app = pilot.app
    assert isinstance(app, RedisTuiApp)
    keys = app.query_one(KeyList)
    await pilot.pause()
    sent = [row[:] for row in terminal.cells]
    keys.refresh()  # every line of the list drawn again, from the rows
    keys.vertical_scrollbar.refresh()
    await pilot.pause()
    outer = keys.region
    for y in range(outer.y, outer.bottom):
        assert terminal.cells[y][outer.x : outer.right] == sent[y][outer.x : outer.right], y
    # The value under the cursor loaded (it changes the value pane, not the list): the whole
    # screen as sent is what a repaint draws.
    await wait_for(pilot, lambda: (value := app.browser.value_pane.value) is not None
                   and value.key == keys.current_key)  # fmt: skip
    await pilot.pause()
    sent = [row[:] for row in terminal.cells]
    assert full_repaint(app).cells == sent, "the terminal shows what a repaint does not draw"
    # The cursor row (and only it) is drawn in the cursor's style (bold, over its background).
    region = keys.content_region
    highlighted = [
        y - region.y
        for y in range(region.y, region.bottom)
        if (style := sent[y][region.x + 1][1]) is not None and style.bold
    ]
    assert highlighted == [keys.cursor - int(keys.scroll_offset.y)]
    key = keys.current_key
    assert key is not None
    assert key.decode() in terminal.text()[region.y + highlighted[0]]


async def test_moves_scrolls_focus_and_theme_repaint_what_changed(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({b"key:%04d" % n: b"v" * (n % 50) for n in range(KEYS)})
    app = RedisTuiApp(settings, poll_interval=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: len(app.browser.view.store) == KEYS and not app.browser.view.scanning,
        )
        keys = app.query_one(KeyList)
        await wait_for(pilot, lambda: all(app.browser.view.store.size(i) is not None
                                          for i, _ in keys.visible_rows()))  # fmt: skip
        terminal = watch_terminal(app)
        await check(pilot, terminal)
        height = keys.size.height

        # Down past the bottom (scrolls of one row), back up past the top.
        await pilot.press(*["j"] * (height + 3))
        assert int(keys.scroll_offset.y) == 4
        await check(pilot, terminal)
        await pilot.press(*["k"] * (height + 3))
        assert int(keys.scroll_offset.y) == 0
        await check(pilot, terminal)
        # Paging and jumping: scrolls of a screen or more; the scrollbar's thumb moves.
        for presses in (["pagedown"], ["pagedown", "pagedown"], ["pageup"], ["G"], ["g"]):
            await pilot.press(*presses)
            await check(pilot, terminal)
        # A few rows, then a scroll by a few rows (the lines drawn are moved).
        await pilot.press(*["j"] * (height - 1))
        keys.scroll_to(y=3, animate=False, immediate=True)
        await check(pilot, terminal)

        # Focus elsewhere (the cursor row dims) and back; another theme.
        await pilot.press("3")
        assert app.focused is not keys
        await check(pilot, terminal)
        await pilot.press("2")
        assert app.focused is keys
        await check(pilot, terminal)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await check(pilot, terminal)

        # More rows below the screen (as a scan adds them): the scrollbar's thumb shrinks,
        # the rows on screen stay as they are drawn.
        app.browser.view.store.add([b"more:%04d" % n for n in range(KEYS)])
        keys.rows_changed()
        await check(pilot, terminal)

        # Data that changes under the rows on screen is drawn again: a TTL set on a key on
        # screen shows once the list learns of it.
        key = keys.current_key
        assert key is not None
        client.expire(key, 5000)
        store = app.browser.view.store
        store.update_ttls([key], [5_000_000], time.monotonic())
        await wait_for(pilot, lambda: "1h" in "".join(terminal.text()))
        await check(pilot, terminal)


async def test_a_replaced_store_is_freed_without_the_cyclic_gc(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """Each scan's store is frozen out of the GC's generations: what refers to it must not
    keep it alive in a cycle once a rescan replaces it, or its million names would leak."""
    client.mset({b"key:%04d" % n: b"v" for n in range(KEYS)})
    app = RedisTuiApp(settings, poll_interval=60.0)
    async with app.run_test(size=SIZE) as pilot:
        view = app.browser.view
        await wait_for(pilot, lambda: len(view.store) == KEYS and not view.scanning)
        await pilot.press("j", "j")
        old = weakref.ref(view.store)
        gc.disable()  # nothing but reference counting frees it
        try:
            await pilot.press("r")
            await wait_for(pilot, lambda: len(view.store) == KEYS and not view.scanning)
            assert view.store is not old()
            assert old() is None
        finally:
            gc.enable()


async def test_rows_arriving_and_types_filled_in_are_drawn(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """Rows come in pages and their types after them: each row on screen is drawn again
    when what it shows changes, and only then."""
    app = RedisTuiApp(settings, poll_interval=60.0)
    async with app.run_test(size=SIZE) as pilot:
        view = app.browser.view
        await wait_for(pilot, lambda: not view.scanning)
        keys = app.query_one(KeyList)
        terminal = watch_terminal(app)
        store = view.store
        store.add([b"new:%d" % n for n in range(5)])  # types and TTLs not known yet
        keys.rows_changed()
        await pilot.pause()
        text = "\n".join(terminal.text())
        assert "new:4" in text
        assert "hash" not in text
        index = store.index_of(b"new:3")
        assert index is not None
        store.set_meta(index, "hash", -1, time.monotonic())
        keys.refresh_rows()
        await pilot.pause()
        row = next(line for line in terminal.text() if "new:3" in line)
        assert "hash" in row
        assert full_repaint(app).cells == terminal.cells
        # A row removed: the line it was on is drawn blank.
        keys.move(-10)
        store.remove(b"new:4")
        keys.rows_changed()
        await pilot.pause()
        assert "new:4" not in "\n".join(terminal.text())
        assert full_repaint(app).cells == terminal.cells
