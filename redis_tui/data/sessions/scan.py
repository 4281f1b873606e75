"""Finding sessions: one paced SCAN pass, then the candidates' values fetched in pipelined,
size-checked round trips and detected."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from redis_tui.data.scan import keyspace, topology
from redis_tui.data.sessions import stores_jvm, wire
from redis_tui.data.sessions.detect import detect, too_large
from redis_tui.data.sessions.grouping import Discovery, Router
from redis_tui.data.sessions.hints import framework_hint, session_id_of
from redis_tui.data.sessions.model import (
    DEFAULT_USER_PATHS,
    MAX_HASH_FIELDS,
    MAX_VALUE_BYTES,
    SNIFF_BYTES,
    Session,
    SessionPatterns,
    as_bytes,
    with_ttl,
)
from redis_tui.data.sessions.spring import SPRING_META
from redis_tui.data.values.kinds import pairs
from redis_tui.errors import RedisTuiError, translate

"""Prefix read from an over-size value to tell its framework and format."""
BATCH_BYTES = 8 * 1024 * 1024
"""Bytes of longer values fetched per pipelined round trip."""
FIRST_READ = 16 * 1024
"""Bytes of each string read in the first round trip; shorter values need no other."""
CHUNK_KEYS = 250


@dataclass
class ScanStats:
    """Progress of a :func:`find_sessions` scan, updated in place. ``discovery``: where
    sessions were found and what was skipped, when the scan discovers (no patterns given)."""

    scanned: int = 0
    candidates: int = 0
    found: int = 0
    done: bool = False
    started: float = field(default_factory=time.monotonic)
    discovery: Discovery | None = None


async def find_sessions(
    client: aioredis.Redis,
    patterns: SessionPatterns | None = None,
    *,
    match: bytes | str | None = None,
    user: str | None = None,
    limit: int | None = None,
    page: int = 500,
    sniff_all: bool = False,
    names: Iterable[bytes] | None = None,
    delimiter: bytes | str = b":",
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_hash_fields: int = MAX_HASH_FIELDS,
    stats: ScanStats | None = None,
) -> AsyncIterator[list[Session]]:
    """Stream the sessions of the database, a page at a time, as SCAN finds them.

    One paced SCAN pass (COUNT adapted as ``keyspace.Pacer`` does, never over 1000; one
    cursor per primary on a cluster). With one pattern (or ``match``) the server filters
    (``SCAN MATCH``); with several, keys are filtered here, so the keyspace is walked once,
    not once per pattern. With neither, the scan **discovers** (:mod:`.grouping`): keys are
    grouped by namespace, a few values of each group are sniffed, and the groups whose
    samples are sessions are read in full, in the same pass; ``stats.discovery`` says where
    sessions were found and what was skipped. Values are read size-capped and pipelined:
    PTTL and the first bytes of each string in one round trip, more only for longer strings
    and hashes (GET up to ``max_value_bytes``, HGETALL up to ``max_hash_fields`` fields).

    Args:
        patterns: which keys to consider; None discovers.
        match: a glob replacing the patterns; its keys count as sessions even when the
            payload is not recognised (framework ``unknown``).
        user: keep only this user's sessions.
        limit: stop after this many sessions.
        page: most sessions per yielded list (lists are yielded as soon as a SCAN step found
            any, so the first arrives quickly).
        sniff_all: discover by reading every key (size-capped), not samples.
        names: key names already scanned (the key list's), walked instead of a SCAN.
        delimiter: the namespace delimiter discovery groups by.
        stats: updated in place (keys scanned, sessions found, discovery), for a progress line.

    Yields:
        Lists of sessions (never empty).
    """
    stats = stats if stats is not None else ScanStats()
    server_match: bytes | None = None
    accept: Callable[[bytes], bool] | None = None
    router: Router | None = None
    assume = match is not None
    if match is not None:
        server_match = as_bytes(match)
    elif patterns is None:
        router = Router(as_bytes(delimiter), read_all=sniff_all)
        stats.discovery = router.discovery(walked=False)
    elif len(patterns.include) == 1:
        server_match = patterns.include[0]
        accept = patterns.matcher() if patterns.exclude else None
    else:
        accept = patterns.matcher()
    seen: set[bytes] = set()
    remaining = limit
    shown = time.monotonic()

    async def load(keys: list[bytes], assumed: bool) -> list[Session]:
        return await load_many(client, keys, user_paths, assumed, max_value_bytes, max_hash_fields)

    try:
        async for keys in key_pages(client, server_match, names):
            stats.scanned += len(keys)
            found: list[Session] = []
            if router is not None:
                strict, assumed = router.route(keys)
                stats.candidates += len(strict) + len(assumed)
                found = (await load(strict, False) if strict else []) + (
                    await load(assumed, True) if assumed else []
                )
                strict, assumed = router.settle(found)
                if strict or assumed:
                    stats.candidates += len(strict) + len(assumed)
                    more = (await load(strict, False) if strict else []) + (
                        await load(assumed, True) if assumed else []
                    )
                    router.counted(more)
                    found += more
                if time.monotonic() - shown > 1.0:  # a live view, not rebuilt every page
                    stats.discovery = router.discovery(walked=False)
                    shown = time.monotonic()
                found = [s for s in found if s.key not in seen]  # SCAN may repeat a key
            else:
                if accept is not None:
                    keys = [k for k in keys if accept(k)]
                keys = [k for k in keys if k not in seen]
                stats.candidates += len(keys)
                if keys:
                    found = await load(keys, assume)
            if not found:
                continue
            if user is not None:
                found = [s for s in found if s.user == user]
            if remaining is not None:
                found = found[:remaining]
                remaining -= len(found)
            seen.update(s.key for s in found)
            stats.found += len(found)
            for start in range(0, len(found), max(1, page)):
                yield found[start : start + max(1, page)]
            if remaining is not None and remaining <= 0:
                break
        else:
            if router is not None:
                stats.discovery = router.discovery(walked=True)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    finally:
        stats.done = True


async def key_pages(
    client: aioredis.Redis,
    match: bytes | None,
    names: Iterable[bytes] | None = None,
    *,
    pacer: keyspace.Pacer | None = None,
) -> AsyncIterator[list[bytes]]:
    """Key names a page at a time: ``names`` in slices, else one paced SCAN pass (one cursor
    per primary on a cluster)."""
    if names is not None:
        chunk: list[bytes] = []
        for name in names:
            chunk.append(name)
            if len(chunk) >= 1000:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    pacer = pacer or keyspace.Pacer()
    cluster = client if isinstance(client, RedisCluster) else None
    cursor: Any = 0
    if cluster is not None:
        cursor = await topology.start_cluster_scan(cluster)
    while True:
        started = time.perf_counter()
        if cluster is not None:
            cursor, keys = await topology.scan_cluster_page(
                cluster, cursor, match, pacer.count, None
            )
        else:
            cursor, keys = await keyspace.scan_page(client, cursor, match, pacer.count)
        pacer.observe(time.perf_counter() - started)
        if keys:
            yield keys
        if not cursor:
            return


async def load_session(
    client: aioredis.Redis,
    key: bytes,
    *,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    assume_session: bool = True,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_hash_fields: int = MAX_HASH_FIELDS,
) -> Session | None:
    """Read and decode one key (e.g. to refresh the selected session). None when the key
    is gone or is not a session."""
    try:
        found = await load_many(
            client, [key], user_paths, assume_session, max_value_bytes, max_hash_fields
        )
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return found[0] if found else None


async def load_many(
    client: aioredis.Redis,
    keys: list[bytes],
    user_paths: Sequence[str],
    assume: bool,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_hash_fields: int = MAX_HASH_FIELDS,
) -> list[Session]:
    """Fetch and detect ``keys``. The common case (a string session under ``FIRST_READ``)
    costs two commands in one round trip: PTTL and GETRANGE of the first ``FIRST_READ``
    bytes. Longer strings and hashes take one or two more trips, size-checked first."""
    out: list[Session] = []
    for start in range(0, len(keys), CHUNK_KEYS):
        chunk = keys[start : start + CHUNK_KEYS]
        out += await _load_chunk(
            client, chunk, user_paths, assume, max_value_bytes, max_hash_fields
        )
    return out


async def _load_chunk(
    client: aioredis.Redis,
    keys: list[bytes],
    user_paths: Sequence[str],
    assume: bool,
    max_value_bytes: int,
    max_hash_fields: int,
) -> list[Session]:
    first = min(FIRST_READ, max_value_bytes + 1)
    replies: list[Any]
    if wire.supported(client):
        replies = await wire.batch(client, wire.pttl_and_head(keys, first), 2 * len(keys))
    else:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.execute_command("PTTL", key)
            pipe.execute_command("GETRANGE", key, 0, first - 1)
        replies = await pipe.execute(raise_on_error=False)
    now = dt.datetime.now(dt.UTC)
    ready: list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]] = []
    longer: list[tuple[bytes, int, bytes]] = []  # strings that may go on
    others: list[tuple[bytes, int]] = []  # not strings (WRONGTYPE)
    for i, key in enumerate(keys):
        pttl, head = replies[2 * i], replies[2 * i + 1]
        if not isinstance(pttl, int) or pttl == -2:
            continue  # gone
        if isinstance(head, bytes):
            if len(head) < first:
                ready.append((key, "string", pttl, head))
            else:
                longer.append((key, pttl, head))
        elif isinstance(head, BaseException) and "WRONGTYPE" in str(head):
            others.append((key, pttl))
    sessions_out: list[Session] = []
    if longer or others:
        pipe = client.pipeline(transaction=False)
        for key, _, _ in longer:
            pipe.execute_command("STRLEN", key)
        for key, _ in others:
            pipe.execute_command("TYPE", key)
            pipe.execute_command("HLEN", key)
        sizes = await pipe.execute(raise_on_error=False)
        fetch: list[tuple[bytes, str, int, int]] = []  # key, how, pttl, size
        for (key, pttl, head), size in zip(longer, sizes[: len(longer)], strict=True):
            if not isinstance(size, int):
                continue
            if size <= max_value_bytes:
                fetch.append((key, "get", pttl, size))
                continue
            big = too_large(key, framework_hint(key), head[:SNIFF_BYTES], size, assume)
            if big is not None:
                sessions_out.append(with_ttl(big, pttl, now))
        rest = sizes[len(longer) :]
        for j, (key, pttl) in enumerate(others):
            kind, hlen = rest[2 * j], rest[2 * j + 1]
            if kind != b"hash" or not isinstance(hlen, int):
                continue
            fetch.append((key, "hgetall" if hlen <= max_hash_fields else "hprobe", pttl, hlen))
        ready += await _fetch(client, fetch, assume, sessions_out, now)
    for key, kind, pttl, value in ready:
        session = detect(
            key, kind, value, ttl_ms=pttl, user_paths=user_paths, assume_session=assume,
            now=now, max_bytes=max_value_bytes,
        )  # fmt: skip
        if session is not None:
            sessions_out.append(session)
    await stores_jvm.fill_related(client, sessions_out)
    return sessions_out


async def _fetch(
    client: aioredis.Redis,
    plans: list[tuple[bytes, str, int, int]],
    assume: bool,
    flagged: list[Session],
    now: dt.datetime,
) -> list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]]:
    """Values of longer strings and of hashes, at most ``BATCH_BYTES`` per round trip.
    Hashes too wide to fetch are appended to ``flagged`` as sessions with an error."""
    ready: list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]] = []
    batches: list[list[tuple[bytes, str, int, int]]] = [[]]
    budget = 0
    for plan in plans:
        cost = plan[3] if plan[1] == "get" else plan[3] * 64
        if batches[-1] and budget + cost > BATCH_BYTES:
            batches.append([])
            budget = 0
        batches[-1].append(plan)
        budget += cost
    for batch in batches:
        if not batch:
            continue
        pipe = client.pipeline(transaction=False)
        for key, how, _, _ in batch:
            if how == "get":
                pipe.execute_command("GET", key)
            elif how == "hgetall":
                pipe.execute_command("HGETALL", key)
            else:
                pipe.execute_command("HMGET", key, *sorted(SPRING_META))
        replies = await pipe.execute(raise_on_error=False)
        for (key, how, pttl, size), reply in zip(batch, replies, strict=True):
            if isinstance(reply, BaseException) or reply is None:
                continue  # gone or changed type meanwhile
            if how == "get" and isinstance(reply, bytes):
                ready.append((key, "string", pttl, reply))
            elif how == "hgetall":
                fields = dict(pairs(reply))
                if fields:
                    ready.append((key, "hash", pttl, fields))
            elif how == "hprobe":
                spring = isinstance(reply, list) and any(v is not None for v in reply)
                framework = "spring" if spring or framework_hint(key) == "spring" else None
                if framework is None and not assume:
                    continue
                framework = framework or "unknown"
                reason = f"too large to decode ({size} fields)"
                session = Session(
                    key, framework, "java", session_id_of(key, framework), redis_type="hash",
                    size=-1, error=reason, refusal=reason,
                )  # fmt: skip
                flagged.append(with_ttl(session, pttl, now))
    return ready
