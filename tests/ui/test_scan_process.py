"""The app's scan of a big database through the child process: every key listed once with its
type, a failing child falls back to the in-process loop, and stop / continue loses nothing."""

from __future__ import annotations

import gc

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keystore import UNKNOWN, type_code
from redis_tui.data.scan.process import ScanProcess
from redis_tui.ui.app import RedisTuiApp

from .helpers import wait_for

SIZE = (160, 45)


def seed(client: redis.Redis, strings: int, hashes: int) -> None:
    pipe = client.pipeline(transaction=False)
    for start in range(0, strings, 5000):
        pipe.mset({b"s:%d" % i: b"v" for i in range(start, min(strings, start + 5000))})
    for i in range(hashes):
        pipe.hset(b"h:%d" % i, b"f", b"v")
    pipe.set(b"odd:\x00\xff\r\n[b]x", b"v", ex=3600)
    pipe.execute()


def check_store(app: RedisTuiApp, total: int) -> None:
    store = app.browser.view.store
    assert len(store) == total and len(set(store.names)) == total
    assert store.types.count(UNKNOWN) == 0
    index = store.index_of(b"h:7")
    assert index is not None and store.types[index] == type_code(b"hash")
    odd = store.index_of(b"odd:\x00\xff\r\n[b]x")
    assert odd is not None and store.deadlines[odd] > 0


@pytest.mark.parametrize("child", ["works", "fails"])
async def test_big_database_through_the_child_or_in_process(
    client: redis.Redis, settings: ConnectionSettings, monkeypatch: pytest.MonkeyPatch, child: str
) -> None:
    seed(client, 60_000, 500)
    if child == "fails":  # the in-process loop carries on from where the child got to
        monkeypatch.setattr(ScanProcess, "command", ("/bin/sh", "-c", "exit 3"))
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: len(app.browser.view.store) > 0 and not app.browser.view.scanning,
            timeout=30,
        )
        check_store(app, 60_501)
        assert (app.redis.scan_process_pages > 0) == (child == "works")


async def test_stop_and_continue_lists_and_types_every_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client, 300_000, 500)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.browser.view.store) > 1000, timeout=30)
        await pilot.press("x")
        assert app.browser.view.stopped and not app.browser.view.scanning
        # Stopped while names streamed: listed keys wait for their types.
        assert app.browser.view.store.types.count(UNKNOWN) > 0
        await pilot.pause(0.3)
        await pilot.press("x")
        assert not app.browser.view.stopped
        await wait_for(pilot, lambda: not app.browser.view.scanning, timeout=60)
        check_store(app, 300_501)


# The stop cancels the scan's worker before its coroutine ever ran.
@pytest.mark.filterwarnings("ignore:coroutine 'RedisWorker._scan' was never awaited")
async def test_a_new_scan_stopped_before_its_first_page_continues_from_its_start(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"k:{i}": i for i in range(2000)})
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 2000 and not app.browser.view.scanning
        )
        assert app.redis.scan_cursor == 0  # the finished scan's
        app.browser.start_scan()
        app.browser.stop_scan()  # before the worker ran: no page yet
        app.browser.continue_scan()
        await wait_for(
            pilot, lambda: len(app.browser.view.store) == 2000 and not app.browser.view.scanning
        )
    gc.collect()  # the cancelled coroutine's warning, here where it is expected
