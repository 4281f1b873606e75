"""Which pane has focus, what the footer offers there, and the layout at 80x24 (#13):
the focused pane is drawn heavy, the footer lists its keys only, a narrow screen shows one
side at a time (enter: the value full width, esc: back), Tab reaches every pane, and ``z``
maximises the focused pane."""

from __future__ import annotations

from typing import Any

import redis
from textual import events
from textual.widgets._footer import FooterKey

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.simulator import seed_sessions_from_fixtures
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.widgets.value_pane import ValuePane

from .helpers import wait_for
from .test_sessions_view import open_sessions

SMALL, BIG = (80, 24), (160, 45)


def seed(client: redis.Redis) -> None:
    for i in range(30):
        client.set(f"cache:product:{i:03}:with-a-rather-long-name-that-wants-room", "x" * i)
    client.hset("user:1:profile", mapping={"name": "Alice", "email": "alice@example.com"})


def footer_keys(app: RedisTuiApp) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def ready(pilot: Any, app: RedisTuiApp) -> None:
    await wait_for(pilot, lambda: len(app.browser.view.store) >= 31 and not app.browser.scanning)
    await wait_for(pilot, lambda: app.browser.value_pane.value is not None)


def shown(app: RedisTuiApp, selector: str) -> bool:
    return app.browser.query_one(selector).display


async def test_narrow_screen_shows_one_side_at_a_time_and_keys_typed_ahead_land_in_order(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        browser = app.browser
        assert browser.has_class("-narrow")
        assert shown(app, "#left") and not shown(app, "#right")
        # The key list gets the whole width: long names are not cut at 19 cells.
        assert browser.keys.size.width >= 76
        await pilot.pause()
        assert "Open" in footer_keys(app) and "More" not in footer_keys(app)
        # enter, esc, enter typed with no pause: the value pane ends up in front.
        for key in ("enter", "escape", "enter"):
            app.post_message(events.Key(key, None))
        await wait_for(pilot, lambda: browser.pane == "value")
        for _ in range(5):  # every key of the burst handled: the value stays in front
            await pilot.pause(0.05)
        assert browser.pane == "value" and browser.value_pane.body.has_focus
        assert shown(app, "#right") and not shown(app, "#left")
        await pilot.pause()
        assert {"More", "Format", "Back"} <= set(footer_keys(app))
        assert "Delete" not in footer_keys(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: shown(app, "#left") and not shown(app, "#right"))
        assert browser.keys.has_focus


async def test_tab_on_a_narrow_screen_visits_every_pane_and_shows_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        visited = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            visited.append(app.browser.pane)
            # The focused pane is the one on screen.
            side = "#right" if app.browser.pane in ("value", "sessions") else "#left"
            assert shown(app, side)
        assert visited == ["value", "connection", "keys", "value"]
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.browser.pane == "keys"


async def test_wide_screen_side_by_side_focus_border_and_footer_follow_the_pane(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=BIG) as pilot:
        await ready(pilot, app)
        browser = app.browser
        assert not browser.has_class("-narrow")
        assert shown(app, "#left") and shown(app, "#right")
        keys, value = browser.keys, browser.query_one(ValuePane)
        assert keys.styles.border_top[0] == "heavy"
        assert value.styles.border_top[0] == "round"
        await pilot.press("3")
        await pilot.pause()
        assert value.styles.border_top[0] == "heavy"
        assert keys.styles.border_top[0] == "round"
        assert "More" in footer_keys(app) and "Open" not in footer_keys(app)
        await pilot.press("1")
        await pilot.pause()
        assert footer_keys(app)[0] == "Connect" and "Delete" not in footer_keys(app)


async def test_z_maximises_the_focused_pane_and_esc_restores_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=BIG) as pilot:
        await ready(pilot, app)
        await pilot.press("3", "z")
        await pilot.pause()
        assert app.browser.maximized is app.browser.value_pane
        await pilot.press("escape")
        await pilot.pause()
        assert app.browser.maximized is None
        await pilot.press("2", "z", "z")
        await pilot.pause()
        assert app.browser.maximized is None  # z again restores too
        await pilot.press("z")
        await pilot.pause()
        assert app.browser.maximized is app.browser.keys


async def test_tab_reaches_the_session_tree_and_its_keys_show(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=0)
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=BIG) as pilot:
        await open_sessions(pilot, app, 10)
        pane = app.browser.session_pane
        await pilot.press("enter")
        await wait_for(pilot, lambda: pane.attrs.has_focus)
        assert pane.has_class("-tree")  # the tree gets the room
        await pilot.pause()
        assert {"Revoke", "TTL", "Edit"} <= set(footer_keys(app))
        seen = set()
        for _ in range(5):
            await pilot.press("tab")
            await pilot.pause()
            seen.add(app.screen.focused)
        assert pane.attrs in seen and pane.list in seen and app.browser.keys in seen
