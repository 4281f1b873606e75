"""Edits by hand, through the UI and the worker, against a real redis-server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import redis
from textual.widgets import Input, Static, TextArea

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.bulk import BulkDeleteScreen
from redis_tui.ui.screens.cmdlog import CommandLogScreen
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import ConflictScreen, EditTextScreen, PromptScreen

from .helpers import dialog_shown, wait_for

SIZE = (160, 45)


async def open_key(pilot: Any, app: RedisTuiApp, key: bytes) -> None:
    await wait_for(pilot, lambda: key in app.browser.view.store)
    app.browser.keys.select_key(key)
    await wait_for(
        pilot,
        lambda: (
            (v := app.browser.value_pane.value) is not None and v.key == key and app.browser.version
        ),
    )


async def fill(pilot: Any, *values: str) -> None:
    """Replace the text of each input of the open prompt, then submit."""
    screen = pilot.app.screen
    assert isinstance(screen, PromptScreen)
    for box, value in zip(screen.query(Input), values, strict=False):
        box.value = value
    for _ in screen.query(Input):
        await pilot.press("enter")


def notified(app: RedisTuiApp, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def test_edit_json_string_keeps_ttl(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("cfg", '{"a":1,"b":[1,2]}', ex=500)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"cfg")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditTextScreen))
        area = app.screen.query_one(TextArea)
        assert '"a": 1' in area.text  # pretty for editing
        area.text = area.text.replace('"a": 1', '"a": 2')
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: client.get("cfg") == b'{"a":2,"b":[1,2]}')
        assert 0 < client.ttl("cfg") <= 500
        # Invalid JSON is refused with a message, nothing written.
        await wait_for(
            pilot,
            lambda: (
                app.browser.version is not None
                and app.browser.value_pane.value.data == b'{"a":2,"b":[1,2]}'
            ),
        )
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditTextScreen))
        app.screen.query_one(TextArea).text = '{"a": '
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: notified(app, "Not saved"))
        assert client.get("cfg") == b'{"a":2,"b":[1,2]}'


async def test_concurrent_write_is_detected(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("shared", "mine")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"shared")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditTextScreen))
        client.set("shared", "theirs")  # someone else writes while we edit
        app.screen.query_one(TextArea).text = "ours"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: dialog_shown(app, ConflictScreen))
        assert client.get("shared") == b"theirs"
        await pilot.press("r")  # reload: look again
        await wait_for(pilot, lambda: app.browser.value_pane.value.data == b"theirs")
        assert client.get("shared") == b"theirs"


async def test_a_field_of_a_big_hash_changed_meanwhile_is_a_conflict(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    # ~2 MB: its version is a sample, which cannot see one field change its value.
    client.hset("bh", mapping={f"f{i:04d}": "v" * 200 for i in range(8000)})
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"bh")
        await pilot.press("3")
        field, _ = app.browser.value_pane.value.rows[app.browser.value_pane.table.cursor_row]
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        client.hset("bh", field, "t" * 200)  # someone else, same length
        await fill(pilot, field.decode(), "ours")
        await wait_for(pilot, lambda: dialog_shown(app, ConflictScreen))
        assert client.hget("bh", field) == b"t" * 200
        await pilot.press("o")  # overwrite on purpose
        await wait_for(pilot, lambda: client.hget("bh", field) == b"ours")


async def test_hash_list_set_zset_edits(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.hset("h", mapping={"name": "alice"})
    client.rpush("l", "a", "b")
    client.sadd("s", "x")
    client.zadd("z", {"m": 1})
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"h")
        await pilot.press("3", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "name", "bob")
        await wait_for(pilot, lambda: client.hget("h", "name") == b"bob")
        await wait_for(pilot, lambda: app.browser.value_pane.value.rows == [(b"name", b"bob")])
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "age", "42")
        await wait_for(pilot, lambda: client.hget("h", "age") == b"42")

        await open_key(pilot, app, b"l")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "first", "head")
        await wait_for(pilot, lambda: client.lrange("l", 0, -1) == [b"first", b"a", b"b"])

        await open_key(pilot, app, b"s")
        await pilot.press("3", "x")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists("s"))

        await open_key(pilot, app, b"z")
        await pilot.press("3", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "7.5")
        await wait_for(pilot, lambda: client.zscore("z", "m") == 7.5)


async def test_ttl_rename_copy_undo_and_log(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("a", "1")
    client.set("taken", "2")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"a")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "2h")
        await wait_for(pilot, lambda: 7000 < client.ttl("a") <= 7200)
        # Rename onto an existing key asks first; saying no changes nothing.
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "taken")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("n")
        assert client.get("taken") == b"2" and client.exists("a")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "b")
        await wait_for(pilot, lambda: client.get("b") == b"1" and not client.exists("a"))
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"b")
        assert 7000 < client.ttl("b") <= 7200
        # Delete, then undo restores value and TTL.
        await wait_for(
            pilot,
            lambda: (
                app.browser.value_pane.value is not None
                and app.browser.value_pane.value.key == b"b"
            ),
        )
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists("b"))
        # u says what it will put back, and writes nothing until it is confirmed.
        await pilot.press("u")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        said = str(app.screen.body)
        assert "Undo delete b" in said and "b gets back its value" in said and "TTL 1h" in said
        await pilot.press("n")
        await pilot.pause(0.2)
        assert not client.exists("b")
        await pilot.press("u", "y")
        await wait_for(pilot, lambda: client.get("b") == b"1")
        assert 7000 < client.ttl("b") <= 7200
        await wait_for(pilot, lambda: b"b" in app.browser.view.store)
        await pilot.press("at")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLogScreen))
        log = "\n".join(app.screen.lines)
        assert "PEXPIRE" in log and "UNLINK" in log and "RESTORE" in log


async def test_bulk_delete_with_typed_confirmation(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({**{f"tmp:{i}": i for i in range(1200)}, **{f"keep:{i}": i for i in range(300)}})
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1500)
        await pilot.press("colon", *":del tmp:*", "enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, BulkDeleteScreen) and app.screen.stage == "confirm",
        )
        screen = app.screen
        assert screen.phrase == "delete 1200"
        box = screen.query_one("#bulk-confirm", Input)
        box.value = "delete 12"  # wrong phrase: refused
        await pilot.press("enter")
        assert screen.stage == "confirm" and client.dbsize() == 1500
        hint = str(screen.query_one("#bulk-hint", Static).content)
        assert 'Not the phrase: nothing deleted. Type exactly "delete 1200"' in hint
        box.value = "delete 1200"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.stage == "done")
        assert client.dbsize() == 300
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 300 and not app.browser.view.scanning
        )


async def test_readonly_hides_and_refuses_edits(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("k", json.dumps({"x": 1}))
    app = RedisTuiApp(settings.replace(readonly=True), poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"k")
        # Each write key says why nothing happens (#11 item 6), none opens a dialog.
        said = {"d": "delete", "e": "edit", "t": "ttl", "R": "rename", "C": "copy to",
                "a": "add element", "u": "undo"}  # fmt: skip
        for key, what in said.items():
            app._notifications.clear()
            await pilot.press(key)
            await wait_for(
                pilot, lambda w=what: notified(app, f"Read-only connection: {w} refused")
            )
            assert app.screen is app.screen_stack[0], key
        app._notifications.clear()
        await pilot.press("colon", *"ttl 5m", "enter")  # refused before any dialog
        await wait_for(pilot, lambda: notified(app, "Read-only connection: set ttl refused"))
        assert client.ttl("k") == -1
        from redis_tui.data.edit.ops import SetString

        app.redis.edit(SetString(b"k", app.browser.version, b"hacked"))
        await wait_for(pilot, lambda: notified(app, "Read-only"))
        assert client.get("k") == json.dumps({"x": 1}).encode()


async def test_undo_refused_when_the_key_came_back(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("k", "old")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_key(pilot, app, b"k")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists("k"))
        client.set("k", "new")  # someone re-created it
        await pilot.press("u", "y")
        await wait_for(pilot, lambda: notified(app, "re-created"))
        assert app.is_running and client.get("k") == b"new"


async def test_hostile_text_in_notifications_is_shown_literally(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("k", "v")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        for command in (":sort [/x]", ":ttl [@click=app.quit]x", ":key \\x1b[2J[/b]"):
            await pilot.press("colon", *command, "enter")
            await pilot.pause(0.3)
        await pilot.pause(0.5)
        assert app.is_running
        assert not any("\x1b" in str(n.message) for n in app._notifications)


async def test_edit_confirmed_before_a_db_switch_is_not_applied_after(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("same", "db0")
    other = redis.Redis(port=settings.port, db=1)
    other.set("same", "db1")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"same")
        worker = app.redis
        # Queue a delete and switch database before the worker gets to it.
        worker.connected.clear()
        worker.delete(b"same", app.browser.version)
        app.browser.switch_db(1)
        await wait_for(pilot, lambda: notified(app, "database changed"))
        assert other.get("same") == b"db1" and client.get("same") == b"db0"
    other.close()


async def test_command_log_keeps_every_connection_newest_first_filters_and_saves(
    client: redis.Redis, settings: ConnectionSettings, fresh_server: Any, tmp_path: Path
) -> None:
    client.set("first", "1")
    client.set("second", "2")
    with redis.Redis(host="127.0.0.1", port=fresh_server.port) as other:
        other.set("elsewhere", "x")
    app = RedisTuiApp(settings, poll_interval=60)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 2)
        app.browser.keys.select_key(b"first")
        await pilot.press("t", *"1h", "enter")
        await wait_for(pilot, lambda: client.ttl("first") > 0)
        # Another database, then another server: what was written before stays in the log.
        await pilot.press("colon", *"db 1", "enter")
        await wait_for(pilot, lambda: app.browser.settings.db == 1)
        app.switch_connection(settings.replace(port=fresh_server.port, db=0))
        await wait_for(pilot, lambda: b"elsewhere" in app.browser.view.store)
        app.browser.keys.select_key(b"elsewhere")
        await pilot.press("t", *"2h", "enter")
        with redis.Redis(host="127.0.0.1", port=fresh_server.port) as other:
            await wait_for(pilot, lambda: other.ttl("elsewhere") > 3600)
        await pilot.press("at")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLogScreen))
        screen = app.screen
        assert isinstance(screen, CommandLogScreen)
        newest, oldest = screen.lines[0], screen.lines[-1]
        assert "elsewhere" in newest and f":{fresh_server.port} db0]" in newest
        assert "first" in oldest and f":{settings.port} db0]" in oldest
        # / then text narrows the entries at once; the title says how many of all.
        await pilot.press("slash", *"elsewhere")
        await wait_for(pilot, lambda: len(screen.shown) == 1)
        assert "1 of 2 writes" in str(screen.query_one("#text-title", Static).content)
        await pilot.press("escape", "w")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        target = tmp_path / "log.txt"
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists())
        saved = target.read_text()
        assert "elsewhere" in saved and "first" not in saved
        # Saving over a file is refused, with the reason; the app goes on.
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("exists" in n.message for n in app._notifications))
        assert target.read_text() == saved


async def test_undo_belongs_to_the_database_it_was_made_in(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("gone", "db0 value")
    other = redis.Redis(port=settings.port, db=1)
    other.set("stay", "db1")
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"gone")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not client.exists("gone"))
        # In db1, u has nothing of its own to undo: it never puts a db0 key into db1.
        await pilot.press("colon", *"db 1", "enter")
        await wait_for(pilot, lambda: b"stay" in app.browser.view.store)
        await pilot.press("u")
        await wait_for(pilot, lambda: notified(app, "Nothing to undo"))
        assert not other.exists("gone")
        # Back in db0, the delete is undone where it was made.
        await pilot.press("colon", *"db 0", "enter")
        await wait_for(pilot, lambda: app.browser.settings.db == 0)
        await pilot.press("u")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        assert "in db 0" in str(app.screen.body)
        await pilot.press("y")
        await wait_for(pilot, lambda: client.get("gone") == b"db0 value")
        assert not other.exists("gone")
    other.close()
