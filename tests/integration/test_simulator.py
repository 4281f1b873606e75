"""The demo's live app against a real redis-server: fixture seeding, ticks that log in,
rewrite, log out and churn the cache, the thread's start/stop, and ``--demo`` wiring."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.cli import launch as cli
from redis_tui.data import sessions
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.demo import simulator
from redis_tui.demo.server import EmbeddedServer


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()


async def all_sessions(client: aioredis.Redis) -> dict[bytes, sessions.Session]:
    found: dict[bytes, sessions.Session] = {}
    async for page in sessions.find_sessions(client):
        found.update((s.key, s) for s in page)
    return found


async def test_seeding_writes_every_framework_for_many_users(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    copies = simulator.seed_sessions_from_fixtures(client)
    templates = simulator.load_templates()
    assert len(copies) == 7 * len(templates)
    found = await all_sessions(aclient)
    # Discovery sees every template under default and custom prefixes, with its seven copies.
    assert len(found) == 8 * len(templates)
    assert all(s.error is None for s in found.values())
    by_framework = Counter(s.framework for s in found.values())
    assert set(by_framework) == set(sessions.FRAMEWORKS)
    users = {s.user for s in found.values() if s.user is not None}
    # Spring's and Symfony's principals are names, kept by the copies.
    named = {t.user for t in templates if t.user is not None and not t.user.isdigit()}
    assert len(users) >= 25 and users <= set(simulator.USERS) | named
    for copy in copies:  # what the simulator meant is what the decoder sees
        assert found[copy.key].user == copy.user
        assert found[copy.key].framework == copy.framework
    ttls = [s.ttl_ms for s in found.values() if s.ttl_ms > 0]
    assert len(set(ttls)) > 100  # jittered, realistic


async def test_ticks_move_the_session_view(client: redis.Redis, aclient: aioredis.Redis) -> None:
    simulator.seed_sessions_from_fixtures(client, copies=1)
    app = simulator.DemoSimulator("127.0.0.1", client.connection_pool.connection_kwargs["port"],
                                  rng_seed=5)  # fmt: skip
    before = await all_sessions(aclient)
    for _ in range(20):
        app.tick()
    snapshots = {k: client.get(k) for k, n in app.live.items() if n.type == "string"}
    for _ in range(20):
        app.tick()
    after = await all_sessions(aclient)
    totals = app.totals
    assert totals.logins >= 40 and totals.logouts > 0 and totals.cache_writes >= 40
    assert totals.rewrites > 0 and totals.short_lived > 0
    new_keys = set(after) - set(before)
    assert len(new_keys) >= totals.logins - totals.logouts - 10
    assert all(after[k].error is None for k in new_keys)
    assert set(app.live) <= set(after)  # discovery: custom prefixes too
    # Requests rewrote sessions (cart, views), under default prefixes or not.
    now = {k: client.get(k) for k in snapshots}
    changed = [k for k, raw in snapshots.items() if now[k] is not None and now[k] != raw]
    assert changed
    for key in changed:
        found = sessions.detect(key, "string", now[key] or b"", assume_session=True)
        assert found is not None and found.error is None and found.writable
    assert any(True for _ in client.scan_iter(match=b"cache:sim:*"))
    short = [k for k in new_keys if 0 < after[k].ttl_ms <= 30_000]
    assert short  # these time out on their own


def test_thread_starts_and_stops(server: EmbeddedServer, client: redis.Redis) -> None:
    app = simulator.DemoSimulator("127.0.0.1", server.port, interval=0.05, rng_seed=1)
    app.start()
    try:
        deadline = time.monotonic() + 10
        while app.ticks < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.ticks >= 5 and app.running
    finally:
        app.stop()
    assert not app.running
    ticks = app.ticks
    time.sleep(0.2)
    assert app.ticks == ticks
    app.stop()  # twice is fine


def test_only_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        simulator.DemoSimulator("10.0.0.1", 6380)


def test_a_dying_server_does_not_kill_the_thread_noisily() -> None:
    with EmbeddedServer() as server:
        app = simulator.DemoSimulator("127.0.0.1", server.port, interval=0.05)
        app.start()
        time.sleep(0.2)
    time.sleep(0.3)  # the server is gone: the loop backs off instead of raising
    assert app.running
    app.stop()
    assert not app.running


def test_run_demo_seeds_sessions_and_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run_app(settings: ConnectionSettings, poll: float, *_: object) -> int:
        # Stands in for the Textual app only; the server and the simulator are real.
        client = redis.Redis(host=settings.host, port=settings.port)
        try:
            first = set(client.scan_iter(match=b"PHPREDIS_SESSION:*", count=1000))
            deadline = time.monotonic() + 10
            moved = False
            while time.monotonic() < deadline and not moved:
                time.sleep(0.2)
                moved = any(True for _ in client.scan_iter(match=b"cache:sim:*", count=1000))
            seen["php_sessions"] = len(first)
            seen["moved"] = moved
            seen["threads"] = [t.name for t in threading.enumerate()]
        finally:
            client.close()
        return 0

    monkeypatch.setattr(cli, "run_app", fake_run_app)
    assert cli.run_demo(ConnectionSettings(), 2.0) == 0
    assert seen["moved"] is True
    assert int(str(seen["php_sessions"])) >= 12 * 8
    assert "redis-tui-demo-app" in seen["threads"]  # type: ignore[operator]
    assert "redis-tui-demo-app" not in [t.name for t in threading.enumerate()]
