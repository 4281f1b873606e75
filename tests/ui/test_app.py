"""Pilot tests: the app driven by key presses against a real redis-server."""

from __future__ import annotations

import time

import redis
from textual.widgets import DataTable, Input, TextArea

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.first import first_page
from redis_tui.data.scan.keystore import UNKNOWN
from redis_tui.data.values.display import escape_key
from redis_tui.demo import seed as demo
from redis_tui.demo.server import EmbeddedServer
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.help import HelpScreen
from redis_tui.ui.widgets.connection_pane import ConnectionPane
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.value_pane import ValuePane

from .helpers import dialog_shown, key_list_lines, static_text, wait_for

SIZE = (160, 45)


def make_app(settings: ConnectionSettings) -> RedisTuiApp:
    return RedisTuiApp(settings, poll_interval=0.2)


async def test_keys_appear_and_connection_pane_says_connected(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"cache:item:{i}": i for i in range(120)})
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 120 and not app.browser.view.scanning
        )
        await wait_for(pilot, lambda: app.query_one(ConnectionPane).state == "connected")
        pane = static_text(pilot, "#connection")
        assert "● connected" in pane and "keys 120" in pane and "role master" in pane
        assert "120 keys" in static_text(pilot, "#scan-status")
        assert any("cache:item:" in line and "string" in line for line in key_list_lines(pilot))


async def test_filter_narrows_and_selects_first_match(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({**{f"user:{i}": i for i in range(30)}, **{f"order:{i}": i for i in range(30)}})
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 60)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"user:*", "enter")
        await wait_for(
            pilot, lambda: not app.browser.view.scanning and len(app.browser.view.store) == 30
        )
        keys = app.query_one(KeyList)
        assert app.focused is keys
        assert all(k.startswith(b"user:") for k in app.browser.view.store.names)
        assert keys.cursor == 0 and keys.current_key == app.browser.view.store.names[0]
        await wait_for(
            pilot,
            lambda: (v := app.query_one(ValuePane).value) is not None and v.key == keys.current_key,
        )
        assert "filter user:*" in static_text(pilot, "#scan-status")


async def test_value_of_each_type_shows(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.set("s", '{"name": "Zoë", "n": 1}')
    client.hset("h", mapping={"field": "value"})
    client.rpush("l", "first", "second")
    client.sadd("st", "member")
    client.zadd("z", {"alice": 3.5})
    client.xadd("x", {"event": "login"})
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 6)
        keys = app.query_one(KeyList)
        pane = app.query_one(ValuePane)
        expected = {
            b"h": ("field", "value"),
            b"l": (0, "first"),
            b"st": ("member",),
            b"z": ("alice", 3.5),
        }
        for key in (b"s", b"h", b"l", b"st", b"z", b"x"):
            assert keys.select_key(key)
            await wait_for(pilot, lambda key=key: pane.value is not None and pane.value.key == key)
            header = static_text(pilot, "#value-header")
            assert escape_key(key) in header and f"type {pane.value.type}" in header
            if key == b"s":
                text = app.query_one("#value-text", TextArea).text
                assert '"name": "Zoë"' in text  # pretty-printed JSON
            else:
                table = app.query_one("#value-table", DataTable)
                assert table.row_count, (key, pane.value)
                first = [str(c) for c in table.get_row_at(0)]
                if key == b"x":
                    assert first[1] == "event=login"
                else:
                    assert first == [str(v) for v in expected[key]]


async def test_delete_with_confirm_removes_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({"doomed": 1, "kept": 2})
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 2)
        keys = app.query_one(KeyList)
        keys.select_key(b"doomed")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        assert "doomed" in str(app.screen.body)
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert client.exists("doomed")
        await pilot.press("delete")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert client.exists("doomed")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        assert not client.exists("doomed") and client.exists("kept")
        assert app.browser.view.store.names == [b"kept"]


