"""Edits by hand against a real redis-server: every type, no lost update, TTL kept, undo,
read-only refused in the data layer, and the command log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from redis_tui.data.edit import txn
from redis_tui.data.edit.bulk import bulk_delete
from redis_tui.data.edit.cmdlog import REDACTED, CommandLog, Elided, format_entry
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.ops import (
    AddSetMembers,
    AddStreamEntry,
    AddZsetMembers,
    Copy,
    Delete,
    DeleteHashField,
    DeleteStreamEntries,
    InsertListElement,
    PushListElement,
    RemoveListElement,
    RemoveSetMembers,
    RemoveZsetMembers,
    Rename,
    RenameHashField,
    SetHashField,
    SetListElement,
    SetString,
    SetTtl,
    SetZsetScore,
    apply,
    delete_key,
    json_for_saving,
)
from redis_tui.data.edit.txn import EditResult
from redis_tui.data.edit.undo import UndoStack
from redis_tui.data.edit.version import DIGEST_CAP, MISSING, Version, key_version
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import AlreadyExists, EditConflict, KeyMissing, ReadOnlyRefused

TTL_MS = 1_000_000

AsyncClient = aioredis.Redis


@pytest.fixture
async def aclient(server: EmbeddedServer) -> AsyncIterator[AsyncClient]:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    yield client
    await client.aclose()


@pytest.fixture
def guard() -> WriteGuard:
    return WriteGuard(False, log=CommandLog(), undo=UndoStack())


def seed(c: redis.Redis) -> None:
    """One key of each type, each with a TTL."""
    c.set("s", "hello")
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.rpush("l", "x", "y", "x", "z")
    c.sadd("st", "m1", "m2")
    c.zadd("z", {"m1": 1, "m2": 2})
    c.xadd("x", {"f": "v"}, id="1-0")
    c.xadd("x", {"f": "w"}, id="2-0")
    for key in ("s", "h", "l", "st", "z", "x"):
        c.pexpire(key, TTL_MS)


def read(c: redis.Redis, key: str) -> Any:
    kind = c.type(key)
    if kind == b"string":
        return c.get(key)
    if kind == b"hash":
        return c.hgetall(key)
    if kind == b"list":
        return c.lrange(key, 0, -1)
    if kind == b"set":
        return c.smembers(key)
    if kind == b"zset":
        return c.zrange(key, 0, -1, withscores=True)
    if kind == b"stream":
        return c.xrange(key)
    return None


Edit = Callable[[AsyncClient, WriteGuard, Version], Awaitable[EditResult]]


@dataclass
class Case:
    name: str
    key: str
    edit: Edit
    expected: Any


CASES = [
    Case(
        "set_string",
        "s",
        lambda a, g, v: apply(a, g, SetString(b"s", v, b'{"n": 1}')),
        b'{"n": 1}',
    ),
    Case(
        "hash_set_field",
        "h",
        lambda a, g, v: apply(a, g, SetHashField(b"h", v, b"c", b"3")),
        {b"a": b"1", b"b": b"2", b"c": b"3"},
    ),
    Case(
        "hash_edit_field",
        "h",
        lambda a, g, v: apply(a, g, SetHashField(b"h", v, b"a", b"10")),
        {b"a": b"10", b"b": b"2"},
    ),
    Case(
        "hash_delete_field",
        "h",
        lambda a, g, v: apply(a, g, DeleteHashField(b"h", v, (b"a",))),
        {b"b": b"2"},
    ),
    Case(
        "hash_rename_field",
        "h",
        lambda a, g, v: apply(a, g, RenameHashField(b"h", v, b"a", b"A")),
        {b"A": b"1", b"b": b"2"},
    ),
    Case(
        "list_set",
        "l",
        lambda a, g, v: apply(a, g, SetListElement(b"l", v, 2, b"X")),
        [b"x", b"y", b"X", b"z"],
    ),
    Case(
        "list_set_negative",
        "l",
        lambda a, g, v: apply(a, g, SetListElement(b"l", v, -1, b"Z")),
        [b"x", b"y", b"x", b"Z"],
    ),
    Case(
        "list_insert_before_duplicate",
        "l",
        lambda a, g, v: apply(a, g, InsertListElement(b"l", v, 2, b"new")),
        [b"x", b"y", b"new", b"x", b"z"],
    ),
    Case(
        "list_insert_after",
        "l",
        lambda a, g, v: apply(a, g, InsertListElement(b"l", v, 2, b"new", before=False)),
        [b"x", b"y", b"x", b"new", b"z"],
    ),
    Case(
        "list_push_right",
        "l",
        lambda a, g, v: apply(a, g, PushListElement(b"l", v, (b"p",))),
        [b"x", b"y", b"x", b"z", b"p"],
    ),
    Case(
        "list_push_left",
        "l",
        lambda a, g, v: apply(a, g, PushListElement(b"l", v, (b"p",), left=True)),
        [b"p", b"x", b"y", b"x", b"z"],
    ),
    Case(
        "list_remove_duplicate_by_index",
        "l",
        lambda a, g, v: apply(a, g, RemoveListElement(b"l", v, 2)),
        [b"x", b"y", b"z"],
    ),
    Case(
        "set_add",
        "st",
        lambda a, g, v: apply(a, g, AddSetMembers(b"st", v, (b"m3",))),
        {b"m1", b"m2", b"m3"},
    ),
    Case(
        "set_remove",
        "st",
        lambda a, g, v: apply(a, g, RemoveSetMembers(b"st", v, (b"m1",))),
        {b"m2"},
    ),
    Case(
        "zset_add",
        "z",
        lambda a, g, v: apply(a, g, AddZsetMembers(b"z", v, b"m0", 0.5)),
        [(b"m0", 0.5), (b"m1", 1.0), (b"m2", 2.0)],
    ),
    Case(
        "zset_remove",
        "z",
        lambda a, g, v: apply(a, g, RemoveZsetMembers(b"z", v, (b"m1",))),
        [(b"m2", 2.0)],
    ),
    Case(
        "zset_set_score",
        "z",
        lambda a, g, v: apply(a, g, SetZsetScore(b"z", v, b"m1", 3)),
        [(b"m2", 2.0), (b"m1", 3.0)],
    ),
    Case(
        "stream_add",
        "x",
        lambda a, g, v: apply(a, g, AddStreamEntry(b"x", v, ((b"f", b"u"),), entry_id=b"3-0")),
        [(b"1-0", {b"f": b"v"}), (b"2-0", {b"f": b"w"}), (b"3-0", {b"f": b"u"})],
    ),
    Case(
        "stream_delete",
        "x",
        lambda a, g, v: apply(a, g, DeleteStreamEntries(b"x", v, (b"1-0",))),
        [(b"2-0", {b"f": b"w"})],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_every_edit_applies_keeps_ttl_and_undoes(
    case: Case, client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    seed(client)
    before = read(client, case.key)
    version = await key_version(aclient, case.key.encode())
    assert version.exact and version.type == client.type(case.key).decode()

    result = await case.edit(aclient, guard, version)

    assert read(client, case.key) == case.expected
    assert TTL_MS - 60_000 < client.pttl(case.key) <= TTL_MS, "the TTL survives a value edit"
    # The version returned is the key's version now: the next edit can use it.
    assert result.version == await key_version(aclient, case.key.encode())
    # The log holds exactly the write commands sent, with their replies.
    assert guard.log is not None
    logged = [e for e in guard.log.entries() if e.ok]
    assert [e.command[0] for e in logged] == [c[0] for c in result.commands]
    assert all(e.command[1] == case.key.encode() for e in logged)

    # Undo puts back the value, and the TTL.
    assert result.undo is not None
    assert guard.undo is not None
    restored = await guard.undo.restore_last(aclient, guard)
    assert restored is result.undo
    assert read(client, case.key) == before
    assert TTL_MS - 60_000 < client.pttl(case.key) <= TTL_MS


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_concurrent_write_between_load_and_save_is_a_conflict(
    case: Case, client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    seed(client)
    version = await key_version(aclient, case.key.encode())
    # Someone else writes to the key while the user is typing.
    if case.key == "s":
        client.append("s", "!")
    elif case.key == "h":
        client.hset("h", "b", "other")
    elif case.key == "l":
        client.lset("l", 0, "other")
    elif case.key == "st":
        client.sadd("st", "other")
    elif case.key == "z":
        client.zincrby("z", 5, "m2")
    else:
        client.xadd("x", {"other": "1"}, id="9-0")
    theirs = read(client, case.key)

    with pytest.raises(EditConflict) as err:
        await case.edit(aclient, guard, version)

    assert read(client, case.key) == theirs, "nothing was overwritten"
    assert err.value.current in ("value changed",) or err.value.current.startswith("length")
    assert err.value.key == case.key.encode()
    assert err.value.version == await key_version(aclient, case.key.encode())
    assert guard.log is not None and not any(e.ok for e in guard.log.entries())
    assert guard.undo is not None and len(guard.undo) == 0


async def test_write_during_the_transaction_aborts_exec(
    client: redis.Redis,
    aclient: AsyncClient,
    guard: WriteGuard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A write landing after the version check, before EXEC: WATCH makes EXEC fail."""
    client.set("s", "mine")
    version = await key_version(aclient, b"s")
    original = txn.read_version

    async def read_then_someone_writes(conn: Any, key: bytes) -> Any:
        found = await original(conn, key)
        client.set("s", "ours")  # a real second client, between check and EXEC
        return found

    monkeypatch.setattr(txn, "read_version", read_then_someone_writes)
    with pytest.raises(EditConflict, match="nothing was saved") as err:
        await apply(aclient, guard, SetString(b"s", version, b"new"))
    assert client.get("s") == b"ours"
    assert err.value.current == "value changed"


