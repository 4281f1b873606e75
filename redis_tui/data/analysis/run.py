"""One paced pass over the keyspace: SCAN pages, then TYPE + PTTL (+ ``MEMORY USAGE key
SAMPLES 0``) of each page in one round trip and the length commands in a second.

On a standalone server reached directly, both batches go over ``fastmeta.MetaConnection``
(pre-encoded RESP, hiredis replies); on a cluster or behind Sentinel, through redis-py's
non-transactional pipelines (a cluster pipeline sends each key to its primary), and the
SCAN walks every primary with its own cursor (``topology.scan_cluster_page``).

Raises redis-py errors and our own (``RedisTuiError``) from the link; ``Gateway.analyze``
translates them. Command errors (an ACL that refuses MEMORY or TYPE) degrade the result
instead, with a note.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from redis_tui.data.analysis.aggregate import Accumulator
from redis_tui.data.analysis.model import (
    DEFAULT_SAMPLE,
    AnalysisOptions,
    AnalysisResult,
    MemoryMode,
    Progress,
    ServerHealth,
)
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.scan import fastmeta, keyspace, topology
from redis_tui.data.scan.pacing import Pacer
from redis_tui.data.values.display import escape_text
from redis_tui.data.values.kinds import LENGTH_COMMAND
from redis_tui.errors import is_command_error

_MEMORY = b"*5\r\n$6\r\nMEMORY\r\n$5\r\nUSAGE\r\n$%d\r\n%s\r\n$7\r\nSAMPLES\r\n$1\r\n0\r\n"
_ONE_ARG = b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_LENGTH = {kind.encode(): command.encode() for kind, command in LENGTH_COMMAND.items()}


class _Batches:
    """The two metadata batches of a page, over hiredis or a redis-py pipeline."""

    def __init__(self, client: aioredis.Redis, settings: ConnectionSettings | None) -> None:
        self.client = client
        fast = settings is not None and fastmeta.supports(client)
        self.meta = fastmeta.MetaConnection(settings) if fast and settings else None

    async def close(self) -> None:
        if self.meta is not None:
            await self.meta.close()

    async def meta_memory(
        self, keys: Sequence[bytes], wants: Sequence[bool]
    ) -> tuple[list[bytes], list[int], list[Any]]:
        """(types, pttls, memory replies or None where not asked) of a page."""
        measured = sum(wants)
        if self.meta is not None:
            meta, memory = fastmeta.META_TEMPLATE, _MEMORY
            payload = b"".join(
                [
                    (meta % (len(k), k, len(k), k)) + (memory % (len(k), k) if w else b"")
                    for k, w in zip(keys, wants, strict=True)
                ]
            )
            replies = await self.meta.call(payload, 2 * len(keys) + measured)
        else:
            pipe = self.client.pipeline(transaction=False)
            for key, want in zip(keys, wants, strict=True):
                pipe.execute_command("TYPE", key)
                pipe.execute_command("PTTL", key)
                if want:
                    pipe.execute_command("MEMORY USAGE", key, "SAMPLES", 0)
            replies = _checked(await pipe.execute(raise_on_error=False))
        types: list[bytes] = []
        pttls: list[int] = []
        memories: list[Any] = []
        i = 0
        for want in wants:
            kind, pttl = replies[i], replies[i + 1]
            types.append(kind if isinstance(kind, bytes) else b"?")
            pttls.append(pttl if isinstance(pttl, int) else -2)
            if want:
                memories.append(replies[i + 2])
                i += 3
            else:
                memories.append(None)
                i += 2
        return types, pttls, memories

    async def lengths(self, keys: Sequence[bytes], types: Sequence[bytes]) -> list[int | None]:
        """STRLEN / HLEN / LLEN / SCARD / ZCARD / XLEN of each key; None for other types."""
        asked = [(k, _LENGTH[t]) for k, t in zip(keys, types, strict=True) if t in _LENGTH]
        if not asked:
            return [None] * len(keys)
        if self.meta is not None:
            template = _ONE_ARG
            payload = b"".join([template % (len(c), c, len(k), k) for k, c in asked])
            replies = await self.meta.call(payload, len(asked))
        else:
            pipe = self.client.pipeline(transaction=False)
            for key, command in asked:
                pipe.execute_command(command.decode(), key)
            replies = _checked(await pipe.execute(raise_on_error=False))
        answers = iter(replies)
        out: list[int | None] = []
        for kind in types:
            if kind in _LENGTH:
                reply = next(answers)
                out.append(reply if isinstance(reply, int) else None)
            else:
                out.append(None)
        return out


def _checked(replies: list[Any]) -> list[Any]:
    """Command errors stay inline; a dead link raises."""
    for reply in replies:
        if isinstance(reply, BaseException) and not is_command_error(reply):
            raise reply
    return replies


async def analyze(
    client: aioredis.Redis,
    options: AnalysisOptions | None = None,
    *,
    settings: ConnectionSettings | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    stop: asyncio.Event | None = None,
) -> AnalysisResult:
    """Analyse the keyspace of ``client``'s database in one paced pass.

    Args:
        client: a connected redis-py asyncio client (``RedisCluster`` for a cluster).
        options: what to analyse and the bounds (``AnalysisOptions()`` by default).
        settings: the client's connection settings; with them a standalone server is read
            over the fast hiredis connection.
        on_progress: called after each page.
        stop: when set, the pass ends after the current page and the result says it is
            partial (``complete`` False). Cancelling the task works too (nothing returned).

    Returns:
        The analysis; memory is exact, sampled (with its margin) or "not permitted".

    Raises:
        redis-py errors or ``RedisTuiError`` when the link fails.
    """
    options = options or AnalysisOptions()
    cluster = client if isinstance(client, RedisCluster) else None
    notes: list[str] = []
    started = time.perf_counter()
    # The cluster cursor first: it initialises the slot map that get_primaries() reads.
    cursor: Any = await topology.start_cluster_scan(cluster) if cluster is not None else 0
    primaries = len(cluster.get_primaries()) if cluster is not None else 1
    dbsize = await _dbsize(client, cluster)
    server = await _server_health(client, cluster)
    sample = options.sample_per_namespace
    if sample is None and options.exact_limit is not None and (dbsize or 0) > options.exact_limit:
        sample = DEFAULT_SAMPLE
    acc = Accumulator(options, sample)
    measure = options.measure_memory
    permitted = True
    batches = _Batches(client, settings)
    pacer = Pacer()
    done = 0
    complete = True
    try:
        while True:
            if stop is not None and stop.is_set():
                complete = False
                break
            began = time.perf_counter()
            if cluster is not None:
                next_cursor: Any
                next_cursor, keys = await topology.scan_cluster_page(
                    cluster, cursor, options.match, pacer.count, None
                )
                if next_cursor.fixups and not cursor.fixups and not next_cursor.nodes:
                    notes.append("slots moved during the analysis: their keys may count twice")
            else:
                next_cursor, keys = await keyspace.scan_page(
                    client, cursor, options.match, pacer.count
                )
            pacer.observe(time.perf_counter() - began)
            if keys:
                groups = acc.groups_of(keys)
                wants = acc.want_memory(groups) if measure and permitted else [False] * len(keys)
                types, pttls, replies = await batches.meta_memory(keys, wants)
                memories: list[int | None] = [r if isinstance(r, int) else None for r in replies]
                if permitted and any(isinstance(r, BaseException) for r in replies):
                    refused = next(r for r in replies if isinstance(r, BaseException))
                    permitted = False
                    memories = [None] * len(keys)
                    why = escape_text(str(refused), multiline=False)[:120]
                    notes.append(f"memory not permitted ({why})")
                lengths = await batches.lengths(keys, types)
                acc.add(keys, groups, types, pttls, memories, lengths, int(time.time() * 1000))
                done += len(keys)
            if on_progress is not None:
                elapsed = time.perf_counter() - started
                eta = None
                if dbsize and done:
                    eta = max(0.0, elapsed * (dbsize - done) / done)
                on_progress(Progress(done, dbsize, elapsed, eta))
            cursor = next_cursor
            if not cursor:
                break
    finally:
        await batches.close()
    return _result(acc, options, cluster is not None, primaries, dbsize, server, notes,
                   permitted and measure, time.perf_counter() - started, complete)  # fmt: skip


def _result(
    acc: Accumulator,
    options: AnalysisOptions,
    is_cluster: bool,
    primaries: int,
    dbsize: int | None,
    server: ServerHealth,
    notes: list[str],
    permitted: bool,
    seconds: float,
    complete: bool,
) -> AnalysisResult:
    namespaces = acc.namespaces()
    memory, margin, measured, types, ttl = acc.totals()
    mode = MemoryMode(
        permitted=permitted,
        measured=measured if permitted else 0,
        total=acc.keys,
        error_pct=(
            round(100 * margin / memory, 2)
            if permitted and memory and measured < acc.keys
            else None
        ),
    )
    if not options.measure_memory:
        notes.append("memory not measured")
    if acc.folded_keys:
        notes.append(
            f"over {options.max_namespaces} namespaces: {acc.folded_keys} keys counted in "
            "their nearest tracked ancestor"
        )
    if acc.expiry_pruned:
        notes.append("many distinct expiry seconds: the quietest were dropped from the count")
    if mode.permitted and not mode.exact:
        notes.append("top keys by memory are among the measured keys only")
    if not complete:
        notes.append("stopped before the end: partial figures")
    return AnalysisResult(
        mode="cluster" if is_cluster else "standalone",
        primaries=primaries,
        dbsize=dbsize,
        keys=acc.keys,
        seconds=round(seconds, 3),
        complete=complete,
        delimiter=options.delimiter,
        match=options.match,
        memory_mode=mode,
        memory=memory if permitted else 0,
        memory_error=margin if permitted else 0,
        types=types,
        ttl=ttl,
        namespaces=tuple(namespaces),
        top_by_memory=tuple(acc.top_by_memory()) if permitted else (),
        top_by_length=tuple(acc.top_by_length()),
        leaks=tuple(acc.leaks(namespaces)),
        stampedes=tuple(acc.stampedes()),
        server=server,
        folded_keys=acc.folded_keys,
        notes=tuple(notes),
    )


async def _dbsize(client: aioredis.Redis, cluster: RedisCluster | None) -> int | None:
    """DBSIZE, summed over a cluster's primaries; None when refused."""
    targets: list[Any] = cluster.get_primaries() if cluster is not None else [None]
    total = 0
    for node in targets:
        kwargs = {"target_nodes": node} if node is not None else {}
        try:
            size = await client.execute_command("DBSIZE", **kwargs)
        except Exception as exc:
            if is_command_error(exc):
                return None
            raise
        if not isinstance(size, int):
            return None
        total += size
    return total


