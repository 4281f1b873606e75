"""Symfony, PHP msgpack, Rails CacheStore and Spring's indexed repository against a real
redis-server: ``find_sessions`` with explicit patterns lists every session of these stores
(default and custom prefixes), never Spring's expires markers, principal indexes or
expiration sets, and names those keys in each Spring session's ``related``."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis

from redis_tui.data import sessions
from redis_tui.data.sessions import Session, SessionPatterns, find_sessions, load_session
from tests.unit.test_sessions_detect import RELATED, expected_id, record_id
from tests.unit.test_sessions_stores_php_ruby_jvm import NEW


def load(client: redis.Redis, record: dict[str, Any]) -> bytes:
    key = bytes.fromhex(record["key_hex"])
    if record["type"] == "hash":
        fields = {bytes.fromhex(k): bytes.fromhex(v) for k, v in record["hash_hex"].items()}
        client.hset(key, mapping=fields)  # type: ignore[arg-type]
    elif record["type"] == "set":
        client.sadd(key, *(bytes.fromhex(m) for m in record["members_hex"]))
    else:
        client.set(key, bytes.fromhex(record["value_hex"]))
    if record["ttl_ms"] > 0:
        client.pexpire(key, record["ttl_ms"])
    return key


async def collect(client: aioredis.Redis, **kwargs: Any) -> dict[bytes, Session]:
    found: dict[bytes, Session] = {}
    async for page in find_sessions(client, **kwargs):
        found.update((s.key, s) for s in page)
    return found


def related_of(record: dict[str, Any]) -> list[bytes]:
    return sorted(
        bytes.fromhex(r["key_hex"]) for r in RELATED if record["key"] in r["expected"]["related_to"]
    )


PATTERNS = SessionPatterns.of(
    ["sf_s*", "myapp:*", "_session_id:*", "spring:session:*", "PHPREDIS_SESSION:*"]
)


async def test_explicit_patterns_list_sessions_not_bookkeeping(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    for record in NEW + RELATED:
        load(client, record)
    client.set(b"sf_settings", b'{"theme": "dark"}')  # not Symfony's, despite the prefix
    found = await collect(aclient, patterns=PATTERNS)
    assert set(found) == {bytes.fromhex(r["key_hex"]) for r in NEW}
    assert not {bytes.fromhex(r["key_hex"]) for r in RELATED} & set(found)
    for record in NEW:
        session = found[bytes.fromhex(record["key_hex"])]
        assert session.framework == record["framework"], record_id(record)
        assert session.user == record["expected"]["user"]
        assert session.session_id == expected_id(record)
        assert session.error is None and 0 < session.ttl_ms <= record["ttl_ms"]
        # Each Spring session names the keys its repository keeps for it; others none.
        assert sorted(k for k, _what in session.related) == related_of(record)
    indexed = found[bytes.fromhex(next(r for r in NEW if r["variant"] == "indexed-namespace"
                                       and r["expected"]["user"] == "zoë")["key_hex"])]  # fmt: skip
    out = sessions.to_json(indexed)["related"]
    assert sorted(r["key"] for r in out) == sorted(k.decode() for k, _what in indexed.related)
    whats = sorted(what.split(" ")[0] for _k, what in indexed.related)
    assert whats == ["expirations", "expires", "principal"]
    assert any(what == "principal index of zoë" for _k, what in indexed.related)


async def test_a_match_of_one_namespace_skips_its_bookkeeping(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    """``--match`` takes every key it matches as a session candidate (unknown payloads too):
    Spring's marker and sets under the namespace are still not sessions."""
    for record in NEW + RELATED:
        load(client, record)
    found = await collect(aclient, match="myapp:*")
    expected = {bytes.fromhex(r["key_hex"]) for r in NEW if r["key"].startswith("myapp:")}
    assert set(found) == expected
    assert {s.framework for s in found.values()} == {"symfony", "php", "rails", "spring"}
    spring = [s for s in found.values() if s.framework == "spring"]
    assert len(spring) == 4 and all(s.related for s in spring)


async def test_load_session_fills_related_and_follows_redis(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    for record in NEW + RELATED:
        load(client, record)
    record = next(r for r in NEW if r["variant"] == "indexed" and r["expected"]["user"] == "ann")
    key = bytes.fromhex(record["key_hex"])
    session = await load_session(aclient, key)
    assert session is not None and sorted(k for k, _ in session.related) == related_of(record)
    marker = next(k for k, what in session.related if what == "expires marker")
    client.delete(marker)  # the marker expired: Spring is about to fire the session's events
    again = await load_session(aclient, key)
    assert again is not None and marker not in {k for k, _ in again.related}
    assert len(again.related) == len(session.related) - 1
    plain = next(r for r in NEW if r["variant"] == "jdk")
    found = await load_session(aclient, bytes.fromhex(plain["key_hex"]))
    assert found is not None and found.related == []  # RedisSessionRepository keeps none
