"""``n`` creates a key from the key list: typed ahead with no pause, every type, raw-byte
names, never over an existing key unasked, refused read-only."""

from __future__ import annotations

import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import PromptScreen

from .helpers import dialog_shown, wait_for
from .test_bursts import burst
from .test_edits import notified

SIZE = (160, 45)


def seed(client: redis.Redis) -> None:
    client.mset({f"cache:{i:03d}": "x" for i in range(300)})


async def test_n_typed_ahead_creates_a_hash_with_its_ttl_and_selects_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        # Every key queued before the first is handled: the dialog's fields take them in order.
        burst(app, "n", "user:42", "enter", "hash", "enter", "email", "enter", "a@b.c",
              "enter", "1h", "enter")  # fmt: skip
        await wait_for(pilot, lambda: client.exists("user:42") == 1)
        assert client.hgetall("user:42") == {b"email": b"a@b.c"}
        assert 3500 < client.ttl("user:42") <= 3600
        await wait_for(pilot, lambda: app.browser.keys.current_key == b"user:42")
        await wait_for(
            pilot,
            lambda: (v := app.browser.value_pane.value) is not None and v.key == b"user:42",
        )
        assert notified(app, "Created hash with a TTL")


async def test_each_type_and_a_raw_byte_name(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) == 300)
        cases = [
            ("bin:\\xff", "string", "hello world", ""),
            ("q", "list", "job 1", ""),
            ("tags", "set", "red", ""),
            ("board", "zset", "alice", "12.5"),
            ("events", "stream", "kind=login user=7", ""),
        ]
        for name, kind, first, second in cases:
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
            burst(app, name, "enter", kind, "enter", first, "enter", second, "enter", "enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, PromptScreen))
        await wait_for(pilot, lambda: client.exists("events") == 1)
        assert client.get(b"bin:\xff") == b"hello world"
        assert client.lrange("q", 0, -1) == [b"job 1"]
        assert client.smembers("tags") == {b"red"}
        assert client.zrange("board", 0, -1, withscores=True) == [(b"alice", 12.5)]
        ((_, fields),) = client.xrange("events")
        assert fields == {b"kind": b"login", b"user": b"7"}
        assert all(client.ttl(k) == -1 for k in (b"bin:\xff", "q", "tags", "board", "events"))


async def test_a_bad_field_keeps_the_dialog_open_with_the_reason(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "n", "k", "enter", "bitmap", "enter", "v", "enter", "enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.pause(0.2)
        assert isinstance(app.screen, PromptScreen)
        assert "type: string, hash" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        assert client.exists("k") == 0


async def test_an_existing_key_is_not_overwritten_unasked(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.hset("taken", "a", "1")
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: b"taken" in app.browser.view.store)
        burst(app, "n", "taken", "enter", "string", "enter", "new", "enter", "enter", "enter")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        body = str(app.screen.body)  # type: ignore[attr-defined]
        assert "already exists (a hash)" in body and "Replace it?" in body
        assert "u undoes the replacement" in body
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert client.hgetall("taken") == {b"a": b"1"}
        # Asked again, and this time replaced; u (after its own question) brings the hash back.
        burst(app, "n", "taken", "enter", "string", "enter", "new", "enter", "enter", "enter")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: client.type("taken") == b"string")
        assert client.get("taken") == b"new"
        await wait_for(pilot, lambda: app.browser.view.store.type_name(
            app.browser.view.store.index_of(b"taken") or 0) == "string")  # fmt: skip
        await pilot.press("u")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: client.type("taken") == b"hash")
        assert client.hgetall("taken") == {b"a": b"1"}


async def test_read_only_refuses_n_with_a_message(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    from dataclasses import replace

    app = RedisTuiApp(replace(settings, readonly=True), poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: notified(app, "create key refused"))
        assert not isinstance(app.screen, PromptScreen)
