"""Bounded, paged readers for every Redis type.

No reader ever asks for a whole big key: strings are read up to a cap with GETRANGE,
collections one page at a time (HSCAN/SSCAN cursors, LRANGE/ZRANGE windows, XRANGE counts).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError, RedisError

from redis_tui.data.values.display import human_bytes
from redis_tui.data.values.kinds import KINDS, LENGTH_COMMAND, pairs
from redis_tui.errors import KeyMissing

STRING_CAP = 64 * 1024
# RedisJSON documents up to this MEMORY USAGE are read whole (JSON.GET cannot page).
JSON_CAP = 4 * 1024 * 1024
PAGE_SIZE = 200
STREAM_PAGE = 100
# A SCAN-family page can come back short or empty; bound how many calls fill one page.
MAX_SCAN_CALLS = 20
# A page of a collection stays near this many bytes, by MEMORY USAGE's estimate of the average
# element: a list of 10 MB elements is read a few elements at a time, not 200 (2 GB).
PAGE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ValueOrder:
    """How a list or sorted set is paged: from the tail / by descending rank (``reverse``),
    and for a sorted set only the scores from ``score_min`` to ``score_max`` (ZRANGEBYSCORE
    bounds as typed: ``1.5``, ``(1.5`` exclusive, ``-inf``, ``+inf``)."""

    reverse: bool = False
    score_min: bytes | None = None
    score_max: bytes | None = None

    @property
    def by_score(self) -> bool:
        return self.score_min is not None and self.score_max is not None


DEFAULT_ORDER = ValueOrder()


@dataclass
class KeyValue:
    """One page of a key's value, with its metadata.

    ``rows`` hold the page for collections: (field, value) for hashes, (index, element) for
    lists, (member,) for sets, (member, score) for zsets, (id, fields) for streams.
    """

    key: bytes
    type: str
    ttl_ms: int
    length: int | None = None
    encoding: str | None = None
    memory: int | None = None
    data: bytes | None = None
    truncated: bool = False
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    offset: int = 0
    cursor: int | None = None
    groups: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None
    # Streams: the id the page started after (None: from the start).
    after_id: bytes | None = None
    order: ValueOrder = DEFAULT_ORDER

    @property
    def reverse(self) -> bool:
        return self.order.reverse

    # Hashes on servers with field TTLs (Redis 7.4+, Valkey 9): each row's field TTL in ms
    # (-1: none), from HPTTL; None where the server has no field TTLs.
    field_ttls: list[int] | None = None

    @property
    def has_more(self) -> bool:
        if self.type == "string":
            return self.truncated
        if self.cursor is not None:
            return self.cursor != 0
        return self.length is not None and self.offset + len(self.rows) < self.length


async def read_value(
    client: aioredis.Redis,
    key: bytes,
    *,
    offset: int = 0,
    cursor: int = 0,
    page: int = PAGE_SIZE,
    string_cap: int = STRING_CAP,
    after_id: bytes | None = None,
    order: ValueOrder = DEFAULT_ORDER,
) -> KeyValue:
    """Read a key's metadata and one page of its value.

    Args:
        key: the raw key.
        offset: first index for lists, zsets (by rank) and strings (byte offset).
        cursor: HSCAN/SSCAN cursor for hashes and sets (0 starts over).
        page: rows per page.
        string_cap: bytes of a string to read.
        order: lists and zsets: descending / from the tail, a zset's score range.

    Raises:
        KeyMissing: the key does not exist.
    """
    pipe = client.pipeline(transaction=False)
    pipe.execute_command("TYPE", key)
    pipe.execute_command("PTTL", key)
    pipe.execute_command("OBJECT", "ENCODING", key)
    # SAMPLES keeps MEMORY USAGE O(sample) on big collections.
    pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", 5)
    kind_raw, pttl, encoding, memory = await pipe.execute(raise_on_error=False)
    note = None
    if isinstance(kind_raw, NoPermissionError):
        # An ACL user without TYPE: find the type from which length command accepts the key.
        kind_raw = await _probe_type(client, key)
        note = "TYPE is not allowed for this user: the type was inferred."
    if isinstance(kind_raw, BaseException):
        raise kind_raw
    kind = kind_raw.decode() if isinstance(kind_raw, bytes) else str(kind_raw)
    if kind == "none":
        raise KeyMissing("The key no longer exists")
    value = KeyValue(
        key=key,
        type=kind,
        ttl_ms=pttl if isinstance(pttl, int) else -1,
        encoding=encoding.decode() if isinstance(encoding, bytes) else None,
        memory=memory if isinstance(memory, int) else None,
        offset=offset,
        note=note,
    )
    reader = _READERS.get(kind)
    if reader is None:
        value.note = f"{kind} is a module type; redis-tui cannot show its value."
        return value
    value.after_id = after_id
    value.order = order
    await reader(client, value, cursor, page, string_cap)
    return value


async def _probe_type(client: aioredis.Redis, key: bytes) -> bytes | BaseException:
    """The type of ``key`` without TYPE: the one length command that does not answer
    WRONGTYPE. ``b"none"`` when the key does not exist; the first error when every probe
    is refused."""
    pipe = client.pipeline(transaction=False)
    pipe.execute_command("EXISTS", key)
    for command in LENGTH_COMMAND.values():
        pipe.execute_command(command, key)
    exists, *replies = await pipe.execute(raise_on_error=False)
    if exists == 0:
        return b"none"
    for kind, reply in zip(KINDS, replies, strict=True):
        if not isinstance(reply, BaseException):
            return kind.encode()
    refused: BaseException = replies[0]
    return refused


def _fit_page(v: KeyValue, page: int) -> int:
    """``page`` rows, or fewer when the key's elements are big (see ``PAGE_BYTES``)."""
    if not v.memory or not v.length:
        return page  # no estimate (an ACL without MEMORY, an empty key): the row count bounds
    average = v.memory / v.length
    fitted = max(1, min(page, int(PAGE_BYTES // max(average, 1.0))))
    if fitted < page and v.note is None:
        v.note = f"Elements average {human_bytes(int(average))}: {fitted} per page."
    return fitted


async def _read_string(
    client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int
) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.execute_command("STRLEN", v.key)
    pipe.execute_command("GETRANGE", v.key, v.offset, v.offset + cap - 1)
    length, data = await pipe.execute()
    v.length = int(length)
    v.data = bytes(data)
    v.truncated = v.offset + len(v.data) < v.length


async def _read_hash(client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int) -> None:
    v.columns = ("field", "value")
    v.length = int(await client.execute_command("HLEN", v.key))
    v.cursor, flat = await _scan_collection(client, "HSCAN", v.key, cursor, _fit_page(v, page))
    v.rows = [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]
    v.field_ttls = await _field_ttls(client, v.key, [row[0] for row in v.rows])
    if v.field_ttls is not None:
        v.columns = ("field", "value", "field ttl")


# Servers that answered HPTTL with "unknown command": asked once per client.
_NO_FIELD_TTLS: weakref.WeakSet[aioredis.Redis] = weakref.WeakSet()


async def _field_ttls(client: aioredis.Redis, key: bytes, fields: list[bytes]) -> list[int] | None:
    """HPTTL of ``fields`` (one round trip), or None when the server has no field TTLs."""
    if not fields or client in _NO_FIELD_TTLS:
        return None
    try:
        reply = await client.execute_command("HPTTL", key, "FIELDS", len(fields), *fields)
    except RedisError as exc:  # a cluster client says so before asking the server
        if "unknown command" in str(exc).lower() or "doesn't exist" in str(exc):
            _NO_FIELD_TTLS.add(client)
        return None  # also a NOPERM: the value still shows, without the column
    if not isinstance(reply, list) or len(reply) != len(fields):
        return None
    return [int(t) if isinstance(t, int) and t >= 0 else -1 for t in reply]


async def _read_set(client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int) -> None:
    v.columns = ("member",)
    v.length = int(await client.execute_command("SCARD", v.key))
    v.cursor, members = await _scan_collection(client, "SSCAN", v.key, cursor, _fit_page(v, page))
    v.rows = [(m,) for m in members]


async def _scan_collection(
    client: aioredis.Redis, command: str, key: bytes, cursor: int, page: int
) -> tuple[int, list[bytes]]:
    items: list[bytes] = []
    per_item = 2 if command == "HSCAN" else 1
    for _ in range(MAX_SCAN_CALLS):
        cursor, chunk = await scan_call(client, command, key, cursor, page)
        items.extend(chunk)
        if cursor == 0 or len(items) >= page * per_item:
            break
    return cursor, items


async def scan_call(
    client: aioredis.Redis,
    command: str,
    key: bytes,
    cursor: int,
    count: int,
    match: bytes | None = None,
) -> tuple[int, list[Any]]:
    """One HSCAN/SSCAN/ZSCAN call (with ``MATCH`` when given), its reply flattened to
    [field, value, …] / [member, …].

    redis-py's reply callbacks turn HSCAN into a dict and ZSCAN into (member, score) tuples.
    """
    args: tuple[Any, ...] = (command, key, cursor)
    if match is not None:
        args += ("MATCH", match)
    cursor_raw, items = await client.execute_command(*args, "COUNT", count)
    if isinstance(items, dict):
        items = [x for pair in items.items() for x in pair]
    elif items and isinstance(items[0], tuple):
        items = [x for pair in items for x in pair]
    return int(cursor_raw), list(items)


async def _length_and_window(
    client: aioredis.Redis,
    v: KeyValue,
    length_command: str | tuple[Any, ...],
    page: int,
    window: Callable[[int], list[tuple[Any, ...]]],
) -> list[Any]:
    """Set ``v.length`` and run the ``window(page)`` commands; their replies (errors as
    values). One round trip when the whole key fits the page budget (or MEMORY is refused, and
    the row count bounds); a bigger key needs its length first to size the page."""
    pipe = client.pipeline(transaction=False)
    length_args = (length_command, v.key) if isinstance(length_command, str) else length_command
    if v.memory is not None and v.memory > PAGE_BYTES:
        v.length = int(await client.execute_command(*length_args))
        page = _fit_page(v, page)
    else:
        pipe.execute_command(*length_args)
    for command in window(page):
        pipe.execute_command(*command)
    replies = await pipe.execute(raise_on_error=False)
    if v.length is None:
        length, *replies = replies
        if isinstance(length, BaseException):
            raise length
        v.length = int(length)
    return replies


async def _read_list(client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int) -> None:
    v.columns = ("index", "element")
    if v.reverse:  # from the tail: the last element first, with its index from the head

        def window(n: int) -> list[tuple[Any, ...]]:
            return [("LRANGE", v.key, -(v.offset + n), -(v.offset + 1))]

        (items,) = await _length_and_window(client, v, "LLEN", page, window)
        if isinstance(items, BaseException):
            raise items
        last = (v.length or 0) - 1 - v.offset
        v.rows = [(last - i, item) for i, item in enumerate(reversed(items))]
        return
    (items,) = await _length_and_window(
        client, v, "LLEN", page, lambda n: [("LRANGE", v.key, v.offset, v.offset + n - 1)]
    )
    if isinstance(items, BaseException):
        raise items
    v.rows = [(v.offset + i, item) for i, item in enumerate(items)]


async def _read_zset(client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int) -> None:
    v.columns = ("member", "score")
    order = v.order
    length: str | tuple[Any, ...] = "ZCARD"
    if order.by_score:
        low, high = order.score_min, order.score_max
        length = ("ZCOUNT", v.key, low, high)
        # ZRANGEBYSCORE / ZREVRANGEBYSCORE: every server version has them (ZRANGE BYSCORE
        # needs 6.2); the reversed one takes its bounds high first.
        command, first, second = (
            ("ZREVRANGEBYSCORE", high, low) if order.reverse else ("ZRANGEBYSCORE", low, high)
        )

        def window(n: int) -> list[tuple[Any, ...]]:
            return [(command, v.key, first, second, "WITHSCORES", "LIMIT", v.offset, n)]

    else:
        command = "ZREVRANGE" if order.reverse else "ZRANGE"

        def window(n: int) -> list[tuple[Any, ...]]:
            return [(command, v.key, v.offset, v.offset + n - 1, "WITHSCORES")]

    (flat,) = await _length_and_window(client, v, length, page, window)
    if isinstance(flat, BaseException):
        raise flat
    v.rows = [(flat[i], float(flat[i + 1])) for i in range(0, len(flat) - 1, 2)]


async def _read_stream(
    client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int
) -> None:
    v.columns = ("id", "fields")
    # The next page starts after the last id shown (exclusive range), not at an offset.
    start = b"(" + v.after_id if v.after_id else b"-"
    entries, groups = await _length_and_window(
        client,
        v,
        "XLEN",
        min(page, STREAM_PAGE),
        lambda n: [("XRANGE", v.key, start, "+", "COUNT", n), ("XINFO", "GROUPS", v.key)],
    )
    if isinstance(entries, list):
        v.rows = [(entry_id, pairs(fields)) for entry_id, fields in entries]
    if isinstance(groups, list):
        v.groups = [_group(g) for g in groups]


def _group(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs(raw):
        label = name.decode() if isinstance(name, bytes) else str(name)
        out[label] = value
    return out


async def _read_json(client: aioredis.Redis, v: KeyValue, cursor: int, page: int, cap: int) -> None:
    """RedisJSON: the whole document with JSON.GET when it is small enough, else its shape.

    JSON.GET has no paging, so a big document is never read whole: its top-level keys (or
    its length) are shown instead, with a note.
    """
    v.type = "json"
    kind = await client.execute_command(b"JSON.TYPE", v.key)
    kind = kind[0] if isinstance(kind, list) and kind else kind
    kind_text = kind.decode() if isinstance(kind, bytes) else str(kind)
    if v.memory is not None and v.memory > JSON_CAP:
        v.note = (
            f"A {kind_text} of {v.memory:,} bytes: too big to read whole (JSON.GET has no paging)."
        )
        if kind_text == "object":
            keys = await client.execute_command(b"JSON.OBJKEYS", v.key)
            v.length = len(keys) if isinstance(keys, list) else None
            v.data = b"top-level keys: " + b", ".join(k for k in keys or [] if isinstance(k, bytes))
        elif kind_text == "array":
            v.length = int(await client.execute_command(b"JSON.ARRLEN", v.key))
        return
    data = await client.execute_command(b"JSON.GET", v.key)
    v.data = data if isinstance(data, bytes) else str(data).encode()
    v.length = len(v.data)


_READERS = {
    "string": _read_string,
    "hash": _read_hash,
    "list": _read_list,
    "set": _read_set,
    "zset": _read_zset,
    "stream": _read_stream,
    "ReJSON-RL": _read_json,
}