_INFO_FIELDS = ("keyspace_hits", "keyspace_misses", "evicted_keys", "used_memory", "maxmemory")


async def _server_health(client: aioredis.Redis, cluster: RedisCluster | None) -> ServerHealth:
    """Hits, misses, evictions and memory from INFO (summed over a cluster's primaries);
    maxmemory and its policy from CONFIG GET when INFO does not say. None where refused."""
    infos: list[dict[str, Any]] = []
    targets: list[Any] = cluster.get_primaries() if cluster is not None else [None]
    for node in targets:
        merged: dict[str, Any] = {}
        for section in ("stats", "memory"):
            kwargs = {"target_nodes": node} if node is not None else {}
            try:
                reply = await client.execute_command("INFO", section, **kwargs)
            except Exception as exc:
                if not is_command_error(exc):
                    raise
                continue
            if isinstance(reply, dict):
                merged.update(reply)
        infos.append(merged)
    sums: dict[str, int | None] = {}
    for name in _INFO_FIELDS:
        values = [_int(info.get(name)) for info in infos]
        known = [v for v in values if v is not None]
        sums[name] = sum(known) if known and len(known) == len(values) else None
    policy = next((str(i["maxmemory_policy"]) for i in infos if "maxmemory_policy" in i), None)
    if sums["maxmemory"] is None or policy is None:
        config = await _config_get(client)
        if sums["maxmemory"] is None:
            sums["maxmemory"] = _int(config.get("maxmemory"))
        policy = policy or config.get("maxmemory-policy")
    return ServerHealth(maxmemory_policy=policy, **sums)


async def _config_get(client: aioredis.Redis) -> dict[str, str]:
    try:
        reply = await client.config_get("maxmemory*")
    except Exception as exc:
        if is_command_error(exc):
            return {}
        raise
    if not isinstance(reply, dict):
        return {}
    return {_text(k): _text(v) for k, v in reply.items()}


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    try:
        return int(_text(value)) if value is not None else None
    except ValueError:
        return None
