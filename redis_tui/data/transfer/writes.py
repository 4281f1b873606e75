"""What an import sends for one key: batches into a temporary name, then one MULTI that
sets the TTL and renames it over the key, so a failure never leaves a half key.

A key is written under ``temp_name(key)`` (same hash slot, so RENAME works on a cluster), in
commands of at most ``BATCH`` items (HSET, SADD, ZADD, RPUSH, XADD per entry, SET then APPEND
per 1 MB chunk). A key that fits in ``PENDING_BYTES`` goes out as one MULTI; a bigger one is
sent in batches first (its temporary name expiring in an hour, in case the import dies), and
the last MULTI is ``PEXPIREAT``/``PERSIST`` → ``EXISTS key`` → ``RENAME`` (replace) or
``RENAMENX`` (skip: a key that exists is left alone) → ``DEL temp``. A DUMP payload is one
``MULTI EXISTS key; RESTORE key expire payload ABSTTL [REPLACE]``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.crc import key_slot

from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.routing import on_owner
from redis_tui.data.transfer.fileformat import KeyStart, TransferRefused, to_bytes
from redis_tui.errors import translate

BATCH = 500
PENDING_BYTES = 4 * 1024 * 1024
PENDING_COMMANDS = 64
TEMP_TTL_MS = 3_600_000

Outcome = Literal["created", "replaced", "skipped"]
Command = tuple[Any, ...]


def hashtag(key: bytes) -> bytes | None:
    """The ``{tag}`` that decides a key's cluster slot, or None (the whole key does)."""
    start = key.find(b"{")
    if start < 0:
        return None
    end = key.find(b"}", start + 1)
    return key[start + 1 : end] if end > start + 1 else None


def temp_name(key: bytes, token: bytes | None = None) -> bytes:
    """A new name in ``key``'s hash slot (so ``RENAME temp key`` works on a cluster)."""
    suffix = b":redis-tui-import:" + (token or os.urandom(6).hex().encode())
    if hashtag(key) is not None:
        return key + suffix  # the same first {tag}
    if b"{" not in key and b"}" not in key:
        return b"{" + key + b"}" + suffix
    slot = key_slot(key)
    for i in itertools.count():  # ~16,384 tries on average, a few ms
        tag = b"%d" % i
        if key_slot(tag) == slot:
            return b"{" + tag + b"}" + suffix
    raise AssertionError("unreachable")


def commands(kind: str, temp: bytes, data: Any, first: bool, where: str) -> Iterator[Command]:
    """The commands that write one ``data`` page of the file into ``temp``.

    Raises:
        TransferRefused: the page is not what its type holds.
    """
    try:
        if kind == "string":
            yield ("SET" if first else "APPEND", temp, to_bytes(data, where))
            return
        if not isinstance(data, list):
            raise TypeError
        for start in range(0, len(data), BATCH):
            part = data[start : start + BATCH]
            if kind == "hash":
                yield ("HSET", temp, *(to_bytes(x, where) for f, v in part for x in (f, v)))
            elif kind == "set":
                yield ("SADD", temp, *(to_bytes(m, where) for m in part))
            elif kind == "zset":
                args = (x for m, s in part for x in (_score(s), to_bytes(m, where)))
                yield ("ZADD", temp, *args)
            elif kind == "list":
                yield ("RPUSH", temp, *(to_bytes(v, where) for v in part))
            elif kind == "stream":
                for ident, fields in part:
                    flat = (to_bytes(x, where) for f, v in fields for x in (f, v))
                    yield ("XADD", temp, str(ident), *flat)
            else:
                raise TypeError
    except (TypeError, ValueError):
        raise TransferRefused(f"{where}: not a page of a {kind}") from None


def _score(score: Any) -> str:
    text = str(score)
    float(text)  # ValueError for anything ZADD would refuse
    return text


def empty_value(kind: str, temp: bytes) -> list[Command]:
    """Commands for a value with no page: an empty string, an empty stream."""
    if kind == "string":
        return [("SET", temp, b"")]
    if kind == "stream":
        return [
            ("XGROUP", "CREATE", temp, "redis-tui-import", "$", "MKSTREAM"),
            ("XGROUP", "DESTROY", temp, "redis-tui-import"),
        ]
    return []


def size(command: Command) -> int:
    return sum(len(a) if isinstance(a, bytes) else 8 for a in command)


async def send(client: aioredis.Redis, guard: WriteGuard, op: str, batch: list[Command]) -> None:
    """Commands to the temporary name, one by one (routed on a cluster), each logged."""
    for command in batch:
        try:
            reply = await client.execute_command(*command)
        except Exception as exc:
            if guard.log is not None:
                guard.log.append(command, exc, ok=False, op=op)
            raise translate(exc) from exc
        if guard.log is not None:
            guard.log.append(command, reply, op=op)


async def finish(
    client: aioredis.Redis,
    guard: WriteGuard,
    op: str,
    start: KeyStart,
    temp: bytes,
    pending: list[Command],
    replace: bool,
) -> Outcome:
    """One MULTI: the rest of the value, its TTL, then the rename over the key."""
    key = start.key
    expiry: Command = (
        ("PEXPIREAT", temp, start.expire_at_ms)
        if start.expire_at_ms is not None
        else ("PERSIST", temp)
    )
    tail: list[Command] = [
        expiry,
        ("EXISTS", key),
        ("RENAME" if replace else "RENAMENX", temp, key),
        ("DEL", temp),
    ]
    replies = await _multi(client, guard, op, key, [*pending, *tail])
    existed, renamed = replies[-3], replies[-2]
    if not replace and not renamed:
        return "skipped"
    return "replaced" if existed else "created"


async def restore(
    client: aioredis.Redis,
    guard: WriteGuard,
    op: str,
    start: KeyStart,
    payload: bytes,
    replace: bool,
) -> Outcome:
    """RESTORE a DUMP payload with its absolute expiry (REPLACE only when replacing)."""
    restore_cmd: Command = (
        "RESTORE",
        start.key,
        start.expire_at_ms or 0,
        payload,
        *(("ABSTTL",) if start.expire_at_ms else ()),
        *(("REPLACE",) if replace else ()),
    )
    replies = await _multi(
        client, guard, op, start.key, [("EXISTS", start.key), restore_cmd], busy_ok=not replace
    )
    if isinstance(replies[1], BaseException):
        return "skipped"  # BUSYKEY: it exists and the policy keeps it
    return "replaced" if replies[0] else "created"


async def _multi(
    client: aioredis.Redis,
    guard: WriteGuard,
    op: str,
    key: bytes,
    batch: list[Command],
    busy_ok: bool = False,
) -> list[Any]:
    async def run(conn: aioredis.Redis) -> list[Any]:
        async with conn.pipeline(transaction=True) as pipe:
            for command in batch:
                pipe.execute_command(*command)
            return list(await pipe.execute(raise_on_error=False))

    try:
        replies = await on_owner(client, guard.log, op, key, run)
    except Exception as exc:
        if guard.log is not None:
            guard.log.append(batch[-1], exc, ok=False, op=op)
        raise translate(exc) from exc
    if guard.log is not None:
        guard.log.extend(batch, replies, op=op)
    for reply in replies:
        if isinstance(reply, BaseException):
            if busy_ok and "BUSYKEY" in str(reply):
                continue
            raise translate(reply)
    return replies


async def discard(client: aioredis.Redis, guard: WriteGuard, op: str, temp: bytes) -> None:
    """Remove a half-written temporary key (after a failure or a cancel); best effort."""
    with contextlib.suppress(Exception):  # the temporary name expires within the hour
        await send(client, guard, op, [("DEL", temp)])
