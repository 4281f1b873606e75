"""``:export`` then ``:import`` through the UI, the worker and a real redis-server."""

from __future__ import annotations

import json
from pathlib import Path

import redis
from textual import events
from textual.widgets import Static

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.transfer.fileformat import to_bytes
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.transfer import TransferScreen

from .helpers import key_list_lines, static_text, wait_for
from .test_bursts import burst

SIZE = (160, 45)


def body(app: RedisTuiApp) -> str:
    return str(app.screen.query_one("#transfer-body", Static).content)


def stage(app: RedisTuiApp, name: str) -> bool:
    return isinstance(app.screen, TransferScreen) and app.screen.stage == name


async def test_export_then_import_with_dry_run_and_ask(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set(b"u:1", b"one", px=600_000)
    client.hset(b"u:\xff", mapping={b"f": b"\x00v"})
    client.set(b"other", b"x")
    path = tmp_path / "u.jsonl"
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 3)
        await pilot.press("colon", *f":export u:* {path}", "enter")
        await wait_for(pilot, lambda: stage(app, "done"))
        assert "2 keys exported" in body(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TransferScreen))
        assert path.exists()
        # A second export to the same file is refused: the file is kept.
        before = path.read_bytes()
        await pilot.press("colon", *f":export u:* {path}", "enter")
        await wait_for(pilot, lambda: stage(app, "done"))
        assert "exists" in body(app) and path.read_bytes() == before
        await pilot.press("escape")

        client.flushdb()
        client.set(b"u:1", b"local")
        # The dry run first.
        await pilot.press("colon", *f":import {path}", "enter")
        await wait_for(pilot, lambda: stage(app, "confirm"))
        # A y typed before the dry run ended (typed ahead) does not confirm it.
        early = events.Key("y", "y")
        early.time = 0.0
        app.screen.post_message(early)
        await pilot.pause(0.1)
        assert stage(app, "confirm")
        text = body(app)
        assert "1 will be created" in text and "1 exist: you will be asked" in text
        assert client.dbsize() == 1
        await pilot.pause(0.1)
        await pilot.press("y")
        await wait_for(pilot, lambda: stage(app, "asking") or stage(app, "done"))
        assert stage(app, "asking") and "u:1" in body(app)
        await pilot.pause(0.1)
        await pilot.press("r")
        await wait_for(pilot, lambda: stage(app, "done"))
        assert "1 created, 1 replaced, 0 skipped" in body(app)
        assert client.get(b"u:1") == b"one" and 540_000 < client.pttl(b"u:1") <= 600_000
        assert client.hgetall(b"u:\xff") == {b"f": b"\x00v"}
        await pilot.press("escape")
        # The rescan after the import (slow when the machine is loaded: it once took over 10 s).
        await wait_for(pilot, lambda: len(app.browser.view.store) == 2, timeout=30)
        # Every write is in the command log, under the import.
        logged = [e for e in app.command_log.entries() if e.op == f"import {path}"]
        assert {"SET", "HSET", "RENAME", "RENAMENX"} <= {
            str(e.command[0]) for e in logged if e.command
        }


async def test_marked_keys_export_typed_ahead(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.mset({b"a:1": b"1", b"a:2": b"2", b"b:\xff": b"3", b"c": b"4"})
    path = tmp_path / "marked.jsonl"
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 4)
        keys = app.browser.keys
        order = [keys.store.names[keys.store.row(i)] for i in range(4)]
        # Typed with no pause: mark, mark, back up, unmark, mark (space marks and goes down).
        burst(app, "space", "space", "k", "space", "space")
        await wait_for(pilot, lambda: keys.cursor == 3)
        assert keys.marked == {order[0], order[2]}
        await wait_for(pilot, lambda: "2 marked" in static_text(pilot, "#scan-status"))
        assert key_list_lines(pilot)[0].lstrip().startswith("●")
        await pilot.press("colon", *f":export {path}", "enter")
        await wait_for(pilot, lambda: stage(app, "done"))
        assert "2 keys exported" in body(app) and "2 marked" in str(app.screen.title_text)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TransferScreen))
        exported = [json.loads(line) for line in path.read_text().splitlines()]
        names = {to_bytes(obj["key"]) for obj in exported if "key" in obj}
        assert names == {order[0], order[2]}
        # Marks outlive a rescan; :unmark clears them.
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.browser.view.store) == 4)
        assert keys.marked == {order[0], order[2]}
        await pilot.press("colon", *":unmark", "enter")
        await wait_for(pilot, lambda: not keys.marked)
        assert "marked" not in static_text(pilot, "#scan-status")


async def test_import_refused_read_only_and_bad_arguments(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    app = RedisTuiApp(settings.replace(readonly=True), poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.browser.worker_ is not None)
        await pilot.press("colon", *f":import {tmp_path / 'x.jsonl'}", "enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, TransferScreen)
        assert any("import refused" in str(n.message) for n in app._notifications)
        app._notifications.clear()
        await pilot.press("colon", *":export onlyone", "enter")
        await pilot.pause(0.2)
        assert any("usage: :export" in str(n.message) for n in app._notifications)
        # A read-only connection still exports (it only reads).
        client.set("k", "v")
        await pilot.press("colon", *f":export * {tmp_path / 'ro.jsonl'}", "enter")
        await wait_for(pilot, lambda: stage(app, "done"))
        assert (tmp_path / "ro.jsonl").exists()
