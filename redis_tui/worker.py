"""The background worker: owns the Redis connection, polls, scans, loads and applies edits.

Widgets never await Redis. They call the worker's request methods, which return at once;
results come back as messages (``redis_tui.ui.messages``) posted to the app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import App

from redis_tui.data.connection import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.keyspace import Pacer
from redis_tui.errors import ConnectionFailed, RedisTuiError
from redis_tui.ui import messages as m

BACKOFF_START, BACKOFF_MAX = 0.5, 10.0


@dataclass(frozen=True)
class Delete:
    key: bytes


Edit = Delete


class Backoff:
    """0.5 s, 1 s, 2 s … up to 10 s between reconnection attempts."""

    def __init__(self) -> None:
        self.delay = BACKOFF_START

    def next(self) -> float:
        delay = self.delay
        self.delay = min(BACKOFF_MAX, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = BACKOFF_START


class RedisWorker:
    """One per connection. Start it with ``app.run_worker(worker.run())``."""

    def __init__(
        self, app: App[Any], settings: ConnectionSettings, poll_interval: float = 2.0
    ) -> None:
        self.app = app
        self.gateway = Gateway(settings)
        self.poll_interval = poll_interval
        self.connected = asyncio.Event()
        self.edits: asyncio.Queue[Edit] = asyncio.Queue()
        self.backoff = Backoff()
        # Set by the UI (attributes down): what is on screen, and whether a modal is open.
        self.visible: Sequence[tuple[int, bytes]] = ()
        self.hold = False
        self.paused = False
        self._retry_now = asyncio.Event()
        self._poll_running = False
        self.scan_generation = 0
        self.scan_running = False

    @property
    def settings(self) -> ConnectionSettings:
        return self.gateway.settings

    # -- requests from the UI: each returns at once ------------------------------------

    def scan(self, match: bytes | None = None, type_name: str | None = None) -> int:
        """Start a new scan (cancelling the previous one). Returns its generation number."""
        self.scan_generation += 1
        generation = self.scan_generation
        self.app.run_worker(
            self._scan(generation, match, type_name),
            group="scan",
            exclusive=True,
            exit_on_error=False,
        )
        return generation

    def stop_scan(self) -> None:
        self.scan_generation += 1
        self.app.workers.cancel_group(self.app, "scan")
        self.scan_running = False

    def load(self, key: bytes, **page: Any) -> None:
        """Load a key's value; a newer load replaces an older one still running."""
        append = bool(page.pop("append", False))
        self.app.run_worker(
            self._load(key, append, page), group="load", exclusive=True, exit_on_error=False
        )

    def delete(self, key: bytes) -> None:
        """Queue a delete. Refused here (not only in the UI) when the connection is read-only."""
        self.edits.put_nowait(Delete(key))

    def retry_now(self) -> None:
        self._retry_now.set()

    def select_db(self, db: int) -> None:
        self.app.run_worker(
            self._select_db(db), group="connect", exclusive=True, exit_on_error=False
        )

    # -- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, then serve edits and polls until cancelled; reconnect with backoff on loss."""
        try:
            while True:
                if not self.connected.is_set():
                    await self._connect()
                    continue
                try:
                    edit = await asyncio.wait_for(self.edits.get(), timeout=self.poll_interval)
                except TimeoutError:
                    await self._poll()
                else:
                    await self._apply(edit)
        finally:
            await self.gateway.close()

    async def _connect(self) -> None:
        try:
            facts = await self.gateway.connect()
        except RedisTuiError as exc:
            delay = self.backoff.next()
            self.app.post_message(m.ConnectionLost(exc.message, delay))
            self._retry_now.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._retry_now.wait(), timeout=delay)
            return
        self.backoff.reset()
        self.connected.set()
        self.app.post_message(m.Connected(facts, self.settings.describe()))

    def _lost(self, exc: RedisTuiError) -> None:
        if self.connected.is_set():
            self.connected.clear()
            self.app.post_message(m.ConnectionLost(exc.message, 0.0))
            asyncio.get_running_loop().create_task(self.gateway.close())

    async def _poll(self) -> None:
        """Server facts and TTLs of the visible keys in one round trip; never overlaps itself."""
        if self.hold or self.paused or self._poll_running or not self.connected.is_set():
            return
        self._poll_running = True
        visible = list(self.visible)
        try:
            facts, pttls = await self.gateway.poll([key for _, key in visible])
        except ConnectionFailed as exc:
            self._lost(exc)
        except RedisTuiError as exc:
            self.app.post_message(m.WorkerFailed("poll", exc.message))
        else:
            self.app.post_message(
                m.ServerPolled(facts, [k for _, k in visible], pttls, [i for i, _ in visible])
            )
        finally:
            self._poll_running = False

    async def _apply(self, edit: Edit) -> None:
        if not self.connected.is_set():
            self.app.post_message(
                m.WorkerFailed("delete", "Not connected: nothing was deleted", edit.key)
            )
            return
        try:
            await self.gateway.delete(edit.key)
        except ConnectionFailed as exc:
            self._lost(exc)
            self.app.post_message(m.WorkerFailed("delete", exc.message, edit.key))
        except RedisTuiError as exc:
            self.app.post_message(m.WorkerFailed("delete", exc.message, edit.key))
        else:
            self.app.post_message(m.KeyDeleted(edit.key))

    async def _scan(self, generation: int, match: bytes | None, type_name: str | None) -> None:
        pacer = Pacer()
        cursor: Any = None
        self.scan_running = True
        try:
            while generation == self.scan_generation:
                await self.connected.wait()
                try:
                    page = await self.gateway.scan(cursor, match, pacer.count, type_name)
                except ConnectionFailed as exc:
                    self._lost(exc)
                    continue
                except RedisTuiError as exc:
                    self.app.post_message(m.WorkerFailed("scan", exc.message))
                    return
                pacer.observe(page.seconds)
                cursor = page.cursor
                if generation != self.scan_generation:
                    return
                self.app.post_message(
                    m.KeysScanned(generation, page.keys, page.types, page.pttls, done=page.done)
                )
                if page.done:
                    return
                # Let the UI breathe between pages.
                await asyncio.sleep(0)
        finally:
            if generation == self.scan_generation:
                self.scan_running = False

    async def _load(self, key: bytes, append: bool, page: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self.connected.wait(), timeout=self.settings.command_timeout)
            value = await self.gateway.read_value(key, **page)
        except TimeoutError:
            self.app.post_message(m.ValueFailed(key, "Not connected"))
        except ConnectionFailed as exc:
            self._lost(exc)
            self.app.post_message(m.ValueFailed(key, exc.message))
        except RedisTuiError as exc:
            self.app.post_message(m.ValueFailed(key, exc.message))
        else:
            self.app.post_message(m.ValueLoaded(value, append=append))

    async def _select_db(self, db: int) -> None:
        self.connected.clear()
        await self.gateway.select_db(db)
        self.retry_now()
