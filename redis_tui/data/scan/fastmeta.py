"""TYPE and PTTL of many keys at the server's speed: raw RESP out, ``hiredis.Reader`` in.

redis-py's pipelines spend ~25 µs of Python per command; a SCAN page of 1000 keys needs 2000
commands, which caps the key list near 40k keys/s. Here one batch is a single pre-encoded
buffer and its replies are parsed by hiredis in C, so the cost is the server's (~2.2 µs a key).

``MetaConnection`` is one dedicated connection, opened lazily with the same settings as the
main client (TCP or unix socket, TLS, ACL user, password, db). It is used for metadata only and
never for a cluster (the gateway keeps redis-py's path there). Replies come back inline: a key
whose TYPE or PTTL the server refuses (ACL) gets ``b"?"`` (unknown) as its type and -2 as its
PTTL, as ``keyspace.key_meta`` does. Any failure of the link itself closes the connection, so a
half-read batch can never be mistaken for the next one; the next call reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from redis_tui.data.client.resp import handshake, ssl_context
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan.keyspace import parse_meta
from redis_tui.errors import ConnectionFailed, RedisTuiError, translate

try:
    import hiredis
except ImportError:  # pragma: no cover - hiredis is a dependency; keep the slow path working
    hiredis = None  # type: ignore[assignment]

AVAILABLE = hiredis is not None
CLIENT_NAME = b"redis-tui-meta"
READ_CHUNK = 1 << 18
META_TEMPLATE = b"*2\r\n$4\r\nTYPE\r\n$%d\r\n%s\r\n*2\r\n$4\r\nPTTL\r\n$%d\r\n%s\r\n"


def supports(client: object) -> bool:
    """Whether ``MetaConnection`` can stand in for ``client``: hiredis is installed and the
    client talks to one server found at its settings' address (not a cluster, whose keys live
    on several nodes, nor a Sentinel-managed master, whose address is discovered)."""
    # redis-py where it is used: the app loads this module before its first frame (~50 ms).
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.sentinel import SentinelConnectionPool

    if not AVAILABLE or isinstance(client, RedisCluster):
        return False
    return not isinstance(getattr(client, "connection_pool", None), SentinelConnectionPool)


def encode_meta(keys: Sequence[bytes]) -> bytes:
    """``TYPE key`` then ``PTTL key`` for each key, as one buffer."""
    template = META_TEMPLATE
    return b"".join([template % (len(k), k, len(k), k) for k in keys])


class MetaConnection:
    """A dedicated connection that fetches TYPE + PTTL of key batches.

    Not safe for concurrent batches from several tasks without its lock; the lock makes them
    take turns.
    """

    def __init__(self, settings: ConnectionSettings) -> None:
        if not AVAILABLE:
            raise RuntimeError("hiredis is not installed")
        self.settings = settings
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._parser: Any = None
        self._lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def fetch(self, keys: Sequence[bytes]) -> tuple[list[bytes], list[int]]:
        """TYPE and PTTL of each key, in one write and one stream of replies.

        Args:
            keys: key names (any bytes).

        Returns:
            ``(types, pttls)``, one entry per key: ``b"none"`` / -2 for a key that does not
            exist; an ACL refusal gives ``b"?"`` as the type and -2 as the PTTL.

        Raises:
            ConnectionFailed, ServerTimeout, AuthFailed: the link failed (it is closed; the
            next call reconnects).
        """
        if not keys:
            return [], []
        return parse_meta(await self.call(encode_meta(keys), 2 * len(keys)))

    async def call(self, payload: bytes, expected: int) -> list[Any]:
        """Send pre-encoded commands and read ``expected`` replies, in one round trip.

        For other metadata batches of the same shape (the keyspace analysis adds ``MEMORY
        USAGE`` and the length commands). Command errors come back inline as
        ``redis.exceptions.ResponseError`` instances.

        Raises:
            ConnectionFailed, ServerTimeout, AuthFailed: the link failed (it is closed; the
            next call reconnects).
        """
        async with self._lock:
            try:
                if self._writer is None:
                    await self._open()
                return await self._roundtrip(payload, expected)
            except BaseException as exc:
                # Cancelled or broken mid-batch: unread replies would poison the next batch.
                self._abort()
                if isinstance(exc, RedisTuiError | asyncio.CancelledError):
                    raise
                if isinstance(exc, Exception):
                    raise translate(exc, self.settings.describe()) from exc
                raise

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            # Closing a dead connection may fail; there is nothing to do about it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1.0)

    def _abort(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.transport.abort()

    async def _open(self) -> None:
        import redis.exceptions as rex  # not at start: see ``supports``

        s = self.settings
        if s.socket:
            opening = asyncio.open_unix_connection(s.socket, limit=READ_CHUNK)
        elif s.tls:
            opening = asyncio.open_connection(
                s.host,
                s.port,
                ssl=ssl_context(s.cacert, s.cert, s.key, s.tls_verify, s.server_name),
                server_hostname=s.server_name or s.host,
                limit=READ_CHUNK,
            )
        else:
            opening = asyncio.open_connection(s.host, s.port, limit=READ_CHUNK)
        reader, writer = await asyncio.wait_for(opening, timeout=s.connect_timeout)
        self._reader, self._writer = reader, writer
        self._parser = hiredis.Reader(
            replyError=rex.ResponseError, protocolError=rex.InvalidResponse
        )
        hello = handshake(s.username, s.password, s.db, CLIENT_NAME)
        replies = await self._roundtrip(b"".join(hello), len(hello))
        # CLIENT SETNAME is cosmetic (an ACL may forbid it); AUTH and SELECT are not.
        for reply in replies[:-1]:
            if isinstance(reply, rex.ResponseError):
                raise translate(reply, s.describe())

    async def _roundtrip(self, payload: bytes, expected: int) -> list[Any]:
        import redis.exceptions as rex  # not at start: see ``supports``

        reader, writer, parser = self._reader, self._writer, self._parser
        assert reader is not None and writer is not None
        replies: list[Any] = []
        gets = parser.gets
        append = replies.append
        async with asyncio.timeout(self.settings.command_timeout):
            writer.write(payload)
            await writer.drain()
            while len(replies) < expected:
                data = await reader.read(READ_CHUNK)
                if not data:
                    raise ConnectionFailed(
                        f"Cannot connect ({self.settings.describe()}): "
                        "the server closed the connection"
                    )
                parser.feed(data)
                reply = gets()
                while reply is not False:
                    append(reply)
                    reply = gets()
        if len(replies) != expected:
            raise rex.InvalidResponse(f"expected {expected} replies, got {len(replies)}")
        return replies
