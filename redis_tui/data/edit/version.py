"""Version tokens: what the user saw of a key, read again under WATCH before every edit.

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
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from redis_tui.data.values.kinds import length_command
from redis_tui.errors import RedisTuiError, translate

# redis-py is imported where it is used: the app loads this module before its first frame,
# which reads no version (~50 ms).
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.asyncio.client import Pipeline
    from redis.asyncio.cluster import RedisCluster

# MEMORY USAGE (bytes) up to which a key's version is an exact DUMP digest.
DIGEST_CAP = 1024 * 1024
# Bytes of each end of a big string sampled for its approximate version.
SAMPLE_BYTES = 4096
# Elements at each end of a big list or zset sampled for its approximate version.
SAMPLE_ITEMS = 10
# Without MEMORY USAGE (ACL), a collection of at most this many elements is DUMPed for an
# exact version (the default listpack limit: such keys are small unless their elements are).
SMALL_WITHOUT_MEMORY = 128

# One argument of a command sent to Redis.
Arg = bytes | str | int | float
Command = tuple[Arg, ...]
# What an edit may be handed: a standalone (or Sentinel) client, or a cluster client.
AnyClient: TypeAlias = "aioredis.Redis | RedisCluster"


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
        read = await read_version(client, key)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return read.version


@dataclass(frozen=True)
class VersionRead:
    """A key's version, its DUMP when the version is exact (the undo snapshot), and which of
    MEMORY and DUMP the server refused (left out of the probe inside MULTI)."""

    version: Version
    dump: bytes | None
    denied: frozenset[str] = frozenset()


async def call(conn: AnyClient | Pipeline, *args: Arg) -> Any:
    """One command; its reply is untyped (redis-py's pipeline annotations are loose)."""
    result: Any = await conn.execute_command(*args)
    return result


async def run_reads(conn: AnyClient | Pipeline, commands: Sequence[Command]) -> list[Any]:
    """Run reads; a server error becomes the reply (like ``raise_on_error=False``), except a
    cluster redirection, which is raised.

    A watching pipeline runs each command at once; a client pipelines them in one round trip.
    """
    import redis.exceptions as rex
    from redis.asyncio.client import Pipeline

    replies: list[Any]
    if isinstance(conn, Pipeline):
        replies = []
        for command in commands:
            try:
                replies.append(await call(conn, *command))
            except rex.ResponseError as exc:
                replies.append(exc)
    else:
        pipe = conn.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        replies = list(await pipe.execute(raise_on_error=False))
    # Replies that mean "not on this node (now)": never a value, never a version.
    redirects = (rex.AskError, rex.TryAgainError, rex.ClusterDownError)
    for reply in replies:
        if isinstance(reply, redirects):
            raise reply
    return replies


def _refused(reply: Any) -> bool:
    return isinstance(reply, BaseException)


async def read_version(conn: AnyClient | Pipeline, key: bytes) -> VersionRead:
    """The key's version, and its DUMP when the version is exact (the undo snapshot)."""
    kind_reply, mem = await run_reads(conn, [("TYPE", key), ("MEMORY", "USAGE", key)])
    kind = kind_of(kind_reply)
    denied: set[str] = set()
    if not isinstance(mem, int):
        denied.add("MEMORY")  # refused by the ACL (or unknown to the server)
        mem = None
    if kind == "none":
        # Creating the key: will its probe inside MULTI be allowed a DUMP?
        (dump_reply,) = await run_reads(conn, [("DUMP", key)])
        if _refused(dump_reply):
            denied.add("DUMP")
        return VersionRead(MISSING, None, frozenset(denied))
    length_cmd = length_command(kind, key)
    samples = _sample_commands(kind, key)
    rest: list[Any]
    if mem is not None:
        want_dump = mem <= DIGEST_CAP
        reads = [length_cmd, *([("DUMP", key)] if want_dump else samples)]
        length, *rest = await run_reads(conn, reads)
    else:
        (length,) = await run_reads(conn, [length_cmd])
        want_dump = _small_by_length(kind, length)
        rest = await run_reads(conn, [("DUMP", key)]) if want_dump else []
    dump = rest[0] if want_dump else None
    if _refused(dump):
        denied.add("DUMP")
    if _exact(kind, mem, length, dump):
        assert isinstance(dump, bytes)
        return VersionRead(_version_from(kind, mem, length, None, dump), dump, frozenset(denied))
    if want_dump or mem is None:
        rest = await run_reads(conn, samples)
    return VersionRead(_version_from(kind, mem, length, rest, None), None, frozenset(denied))


def no_dump_reason(read: VersionRead) -> str:
    """Why a key read without its DUMP has no undo, in the words the edit's message adds."""
    if "DUMP" in read.denied:
        return "no undo: DUMP not permitted"
    if "MEMORY" in read.denied and read.version.type != "string":
        return f"no undo: over {SMALL_WITHOUT_MEMORY} elements (MEMORY USAGE not permitted)"
    return f"no undo: the key is over {DIGEST_CAP // 1024} KB"


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


def probe_commands(
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


def version_from_probe(
    kind: str, replies: list[Any], with_dump: bool, denied: frozenset[str] = frozenset()
) -> Version | None:
    """The version the replies of ``probe_commands`` describe; None when it is unknown."""
    found = kind_of(replies[0])
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


def kind_of(reply: Any) -> str:
    """TYPE's reply as text. A refused TYPE (ACL) cannot be worked around: no edit without it.

    Raises:
        PermissionDenied (or another translated error): TYPE failed.
    """
    if isinstance(reply, BaseException):
        raise translate(reply)
    if isinstance(reply, bytes):
        return reply.decode()
    return str(reply)
