"""``:analyze`` (issue 14) driven by keys against real redis-server processes: the figures
match what redis-py reads key by key, a stop mid-run keeps the partial figures, enter on a
top key opens it, results are kept per connection and database, ``:sort size`` uses them,
an ACL user without MEMORY, a cluster; snapshots of the result screen at 80x24 and 160x45."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import pytest
import redis
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from redis_tui.data.analysis import ServerHealth
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.display import human_bytes
from redis_tui.demo.server import EmbeddedServer
from redis_tui.ui.app import RedisTuiApp
from redis_tui.ui.screens import analysis as analysis_screen
from redis_tui.ui.screens.analysis import AnalysisScreen
from tests.integration.servers import cluster

from .helpers import key_list_lines, wait_for

SIZE = (160, 45)
STAMPEDE_AT_MS = 4_102_444_800_000  # 2100-01-01: one second far away, the same every run


def seed(client: redis.Redis) -> None:
    """user:N:profile hashes (no TTL), cache:page:N strings (TTL < 1 h, two without: a leak),
    a stampede of 120 keys expiring in one second, a long list, hostile names."""
    pipe = client.pipeline(transaction=False)
    for i in range(40):
        pipe.hset(f"user:{i}:profile", mapping={"name": f"n{i}", "bio": "b" * (i * 3)})
    for i in range(30):
        pipe.set(f"cache:page:{i}", "p" * (20 * i + 5), ex=None if i < 2 else 1800)
    for i in range(120):
        pipe.set(f"job:{i}", "j")
        pipe.pexpireat(f"job:{i}", STAMPEDE_AT_MS)
    pipe.rpush("queue:big", *[f"item-{i}" for i in range(600)])
    pipe.set(b"[bold]x", "v" * 2000)
    pipe.set(b"ansi-\x1b[31mred", "v" * 3000)
    pipe.set(b"bad-\xff", "v" * 4000)
    pipe.execute()


def expected(client: redis.Redis, match: str = "*") -> dict[bytes, dict[str, int]]:
    """Per namespace (nested: ``a:b:c`` counts in ``a`` and ``a:b``), what redis-py reads key
    by key: keys, MEMORY USAGE … SAMPLES 0 summed, keys without TTL."""
    out: dict[bytes, dict[str, int]] = defaultdict(lambda: {"keys": 0, "memory": 0, "no_ttl": 0})
    for key in client.scan_iter(match=match, count=1000):
        memory = client.execute_command("MEMORY", "USAGE", key, "SAMPLES", 0)
        no_ttl = int(client.pttl(key) == -1)
        prefix = key.rpartition(b":")[0]
        chain = [prefix]
        while b":" in prefix:
            prefix = prefix.rpartition(b":")[0]
            chain.append(prefix)
        for name in chain if chain[0] else [b""]:
            out[name]["keys"] += 1
            out[name]["memory"] += memory
            out[name]["no_ttl"] += no_ttl
    return dict(out)


def cells(table: DataTable[Any], row: int) -> list[str]:
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(row)]


def state_text(screen: AnalysisScreen) -> str:
    return str(screen.query_one("#analysis-state", Static).content)


async def open_analysis(pilot: Pilot[Any]) -> AnalysisScreen:
    app = pilot.app
    assert isinstance(app, RedisTuiApp)
    await pilot.press("colon", *"analyze", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
    screen = app.screen
    assert isinstance(screen, AnalysisScreen)
    return screen


async def scanned(pilot: Pilot[Any], count: int) -> None:
    app = pilot.app
    assert isinstance(app, RedisTuiApp)
    await wait_for(
        pilot, lambda: len(app.browser.view.store) == count and not app.browser.view.scanning
    )


async def test_figures_match_what_redis_says_and_hostile_names_stay_text(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    want = expected(client)
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot, 40 + 30 + 120 + 1 + 3)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        result = screen.result
        assert result is not None and result.complete and result.memory_mode.exact
        assert result.keys == client.dbsize() == 194
        got = {ns.prefix: ns for ns in result.namespaces}
        assert set(got) == set(want)
        for prefix, figures in want.items():
            ns = got[prefix]
            assert (ns.keys, ns.memory, ns.without_ttl) == (
                figures["keys"], figures["memory"], figures["no_ttl"]
            ), prefix  # fmt: skip
        assert got[b"cache:page"].ttl.under_1h == 28
        # The table: sorted by memory, children under their parent, the figures as shown.
        table = screen.query_one("#analysis-namespaces", DataTable)
        rows = [cells(table, i) for i in range(table.row_count)]
        tops = [r for r in rows if not r[0].startswith(" ")]
        memories = [
            got[r[0].removesuffix(":*").encode()].memory for r in tops if r[0] != "(no namespace)"
        ]
        assert memories == sorted(memories, reverse=True)
        user = next(i for i, r in enumerate(rows) if r[0] == "user:*")
        assert rows[user][1:4] == [
            "40",
            human_bytes(want[b"user"]["memory"]),
            human_bytes(want[b"user"]["memory"] // 40),
        ]
        assert rows[user + 1][0].startswith("  ") and rows[user + 1][0].endswith(":*")
        # Top keys by memory and by length: what redis-py measured, hostile names as text.
        biggest = max(
            client.scan_iter(count=1000),
            key=lambda k: (client.execute_command("MEMORY", "USAGE", k, "SAMPLES", 0), k),
        )
        top = screen.query_one("#analysis-top-memory", DataTable)
        assert cells(top, 0)[5] == biggest.decode()
        by_length = screen.query_one("#analysis-top-length", DataTable)
        assert cells(by_length, 0)[2::3] == ["4,000", "bad-\\xff"]  # STRLEN of the longest
        assert ["600", "list", "no ttl", "queue:big"] in [cells(by_length, i)[2:] for i in range(5)]
        shown = {cells(top, i)[5] for i in range(top.row_count)}
        assert {"[bold]x", "ansi-\\e[31mred", "bad-\\xff"} <= shown
        assert "memory" in state_text(screen) and "exact" in state_text(screen)
        # Cache health: the leak and the stampede the seed made.
        health = str(screen.query_one("#analysis-health", Static).content)
        assert "cache:page:*: 2 of 30 keys without TTL, e.g. cache:page:" in health
        assert "2100-01-01 00:00:00 UTC: 120 keys" in health
        assert "Hit ratio:" in health and "eviction policy noeviction" in health


async def test_filter_pattern_is_honoured_and_said(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot, 194)
        await pilot.press("colon", *"filter user:*", "enter")
        await scanned(pilot, 40)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        assert screen.result is not None and screen.result.keys == 40
        assert screen.result.match == b"user:*"
        scope = str(screen.query_one("#analysis-scope", Static).content)
        assert "keys matching user:* (the key list's filter)" in scope


async def test_stop_mid_run_keeps_the_partial_figures(server: EmbeddedServer) -> None:
    client = redis.Redis(port=server.port)
    # One server-side loop (DEBUG POPULATE is refused by default): 1,000,000 keys in ~1 s.
    fill = (
        "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'big:' .. (i % 97) .. ':' .. i, i) end"
    )
    client.eval(fill, 0, 1_000_000)
    settings = ConnectionSettings(port=server.port, connect_timeout=2.0, command_timeout=5.0)
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.browser.conn_pane.state == "connected")
        app.browser.stop_scan()
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.progress is not None and screen.progress.done > 0)
        bar = screen.query_one("#analysis-progress")
        assert screen.state == "running", "the analysis ended before the test could stop it"
        assert bar.display and "of 1,000,000 keys" in state_text(screen)
        assert "ETA" in state_text(screen)
        await pilot.press("x")  # asks nothing
        await wait_for(pilot, lambda: screen.state == "done")
        result = screen.result
        assert result is not None and not result.complete
        assert 0 < result.keys < 1_000_000
        assert f"stopped at {result.keys:,} of 1,000,000 keys" in state_text(screen)
        assert not bar.display
        assert screen.query_one("#analysis-namespaces", DataTable).row_count > 0
        # esc stops too, typed with no pause after r: nothing asked, the screen stays.
        await pilot.press("r", "escape")
        await wait_for(pilot, lambda: screen.state == "done" and screen.result is not result)
        assert isinstance(app.screen, AnalysisScreen)
        assert screen.result is not None and not screen.result.complete
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browser)
        client.flushall()


async def test_enter_on_a_top_key_opens_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    seed(client)
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await scanned(pilot, 194)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        assert screen.result is not None
        second = screen.result.top_by_length[1].key
        # Typed in one burst: the next tab twice (top by length), down, enter.
        await pilot.press("tab", "tab", "down", "enter")
        await wait_for(pilot, lambda: app.screen is app.browser)
        await wait_for(pilot, lambda: app.browser.keys.current_key == second)
        await wait_for(
            pilot, lambda: (v := app.browser.value_pane.value) is not None and v.key == second
        )
        assert app.browser.keys.has_focus


async def test_results_are_kept_per_connection_and_database(
    client: redis.Redis, settings: ConnectionSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(client)
    redis.Redis(port=settings.port, db=1).set("only:in:db1", "x")
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        flow = app.browser.analysis
        await scanned(pilot, 194)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        first = screen.result
        at = screen.finished_at
        assert at is not None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browser)
        monkeypatch.setattr(analysis_screen, "wall_clock", lambda: at + 180)
        runs = flow.run
        # From the palette this time: it fills the command bar, enter runs it.
        await pilot.press("ctrl+p", *"analyze")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.browser.command_bar.value == ":analyze")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        screen = app.screen
        assert isinstance(screen, AnalysisScreen)
        assert flow.run == runs and screen.result is first
        await wait_for(pilot, lambda: "analysed 3 min ago" in state_text(screen))
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.state == "done" and screen.result is not first)
        assert flow.run == runs + 1
        await pilot.press("escape")
        # Another database: its own analysis; back on db 0, the last one of db 0.
        await pilot.press("colon", *"db 1", "enter")
        await scanned(pilot, 1)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        assert screen.result is not None and screen.result.keys == 1
        assert "db 1" in str(screen.query_one("#analysis-title", Static).content)
        await pilot.press("escape")
        await pilot.press("colon", *"db 0", "enter")
        await scanned(pilot, 194)
        screen = await open_analysis(pilot)
        assert flow.run == runs + 2
        assert screen.result is not None and screen.result.keys == 194


async def test_sort_size_puts_the_largest_key_first_unseen(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"small:{i}": "s" * (i % 40) for i in range(3000)})
    app = RedisTuiApp(settings, poll_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = app.browser
        await scanned(pilot, 3000)
        store = browser.view.store
        # A key far below the screen becomes the biggest: its size was never asked for.
        big = store.names[2500]
        client.set(big, "B" * 200_000)
        await pilot.pause(0.5)
        assert store.size(store.index_of(big) or 0) is None
        assert big.decode() not in "".join(key_list_lines(pilot))
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        await pilot.press("escape")
        await pilot.press("colon", *"sort size", "enter")
        await wait_for(pilot, lambda: store.sort_field == "size")
        assert store.names[store.row(0)] == big
        await pilot.press("g")  # the cursor stayed on its key; the top of the list:
        await wait_for(pilot, lambda: key_list_lines(pilot)[0].startswith(big.decode()))
        size = client.execute_command("MEMORY", "USAGE", big, "SAMPLES", 0)
        assert key_list_lines(pilot)[0].rstrip().endswith(human_bytes(size))
        # A rescan keeps the sizes the analysis measured; s cycles back round to size.
        await pilot.press("r")
        await scanned(pilot, 3000)
        store = browser.view.store
        await wait_for(pilot, lambda: store.names[store.row(0)] == big)
        await pilot.press("s", "s", "s", "s", "s")  # none, name, ttl, type, size
        await wait_for(pilot, lambda: store.sort_field == "size")
        assert store.names[store.row(0)] == big


async def test_an_acl_user_without_memory_gets_counts_and_ttls(
    fresh_server: EmbeddedServer,
) -> None:
    admin = redis.Redis(port=fresh_server.port)
    seed(admin)
    admin.execute_command("ACL", "SETUSER", "nomem", "on", ">pw", "~*", "+@all", "-memory")
    settings = ConnectionSettings(
        port=fresh_server.port, username="nomem", password="pw", connect_timeout=2.0
    )
    app = RedisTuiApp(settings, poll_interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot, 194)
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        result = screen.result
        assert result is not None and result.keys == 194 and not result.memory_mode.permitted
        assert "memory not permitted for this user: counts and TTLs only" in state_text(screen)
        health = str(screen.query_one("#analysis-health", Static).content)
        assert "Note: memory not permitted" in health
        assert screen.query_one("#analysis-top-memory", DataTable).row_count == 0
        table = screen.query_one("#analysis-namespaces", DataTable)
        user = next(
            cells(table, i) for i in range(table.row_count) if cells(table, i)[0] == "user:*"
        )
        assert user[1] == "40" and user[4] == "40"  # keys, no TTL


async def test_a_cluster_is_analysed_per_primary() -> None:
    with cluster(3) as group:
        c = group.client()
        for i in range(300):
            c.set(f"c:{i % 3}:{i}", "v" * i)
        app = RedisTuiApp(ConnectionSettings(port=group.ports[0], connect_timeout=2.0))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(app.browser.view.store) == 300, timeout=20)
            screen = await open_analysis(pilot)
            await wait_for(pilot, lambda: screen.state == "done", timeout=20)
            result = screen.result
            assert result is not None and result.mode == "cluster" and result.primaries == 3
            assert result.keys == 300 and result.dbsize == 300
            assert state_text(screen).startswith("cluster of 3 primaries: 300 keys")


# -- snapshots: the result screen, its clock and its volatile figures pinned ----------------


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_result_screen_at(
    snap_compare: Any,
    client: redis.Redis,
    settings: ConnectionSettings,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    seed(client)
    monkeypatch.setattr(analysis_screen, "wall_clock", lambda: 1_000_125.0)

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RedisTuiApp)
        await scanned(pilot, 194)
        app.browser.action_pause()
        screen = await open_analysis(pilot)
        await wait_for(pilot, lambda: screen.state == "done")
        assert screen.result is not None
        pinned = ServerHealth(
            keyspace_hits=900, keyspace_misses=100, evicted_keys=0, used_memory=1_048_576,
            maxmemory=0, maxmemory_policy="noeviction",
        )  # fmt: skip
        screen.finished(replace(screen.result, seconds=0.25, server=pinned), 1_000_000.0)
        title = screen.query_one("#analysis-title", Static)
        title.update(Content("Keyspace analysis · db 0 · redis://127.0.0.1:6379"))
        app.clear_notifications()
        await pilot.pause()
        await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(RedisTuiApp(settings, poll_interval=3600), terminal_size=size,
                        run_before=before)  # fmt: skip


async def test_a_stop_while_not_connected_does_not_wait_for_the_server() -> None:
    app = RedisTuiApp(ConnectionSettings(port=1, connect_timeout=0.5), poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_analysis(pilot)
        assert screen.state == "running"
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.state == "failed")
        assert "not connected: stopped before it began · r tries again" in state_text(screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.browser)
