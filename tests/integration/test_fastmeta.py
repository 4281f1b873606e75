"""The hiredis metadata path gives what redis-py's pipeline gives, at the server's speed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis

from redis_tui.data.client.open import open_client
from redis_tui.data.client.resp import encode_command
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.scan import fastmeta, keyspace
from redis_tui.data.scan.keystore import type_code
from redis_tui.demo import seed as demo
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import AuthFailed, ConnectionFailed

MISSING = [b"missing:1", b"missing:\x00\xff"]


def _seed(client: redis.Redis) -> list[bytes]:
    for key in demo.HOSTILE_KEYS:
        client.set(key, b"v")
    client.set("plain", "1")
    client.set("ttl:short", "1", px=50)
    client.set("ttl:long", "1", ex=3600)
    client.hset("h", "f", "v")
    client.rpush("l", "a")
    client.sadd("s", "a")
    client.zadd("z", {"a": 1})
    client.xadd("x", {"a": 1})
    return [*demo.HOSTILE_KEYS, b"plain", b"ttl:short", b"ttl:long", b"h", b"l", b"s", b"z", b"x"]


def _same(fast: tuple[list[bytes], list[int]], slow: tuple[list[bytes], list[int]]) -> None:
    assert fast[0] == slow[0]
    for a, b in zip(fast[1], slow[1], strict=True):
        # A TTL ticks between the two reads; anything else must match exactly.
        assert a == b if a < 0 or b < 0 else abs(a - b) < 1000


async def test_matches_redis_py_pipeline(client: redis.Redis, settings: ConnectionSettings) -> None:
    keys = _seed(client)
    await asyncio.sleep(0.1)  # ttl:short is now expired: TYPE none, PTTL -2
    keys += MISSING
    meta = fastmeta.MetaConnection(settings)
    redis_py = open_client(settings)
    try:
        fast = await meta.fetch(keys)
        slow = await keyspace.key_meta(redis_py, keys)
    finally:
        await meta.close()
        await redis_py.aclose()
    _same(fast, slow)
    by_key = dict(zip(keys, zip(*fast, strict=True), strict=True))
    assert by_key[b""] == (b"string", -1)
    assert by_key[b"nul\x00byte"] == (b"string", -1)
    assert by_key[b"ttl:short"] == (b"none", -2)
    assert by_key[b"missing:\x00\xff"] == (b"none", -2)
    assert 3_500_000 < by_key[b"ttl:long"][1] <= 3_600_000
    assert [by_key[k][0] for k in (b"h", b"l", b"s", b"z", b"x")] == [
        b"hash",
        b"list",
        b"set",
        b"zset",
        b"stream",
    ]


async def test_large_batches_and_empty(client: redis.Redis, settings: ConnectionSettings) -> None:
    keys = [b"big:%d:" % i + b"x" * 200 for i in range(20_000)]
    pipe = client.pipeline(transaction=False)
    for key in keys[::2]:
        pipe.set(key, b"1")
    pipe.execute()
    meta = fastmeta.MetaConnection(settings)
    try:
        assert await meta.fetch([]) == ([], [])
        types, pttls = await meta.fetch(keys)
    finally:
        await meta.close()
    assert types == [b"string", b"none"] * 10_000
    assert pttls == [-1, -2] * 10_000


async def test_cancelled_batch_does_not_poison_the_next(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("a", "1")
    keys = [b"a"] * 50_000
    meta = fastmeta.MetaConnection(settings)
    try:
        task = asyncio.create_task(meta.fetch(keys))
        await asyncio.sleep(0.002)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await meta.fetch([b"a", b"nope"]) == ([b"string", b"none"], [-1, -2])
    finally:
        await meta.close()


@pytest.fixture
def acl_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(unix_socket=True) as server:
        admin = redis.Redis(host="127.0.0.1", port=server.port)
        admin.acl_setuser("notype", enabled=True, passwords=["+pw"], keys=["*"])
        admin.execute_command("ACL", "SETUSER", "notype", "+@all", "-type")
        admin.execute_command("ACL", "SETUSER", "blind", "on", ">pw", "~*", "+@all", "-type")
        admin.execute_command("ACL", "SETUSER", "blind", "-pttl")
        admin.select(3)
        admin.set("k", "v", ex=100)
        admin.close()
        yield server


async def test_acl_refusals_are_inline_and_match(acl_server: EmbeddedServer) -> None:
    keys = [b"k", b"nope"]
    for user in ("notype", "blind"):
        settings = ConnectionSettings(port=acl_server.port, username=user, password="pw", db=3)
        meta = fastmeta.MetaConnection(settings)
        redis_py = open_client(settings)
        try:
            types, pttls = await meta.fetch(keys)
            slow_types, slow_pttls = await keyspace.key_meta(redis_py, keys)
        finally:
            await meta.close()
            await redis_py.aclose()
        # Refused TYPE: unknown, as in redis-py's path; the batch still succeeds.
        assert types == slow_types == [b"?", b"?"]
        assert [type_code(t) for t in types] == [0, 0]
        if user == "notype":
            assert 0 < pttls[0] <= 100_000 and pttls[1] == -2
            assert abs(pttls[0] - slow_pttls[0]) < 1000
        else:
            assert pttls == slow_pttls == [-2, -2]


async def test_unix_socket_auth_and_db(acl_server: EmbeddedServer) -> None:
    assert acl_server.socket_path is not None
    good = ConnectionSettings(socket=acl_server.socket_path, username="notype", password="pw")
    found: list[int] = []
    for settings in (good, good.replace(db=3)):
        meta = fastmeta.MetaConnection(settings)
        try:
            found += (await meta.fetch([b"k"]))[1]
        finally:
            await meta.close()
    # "k" lives in db 3 only.
    assert found[0] == -2 and 0 < found[1] <= 100_000
    bad = fastmeta.MetaConnection(good.replace(password="wrong"))
    with pytest.raises(AuthFailed):
        await bad.fetch([b"k"])
    assert not bad.is_open


async def test_unreachable_server_is_connection_failed(
    fresh_server: EmbeddedServer,
) -> None:
    settings = ConnectionSettings(port=fresh_server.port, connect_timeout=1, command_timeout=1)
    meta = fastmeta.MetaConnection(settings)
    assert (await meta.fetch([b"x"]))[1] == [-2]
    fresh_server.kill()
    with pytest.raises(ConnectionFailed):
        await meta.fetch([b"x"])
    with pytest.raises(ConnectionFailed):
        await meta.fetch([b"x"])
    await meta.close()


async def test_gateway_scans_through_it_and_closes_it(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.mset({f"k:{i}": i for i in range(300)})
    gateway = Gateway(settings)

    def meta_clients() -> int:
        listing = client.client_list()
        return sum(1 for c in listing if c.get("name") == fastmeta.CLIENT_NAME.decode())

    page = await gateway.scan(None, None, 1000)
    assert page.done and len(page.keys) == 300
    assert set(page.types) == {b"string"} and set(page.pttls) == {-1}
    assert meta_clients() == 1
    await gateway.close()
    await asyncio.sleep(0.05)
    assert meta_clients() == 0


def test_supports_only_single_servers(settings: ConnectionSettings) -> None:
    assert fastmeta.supports(redis.asyncio.Redis(port=settings.port))
    assert not fastmeta.supports(
        redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=settings.port)
    )


def test_encoding_is_binary_safe() -> None:
    assert encode_command(b"GET", b"a\r\nb") == b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n"
    assert fastmeta.encode_meta([b""]) == (
        b"*2\r\n$4\r\nTYPE\r\n$0\r\n\r\n*2\r\n$4\r\nPTTL\r\n$0\r\n\r\n"
    )
