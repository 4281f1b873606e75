"""Import an export file (see ``fileformat``): a dry run first, then key by key, with a
policy for keys that exist already.

* ``plan`` (the dry run) reads the whole file (so a damaged file is refused before anything
  is written) and asks ``EXISTS`` of its keys in pipelined batches: how many keys would be
  created, replaced, skipped (they exist and the policy keeps them), asked about, or left out
  because their TTL passed since the export.
* ``import_file`` writes each key atomically (``writes``): batches under a temporary name in
  the key's slot, then one MULTI that sets the expiry and renames it over the key. Policies:
  ``skip`` (an existing key is left as it is, RENAMENX / RESTORE without REPLACE), ``replace``
  (RENAME / RESTORE … REPLACE; no undo), ``ask`` (``ask(key)`` decides per existing key, or
  "replace all" / "skip all"). A key whose absolute expiry has passed is skipped and counted.
  Refused on a read-only connection (``WriteGuard``); every write is in the command log.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import redis.asyncio as aioredis

from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.transfer import writes
from redis_tui.data.transfer.fileformat import (
    JSON_TYPES,
    Chunk,
    Header,
    KeyEnd,
    KeyStart,
    Reader,
    Record,
    TransferRefused,
)
from redis_tui.data.values.display import escape_key
from redis_tui.errors import RedisTuiError, translate

Policy = Literal["skip", "replace", "ask"]
Choice = Literal["replace", "skip", "replace all", "skip all", "cancel"]
Ask = Callable[[bytes], Awaitable[Choice]]
EXISTS_BATCH = 500


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do (the dry run)."""

    path: str
    format: str
    pattern: bytes
    policy: Policy
    keys: int
    create: int
    replace: int
    skip: int
    ask: int
    expired: int
    unsupported: int
    size: int

    def describe(self) -> str:
        parts = [f"{self.create:,} would be created"]
        if self.policy == "replace":
            parts.append(f"{self.replace:,} replaced (no undo)")
        elif self.policy == "ask":
            parts.append(f"{self.ask:,} exist (you are asked for each)")
        else:
            parts.append(f"{self.skip:,} skipped (they exist)")
        if self.expired:
            parts.append(f"{self.expired:,} skipped (TTL passed since the export)")
        if self.unsupported:
            parts.append(f"{self.unsupported:,} skipped (type not importable)")
        return f"{self.keys:,} keys in {self.path} ({self.format}): " + ", ".join(parts)


@dataclass(frozen=True)
class ImportProgress:
    done: int
    created: int
    replaced: int
    skipped: int
    expired: int
    read: int
    total: int


@dataclass(frozen=True)
class ImportSummary:
    path: str
    created: int
    replaced: int
    skipped: int
    expired: int
    cancelled: bool
    seconds: float

    def describe(self) -> str:
        text = (
            f"Imported {self.path}: {self.created:,} created, {self.replaced:,} replaced, "
            f"{self.skipped:,} skipped"
        )
        if self.expired:
            text += f", {self.expired:,} expired since the export"
        if self.cancelled:
            text += " — cancelled: the rest was not imported"
        return text + f" ({self.seconds:.1f}s)"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _open(path: str) -> IO[bytes]:
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise TransferRefused(f"Cannot read {path}: {exc.strerror or exc}") from exc


def _expired(start: KeyStart, now_ms: int) -> bool:
    return start.expire_at_ms is not None and start.expire_at_ms <= now_ms


def _keys(records: Iterator[Record]) -> Iterator[KeyStart]:
    """Each key, its data read and dropped (the dry run)."""
    for record in records:
        if not isinstance(record, KeyStart):
            raise TransferRefused("A data line outside a key (damaged file?)")
        for inner in records:
            if isinstance(inner, KeyEnd):
                break
            if isinstance(inner, KeyStart):
                raise TransferRefused(f"{escape_key(record.key)}: no end line (damaged file?)")
        yield record


def _chunks(records: Iterator[Record], start: KeyStart) -> Iterator[Chunk]:
    for record in records:
        if isinstance(record, KeyEnd):
            return
        if isinstance(record, KeyStart):
            raise TransferRefused(f"{escape_key(start.key)}: no end line (damaged file?)")
        yield record
    raise TransferRefused(f"{escape_key(start.key)}: the file ends inside it (truncated)")


def _importable(header: Header, start: KeyStart) -> bool:
    return header.format == "dump" or start.type in JSON_TYPES


async def plan(
    client: aioredis.Redis, path: str, policy: Policy, cancel: asyncio.Event | None = None
) -> ImportPlan:
    """The dry run: read the whole file, ask which keys exist. Nothing is written.

    Raises:
        TransferRefused: not an export file, damaged or truncated. RedisTuiError: the server.
    """
    counts = {"keys": 0, "create": 0, "exist": 0, "expired": 0, "unsupported": 0}
    batch: list[bytes] = []

    async def check() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.execute_command("EXISTS", key)
        replies = await pipe.execute()
        found = sum(1 for r in replies if r)
        counts["exist"] += found
        counts["create"] += len(batch) - found
        batch.clear()

    with _open(path) as stream:
        reader = Reader(stream)
        header = reader.header()
        now = _now_ms()
        try:
            for start in _keys(iter(reader)):
                counts["keys"] += 1
                if _expired(start, now):
                    counts["expired"] += 1
                elif not _importable(header, start):
                    counts["unsupported"] += 1
                else:
                    batch.append(start.key)
                    if len(batch) >= EXISTS_BATCH:
                        await check()
                        if cancel is not None and cancel.is_set():
                            break
            if batch:
                await check()
        except RedisTuiError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
        size = reader.position
    exist = counts["exist"]
    return ImportPlan(
        path=path,
        format=header.format,
        pattern=header.pattern,
        policy=policy,
        keys=counts["keys"],
        create=counts["create"],
        replace=exist if policy == "replace" else 0,
        skip=exist if policy == "skip" else 0,
        ask=exist if policy == "ask" else 0,
        expired=counts["expired"],
        unsupported=counts["unsupported"],
        size=size,
    )


