"""Undo for the session: what a delete or an overwrite destroyed, kept in memory as a DUMP.

Before a delete, an overwrite (a value edit, a rename or copy onto an existing key) the edit
functions (``redis_tui.data.edit.ops``) keep the key's ``DUMP`` and remaining TTL here; ``u``
calls ``restore_last``. Restoring never clobbers someone else's data:

- a deleted key comes back with ``RESTORE key ttl dump`` *without* ``REPLACE``: if the key was
  re-created meanwhile the server refuses (BUSYKEY) and so do we, with ``EditConflict``;
- an overwritten key is put back only if it still holds exactly what our edit wrote (WATCH +
  the version read in the edit's own transaction), then ``RESTORE … REPLACE``;
- a renamed key is renamed back first (only if the old name is still free).

The TTL restored is what remained at snapshot time minus the time since: a key that would
have expired by now is not restored.

Memory: one DUMP is at most ``UNDO_CAP`` (64 MB of ``MEMORY USAGE``; bigger keys get no undo
and the edit says so), the stack holds at most ``MAX_ENTRIES`` entries and ``MAX_BYTES``
(256 MB) in all, dropping the oldest first. Nothing is written to disk: the undo dies with
the session. A DUMP restores only on a server with a compatible RDB version (the same server,
here).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from redis_tui.data.edit.version import (
    MISSING,
    SMALL_WITHOUT_MEMORY,
    AnyClient,
    Command,
    Version,
    kind_of,
    read_version,
    run_reads,
)
from redis_tui.data.values.display import escape_key
from redis_tui.data.values.kinds import length_command
from redis_tui.errors import EditConflict, RedisTuiError, translate

# redis-py and the cluster routing are imported where they are used: the app loads this
# module (with the gateway) before its first frame, which undoes nothing (~50 ms).
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline

    from redis_tui.data.edit.cmdlog import CommandLog

UNDO_CAP = 64 * 1024 * 1024
MAX_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 100


class Guard(Protocol):
    """What undo needs of the session's ``guard.WriteGuard``, which holds the stack (a
    protocol, so that this module does not import it back)."""

    @property
    def log(self) -> CommandLog | None: ...

    def check(self, action: str) -> None: ...


@dataclass(frozen=True)
class UndoEntry:
    """One undoable change.

    Attributes:
        key: the key to put back.
        dump: its DUMP before the change; None when it did not exist (undo deletes it).
        pttl_ms: its PTTL then (-1: no expiry).
        taken: ``time.monotonic()`` when the snapshot was taken.
        after: ``key``'s version right after the change (None: unknown, so undo refuses);
            ``MISSING`` when the change deleted it.
        moved_from: the change renamed ``moved_from`` to ``key``; undo renames it back.
        op: what the change was, for the user ("delete user:1").
        group: entries of one change to several keys (a revoke of a user's sessions) share
            a group number (0: alone); ``u`` restores them together.
    """

    key: bytes
    dump: bytes | None
    pttl_ms: int
    taken: float
    after: Version | None
    moved_from: bytes | None = None
    op: str = ""
    group: int = 0

    @property
    def size(self) -> int:
        return len(self.dump or b"")

    def remaining_ttl_ms(self, now: float | None = None) -> int | None:
        """TTL to restore with: None for no expiry, <= 0 when it would have expired."""
        if self.pttl_ms < 0:
            return None
        elapsed = ((now if now is not None else time.monotonic()) - self.taken) * 1000
        return int(self.pttl_ms - elapsed)

    def describe(self) -> str:
        return self.op or escape_key(self.key)


@dataclass
class UndoStack:
    """The session's undo entries, newest last, bounded in count and bytes."""

    entry_cap: int = UNDO_CAP
    max_bytes: int = MAX_BYTES
    max_entries: int = MAX_ENTRIES
    _entries: deque[UndoEntry] = field(default_factory=deque, repr=False)
    _groups: int = field(default=0, repr=False)
    _parked: list[UndoEntry] = field(default_factory=list, repr=False)

    def record(
        self,
        *,
        key: bytes,
        dump: bytes | None,
        pttl_ms: int,
        after: Version | None,
        moved_from: bytes | None = None,
        op: str = "",
        group: int = 0,
    ) -> UndoEntry | None:
        """Push an entry (called by the edit functions). None when the dump is over the cap."""
        if dump is not None and len(dump) > self.entry_cap:
            return None
        entry = UndoEntry(key, dump, pttl_ms, time.monotonic(), after, moved_from, op, group)
        self._entries.append(entry)
        while len(self._entries) > self.max_entries or (
            len(self._entries) > 1 and self.total_bytes > self.max_bytes
        ):
            self._entries.popleft()
        return entry

    def new_group(self) -> int:
        """A group number for the entries of one change to several keys."""
        self._groups += 1
        return self._groups

    async def snapshot(
        self, client: AnyClient, key: bytes, op: str = "", group: int = 0
    ) -> UndoEntry | None:
        """DUMP + PTTL of ``key`` now, pushed as "restore it if deleted". For callers that
        delete outside ``ops.apply`` (the edit functions snapshot inside their own transaction).

        Returns:
            The entry, or None when the key is missing, over ``entry_cap``, or the ACL
            forbids DUMP.
        """
        try:
            snap = await _snapshot(client, key, self.entry_cap)
        except RedisTuiError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
        if isinstance(snap, str):
            return None
        dump, pttl = snap
        return self.record(key=key, dump=dump, pttl_ms=pttl, after=MISSING, op=op, group=group)

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self._entries)

    def peek(self) -> UndoEntry | None:
        return self._entries[-1] if self._entries else None

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[UndoEntry]:
        return list(self._entries)

    def _drop(self, entry: UndoEntry) -> None:
        if self._entries and self._entries[-1] is entry:
            self._entries.pop()

    async def restore_change(self, client: AnyClient, guard: Guard) -> list[UndoEntry]:
        """Undo the newest change: its entry, or every entry of its group (newest first).

        A key of the group that cannot come back (re-created since, or expired by now) is
        said in the error after the others are restored; its entry is left or dropped as
        :meth:`restore_last` does.
        """
        first = self.peek()
        if first is None:
            return []
        done: list[UndoEntry] = []
        failures: list[str] = []
        while (entry := self.peek()) is not None:
            if done and (first.group == 0 or entry.group != first.group):
                break
            try:
                restored = await self.restore_last(client, guard)
            except EditConflict as exc:
                failures.append(exc.message)
                if self.peek() is entry:  # re-created: left on the stack; skip past it
                    self._entries.pop()
                    self._parked.append(entry)
                if first.group == 0:
                    break
                continue
            if restored is not None:
                done.append(restored)
            if first.group == 0:
                break
        # Entries that could not be restored go back, so the user can clear the way and retry.
        while self._parked:
            self._entries.append(self._parked.pop())
        if failures:
            restored_part = f"{len(done)} restored; " if done else ""
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise EditConflict(f"{restored_part}{failures[0]}{more}", current="not restored")
        return done

    async def restore_last(self, client: AnyClient, guard: Guard) -> UndoEntry | None:
        """Undo the newest entry.

        Returns:
            The entry undone, or None when there is nothing to undo.

        Raises:
            ReadOnlyRefused: the connection is read-only.
            EditConflict: the key was re-created or changed since (the entry stays, so the
                user can clear the way and retry), or it would have expired by now (dropped).
        """
        guard.check("undo")
        entry = self.peek()
        if entry is None:
            return None
        ttl = entry.remaining_ttl_ms()
        if ttl is not None and ttl <= 0 and entry.dump is not None:
            self._drop(entry)
            raise EditConflict(
                f"Not restored: {escape_key(entry.key)} would have expired by now",
                current="expired",
                key=entry.key,
            )
        try:
            await _restore(client, guard, entry, ttl)
        except RedisTuiError:
            raise
        except Exception as exc:
            raise translate(exc) from exc
        self._drop(entry)
        return entry


