"""P on a stream: its consumer groups, consumers and pending entries; XACK and XCLAIM behind
a confirmation, refused in read-only mode, in the command log."""

from __future__ import annotations

import redis
from textual.widgets import DataTable

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.streams import entry_time
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens.cmdlog import CommandLogScreen
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import PromptScreen
from redis_tui.ui.screens.stream_groups import StreamGroupsScreen

from .helpers import dialog_shown, wait_for
from .test_edits import SIZE, fill, notified, open_key


def seed(client: redis.Redis) -> list[bytes]:
    ids = [client.xadd("orders", {"n": str(i)}, id=f"1764835200000-{i}") for i in range(3)]
    client.xgroup_create("orders", "billing", id="0")
    client.xgroup_create("orders", "audit", id="$")
    client.xreadgroup("billing", "worker-1", {"orders": ">"}, count=3)
    return ids


def rows(screen: StreamGroupsScreen, table: str) -> list[str]:
    t = screen.query_one(table, DataTable)
    return [" ".join(str(c) for c in t.get_row_at(i)) for i in range(t.row_count)]


async def test_groups_consumers_and_pending_then_ack_and_claim(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    ids = seed(client)
    app = RedisTuiApp(settings, poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"orders")
        await pilot.press("3", "P")
        await wait_for(pilot, lambda: isinstance(app.screen, StreamGroupsScreen))
        screen = app.screen
        assert isinstance(screen, StreamGroupsScreen)
        await wait_for(pilot, lambda: len(screen.pending) == 3)
        groups = rows(screen, "#groups-table")
        assert any(g.startswith("billing 1 3") for g in groups) and len(groups) == 2
        assert rows(screen, "#groups-consumers")[0].startswith("worker-1 3")
        pending = rows(screen, "#groups-pending")
        assert pending[0].startswith(f"{ids[0].decode()}  {entry_time(ids[0])} worker-1")
        assert entry_time(ids[0]) == "2025-12-04 08:00:00.000"
        # Ack the first pending entry: the dialog says what it does, y writes it.
        await pilot.press("tab", "tab")
        assert screen.query_one("#groups-pending", DataTable).has_focus
        await pilot.press("a")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        said = str(app.screen.body)  # type: ignore[attr-defined]
        assert "XACK orders billing" in said and "no undo" in said
        await pilot.press("y")
        await wait_for(pilot, lambda: client.xpending("orders", "billing")["pending"] == 2)
        await wait_for(pilot, lambda: len(screen.pending) == 2)
        # Claim the next one for another consumer.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await fill(pilot, "worker-2", "0")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        assert "XCLAIM orders billing worker-2 0" in str(app.screen.body)  # type: ignore[attr-defined]
        await pilot.press("y")

        def owner() -> bytes:
            entry = client.xpending_range("orders", "billing", "-", "+", 1)[0]
            return bytes(entry["consumer"])

        await wait_for(pilot, lambda: owner() == b"worker-2")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, StreamGroupsScreen))
        await pilot.press("at")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLogScreen))
        log = "\n".join(app.screen.lines)  # type: ignore[attr-defined]
        assert "XACK" in log and "XCLAIM" in log


async def test_ack_is_refused_read_only_and_a_string_has_no_groups(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    client.set("plain", "x")
    app = RedisTuiApp(settings.replace(readonly=True), poll_interval=0.3)
    async with app.run_test(size=SIZE) as pilot:
        await open_key(pilot, app, b"plain")
        await pilot.press("3", "P")
        await wait_for(pilot, lambda: notified(app, "belong to a stream"))
        await open_key(pilot, app, b"orders")
        # Typed in one burst: the screen opens and its first group's pending list is read.
        await pilot.press("3", "P", "tab", "tab")
        await wait_for(pilot, lambda: isinstance(app.screen, StreamGroupsScreen))
        screen = app.screen
        assert isinstance(screen, StreamGroupsScreen)
        await wait_for(pilot, lambda: len(screen.pending) == 3)
        await pilot.press("a")
        await wait_for(pilot, lambda: dialog_shown(app, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: notified(app, "Read-only"))
        assert client.xpending("orders", "billing")["pending"] == 3
