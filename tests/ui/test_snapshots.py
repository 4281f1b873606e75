"""Snapshots of the main screens. Volatile facts (port, memory, clients) are pinned first."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from textual.pilot import Pilot

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keyspace import ServerFacts
from redis_tui.ui.app import RedisTuiApp

from .helpers import wait_for

SIZE = (120, 32)


def seed(client: redis.Redis) -> None:
    client.set("cache:user:1", '{"id": 1, "name": "Zoë", "roles": ["admin", "user"]}')
    client.hset("user:1:profile", mapping={"name": "Alice", "email": "alice@example.com"})
    client.rpush("queue:emails", "welcome", "reset")
    client.zadd("leaderboard", {"alice": 30, "bob": 20})
    client.set(b"[bold]x", "v")
    client.set(b"ansi-\x1b[31mred", "v")
    client.set(b"bad-\xff", "v")


def app_for(settings: ConnectionSettings) -> RedisTuiApp:
    return RedisTuiApp(settings, poll_interval=3600)


async def settle(pilot: Pilot[Any], key: bytes) -> None:
    app = pilot.app
    assert isinstance(app, RedisTuiApp)
    await wait_for(
        pilot, lambda: len(app.browser.view.store) == 7 and not app.browser.view.scanning
    )
    await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
    app.browser.action_pause()  # no polls from here on; the pane says "paused" at once
    app.browser.sort_by("name")
    app.browser.keys.select_key(key)
    await wait_for(pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == key)
    # The size column fills in for the visible rows: wait for it, the picture must not race.
    await wait_for(
        pilot, lambda: not app.browser.view.store.unknown_sizes(app.browser.keys.visible_rows())
    )
    pinned = ConnectionSettings(host="127.0.0.1", port=6379)
    app.browser.conn_pane.set_settings(pinned)
    app.browser.conn_pane.set_connected(
        ServerFacts(
            version="7.0.15",
            role="master",
            dbsize=7,
            used_memory_human="1.00M",
            connected_clients=1,
        )
    )
    app.browser.keys.focus()
    app.clear_notifications()
    # Tables size their columns on idle: let everything settle before the picture.
    await pilot.pause()
    await pilot.pause(0.1)
    await pilot.pause()


def test_main_screen(snap_compare: Any, client: redis.Redis, settings: ConnectionSettings) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"cache:user:1")

    assert snap_compare(app_for(settings), terminal_size=SIZE, run_before=before)


def test_hash_value(snap_compare: Any, client: redis.Redis, settings: ConnectionSettings) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"user:1:profile")

    assert snap_compare(app_for(settings), terminal_size=SIZE, run_before=before)


def test_delete_confirmation(
    snap_compare: Any, client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"[bold]x")
        await pilot.press("d")
        await pilot.pause()
        await pilot.pause(0.1)

    assert snap_compare(app_for(settings), terminal_size=SIZE, run_before=before)


def test_help(snap_compare: Any, client: redis.Redis, settings: ConnectionSettings) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"cache:user:1")
        await pilot.press("question_mark")
        await pilot.pause()
        # The help table sizes its columns on idle: let it settle before the picture.
        await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(app_for(settings), terminal_size=SIZE, run_before=before)


# The main screens at the sizes people use: a small terminal (the panes take turns) and a
# big one (side by side).
LAYOUTS = [(80, 24), (200, 50)]


@pytest.mark.parametrize("size", LAYOUTS, ids=["80x24", "200x50"])
def test_key_list_at(
    snap_compare: Any, client: redis.Redis, settings: ConnectionSettings, size: tuple[int, int]
) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"cache:user:1")

    assert snap_compare(app_for(settings), terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", LAYOUTS, ids=["80x24", "200x50"])
def test_value_opened_at(
    snap_compare: Any, client: redis.Redis, settings: ConnectionSettings, size: tuple[int, int]
) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"user:1:profile")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(app_for(settings), terminal_size=size, run_before=before)


def test_value_zoomed(snap_compare: Any, client: redis.Redis, settings: ConnectionSettings) -> None:
    seed(client)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"cache:user:1")
        await pilot.press("3", "z")
        await pilot.pause()
        await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(app_for(settings), terminal_size=(80, 24), run_before=before)