async def snapshot_watched(
    conn: AnyClient | Pipeline, key: bytes, cap: int
) -> tuple[bytes, int] | str:
    """DUMP and PTTL of ``key``, on a client or on a pipeline that is WATCHing (reads run at
    once there); or why there is none: "over the undo size cap", "DUMP not permitted"…"""
    return await _snapshot(conn, key, cap)


async def _snapshot(conn: AnyClient | Pipeline, key: bytes, cap: int) -> tuple[bytes, int] | str:
    (mem,) = await run_reads(conn, [("MEMORY", "USAGE", key)])
    if mem is None:
        return "the key is gone"
    if not isinstance(mem, int):
        # MEMORY refused (ACL): size it by its length, as ``version`` does for versions.
        (kind_reply,) = await run_reads(conn, [("TYPE", key)])
        kind = kind_of(kind_reply)
        if kind == "none":
            return "the key is gone"
        (length,) = await run_reads(conn, [length_command(kind, key)])
        limit = cap if kind == "string" else SMALL_WITHOUT_MEMORY
        if not isinstance(length, int) or length > limit:
            if kind == "string":
                return "over the undo size cap"
            return f"over {SMALL_WITHOUT_MEMORY} elements (MEMORY USAGE not permitted)"
    elif mem > cap:
        return "over the undo size cap"
    dump, pttl = await run_reads(conn, [("DUMP", key), ("PTTL", key)])
    if isinstance(dump, BaseException):
        return "DUMP not permitted" if _is_refusal(dump) else f"DUMP failed ({dump})"
    if dump is None:
        return "the key is gone"
    if len(dump) > cap:
        return "over the undo size cap"
    return dump, int(pttl)


