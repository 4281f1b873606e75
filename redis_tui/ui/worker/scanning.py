"""One scan of the keyspace, run by the worker: names page by page (in-process, or from a
child process for big databases), then each batch's TYPE and PTTL on a second connection.

Split from the worker so it reads on its own; it uses the worker only through ``ScanHost``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis_tui.data.scan.pacing import MAX_COUNT, Pacer
from redis_tui.errors import ConnectionFailed, PermissionDenied, RedisTuiError
from redis_tui.ui.worker import messages as m

# The gateway and the child process load when the worker connects, after the first frame.
if TYPE_CHECKING:
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.scan.first import FirstPage
    from redis_tui.data.scan.process import ScanProcess


class ScanHost(Protocol):
    """The worker, as a scan sees it."""

    connected: asyncio.Event
    dbsize: int | None
    scan_generation: int
    scan_cursor: Any
    scan_running: bool
    scan_process_min_keys: int
    scan_process_pages: int

    @property
    def gateway(self) -> Gateway: ...  # built on first use (RedisWorker)

    def post(self, message: m.WorkerMessage, epoch: int | None = None) -> None: ...

    def lost(self, exc: RedisTuiError) -> None: ...


@dataclass(frozen=True)
class MetaBatch:
    """Names whose TYPE and PTTL the scan fetches after them."""

    batch: int
    keys: list[bytes]
    # Wait until the child process has streamed every name (see ``_scan_in_child``).
    wait: bool = False
    # Storage indexes of ``keys`` when they are not one batch's rows (``scan(backlog=…)``).
    hints: list[int] | None = None


class ScanRun:
    """One scan (its generation): ``await ScanRun(...).run()``."""

    def __init__(self, host: ScanHost) -> None:
        self.host = host

    async def run(
        self,
        generation: int,
        match: bytes | None,
        type_name: str | None,
        start: Any = None,
        names_first: bool = True,
        backlog: tuple[list[int], list[bytes]] | None = None,
        first: FirstPage | None = None,
    ) -> None:
        """``first``: the page the start-up check read, already posted (``RedisWorker.scan``):
        this scan goes on from its cursor."""
        pacer = Pacer()
        cursor: Any = start
        self.host.scan_running = True
        batches: asyncio.Queue[MetaBatch | None] = asyncio.Queue()
        if backlog and backlog[1] and names_first:
            batches.put_nowait(MetaBatch(0, backlog[1], hints=backlog[0]))
        # Cleared while a child process streams names: their TYPE/PTTL waits (``_scan_meta``).
        streamed = asyncio.Event()
        streamed.set()
        meta = (
            asyncio.get_running_loop().create_task(self._meta(generation, batches, streamed))
            if names_first
            else None
        )
        # A big database: this loop fetches the first page (rows on screen at once), then the
        # child process (``scanproc``) takes over from its cursor. Started before the first
        # page, the child held it back (and the first rows with it) while the event loop was
        # busy building the screen. A resumed scan has its rows: the child starts at once.
        child: ScanProcess | None = None
        child_tried = not names_first
        batch = 0
        # Resuming a scan whose names were all in (stopped while types came): the backlog only.
        names_done = start is not None and not start
        if names_done:
            self.host.post(
                m.KeysScanned(generation, [], [], [], done=True, meta_follows=names_first)
            )
        if first is not None:
            cursor = self.host.scan_cursor = first.cursor
            batch = 1
            names_done = not cursor
            if first.keys:
                batches.put_nowait(MetaBatch(1, first.keys))
        try:
            while generation == self.host.scan_generation and not names_done:
                await self.host.connected.wait()
                if not child_tried and (batch or start is not None):
                    # Once connected: DBSIZE is known.
                    child_tried = True
                    child = await self._start_child(cursor, match, type_name)
                if child is not None:
                    cursor, batch, done = await self._in_child(
                        child, generation, cursor, batch, batches, streamed
                    )
                    child = None
                    if done or generation != self.host.scan_generation:
                        break
                    continue
                try:
                    page = await self.host.gateway.scan(
                        cursor, match, pacer.count, type_name, with_meta=not names_first
                    )
                except ConnectionFailed as exc:
                    self.host.lost(exc)
                    continue
                except RedisTuiError as exc:
                    # The scan ends here: the footer must not stay on "scanning…".
                    self.host.post(
                        m.KeysScanned(generation, [], [], [], done=True, batch=batch + 1,
                                      meta_follows=False)
                    )  # fmt: skip
                    reason = exc.message
                    if isinstance(exc, PermissionDenied):
                        reason = (
                            "SCAN is not permitted for this user, so keys cannot be listed: "
                            ":key NAME opens a key by its name"
                        )
                    self.host.post(m.WorkerFailed("scan", reason))
                    return
                pacer.observe(page.seconds)
                cursor = page.cursor
                if generation != self.host.scan_generation:
                    return
                self.host.scan_cursor = cursor
                batch += 1
                self.host.post(
                    m.KeysScanned(
                        generation, page.keys, page.types, page.pttls, done=page.done,
                        batch=batch, meta_follows=names_first,
                    )
                )  # fmt: skip
                if meta is not None and page.keys:
                    batches.put_nowait(MetaBatch(batch, page.keys))
                if page.done:
                    break
                # Let the UI breathe between pages.
                await asyncio.sleep(0)
            if meta is not None and generation == self.host.scan_generation:
                batches.put_nowait(None)
                await meta
        finally:
            if child is not None:
                await child.close()
            if meta is not None and not meta.done():
                meta.cancel()
            if generation == self.host.scan_generation:
                self.host.scan_running = False

    async def _start_child(
        self, cursor: Any, match: bytes | None, type_name: str | None
    ) -> ScanProcess | None:
        if (self.host.dbsize or 0) < self.host.scan_process_min_keys:
            return None
        child = self.host.gateway.scan_process(cursor or 0, match, type_name)
        if child is None:
            return None
        try:
            await child.start()
        except OSError:
            return None
        return child

    async def _in_child(
        self,
        child: ScanProcess,
        generation: int,
        cursor: Any,
        batch: int,
        batches: asyncio.Queue[MetaBatch | None],
        streamed: asyncio.Event,
    ) -> tuple[int, int, bool]:
        """Go on with a names-first scan from the pages of a child process.

        The child started from ``cursor``, where this loop got to. Returns ``(cursor, batch,
        done)`` where the child got to: after a failure, the in-process loop carries on from
        there and reports a real problem (a lost server, an ACL) the usual way.
        """
        from redis_tui.data.scan.process import ScanProcessFailed

        done = delivered = False
        # TYPE/PTTL of the child's names waits until every name is in: fetched alongside,
        # it takes the server and this process from the names (measured: names 0.35-0.44 of
        # the baseline instead of 0.5-0.6), and it catches up as fast after.
        streamed.clear()
        try:
            async with contextlib.aclosing(child.pages()) as pages:
                async for cursor, keys in pages:
                    if generation != self.host.scan_generation:
                        break
                    delivered = True
                    self.host.scan_process_pages += 1
                    self.host.scan_cursor = cursor
                    done = cursor == 0
                    batch += 1
                    self.host.post(
                        m.KeysScanned(
                            generation, keys, [], [], done=done, batch=batch, meta_follows=True
                        )
                    )
                    if keys:
                        batches.put_nowait(MetaBatch(batch, keys, wait=True))
        except (ScanProcessFailed, RedisTuiError, OSError):
            pass
        finally:
            streamed.set()
            await child.close()
        return (child.cursor if delivered else cursor), batch, done

    async def _meta(
        self, generation: int, batches: asyncio.Queue[MetaBatch | None], streamed: asyncio.Event
    ) -> None:
        """TYPE and PTTL for each batch of names, in order, until the end marker. A big batch
        (the child process delivers many pages at once) goes in slices of ``MAX_COUNT``."""
        while True:
            item = await batches.get()
            if item is None:
                self.host.post(m.KeysMetaFetched(generation, 0, [], [], [], done=True))
                return
            names = item.keys
            if item.wait:
                await streamed.wait()
            for offset in range(0, len(names), MAX_COUNT):
                keys = names[offset : offset + MAX_COUNT]
                while True:
                    await self.host.connected.wait()
                    try:
                        types, pttls = await self.host.gateway.key_meta(keys)
                    except ConnectionFailed as exc:
                        self.host.lost(exc)
                        continue
                    except RedisTuiError:
                        types, pttls = [b"?"] * len(keys), [-2] * len(keys)
                    break
                if generation != self.host.scan_generation:
                    return
                hints = item.hints[offset : offset + MAX_COUNT] if item.hints else None
                self.host.post(
                    m.KeysMetaFetched(
                        generation, item.batch, keys, types, pttls, done=False, offset=offset,
                        last=offset + MAX_COUNT >= len(names), hints=hints,
                    )
                )  # fmt: skip
