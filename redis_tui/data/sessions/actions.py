"""Session actions: revoke, revoke every session of a user, set the TTL, edit one attribute.

Each action is a frozen dataclass (:data:`SessionAction`); :func:`apply_session_action` runs
one. The functions below it do the work and can be called directly (the headless command
does). Every write passes the read-only guard first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeAlias, assert_never

import redis.asyncio as aioredis

from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.ops import SetString, SetTtl, apply
from redis_tui.data.edit.txn import EditResult
from redis_tui.data.edit.version import key_version
from redis_tui.data.sessions.encode import encode_edit
from redis_tui.data.sessions.model import (
    DEFAULT_USER_PATHS,
    MAX_VALUE_BYTES,
    EditRefused,
    JSONValue,
    Session,
    SessionPatterns,
)
from redis_tui.data.sessions.scan import ScanStats, find_sessions
from redis_tui.data.values.display import escape_key
from redis_tui.errors import EditConflict, KeyMissing, RedisTuiError, translate

REVOKE_BATCH = 500
UNDO_KEYS = 1000
"""Sessions of one revoke kept for undo (DUMP with TTL); a bigger revoke keeps none."""


async def _keep_for_undo(
    client: aioredis.Redis, guard: WriteGuard, keys: Sequence[bytes], what: str
) -> int:
    """DUMP and PTTL of each session before it is deleted, as one undo group, so ``u``
    brings them back with their TTL. Returns how many were kept."""
    if guard.undo is None or not keys or len(keys) > UNDO_KEYS:
        return 0
    group = guard.undo.new_group()
    kept = 0
    for key in keys:
        try:
            entry = await guard.undo.snapshot(client, key, op=what, group=group)
        except RedisTuiError:
            entry = None  # no undo for this one (DUMP refused): the revoke still goes ahead
        kept += entry is not None
    return kept


async def revoke(client: aioredis.Redis, guard: WriteGuard, keys: Sequence[bytes]) -> int:
    """Delete sessions (``UNLINK``, pipelined in batches), each kept for undo first (up to
    ``UNDO_KEYS``). Returns how many existed.

    Raises:
        ReadOnlyRefused: the connection is read-only (nothing is deleted).
    """
    guard.check("revoke sessions")
    removed = 0
    what = f"revoke {len(keys)} sessions"
    if len(keys) == 1:
        what = f"revoke session {escape_key(keys[0])}"
    await _keep_for_undo(client, guard, keys, what)
    try:
        for start in range(0, len(keys), REVOKE_BATCH):
            chunk = list(keys[start : start + REVOKE_BATCH])
            pipe = client.pipeline(transaction=False)
            for key in chunk:
                pipe.execute_command("UNLINK", key)
            replies = await pipe.execute(raise_on_error=False)
            if guard.log is not None:
                guard.log.extend([("UNLINK", k) for k in chunk], replies, op="revoke session")
            for reply in replies:
                if isinstance(reply, BaseException):
                    raise reply
                removed += int(reply)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return removed


async def sessions_of_user(
    client: aioredis.Redis,
    patterns: SessionPatterns | None,
    user_id: str,
    *,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    stats: ScanStats | None = None,
) -> list[Session]:
    """Every session of ``user_id`` (the preview before :func:`revoke_user`)."""
    found: list[Session] = []
    async for page in find_sessions(
        client, patterns, user=user_id, user_paths=user_paths, stats=stats
    ):
        found.extend(page)
    return found


async def revoke_user(
    client: aioredis.Redis,
    guard: WriteGuard,
    patterns: SessionPatterns | None,
    user_id: str,
    *,
    expected: Sequence[bytes] | None = None,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
) -> list[bytes]:
    """Delete every session of ``user_id``; returns the keys deleted.

    The sessions are looked up again now: with ``expected`` (the keys of the preview the
    user confirmed), only those that still belong to the user are deleted, so a session
    created after the preview is not deleted unseen.

    Raises:
        ReadOnlyRefused: the connection is read-only (checked before scanning).
    """
    guard.check("revoke sessions")
    current = await sessions_of_user(client, patterns, user_id, user_paths=user_paths)
    keys = [s.key for s in current]
    if expected is not None:
        allowed = set(expected)
        keys = [k for k in keys if k in allowed]
    if not keys:
        return []
    await _keep_for_undo(
        client, guard, keys, f"revoke {len(keys)} session{_plural(len(keys))} of user {user_id}"
    )
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("UNLINK", key)
    guard.check("revoke sessions")
    try:
        replies = await pipe.execute(raise_on_error=False)
    except Exception as exc:
        raise translate(exc) from exc
    if guard.log is not None:
        guard.log.extend([("UNLINK", k) for k in keys], replies, op="revoke user sessions")
    return [k for k, r in zip(keys, replies, strict=True) if isinstance(r, int) and r > 0]


async def extend(
    client: aioredis.Redis, guard: WriteGuard, key: bytes, ttl_ms: int | None
) -> EditResult:
    """Set a session's TTL (longer or shorter; None removes it), version-checked.

    The payload's own expiry (express ``cookie.expires``, Spring ``lastAccessedTime``) is
    left as it is: the framework rewrites it on the user's next request.

    Raises:
        ReadOnlyRefused, EditConflict (deleted meanwhile), ValueError (ttl_ms <= 0).
    """
    guard.check("set ttl")
    version = await key_version(client, key)
    if not version.exists:
        raise KeyMissing("The session is gone (logged out or expired)")
    return await apply(client, guard, SetTtl(key, version, ttl_ms))


async def edit_attribute(
    client: aioredis.Redis,
    guard: WriteGuard,
    session: Session,
    path: Sequence[str | int],
    new_value: object,
    *,
    delete: bool = False,
) -> EditResult:
    """Set (or remove) one attribute of a session and write it back exactly, keeping its
    TTL (``SET KEEPTTL``), if the session is still what ``session`` was decoded from.

    Raises:
        ReadOnlyRefused; EditRefused (format not writable: pickle, Marshal, JDK, igbinary;
        bad path or value); EditConflict (the session changed since it was loaded);
        KeyMissing (it is gone).
    """
    guard.check("edit session")
    if not session.writable:
        raise EditRefused(f"Cannot edit this session: {session.refusal or 'not writable'}")
    try:
        version = await key_version(client, session.key)
        if version.type == "string" and version.length > MAX_VALUE_BYTES:
            # Bounded like every read: a session this big was never decoded to edit anyway.
            raise EditRefused(f"Cannot edit: the session is {version.length:,} bytes now")
        raw = await client.execute_command("GET", session.key)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    if raw is None:
        raise KeyMissing("The session is gone (logged out or expired)")
    if hashlib.sha1(raw, usedforsecurity=False).hexdigest() != session.digest:
        raise EditConflict(
            "The session changed since it was loaded; reload it and edit again",
            current="value changed",
            key=session.key,
            version=version,
        )
    new_raw = encode_edit(session, raw, path, new_value, delete=delete)
    return await apply(client, guard, SetString(session.key, version, new_raw, keep_ttl=True))


# -- typed actions ------------------------------------------------------------------------


@dataclass(frozen=True)
class RevokeSessions:
    """Delete these sessions (see :func:`revoke`)."""

    op: ClassVar[str] = "revoke"
    keys: tuple[bytes, ...]


@dataclass(frozen=True)
class RevokeUser:
    """Delete every session of ``user``; with ``expected`` (the preview the user confirmed),
    only those of its keys that still belong to the user (see :func:`revoke_user`)."""

    op: ClassVar[str] = "revoke_user"
    user: str
    expected: tuple[bytes, ...] | None = None
    patterns: SessionPatterns | None = None
    user_paths: tuple[str, ...] = DEFAULT_USER_PATHS


@dataclass(frozen=True)
class ExtendSession:
    """Set a session's TTL; None removes it (see :func:`extend`)."""

    op: ClassVar[str] = "extend"
    key: bytes
    ttl_ms: int | None


