"""Discovery against a real redis-server: sessions under a custom prefix and under bare ids
are found with no configuration, noise namespaces are skipped and reported, Spring's
bookkeeping keys are never sessions, the key list's names can stand in for the SCAN, and a
store no rule knows is listed as ``unknown`` with its user and expiry."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import uuid
import zlib
from typing import Any

import msgpack
import redis
import redis.asyncio as aioredis

from redis_tui.data.codecs import php
from redis_tui.data.sessions import ScanStats
from redis_tui.data.sessions.discover import discover
from tests.integration.test_sessions_stores import collect, load
from tests.unit.test_sessions_detect import RECORDS, RELATED, by, record_id


def seed_noise(client: redis.Redis) -> None:
    """Keys that are not sessions, in namespaces of their own and with no delimiter."""
    pipe = client.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"cache:item:{i}", json.dumps({"sku": f"A-{i}", "price": i * 1.5}))
        profile = {"id": i, "username": f"u{i}", "email": f"u{i}@example.com"}
        pipe.set(f"user:{i}:profile", json.dumps(profile))
        pipe.set(f"counter:{i}", str(i))
        pipe.set(uuid.uuid4().hex + "ff", b"just bytes \x00\x01")  # bare hex ids, not sessions
        pipe.rpush(f"queue:{i % 7}", b"job")
    pipe.set(b"post:1", json.dumps({"author": "ann", "title": "Hello", "body": "..."}))
    pipe.execute()


def seed_custom(client: redis.Redis) -> tuple[set[bytes], set[bytes]]:
    """express under ``myapp:sess:`` and Flask (msgpack) under bare UUIDs."""
    express = bytes.fromhex(by("express", "json")["value_hex"])
    flask = bytes.fromhex(by("flask", "msgpack")["value_hex"])
    custom = {f"myapp:sess:{uuid.uuid4().hex[:24]}".encode() for _ in range(40)}
    bare = {str(uuid.uuid4()).encode() for _ in range(25)}
    for key in custom:
        client.set(key, express, ex=600)
    for key in bare:
        client.set(key, flask)
    return custom, bare


async def test_custom_prefix_and_bare_ids_are_discovered_with_no_configuration(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    seed_noise(client)
    custom, bare = seed_custom(client)
    stats = ScanStats()
    found = await collect(aclient, stats=stats)
    assert custom <= found.keys() and bare <= found.keys()
    assert {found[k].framework for k in custom} == {"express"}
    assert {found[k].framework for k in bare} == {"flask"}
    assert {found[k].user for k in bare} == {"42"}
    assert len(found) == len(custom) + len(bare), sorted(set(found) - custom - bare)[:5]
    discovery = stats.discovery
    assert discovery is not None and discovery.complete
    assert discovery.keys_scanned == client.dbsize()
    where = {(f.namespace, f.framework): f.count for f in discovery.found}
    assert where == {("myapp:sess:", "express"): 40, ("<uuid>", "flask"): 25}
    skipped = {s.namespace: s for s in discovery.skipped}
    assert {"cache:item:", "user:*:", "counter:", "<hex>", "post:"} <= skipped.keys()
    assert skipped["user:*:"].sampled == 8 and "none of 8" in skipped["user:*:"].reason
    assert "queue:" in skipped  # lists: never read as sessions
    assert b"myapp:sess:*" in discovery.patterns
    # Few reads: samples of each noise group, not the 1,500 noise keys.
    assert stats.candidates < len(custom) + len(bare) + 100


async def test_every_fixture_is_discovered_and_bookkeeping_keys_never_are(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    for record in RECORDS + RELATED:
        load(client, record)
    seed_noise(client)
    stats = ScanStats()
    found = await collect(aclient, stats=stats)
    for record in RECORDS:
        key = bytes.fromhex(record["key_hex"])
        assert key in found, record_id(record)
        assert found[key].framework == record["framework"], record_id(record)
        assert found[key].user == record["expected"]["user"], record_id(record)
    assert not {bytes.fromhex(r["key_hex"]) for r in RELATED} & found.keys()
    assert len(found) == len(RECORDS)
    assert stats.discovery is not None
    namespaces = {f.namespace for f in stats.discovery.found}
    assert {"myapp:sess:", "myapp:sessions:", "spring:session:sessions:"} <= namespaces


async def test_discover_alone_reads_only_samples_and_reuses_names(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    seed_noise(client)
    custom, bare = seed_custom(client)
    before = client.info("commandstats")
    result = await discover(aclient)
    after = client.info("commandstats")
    reads = (
        after["cmdstat_getrange"]["calls"] - before.get("cmdstat_getrange", {"calls": 0})["calls"]
    )
    assert reads < 120  # 8 per group, not one per key
    where = {(f.namespace, f.framework): f.count for f in result.found}
    assert where == {("myapp:sess:", "express"): 40, ("<uuid>", "flask"): 25}
    assert result.complete and result.keys_scanned == client.dbsize()
    # The key list's names instead of a SCAN: no SCAN is sent.
    names = [k for k in client.scan_iter(count=1000)]
    scans = client.info("commandstats")["cmdstat_scan"]["calls"]
    again = await discover(aclient, names=names)
    assert client.info("commandstats")["cmdstat_scan"]["calls"] == scans
    assert {(f.namespace, f.framework) for f in again.found} == set(where)
    # And find_sessions over those names lists the sessions.
    listed = await collect(aclient, names=iter(names))
    assert listed.keys() == custom | bare


def unknown_payloads() -> dict[str, bytes]:
    """A store no rule knows, written by the real encoders of each format."""
    expires = int(dt.datetime(2031, 1, 2, tzinfo=dt.UTC).timestamp())
    attrs: dict[str, Any] = {"uid": 7, "csrfSecret": "k3y", "expiresAt": expires, "cart": [1]}
    return {
        "json": json.dumps(attrs).encode(),
        "msgpack": msgpack.packb(attrs),
        "pickle": pickle.dumps(attrs, protocol=4),
        "php": php.serialize(attrs),
        "zlib-json": zlib.compress(json.dumps(attrs).encode()),
    }


async def test_an_unknown_store_is_listed_with_its_user_and_expiry(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    seed_noise(client)
    for name, payload in unknown_payloads().items():
        for i in range(3):
            client.set(f"acme:{name}:tok{i}", payload)
    client.hset(b"acme:hash:1", mapping={"account_id": "99", "last_activity": "1924992000"})
    found = await collect(aclient)
    assert len(found) == 5 * 3 + 1, sorted(found)
    for key, session in found.items():
        assert session.framework == "unknown", key
        assert session.error is None
    by_key = {k.decode(): s for k, s in found.items()}
    for name in unknown_payloads():
        session = by_key[f"acme:{name}:tok1"]
        assert session.user == "7", name
        assert session.payload_expires_at == dt.datetime(2031, 1, 2, tzinfo=dt.UTC), name
        assert session.expires_at == session.payload_expires_at  # no TTL: the payload's
        assert session.session_id == "tok1"
    assert by_key["acme:hash:1"].user == "99"