def _is_refusal(exc: BaseException) -> bool:
    import redis.exceptions as rex

    return isinstance(exc, rex.NoPermissionError) or str(exc).startswith("NOPERM")


async def _restore(client: AnyClient, guard: Guard, entry: UndoEntry, ttl: int | None) -> None:
    """On a cluster, on the node that owns the key (a renamed key shares its old name's
    slot: ``ops`` refuses a rename across slots)."""
    from redis_tui.data.edit.routing import on_owner

    async def attempt(conn: aioredis.Redis) -> None:
        await _restore_watched(conn, guard, entry, ttl)

    await on_owner(client, guard.log, "undo", entry.key, attempt)


async def _restore_watched(
    conn: aioredis.Redis, guard: Guard, entry: UndoEntry, ttl: int | None
) -> None:
    import redis.exceptions as rex

    key, name = entry.key, escape_key(entry.key)
    watch = [key] if entry.moved_from is None else [key, entry.moved_from]
    commands: list[Command] = []
    async with conn.pipeline(transaction=True) as pipe:
        await pipe.watch(*watch)
        current = (await read_version(pipe, key)).version
        expected = entry.after
        if expected is None or current != expected:
            if expected is not None and not expected.exists:
                change = "re-created"
                message = f"Not restored: {name} was re-created since; it was left as it is"
            else:
                change = expected.describe_change(current) if expected else "unknown"
                message = f"Not restored: {name} changed since ({change}); it was left as it is"
            _log(guard, (), f"not sent: {change}", ok=False)
            raise EditConflict(message, current=change, key=key, version=current)
        if entry.moved_from is not None:
            if await pipe.execute_command("EXISTS", entry.moved_from):
                other = escape_key(entry.moved_from)
                _log(guard, (), f"not sent: {other} exists", ok=False)
                raise EditConflict(
                    f"Not undone: {other} exists again; nothing was renamed back",
                    current="re-created",
                    key=entry.moved_from,
                )
            commands.append(("RENAME", key, entry.moved_from))
        if entry.dump is not None:
            restore: Command = ("RESTORE", key, ttl or 0, entry.dump)
            # REPLACE only over what our own edit wrote (checked above under WATCH); a
            # deleted or moved key is restored without it, so the server refuses to clobber.
            if current.exists and entry.moved_from is None:
                restore += ("REPLACE",)
            commands.append(restore)
        elif entry.moved_from is None and current.exists:
            commands.append(("UNLINK", key))
        pipe.multi()
        for command in commands:
            pipe.execute_command(*command)
        try:
            replies = await pipe.execute(raise_on_error=False)
        except rex.WatchError:
            _log(guard, (), "not sent: changed while restoring", ok=False)
            raise EditConflict(
                f"Not restored: {name} changed while restoring; it was left as it is",
                current="changed while saving",
                key=key,
            ) from None
    if guard.log is not None:
        guard.log.extend(commands, list(replies), op=f"undo {entry.describe()}")
    for reply in replies:
        if isinstance(reply, BaseException):
            if "BUSYKEY" in str(reply):
                raise EditConflict(
                    f"Not restored: {name} was re-created since; it was left as it is",
                    current="re-created",
                    key=key,
                )
            raise translate(reply)


def _log(guard: Guard, command: Command, result: str, *, ok: bool) -> None:
    if guard.log is not None:
        guard.log.append(command, result, ok=ok, op="undo")
