"""Delete every key matching a pattern, gently: a dry run first, then paced UNLINK batches.

Never KEYS, never one giant DEL. The flow the UI drives:

1. ``dry_run``: SCAN MATCH over the keyspace counts the matches and keeps a sample, within a
   time budget (``complete`` says whether it saw everything).
2. The user types the confirmation (``confirmation_phrase``: "delete 200000").
3. ``bulk_delete``: SCAN MATCH pages; each batch of at most ``BATCH`` keys goes out as one
   UNLINK (which frees big values in the background). Between calls it yields to the event
   loop, and sleeps a little when the server answers slowly; ``cancel`` stops it between two
   calls. ``on_progress`` is called after every batch, and a ``Summary`` comes back.

Each SCAN call costs the server about as much as its COUNT (``keyspace.Pacer`` keeps it near
1 ms); an UNLINK of 500 small keys is about 0.2 ms. Keys are deleted by name as SCAN returns
them: a key re-created under a matching name during the run is deleted too (that is what the
pattern says); a key SCAN returns twice (the table resized) is counted once by UNLINK's reply.

Cluster: a keyspace is scanned per primary. Both functions take one node client or a sequence
of them (``nodes``) and run node by node; on a cluster each node's UNLINK batch must also be
split by hash slot (``batches_for_node`` is the seam for that). Undo does not cover bulk
deletes: the confirmation is the safety.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from redis_tui.data.display import escape_key
from redis_tui.data.edits import WriteGuard
from redis_tui.data.keyspace import MIN_COUNT, TARGET_CALL_SECONDS, Pacer
from redis_tui.errors import RedisTuiError, translate

BATCH = 500
# SCAN COUNT ceiling for bulk runs: half the key list's, so a call stays ~4x under 2 ms on a
# 1M-key database (COUNT 500 measured ~0.26 ms median, COUNT 1000 ~0.5 ms).
MAX_SCAN_COUNT = 500
SAMPLE = 20
DRY_RUN_SECONDS = 10.0
# A call slower than this means a busy server: pause before the next one.
BUSY_SECONDS = 4 * TARGET_CALL_SECONDS
BUSY_PAUSE = 0.01

Nodes = aioredis.Redis | Sequence[aioredis.Redis]


@dataclass(frozen=True)
class DryRun:
    """What a bulk delete would hit.

    Attributes:
        count: keys that matched (a key SCAN returned twice counts twice: rare, only when the
            table resized during the run).
        sample: the first ``sample`` matches.
        scanned: SCAN calls made.
        complete: False when the time budget ran out (or it was cancelled) before the end:
            ``count`` is then a lower bound.
        seconds: time taken.
    """

    pattern: bytes
    count: int
    sample: list[bytes]
    scanned: int
    complete: bool
    seconds: float


@dataclass(frozen=True)
class Progress:
    """Reported after every UNLINK batch."""

    deleted: int
    matched: int
    scanned: int
    seconds: float
    node: int = 0
    nodes: int = 1


@dataclass(frozen=True)
class Summary:
    """The end of a bulk delete.

    Attributes:
        deleted: keys UNLINK removed.
        matched: keys SCAN returned for the pattern.
        scanned: SCAN calls made.
        cancelled: stopped by ``cancel`` before the end.
        seconds: wall time.
    """

    pattern: bytes
    deleted: int
    matched: int
    scanned: int
    cancelled: bool
    seconds: float
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = f"{self.deleted} keys matching {escape_key(self.pattern)} deleted"
        if self.cancelled:
            what += " before cancelling"
        return f"{what} in {self.seconds:.1f}s"


def confirmation_phrase(dry: DryRun) -> str:
    """What the user must type to confirm: ``delete 200000``."""
    return f"delete {dry.count}"


class _BulkPacer(Pacer):
    """``keyspace.Pacer`` with a lower ceiling: a bulk run scans the whole keyspace back to
    back, so it stays gentler than the interactive key list."""

    def __init__(self) -> None:
        super().__init__(MAX_SCAN_COUNT)

    def observe(self, seconds: float) -> None:
        super().observe(seconds)
        self.count = max(MIN_COUNT, min(self.count, MAX_SCAN_COUNT))


def _nodes(nodes: Nodes) -> list[aioredis.Redis]:
    return [nodes] if isinstance(nodes, aioredis.Redis) else list(nodes)


async def _scan(
    node: aioredis.Redis, cursor: int, pattern: bytes, pacer: Pacer
) -> tuple[int, list[bytes], float]:
    started = time.perf_counter()
    next_cursor, keys = await node.execute_command(
        "SCAN", cursor, "MATCH", pattern, "COUNT", pacer.count
    )
    seconds = time.perf_counter() - started
    pacer.observe(seconds)
    return int(next_cursor), list(keys), seconds


async def _breathe(seconds: float) -> None:
    """Let the UI (and other clients) in between two calls."""
    await asyncio.sleep(BUSY_PAUSE if seconds > BUSY_SECONDS else 0)


async def dry_run(
    nodes: Nodes,
    pattern: bytes,
    *,
    sample: int = SAMPLE,
    limit_seconds: float = DRY_RUN_SECONDS,
    cancel: asyncio.Event | None = None,
) -> DryRun:
    """Count the keys matching ``pattern`` with paced SCAN MATCH calls, keeping a sample.

    Raises:
        RedisTuiError: the server failed (translated).
    """
    started = time.monotonic()
    count = calls = 0
    found: list[bytes] = []
    complete = True
    try:
        for node in _nodes(nodes):
            pacer, cursor = _BulkPacer(), 0
            while True:
                cursor, keys, seconds = await _scan(node, cursor, pattern, pacer)
                calls += 1
                count += len(keys)
                found.extend(keys[: max(0, sample - len(found))])
                if cursor == 0:
                    break
                if time.monotonic() - started > limit_seconds or (cancel and cancel.is_set()):
                    complete = False
                    break
                await _breathe(seconds)
            if not complete:
                break
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return DryRun(pattern, count, found, calls, complete, time.monotonic() - started)


def batches_for_node(keys: list[bytes], batch: int) -> list[list[bytes]]:
    """Split one SCAN page into UNLINK batches of at most ``batch`` keys.

    (A cluster change groups by hash slot here, since one UNLINK may not cross slots.)
    """
    return [keys[i : i + batch] for i in range(0, len(keys), batch)]


async def bulk_delete(
    nodes: Nodes,
    guard: WriteGuard,
    pattern: bytes,
    *,
    batch: int = BATCH,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: asyncio.Event | None = None,
) -> Summary:
    """UNLINK every key matching ``pattern``, batch by batch, node by node.

    Args:
        nodes: a client, or one client per primary.
        batch: at most this many keys per UNLINK.
        on_progress: called after every batch (in the worker: post a message).
        cancel: set it to stop after the current call; the summary says ``cancelled``.

    Raises:
        ReadOnlyRefused: the connection is read-only (nothing is scanned).
        RedisTuiError: the server failed; what was deleted so far is in the command log.
    """
    guard.check("bulk delete")
    if not pattern:
        raise ValueError("An empty pattern matches nothing")
    batch = max(1, min(batch, BATCH))
    op = f"bulk delete {escape_key(pattern)}"
    started = time.monotonic()
    deleted = matched = calls = 0
    cancelled = False
    node_list = _nodes(nodes)

    def stopped() -> bool:
        return cancel is not None and cancel.is_set()

    try:
        for index, node in enumerate(node_list):
            pacer, cursor = _BulkPacer(), 0
            while not (cancelled := stopped()):
                cursor, keys, seconds = await _scan(node, cursor, pattern, pacer)
                calls += 1
                matched += len(keys)
                for chunk in batches_for_node(keys, batch):
                    if cancelled := stopped():
                        break
                    await _breathe(seconds)
                    t0 = time.perf_counter()
                    removed = int(await node.execute_command("UNLINK", *chunk))
                    seconds = time.perf_counter() - t0
                    deleted += removed
                    if guard.log is not None:
                        guard.log.append(("UNLINK", *chunk), removed, op=op)
                    if on_progress is not None:
                        on_progress(
                            Progress(
                                deleted,
                                matched,
                                calls,
                                time.monotonic() - started,
                                index,
                                len(node_list),
                            )
                        )
                if cancelled or cursor == 0:
                    break
                await _breathe(seconds)
            if cancelled:
                break
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    summary = Summary(pattern, deleted, matched, calls, cancelled, time.monotonic() - started)
    if guard.log is not None:
        guard.log.append((), summary.describe(), ok=not cancelled, op=op)
    return summary