@dataclass(frozen=True)
class EditSessionAttribute:
    """Set (or, with ``delete``, remove) the attribute at ``path`` of ``session``, if the
    session is still what it was decoded from (see :func:`edit_attribute`). Not hashable:
    it carries the session and a JSON value."""

    op: ClassVar[str] = "edit_attribute"
    session: Session
    path: tuple[str | int, ...]
    value: JSONValue
    delete: bool = False


SessionAction: TypeAlias = RevokeSessions | RevokeUser | ExtendSession | EditSessionAttribute


@dataclass(frozen=True)
class SessionActionDone:
    """What a session action did: a line for the user and the keys it touched."""

    message: str
    keys: tuple[bytes, ...]


async def apply_session_action(
    client: aioredis.Redis, guard: WriteGuard, action: SessionAction
) -> SessionActionDone:
    """Run one session action.

    Raises:
        ReadOnlyRefused, EditRefused, EditConflict, KeyMissing: as the action's function.
    """
    match action:
        case RevokeSessions(keys=keys):
            removed = await revoke(client, guard, keys)
            return SessionActionDone(f"Revoked {removed} session{_plural(removed)}", keys)
        case RevokeUser():
            deleted = await revoke_user(
                client, guard, action.patterns, action.user, expected=action.expected,
                user_paths=action.user_paths,
            )  # fmt: skip
            message = f"Revoked {len(deleted)} session{_plural(len(deleted))} of user {action.user}"
            return SessionActionDone(message, tuple(deleted))
        case ExtendSession(key=key, ttl_ms=ttl_ms):
            result = await extend(client, guard, key, ttl_ms)
            return SessionActionDone(result.message, (result.key,))
        case EditSessionAttribute():
            result = await edit_attribute(
                client, guard, action.session, action.path, action.value, delete=action.delete
            )
            return SessionActionDone(result.message, (result.key,))
        case _:
            assert_never(action)


def _plural(count: int) -> str:
    return "s" if count != 1 else ""
