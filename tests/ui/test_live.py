"""Live updates: keys deleted or expired by another client, values changed elsewhere;
with keyspace notifications on and off."""

from __future__ import annotations

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keystore import GONE
from redis_tui.demo.server import EmbeddedServer
from redis_tui.ui.app import RedisTuiApp

from .helpers import static_text, wait_for

SIZE = (160, 45)
POLL = 0.3


@pytest.mark.parametrize("events", [False, True], ids=["polling", "keyspace-events"])
async def test_deleted_expired_and_changed_elsewhere(events: bool) -> None:
    extra = ["--notify-keyspace-events", "KEA"] if events else []
    with EmbeddedServer(extra_args=extra) as server:
        other = redis.Redis(port=server.port)
        other.mset({"victim": 1, "watched": "v1", "stay": 1})
        other.set("shortlived", 1, px=1500)
        app = RedisTuiApp(ConnectionSettings(port=server.port), poll_interval=POLL)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: len(app.browser.view.store) == 4 and not app.browser.view.scanning
            )
            mode = "keyspace events" if events else "polling every"
            await wait_for(pilot, lambda: mode in static_text(pilot, "#connection"))
            app.browser.keys.select_key(b"watched")
            await wait_for(
                pilot, lambda: (v := app.browser.value_pane.value) is not None and v.data == b"v1"
            )
            # Another client rewrites the open value: the pane follows.
            await pilot.pause(2 * POLL)
            other.set("watched", "v2")
            await wait_for(pilot, lambda: app.browser.value_pane.value.data == b"v2", timeout=5)
            # Another client deletes a key; another expires: marked, then gone from the list.
            other.delete("victim")
            await wait_for(
                pilot,
                lambda: b"victim" not in app.browser.view.store or _gone(app, b"victim"),
                timeout=5,
            )
            await wait_for(
                pilot,
                lambda: b"shortlived" not in app.browser.view.store or _gone(app, b"shortlived"),
                timeout=6,
            )
            await wait_for(
                pilot,
                lambda: (
                    b"victim" not in app.browser.view.store
                    and b"shortlived" not in app.browser.view.store
                ),
                timeout=10,
            )
            assert b"stay" in app.browser.view.store
        other.close()


def _gone(app: RedisTuiApp, key: bytes) -> bool:
    index = app.browser.view.store.index_of(key)
    return index is not None and app.browser.view.store.types[index] == GONE


async def test_a_change_right_after_another_is_shown_without_a_third() -> None:
    """Keyspace events are batched: one that comes within the batch window of the last
    flush must still reach the screen when no further event follows."""
    with EmbeddedServer(extra_args=["--notify-keyspace-events", "KEA"]) as server:
        other = redis.Redis(port=server.port)
        other.mset({"watched": "v1", "other": 1})
        app = RedisTuiApp(ConnectionSettings(port=server.port), poll_interval=60.0)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: "keyspace events" in static_text(pilot, "#connection"))
            await wait_for(pilot, lambda: not app.browser.view.scanning)
            app.browser.keys.select_key(b"watched")
            await wait_for(
                pilot, lambda: (v := app.browser.value_pane.value) is not None and v.data == b"v1"
            )
            await pilot.pause(0.5)  # the listener is subscribed
            other.set("other", 2)  # flushed at once: the first event after a quiet spell
            other.set("watched", "v2")  # within the batch window of that flush
            await wait_for(pilot, lambda: app.browser.value_pane.value.data == b"v2", timeout=5)


async def test_hidden_terminal_stops_polling(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("k", 1)
    app = RedisTuiApp(settings, poll_interval=POLL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        app.on_app_blur()
        assert app.redis.hidden
        await wait_for(pilot, lambda: "hidden" in static_text(pilot, "#connection"))
        await pilot.pause(1.0)  # let the first value load finish
        before = int(client.info("stats")["total_commands_processed"])
        await pilot.pause(4 * POLL)
        after = int(client.info("stats")["total_commands_processed"])
        assert after - before <= 2  # only our own two INFO calls
        app.on_app_focus()
        await wait_for(pilot, lambda: "live" in static_text(pilot, "#connection"))
