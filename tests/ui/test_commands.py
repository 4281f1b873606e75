"""The ``:`` command bar, driven by key presses against a real redis-server."""

from __future__ import annotations

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.browser.colon import COLON_COMMANDS
from redis_tui.ui.commands import CommandError
from redis_tui.ui.screens.info import TextScreen
from redis_tui.ui.widgets.key_list import KeyList

from .helpers import static_text, wait_for

parse_command = COLON_COMMANDS.parse

SIZE = (160, 45)


def test_parse_command() -> None:
    assert parse_command(":db 3").arg == "3"
    assert parse_command("filter user:*").name == "filter"
    assert parse_command(":select 2").name == "db"
    cases = [
        (":frob", "Unknown command: frob"),
        (":db", "Usage: :db"),
        (":db x", "Usage"),
        (":type blob", "Unknown type"),
    ]
    for bad, message in cases:
        with pytest.raises(CommandError, match=message):
            parse_command(bad)


async def run(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("colon")
    await pilot.press(*text)
    await pilot.press("enter")


async def test_type_filter_nottl_and_key_jump(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"s:{i}": i for i in range(20)})
    client.hset("h:1", "f", "v")
    client.hset("h:2", "f", "v")
    client.set("ttl:1", 1, ex=100)
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 23 and not app.browser.view.scanning
        )
        await run(pilot, ":type hash")
        await wait_for(
            pilot, lambda: not app.browser.view.scanning and len(app.browser.view.store) == 2
        )
        assert set(app.browser.view.store.names) == {b"h:1", b"h:2"}
        assert "type hash" in static_text(pilot, "#scan-status")
        await run(pilot, ":type")
        await wait_for(
            pilot, lambda: not app.browser.view.scanning and len(app.browser.view.store) == 23
        )
        await run(pilot, ":nottl")
        await wait_for(
            pilot, lambda: not app.browser.view.scanning and len(app.browser.view.store) == 22
        )
        assert b"ttl:1" not in app.browser.view.store
        await run(pilot, ":nottl")
        await run(pilot, ":filter s:1*")
        await wait_for(
            pilot, lambda: not app.browser.view.scanning and len(app.browser.view.store) == 11
        )
        await run(pilot, ":key h:2")
        keys = app.query_one(KeyList)
        await wait_for(pilot, lambda: keys.current_key == b"h:2")
        # Listed although the filter does not match it: marked, and counted apart.
        assert "12 shown · 11 match" in static_text(pilot, "#scan-status")
        line = "".join(s.text for s in keys.render_line(keys.cursor - int(keys.scroll_y)))
        assert line.startswith("↪ h:2")
        await run(pilot, ":key nope")
        await wait_for(
            pilot, lambda: any("No such key" in str(n.message) for n in app._notifications)
        )


async def test_db_switch_and_unknown_command(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("in-db0", 1)
    other = redis.Redis(port=settings.port, db=3)
    other.mset({"in-db3:a": 1, "in-db3:b": 2})
    other.close()
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.view.store.names == [b"in-db0"])
        await run(pilot, ":db 3")
        await wait_for(
            pilot,
            lambda: (
                not app.browser.view.scanning
                and set(app.browser.view.store.names) == {b"in-db3:a", b"in-db3:b"}
            ),
        )
        await wait_for(pilot, lambda: "db 3" in static_text(pilot, "#connection"))
        await run(pilot, ":frobnicate")
        await wait_for(
            pilot,
            lambda: any(
                "Unknown command: frobnicate" in str(n.message) for n in app._notifications
            ),
        )
        # History: up recalls the last command.
        await pilot.press("colon", "up")
        assert app.browser.command_bar.value == ":frobnicate"
        await pilot.press("escape")


async def test_info_pause_and_stop(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.mset({f"k:{i}": i for i in range(10)})
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 10)
        await run(pilot, ":info")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        assert "redis_version" in app.screen.text
        await pilot.press("escape")
        await pilot.press("p")
        assert app.redis.paused
        await wait_for(pilot, lambda: "paused" in static_text(pilot, "#connection"))
        await pilot.press("p")
        await wait_for(pilot, lambda: "live" in static_text(pilot, "#connection"))


async def test_disconnect_and_reconnect(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.set("k", 1)
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        await run(pilot, ":disconnect")
        await wait_for(pilot, lambda: "disconnected" in static_text(pilot, "#connection"))
        await run(pilot, ":reconnect")
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        await run(pilot, ":reconnect")
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")


async def test_db_out_of_range_goes_back(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.set("k", 1)
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        await run(pilot, ":db 99")
        await wait_for(
            pilot, lambda: any("does not exist" in str(n.message) for n in app._notifications)
        )
        await wait_for(
            pilot, lambda: app.browser.conn_pane.state == "connected" and app.settings.db == 0
        )
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 1 and not app.browser.view.scanning
        )
