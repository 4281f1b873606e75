"""Typed session actions without a server: frozen values, the names the worker reports, and
the refusals that come before any I/O (read-only, a session that cannot be written back)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from redis_tui.data import sessions
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.sessions import (
    EditSessionAttribute,
    ExtendSession,
    RevokeSessions,
    RevokeUser,
    Session,
    SessionAction,
    SessionPatterns,
)
from redis_tui.errors import ReadOnlyRefused

SESSION = Session(b"sess:abc", "express", "json", "abc", writable=True)
ACTIONS: list[SessionAction] = [
    RevokeSessions((b"sess:a", b"sess:b")),
    RevokeUser("42", expected=(b"sess:a",)),
    ExtendSession(b"sess:a", 60_000),
    EditSessionAttribute(SESSION, ("cart", 0), {"sku": "x", "qty": [1, 2.5, None, True]}),
]


@pytest.fixture
async def client() -> AsyncIterator[aioredis.Redis]:
    # Nothing listens on port 1: every test here must finish before any command is sent.
    client = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    yield client
    await client.aclose()


def test_the_union_names_every_action() -> None:
    assert set(typing.get_args(SessionAction)) == {type(action) for action in ACTIONS}
    assert all(isinstance(action, SessionAction) for action in ACTIONS)


def test_ops_are_what_the_worker_reports() -> None:
    # SessionsChanged.op: the app drops the rows of "revoke" and "revoke_user".
    assert [action.op for action in ACTIONS] == [
        "revoke",
        "revoke_user",
        "extend",
        "edit_attribute",
    ]
    assert all("op" not in {f.name for f in dataclasses.fields(action)} for action in ACTIONS)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: type(a).__name__)
def test_actions_are_frozen(action: SessionAction) -> None:
    name = dataclasses.fields(action)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(action, name, None)


def test_actions_without_a_session_are_values() -> None:
    patterns = SessionPatterns.of(["s:*"])
    same = [
        (RevokeSessions((b"k",)), RevokeSessions((b"k",))),
        (RevokeUser("u", (b"k",), patterns), RevokeUser("u", (b"k",), SessionPatterns.of(["s:*"]))),
        (ExtendSession(b"k", None), ExtendSession(b"k", None)),
    ]
    for one, other in same:
        assert one == other and hash(one) == hash(other)
    assert len({a for pair in same for a in pair}) == 3
    assert RevokeUser("u") != RevokeUser("u", expected=())
    assert RevokeUser("u").patterns is None
    assert RevokeUser("u").user_paths == sessions.DEFAULT_USER_PATHS


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: type(a).__name__)
async def test_read_only_refuses_before_any_command(
    client: aioredis.Redis, action: SessionAction
) -> None:
    readonly = WriteGuard(True)
    with pytest.raises(ReadOnlyRefused):
        await sessions.apply_session_action(client, readonly, action)


async def test_a_session_that_cannot_be_written_back_is_refused_before_reading(
    client: aioredis.Redis,
) -> None:
    pickled = Session(b"session:x", "django", "pickle", "x", refusal="pickle cannot be re-encoded")
    action = EditSessionAttribute(pickled, ("_auth_user_id",), "7")
    with pytest.raises(sessions.EditRefused, match="pickle cannot be re-encoded"):
        await sessions.apply_session_action(client, WriteGuard(False), action)
