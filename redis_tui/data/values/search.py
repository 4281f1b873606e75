"""Search inside one key's value on the server, bounded and paced.

Hashes, sets and sorted sets are searched whole with ``HSCAN``/``SSCAN``/``ZSCAN … MATCH``
(the query as a contains-glob); lists and streams page by page (``LRANGE``/``XRANGE``) up to
a cap; strings ``GETRANGE`` page by page past what is loaded, up to a cap. Each search is an
async generator of batches: the caller streams them to the screen and cancels it by stopping.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from redis_tui.data.values.kinds import pairs
from redis_tui.data.values.readers import scan_call

# At most this many matches are kept, and at most this many bytes of them.
MAX_MATCHES = 1000
MAX_MATCH_BYTES = 8 * 1024 * 1024
# Lists and streams: elements read at most; a page of each call.
MAX_SCANNED = 200_000
LIST_PAGE, STREAM_PAGE = 1000, 500
# Strings: bytes read past what is loaded, at most, and per GETRANGE.
STRING_CAP = 64 * 1024 * 1024
STRING_PAGE = 1024 * 1024
# Bytes read from lists and streams, at most (elements of 10 MB are not read 200,000 times).
MAX_READ_BYTES = 64 * 1024 * 1024
GLOB_SPECIAL = frozenset(b"*?[]\\")
SCAN_COMMANDS = {"hash": "HSCAN", "set": "SSCAN", "zset": "ZSCAN"}
# HSCAN/SSCAN/ZSCAN COUNT: one call stays well under a millisecond of the server's time (as
# the key scan's pacing measured SCAN COUNT 500); a slower call halves it, down to 100.
SCAN_COUNT, MIN_SCAN_COUNT, SLOW_CALL = 500, 100, 0.002


@dataclass(frozen=True)
class Query:
    """What the user searches for: raw bytes, and whether ASCII case is ignored (smart case:
    a query without a capital letter ignores case)."""

    needle: bytes
    fold: bool

    @classmethod
    def smart(cls, needle: bytes) -> Query:
        return cls(needle, needle == needle.lower())

    def glob(self) -> bytes:
        """The server-side MATCH pattern: ``*needle*`` with glob characters escaped, and
        ASCII letters as ``[aA]`` when case is ignored (Redis globs are case-sensitive)."""
        out = bytearray(b"*")
        for byte in self.needle:
            char = bytes([byte])
            if self.fold and char.isalpha():
                out += b"[" + char.lower() + char.upper() + b"]"
            elif byte in GLOB_SPECIAL:
                out += b"\\" + char
            else:
                out += char
        return bytes(out + b"*")

    def found_in(self, data: bytes) -> bool:
        return self.needle in (data.lower() if self.fold else data)


@dataclass
class Batch:
    """What one step of a search found, and how far the search is.

    ``rows`` are shaped as the value pane's: (field, value), (member,), (member, score),
    (index, element), (id, fields); for strings (byte offset, context bytes).
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    # Elements (bytes for strings) examined so far; an estimate for the SCAN family.
    examined: int = 0
    total: int | None = None
    done: bool = False
    # Stopped at a cap (matches, elements or bytes): ``examined`` says how far it got.
    capped: bool = False
    # Where the query is looked for: "field names", "members", "elements", "entries", "bytes".
    scope: str = ""


def _size(row: tuple[Any, ...]) -> int:
    return sum(len(c) if isinstance(c, bytes) else 16 for c in row)


class _Budget:
    def __init__(self) -> None:
        self.matches = 0
        self.bytes = 0

    def take(self, rows: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], bool]:
        """``rows`` that fit the caps, and whether a cap was reached."""
        kept: list[tuple[Any, ...]] = []
        for row in rows:
            if self.matches >= MAX_MATCHES or self.bytes >= MAX_MATCH_BYTES:
                return kept, True
            kept.append(row)
            self.matches += 1
            self.bytes += _size(row)
        return kept, self.matches >= MAX_MATCHES or self.bytes >= MAX_MATCH_BYTES


async def search(
    client: aioredis.Redis,
    key: bytes,
    kind: str,
    query: Query,
    *,
    total: int | None = None,
    start: int = 0,
    reverse: bool = False,
    memory: int | None = None,
) -> AsyncIterator[Batch]:
    """Search the value of ``key`` (of type ``kind``) for ``query``, batch by batch.

    Args:
        total: the key's length, for the progress (None: unknown).
        start: strings: the byte offset to search from (what is loaded is searched on screen).
        reverse: lists: from the tail.
        memory: the key's MEMORY USAGE: a hash within ``MAX_READ_BYTES`` has its values
            searched too (read here), after its field names (matched by the server).

    Raises:
        redis-py errors (the gateway translates them).
    """
    if kind in SCAN_COMMANDS:
        async for batch in _search_scan(client, key, kind, query, total, memory):
            yield batch
    elif kind == "list":
        async for batch in _search_list(client, key, query, total, reverse):
            yield batch
    elif kind == "stream":
        async for batch in _search_stream(client, key, query, total):
            yield batch
    elif kind == "string":
        async for batch in _search_string(client, key, query, total, start):
            yield batch
    else:
        yield Batch(done=True, total=total, scope="nothing (a module type)")


