"""Writes to Redis: every edit by hand, with no lost update, an undo, a log, a read-only guard.

Every write passes ``WriteGuard.check`` first, here below the UI, so no path can skip the
read-only switch. Every edit function takes the ``Version`` of the key the user loaded and
applies the change only if the key is still that version:

    WATCH key → read the version again → compare → MULTI <writes> <probe> EXEC

A mismatch raises ``EditConflict`` (with ``current``: "value changed", "type changed to hash",
"key deleted"…) and nothing is written; a write landing between the compare and EXEC aborts
the EXEC (redis-py ``WatchError``), which raises ``EditConflict`` too. Value edits never touch
the TTL (``SET … KEEPTTL``; the collection commands keep it anyway); only ``set_ttl`` changes it.

The version token, and its trade-off
------------------------------------
WATCH alone cannot cover the user's think time: it lives on one connection, and holding a
pooled connection per open key (lost on any reconnect) for minutes is fragile. Keyspace
notifications would be exact but need ``CONFIG SET``, which a viewer must not change. So the
token is a digest of what the user saw:

- keys whose ``MEMORY USAGE`` is at most ``DIGEST_CAP`` (1 MB): type + length + sha1 of
  ``DUMP``. Exact: any change of the value changes it. Cost: one DUMP (a copy of at most ~1 MB,
  well under a millisecond of server time) at load and again at save. One false alarm is
  possible: a hash or set in the hashtable encoding that is in the middle of an incremental
  rehash may DUMP its members in another order after reads touched it. That is a conflict
  reported with nothing changed; safe, and rare (it needs > 128 fields and a recent resize).
- bigger keys: type + length + a cheap sample (head and tail 4 KB of a string; first and last
  10 elements of a list or zset; first and last entry of a stream; hashes and sets: length
  only). ``Version.exact`` is False. This catches deletion, type changes, any change of length
  and changes near the ends, but not an in-place change in the middle of a 20 MB string or a
  200k-field hash. Shipping 20 MB twice per edit (or hashing it server-side, which blocks the
  server for tens of ms) costs more than the check is worth; the UI should say "large key:
  concurrent changes are only partly detected". Undo needs the DUMP, so element edits of such
  keys have no undo (a delete still takes one, up to ``undo.UNDO_CAP``).

A missing key has the version ``MISSING``: creating a key is an edit that expects it absent.

Restricted ACL users
--------------------
Nothing here needs MEMORY or DUMP. Without MEMORY USAGE a key is sized by its length (STRLEN
up to ``DIGEST_CAP`` bytes, or at most ``SMALL_WITHOUT_MEMORY`` elements; the DUMP must then
be within ``DIGEST_CAP`` too, else the version is sampled). Without DUMP the version is the
sampled one, and edits and deletes work but have no undo ("no undo: DUMP not permitted").
Commands the server refused while reading the version are left out of the probe inside
MULTI, since a refused command there would abort the whole transaction.

Cluster
-------
``RedisCluster`` has no WATCH/MULTI of its own that we trust (redis-py 8.1 runs the watched
reads of its cluster transaction on a helper thread), so every edit runs on a plain
``redis.asyncio.Redis`` over the pool of the node that owns the key's slot (``node_client``).
A MOVED reply (the slot map was stale) refreshes the map and tries once more: safe, since a
redirected transaction never reaches EXEC, or is aborted by it. An ASK or TRYAGAIN (the slot is
being migrated) is an ``EditConflict``: nothing was saved, try again when it is over. A rename
or copy needs both names in one slot (``{tag}`` hash tags); across slots it is refused.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, ConnectionPoolInterface

from redis_tui.data.values.display import escape_key
from redis_tui.data.values.kinds import length_command
from redis_tui.errors import (
    AlreadyExists,
    CommandFailed,
    EditConflict,
    KeyMissing,
    ReadOnlyRefused,
    RedisTuiError,
    translate,
)

if TYPE_CHECKING:
    from redis_tui.data.edit.cmdlog import CommandLog
    from redis_tui.data.edit.undo import UndoEntry, UndoStack

# MEMORY USAGE (bytes) up to which a key's version is an exact DUMP digest.
DIGEST_CAP = 1024 * 1024
# Bytes of each end of a big string sampled for its approximate version.
SAMPLE_BYTES = 4096
# Elements at each end of a big list or zset sampled for its approximate version.
SAMPLE_ITEMS = 10
# Without MEMORY USAGE (ACL), a collection of at most this many elements is DUMPed for an
# exact version (the default listpack limit: such keys are small unless their elements are).
SMALL_WITHOUT_MEMORY = 128

Command = tuple[Any, ...]
Value = bytes | str
# What an edit may be handed: a standalone (or Sentinel) client, or a cluster client.
AnyClient = aioredis.Redis | RedisCluster
# Replies that mean "not on this node (now)": never a value, never a version.
_REDIRECTS = (rex.AskError, rex.TryAgainError, rex.ClusterDownError)


class WriteGuard:
    """The session's write context: the read-only switch, the command log, the undo stack.

    ``check`` refuses every write while read-only. It lives in the data layer so no UI path
    can skip it; every write function here, in ``undo`` and in ``bulk`` calls it first.
    """

    def __init__(
        self,
        readonly: bool,
        log: CommandLog | None = None,
        undo: UndoStack | None = None,
    ) -> None:
        self.readonly = readonly
        self.log = log
        self.undo = undo

    def check(self, action: str) -> None:
        """Raises ReadOnlyRefused (and logs the refusal) when the connection is read-only."""
        if self.readonly:
            message = f"Read-only connection: {action} refused"
            if self.log is not None:
                self.log.append((), message, ok=False, op=action)
            raise ReadOnlyRefused(message)


@dataclass(frozen=True)
class Version:
    """What the user saw of a key: its type, length and a digest of its value.

    Compare two with ``==``; ``describe_change`` says what differs in words.
    """

    type: str
    length: int
    digest: str
    exact: bool = True

    @property
    def exists(self) -> bool:
        return self.type != "none"

    def describe_change(self, now: Version) -> str:
        """What changed from ``self`` to ``now``: "key deleted", "type changed to hash"…"""
        if self == now:
            return "unchanged"
        if not now.exists:
            return "key deleted"
        if not self.exists:
            return f"key created (a {now.type})"
        if self.type != now.type:
            return f"type changed to {now.type}"
        if self.length != now.length:
            unit = "bytes" if self.type == "string" else "elements"
            return f"length changed from {self.length} to {now.length} {unit}"
        return "value changed"


MISSING = Version("none", 0, "", exact=True)


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
    replies: list[Any]
    version: Version | None
    message: str
    undo: UndoEntry | None = None


@dataclass
class _Plan:
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
class _Ctx:
    """Handed to a plan: the watching pipeline (reads run at once) and what was read."""

    pipe: Pipeline
    key: bytes
    version: Version
    dump: bytes | None
    denied: frozenset[str] = frozenset()

    async def run(self, *args: Any) -> Any:
        return await _call(self.pipe, *args)


async def _call(conn: AnyClient | Pipeline, *args: Any) -> Any:
    """One command, typed ``Any`` (redis-py's pipeline annotations are loose)."""
    result: Any = await conn.execute_command(*args)
    return result


PlanFn = Callable[[_Ctx], Awaitable[_Plan]]


# -- cluster: the node that owns a key ------------------------------------------------------


class _NodePool(ConnectionPoolInterface):
    """One cluster node's own connections, as the pool of a plain ``redis.asyncio.Redis``.

    Connections come from and go back to the ``ClusterNode`` (so they carry the cluster
    client's auth, TLS and timeouts, and close with it); this pool owns nothing itself.
    """

    def __init__(self, node: ClusterNode) -> None:
        self.node = node
        self.connection_kwargs = node.connection_kwargs

    def get_protocol(self) -> Any:
        return self.connection_kwargs.get("protocol")

    def reset(self) -> None:
        pass

    async def get_connection(
        self, command_name: str | None = None, *keys: Any, **options: Any
    ) -> AbstractConnection:
        connection = self.node.acquire_connection()
        try:
            await connection.connect()
        except BaseException:
            await connection.disconnect()
            self.node.release(connection)
            raise
        return connection

    def get_encoder(self) -> Any:
        return self.node.get_encoder()

    async def release(self, connection: AbstractConnection) -> None:
        await self.node.disconnect_if_needed(connection)  # type: ignore[arg-type]
        self.node.release(connection)  # type: ignore[arg-type]

    async def disconnect(self, inuse_connections: bool = True) -> None:
        pass  # the cluster client closes its nodes

    async def aclose(self) -> None:
        pass

    def set_retry(self, retry: Any) -> None:
        pass

    async def re_auth_callback(self, token: Any) -> None:
        pass

    def get_connection_count(self) -> list[tuple[int, dict[str, Any]]]:
        return []


def node_client(node: ClusterNode) -> aioredis.Redis:
    """A plain client for one cluster node, over that node's pooled connections: WATCH,
    MULTI/EXEC and pipelines behave as on a standalone server. Nothing to close."""
    # redis-py annotates ``connection_pool`` as its concrete class; the interface is enough.
    return aioredis.Redis(connection_pool=_NodePool(node))  # type: ignore[arg-type]


async def on_owner(
    client: AnyClient,
    guard: WriteGuard,
    op: str,
    key: bytes,
    run: Callable[[aioredis.Redis], Awaitable[Any]],
) -> Any:
    """``run(conn)`` where ``conn`` reaches the node owning ``key``: the client itself when
    it is not a cluster.

    A MOVED refreshes the slot map and runs again, once; ``run`` must send no write before
    its EXEC (a redirected transaction never applies). ASK, TRYAGAIN: the slot is migrating.

    Raises:
        EditConflict: the slot is being migrated, or moved twice.
    """
    if not isinstance(client, RedisCluster):
        return await run(client)
    await client.initialize()
    for attempt in range(2):
        node = client.nodes_manager.get_node_from_slot(client.keyslot(key))
        try:
            return await run(node_client(node))
        except rex.MovedError:
            if attempt:
                break
            await client.nodes_manager.initialize()
        except (rex.AskError, rex.TryAgainError):
            break
    slot = client.keyslot(key)
    if guard.log is not None:
        guard.log.append((), f"not sent: slot {slot} is migrating", ok=False, op=op)
    raise EditConflict(
        f"{escape_key(key)} is moving to another node (slot {slot} is being migrated): "
        "nothing was saved; try again in a moment",
        current="slot migrating",
        key=key,
    )


# -- versions -------------------------------------------------------------------------------


async def key_version(client: AnyClient, key: bytes) -> Version:
    """The version of ``key`` now: call it when loading the key for the user.

    Two round trips: TYPE + MEMORY USAGE, then the length and a DUMP (or a sample when the
    key is over ``DIGEST_CAP``); one or two more when the ACL forbids MEMORY, and for a
    missing key a DUMP of nothing (is DUMP allowed?). See the module docstring for the
    trade-off. On a cluster the reads follow MOVED and ASK.

    Raises:
        PermissionDenied: the ACL forbids TYPE.
    """
    try:
        read = await _read_version(client, key)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return read.version


@dataclass(frozen=True)
class _Read:
    """A key's version, its DUMP when the version is exact (the undo snapshot), and which of
    MEMORY and DUMP the server refused (left out of the probe inside MULTI)."""

    version: Version
    dump: bytes | None
    denied: frozenset[str] = frozenset()


async def _run(conn: AnyClient | Pipeline, commands: Sequence[Command]) -> list[Any]:
    """Run reads; a server error becomes the reply (like ``raise_on_error=False``), except a
    cluster redirection, which is raised.

    A watching pipeline runs each command at once; a client pipelines them in one round trip.
    """
    replies: list[Any]
    if isinstance(conn, Pipeline):
        replies = []
        for command in commands:
            try:
                replies.append(await _call(conn, *command))
            except rex.ResponseError as exc:
                replies.append(exc)
    else:
        pipe = conn.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        replies = list(await pipe.execute(raise_on_error=False))
    for reply in replies:
        if isinstance(reply, _REDIRECTS):
            raise reply
    return replies


def _refused(reply: Any) -> bool:
    return isinstance(reply, BaseException)


async def _read_version(conn: AnyClient | Pipeline, key: bytes) -> _Read:
    """The key's version, and its DUMP when the version is exact (the undo snapshot)."""
    kind_reply, mem = await _run(conn, [("TYPE", key), ("MEMORY", "USAGE", key)])
    kind = _kind(kind_reply)
    denied: set[str] = set()
    if not isinstance(mem, int):
        denied.add("MEMORY")  # refused by the ACL (or unknown to the server)
        mem = None
    if kind == "none":
        # Creating the key: will its probe inside MULTI be allowed a DUMP?
        (dump_reply,) = await _run(conn, [("DUMP", key)])
        if _refused(dump_reply):
            denied.add("DUMP")
        return _Read(MISSING, None, frozenset(denied))
    length_cmd = length_command(kind, key)
    samples = _sample_commands(kind, key)
    rest: list[Any]
    if mem is not None:
        want_dump = mem <= DIGEST_CAP
        length, *rest = await _run(conn, [length_cmd, *([("DUMP", key)] if want_dump else samples)])
    else:
        (length,) = await _run(conn, [length_cmd])
        want_dump = _small_by_length(kind, length)
        rest = await _run(conn, [("DUMP", key)]) if want_dump else []
    dump = rest[0] if want_dump else None
    if _refused(dump):
        denied.add("DUMP")
    if _exact(kind, mem, length, dump):
        assert isinstance(dump, bytes)
        return _Read(_version_from(kind, mem, length, None, dump), dump, frozenset(denied))
    if want_dump or mem is None:
        rest = await _run(conn, samples)
    return _Read(_version_from(kind, mem, length, rest, None), None, frozenset(denied))


def _small_by_length(kind: str, length: Any) -> bool:
    """Without MEMORY USAGE: small enough to DUMP for an exact version?"""
    if not isinstance(length, int):
        return False
    return length <= (DIGEST_CAP if kind == "string" else SMALL_WITHOUT_MEMORY)


def _exact(kind: str, mem: Any, length: Any, dump: Any) -> bool:
    """Whether the version is the DUMP digest: the same rule at load, under WATCH, and in the
    probe after the writes, so the three agree."""
    if not isinstance(dump, bytes):
        return False
    if isinstance(mem, int):
        return mem <= DIGEST_CAP
    return _small_by_length(kind, length) and len(dump) <= DIGEST_CAP


def _probe_commands(
    key: bytes, kind: str, with_dump: bool, denied: frozenset[str] = frozenset()
) -> list[Command]:
    """Reads queued inside MULTI after the writes: the key's version after the edit. Leaves
    out what the server refused before (a refused command would abort the transaction)."""
    probe: list[Command] = [("TYPE", key)]
    if "MEMORY" not in denied:
        probe.append(("MEMORY", "USAGE", key))
    probe.append(length_command(kind, key))
    probe += _sample_commands(kind, key)
    if with_dump:
        probe.append(("DUMP", key))
    return probe


def _version_from_probe(
    kind: str, replies: list[Any], with_dump: bool, denied: frozenset[str] = frozenset()
) -> Version | None:
    found = _kind(replies[0])
    if found == "none":
        return MISSING
    if found != kind:
        return None
    rest = replies[1:]
    mem = None
    if "MEMORY" not in denied:
        mem, rest = rest[0], rest[1:]
        mem = mem if isinstance(mem, int) else None
    length = rest[0]
    samples = rest[1 : len(rest) - 1] if with_dump else rest[1:]
    dump = rest[-1] if with_dump else None
    wants_dump = mem <= DIGEST_CAP if mem is not None else _small_by_length(kind, length)
    if not with_dump and wants_dump and "DUMP" not in denied:
        # It shrank under the cap: its version is a DUMP digest we did not read. Unknown.
        return None
    return _version_from(kind, mem, length, samples, dump)


def _version_from(
    kind: str, mem: Any, length: Any, samples: list[Any] | None, dump: Any
) -> Version:
    size = length if isinstance(length, int) else -1
    if _exact(kind, mem, length, dump):
        digest = hashlib.sha1(kind.encode() + b"\0" + dump, usedforsecurity=False)
        return Version(kind, size, digest.hexdigest(), exact=True)
    sample = hashlib.sha1(f"{kind}\0{size}\0".encode(), usedforsecurity=False)
    for reply in samples or ():
        sample.update(repr(reply).encode("utf-8", "surrogateescape"))
        sample.update(b"\0")
    return Version(kind, size, sample.hexdigest(), exact=False)


def _sample_commands(kind: str, key: bytes) -> list[Command]:
    n = SAMPLE_ITEMS
    if kind == "string":
        return [("GETRANGE", key, 0, SAMPLE_BYTES - 1), ("GETRANGE", key, -SAMPLE_BYTES, -1)]
    if kind == "list":
        return [("LRANGE", key, 0, n - 1), ("LRANGE", key, -n, -1)]
    if kind == "zset":
        return [
            ("ZRANGE", key, 0, n - 1, "WITHSCORES"),
            ("ZRANGE", key, -n, -1, "WITHSCORES"),
        ]
    if kind == "stream":
        return [("XRANGE", key, "-", "+", "COUNT", 1), ("XREVRANGE", key, "+", "-", "COUNT", 1)]
    return []


def _kind(reply: Any) -> str:
    """TYPE's reply as text. A refused TYPE (ACL) cannot be worked around: no edit without it.

    Raises:
        PermissionDenied (or another translated error): TYPE failed.
    """
    if isinstance(reply, BaseException):
        raise translate(reply)
    if isinstance(reply, bytes):
        return reply.decode()
    return str(reply)


# -- the transaction ------------------------------------------------------------------------


async def _edit(
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
        return await _edit_watched(conn, guard, op, key, version, plan_fn, creates, watch_also)

    try:
        result: EditResult = await on_owner(client, guard, op, key, attempt)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return result


def _no_dump_reason(read: _Read) -> str:
    if "DUMP" in read.denied:
        return "no undo: DUMP not permitted"
    if "MEMORY" in read.denied and read.version.type != "string":
        return f"no undo: over {SMALL_WITHOUT_MEMORY} elements (MEMORY USAGE not permitted)"
    return f"no undo: the key is over {DIGEST_CAP // 1024} KB"


async def _edit_watched(
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
        read = await _read_version(pipe, key)
        current, dump = read.version, read.dump
        if current != version:
            raise _conflict(guard, op, key, version, current)
        plan = await plan_fn(_Ctx(pipe, key, current, dump, read.denied))
        undo_key = plan.undo_key or key
        keep_undo = guard.undo is not None and plan.undo_wanted
        if keep_undo and plan.undo_key is None:
            # A value edit: the version's DUMP is the snapshot; no DUMP (big key), no undo.
            if current.exists and dump is None:
                keep_undo = False
                plan.notes.append(_no_dump_reason(read))
            else:
                plan.undo_dump = dump
                plan.undo_pttl = int(await _call(pipe, "PTTL", key)) if dump else -1
        pipe.multi()
        for command in plan.commands:
            pipe.execute_command(*command)
        with_dump = (version.exact or not version.exists) and "DUMP" not in read.denied
        probe = _probe_commands(key, creates, with_dump, read.denied) if plan.probe_after else []
        for command in probe:
            pipe.execute_command(*command)
        try:
            replies = await pipe.execute(raise_on_error=False)
        except rex.WatchError:
            now = await key_version(conn, key)
            change = version.describe_change(now)
            if change == "unchanged":
                change = "changed while saving"
            raise _conflict(guard, op, key, version, now, change) from None
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
        after = _version_from_probe(
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


def _conflict(
    guard: WriteGuard,
    op: str,
    key: bytes,
    seen: Version,
    now: Version,
    change: str | None = None,
) -> EditConflict:
    change = change or seen.describe_change(now)
    message = f"{escape_key(key)} changed since it was loaded ({change}): nothing was saved"
    if guard.log is not None:
        guard.log.append((), f"not sent: {change}", ok=False, op=op)
    return EditConflict(message, current=change, key=key, version=now)


def _same_element(guard: WriteGuard, op: str, ctx: _Ctx, now: Any, expected: Value) -> None:
    """Refuse the edit when the element the user edited is not what they saw.

    Raises:
        EditConflict: with the key's version, so that "overwrite" can retry without the check.
    """
    if now != _b(expected):
        change = "the element was deleted" if now is None else "the element changed"
        raise _conflict(guard, op, ctx.key, ctx.version, ctx.version, change)


def _b(value: Value) -> bytes:
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value


def _expect(version: Version, *kinds: str, create: bool = True) -> None:
    if version.type in kinds or (create and not version.exists):
        return
    if not version.exists:
        raise KeyMissing("The key does not exist (any more)")
    raise ValueError(f"This is a {version.type}, not a {' or '.join(kinds)}")


def _expect_exists(version: Version) -> None:
    if not version.exists:
        raise KeyMissing("The key does not exist (any more)")


def _score(score: float) -> str:
    if math.isnan(score):
        raise ValueError("A score cannot be NaN")
    if math.isinf(score):
        return "+inf" if score > 0 else "-inf"
    return repr(float(score))


def _tombstone() -> bytes:
    """An element no user list holds: used to address one list position by value."""
    return b"\x00redis-tui:tombstone:" + os.urandom(16).hex().encode()


async def _ensure_index(ctx: _Ctx, index: int) -> tuple[int, bytes]:
    """Normalise a list index under WATCH; returns it and the element there."""
    length = await ctx.run("LLEN", ctx.key)
    position = index + length if index < 0 else index
    if not 0 <= position < length:
        raise EditConflict(
            f"Index {index} is out of range: the list has {length} elements",
            current="index out of range",
            key=ctx.key,
            version=ctx.version,
        )
    element = await ctx.run("LINDEX", ctx.key, position)
    return position, element


# -- strings --------------------------------------------------------------------------------


async def set_string(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    value: Value,
    *,
    keep_ttl: bool = True,
) -> EditResult:
    """Replace a string's value (or create the key): ``SET key value KEEPTTL``.

    Args:
        version: what the user loaded (``MISSING`` to create a new key).
        keep_ttl: keep the remaining TTL (the default); False sends a plain SET, which removes it.

    Raises:
        ReadOnlyRefused, EditConflict, ValueError (the key is not a string).
    """
    _expect(version, "string")
    data = _b(value)

    async def plan(ctx: _Ctx) -> _Plan:
        command: Command = ("SET", key, data, "KEEPTTL") if keep_ttl else ("SET", key, data)
        return _Plan([command], "String saved" + (", TTL kept" if keep_ttl else ""))

    return await _edit(client, guard, "set string", key, version, plan, creates="string")


def json_for_saving(text: str, *, compact: bool) -> bytes:
    """Validate JSON typed in the editor and encode it for saving.

    Args:
        text: the editor's text (shown pretty-printed).
        compact: re-compact it (when the stored value was compact), else keep the text as is.

    Raises:
        ValueError: not valid JSON; the message gives the line and column.
    """
    import json

    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if compact:
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
    return text.encode("utf-8", "surrogateescape")


# -- hashes ---------------------------------------------------------------------------------


async def hash_set_field(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    field_name: Value,
    value: Value,
    *,
    must_be_new: bool = False,
    expected: Value | None = None,
) -> EditResult:
    """Add or edit one field: ``HSET key field value``.

    Args:
        must_be_new: the user asked to *add* a field; refuse if it exists.
        expected: the field's value as the user saw it, compared under WATCH. The key's
            version of a big hash is a sample that may miss a change of this one field.

    Raises:
        ReadOnlyRefused, EditConflict, AlreadyExists (``must_be_new`` and the field exists).
    """
    _expect(version, "hash")
    name, data = _b(field_name), _b(value)

    async def plan(ctx: _Ctx) -> _Plan:
        if must_be_new and await ctx.run("HEXISTS", key, name):
            raise AlreadyExists(
                f"Field {escape_key(name)} already exists", current="field exists", key=key
            )
        if expected is not None:
            _same_element(guard, "hash set field", ctx, await ctx.run("HGET", key, name), expected)
        return _Plan([("HSET", key, name, data)], "Field saved")

    return await _edit(client, guard, "hash set field", key, version, plan, creates="hash")


async def hash_delete_field(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    fields: Sequence[Value],
) -> EditResult:
    """Delete fields: ``HDEL key field…`` (deleting the last one deletes the key)."""
    return await _many(
        client,
        guard,
        key,
        version,
        "hash",
        "HDEL",
        fields,
        "field(s)",
        "deleted",
        op="hash delete field",
    )


async def hash_rename_field(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    old: Value,
    new: Value,
    *,
    overwrite: bool = False,
    expected: Value | None = None,
) -> EditResult:
    """Rename a field atomically: HGET old, then ``MULTI HSET key new v; HDEL key old EXEC``.

    ``expected``: the field's value as the user saw it (see ``hash_set_field``).

    Raises:
        AlreadyExists: ``new`` exists and ``overwrite`` is False.
        EditConflict: ``old`` is gone, or its value is not ``expected``.
    """
    _expect(version, "hash", create=False)
    old_name, new_name = _b(old), _b(new)
    if old_name == new_name:
        raise ValueError("The new field name is the same as the old one")

    async def plan(ctx: _Ctx) -> _Plan:
        value = await ctx.run("HGET", key, old_name)
        if value is None:
            raise EditConflict(
                f"Field {escape_key(old_name)} is gone", current="field deleted", key=key
            )
        if expected is not None:
            _same_element(guard, "hash rename field", ctx, value, expected)
        if not overwrite and await ctx.run("HEXISTS", key, new_name):
            raise AlreadyExists(
                f"Field {escape_key(new_name)} already exists", current="field exists", key=key
            )
        commands: list[Command] = [("HSET", key, new_name, value), ("HDEL", key, old_name)]
        return _Plan(commands, "Field renamed")

    return await _edit(client, guard, "hash rename field", key, version, plan, creates="hash")


# -- lists ----------------------------------------------------------------------------------


async def list_set(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    index: int,
    value: Value,
    *,
    expected: Value | None = None,
) -> EditResult:
    """Replace the element at ``index``: ``LSET key index value``.

    ``expected``: the element as the user saw it, compared under WATCH (see
    ``hash_set_field``).
    """
    _expect(version, "list", create=False)
    data = _b(value)

    async def plan(ctx: _Ctx) -> _Plan:
        position, element = await _ensure_index(ctx, index)
        if expected is not None:
            _same_element(guard, "list set", ctx, element, expected)
        return _Plan([("LSET", key, position, data)], f"Element {position} saved")

    return await _edit(client, guard, "list set", key, version, plan, creates="list")


async def list_insert(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    index: int,
    value: Value,
    *,
    before: bool = True,
) -> EditResult:
    """Insert ``value`` before (or after) the element at ``index``.

    LINSERT addresses a pivot by value, which is ambiguous when values repeat; so the element
    at ``index`` is swapped for a unique tombstone, LINSERT uses it as the pivot, and the
    element is put back, all in one MULTI:
    ``LSET key i T; LINSERT key BEFORE|AFTER T value; LSET key i' element``.
    """
    _expect(version, "list", create=False)
    data = _b(value)

    async def plan(ctx: _Ctx) -> _Plan:
        position, element = await _ensure_index(ctx, index)
        mark = _tombstone()
        where = "BEFORE" if before else "AFTER"
        back = position + 1 if before else position
        commands: list[Command] = [
            ("LSET", key, position, mark),
            ("LINSERT", key, where, mark, data),
            ("LSET", key, back, element),
        ]
        return _Plan(commands, f"Element inserted at {position if before else position + 1}")

    return await _edit(client, guard, "list insert", key, version, plan, creates="list")


async def list_push(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    values: Sequence[Value],
    *,
    left: bool = False,
) -> EditResult:
    """``RPUSH`` (or ``LPUSH``) values; creates the list when the key is missing.

    As in Redis, LPUSH of ``a b`` leaves ``b a`` at the head.
    """
    _expect(version, "list")
    data = [_b(v) for v in values]
    if not data:
        raise ValueError("Nothing to push")

    async def plan(ctx: _Ctx) -> _Plan:
        side = "head" if left else "tail"
        return _Plan([("LPUSH" if left else "RPUSH", key, *data)], f"Pushed at the {side}")

    return await _edit(client, guard, "list push", key, version, plan, creates="list")


async def list_remove(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    index: int,
) -> EditResult:
    """Remove the element at ``index``: ``MULTI LSET key i T; LREM key 1 T EXEC``.

    (Redis has no remove-by-index; the tombstone makes LREM hit exactly that position.)
    """
    _expect(version, "list", create=False)

    async def plan(ctx: _Ctx) -> _Plan:
        position, _ = await _ensure_index(ctx, index)
        mark = _tombstone()
        commands: list[Command] = [("LSET", key, position, mark), ("LREM", key, 1, mark)]
        return _Plan(commands, f"Element {position} removed")

    return await _edit(client, guard, "list remove", key, version, plan, creates="list")


# -- sets and sorted sets -------------------------------------------------------------------


async def set_add(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    members: Sequence[Value],
) -> EditResult:
    """``SADD key member…`` (creates the set when missing)."""
    return await _many(
        client,
        guard,
        key,
        version,
        "set",
        "SADD",
        members,
        "member(s)",
        "added",
        op="set add",
        create=True,
    )


async def set_remove(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    members: Sequence[Value],
) -> EditResult:
    """``SREM key member…``."""
    return await _many(
        client, guard, key, version, "set", "SREM", members, "member(s)", "removed", op="set remove"
    )


async def zset_add(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    member: Value,
    score: float,
    *,
    overwrite: bool = False,
) -> EditResult:
    """Add a member: ``ZADD key score member`` (creates the zset when missing).

    Raises:
        AlreadyExists: the member exists and ``overwrite`` is False (use ``zset_set_score``).
    """
    _expect(version, "zset")
    name, text = _b(member), _score(score)

    async def plan(ctx: _Ctx) -> _Plan:
        if not overwrite and await ctx.run("ZSCORE", key, name) is not None:
            raise AlreadyExists(
                f"Member {escape_key(name)} already exists", current="member exists", key=key
            )
        return _Plan([("ZADD", key, text, name)], "Member added")

    return await _edit(client, guard, "zset add", key, version, plan, creates="zset")


async def zset_remove(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    members: Sequence[Value],
) -> EditResult:
    """``ZREM key member…``."""
    return await _many(
        client,
        guard,
        key,
        version,
        "zset",
        "ZREM",
        members,
        "member(s)",
        "removed",
        op="zset remove",
    )


async def zset_set_score(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    member: Value,
    score: float,
    *,
    expected: float | None = None,
) -> EditResult:
    """Change a member's score: ``ZADD key XX score member``.

    ``expected``: the score the user saw, compared under WATCH (see ``hash_set_field``).

    Raises:
        EditConflict: the member is gone, or its score is not ``expected``.
    """
    _expect(version, "zset", create=False)
    name, text = _b(member), _score(score)

    async def plan(ctx: _Ctx) -> _Plan:
        now = await ctx.run("ZSCORE", key, name)
        if now is None:
            raise EditConflict(
                f"Member {escape_key(name)} is gone", current="member removed", key=key
            )
        if expected is not None and float(now) != expected:
            raise _conflict(
                guard, "zset set score", key, ctx.version, ctx.version, "the score changed"
            )
        return _Plan([("ZADD", key, "XX", text, name)], "Score saved")

    return await _edit(client, guard, "zset set score", key, version, plan, creates="zset")


# -- streams --------------------------------------------------------------------------------


async def stream_add(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    fields: Mapping[Value, Value] | Sequence[tuple[Value, Value]],
    *,
    entry_id: str | bytes = "*",
) -> EditResult:
    """``XADD key id field value…`` (creates the stream when missing). The new id is
    ``result.replies[0]``."""
    _expect(version, "stream")
    pairs = list(fields.items()) if isinstance(fields, Mapping) else list(fields)
    if not pairs:
        raise ValueError("An entry needs at least one field")
    flat: list[bytes] = []
    for name, value in pairs:
        flat += [_b(name), _b(value)]

    async def plan(ctx: _Ctx) -> _Plan:
        return _Plan([("XADD", key, entry_id, *flat)], "Entry added")

    return await _edit(client, guard, "stream add", key, version, plan, creates="stream")


async def stream_delete(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    ids: Sequence[str | bytes],
) -> EditResult:
    """``XDEL key id…`` (the stream stays, even when empty)."""
    return await _many(
        client,
        guard,
        key,
        version,
        "stream",
        "XDEL",
        ids,
        "entr(y/ies)",
        "deleted",
        op="stream delete",
    )


async def _many(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    kind: str,
    command: str,
    items: Sequence[Value],
    noun: str,
    done: str,
    *,
    op: str,
    create: bool = False,
) -> EditResult:
    """The shape most collection edits share: one command over several members."""
    _expect(version, kind, create=create)
    data = [_b(item) for item in items]
    if not data:
        raise ValueError(f"Nothing given: no {noun.split('(')[0]} to change")

    async def plan(ctx: _Ctx) -> _Plan:
        return _Plan([(command, key, *data)], f"{len(data)} {noun} {done}")

    return await _edit(client, guard, op, key, version, plan, creates=kind)


# -- any key --------------------------------------------------------------------------------


async def set_ttl(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    ttl_ms: int | None,
) -> EditResult:
    """``PEXPIRE key ms``, or ``PERSIST key`` when ``ttl_ms`` is None (see ``durations``).

    Raises:
        ValueError: ``ttl_ms`` is 0 or negative (that would delete the key).
    """
    _expect_exists(version)
    if ttl_ms is not None and ttl_ms <= 0:
        raise ValueError("A TTL must be positive (use delete to delete the key)")

    async def plan(ctx: _Ctx) -> _Plan:
        if ttl_ms is None:
            return _Plan(
                [("PERSIST", key)],
                "Expiry removed",
                after=version,
                probe_after=False,
                undo_wanted=False,
            )
        return _Plan(
            [("PEXPIRE", key, ttl_ms)],
            "TTL set",
            after=version,
            probe_after=False,
            undo_wanted=False,
        )

    return await _edit(client, guard, "set ttl", key, version, plan, creates=version.type)


async def rename(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    new: bytes,
    *,
    overwrite: bool = False,
) -> EditResult:
    """Rename a key (its TTL moves with it): ``RENAMENX key new``, or ``RENAME`` once the
    user confirmed overwriting ``new``; the clobbered value is kept for undo.

    Undo renames it back and restores what ``new`` held.

    Raises:
        AlreadyExists: ``new`` exists and ``overwrite`` is False.
    """
    _expect_exists(version)
    if new == key:
        raise ValueError("The new name is the same as the old one")
    return await _move(client, guard, "rename", key, version, new, overwrite)


async def copy(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
    new: bytes,
    *,
    overwrite: bool = False,
) -> EditResult:
    """``COPY key new`` (with ``REPLACE`` once the user confirmed overwriting ``new``). The TTL
    is copied too. Undo deletes the copy (or restores what ``new`` held).

    Raises:
        AlreadyExists: ``new`` exists and ``overwrite`` is False.
    """
    _expect_exists(version)
    if new == key:
        raise ValueError("The new name is the same as the old one")
    return await _move(client, guard, "copy", key, version, new, overwrite)


async def _move(
    client: AnyClient,
    guard: WriteGuard,
    op: str,
    key: bytes,
    version: Version,
    new: bytes,
    overwrite: bool,
) -> EditResult:
    from redis_tui.data.edit.undo import snapshot_watched

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

    async def plan(ctx: _Ctx) -> _Plan:
        exists = await ctx.run("EXISTS", new)
        if exists and not overwrite:
            raise AlreadyExists(
                f"{escape_key(new)} already exists", current="target exists", key=new
            )
        notes: list[str] = []
        dump, pttl = None, -1
        if exists and guard.undo is not None:
            snap = await snapshot_watched(ctx.pipe, new, guard.undo.entry_cap)
            if isinstance(snap, str):
                notes.append(f"no undo of the overwritten key: {snap}")
            else:
                dump, pttl = snap
        if op == "rename":
            command: Command = ("RENAME", key, new) if overwrite else ("RENAMENX", key, new)
            message = f"Renamed to {escape_key(new)}"
        else:
            command = ("COPY", key, new, "REPLACE") if overwrite else ("COPY", key, new)
            message = f"Copied to {escape_key(new)}"
        return _Plan(
            [command],
            message,
            after=version,
            probe_after=False,
            undo_key=new,
            undo_dump=dump,
            undo_pttl=pttl,
            undo_moved_from=key if op == "rename" else None,
            undo_wanted=not (exists and dump is None),
            notes=notes,
        )

    result = await _edit(
        client, guard, op, key, version, plan, creates=version.type, watch_also=[new]
    )
    # ``result.version`` is the version of ``new`` (the same value); the source is gone
    # after a rename. WATCH on both keys makes RENAMENX/COPY without REPLACE always succeed.
    return result


async def delete(
    client: AnyClient,
    guard: WriteGuard,
    key: bytes,
    version: Version,
) -> EditResult:
    """``UNLINK key`` if it is still the version the user saw; a DUMP is kept for undo
    (up to ``undo.UNDO_CAP``).

    Raises:
        ReadOnlyRefused, EditConflict (changed or already deleted).
    """
    _expect_exists(version)
    from redis_tui.data.edit.undo import snapshot_watched

    async def plan(ctx: _Ctx) -> _Plan:
        notes: list[str] = []
        dump, pttl = ctx.dump, -1
        if guard.undo is not None:
            if dump is not None:
                pttl = await ctx.run("PTTL", key)
            elif "DUMP" in ctx.denied:
                notes.append("no undo: DUMP not permitted")
            else:
                snap = await snapshot_watched(ctx.pipe, key, guard.undo.entry_cap)
                if isinstance(snap, str):
                    notes.append(f"no undo: {snap}")
                else:
                    dump, pttl = snap
        return _Plan(
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

    return await _edit(client, guard, "delete", key, version, plan, creates=version.type)


async def delete_key(client: AnyClient, guard: WriteGuard, key: bytes) -> None:
    """UNLINK one key (freed in the background, so a 200k-field hash does not block the server).

    No version check and no undo: ``delete`` is the checked edit.

    Raises:
        ReadOnlyRefused: the connection is read-only.
        KeyMissing: the key was already gone.
    """
    guard.check("delete")
    removed = await client.execute_command("UNLINK", key)
    if guard.log is not None:
        guard.log.append(("UNLINK", key), removed, op="delete")
    if not removed:
        raise KeyMissing("The key was already gone")
