"""A snapshot of the connection screen: saved profiles (one production, one read-only, one with
a hostile name) beside the form. The form shows pinned settings, not the test server's port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis
from textual.pilot import Pilot

from redis_tui.config import Profile, load_config, save_profile
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.connect import ConnectScreen

from .test_snapshots import SIZE, seed, settle


def test_connect_screen(
    snap_compare: Any, client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    seed(client)
    path = tmp_path / "config.toml"
    for profile in (
        Profile(name="local", colour="green", connection=ConnectionSettings(port=6379)),
        Profile(
            name="prod-cache",
            colour="red",
            connection=ConnectionSettings(host="cache.example", tls=True, readonly=True),
            production=True,
            password_source="keyring",
        ),
        Profile(
            name="staging",
            colour="#ff8800",
            connection=ConnectionSettings(readonly=True),
            password_source="prompt",
        ),
        Profile(name="[b]odd[/b] name", colour="not-a-colour"),
    ):
        save_profile(profile, path)
    config = load_config(path)
    pinned = ConnectionSettings(host="127.0.0.1", port=6379, username="app", db=2)
    app = RedisTuiApp(settings, poll_interval=3600, config=config)

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot, b"cache:user:1")
        app.push_screen(ConnectScreen(pinned, config, config.profiles["local"]))
        await pilot.pause()
        await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)
