"""Pipelined reads at the server's speed: commands encoded once, replies read off one
connection of the client's pool, errors kept inline.

redis-py's pipeline spends ~25 µs of Python per command (a Command object, packing, a
response callback); a page of 1000 sessions needs 2000 commands. Here a batch is one
pre-encoded buffer and each reply costs one parser call. Not for a cluster (its keys live on
several nodes): :func:`supported` says when the caller must keep the pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.cluster import RedisCluster

try:
    import hiredis
except ImportError:  # pragma: no cover - hiredis is a dependency; keep the slow path working
    hiredis = None  # type: ignore[assignment]

READ_CHUNK = 1 << 18

_PTTL = b"*2\r\n$4\r\nPTTL\r\n$%d\r\n%s\r\n"


async def _read_all(
    stream: asyncio.StreamReader, count: int, replies: list[Any], timeout: float | None
) -> None:
    parser = hiredis.Reader(replyError=rex.ResponseError, protocolError=rex.InvalidResponse)
    gets = parser.gets
    append = replies.append
    while len(replies) < count:
        async with asyncio.timeout(timeout):  # the client's socket timeout, per read
            data = await stream.read(READ_CHUNK)
        if not data:
            raise rex.ConnectionError("the server closed the connection")
        parser.feed(data)
        reply = gets()
        while reply is not False:
            append(reply)
            reply = gets()
    if len(replies) != count or parser.has_data():
        raise rex.InvalidResponse(f"expected {count} replies, got more")


def supported(client: object) -> bool:
    return isinstance(client, aioredis.Redis) and not isinstance(client, RedisCluster)


def encode(*args: bytes) -> bytes:
    """One command as a RESP array of bulk strings (binary safe)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def pttl_and_head(keys: Sequence[bytes], first: int) -> bytes:
    """``PTTL key`` and ``GETRANGE key 0 first-1`` for each key, as one buffer."""
    last = b"%d" % (first - 1)
    tail = b"*4\r\n$8\r\nGETRANGE\r\n$%d\r\n%s\r\n$1\r\n0\r\n$" + b"%d" % len(last) + b"\r\n"
    tail += last + b"\r\n"
    return b"".join([_PTTL % (len(k), k) + tail % (len(k), k) for k in keys])


async def batch(client: aioredis.Redis, payload: bytes, count: int) -> list[Any]:
    """Send ``payload`` (``count`` encoded commands) and read ``count`` replies; an error
    reply is returned in place as its exception. The link failing closes the connection
    (a half-read batch can never be mistaken for the next one) and raises."""
    pool = client.connection_pool
    conn = await pool.get_connection()
    replies: list[Any] = []
    try:
        await conn.send_packed_command(payload, check_health=False)
        stream = getattr(conn, "_reader", None)
        if hiredis is not None and isinstance(stream, asyncio.StreamReader):
            # The connection's own stream, parsed by a reader of ours in C: nothing is left
            # buffered in redis-py's parser, since no reply is read through it.
            timeout = getattr(conn, "socket_timeout", None)
            await _read_all(stream, count, replies, timeout if timeout else None)
        else:
            read = conn.read_response
            append = replies.append
            for _ in range(count):
                try:
                    append(await read(disable_decoding=True))
                except rex.ResponseError as exc:
                    append(exc)
    except BaseException:
        await conn.disconnect()
        raise
    finally:
        await pool.release(conn)
    return replies
