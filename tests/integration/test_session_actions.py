"""``apply_session_action`` against a real redis-server: each action does what its function
does, and reports the line and the keys the worker posts in ``SessionsChanged``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.data import sessions
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.sessions import (
    EditSessionAttribute,
    ExtendSession,
    RevokeSessions,
    RevokeUser,
    SessionActionDone,
)
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import EditConflict
from tests.integration.test_sessions import load
from tests.unit.test_sessions_detect import by


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()


@pytest.fixture
def guard() -> WriteGuard:
    return WriteGuard(False, log=CommandLog())


async def test_revoke_counts_the_sessions_that_existed(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    key = load(client, by("express", "json"))
    action = RevokeSessions((key, b"sess:gone"))
    done = await sessions.apply_session_action(aclient, guard, action)
    assert done == SessionActionDone("Revoked 1 session", (key, b"sess:gone"))
    assert client.exists(key) == 0
    done = await sessions.apply_session_action(aclient, guard, action)
    assert done.message == "Revoked 0 sessions"


async def test_revoke_user_deletes_only_the_confirmed_sessions(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    first = load(client, by("express", "json"))
    second = load(client, by("flask", "json"))
    done = await sessions.apply_session_action(
        aclient, guard, RevokeUser("42", expected=(first, second))
    )
    assert sorted(done.keys) == sorted((first, second))
    assert done.message == "Revoked 2 sessions of user 42"
    assert client.exists(first, second) == 0


async def test_extend_and_edit_report_the_edit(
    client: redis.Redis, aclient: aioredis.Redis, guard: WriteGuard
) -> None:
    key = load(client, by("express", "json"))
    done = await sessions.apply_session_action(aclient, guard, ExtendSession(key, 9_000_000))
    assert done.keys == (key,) and done.message
    assert 8_000_000 < client.pttl(key) <= 9_000_000
    session = await sessions.load_session(aclient, key)
    assert session is not None
    edit = EditSessionAttribute(session, ("passport", "user"), "99")
    done = await sessions.apply_session_action(aclient, guard, edit)
    assert done.keys == (key,) and done.message
    after = await sessions.load_session(aclient, key)
    assert after is not None and after.user == "99"
    assert 8_000_000 < client.pttl(key) <= 9_000_000  # KEEPTTL
    with pytest.raises(EditConflict):  # the action still holds the session as first read
        await sessions.apply_session_action(aclient, guard, edit)