async def _search_scan(
    client: aioredis.Redis,
    key: bytes,
    kind: str,
    query: Query,
    total: int | None,
    memory: int | None,
) -> AsyncIterator[Batch]:
    """Names (members) on the server with MATCH; then, for a hash small enough to read
    (``MAX_READ_BYTES`` by MEMORY USAGE), its values, filtered here."""
    command = SCAN_COMMANDS[kind]
    budget = _Budget()
    values = kind == "hash" and _readable(memory, total)
    phases: list[tuple[bytes | None, str]] = [
        (query.glob(), "field names" if kind == "hash" else "members")
    ]
    if values:
        phases.append((None, "field names and values"))
    for phase, (pattern, scope) in enumerate(phases):
        last = phase == len(phases) - 1
        count, cursor, examined = SCAN_COUNT, 0, 0
        while True:
            began = time.perf_counter()
            cursor, flat = await scan_call(client, command, key, cursor, count, match=pattern)
            examined += count
            if time.perf_counter() - began > SLOW_CALL:
                count = max(MIN_SCAN_COUNT, count // 2)
            if kind == "set":
                found: list[tuple[Any, ...]] = [(m,) for m in flat]
            elif kind == "zset":
                found = [(flat[i], float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]
            else:
                found = [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
            if pattern is None:  # the values pass: fields found by name came already
                found = [r for r in found if query.found_in(r[1]) and not query.found_in(r[0])]
            rows, capped = budget.take(found)
            end = cursor == 0 or capped
            if end and not capped and total is not None:
                examined = total
            elif total is not None:
                examined = min(examined, max(total - 1, 0))
            done = capped or (end and last)
            yield Batch(rows, examined, total, done, capped and (cursor != 0 or not last), scope)
            if capped:
                return
            if end:
                break


def _readable(memory: int | None, total: int | None) -> bool:
    """Whether a hash's values may all be read for a search (its memory within the cap)."""
    if memory is not None:
        return memory <= MAX_READ_BYTES
    return total is not None and total <= 100_000


async def _search_list(
    client: aioredis.Redis, key: bytes, query: Query, total: int | None, reverse: bool
) -> AsyncIterator[Batch]:
    budget = _Budget()
    examined = read = 0
    length = total if total is not None else int(await client.execute_command("LLEN", key))
    while examined < length:
        count = min(LIST_PAGE, length - examined)
        if reverse:
            items = await client.execute_command(
                "LRANGE", key, -(examined + count), -(examined + 1)
            )
            items = list(reversed(items))
            indexes = [length - 1 - examined - i for i in range(len(items))]
        else:
            items = await client.execute_command("LRANGE", key, examined, examined + count - 1)
            indexes = [examined + i for i in range(len(items))]
        if not items:
            break
        examined += len(items)
        read += sum(len(i) for i in items)
        found = [(i, item) for i, item in zip(indexes, items, strict=True) if query.found_in(item)]
        rows, capped = budget.take(found)
        over = examined >= MAX_SCANNED or read >= MAX_READ_BYTES
        done = capped or over or examined >= length
        yield Batch(rows, examined, length, done, (capped or over) and examined < length,
                    "elements")  # fmt: skip
        if done:
            return
    yield Batch([], examined, length, True, False, "elements")


async def _search_stream(
    client: aioredis.Redis, key: bytes, query: Query, total: int | None
) -> AsyncIterator[Batch]:
    budget = _Budget()
    examined = read = 0
    start: bytes = b"-"
    while True:
        entries = await client.execute_command("XRANGE", key, start, "+", "COUNT", STREAM_PAGE)
        if not entries:
            yield Batch([], examined, total, True, False, "entries")
            return
        found: list[tuple[Any, ...]] = []
        for entry_id, raw in entries:
            fields = pairs(raw)
            read += sum(len(f) + len(v) for f, v in fields)
            if query.found_in(entry_id) or any(
                query.found_in(f) or query.found_in(v) for f, v in fields
            ):
                found.append((entry_id, fields))
        examined += len(entries)
        start = b"(" + entries[-1][0]
        rows, capped = budget.take(found)
        over = examined >= MAX_SCANNED or read >= MAX_READ_BYTES
        end = len(entries) < STREAM_PAGE
        yield Batch(rows, examined, total, capped or over or end, (capped or over) and not end,
                    "entries")  # fmt: skip
        if capped or over or end:
            return


async def _search_string(
    client: aioredis.Redis, key: bytes, query: Query, total: int | None, start: int
) -> AsyncIterator[Batch]:
    budget = _Budget()
    needle = query.needle.lower() if query.fold else query.needle
    length = total if total is not None else int(await client.execute_command("STRLEN", key))
    # A match may straddle two pages: each page is searched with the end of the one before.
    overlap = max(len(needle) - 1, 0)
    offset, tail = start, b""
    while offset < length:
        end = offset + STRING_PAGE - 1
        data = bytes(await client.execute_command("GETRANGE", key, offset, end))
        if not data:
            break
        window = tail + data
        base = offset - len(tail)
        haystack = window.lower() if query.fold else window
        found: list[tuple[Any, ...]] = []
        at = haystack.find(needle) if needle else -1
        while at >= 0:
            found.append((base + at, window[max(0, at - 40) : at + len(needle) + 40]))
            at = haystack.find(needle, at + 1)
        offset += len(data)
        tail = window[len(window) - overlap :] if overlap else b""
        rows, capped = budget.take(found)
        over = offset - start >= STRING_CAP
        done = capped or over or offset >= length
        yield Batch(rows, offset, length, done, (capped or over) and offset < length, "bytes")
        if done:
            return
    yield Batch([], offset, length, True, False, "bytes")
