"""The keyspace analysis, run by the worker as an async job (``:analyze``).

One paced pass of ``Gateway.analyze`` on the worker's connection: it never blocks the UI
(each page is one round trip or two, and the bounded bookkeeping of ≤700 keys), posts
``AnalysisProgressed`` at most every ``PROGRESS_EVERY`` seconds and one ``AnalysisFinished``
at the end: the result (partial when ``stop`` was set), or why it failed.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Protocol

from redis_tui.errors import ConnectionFailed, RedisTuiError
from redis_tui.ui.worker import messages as m

if TYPE_CHECKING:  # the analysis code loads with the gateway's first analyze
    from redis_tui.data.analysis import AnalysisOptions, Progress
    from redis_tui.data.gateway import Gateway

PROGRESS_EVERY = 0.1  # seconds between progress messages (a page takes ~1 ms)


class AnalysisHost(Protocol):
    """The worker, as an analysis sees it."""

    connected: asyncio.Event

    @property
    def gateway(self) -> Gateway: ...  # built on first use (RedisWorker)

    def post(self, message: m.WorkerMessage, epoch: int | None = None) -> None: ...

    def lost(self, exc: RedisTuiError) -> None: ...


async def run_analysis(
    host: AnalysisHost, run: int, options: AnalysisOptions, stop: asyncio.Event
) -> None:
    """Analyse the current database; post its progress and its end (see the module)."""
    last = 0.0

    def progressed(progress: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY:
            last = now
            host.post(m.AnalysisProgressed(run, progress))

    try:
        if not host.connected.is_set():
            # Not connected (yet): a stop must not wait for the connection to come back.
            waits = [asyncio.ensure_future(e.wait()) for e in (host.connected, stop)]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
            if not host.connected.is_set():
                host.post(m.AnalysisFinished(run, None, "not connected: stopped before it began"))
                return
        result = await host.gateway.analyze(options, on_progress=progressed, stop=stop)
    except ConnectionFailed as exc:
        host.lost(exc)
        host.post(m.AnalysisFinished(run, None, exc.message))
    except RedisTuiError as exc:
        host.post(m.AnalysisFinished(run, None, exc.message))
    else:
        host.post(m.AnalysisFinished(run, result))