async def test_readonly_refuses_delete_in_ui_and_worker(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("precious", 1)
    app = make_app(settings.replace(readonly=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 1)
        await pilot.press("d")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        # Even asked directly, the worker refuses.
        app.redis.delete(b"precious")
        await wait_for(
            pilot, lambda: any("Read-only" in str(n.message) for n in app._notifications)
        )
        assert client.get("precious") == b"1"
        assert "READ-ONLY" in static_text(pilot, "#connection")


async def test_hostile_names_render_literally_and_delete(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    for key in demo.HOSTILE_KEYS:
        client.set(key, b"\x1b[2J[bold]v[/bold]")
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == len(demo.HOSTILE_KEYS))
        await pilot.press("s")  # sort by name: stable order
        text = "\n".join(key_list_lines(pilot))
        expected = [
            *("[bold]x", "[/x]", "x[/]", "nul\\0byte", "bad-utf8-\\xff\\xfe\\xc3", "line\\nbreak"),
            *(
                "ansi-\\e[31mred\\e[0m-\\e[2J",
                "bell\\x07and\\rcr",
                "emoji-🔑",
                "rtl-\\u202eoverride",
            ),
        ]
        for shown in expected:
            assert shown in text, shown
        assert "\x1b" not in text and "\x07" not in text
        keys = app.query_one(KeyList)
        for key in (b"x[/]", b"bad-utf8-\xff\xfe\xc3", b"nul\x00byte"):
            assert keys.select_key(key)
            await wait_for(
                pilot,
                lambda key=key: (v := app.query_one(ValuePane).value) is not None and v.key == key,
            )
            assert "\\e[2J[bold]v[/bold]" in app.query_one("#value-text", TextArea).text
            await pilot.press("d")
            await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda key=key: key not in app.browser.view.store)
            assert not client.exists(key)


async def test_help_lists_bindings_and_q_quits(settings: ConnectionSettings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one(DataTable)
        actions = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "Delete the selected key" in actions and "Filter keys by glob pattern" in actions
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_server_killed_and_restarted_app_recovers(fresh_server: EmbeddedServer) -> None:
    port = fresh_server.port
    seed = redis.Redis(port=port)
    seed.mset({"a": 1, "b": 2})
    seed.close()
    settings = ConnectionSettings(port=port, connect_timeout=1, command_timeout=2)
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 2)
        pane = app.query_one(ConnectionPane)
        await wait_for(pilot, lambda: pane.state == "connected")
        fresh_server.kill()
        await wait_for(pilot, lambda: pane.state == "lost")
        assert "retrying in" in static_text(pilot, "#connection")
        # The screen keeps what it had.
        assert len(app.browser.view.store) == 2
        restarted = EmbeddedServer(port=port).start()
        try:
            c = redis.Redis(port=port)
            c.mset({"a": 1, "b": 2, "c": 3})
            c.close()
            await wait_for(pilot, lambda: pane.state == "connected", timeout=20)
            await pilot.press("r")
            await wait_for(
                pilot, lambda: len(app.browser.view.store) == 3 and not app.browser.view.scanning
            )
        finally:
            restarted.stop()


async def test_a_stopped_server_shows_not_answering_then_comes_back(
    fresh_server: EmbeddedServer,
) -> None:
    """#11 item 8: SIGSTOP keeps the socket open and answers nothing; within one poll
    interval plus the timeout the pane must stop saying "connected"."""
    import os
    import signal

    redis.Redis(port=fresh_server.port).set("k", "v")
    settings = ConnectionSettings(
        host="127.0.0.1", port=fresh_server.port, connect_timeout=1.0, command_timeout=10.0
    )
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        pane = app.browser.conn_pane
        await wait_for(pilot, lambda: pane.state == "connected")
        assert fresh_server.process is not None
        os.kill(fresh_server.process.pid, signal.SIGSTOP)
        try:
            # Within a poll and the 1 s timeout (generous slack for a loaded machine), not
            # after the 10 s socket timeout.
            await wait_for(pilot, lambda: pane.state != "connected", timeout=6)
            assert any("not answering" in str(n.message) for n in app._notifications)
        finally:
            os.kill(fresh_server.process.pid, signal.SIGCONT)
        await wait_for(pilot, lambda: pane.state == "connected", timeout=15)


async def test_an_acl_user_is_told_what_is_denied_and_no_undo_is_promised(
    fresh_server: EmbeddedServer,
) -> None:
    """#11 items 2 and 5: the pane names every denied command the app needs; without SCAN
    the scan ends and says :key NAME; without DUMP the delete dialog says there is no undo."""
    admin = redis.Redis(port=fresh_server.port)
    admin.set("k", "v")
    admin.execute_command(
        "ACL", "SETUSER", "limited", "on", ">pw", "~*", "+@all",
        "-dump", "-scan", "-memory", "-config", "-keys", "-info",
    )  # fmt: skip
    settings = ConnectionSettings(
        host="127.0.0.1", port=fresh_server.port, username="limited", password="pw"
    )
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        pane = app.browser.conn_pane
        await wait_for(pilot, lambda: pane.state == "connected")
        await wait_for(pilot, lambda: {"SCAN", "DUMP", "MEMORY", "CONFIG", "KEYS", "INFO"}
                       <= set(pane.facts.unavailable))  # fmt: skip
        text = static_text(pilot, "#connection")
        assert "not permitted:" in text and "DUMP" in text and ":key NAME" in text
        await wait_for(pilot, lambda: not app.browser.view.scanning)
        assert any(":key NAME opens a key" in str(n.message) for n in app._notifications)
        await pilot.press("colon", *"key k", "enter")
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"k")
        await pilot.press("d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        body = str(app.screen.body)  # type: ignore[attr-defined]
        assert "No undo: DUMP is not permitted for this user." in body and "u undoes" not in body


async def test_a_write_on_a_replica_names_its_master(fresh_server: EmbeddedServer) -> None:
    """#11 item 7: not redis-py's raw pipeline error, but what the server is and where to
    write instead."""
    master = redis.Redis(port=fresh_server.port)
    master.set("k", "v")
    with EmbeddedServer(
        extra_args=["--replicaof", "127.0.0.1", str(fresh_server.port)]
    ) as replica_server:
        replica = redis.Redis(port=replica_server.port)
        deadline = time.monotonic() + 30  # the first full sync: slow on a loaded machine
        while replica.get("k") != b"v" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert replica.get("k") == b"v", "the replica never synced"
        settings = ConnectionSettings(host="127.0.0.1", port=replica_server.port)
        app = RedisTuiApp(settings, poll_interval=0.5)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.browser.keys.current_key == b"k")
            await wait_for(pilot, lambda: app.browser.conn_pane.facts.master is not None)
            await pilot.press("d")
            await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
            await pilot.press("y")
            said = f"read-only replica (master at 127.0.0.1:{fresh_server.port})"
            await wait_for(pilot, lambda: any(said in str(n.message) for n in app._notifications))
            assert not any("pipeline" in str(n.message) for n in app._notifications)
            assert master.get("k") == b"v"


