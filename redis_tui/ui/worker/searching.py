"""One search inside a value, run by the worker: the gateway's batches, merged and posted
at most every ``POST_INTERVAL`` seconds as ``ValueSearched`` (the last one always)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Protocol

from redis_tui.errors import ConnectionFailed, RedisTuiError
from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:  # the search code loads with the gateway's first search
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.values.search import Query

POST_INTERVAL = 0.1


class SearchHost(Protocol):
    """The worker, as a search sees it."""

    connected: asyncio.Event
    search_generation: int

    @property
    def gateway(self) -> Gateway: ...  # built on first use (RedisWorker)

    def post(self, message: m.WorkerMessage, epoch: int | None = None) -> None: ...

    def lost(self, exc: RedisTuiError) -> None: ...


async def run_search(
    host: SearchHost,
    generation: int,
    key: bytes,
    kind: str,
    query: Query,
    total: int | None,
    start: int,
    reverse: bool,
    memory: int | None,
) -> None:
    """Search ``key`` and post what it finds, until done, capped or replaced."""
    from redis_tui.data.values.search import Batch

    pending = Batch()
    posted = time.monotonic()

    def flush(batch: Batch, error: str | None = None) -> None:
        nonlocal pending, posted
        merged = Batch(pending.rows + batch.rows, batch.examined, batch.total, batch.done,
                       batch.capped, batch.scope)  # fmt: skip
        if error is not None:
            merged.done = True
        host.post(m.ValueSearched(key, generation, merged, error))
        pending, posted = Batch(), time.monotonic()

    last = Batch(total=total)
    try:
        await host.connected.wait()
        async for batch in host.gateway.search_value(
            key, kind, query, total=total, start=start, reverse=reverse, memory=memory
        ):
            if generation != host.search_generation:
                return
            last = batch
            if batch.done or time.monotonic() - posted >= POST_INTERVAL:
                flush(batch)
            else:
                pending.rows.extend(batch.rows)
    except ConnectionFailed as exc:
        host.lost(exc)
        flush(last, exc.message)
    except RedisTuiError as exc:
        flush(last, exc.message)
