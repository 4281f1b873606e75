"""``n``'s edit against a real redis-server: every type with its first value and TTL in one
MULTI, never over an existing key unasked, the replacement undoable, read-only refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.ops import CreateKey, apply
from redis_tui.data.edit.undo import UndoStack
from redis_tui.data.edit.version import key_version
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import AlreadyExists, ReadOnlyRefused


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()


@pytest.fixture
def guard() -> WriteGuard:
    return WriteGuard(False, log=CommandLog(), undo=UndoStack())


async def test_every_type_is_created_with_its_first_value_and_ttl(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    cases = [
        ("string", (b"\x00raw\xff",)),
        ("hash", (b"field", b"value")),
        ("list", (b"first",)),
        ("set", (b"member",)),
        ("zset", (b"2.5", b"member")),
        ("stream", (b"5-1", b"event", b"login")),
    ]
    for kind, items in cases:
        key = b"new:\xff:" + kind.encode()
        result = await apply(aclient, guard, CreateKey(key, None, kind, items, 90_000))
        assert result.commands[-1] == ("PEXPIRE", key, 90_000)
        assert client.type(key).decode() == kind
        assert 80_000 < client.pttl(key) <= 90_000
        assert result.version is not None and result.version.type == kind
    assert client.get(b"new:\xff:string") == b"\x00raw\xff"
    assert client.hgetall(b"new:\xff:hash") == {b"field": b"value"}
    assert client.lrange(b"new:\xff:list", 0, -1) == [b"first"]
    assert client.smembers(b"new:\xff:set") == {b"member"}
    assert client.zrange(b"new:\xff:zset", 0, -1, withscores=True) == [(b"member", 2.5)]
    assert client.xrange(b"new:\xff:stream") == [(b"5-1", {b"event": b"login"})]

    # Without a TTL, no PEXPIRE; undo deletes what was created.
    await apply(aclient, guard, CreateKey(b"plain", None, "string", (b"v",)))
    assert client.pttl(b"plain") == -1
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert client.exists(b"plain") == 0


async def test_an_existing_key_is_replaced_only_when_asked_and_undo_brings_it_back(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    client.hset("taken", mapping={"a": "1", "b": "2"})
    client.pexpire("taken", 500_000)
    with pytest.raises(AlreadyExists) as refused:
        await apply(aclient, guard, CreateKey(b"taken", None, "string", (b"new",)))
    assert "already exists (a hash)" in refused.value.message
    assert client.hgetall("taken") == {b"a": b"1", b"b": b"2"}

    seen = await key_version(aclient, b"taken")
    asked = CreateKey(b"taken", None, "string", (b"new",)).replacing().overwritten(seen)
    result = await apply(aclient, guard, asked)
    assert result.commands[0] == ("UNLINK", b"taken")
    assert client.get("taken") == b"new" and client.pttl("taken") == -1
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert client.hgetall("taken") == {b"a": b"1", b"b": b"2"}
    assert 400_000 < client.pttl("taken") <= 500_000


async def test_a_key_created_meanwhile_is_not_overwritten_by_the_replacement(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    client.set("k", "one")
    seen = await key_version(aclient, b"k")
    client.set("k", "someone else's, longer")
    replacing = CreateKey(b"k", seen, "list", (b"x",), overwrite=True)
    with pytest.raises(Exception, match="changed since it was loaded"):
        await apply(aclient, guard, replacing)
    assert client.get("k") == b"someone else's, longer"


async def test_read_only_refuses_in_the_data_layer(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    guard = WriteGuard(True, log=CommandLog(), undo=UndoStack())
    with pytest.raises(ReadOnlyRefused):
        await apply(aclient, guard, CreateKey(b"nope", None, "set", (b"m",)))
    assert client.exists("nope") == 0


async def test_void_creates_are_refused_before_anything_is_sent(
    aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    with pytest.raises(ValueError, match="first value"):
        await apply(aclient, guard, CreateKey(b"k", None, "set", ()))
    with pytest.raises(ValueError, match="type"):
        await apply(aclient, guard, CreateKey(b"k", None, "bitmap", (b"x",)))
    with pytest.raises(ValueError, match="TTL"):
        await apply(aclient, guard, CreateKey(b"k", None, "string", (b"x",), 0))
