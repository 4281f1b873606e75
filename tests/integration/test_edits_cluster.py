"""The version-checked edits, undo and bulk delete on a real 3-primary Cluster, and for ACL
users that may not run MEMORY or DUMP (on a standalone server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from redis_tui.data.client.open import open_client
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.edit import txn
from redis_tui.data.edit.bulk import Progress, bulk_delete, dry_run
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.edit.ops import (
    Copy,
    Delete,
    Rename,
    SetHashField,
    SetListElement,
    SetString,
    apply,
)
from redis_tui.data.edit.undo import UndoStack
from redis_tui.data.edit.version import MISSING, SMALL_WITHOUT_MEMORY, key_version
from redis_tui.demo.server import EmbeddedServer
from redis_tui.errors import CommandFailed, EditConflict
from tests.integration.servers import Cluster, cluster

FAST: dict[str, Any] = {"connect_timeout": 2.0, "command_timeout": 5.0}
TTL_MS = 1_000_000


@pytest.fixture
def guard() -> WriteGuard:
    return WriteGuard(False, log=CommandLog(), undo=UndoStack())


def owner_value(group: Cluster, key: bytes) -> Any:
    """The key as the node owning its slot holds it (asked directly, no redirection)."""
    with group.node_client(group.owner_port(key_slot(key))) as c:
        kind = c.type(key)
        if kind == b"hash":
            return c.hgetall(key)
        return c.get(key) if kind == b"string" else kind


def keys_on_every_node(group: Cluster, prefix: str) -> list[bytes]:
    """One key per primary."""
    found: dict[int, bytes] = {}
    for i in range(1000):
        key = f"{prefix}{i}".encode()
        found.setdefault(group.owner_port(key_slot(key)), key)
        if len(found) == len(group.ports):
            break
    return list(found.values())


# -- cluster --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three() -> Iterator[Cluster]:
    with cluster(3) as group:
        yield group


@pytest.fixture
async def acluster(three: Cluster) -> AsyncIterator[RedisCluster]:
    with three.client() as c:
        c.flushall()
    client = open_client(ConnectionSettings(port=three.ports[0], cluster=True, **FAST))
    assert isinstance(client, RedisCluster)
    yield client
    await client.aclose()


async def test_edits_run_on_the_owning_node_and_keep_the_ttl(
    three: Cluster, acluster: RedisCluster, guard: WriteGuard
) -> None:
    strings = keys_on_every_node(three, "s:")
    hashes = keys_on_every_node(three, "h:")
    with three.client() as c:
        for key in strings:
            c.set(key, b"old", px=TTL_MS)
        for key in hashes:
            c.hset(key, mapping={b"a": b"1"})
            c.pexpire(key, TTL_MS)
    assert guard.undo is not None
    for key in strings:
        version = await key_version(acluster, key)
        assert version.exact
        result = await apply(acluster, guard, SetString(key, version, b"new"))
        assert owner_value(three, key) == b"new"
        assert result.version == await key_version(acluster, key)
        await guard.undo.restore_last(acluster, guard)
        assert owner_value(three, key) == b"old"
    for key in hashes:
        version = await key_version(acluster, key)
        await apply(acluster, guard, SetHashField(key, version, b"b", b"2"))
        assert owner_value(three, key) == {b"a": b"1", b"b": b"2"}
    with three.client() as c:
        assert all(TTL_MS - 60_000 < c.pttl(k) <= TTL_MS for k in strings + hashes)
    # The edits borrowed the nodes' pooled connections and gave them back.
    assert all(len(node._connections) <= 3 for node in acluster.get_primaries())


async def test_conflicts_are_detected_on_a_cluster(
    three: Cluster,
    acluster: RedisCluster,
    guard: WriteGuard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with three.client() as c:
        c.hset(b"h", mapping={b"a": b"1"})
        version = await key_version(acluster, b"h")
        c.hset(b"h", b"a", b"theirs")  # between the load and the save
        with pytest.raises(EditConflict) as err:
            await apply(acluster, guard, SetHashField(b"h", version, b"a", b"mine"))
        assert err.value.current == "value changed"
        assert c.hgetall(b"h") == {b"a": b"theirs"}

        # A write after the check under WATCH, before EXEC: the node's EXEC aborts.
        c.set(b"s", b"mine")
        version = await key_version(acluster, b"s")
        original = txn.read_version

        async def read_then_someone_writes(conn: Any, key: bytes) -> Any:
            found = await original(conn, key)
            c.set(b"s", b"ours")
            return found

        monkeypatch.setattr(txn, "read_version", read_then_someone_writes)
        with pytest.raises(EditConflict, match="nothing was saved"):
            await apply(acluster, guard, SetString(b"s", version, b"new"))
        assert c.get(b"s") == b"ours"
    assert guard.log is not None and not any(e.ok for e in guard.log.entries())


async def test_delete_and_undo_on_the_right_node(
    three: Cluster, acluster: RedisCluster, guard: WriteGuard
) -> None:
    keys = keys_on_every_node(three, "del:")
    with three.client() as c:
        for key in keys:
            c.hset(key, mapping={b"f": key})
            c.pexpire(key, TTL_MS)
    assert guard.undo is not None
    for key in keys:
        result = await apply(acluster, guard, Delete(key, await key_version(acluster, key)))
        assert result.message == "Deleted" and result.undo is not None
    with three.client() as c:
        assert c.exists(*keys) == 0
    for _ in keys:
        await guard.undo.restore_last(acluster, guard)
    for key in keys:
        assert owner_value(three, key) == {b"f": key}
        with three.node_client(three.owner_port(key_slot(key))) as n:
            assert TTL_MS - 60_000 < n.pttl(key) <= TTL_MS


async def test_rename_within_a_slot_and_refused_across(
    three: Cluster, acluster: RedisCluster, guard: WriteGuard
) -> None:
    with three.client() as c:
        c.set(b"{user:1}:a", b"A")
        c.set(b"plain", b"P")
    version = await key_version(acluster, b"{user:1}:a")
    await apply(acluster, guard, Rename(b"{user:1}:a", version, b"{user:1}:b"))
    assert owner_value(three, b"{user:1}:b") == b"A"
    assert guard.undo is not None
    await guard.undo.restore_last(acluster, guard)
    assert owner_value(three, b"{user:1}:a") == b"A"
    await apply(acluster, guard, Copy(b"{user:1}:a", version, b"{user:1}:c"))
    assert owner_value(three, b"{user:1}:c") == b"A"

    assert key_slot(b"plain") != key_slot(b"other")
    version = await key_version(acluster, b"plain")
    for move in (Rename, Copy):
        with pytest.raises(CommandFailed, match=r"different hash slots .* same hash tag"):
            await apply(acluster, guard, move(b"plain", version, b"other"))
    with three.client() as c:
        assert c.get(b"plain") == b"P" and c.exists(b"other") == 0


async def test_moved_slot_is_followed_and_a_migrating_one_is_a_conflict(
    three: Cluster, acluster: RedisCluster, guard: WriteGuard
) -> None:
    key = b"moving"
    slot = key_slot(key)
    with three.client() as c:
        c.set(key, b"v1")
    version = await key_version(acluster, key)  # the client's slot map is now warm
    source = three.owner_port(slot)
    target = next(p for p in three.ports if p != source)
    three.move_slot(slot, target)  # the client's map is now stale: MOVED, then retried
    result = await apply(acluster, guard, SetString(key, version, b"v2"))
    assert owner_value(three, key) == b"v2"

    # Half-way through a migration (the key already on the importing node): ASK.
    three.begin_migration(slot, target, source)
    three.migrate_keys(slot, target, source)
    try:
        with pytest.raises(EditConflict, match="being migrated") as err:
            await apply(acluster, guard, SetString(key, result.version or MISSING, b"v3"))
        assert err.value.current == "slot migrating"
    finally:
        three.finish_migration(slot, source)
    assert owner_value(three, key) == b"v2"


async def test_bulk_delete_across_every_primary(three: Cluster, acluster: RedisCluster) -> None:
    guard = WriteGuard(False, log=CommandLog(maxlen=10_000))
    with three.client() as c:
        c.mset_nonatomic({f"drop:{i}": b"v" for i in range(3000)})
        c.mset_nonatomic({f"keep:{i}": b"v" for i in range(1000)})
    dry = await dry_run(acluster, b"drop:*", sample=5)
    assert dry.complete and dry.count == 3000 and len(dry.sample) == 5
    progress: list[Progress] = []
    summary = await bulk_delete(acluster, guard, b"drop:*", on_progress=progress.append)
    assert (summary.deleted, summary.matched, summary.cancelled) == (3000, 3000, False)
    assert {p.node for p in progress} == {0, 1, 2} and progress[-1].nodes == 3
    left = 0
    for port in three.ports:
        with three.node_client(port) as n:
            left += n.dbsize()
    with three.client() as c:
        assert left == 1000 and c.exists(*[f"keep:{i}" for i in range(1000)]) == 1000
    assert guard.log is not None
    unlinks = [e.command[1:] for e in guard.log.entries() if e.command[:1] == ("UNLINK",)]
    assert all(len({key_slot(k) for k in keys}) == 1 for keys in unlinks)
    assert sum(len(keys) for keys in unlinks) == 3000


# -- ACL users without MEMORY or DUMP (standalone) ------------------------------------------


@pytest.fixture
def users(server: EmbeddedServer) -> Iterator[redis.Redis]:
    with redis.Redis(port=server.port) as c:
        for name, minus in (
            ("nomem", ["-memory"]),
            ("nodump", ["-dump"]),
            ("neither", ["-memory", "-dump"]),
        ):
            c.execute_command("ACL", "SETUSER", name, "reset", "on", ">pw", "~*", "+@all", *minus)
        yield c
        c.execute_command("ACL", "DELUSER", "nomem", "nodump", "neither")


@pytest.fixture
async def closing(server: EmbeddedServer) -> AsyncIterator[Callable[[str], Any]]:
    """Opens clients as a given ACL user (password "pw"), closed at the end."""
    clients: list[Any] = []

    def connect(name: str) -> Any:
        settings = ConnectionSettings(port=server.port, username=name, password="pw", **FAST)
        clients.append(open_client(settings))
        return clients[-1]

    yield connect
    for client in clients:
        await client.aclose()


async def test_without_memory_small_keys_stay_exact_with_undo(
    users: redis.Redis, closing: Any, guard: WriteGuard
) -> None:
    client = closing("nomem")
    users.set("s", "hello", px=TTL_MS)
    users.hset("h", mapping={f"f{i}": "v" for i in range(10)})
    version = await key_version(client, b"s")
    assert version.exact  # sized by STRLEN instead of MEMORY USAGE
    result = await apply(client, guard, SetString(b"s", version, b"bye"))
    assert users.get("s") == b"bye" and users.pttl("s") > TTL_MS - 60_000
    assert result.version == await key_version(client, b"s") and result.undo is not None

    hv = await key_version(client, b"h")
    assert hv.exact
    deleted = await apply(client, guard, Delete(b"h", hv))
    assert deleted.message == "Deleted" and users.exists("h") == 0
    assert guard.undo is not None
    await guard.undo.restore_last(client, guard)
    assert users.hlen("h") == 10
    await guard.undo.restore_last(client, guard)
    assert users.get("s") == b"hello"

    # Too many elements to size without MEMORY: sampled, still conflict-checked, no undo.
    users.rpush("big", *[str(i) for i in range(SMALL_WITHOUT_MEMORY + 1)])
    bv = await key_version(client, b"big")
    assert not bv.exact
    users.rpush("big", "theirs")
    with pytest.raises(EditConflict):
        await apply(client, guard, SetListElement(b"big", bv, 0, b"x"))
    bv = await key_version(client, b"big")
    changed = await apply(client, guard, SetListElement(b"big", bv, 0, b"x"))
    assert "no undo: over 128 elements (MEMORY USAGE not permitted)" in changed.message
    gone = await apply(client, guard, Delete(b"big", changed.version or bv))
    assert "no undo: over 128 elements" in gone.message and users.exists("big") == 0


@pytest.mark.parametrize("user", ["nodump", "neither"])
async def test_without_dump_edits_and_deletes_work_without_undo(
    user: str, users: redis.Redis, closing: Any, guard: WriteGuard
) -> None:
    client = closing(user)
    users.set("s", "hello", px=TTL_MS)
    version = await key_version(client, b"s")
    assert not version.exact
    users.append("s", "!")  # someone else writes: still caught
    with pytest.raises(EditConflict, match="length changed"):
        await apply(client, guard, SetString(b"s", version, b"x"))
    version = await key_version(client, b"s")
    result = await apply(client, guard, SetString(b"s", version, b"x"))
    assert users.get("s") == b"x" and users.pttl("s") > TTL_MS - 60_000
    assert result.undo is None and "no undo: DUMP not permitted" in result.message
    assert result.version == await key_version(client, b"s")

    # Creating a key: the probe inside MULTI leaves DUMP out (else EXECABORT).
    created = await apply(client, guard, SetHashField(b"h", MISSING, b"f", b"v"))
    assert users.hgetall("h") == {b"f": b"v"}
    assert created.version == await key_version(client, b"h")

    deleted = await apply(client, guard, Delete(b"h", created.version or MISSING))
    assert deleted.message == "Deleted (no undo: DUMP not permitted)"
    assert users.exists("h") == 0 and deleted.undo is None
    # Only the creation is undoable (its undo deletes: no DUMP needed).
    assert guard.undo is not None and guard.undo.entries() == [created.undo]
