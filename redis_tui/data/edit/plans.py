"""What each edit sends: its plan, run under WATCH after the version check (see ``txn``).

A plan may read first (``Ctx.run``: the element the user edited, whether a target exists)
and refuse; else it returns the writes to queue inside MULTI. ``ops.apply`` picks the plan of
an edit; these take plain values, so that this module knows nothing of the edit types.
"""

from __future__ import annotations

import math
import os

from redis.asyncio.cluster import RedisCluster

from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.txn import Ctx, Plan, PlanFn
from redis_tui.data.edit.undo import snapshot_watched
from redis_tui.data.edit.version import MISSING, AnyClient, Command
from redis_tui.data.values.display import escape_key
from redis_tui.errors import AlreadyExists, CommandFailed, EditConflict


def score_arg(score: float) -> str:
    """A score as ZADD takes it.

    Raises:
        ValueError: the score is NaN.
    """
    if math.isnan(score):
        raise ValueError("A score cannot be NaN")
    if math.isinf(score):
        return "+inf" if score > 0 else "-inf"
    return repr(float(score))


def _tombstone() -> bytes:
    """An element no user list holds: used to address one list position by value."""
    return b"\x00redis-tui:tombstone:" + os.urandom(16).hex().encode()


# -- strings and hashes ---------------------------------------------------------------------


def set_string(key: bytes, data: bytes, keep_ttl: bool) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        command: Command = ("SET", key, data, "KEEPTTL") if keep_ttl else ("SET", key, data)
        return Plan([command], "String saved" + (", TTL kept" if keep_ttl else ""))

    return plan


def set_hash_field(
    key: bytes, name: bytes, data: bytes, must_be_new: bool, expected: bytes | None
) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        if must_be_new and await ctx.run("HEXISTS", key, name):
            raise AlreadyExists(
                f"Field {escape_key(name)} already exists", current="field exists", key=key
            )
        if expected is not None:
            ctx.same_element(await ctx.run("HGET", key, name), expected)
        return Plan([("HSET", key, name, data)], "Field saved")

    return plan


def set_hash_field_ttl(key: bytes, name: bytes, ttl_ms: int | None) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        if not await ctx.run("HEXISTS", key, name):
            raise EditConflict(
                f"Field {escape_key(name)} is gone", current="field deleted", key=key
            )
        command: Command
        if ttl_ms is None:
            command, message = (b"HPERSIST", key, b"FIELDS", 1, name), "Field TTL removed"
        else:
            command, message = (b"HPEXPIRE", key, ttl_ms, b"FIELDS", 1, name), "Field TTL set"
        return Plan([command], message, undo_wanted=False)

    return plan


def rename_hash_field(
    key: bytes, old: bytes, new: bytes, overwrite: bool, expected: bytes | None
) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        value = await ctx.run("HGET", key, old)
        if value is None:
            raise EditConflict(f"Field {escape_key(old)} is gone", current="field deleted", key=key)
        if expected is not None:
            ctx.same_element(value, expected)
        if not overwrite and await ctx.run("HEXISTS", key, new):
            raise AlreadyExists(
                f"Field {escape_key(new)} already exists", current="field exists", key=key
            )
        commands: list[Command] = [("HSET", key, new, value), ("HDEL", key, old)]
        return Plan(commands, "Field renamed")

    return plan


# -- lists ----------------------------------------------------------------------------------


def set_list_element(key: bytes, index: int, data: bytes, expected: bytes | None) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        position, element = await ctx.list_position(index)
        if expected is not None:
            ctx.same_element(element, expected)
        return Plan([("LSET", key, position, data)], f"Element {position} saved")

    return plan


def insert_list_element(key: bytes, index: int, data: bytes, before: bool) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        position, element = await ctx.list_position(index)
        mark = _tombstone()
        where = "BEFORE" if before else "AFTER"
        back = position + 1 if before else position
        commands: list[Command] = [
            ("LSET", key, position, mark),
            ("LINSERT", key, where, mark, data),
            ("LSET", key, back, element),
        ]
        return Plan(commands, f"Element inserted at {position if before else position + 1}")

    return plan


def push_list_element(key: bytes, data: tuple[bytes, ...], left: bool) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        side = "head" if left else "tail"
        return Plan([("LPUSH" if left else "RPUSH", key, *data)], f"Pushed at the {side}")

    return plan


def remove_list_element(key: bytes, index: int) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        position, _ = await ctx.list_position(index)
        mark = _tombstone()
        commands: list[Command] = [("LSET", key, position, mark), ("LREM", key, 1, mark)]
        return Plan(commands, f"Element {position} removed")

    return plan


# -- sorted sets, and one command over several members --------------------------------------


def add_zset_member(key: bytes, name: bytes, score: float, overwrite: bool) -> PlanFn:
    text = score_arg(score)

    async def plan(ctx: Ctx) -> Plan:
        if not overwrite and await ctx.run("ZSCORE", key, name) is not None:
            raise AlreadyExists(
                f"Member {escape_key(name)} already exists", current="member exists", key=key
            )
        return Plan([("ZADD", key, text, name)], "Member added")

    return plan


def set_zset_score(key: bytes, name: bytes, score: float, expected: float | None) -> PlanFn:
    text = score_arg(score)

    async def plan(ctx: Ctx) -> Plan:
        now = await ctx.run("ZSCORE", key, name)
        if now is None:
            raise EditConflict(
                f"Member {escape_key(name)} is gone", current="member removed", key=key
            )
        if expected is not None and float(now) != expected:
            raise ctx.conflict("the score changed")
        return Plan([("ZADD", key, "XX", text, name)], "Score saved")

    return plan


