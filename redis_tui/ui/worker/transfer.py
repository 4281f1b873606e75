"""The worker's export and import jobs (``:export``, ``:import``) and their messages.

One transfer at a time (an exclusive group). Progress is posted at most five times a second.
An import with the ``ask`` policy posts ``ImportAsked`` for each existing key and waits for
``answer``; ``stop`` cancels after the page or key in flight (an unanswered question counts
as "cancel"). Read-only is refused by the gateway's guard, below this.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

from redis_tui.errors import ConnectionFailed, ReadOnlyRefused, RedisTuiError
from redis_tui.ui.worker.groups import Group
from redis_tui.ui.worker.messages import WorkerMessage

# The transfer code is for annotations here (the gateway imports it when a job runs).
if TYPE_CHECKING:
    from redis_tui.data.gateway import Gateway
    from redis_tui.data.transfer.exporter import ExportProgress, ExportSummary
    from redis_tui.data.transfer.importer import (
        Choice,
        ImportPlan,
        ImportProgress,
        ImportSummary,
        Policy,
    )

PROGRESS_SECONDS = 0.2


class TransferMessage(WorkerMessage):
    """Base of the export/import messages (the browser has one handler for them all)."""


@dataclass
class ExportProgressed(TransferMessage):
    progress: ExportProgress


@dataclass
class KeysExported(TransferMessage):
    summary: ExportSummary


@dataclass
class ImportPlanned(TransferMessage):
    plan: ImportPlan


@dataclass
class ImportProgressed(TransferMessage):
    progress: ImportProgress


@dataclass
class ImportAsked(TransferMessage):
    """``key`` exists: replace it or skip it? (answer with ``TransferJobs.answer``)."""

    key: bytes


@dataclass
class KeysImported(TransferMessage):
    summary: ImportSummary


@dataclass
class TransferFailed(TransferMessage):
    action: str
    reason: str
    refused: bool = False


class _Worker(Protocol):
    @property
    def gateway(self) -> Gateway: ...

    connected: asyncio.Event

    def post(self, message: WorkerMessage, epoch: int | None = None) -> None: ...

    def lost(self, exc: RedisTuiError) -> None: ...


Spawn = Callable[[Callable[[], Coroutine[None, None, None]], Group], None]


class TransferJobs:
    """Export and import, run by the worker that owns the connection."""

    def __init__(self, worker: _Worker, spawn: Spawn) -> None:
        self._worker = worker
        self._spawn = spawn
        self.cancel = asyncio.Event()
        self._answer: asyncio.Future[Choice] | None = None

    # -- requests from the UI: each returns at once -----------------------------------------

    def export(
        self, pattern: bytes, path: str, dump: bool, names: tuple[bytes, ...] | None = None
    ) -> None:
        """Export the keys matching ``pattern``, or the keys ``names`` (the marked ones)."""
        self.cancel = asyncio.Event()
        job = partial(self._export, pattern, path, dump, names, self.cancel)
        self._spawn(job, Group.TRANSFER)

    def plan(self, path: str, policy: Policy) -> None:
        """The dry run: posts ``ImportPlanned`` (nothing is written)."""
        self.cancel = asyncio.Event()
        self._spawn(partial(self._plan, path, policy, self.cancel), Group.TRANSFER)

    def start_import(self, path: str, policy: Policy) -> None:
        self.cancel = asyncio.Event()
        self._spawn(partial(self._import, path, policy, self.cancel), Group.TRANSFER)

    def answer(self, choice: Choice) -> None:
        """The user's answer to the last ``ImportAsked``."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(choice)

    def stop(self) -> None:
        """Stop after the page or key in flight (cooperative)."""
        self.cancel.set()
        self.answer("cancel")

    # -- the jobs ---------------------------------------------------------------------------

    def _failures(self, action: str) -> AbstractContextManager[None]:
        return _failures(self._worker, action)

    async def _export(
        self,
        pattern: bytes,
        path: str,
        dump: bool,
        names: tuple[bytes, ...] | None,
        cancel: asyncio.Event,
    ) -> None:
        last = 0.0

        def progressed(progress: ExportProgress) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_SECONDS:
                last = time.monotonic()
                self._worker.post(ExportProgressed(progress))

        with self._failures("export"):
            await self._worker.connected.wait()
            summary = await self._worker.gateway.export_keys(
                pattern, path, dump=dump, on_progress=progressed, cancel=cancel, names=names
            )
            self._worker.post(KeysExported(summary))

    async def _plan(self, path: str, policy: Policy, cancel: asyncio.Event) -> None:
        with self._failures("import"):
            await self._worker.connected.wait()
            plan = await self._worker.gateway.import_plan(path, policy, cancel)
            self._worker.post(ImportPlanned(plan))

    async def _import(self, path: str, policy: Policy, cancel: asyncio.Event) -> None:
        last = 0.0

        def progressed(progress: ImportProgress) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_SECONDS:
                last = time.monotonic()
                self._worker.post(ImportProgressed(progress))

        async def ask(key: bytes) -> Choice:
            if cancel.is_set():
                return "cancel"
            self._answer = asyncio.get_running_loop().create_future()
            self._worker.post(ImportAsked(key))
            try:
                return await self._answer
            finally:
                self._answer = None

        with self._failures("import"):
            await self._worker.connected.wait()
            summary = await self._worker.gateway.import_file(
                path, policy, ask=ask, on_progress=progressed, cancel=cancel
            )
            self._worker.post(KeysImported(summary))


@contextmanager
def _failures(worker: _Worker, action: str) -> Iterator[None]:
    """Our errors become one TransferFailed; a lost link also starts the reconnect."""
    try:
        yield
    except ConnectionFailed as exc:
        worker.lost(exc)
        worker.post(TransferFailed(action, exc.message))
    except RedisTuiError as exc:
        worker.post(TransferFailed(action, exc.message, isinstance(exc, ReadOnlyRefused)))
