"""Export keys to a file and import them back, against a real redis-server (and a cluster)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.edit.cmdlog import CommandLog
from redis_tui.data.edit.guard import WriteGuard
from redis_tui.data.gateway import Gateway
from redis_tui.data.transfer import writes
from redis_tui.data.transfer.exporter import ExportProgress
from redis_tui.data.transfer.fileformat import TransferRefused
from redis_tui.data.transfer.importer import Choice, ImportProgress, import_file
from redis_tui.data.values.export import ExportRefused
from redis_tui.errors import ReadOnlyRefused

BIG_HASH = 200_000
TTL_TOLERANCE_MS = 5_000


def seed(c: redis.Redis) -> None:
    pipe = c.pipeline(transaction=False)
    pipe.set(b"s:text", "héllo wörld")
    pipe.set(b"s:bin\xff\x00key", b"\x00\x01\xfe\xff" * 10)
    pipe.set(b"s:empty", b"")
    pipe.set(b"s:ttl", b"expires", px=600_000)
    pipe.set(b"s:big", os.urandom(3 * 1024 * 1024 + 7))  # several 1 MB chunks
    pipe.hset(b"h:small", mapping={b"f1": b"v1", b"bin\xfe": b"\xff\x00"})
    pipe.pexpire(b"h:small", 900_000)
    pipe.sadd(b"set:\xc3\x28", b"a", b"\xff", b"")
    pipe.zadd(b"z", {b"inf": float("inf"), b"-inf": float("-inf"), b"neg": -2.5, b"pi": 3.14159})
    pipe.zadd(b"z", {b"tiny": 1e-300, b"\x80bin": 0.1})
    pipe.rpush(b"l", b"one", b"two", b"\x00three", b"two")
    for i in range(5):
        pipe.xadd(b"stream", {b"n": str(i).encode(), b"bin\xff": b"\xfe"}, id=f"1700000000000-{i}")
    pipe.set(b"[bold]k\x1b[31m", b"hostile")
    pipe.execute()
    for start in range(0, BIG_HASH, 20_000):
        c.hset(
            b"h:big",
            mapping={f"f{i}".encode(): f"v{i}".encode() for i in range(start, start + 20_000)},
        )


def snapshot(c: redis.Redis) -> dict[bytes, tuple[str, Any, int]]:
    out: dict[bytes, tuple[str, Any, int]] = {}
    for key in c.scan_iter(count=1000):
        kind = c.type(key).decode()
        value: Any
        if kind == "string":
            value = c.get(key)
        elif kind == "hash":
            value = c.hgetall(key)
        elif kind == "set":
            value = c.smembers(key)
        elif kind == "zset":
            value = c.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = c.lrange(key, 0, -1)
        else:
            value = c.xrange(key)
        out[key] = (kind, value, c.pttl(key))
    return out


def same(
    before: dict[bytes, tuple[str, Any, int]], after: dict[bytes, tuple[str, Any, int]]
) -> None:
    assert set(before) == set(after)
    for key, (kind, value, pttl) in before.items():
        got_kind, got_value, got_pttl = after[key]
        assert (got_kind, got_value) == (kind, value), key
        if pttl < 0:
            assert got_pttl == pttl, key
        else:
            assert abs(got_pttl - pttl) < TTL_TOLERANCE_MS, key


@pytest.fixture
def seeded(client: redis.Redis) -> Iterator[dict[bytes, tuple[str, Any, int]]]:
    seed(client)
    yield snapshot(client)


@pytest.mark.parametrize("dump", [False, True])
async def test_export_flush_import_restores_every_key(
    client: redis.Redis,
    settings: ConnectionSettings,
    seeded: dict[bytes, tuple[str, Any, int]],
    tmp_path: Path,
    dump: bool,
) -> None:
    path = str(tmp_path / "all.jsonl")
    gateway = Gateway(settings)
    progress: list[ExportProgress] = []
    summary = await gateway.export_keys(b"*", path, dump=dump, on_progress=progress.append)
    assert summary.keys == len(seeded) and not summary.cancelled and not summary.skipped
    assert summary.written == Path(path).stat().st_size and progress[-1].keys == len(seeded)
    assert not Path(path + ".part").exists()
    # Bounded lines: no line holds a whole big value.
    with open(path, "rb") as f:
        assert max(len(line) for line in f) < 2 * 1024 * 1024
    client.flushdb()

    dry = await gateway.import_plan(path, "skip")
    assert (dry.keys, dry.create, dry.skip, dry.expired) == (len(seeded), len(seeded), 0, 0)
    assert client.dbsize() == 0  # the dry run wrote nothing
    seen: list[ImportProgress] = []
    done = await gateway.import_file(path, "skip", on_progress=seen.append)
    assert (done.created, done.replaced, done.skipped, done.expired) == (len(seeded), 0, 0, 0)
    assert seen[-1].read == seen[-1].total
    same(seeded, snapshot(client))
    # No temporary name is left behind, and every write is in the command log.
    assert not list(client.scan_iter(match="*redis-tui-import*"))
    logged = gateway.guard.log.entries() if gateway.guard.log else []
    assert any(e.command[:1] == ("RENAMENX" if not dump else "RESTORE",) for e in logged)
    first = "RESTORE" if dump else "HSET"
    assert any(e.command[:1] == (first,) and e.op == f"import {path}" for e in logged)
    await gateway.close()


async def test_export_of_named_keys_restores_just_those(
    client: redis.Redis,
    settings: ConnectionSettings,
    seeded: dict[bytes, tuple[str, Any, int]],
    tmp_path: Path,
) -> None:
    # The marked keys: any names, binary ones too, in pages smaller than the list; one is gone.
    chosen = [b"s:bin\xff\x00key", b"h:small", b"z", b"s:ttl", b"l"]
    path = str(tmp_path / "marked.jsonl")
    gateway = Gateway(settings)
    summary = await gateway.export_keys(b"", path, names=[*chosen, b"never:there"])
    assert summary.keys == len(chosen) and summary.skipped == {"gone": 1}
    client.flushdb()
    done = await gateway.import_file(path, "skip")
    assert done.created == len(chosen)
    same({k: seeded[k] for k in chosen}, snapshot(client))
    await gateway.close()


async def test_policies_skip_replace_and_dry_run_counts(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("a", "old-a")
    client.hset("b", "f", "old")
    client.set("c", "c")
    client.set("gone", "soon", px=1500)
    path = str(tmp_path / "x.jsonl")
    gateway = Gateway(settings)
    await gateway.export_keys(b"*", path)
    client.flushdb()
    client.set("a", "new-a")
    client.rpush("b", "a list now")
    await asyncio.sleep(1.6)  # "gone" expires after the export: skipped and counted

    dry = await gateway.import_plan(path, "skip")
    assert (dry.keys, dry.create, dry.skip, dry.expired) == (4, 1, 2, 1)
    done = await gateway.import_file(path, "skip")
    assert (done.created, done.replaced, done.skipped, done.expired) == (1, 0, 2, 1)
    assert client.get("a") == b"new-a" and client.type("b") == b"list" and client.get("c") == b"c"
    assert not client.exists("gone")

    client.delete("c")
    dry = await gateway.import_plan(path, "replace")
    assert (dry.create, dry.replace, dry.expired) == (1, 2, 1)
    assert "no undo" in dry.describe()
    done = await gateway.import_file(path, "replace")
    assert (done.created, done.replaced, done.skipped, done.expired) == (1, 2, 0, 1)
    assert client.get("a") == b"old-a" and client.hgetall("b") == {b"f": b"old"}

    # ask: replace this one, then skip all the rest.
    client.set("a", "third")
    client.set("b", "third")
    asked: list[bytes] = []
    answers: list[Choice] = ["replace", "skip all"]

    async def ask(key: bytes) -> Choice:
        asked.append(key)
        return answers.pop(0)

    done = await gateway.import_file(path, "ask", ask=ask)
    assert len(asked) == 2 and (done.replaced, done.skipped) == (1, 2)
    await gateway.close()


async def test_dump_import_replaces_only_when_asked(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("k", "exported")
    path = str(tmp_path / "d.jsonl")
    gateway = Gateway(settings)
    await gateway.export_keys(b"*", path, dump=True)
    client.set("k", "local")
    done = await gateway.import_file(path, "skip")
    assert done.skipped == 1 and client.get("k") == b"local"
    done = await gateway.import_file(path, "replace")
    assert done.replaced == 1 and client.get("k") == b"exported"
    restores = [e for e in gateway.guard.log.entries() if e.command[:1] == ("RESTORE",)]  # type: ignore[union-attr]
    assert "REPLACE" not in restores[0].command and "REPLACE" in restores[1].command
    await gateway.close()


async def test_an_existing_file_is_never_overwritten(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("k", "v")
    target = tmp_path / "exists.jsonl"
    target.write_bytes(b"mine")
    gateway = Gateway(settings)
    with pytest.raises(ExportRefused, match="exists"):
        await gateway.export_keys(b"*", str(target))
    assert target.read_bytes() == b"mine"
    await gateway.close()


async def test_cancel_leaves_no_file_and_no_half_key(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.hset(b"h", mapping={f"f{i}": "x" * 100 for i in range(100_000)})
    client.set("s", "v")
    cancel = asyncio.Event()
    cancel.set()
    gateway = Gateway(settings)
    path = tmp_path / "c.jsonl"
    summary = await gateway.export_keys(b"*", str(path), cancel=cancel)
    assert summary.cancelled and not path.exists() and not Path(str(path) + ".part").exists()
    await gateway.export_keys(b"*", str(path))
    client.flushdb()

    # Cancelled while the big hash is being sent: its temporary name is removed.
    stop = asyncio.Event()

    def progressed(p: ImportProgress) -> None:
        stop.set()

    guard = WriteGuard(False, log=CommandLog())
    original = writes.send

    async def send_then_cancel(*args: Any) -> None:
        await original(*args)
        stop.set()

    writes.send = send_then_cancel  # type: ignore[assignment]
    try:
        done = await import_file(gateway.client, guard, str(path), "skip", cancel=stop)
    finally:
        writes.send = original  # type: ignore[assignment]
    assert done.cancelled
    assert not client.exists("h") and not list(client.scan_iter(match="*redis-tui-import*"))
    await gateway.close()


async def test_read_only_refuses_import(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("k", "v")
    path = str(tmp_path / "r.jsonl")
    gateway = Gateway(settings)
    await gateway.export_keys(b"*", path)
    await gateway.close()
    client.flushdb()
    readonly = Gateway(ConnectionSettings(**{**settings.__dict__, "readonly": True}))
    assert (await readonly.import_plan(path, "skip")).create == 1  # a dry run only reads
    with pytest.raises(ReadOnlyRefused):
        await readonly.import_file(path, "skip")
    assert client.dbsize() == 0
    await readonly.close()


async def test_damaged_and_truncated_files_are_refused_before_writing(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("a", "1")
    client.set("b", "2")
    path = tmp_path / "t.jsonl"
    gateway = Gateway(settings)
    await gateway.export_keys(b"*", str(path))
    client.flushdb()
    lines = path.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(lines[:-1]))
    with pytest.raises(TransferRefused, match="truncated"):
        await gateway.import_plan(str(cut), "skip")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join([*lines[:2], b"{not json\n", *lines[2:]]))
    with pytest.raises(TransferRefused, match="line 3"):
        await gateway.import_plan(str(bad), "skip")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}) + "\n")
    with pytest.raises(TransferRefused, match="Not a redis-tui export"):
        await gateway.import_plan(str(other), "skip")
    with pytest.raises(TransferRefused, match="Cannot"):
        await gateway.import_plan(str(tmp_path / "missing.jsonl"), "skip")
    assert client.dbsize() == 0
    await gateway.close()


def test_temp_names_share_the_key_slot() -> None:
    from redis.crc import key_slot

    for key in [b"plain", b"user:{42}:cart", b"a{b", b"x{}y{z}", b"}{", b"\xff\x00"]:
        temp = writes.temp_name(key)
        assert key_slot(temp) == key_slot(key) and temp != key


async def test_export_keeps_absolute_expiry(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("t", "v", px=120_000)
    path = tmp_path / "e.jsonl"
    gateway = Gateway(settings)
    await gateway.export_keys(b"t", str(path))
    await gateway.close()
    record = json.loads(path.read_text().splitlines()[1])
    assert record["key"] == "t" and record["type"] == "string"
    assert 110_000 < record["pttl"] <= 120_000
    assert abs(record["expire_at_ms"] - (time.time() * 1000 + record["pttl"])) < 5_000


# -- cluster --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three() -> Iterator[Any]:
    from tests.integration.servers import cluster

    with cluster(3) as group:
        yield group


@pytest.mark.parametrize("dump", [False, True])
async def test_cluster_export_import_every_primary(three: Any, tmp_path: Path, dump: bool) -> None:
    with three.client() as c:
        c.flushall()
        for i in range(300):
            c.set(f"k:{i}", f"v{i}")
        c.hset("{user:1}:profile", mapping={f"f{i}": str(i) for i in range(2000)})
        c.rpush("odd{brace", *[str(i) for i in range(1500)])  # no valid hash tag
        c.zadd("z", {"a": float("-inf"), "b": 1.5})
        c.set("ttl", "x", px=500_000)
    cluster_settings = ConnectionSettings(
        port=three.ports[0], cluster=True, connect_timeout=2.0, command_timeout=5.0
    )
    gateway = Gateway(cluster_settings)
    path = str(tmp_path / "cluster.jsonl")
    summary = await gateway.export_keys(b"*", path, dump=dump)
    assert summary.keys == 304
    with three.client() as c:
        c.flushall()
    dry = await gateway.import_plan(path, "skip")
    assert dry.create == 304
    done = await gateway.import_file(path, "skip")
    assert done.created == 304
    with three.client() as c:
        assert c.get("k:7") == b"v7" and c.hlen("{user:1}:profile") == 2000
        assert c.lrange("odd{brace", 0, -1) == [str(i).encode() for i in range(1500)]
        assert c.zrange("z", 0, -1, withscores=True) == [(b"a", float("-inf")), (b"b", 1.5)]
        assert 490_000 < c.pttl("ttl") <= 500_000
        assert not list(c.scan_iter(match="*redis-tui-import*"))
    done = await gateway.import_file(path, "replace")
    assert done.replaced == 304
    await gateway.close()
