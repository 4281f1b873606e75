"""Export the keys matching a pattern (or the keys named: the marked ones) to a file (see
``fileformat``), streamed.

SCAN MATCH with a paced COUNT (per primary on a cluster, as bulk delete does); TYPE and PTTL
of each page in one pipelined round trip; each value read in pages (HSCAN / SSCAN / ZSCAN
cursors, LRANGE and XRANGE windows, GETRANGE chunks of 1 MB), so memory holds one page, not a
key. ``--dump`` mode reads one ``DUMP`` payload at a time: a key's whole serialised value is
in memory then (a 100 MB string is), which the JSON format avoids.

The file is written as ``PATH.part`` and published as ``PATH`` at the end, never over an
existing file (``values.export.exclusive_output``); a failed or cancelled export leaves no
file. Consistency is per page, as SCAN gives it: a key changed while it is read may come out
mixed, a key deleted meanwhile is left out (and counted), nothing is locked.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import redis.asyncio as aioredis

from redis_tui.data.edit.bulk import Nodes, _breathe, _BulkPacer, _nodes, _scan
from redis_tui.data.transfer.fileformat import (
    JSON_TYPES,
    header_line,
    key_line,
    line,
)
from redis_tui.data.values.export import exclusive_output, json_bytes
from redis_tui.data.values.kinds import pairs
from redis_tui.data.values.readers import scan_call
from redis_tui.errors import RedisTuiError, translate

PAGE = 1000
CHUNK = 1024 * 1024
FLUSH = 1024 * 1024


@dataclass(frozen=True)
class ExportProgress:
    keys: int
    written: int
    scanned: int
    seconds: float


@dataclass(frozen=True)
class ExportSummary:
    """The end of an export. ``skipped`` counts keys left out, by reason ("gone" for a key
    deleted or expired between SCAN and its read, or a type the JSON format cannot hold)."""

    path: str
    pattern: bytes
    format: str
    keys: int
    written: int
    cancelled: bool
    seconds: float
    skipped: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        if self.cancelled:
            return f"Export cancelled: nothing was saved ({self.keys:,} keys were read)"
        text = f"{self.keys:,} keys exported to {self.path} ({self.written:,} bytes"
        text += f", {self.format}) in {self.seconds:.1f}s"
        if self.skipped:
            text += "; left out: " + ", ".join(f"{n:,} {why}" for why, n in self.skipped.items())
        return text


class _Cancelled(Exception):
    pass


class _Out:
    """Buffered writes to the file, flushed off the event loop."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buffer = bytearray()
        self.written = 0

    async def write(self, data: bytes) -> None:
        self.buffer += data
        self.written += len(data)
        if len(self.buffer) >= FLUSH:
            await self.flush()

    async def flush(self) -> None:
        if self.buffer:
            data, self.buffer = bytes(self.buffer), bytearray()
            await asyncio.to_thread(self.stream.write, data)


async def export_keys(
    client: aioredis.Redis,
    pattern: bytes,
    path: str | os.PathLike[str],
    *,
    dump: bool = False,
    nodes: Nodes | None = None,
    on_progress: Callable[[ExportProgress], None] | None = None,
    cancel: asyncio.Event | None = None,
    page: int = PAGE,
    chunk: int = CHUNK,
    names: Sequence[bytes] | None = None,
) -> ExportSummary:
    """Write every key matching ``pattern`` to ``path`` (or the keys ``names``, in pages of
    ``page``: the keys the user marked; ``pattern`` then only goes in the header).

    Args:
        client: reads the values (a ``RedisCluster`` routes them).
        nodes: what SCAN runs on (default ``client``; a cluster's primaries).
        dump: DUMP payloads instead of JSON values.

    Raises:
        ExportRefused: ``path`` exists (never overwritten) or ``path.part`` does.
        OSError: the file cannot be written. RedisTuiError: the server failed.
    """
    target = Path(path)
    fmt = "dump" if dump else "json"
    started = time.monotonic()
    keys = calls = 0
    skipped: dict[str, int] = {}
    out: _Out | None = None
    try:
        with exclusive_output(target) as stream:
            out = _Out(stream)
            await out.write(header_line(fmt, pattern, int(time.time() * 1000)))
            batches = (
                _batches(nodes if nodes is not None else client, pattern)
                if names is None
                else _listed(names, page)
            )
            async with aclosing(batches):  # a cancel mid-scan closes the SCAN loop at once
                async for batch in batches:
                    if cancel is not None and cancel.is_set():
                        raise _Cancelled
                    calls += 1
                    for key, kind, pttl in await _meta(client, batch):
                        if cancel is not None and cancel.is_set():
                            raise _Cancelled
                        why = await _export_key(client, out, key, kind, pttl, dump, page, chunk)
                        if why:
                            skipped[why] = skipped.get(why, 0) + 1
                        else:
                            keys += 1
                    if on_progress is not None:
                        seconds = time.monotonic() - started
                        on_progress(ExportProgress(keys, out.written, calls, seconds))
            await out.write(line({"done": {"keys": keys}}))
            await out.flush()
    except _Cancelled:
        written = out.written if out is not None else 0
        return ExportSummary(
            str(target), pattern, fmt, keys, written, True, time.monotonic() - started, skipped
        )
    except (RedisTuiError, OSError):
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return ExportSummary(
        str(target), pattern, fmt, keys, out.written, False, time.monotonic() - started, skipped
    )


