"""One scan of the keyspace, run by the worker: names page by page (in-process, or from a
child process for big databases), then each batch's TYPE and PTTL on a second connection.

Split from the worker so it reads on its own; it uses the worker only through ``ScanHost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis_tui.data.scan.pacing import MAX_COUNT, Pacer
from redis_tui.errors import ConnectionFailed, PermissionDenied, RedisTuiError
from redis_tui.ui.worker import messages as m

# The gateway and the child process load when the worker connects, after the first frame.
if TYPE_CHECKING:
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.scan.first import FirstPage
    from redis_tui.data.scan.keystore import KeyStore
    from redis_tui.data.scan.process import ScanProcess

# How often the TYPE/PTTL pass over a store looks whether the UI has added every name.
FED_POLL_SECONDS = 0.01
# TYPE/PTTL batches in flight together over a store's rows (one connection each).
LANES = 2
Meta = tuple[list[bytes], list[int]]


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
    keys: Sequence[bytes]


@dataclass(frozen=True)
class StoreRows:
    """Every row of ``store`` still without a type, once the UI has added the names of batch
    ``through`` (a child process's names: read back from the store, not held twice)."""

    store: KeyStore
    through: int


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
        store_ref: weakref.ref[KeyStore] | None = None,
        first: FirstPage | None = None,
    ) -> None:
        """``first``: the page the start-up check read, already posted (``RedisWorker.scan``):
        this scan goes on from its cursor."""
        pacer = Pacer()
        store = None if store_ref is None else store_ref()
        cursor: Any = start
        self.host.scan_running = True
        batches: asyncio.Queue[MetaBatch | StoreRows | None] = asyncio.Queue()
        if start is not None and store is not None and names_first:
            batches.put_nowait(StoreRows(store, 0))  # the rows listed before the stop
        meta = (
            asyncio.get_running_loop().create_task(self._meta(generation, batches))
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
                        child, generation, cursor, batch, batches, store
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
        batches: asyncio.Queue[MetaBatch | StoreRows | None],
        store: KeyStore | None,
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
        # the baseline instead of 0.5-0.6), and it catches up as fast after. Meanwhile the
        # names are only in the store: a copy of each, kept for later, cost 5M keys ~140 MB.
        held: list[MetaBatch] = []
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
                    if keys and store is None:
                        held.append(MetaBatch(batch, keys))
        except (ScanProcessFailed, RedisTuiError, OSError):
            pass
        finally:
            await child.close()
        if delivered:
            if store is not None:
                batches.put_nowait(StoreRows(store, batch))
            for item in held:
                batches.put_nowait(item)
        return (child.cursor if delivered else cursor), batch, done

    async def _meta(
        self, generation: int, batches: asyncio.Queue[MetaBatch | StoreRows | None]
    ) -> None:
        """TYPE and PTTL for each batch of names, in order, until the end marker. A big batch
        (the child process delivers many pages at once) goes in slices of ``MAX_COUNT``."""
        while True:
            item = await batches.get()
            if item is None:
                self.host.post(m.KeysMetaFetched(generation, 0, [], [], [], done=True))
                return
            if isinstance(item, StoreRows):
                if not await self._store_rows(generation, item):
                    return
                continue
            names = item.keys
            for offset in range(0, len(names), MAX_COUNT):
                keys = list(names[offset : offset + MAX_COUNT])
                types, pttls = await self._fetch(keys)
                if generation != self.host.scan_generation:
                    return
                self.host.post(
                    m.KeysMetaFetched(
                        generation, item.batch, keys, types, pttls, done=False, offset=offset,
                        last=offset + MAX_COUNT >= len(names),
                    )
                )  # fmt: skip

    async def _store_rows(self, generation: int, item: StoreRows) -> bool:
        """TYPE and PTTL of the store's rows without a type (posted with their storage
        indexes as ``hints``). False when the scan was replaced meanwhile."""
        store = item.store
        while store.fed_batch < item.through:  # the UI is still adding the last pages
            if generation != self.host.scan_generation:
                return False
            await asyncio.sleep(FED_POLL_SECONDS)
        row = 0
        # Two batches in flight, each on its own connection (lane): the server answers one
        # while this process parses and posts the other.
        flight: deque[tuple[list[int], list[bytes], asyncio.Task[Meta]]] = deque()
        lane = 0
        try:
            while True:
                if len(flight) < LANES:
                    hints, keys, row = store.unknown_from(row, MAX_COUNT)
                    if keys:
                        task = asyncio.get_running_loop().create_task(self._fetch(keys, lane))
                        flight.append((hints, keys, task))
                        lane = (lane + 1) % LANES  # the lane of the oldest batch, done first
                        continue
                if not flight:
                    return True
                hints, keys, task = flight.popleft()
                types, pttls = await task
                if generation != self.host.scan_generation:
                    return False
                self.host.post(
                    m.KeysMetaFetched(generation, 0, keys, types, pttls, done=False, hints=hints)
                )
        finally:
            for *_, task in flight:
                task.cancel()

    async def _fetch(self, keys: list[bytes], lane: int = 0) -> Meta:
        """TYPE and PTTL of ``keys``, waiting out a lost connection; a refusal (ACL) gives
        unknown types."""
        while True:
            await self.host.connected.wait()
            try:
                return await self.host.gateway.key_meta(keys, lane)
            except ConnectionFailed as exc:
                self.host.lost(exc)
            except RedisTuiError:
                return [b"?"] * len(keys), [-2] * len(keys)
