"""The transaction every edit runs in: no lost update, a log, an undo entry.

    WATCH key → read the version again → compare → MULTI <writes> <probe> EXEC

A mismatch raises ``EditConflict`` (with ``current``: "value changed", "type changed to hash",
"key deleted"…) and nothing is written; a write landing between the compare and EXEC aborts
the EXEC (redis-py ``WatchError``), which raises ``EditConflict`` too. The probe queued after
the writes reads the key's version after the edit in the same transaction, so the next edit
can start from it without a reload.

What an edit sends is decided by its plan (``PlanFn``), which runs under WATCH after the
version check and may read (``Ctx.run``) before it commits to its writes (``Plan``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.client import Pipeline

from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.routing import on_owner
from redis_tui.data.edit.undo import UndoEntry
from redis_tui.data.edit.version import (
    AnyClient,
    Arg,
    Command,
    Version,
    call,
    key_version,
    no_dump_reason,
    probe_commands,
    read_version,
    version_from_probe,
)
from redis_tui.data.values.display import escape_key
from redis_tui.errors import EditConflict, RedisTuiError, translate


@dataclass
class EditResult:
    """What an edit did: the exact write commands sent, their replies, the key's new version.

    ``version`` is the key's version right after the edit, read in the same transaction: pass
    it to the next edit to keep editing without reloading. None when unknown (call
    ``key_version`` again). After a rename or copy it is the version of the value, which the
    new name holds.
    ``undo`` is the entry pushed on the undo stack, if any.
    """

    key: bytes
    op: str
    commands: list[Command]
    # The server's replies, as redis-py gives them (untyped; an error is an exception object).
    replies: list[Any]
    version: Version | None
    message: str
    undo: UndoEntry | None = None


@dataclass
class Plan:
    """What an edit will send, decided under WATCH after the version check."""

    commands: list[Command]
    message: str
    # Version of ``key`` after the commands: probed inside MULTI unless given here.
    after: Version | None = None
    probe_after: bool = True
    # Undo: which key to restore, what it held before, and whether ``key`` moved there.
    undo_key: bytes | None = None
    undo_dump: bytes | None = None
    undo_pttl: int = -1
    undo_moved_from: bytes | None = None
    undo_wanted: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class Ctx:
    """Handed to a plan: the watching pipeline (reads run at once) and what was read."""

    pipe: Pipeline
    guard: WriteGuard
    op: str
    key: bytes
    version: Version
    dump: bytes | None
    denied: frozenset[str] = frozenset()

    async def run(self, *args: Arg) -> Any:
        """One read under WATCH; its reply is untyped."""
        return await call(self.pipe, *args)

    def conflict(self, change: str) -> EditConflict:
        """The key is the version seen, but something the edit relies on changed."""
        return conflict(self.guard, self.op, self.key, self.version, self.version, change)

    def same_element(self, now: bytes | None, expected: bytes) -> None:
        """Refuse the edit when the element the user edited is not what they saw.

        Raises:
            EditConflict: with the key's version, so that "overwrite" can retry without the
                check.
        """
        if now != expected:
            raise self.conflict("the element was deleted" if now is None else "the element changed")

    async def list_position(self, index: int) -> tuple[int, bytes]:
        """Normalise a list index under WATCH; returns it and the element there.

        Raises:
            EditConflict: the index is out of range.
        """
        length = await self.run("LLEN", self.key)
        position = index + length if index < 0 else index
        if not 0 <= position < length:
            raise EditConflict(
                f"Index {index} is out of range: the list has {length} elements",
                current="index out of range",
                key=self.key,
                version=self.version,
            )
        element = await self.run("LINDEX", self.key, position)
        return position, element


PlanFn = Callable[[Ctx], Awaitable[Plan]]


async def transact(
    client: AnyClient,
    guard: WriteGuard,
    op: str,
    key: bytes,
    version: Version,
    plan_fn: PlanFn,
    *,
    creates: str,
    watch_also: Sequence[bytes] = (),
) -> EditResult:
    """WATCH → version check → plan (reads) → MULTI writes + probe → EXEC, logged; on a
    cluster, on the node that owns ``key`` (``watch_also`` must share its slot).

    ``creates`` is the type the key has after the edit (when it survives).
    """
    guard.check(op)

    async def attempt(conn: aioredis.Redis) -> EditResult:
        return await _watched(conn, guard, op, key, version, plan_fn, creates, watch_also)

    try:
        return await on_owner(client, guard.log, op, key, attempt)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc


async def _watched(
    conn: aioredis.Redis,
    guard: WriteGuard,
    op: str,
    key: bytes,
    version: Version,
    plan_fn: PlanFn,
    creates: str,
    watch_also: Sequence[bytes],
) -> EditResult:
    async with conn.pipeline(transaction=True) as pipe:
        await pipe.watch(key, *watch_also)
        read = await read_version(pipe, key)
        current, dump = read.version, read.dump
        if current != version:
            raise conflict(guard, op, key, version, current)
        plan = await plan_fn(Ctx(pipe, guard, op, key, current, dump, read.denied))
        undo_key = plan.undo_key or key
        keep_undo = guard.undo is not None and plan.undo_wanted
        if keep_undo and plan.undo_key is None:
            # A value edit: the version's DUMP is the snapshot; no DUMP (big key), no undo.
            if current.exists and dump is None:
                keep_undo = False
                plan.notes.append(no_dump_reason(read))
            else:
                plan.undo_dump = dump
                plan.undo_pttl = int(await call(pipe, "PTTL", key)) if dump else -1
        pipe.multi()
        for command in plan.commands:
            pipe.execute_command(*command)
        with_dump = (version.exact or not version.exists) and "DUMP" not in read.denied
        probe = probe_commands(key, creates, with_dump, read.denied) if plan.probe_after else []
        for command in probe:
            pipe.execute_command(*command)
        try:
            replies = await pipe.execute(raise_on_error=False)
        except rex.WatchError:
            now = await key_version(conn, key)
            change = version.describe_change(now)
            if change == "unchanged":
                change = "changed while saving"
            raise conflict(guard, op, key, version, now, change) from None
    writes = list(replies[: len(plan.commands)])
    if guard.log is not None:
        guard.log.extend(plan.commands, writes, op=op)
    failed = [r for r in writes if isinstance(r, BaseException)]
    if failed:
        error = translate(failed[0])
        if len(failed) < len(writes):
            raise type(error)(f"{error.message} (part of the edit was applied: see the log)")
        raise error
    after = plan.after
    if plan.probe_after:
        after = version_from_probe(
            creates, list(replies[len(plan.commands) :]), with_dump, read.denied
        )
    entry = None
    if keep_undo and guard.undo is not None:
        entry = guard.undo.record(
            key=undo_key,
            dump=plan.undo_dump,
            pttl_ms=plan.undo_pttl,
            after=after,
            moved_from=plan.undo_moved_from,
            op=f"{op} {escape_key(key)}",
        )
        if entry is None and plan.undo_dump is not None:
            plan.notes.append("no undo: over the undo size cap")
    message = plan.message + "".join(f" ({note})" for note in plan.notes)
    return EditResult(key, op, plan.commands, writes, after, message, entry)


def conflict(
    guard: WriteGuard,
    op: str,
    key: bytes,
    seen: Version,
    now: Version,
    change: str | None = None,
) -> EditConflict:
    """The conflict to raise (and log as not sent): ``key`` is ``now``, not ``seen``."""
    change = change or seen.describe_change(now)
    message = f"{escape_key(key)} changed since it was loaded ({change}): nothing was saved"
    if guard.log is not None:
        guard.log.append((), f"not sent: {change}", ok=False, op=op)
    return EditConflict(message, current=change, key=key, version=now)
