"""koa-session, @fastify/session, django-redis and Flask-Session's CacheLib backend against a
real redis-server: ``find_sessions`` (default patterns, ``--match``, sniffing every key) and
``redis-tui sessions`` (JSON when piped) list every fixture session with its framework, user
and TTL, under the libraries' own keys, a custom prefix and bare ids."""

from __future__ import annotations

import io
import json
from typing import Any

import redis
import redis.asyncio as aioredis

from redis_tui.cli.sessions import main
from redis_tui.data.sessions import Session
from redis_tui.data.sessions.hints import framework_hint
from redis_tui.demo.server import EmbeddedServer
from tests.integration.test_sessions_stores import collect, load
from tests.unit.test_sessions_detect import detect_record, expected_id, record_id, value_of
from tests.unit.test_sessions_stores_js_py import NODE, PY

NEW = NODE + PY
# Empty sessions say nothing of their store: only a key pattern makes them sessions.
TELLING = [r for r in NEW if detect_record(r).data]


def check(session: Session, record: dict[str, Any], *, same_key: bool = True) -> None:
    assert session.framework == record["framework"], record_id(record)
    assert session.user == record["expected"]["user"], record_id(record)
    assert session.error is None
    assert 0 < session.ttl_ms <= record["ttl_ms"]
    if same_key:
        assert session.session_id == expected_id(record)


async def test_default_patterns_and_match(client: redis.Redis, aclient: aioredis.Redis) -> None:
    for record in NEW:
        load(client, record)
    client.set(b"0a1b2c3d-0000-4000-8000-000000000000", b'{"theme": "dark"}')  # a UUID, no session
    found = await collect(aclient)
    # With no patterns, discovery finds them all: koa's bare UUIDs and koa:sess:, fastify's
    # sess:, django-redis and cachelib under their own and custom prefixes.
    expected = {bytes.fromhex(r["key_hex"]): r for r in NEW}
    assert {r["framework"] for r in expected.values()} == {"koa", "fastify", "django", "flask"}
    assert set(found) == set(expected)
    for key, record in expected.items():
        check(found[key], record)
    prefixed = await collect(aclient, match="koa:*")
    assert {s.framework for s in prefixed.values()} == {"koa"} and len(prefixed) == 2
    for record in NEW:
        if record["key"].startswith("koa:"):
            check(prefixed[bytes.fromhex(record["key_hex"])], record)


async def test_custom_prefixes_and_bare_ids_are_sniffed(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    """The same payloads under a custom prefix and under bare ids: sniffing every key finds
    them from the value; a user's ``--match`` does too."""
    moved: dict[bytes, dict[str, Any]] = {}
    for n, record in enumerate(TELLING):
        key = (b"shop:s:" if n % 2 else b"") + record["expected"]["session_id"].encode()
        value = value_of(record)
        assert isinstance(value, bytes)
        client.set(key, value, px=record["ttl_ms"])
        moved[key] = record
    client.set(b"shop:s:not-a-session", b'{"cart": []}')
    found = await collect(aclient, sniff_all=True)
    assert set(found) == set(moved)
    for key, record in moved.items():
        check(found[key], record, same_key=False)
    matched = await collect(aclient, match="shop:s:*")
    for key, record in moved.items():
        if key.startswith(b"shop:s:"):
            check(matched[key], record, same_key=False)
    assert matched[b"shop:s:not-a-session"].framework == "unknown"


def test_headless_json(client: redis.Redis, server: EmbeddedServer) -> None:
    for record in NEW:
        load(client, record)
    out = io.StringIO()
    argv = ["-p", str(server.port), "--sniff-all"]
    assert main(argv, stdin=io.StringIO(), stdout=out) == 0
    objects = {obj["key"]: obj for obj in map(json.loads, out.getvalue().splitlines())}
    # Sniffing every key finds each session that says whose it is, and the empty ones under
    # a key that does (Django's cache keys).
    told = [r for r in NEW if r in TELLING or framework_hint(bytes.fromhex(r["key_hex"]))]
    assert set(objects) == {r["key"] for r in told} and len(told) > len(TELLING)
    for record in told:
        obj = objects[record["key"]]
        assert (obj["framework"], obj["user"], obj["session_id"]) == (
            record["framework"], record["expected"]["user"], expected_id(record),
        )  # fmt: skip
        assert 0 < obj["ttl_ms"] <= record["ttl_ms"]
        assert bool(obj["data"]) == (record in TELLING) and obj["error"] is None
    out = io.StringIO()  # the stores' keys given as patterns: their empty sessions too
    argv = ["-p", str(server.port), "--match", "*"]
    assert main(argv, stdin=io.StringIO(), stdout=out) == 0
    listed = {obj["key"]: obj for obj in map(json.loads, out.getvalue().splitlines())}
    assert set(listed) == {r["key"] for r in NEW}