async def import_file(
    client: aioredis.Redis,
    guard: WriteGuard,
    path: str,
    policy: Policy,
    *,
    ask: Ask | None = None,
    on_progress: Callable[[ImportProgress], None] | None = None,
    cancel: asyncio.Event | None = None,
) -> ImportSummary:
    """Write every key of the file, each atomically, with ``policy`` for existing keys.

    Raises:
        ReadOnlyRefused: the connection is read-only (nothing is read or written).
        TransferRefused: a damaged file (the keys before the damage are written).
        RedisTuiError: the server failed; what was written is in the command log.
    """
    guard.check("import")
    if policy == "ask" and ask is None:
        raise ValueError("policy 'ask' needs an ask callback")
    op = f"import {path}"
    started = time.monotonic()
    counts = {"created": 0, "replaced": 0, "skipped": 0, "expired": 0}
    cancelled = False
    sticky: Literal["replace", "skip"] | None = policy if policy != "ask" else None
    with _open(path) as stream:
        total = Path(path).stat().st_size
        reader = Reader(stream)
        header = reader.header()
        records = iter(reader)
        try:
            for record in records:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                if not isinstance(record, KeyStart):
                    raise TransferRefused(f"line {reader.line_no}: a data line outside a key")
                chunks = _chunks(records, record)
                if _expired(record, _now_ms()) or not _importable(header, record):
                    for _ in chunks:
                        pass
                    counts["expired" if _importable(header, record) else "skipped"] += 1
                    continue
                replace = sticky == "replace"
                if sticky is None and await client.execute_command("EXISTS", record.key):
                    assert ask is not None
                    choice = await ask(record.key)
                    if choice == "cancel":
                        cancelled = True
                        break
                    if choice in ("replace all", "skip all"):
                        sticky = "replace" if choice == "replace all" else "skip"
                    replace = choice.startswith("replace")
                    if not replace:
                        for _ in chunks:
                            pass
                        counts["skipped"] += 1
                        continue
                outcome = await _write_key(
                    client, guard, op, header, record, chunks, replace, reader, cancel
                )
                if outcome is None:
                    cancelled = True
                    break
                counts[outcome] += 1
                if on_progress is not None:
                    on_progress(_progress(counts, reader.position, total))
            if on_progress is not None and not cancelled:
                on_progress(_progress(counts, reader.position, total))
        except RedisTuiError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
    summary = ImportSummary(
        path,
        counts["created"],
        counts["replaced"],
        counts["skipped"],
        counts["expired"],
        cancelled,
        time.monotonic() - started,
    )
    if guard.log is not None:
        guard.log.append((), summary.describe(), ok=not cancelled, op=op)
    return summary


def _progress(counts: dict[str, int], read: int, total: int) -> ImportProgress:
    return ImportProgress(
        sum(counts.values()),
        counts["created"],
        counts["replaced"],
        counts["skipped"],
        counts["expired"],
        read,
        total,
    )


async def _write_key(
    client: aioredis.Redis,
    guard: WriteGuard,
    op: str,
    header: Header,
    start: KeyStart,
    chunks: Iterator[Chunk],
    replace: bool,
    reader: Reader,
    cancel: asyncio.Event | None,
) -> writes.Outcome | None:
    """One key; None when cancelled in the middle (its temporary name is removed)."""
    if header.format == "dump":
        payload = bytearray()
        for chunk in chunks:
            if not isinstance(chunk.data, str):
                raise TransferRefused(f"line {reader.line_no}: not a DUMP payload piece")
            try:
                payload += base64.b64decode(chunk.data, validate=True)
            except ValueError:
                raise TransferRefused(f"line {reader.line_no}: bad base64") from None
        return await writes.restore(client, guard, op, start, bytes(payload), replace)
    temp = writes.temp_name(start.key)
    pending: list[writes.Command] = []
    pending_bytes = 0
    sent = False
    first = True
    try:
        for chunk in chunks:
            where = f"line {reader.line_no}"
            for command in writes.commands(start.type, temp, chunk.data, first, where):
                first = False
                pending.append(command)
                pending_bytes += writes.size(command)
            if pending_bytes >= writes.PENDING_BYTES or len(pending) >= writes.PENDING_COMMANDS:
                if cancel is not None and cancel.is_set():
                    if sent:
                        await writes.discard(client, guard, op, temp)
                    return None
                if not sent:
                    pending.append(("PEXPIRE", temp, writes.TEMP_TTL_MS))
                sent = True
                await writes.send(client, guard, op, pending)
                pending, pending_bytes = [], 0
                await asyncio.sleep(0)
        if first:
            pending = writes.empty_value(start.type, temp)
            if not pending:
                return "skipped"
        return await writes.finish(client, guard, op, start, temp, pending, replace)
    except BaseException:
        if sent:
            await writes.discard(client, guard, op, temp)
        raise
