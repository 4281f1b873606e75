"""Searching inside a value on the server, and paging lists and sorted sets in other orders."""

from __future__ import annotations

import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.values import search as vs
from redis_tui.data.values.readers import ValueOrder
from redis_tui.data.values.search import Batch, Query


async def _all(gateway: Gateway, key: bytes, kind: str, query: Query, **kw: object) -> list[Batch]:
    return [b async for b in gateway.search_value(key, kind, query, **kw)]  # type: ignore[arg-type]


def test_glob_escapes_and_folds_case() -> None:
    assert Query.smart(b"a*b").glob() == b"*[aA]\\*[bB]*"
    assert Query.smart(b"Ab?").glob() == b"*Ab\\?*"
    assert Query.smart(b"[x]\\").glob() == b"*\\[[xX]\\]\\\\*"


async def test_hash_search_finds_one_field_among_200000(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    pipe = client.pipeline(transaction=False)
    for start in range(0, 200_000, 10_000):
        pipe.hset("big", mapping={f"field:{i}": "v" for i in range(start, start + 10_000)})
    pipe.hset("big", "the-NEEDLE-*[x]", "found")
    pipe.execute()
    gateway = Gateway(settings)
    batches = await _all(gateway, b"big", "hash", Query.smart(b"needle-*[x"), total=200_001)
    rows = [r for b in batches for r in b.rows]
    assert rows == [(b"the-NEEDLE-*[x]", b"found")]
    assert batches[-1].done and not batches[-1].capped
    assert batches[-1].examined == 200_001
    assert len(batches) > 10  # paced: many small calls, not one
    # A capital letter: exact case, so "Needle" is not "NEEDLE".
    exact = await _all(gateway, b"big", "hash", Query.smart(b"Needle"), total=200_001)
    assert [r for b in exact for r in b.rows] == []
    await gateway.close()


async def test_set_and_zset_members(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.sadd("s", *[f"m{i}" for i in range(5000)], "hidden\x00bytes")
    client.zadd("z", {f"m{i}": i for i in range(5000)} | {"zz-target": 2.5})
    gateway = Gateway(settings)
    s_rows = [r for b in await _all(gateway, b"s", "set", Query.smart(b"\x00by")) for r in b.rows]
    assert s_rows == [(b"hidden\x00bytes",)]
    z_rows = [r for b in await _all(gateway, b"z", "zset", Query.smart(b"target")) for r in b.rows]
    assert z_rows == [(b"zz-target", 2.5)]
    await gateway.close()


async def test_matches_are_capped(client: redis.Redis, settings: ConnectionSettings) -> None:
    client.sadd("many", *[f"hit{i}" for i in range(3000)])
    gateway = Gateway(settings)
    batches = await _all(gateway, b"many", "set", Query.smart(b"hit"), total=3000)
    assert sum(len(b.rows) for b in batches) == vs.MAX_MATCHES
    assert batches[-1].done and batches[-1].capped
    await gateway.close()


async def test_list_stream_and_string_past_the_first_page(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.rpush("l", *[f"e{i}" for i in range(5000)])
    client.lset("l", 4321, "the needle")
    for i in range(1200):
        client.xadd("x", {"n": str(i)}, id=f"1-{i + 1}")
    client.xadd("x", {"who": "Needle"}, id="2-1")
    client.set("str", b"a" * (3 * vs.STRING_PAGE - 2) + b"needle" + b"b" * 10)
    gateway = Gateway(settings)
    q = Query.smart(b"needle")
    rows = [r for b in await _all(gateway, b"l", "list", q) for r in b.rows]
    assert rows == [(4321, b"the needle")]
    tail = [r for b in await _all(gateway, b"l", "list", q, reverse=True) for r in b.rows]
    assert tail == [(4321, b"the needle")]
    entries = [r for b in await _all(gateway, b"x", "stream", q) for r in b.rows]
    assert [e[0] for e in entries] == [b"2-1"]
    # Straddling a GETRANGE page boundary, past the loaded 64 KB.
    found = await _all(gateway, b"str", "string", q, start=65536)
    assert [r[0] for b in found for r in b.rows] == [3 * vs.STRING_PAGE - 2]
    assert found[-1].done
    await gateway.close()


async def test_zset_descending_and_by_score(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.zadd("z", {f"m{i}": i for i in range(500)})
    client.rpush("l", *[f"e{i}" for i in range(500)])
    gateway = Gateway(settings)
    rev = await gateway.read_value(b"z", order=ValueOrder(reverse=True))
    assert rev.rows[:2] == [(b"m499", 499.0), (b"m498", 498.0)]
    page2 = await gateway.read_value(b"z", offset=200, order=ValueOrder(reverse=True))
    assert page2.rows[0] == (b"m299", 299.0)
    ranged = await gateway.read_value(b"z", order=ValueOrder(False, b"(10", b"20"))
    assert ranged.length == 10 and ranged.rows[0] == (b"m11", 11.0)
    assert ranged.rows[-1] == (b"m20", 20.0) and not ranged.has_more
    down = await gateway.read_value(b"z", order=ValueOrder(True, b"-inf", b"(3"))
    assert down.rows == [(b"m2", 2.0), (b"m1", 1.0), (b"m0", 0.0)]
    tail = await gateway.read_value(b"l", order=ValueOrder(reverse=True))
    assert tail.rows[:2] == [(499, b"e499"), (498, b"e498")] and tail.has_more
    tail2 = await gateway.read_value(b"l", offset=400, order=ValueOrder(reverse=True))
    assert tail2.rows[0] == (99, b"e99") and tail2.rows[-1] == (0, b"e0")
    await gateway.close()