async def test_conflict_says_what_changed(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("k", "v")
    version = await key_version(aclient, b"k")
    client.delete("k")
    client.hset("k", "f", "v")
    with pytest.raises(EditConflict) as err:
        await apply(aclient, guard, SetString(b"k", version, b"x"))
    assert err.value.current == "type changed to hash"
    assert client.hgetall("k") == {b"f": b"v"}

    client.delete("k")
    with pytest.raises(KeyMissing):
        await apply(aclient, guard, Delete(b"k", await key_version(aclient, b"k")))
    client.set("k", "v")
    version = await key_version(aclient, b"k")
    client.delete("k")
    with pytest.raises(EditConflict) as err:
        await apply(aclient, guard, Delete(b"k", version))
    assert err.value.current == "key deleted"

    # Creating a key the user saw missing, when someone created it meanwhile.
    client.set("new", "theirs")
    with pytest.raises(EditConflict) as err:
        await apply(aclient, guard, SetString(b"new", MISSING, b"mine"))
    assert err.value.current == "key created (a string)"
    assert client.get("new") == b"theirs"


async def test_set_string_keep_ttl_false_and_create(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("s", "a", px=TTL_MS)
    version = await key_version(aclient, b"s")
    result = await apply(aclient, guard, SetString(b"s", version, b"b", keep_ttl=False))
    assert result.commands == [("SET", b"s", b"b")]
    assert client.pttl("s") == -1
    created = await apply(aclient, guard, SetString(b"fresh", MISSING, "é".encode()))
    assert client.get("fresh") == "é".encode()
    assert created.commands == [("SET", b"fresh", "é".encode(), "KEEPTTL")]
    # Undo of a creation deletes the key (it did not exist before).
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert client.exists("fresh") == 0


async def test_refusals_for_existing_targets(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.hset("h", mapping={"a": "1", "b": "2"})
    client.zadd("z", {"m": 1})
    version = await key_version(aclient, b"h")
    with pytest.raises(AlreadyExists):
        await apply(aclient, guard, RenameHashField(b"h", version, b"a", b"b"))
    with pytest.raises(AlreadyExists):
        await apply(aclient, guard, SetHashField(b"h", version, b"a", b"x", must_be_new=True))
    assert client.hgetall("h") == {b"a": b"1", b"b": b"2"}
    await apply(aclient, guard, RenameHashField(b"h", version, b"a", b"b", overwrite=True))
    assert client.hgetall("h") == {b"b": b"1"}

    zv = await key_version(aclient, b"z")
    with pytest.raises(AlreadyExists):
        await apply(aclient, guard, AddZsetMembers(b"z", zv, b"m", 5))
    with pytest.raises(EditConflict, match="gone"):
        await apply(aclient, guard, SetZsetScore(b"z", zv, b"nope", 5))
    lv = await key_version(aclient, b"h")
    with pytest.raises(ValueError, match="not a list"):
        await apply(aclient, guard, SetListElement(b"h", lv, 0, b"x"))


async def test_list_index_out_of_range_is_refused(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.rpush("l", "a")
    version = await key_version(aclient, b"l")
    with pytest.raises(EditConflict, match="out of range"):
        await apply(aclient, guard, RemoveListElement(b"l", version, 5))
    # Removing the last element deletes the key; undo brings it back.
    result = await apply(aclient, guard, RemoveListElement(b"l", version, 0))
    assert result.version == MISSING and client.exists("l") == 0
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert client.lrange("l", 0, -1) == [b"a"]


async def test_set_ttl_and_persist(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("k", "v")
    version = await key_version(aclient, b"k")
    await apply(aclient, guard, SetTtl(b"k", version, 90_000))
    assert 80_000 < client.pttl("k") <= 90_000
    result = await apply(aclient, guard, SetTtl(b"k", version, None))
    assert result.commands == [("PERSIST", b"k")]
    assert client.pttl("k") == -1
    with pytest.raises(ValueError):
        await apply(aclient, guard, SetTtl(b"k", version, 0))
    assert client.get("k") == b"v"


async def test_rename_refuses_to_overwrite_unless_confirmed_and_undoes(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("a", "A", px=TTL_MS)
    client.set("b", "B", px=TTL_MS // 2)
    version = await key_version(aclient, b"a")
    with pytest.raises(AlreadyExists):
        await apply(aclient, guard, Rename(b"a", version, b"b"))
    assert (client.get("a"), client.get("b")) == (b"A", b"B")

    result = await apply(aclient, guard, Rename(b"a", version, b"b", overwrite=True))
    assert result.commands == [("RENAME", b"a", b"b")]
    assert client.get("b") == b"A" and client.exists("a") == 0
    assert client.pttl("b") > TTL_MS // 2, "the TTL moved with the key"

    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert (client.get("a"), client.get("b")) == (b"A", b"B")
    assert TTL_MS - 60_000 < client.pttl("a") <= TTL_MS
    assert TTL_MS // 2 - 60_000 < client.pttl("b") <= TTL_MS // 2

    result = await apply(aclient, guard, Rename(b"a", version, b"c"))
    assert result.commands == [("RENAMENX", b"a", b"c")]
    await guard.undo.restore_last(aclient, guard)
    assert client.get("a") == b"A" and client.exists("c") == 0


async def test_copy_and_its_undo(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.hset("h", "f", "v")
    client.set("t", "old")
    version = await key_version(aclient, b"h")
    await apply(aclient, guard, Copy(b"h", version, b"h2"))
    assert client.hgetall("h2") == {b"f": b"v"}
    with pytest.raises(AlreadyExists):
        await apply(aclient, guard, Copy(b"h", version, b"t"))
    await apply(aclient, guard, Copy(b"h", version, b"t", overwrite=True))
    assert client.hgetall("t") == {b"f": b"v"}
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)
    assert client.get("t") == b"old"
    await guard.undo.restore_last(aclient, guard)
    assert client.exists("h2") == 0 and client.hgetall("h") == {b"f": b"v"}


async def test_delete_and_undo_restore_value_and_ttl(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    seed(client)
    assert guard.undo is not None
    for key in ("s", "h", "l", "st", "z", "x"):
        before = read(client, key)
        version = await key_version(aclient, key.encode())
        result = await apply(aclient, guard, Delete(key.encode(), version))
        assert result.commands == [("UNLINK", key.encode())]
        assert client.exists(key) == 0
        entry = await guard.undo.restore_last(aclient, guard)
        assert entry is not None and entry.key == key.encode()
        assert read(client, key) == before
        assert TTL_MS - 60_000 < client.pttl(key) <= TTL_MS
    assert await guard.undo.restore_last(aclient, guard) is None


async def test_undo_refuses_to_clobber_a_recreated_or_changed_key(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    assert guard.undo is not None
    client.set("k", "original")
    await apply(aclient, guard, Delete(b"k", await key_version(aclient, b"k")))
    client.set("k", "someone else's")
    with pytest.raises(EditConflict, match="re-created") as err:
        await guard.undo.restore_last(aclient, guard)
    assert err.value.current == "re-created"
    assert client.get("k") == b"someone else's"
    # The entry stays: once the way is clear, undo works.
    client.delete("k")
    await guard.undo.restore_last(aclient, guard)
    assert client.get("k") == b"original"

    # An overwrite is undone only while the key holds what we wrote.
    version = await key_version(aclient, b"k")
    await apply(aclient, guard, SetString(b"k", version, b"mine"))
    client.set("k", "theirs")
    with pytest.raises(EditConflict, match="changed since"):
        await guard.undo.restore_last(aclient, guard)
    assert client.get("k") == b"theirs"


async def test_undo_skips_a_key_that_would_have_expired(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("k", "v", px=50)
    await apply(aclient, guard, Delete(b"k", await key_version(aclient, b"k")))
    assert guard.undo is not None
    entry = guard.undo.peek()
    assert entry is not None and 0 < entry.pttl_ms <= 50
    import asyncio

    await asyncio.sleep(0.1)
    with pytest.raises(EditConflict, match="expired"):
        await guard.undo.restore_last(aclient, guard)
    assert client.exists("k") == 0 and len(guard.undo) == 0


async def test_big_key_has_an_approximate_version_that_still_catches_changes(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("big", b"x" * (2 * DIGEST_CAP), px=TTL_MS)
    version = await key_version(aclient, b"big")
    assert not version.exact and version.length == 2 * DIGEST_CAP
    client.append("big", "y")
    with pytest.raises(EditConflict, match="length changed"):
        await apply(aclient, guard, SetString(b"big", version, b"small"))
    version = await key_version(aclient, b"big")
    result = await apply(aclient, guard, SetString(b"big", version, b"small"))
    assert client.get("big") == b"small" and client.pttl("big") > 0
    assert result.version in (None, await key_version(aclient, b"big"))
    # No DUMP for a key over the digest cap: no undo for its value edits, and it says so.
    assert result.undo is None and "no undo" in result.message
    # The log keeps only the head of a huge argument.
    client.set("big2", b"z" * (2 * DIGEST_CAP))
    v2 = await key_version(aclient, b"big2")
    await apply(aclient, guard, Delete(b"big2", v2))
    assert guard.undo is not None
    await guard.undo.restore_last(aclient, guard)  # a delete does keep a DUMP of it
    assert client.strlen("big2") == 2 * DIGEST_CAP
    assert guard.log is not None
    restore = [e for e in guard.log.entries() if e.command and e.command[0] == "RESTORE"][-1]
    assert isinstance(restore.command[3], Elided)


async def test_hostile_keys_and_values_round_trip(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    key = b"[bold]k\x1b[31m\xff\x00"
    client.hset(key, b"\xfe", b"\x00")
    version = await key_version(aclient, key)
    await apply(aclient, guard, RenameHashField(key, version, b"\xfe", b"[/x]\n"))
    assert client.hgetall(key) == {b"[/x]\n": b"\x00"}
    assert guard.log is not None
    lines = [format_entry(e) for e in guard.log.entries()]
    assert all("\x1b" not in line and "\n" not in line and "\x00" not in line for line in lines)
    assert "\\e[31m\\xff\\0" in lines[0]


async def test_readonly_refuses_every_write_in_the_data_layer(
    client: redis.Redis, aclient: AsyncClient
) -> None:
    seed(client)
    before = {k: read(client, k) for k in ("s", "h", "l", "st", "z", "x")}
    log, undo = CommandLog(), UndoStack()
    guard = WriteGuard(True, log=log, undo=undo)
    undo.record(key=b"s", dump=client.dump("s"), pttl_ms=-1, after=MISSING)

    def v(key: str) -> Version:
        return Version(client.type(key).decode(), 0, "", exact=True)

    calls: list[Awaitable[Any]] = [
        apply(aclient, guard, SetString(b"s", v("s"), b"x")),
        apply(aclient, guard, SetHashField(b"h", v("h"), b"a", b"x")),
        apply(aclient, guard, DeleteHashField(b"h", v("h"), (b"a",))),
        apply(aclient, guard, RenameHashField(b"h", v("h"), b"a", b"z")),
        apply(aclient, guard, SetListElement(b"l", v("l"), 0, b"x")),
        apply(aclient, guard, InsertListElement(b"l", v("l"), 0, b"x")),
        apply(aclient, guard, PushListElement(b"l", v("l"), (b"x",))),
        apply(aclient, guard, RemoveListElement(b"l", v("l"), 0)),
        apply(aclient, guard, AddSetMembers(b"st", v("st"), (b"x",))),
        apply(aclient, guard, RemoveSetMembers(b"st", v("st"), (b"m1",))),
        apply(aclient, guard, AddZsetMembers(b"z", v("z"), b"x", 1)),
        apply(aclient, guard, RemoveZsetMembers(b"z", v("z"), (b"m1",))),
        apply(aclient, guard, SetZsetScore(b"z", v("z"), b"m1", 9)),
        apply(aclient, guard, AddStreamEntry(b"x", v("x"), ((b"f", b"v"),))),
        apply(aclient, guard, DeleteStreamEntries(b"x", v("x"), (b"1-0",))),
        apply(aclient, guard, SetTtl(b"s", v("s"), None)),
        apply(aclient, guard, Rename(b"s", v("s"), b"s2", overwrite=True)),
        apply(aclient, guard, Copy(b"s", v("s"), b"s2", overwrite=True)),
        apply(aclient, guard, Delete(b"s", v("s"))),
        delete_key(aclient, guard, b"s"),
        undo.restore_last(aclient, guard),
        bulk_delete(aclient, guard, b"*"),
    ]
    for call in calls:
        with pytest.raises(ReadOnlyRefused):
            await call
    assert {k: read(client, k) for k in before} == before
    assert client.dbsize() == 6 and all(client.pttl(k) > 0 for k in before)
    assert len(log) == len(calls) and not any(e.ok or e.command for e in log.entries())


async def test_delete_key_without_version_still_works(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    client.set("k", "v")
    await delete_key(aclient, guard, b"k")
    with pytest.raises(KeyMissing):
        await delete_key(aclient, guard, b"k")


def test_json_for_saving() -> None:
    assert json_for_saving('{\n  "a": [1, 2]\n}', compact=True) == b'{"a":[1,2]}'
    assert json_for_saving('{"a": 1}', compact=False) == b'{"a": 1}'
    with pytest.raises(ValueError, match="line 2, column"):
        json_for_saving('{\n  "a": }', compact=True)


def test_command_log_redacts_secrets_and_stays_bounded() -> None:
    log = CommandLog(maxlen=3)
    log.append(("AUTH", "user", "s3cret"), "OK")
    log.append(("HELLO", 3, "AUTH", "user", "s3cret"), "OK")
    log.append(("CONFIG", "SET", "requirepass", "s3cret"), "OK")
    log.append(("ACL", "SETUSER", "bob", "on", ">s3cret", "~*"), "OK")
    entries = log.entries()
    assert len(entries) == 3
    text = " ".join(format_entry(e) for e in entries)
    assert "s3cret" not in text and REDACTED in text
    assert entries[-1].command[4] == ">" + REDACTED


async def test_a_changed_element_of_a_big_key_is_refused_though_the_sample_missed_it(
    client: redis.Redis, aclient: AsyncClient, guard: WriteGuard
) -> None:
    pad = b"p" * 200
    client.hset("bh", mapping={f"f{i}": pad for i in range(8000)})  # ~2 MB: a sampled version
    client.rpush("bl", *([pad] * 8000))
    client.zadd("bz", {b"m%04d" % i + pad: i for i in range(8000)})
    hv, lv = await key_version(aclient, b"bh"), await key_version(aclient, b"bl")
    zv = await key_version(aclient, b"bz")
    client.zadd("bz", {b"m4321" + pad: 4321.5})  # its rank, the sampled ends, stay the same
    assert await key_version(aclient, b"bz") == zv
    with pytest.raises(EditConflict, match="score changed"):
        await apply(aclient, guard, SetZsetScore(b"bz", zv, b"m4321" + pad, 1.0, expected=4321))
    await apply(aclient, guard, SetZsetScore(b"bz", zv, b"m0007" + pad, 1.0, expected=7))
    assert client.zscore("bz", b"m0007" + pad) == 1.0
    assert not hv.exact and not lv.exact
    # Another client changes exactly the element the user is editing, same length: the
    # sampled version does not see it.
    client.hset("bh", "f4321", b"q" * 200)
    client.lset("bl", 4321, b"q" * 200)
    assert await key_version(aclient, b"bh") == hv and await key_version(aclient, b"bl") == lv
    with pytest.raises(EditConflict, match="element changed") as conflict:
        await apply(aclient, guard, SetHashField(b"bh", hv, b"f4321", b"mine", expected=pad))
    with pytest.raises(EditConflict, match="element changed"):
        await apply(aclient, guard, RenameHashField(b"bh", hv, b"f4321", b"g", expected=pad))
    with pytest.raises(EditConflict, match="element changed"):
        await apply(aclient, guard, SetListElement(b"bl", lv, 4321, b"mine", expected=pad))
    assert client.hget("bh", "f4321") == b"q" * 200 and client.lindex("bl", 4321) == b"q" * 200
    # Overwriting on purpose: the conflict's version, without the element check.
    version = conflict.value.version
    assert isinstance(version, Version)
    await apply(aclient, guard, SetHashField(b"bh", version, b"f4321", b"mine"))
    assert client.hget("bh", "f4321") == b"mine"
    # Unchanged elements save as usual.
    await apply(aclient, guard, SetListElement(b"bl", lv, 7, b"seven", expected=pad))
    await apply(aclient, guard, SetHashField(b"bh", hv, b"f7", b"seven", expected=pad))
    assert client.lindex("bl", 7) == b"seven" and client.hget("bh", "f7") == b"seven"