async def test_the_first_page_read_by_the_start_up_check_is_the_first_scans(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({b"small:%d" % i: i for i in range(20)})
    page = first_page(settings)
    assert page is not None and page.cursor == 0
    client.config_resetstat()
    app = RedisTuiApp(settings, poll_interval=0.2, first_page=page)
    async with app.run_test(size=SIZE) as pilot:
        view = app.browser.view
        await wait_for(pilot, lambda: len(view.store) == 20 and not view.scanning)
        await wait_for(pilot, lambda: UNKNOWN not in view.store.types)  # types come as usual
        assert "small:" in "".join(key_list_lines(pilot))
        # The whole database was in that page: the app never sent a SCAN of its own.
        assert "cmdstat_scan" not in client.info("commandstats")


async def test_a_scan_goes_on_from_the_first_pages_cursor(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({b"big:%d" % i: i for i in range(5000)})
    page = first_page(settings)
    assert page is not None and page.cursor != 0
    app = RedisTuiApp(settings, poll_interval=0.2, first_page=page)
    async with app.run_test(size=SIZE) as pilot:
        view = app.browser.view
        await wait_for(pilot, lambda: not view.scanning and len(view.store) >= 5000, timeout=20)
        assert sorted(view.store.names) == sorted(b"big:%d" % i for i in range(5000))