def add_stream_entry(key: bytes, pairs: tuple[tuple[bytes, bytes], ...], entry_id: bytes) -> PlanFn:
    flat = [part for pair in pairs for part in pair]

    async def plan(ctx: Ctx) -> Plan:
        return Plan([("XADD", key, entry_id, *flat)], "Entry added")

    return plan


def stream_group_write(command: Command, message: str) -> PlanFn:
    """XACK / XCLAIM: the group's state changes, not the entries; nothing to undo with."""

    async def plan(ctx: Ctx) -> Plan:
        return Plan([command], message, undo_wanted=False)

    return plan


def many(command: str, key: bytes, data: tuple[bytes, ...], noun: str, done: str) -> PlanFn:
    """The shape most collection edits share: one command over several members."""

    async def plan(ctx: Ctx) -> Plan:
        return Plan([(command, key, *data)], f"{len(data)} {noun} {done}")

    return plan


# -- any key --------------------------------------------------------------------------------


def set_ttl(key: bytes, ttl_ms: int | None) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        if ttl_ms is None:
            command: Command = ("PERSIST", key)
            message = "Expiry removed"
        else:
            command, message = ("PEXPIRE", key, ttl_ms), "TTL set"
        return Plan([command], message, after=ctx.version, probe_after=False, undo_wanted=False)

    return plan


def same_slot(client: AnyClient, guard: WriteGuard, op: str, key: bytes, new: bytes) -> None:
    """A rename or copy needs both names in one cluster slot.

    Raises:
        CommandFailed: they are in different slots (logged as not sent).
    """
    if isinstance(client, RedisCluster) and client.keyslot(key) != client.keyslot(new):
        message = (
            f"Cannot {op} {escape_key(key)} to {escape_key(new)} on a cluster: the names are "
            f"in different hash slots ({client.keyslot(key)} and {client.keyslot(new)}) and "
            f"{op.upper()} needs both in one. Give both names the same hash tag, as in "
            "{user:1}:a and {user:1}:b. Nothing was changed"
        )
        if guard.log is not None:
            guard.log.append((), "not sent: cross-slot", ok=False, op=op)
        raise CommandFailed(message)


def move(key: bytes, new: bytes, overwrite: bool, *, rename: bool) -> PlanFn:
    """A rename (or a copy). With ``new`` WATCHed too, RENAMENX and COPY without REPLACE
    always succeed; ``after`` is the version of ``new`` (the same value); the source is gone
    after a rename."""

    async def plan(ctx: Ctx) -> Plan:
        undo = ctx.guard.undo
        exists = await ctx.run("EXISTS", new)
        if exists and not overwrite:
            raise AlreadyExists(
                f"{escape_key(new)} already exists", current="target exists", key=new
            )
        notes: list[str] = []
        dump, pttl = None, -1
        if exists and undo is not None:
            snap = await snapshot_watched(ctx.pipe, new, undo.entry_cap)
            if isinstance(snap, str):
                notes.append(f"no undo of the overwritten key: {snap}")
            else:
                dump, pttl = snap
        if rename:
            command: Command = ("RENAME", key, new) if overwrite else ("RENAMENX", key, new)
            message = f"Renamed to {escape_key(new)}"
        else:
            command = ("COPY", key, new, "REPLACE") if overwrite else ("COPY", key, new)
            message = f"Copied to {escape_key(new)}"
        return Plan(
            [command],
            message,
            after=ctx.version,
            probe_after=False,
            undo_key=new,
            undo_dump=dump,
            undo_pttl=pttl,
            undo_moved_from=key if rename else None,
            undo_wanted=not (exists and dump is None),
            notes=notes,
        )

    return plan


# The command that creates a key of each type with its first value (``n``).
CREATE_COMMANDS = {
    "string": "SET",
    "hash": "HSET",
    "list": "RPUSH",
    "set": "SADD",
    "zset": "ZADD",
    "stream": "XADD",
}


def create_key(
    key: bytes, kind: str, items: tuple[bytes, ...], ttl_ms: int | None, replace: bool
) -> PlanFn:
    """A new key: its first value, then its TTL, in the edit's one MULTI. The version check
    ran first (the key missing, or the one the user agreed to replace), so nothing else can
    land in between."""

    async def plan(ctx: Ctx) -> Plan:
        commands: list[Command] = [("UNLINK", key)] if replace and ctx.version.exists else []
        commands.append((CREATE_COMMANDS[kind], key, *items))
        if ttl_ms is not None:
            commands.append(("PEXPIRE", key, ttl_ms))
        verb = "Replaced with a new" if commands[0][0] == "UNLINK" else "Created"
        ttl = " with a TTL" if ttl_ms is not None else ""
        return Plan(commands, f"{verb} {kind}{ttl}")

    return plan


def delete(key: bytes) -> PlanFn:
    async def plan(ctx: Ctx) -> Plan:
        undo = ctx.guard.undo
        notes: list[str] = []
        dump, pttl = ctx.dump, -1
        if undo is not None:
            if dump is not None:
                pttl = await ctx.run("PTTL", key)
            elif "DUMP" in ctx.denied:
                notes.append("no undo: DUMP not permitted")
            else:
                snap = await snapshot_watched(ctx.pipe, key, undo.entry_cap)
                if isinstance(snap, str):
                    notes.append(f"no undo: {snap}")
                else:
                    dump, pttl = snap
        return Plan(
            [("UNLINK", key)],
            "Deleted",
            after=MISSING,
            probe_after=False,
            undo_key=key,
            undo_dump=dump,
            undo_pttl=pttl,
            undo_wanted=dump is not None,
            notes=notes,
        )

    return plan