async def _batches(nodes: Nodes, pattern: bytes) -> AsyncGenerator[list[bytes], None]:
    """The names SCAN MATCH finds, a page at a time, paced, on each primary in turn."""
    node_list, _ = await _nodes(nodes)
    for node in node_list:
        pacer, cursor = _BulkPacer(), 0
        while True:
            cursor, found, seconds = await _scan(node, cursor, pattern, pacer)
            yield found
            if cursor == 0:
                break
            await _breathe(seconds)


async def _listed(names: Sequence[bytes], page: int) -> AsyncGenerator[list[bytes], None]:
    for start in range(0, len(names), page):
        yield list(names[start : start + page])


async def _meta(client: aioredis.Redis, names: list[bytes]) -> list[tuple[bytes, str, int]]:
    if not names:
        return []
    pipe = client.pipeline(transaction=False)
    for key in names:
        pipe.execute_command("TYPE", key)
        pipe.execute_command("PTTL", key)
    replies = await pipe.execute()
    found = []
    for i, key in enumerate(names):
        raw, pttl = replies[2 * i], replies[2 * i + 1]
        kind = raw.decode() if isinstance(raw, bytes) else str(raw)
        found.append((key, kind, int(pttl)))
    return found


async def _export_key(
    client: aioredis.Redis,
    out: _Out,
    key: bytes,
    kind: str,
    pttl: int,
    dump: bool,
    page: int,
    chunk: int,
) -> str | None:
    """Write one key's lines; the reason it was left out, or None."""
    if kind == "none" or pttl == -2:
        return "gone"
    expire_at = int(time.time() * 1000) + pttl if pttl >= 0 else None
    if dump:
        payload = await client.execute_command("DUMP", key)
        if payload is None:
            return "gone"
        await out.write(key_line(key, kind, pttl, expire_at))
        data = bytes(payload)
        for start in range(0, len(data), chunk):
            piece = base64.b64encode(data[start : start + chunk]).decode("ascii")
            await out.write(line({"data": piece}))
        await out.write(line({"end": len(data)}))
        return None
    if kind not in JSON_TYPES:
        return f"{kind} (use --dump)"
    await out.write(key_line(key, kind, pttl, expire_at))
    count = 0
    async for data, n in _PAGES[kind](client, key, page, chunk):
        await out.write(line({"data": data}))
        count += n
    await out.write(line({"end": count}))
    return None


Pages = AsyncIterator[tuple[Any, int]]


async def _string(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    offset = 0
    while True:
        data = bytes(await client.execute_command("GETRANGE", key, offset, offset + chunk - 1))
        if not data:
            return
        yield json_bytes(data), len(data)
        if len(data) < chunk:
            return
        offset += len(data)


async def _cursor(client: aioredis.Redis, command: str, key: bytes, page: int) -> Pages:
    cursor = 0
    while True:
        cursor, items = await scan_call(client, command, key, cursor, page)
        if items:
            yield items, len(items)
        if cursor == 0:
            return


async def _hash(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    async for items, _ in _cursor(client, "HSCAN", key, page):
        got = pairs(items)
        yield [[json_bytes(f), json_bytes(v)] for f, v in got], len(got)


async def _set(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    async for items, n in _cursor(client, "SSCAN", key, page):
        yield [json_bytes(m) for m in items], n


async def _zset(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    async for items, _ in _cursor(client, "ZSCAN", key, page):
        got = pairs(items)
        # repr() of a float reads back exactly, and ZADD takes "inf" and "-inf".
        yield [[json_bytes(m), _score(s)] for m, s in got], len(got)


def _score(score: Any) -> str:
    if isinstance(score, bytes):
        return score.decode("ascii")
    return repr(float(score))


async def _list(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    start = 0
    while True:
        items = await client.execute_command("LRANGE", key, start, start + page - 1)
        if not items:
            return
        yield [json_bytes(v) for v in items], len(items)
        if len(items) < page:
            return
        start += len(items)


async def _stream(client: aioredis.Redis, key: bytes, page: int, chunk: int) -> Pages:
    start: bytes = b"-"
    while True:
        entries = await client.execute_command("XRANGE", key, start, "+", "COUNT", page)
        if not entries:
            return
        rows = []
        for entry_id, fields in entries:
            ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            rows.append([ident, [[json_bytes(f), json_bytes(v)] for f, v in pairs(fields)]])
        yield rows, len(rows)
        if len(entries) < page:
            return
        start = b"(" + str(rows[-1][0]).encode()


_PAGES: dict[str, Callable[[aioredis.Redis, bytes, int, int], Pages]] = {
    "string": _string,
    "hash": _hash,
    "set": _set,
    "zset": _zset,
    "list": _list,
    "stream": _stream,
}
