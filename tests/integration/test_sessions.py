"""Sessions against a real redis-server: every fixture record found by SCAN and decoded,
size caps, revoke, revoke a user's sessions, TTL changes, exact edits with conflict
detection, read-only refusal, hostile payloads, and 100k sessions streamed in pages."""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.data import sessions
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.sessions import ScanStats, Session, SessionPatterns, find_sessions
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import EditConflict, KeyMissing, ReadOnlyRefused
from tests.unit.test_sessions_detect import RECORDS, Boom, by, expected_id, record_id

DEFAULT = SessionPatterns().matcher()  # what the default prefixes name


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()


@pytest.fixture
def guard() -> WriteGuard:
    return WriteGuard(False, log=CommandLog())


def load(client: redis.Redis, record: dict[str, Any], key: bytes | None = None) -> bytes:
    key = key or bytes.fromhex(record["key_hex"])
    if record["type"] == "hash":
        fields = {bytes.fromhex(k): bytes.fromhex(v) for k, v in record["hash_hex"].items()}
        client.hset(key, mapping=fields)  # type: ignore[arg-type]
    else:
        client.set(key, bytes.fromhex(record["value_hex"]))
    if record["ttl_ms"] > 0:
        client.pexpire(key, record["ttl_ms"])
    return key


async def collect(client: aioredis.Redis, **kwargs: Any) -> list[Session]:
    found: list[Session] = []
    async for page in find_sessions(client, **kwargs):
        assert page, "pages are never empty"
        found.extend(page)
    return found


