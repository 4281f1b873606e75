"""A stream's consumer groups, their consumers and pending entries (``XINFO``, ``XPENDING``).

Bounded like every other read: at most ``CONSUMER_CAP`` consumers and ``PENDING_PAGE``
pending entries per call; the pending list pages on from the last id shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from redis_tui.data.values.kinds import pairs

Client = aioredis.Redis | RedisCluster
CONSUMER_CAP = 500  # consumers listed per group (XINFO CONSUMERS has no paging)
PENDING_PAGE = 200  # pending entries per read


@dataclass(frozen=True)
class StreamGroup:
    name: bytes
    consumers: int
    pending: int
    last_delivered: bytes
    # Redis 7+: entries read and the lag; None on older servers (or when Redis cannot say).
    entries_read: int | None
    lag: int | None


@dataclass(frozen=True)
class StreamConsumer:
    name: bytes
    pending: int
    idle_ms: int
    # Redis 7.2+: ms since the last successful read; None on older servers.
    inactive_ms: int | None


@dataclass(frozen=True)
class PendingEntry:
    entry_id: bytes
    consumer: bytes
    idle_ms: int
    deliveries: int


@dataclass(frozen=True)
class GroupDetail:
    """One group: its consumers, and a page of its pending entries from ``after``."""

    group: bytes
    consumers: list[StreamConsumer]
    consumers_capped: bool
    pending: list[PendingEntry]
    has_more: bool


def entry_time(entry_id: bytes) -> str:
    """The time in an entry id (its milliseconds part), UTC: ``2026-12-04 08:13:20.123``.
    Empty for an id that is not ``ms-seq``."""
    ms, _, _ = entry_id.partition(b"-")
    if not ms.isdigit() or len(ms) > 15:
        return ""
    moment = dt.datetime.fromtimestamp(int(ms) / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(ms) % 1000:03d}"


def _int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, bytes) and value.lstrip(b"-").isdigit():
        return int(value)
    return None


def _fields(raw: object) -> dict[str, object]:
    return {(k.decode() if isinstance(k, bytes) else str(k)): v for k, v in pairs(raw)}


async def _call(client: Client, key: bytes, *args: bytes | int) -> Any:
    # Bytes command names: no redis-py reply callback reshapes the reply. On a cluster the
    # node that owns the key is asked directly (the cluster client cannot route bytes names).
    if isinstance(client, RedisCluster):
        await client.initialize()  # a no-op once the slots are known
        node = client.nodes_manager.get_node_from_slot(client.keyslot(key))
        return await node.execute_command(*args)
    return await client.execute_command(*args)


async def read_groups(client: Client, key: bytes) -> list[StreamGroup]:
    """Every consumer group of ``key`` (``XINFO GROUPS``)."""
    reply = await _call(client, key, b"XINFO", b"GROUPS", key)
    groups: list[StreamGroup] = []
    for raw in reply if isinstance(reply, list) else []:
        f = _fields(raw)
        name, last = f.get("name"), f.get("last-delivered-id")
        groups.append(
            StreamGroup(
                name=name if isinstance(name, bytes) else str(name).encode(),
                consumers=_int(f.get("consumers")) or 0,
                pending=_int(f.get("pending")) or 0,
                last_delivered=last if isinstance(last, bytes) else b"",
                entries_read=_int(f.get("entries-read")),
                lag=_int(f.get("lag")),
            )
        )
    return groups


async def read_group(
    client: Client, key: bytes, group: bytes, after: bytes | None = None
) -> GroupDetail:
    """The consumers of ``group`` and a page of its pending entries after id ``after``."""
    reply = await _call(client, key, b"XINFO", b"CONSUMERS", key, group)
    raws = reply if isinstance(reply, list) else []
    consumers = []
    for raw in raws[:CONSUMER_CAP]:
        f = _fields(raw)
        name = f.get("name")
        consumers.append(
            StreamConsumer(
                name=name if isinstance(name, bytes) else str(name).encode(),
                pending=_int(f.get("pending")) or 0,
                idle_ms=_int(f.get("idle")) or 0,
                inactive_ms=_int(f.get("inactive")),
            )
        )
    start = b"(" + after if after else b"-"
    page = await _call(client, key, b"XPENDING", key, group, start, b"+", PENDING_PAGE + 1)
    pending = [
        PendingEntry(item[0], item[1], _int(item[2]) or 0, _int(item[3]) or 0)
        for item in (page if isinstance(page, list) else [])
        if isinstance(item, list) and len(item) >= 4
    ]
    return GroupDetail(
        group=group,
        consumers=consumers,
        consumers_capped=len(raws) > CONSUMER_CAP,
        pending=pending[:PENDING_PAGE],
        has_more=len(pending) > PENDING_PAGE,
    )
