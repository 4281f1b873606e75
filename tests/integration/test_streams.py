"""A stream's consumer groups, consumers and pending pages, and XACK / XCLAIM as checked
edits, on a standalone server and on a 3-primary cluster (every key on its owner node)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from redis_tui.data.client.open import open_client
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.ops import AckStreamEntries, ClaimStreamEntries, apply
from redis_tui.data.edit.undo import UndoStack
from redis_tui.data.values import streams
from redis_tui.errors import ReadOnlyRefused
from tests.integration.servers import cluster


def seed(c: redis.Redis | redis.RedisCluster, key: str, entries: int) -> None:
    pipe = c.pipeline(transaction=False)
    for i in range(entries):
        pipe.xadd(key, {"n": str(i)})
    pipe.execute()
    c.xgroup_create(key, "g", id="0")
    c.xreadgroup("g", "w1", {key: ">"}, count=entries)


async def check(client: aioredis.Redis | RedisCluster, key: bytes, entries: int) -> None:
    groups = await streams.read_groups(client, key)
    assert [(g.name, g.consumers, g.pending) for g in groups] == [(b"g", 1, entries)]
    seen: list[bytes] = []
    after: bytes | None = None
    while True:  # the pending list pages on from the last id shown
        page = await streams.read_group(client, key, b"g", after)
        assert len(page.pending) <= streams.PENDING_PAGE
        seen += [p.entry_id for p in page.pending]
        if not page.has_more:
            break
        after = page.pending[-1].entry_id
    assert len(seen) == entries == len(set(seen))
    log = CommandLog()
    guard = WriteGuard(False, log=log, undo=UndoStack())
    await apply(client, guard, AckStreamEntries(key, None, b"g", (seen[0], seen[1])))
    await apply(client, guard, ClaimStreamEntries(key, None, b"g", b"w2", 0, (seen[2],)))
    page = await streams.read_group(client, key, b"g")
    assert {c.name: c.pending for c in page.consumers} == {b"w1": entries - 3, b"w2": 1}
    assert page.pending[0].entry_id == seen[2] and page.pending[0].consumer == b"w2"
    assert page.pending[0].deliveries == 2
    with pytest.raises(ReadOnlyRefused):
        await apply(client, WriteGuard(True), AckStreamEntries(key, None, b"g", (seen[3],)))


@pytest.fixture
async def aclient(settings: ConnectionSettings) -> AsyncIterator[aioredis.Redis]:
    client = open_client(settings)
    assert isinstance(client, aioredis.Redis)
    yield client
    await client.aclose()


async def test_groups_pages_ack_and_claim(client: redis.Redis, aclient: aioredis.Redis) -> None:
    seed(client, "jobs", 450)
    await check(aclient, b"jobs", 450)
    assert streams.entry_time(b"0-1") == "1970-01-01 00:00:00.000"
    assert streams.entry_time(b"not-an-id") == ""


async def test_on_a_cluster() -> None:
    with cluster(3) as group:
        with group.client() as c:
            keys = [f"stream:{i}" for i in range(6)]  # spread over the primaries
            for key in keys:
                seed(c, key, 5)
        client = open_client(ConnectionSettings(port=group.ports[0], cluster=True))
        assert isinstance(client, RedisCluster)
        try:
            for key in keys:
                await check(client, key.encode(), 5)
        finally:
            await client.aclose()