async def test_every_fixture_record_is_found_and_decoded(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    for record in RECORDS:
        load(client, record)
    # Noise the session patterns must skip or reject: cache entries, Spring's expiry keys.
    client.set(b"cache:user:1", b'{"id": 1}')
    client.set(b"laravel_database_laravel_cache:config", b's:5:"hello";')
    client.set(b"spring:session:sessions:expires:563d164c", b"")
    client.rpush(b"sess:list", b"x")
    found = {s.key: s for s in await collect(aclient)}
    # Discovery (no patterns given) finds every record, under default and custom prefixes.
    assert len(found) == len(RECORDS)
    by_patterns = {s.key for s in await collect(aclient, patterns=SessionPatterns())}
    assert by_patterns == {k for k in found if DEFAULT(k)}
    for record in RECORDS:
        session = found[bytes.fromhex(record["key_hex"])]
        assert session.framework == record["framework"], record_id(record)
        assert session.session_id == expected_id(record)
        assert session.user == record["expected"]["user"]
        assert session.error is None
        if record["ttl_ms"] > 0:
            assert 0 < session.ttl_ms <= record["ttl_ms"]
            assert session.expires_at is not None
        else:
            assert session.ttl_ms == -1
        json.dumps(sessions.to_json(session))
        if session.writable:
            raw = client.get(session.key)
            assert isinstance(raw, bytes)
            assert sessions.reencode(session, raw) == raw


async def test_filters_user_match_and_limit(client: redis.Redis, aclient: aioredis.Redis) -> None:
    for record in RECORDS:
        load(client, record)
    mine = await collect(aclient, user="42")
    of_42 = [r for r in RECORDS if r["expected"]["user"] == "42"]
    assert len(mine) == len(of_42)
    assert {s.framework for s in mine} == {r["framework"] for r in of_42}
    shared = await collect(aclient, match="sess:*")  # express-session's and @fastify/session's
    assert Counter(s.framework for s in shared) == {"express": 3, "fastify": 3}
    assert len(await collect(aclient, limit=5)) == 5
    one = SessionPatterns((b"PHPREDIS_SESSION:*",))
    assert {s.framework for s in await collect(aclient, patterns=one)} == {"php"}


async def test_custom_prefix_found_by_discovery_match_or_sniffing(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    record = by("flask", "msgpack")
    load(client, record, b"myapp:s:abc")
    assert await collect(aclient, patterns=SessionPatterns()) == []  # not under a pattern
    (discovered,) = await collect(aclient)
    assert discovered.key == b"myapp:s:abc" and discovered.framework == "flask"
    (found,) = await collect(aclient, match="myapp:s:*")
    assert found.framework == "flask" and found.user == "42" and found.session_id == "abc"
    (sniffed,) = await collect(aclient, sniff_all=True)
    assert sniffed.key == b"myapp:s:abc"


async def test_large_values_are_flagged_not_fetched(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    blob = {"cookie": {"path": "/"}, "passport": {"user": "1"}, "x": "y" * (10 * 1024 * 1024)}
    client.set(b"sess:huge", json.dumps(blob, separators=(",", ":")))
    client.hset(
        b"spring:session:sessions:wide", mapping={f"sessionAttr:{i}": "x" for i in range(1500)}
    )
    client.hset(b"spring:session:sessions:wide", b"creationTime", b"1")
    stats = ScanStats()
    found = {s.key: s for s in await collect(aclient, stats=stats)}
    huge = found[b"sess:huge"]
    assert huge.framework == "express" and huge.error is not None
    assert huge.error.startswith("too large to decode (")
    assert huge.size > 10 * 1024 * 1024 and huge.data is None and not huge.writable
    wide = found[b"spring:session:sessions:wide"]
    assert wide.framework == "spring" and wide.error == "too large to decode (1501 fields)"
    assert stats.done and stats.found == 2 and stats.scanned == 2


async def test_hostile_pickle_in_redis_is_not_executed(
    client: redis.Redis, aclient: aioredis.Redis, tmp_path: Path
) -> None:
    target = tmp_path / "pwned"
    client.set(
        b":1:django.contrib.sessions.cacheevil",
        pickle.dumps({"_auth_user_id": "7", "x": Boom(str(target))}),
    )
    client.set(b"session:corrupt", b"\x80\x04\x95\xff\xff\xff")
    found = {s.key: s for s in await collect(aclient)}
    evil = found[b":1:django.contrib.sessions.cacheevil"]
    assert evil.user == "7" and evil.framework == "django"
    assert found[b"session:corrupt"].error
    assert not target.exists()


async def test_revoke_and_revoke_user(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    for record in RECORDS:
        load(client, record)
    express = await collect(aclient, match="sess:*")
    assert await sessions.revoke(aclient, guard, [s.key for s in express]) == 6  # + fastify
    assert client.exists(*[s.key for s in express]) == 0
    preview = await sessions.sessions_of_user(aclient, None, "42")
    assert preview and all(s.user == "42" for s in preview)
    # A session of the user created after the preview is not deleted unseen.
    late = by("flask", "json")
    load(client, late, b"session:late-login")
    deleted = await sessions.revoke_user(
        aclient, guard, None, "42", expected=[s.key for s in preview]
    )
    assert sorted(deleted) == sorted(s.key for s in preview)
    assert client.exists(b"session:late-login") == 1
    assert [s.key for s in await collect(aclient, user="42")] == [b"session:late-login"]
    anonymous = [s for s in await collect(aclient) if s.user is None]
    assert len(anonymous) == sum(
        1 for r in RECORDS
        if r["expected"]["user"] is None and r["framework"] not in ("express", "fastify")
    )  # fmt: skip
    assert guard.log is not None and len(guard.log) > 0


async def test_readonly_refuses_every_session_write(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    record = by("express", "json")
    key = load(client, record)
    readonly = WriteGuard(True)
    (session,) = await collect(aclient, match="sess:*")
    with pytest.raises(ReadOnlyRefused):
        await sessions.revoke(aclient, readonly, [key])
    with pytest.raises(ReadOnlyRefused):
        await sessions.revoke_user(aclient, readonly, None, "42")
    with pytest.raises(ReadOnlyRefused):
        await sessions.extend(aclient, readonly, key, 10_000)
    with pytest.raises(ReadOnlyRefused):
        await sessions.edit_attribute(aclient, readonly, session, ["views"], 1)
    assert client.get(key) == bytes.fromhex(record["value_hex"])


async def test_extend_and_shorten_ttl(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    key = load(client, by("rails", "marshal"))
    await sessions.extend(aclient, guard, key, 9_000_000)
    assert 8_000_000 < client.pttl(key) <= 9_000_000
    await sessions.extend(aclient, guard, key, 5_000)
    assert 0 < client.pttl(key) <= 5_000
    await sessions.extend(aclient, guard, key, None)
    assert client.pttl(key) == -1
    client.delete(key)
    with pytest.raises(KeyMissing):
        await sessions.extend(aclient, guard, key, 1000)


@pytest.mark.parametrize(
    ("framework", "variant", "path", "new"),
    [
        ("express", "json", ["passport", "user"], "99"),
        ("flask", "msgpack", ["_user_id"], "99"),
        (
            "laravel",
            "php_serialize_nested",
            ["login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d"],
            99,
        ),
        ("aiohttp", "json", ["user_id"], "99"),
        ("starlette", "json", ["user_id"], "99"),
        ("rails", "json", ["warden.user.user.key", 0, 0], 99),
    ],
)
async def test_edit_attribute_writes_back_exactly_and_keeps_ttl(
    client: redis.Redis,
    aclient: aioredis.Redis,
    guard: WriteGuard,
    framework: str,
    variant: str,
    path: list[str | int],
    new: Any,
) -> None:
    record = by(framework, variant)
    key = load(client, record)
    client.pexpire(key, 3_600_000)
    session = await sessions.load_session(aclient, key)
    assert session is not None and session.writable and session.user == "42"
    result = await sessions.edit_attribute(aclient, guard, session, path, new)
    assert result.key == key
    assert 3_000_000 < client.pttl(key) <= 3_600_000  # KEEPTTL
    after = await sessions.load_session(aclient, key)
    assert after is not None and after.user == "99" and after.framework == framework
    assert after.writable  # still exactly re-encodable
    # Changing it back gives the original bytes.
    old = sessions.decode_exact(after.format, after.layers, bytes.fromhex(record["value_hex"]))
    for step in (*after.root, *path):
        old = old[step]
    await sessions.edit_attribute(aclient, guard, after, path, old)
    assert client.get(key) == bytes.fromhex(record["value_hex"])


async def test_edit_conflicts_and_refusals(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    key = load(client, by("express", "json"))
    session = await sessions.load_session(aclient, key)
    assert session is not None
    client.append(key, b" ")  # the app rewrote it meanwhile
    with pytest.raises(EditConflict):
        await sessions.edit_attribute(aclient, guard, session, ["userId"], 1)
    client.delete(key)
    with pytest.raises(KeyMissing):
        await sessions.edit_attribute(aclient, guard, session, ["userId"], 1)
    pickled = load(client, by("django", "pickle"))
    django = await sessions.load_session(aclient, pickled)
    assert django is not None
    with pytest.raises(sessions.EditRefused, match="pickle"):
        await sessions.edit_attribute(aclient, guard, django, ["_auth_user_id"], "1")
    assert client.get(pickled) == bytes.fromhex(by("django", "pickle")["value_hex"])


@pytest.mark.slow
async def test_100k_sessions_stream_in_pages(client: redis.Redis, aclient: aioredis.Redis) -> None:
    template = json.loads(bytes.fromhex(by("express", "json")["value_hex"]))
    total = 100_000
    pipe = client.pipeline(transaction=False)
    for i in range(total):
        template["passport"]["user"] = str(i % 1000)
        pipe.set(f"sess:{i:08d}", json.dumps(template, separators=(",", ":")), ex=3600)
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    for i in range(20_000):  # other keys the scan walks past
        pipe.set(f"cache:{i}", b"x")
    pipe.execute()
    count = 0
    pages = 0
    stats = ScanStats()
    async for page in find_sessions(aclient, stats=stats, page=500):
        assert 0 < len(page) <= 500
        count += len(page)
        pages += 1
    assert count == total and pages >= total // 500
    assert stats.scanned == total + 20_000
    # The user filter runs over the same stream.
    assert len(await collect(aclient, user="7")) == total // 1000


async def test_a_revoke_keeps_one_undo_for_all_its_sessions(
    client: redis.Redis, aclient: aioredis.Redis
) -> None:
    from redis_tui.data.edit.undo import UndoStack
    from redis_tui.data.sessions import RevokeSessions, apply_session_action
    from redis_tui.errors import EditConflict

    for record in RECORDS:
        load(client, record)
    found = [s for s in await collect(aclient) if s.ttl_ms > 0][:3]
    keys = tuple(s.key for s in found)
    before = {k: (client.dump(k), client.pttl(k)) for k in keys}
    guard = WriteGuard(False, log=CommandLog(), undo=UndoStack())
    done = await apply_session_action(aclient, guard, RevokeSessions(keys))
    assert done.message == "Revoked 3 sessions" and not any(client.exists(k) for k in keys)
    client.set(keys[1], b"re-created meanwhile")
    with pytest.raises(EditConflict, match="2 restored"):
        await guard.undo.restore_change(aclient, guard)  # type: ignore[union-attr]
    for key in (keys[0], keys[2]):
        assert client.dump(key) == before[key][0] and 0 < client.pttl(key) <= before[key][1]
    assert client.get(keys[1]) == b"re-created meanwhile"  # left as it is, the entry kept
    client.delete(keys[1])
    (entry,) = await guard.undo.restore_change(aclient, guard)  # type: ignore[union-attr]
    assert entry.key == keys[1] and client.dump(keys[1]) == before[keys[1]][0]
