"""Keys as a terminal delivers a fast typist's burst: all queued before the first is handled.

``pilot.press`` waits for the app between keys; these tests post every key at once, as the
terminal driver does when a user types ahead of the screen.
"""

from __future__ import annotations

import redis
from textual import events

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.display import escape_key
from redis_tui.demo.simulator import seed_sessions_from_fixtures
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.info import FormatScreen

from .helpers import dialog_shown, wait_for

SIZE = (160, 45)
NAMES = {
    "slash": "/", "colon": ":", "enter": "\r", "escape": "\x1b", "asterisk": "*", "space": " "
}  # fmt: skip


def burst(app: RedisTuiApp, *keys: str) -> None:
    """Queue every key before any is handled (each name is a key, or a run of characters)."""
    for item in keys:
        for key in [item] if (item in NAMES or len(item) == 1 or "+" in item) else list(item):
            char = NAMES.get(key, key)
            name = {"*": "asterisk", ":": "colon", "/": "slash", " ": "space"}.get(key, key)
            app.post_message(events.Key(name, char if len(char) == 1 and "+" not in key else None))


def seed(client: redis.Redis) -> None:
    client.mset({f"cache:{i:04d}": "x" for i in range(3000)})
    client.mset({f"user:{i}": f"name {i}" for i in range(0, 3000, 50)})


async def test_filter_enter_delete_burst_opens_the_confirmation_for_the_first_match(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "slash", "user:*", "enter", "d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        key = app.browser.keys.current_key
        assert key is not None and key.startswith(b"user:")
        assert app.browser.view.filters.pattern == "user:*"
        assert key.decode() in str(app.screen.body)  # type: ignore[attr-defined]


async def test_moves_typed_before_the_first_rows_are_made_when_they_arrive(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "slash", "user:*", "enter", "j", "j", "d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        store = app.browser.view.store
        third = store.names[store.row(2)]
        assert app.browser.keys.cursor == 2
        assert third.decode() in str(app.screen.body)  # type: ignore[attr-defined]


async def test_a_confirmation_is_not_answered_by_keys_typed_before_it_appeared(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("keep:me", "1")
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"keep:me")
        burst(app, "d", "y")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmScreen)  # still asking
        assert client.exists("keep:me")
        assert any("typed before this dialog" in n.message for n in app._notifications)
        await pilot.press("y")  # typed after it appeared: this one answers
        await wait_for(pilot, lambda: not client.exists("keep:me"))


async def test_ttl_typed_ahead_goes_into_the_ttl_dialog(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("k", "v")
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"k")
        burst(app, "t", "ctrl+u", "90s", "enter")
        await wait_for(pilot, lambda: 0 < client.ttl("k") <= 90)


async def test_enter_twice_on_a_dialog_dismisses_it_once(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("s", "text")
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.value_pane.value is not None)
        await pilot.press("3", "f")
        await wait_for(pilot, lambda: isinstance(app.screen, FormatScreen))
        burst(app, "enter", "enter", "escape", "escape")
        await wait_for(pilot, lambda: app.screen is app.browser)
        await pilot.pause(0.2)
        assert app.is_running and app.screen is app.browser


async def test_session_keys_typed_before_the_first_session_act_on_the_row_they_reach(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed_sessions_from_fixtures(client, copies=1)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "4", "j", "j", "d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        pane = app.browser.session_pane
        assert pane.list.cursor == 2
        selected = pane.selected
        assert selected is not None
        assert escape_key(selected.key) in str(app.screen.body)  # type: ignore[attr-defined]


async def test_colon_ttl_asks_in_a_dialog_that_names_the_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """Found by the fuzzer: ``:ttl persist`` changed the selected key with no dialog."""
    from redis_tui.ui.screens.prompt import PromptScreen

    client.set("k", "v", ex=600)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"k")
        burst(app, "colon", "ttl 90s", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert "Set TTL of k" in app.screen.title_text  # type: ignore[attr-defined]
        assert client.ttl("k") > 500  # nothing changed yet
        burst(app, "enter")
        await wait_for(pilot, lambda: 0 < client.ttl("k") <= 90)
