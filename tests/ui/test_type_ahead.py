"""Keys typed ahead, the way a hurried user types: in one burst, right after launch.

Each action acts on the row highlighted (or about to be) when its key was pressed; nothing is
dropped and nothing lands on another row.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from array import array

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.columns import SMALL
from redis_tui.data.scan.sorting import SortJob
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.browser.screen import run_in_daemon_thread
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import EditTextScreen, PromptScreen

from .helpers import dialog_shown, static_text, wait_for

SIZE = (160, 45)
PATTERN = "user:7*"


def seed(client: redis.Redis) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(20_000):
        pipe.set(f"cache:{i:05d}", "x")
        if i % 40 == 0:
            pipe.set(f"user:{i}", f"name {i}")
    pipe.execute()


def body_text(app: RedisTuiApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    return str(screen.body)


async def test_filter_enter_delete_in_one_burst_confirms_the_first_match(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *PATTERN, "enter", "d")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        first = app.browser.keys.current_key
        assert first is not None and fnmatch.fnmatchcase(first.decode(), PATTERN)
        assert first == app.browser.view.store.names[app.browser.view.store.row(0)]
        assert first.decode() in body_text(app)
        await pilot.press("n")
        assert client.exists(first)


async def test_filter_enter_ttl_in_one_burst_asks_for_the_first_match(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *PATTERN, "enter", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        first = app.browser.keys.current_key
        assert first is not None and fnmatch.fnmatchcase(first.decode(), PATTERN)
        screen = app.screen
        assert isinstance(screen, PromptScreen)
        assert first.decode() in str(screen.title_text)
        await pilot.press(*"90s", "enter")
        await wait_for(pilot, lambda: 0 < client.ttl(first) <= 90)


async def test_key_lookup_then_edit_at_once_edits_that_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    client.set("v:dummy1", "typed for this one")
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", *":key v:dummy1", "enter", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditTextScreen))
        assert app.browser.keys.current_key == b"v:dummy1"
        assert isinstance(app.screen, EditTextScreen)
        assert "v:dummy1" in app.screen.title_text
        await pilot.press("escape")
        assert client.get("v:dummy1") == b"typed for this one"


async def test_delete_pressed_before_any_row_is_not_dropped(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")  # right after launch: the scan has not shown a row yet
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        assert app.browser.keys.current_key is not None
        assert app.browser.keys.current_key.decode() in body_text(app)


async def test_cursor_stays_on_its_key_when_rows_change_above_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"k:{i:03d}": i for i in range(30)})
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        browser = app.browser
        await wait_for(pilot, lambda: len(browser.view.store) == 30 and not browser.scanning)
        await pilot.press("s")  # sorted by name
        await pilot.press("g", *"jjjjjjjjjj")
        target = browser.keys.current_key
        assert target == b"k:010"
        # Keys that sort above the cursor appear; a rescan lists them above it.
        client.mset({"a:new": 1, "b:new": 1})
        await pilot.press("r")
        await wait_for(pilot, lambda: len(browser.view.store) == 32 and not browser.scanning)
        assert browser.keys.current_key == target
        assert browser.keys.cursor == 12
        # Keys above it are deleted elsewhere: struck through, then swept by live updates.
        client.delete("k:000", "k:001", "k:002")
        await wait_for(pilot, lambda: b"k:000" not in browser.view.store, timeout=15)
        assert browser.keys.current_key == target
        assert browser.keys.cursor == 9


async def test_keys_typed_after_sorting_a_big_list_act_on_the_sorted_rows(
    client: redis.Redis, settings: ConnectionSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past SMALL keys the sort runs in a thread: the keys typed after ``s`` wait for its
    order, so ``s g j j enter`` opens the third key by name, not the third in scan order.
    The sort is made to take as long as ten million keys' would."""
    run = SortJob.run

    def slow_run(job: SortJob) -> array[int] | None:
        time.sleep(1.0)
        return run(job)

    monkeypatch.setattr(SortJob, "run", slow_run)
    n = SMALL + 5_000
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.set(f"k:{i:06d}", "x")
    pipe.execute()
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        browser = app.browser
        await wait_for(
            pilot, lambda: len(browser.view.store) == n and not browser.scanning, timeout=30
        )
        assert browser.keys.current_key != b"k:000000"  # SCAN's order is not the names'
        await pilot.press("s", "g", "j", "j", "enter")
        await wait_for(
            pilot,
            lambda: (
                browser.value_pane.value is not None and browser.value_pane.value.key == b"k:000002"
            ),
        )
        assert browser.keys.current_key == b"k:000002"
        assert browser.view.store.sort_field == "name"
        assert "sorted by name" in static_text(pilot, "#scan-status")


async def test_a_sort_thread_never_holds_up_the_exit() -> None:
    """The sort runs in a daemon thread: ``q`` during a long sort quits without waiting."""
    names: list[str] = []

    def work() -> int:
        names.append(threading.current_thread().name)
        assert threading.current_thread().daemon
        return 42

    assert await run_in_daemon_thread(work) == 42
    assert names == ["redis-tui-sort"]

    def fails() -> int:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await run_in_daemon_thread(fails)


async def test_an_enter_typed_before_the_terminal_went_raw_opens_the_key(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    """Typed while the app starts, Enter reaches it as ^J (the tty's ICRNL turned \\r into
    \\n): ``j j ctrl+j`` opens the second key, as ``j j enter`` does."""
    client.mset({f"k:{i}": i for i in range(5)})
    app = RedisTuiApp(settings, poll_interval=0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = app.browser
        await wait_for(pilot, lambda: len(browser.view.store) == 5)
        await pilot.press("j", "ctrl+j")
        # Opened: the value pane has the focus (a cursor move alone loads the value beside).
        await wait_for(
            pilot,
            lambda: (
                app.focused is not None and browser.value_pane in app.focused.ancestors_with_self
            ),
        )
        assert browser.keys.cursor == 1
