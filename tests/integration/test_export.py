"""Saving whole values to files, streamed, and MEMORY USAGE, against a real redis-server."""

from __future__ import annotations

import base64
import itertools
import json
import os
from pathlib import Path

import pytest
import redis

from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.data.values import export
from redis_tui.data.values.export import ExportProgress, ExportRefused, default_filename
from redis_tui.errors import KeyMissing


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


async def test_20mb_string_is_streamed_in_1mb_chunks(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    data = os.urandom(20 * 1024 * 1024 + 12345)
    client.set("big", data)
    progress: list[ExportProgress] = []
    gateway = Gateway(settings)
    target = tmp_path / "big.bin"
    size = await gateway.export_value(b"big", str(target), progress.append)
    await gateway.close()
    assert size == len(data) and target.read_bytes() == data
    # 21 reads of at most 1 MB, never the whole value at once.
    steps = [b.written - a.written for a, b in itertools.pairwise(progress)]
    assert len(progress) == 21 and max(steps) == export.CHUNK
    assert progress[-1].total == len(data) and progress[-1].items == len(data)
    assert not (tmp_path / "big.bin.part").exists()


async def test_200k_field_hash_as_json_lines(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    fields = {f"field:{i}".encode(): f"value {i}".encode() for i in range(200_000)}
    fields[b"bin\xff"] = b"\x00\xfe"
    pipe = client.pipeline(transaction=False)
    items = list(fields.items())
    for start in range(0, len(items), 10_000):
        pipe.hset("h", mapping=dict(items[start : start + 10_000]))
    pipe.execute()
    target = tmp_path / "h.jsonl"
    progress: list[ExportProgress] = []
    gateway = Gateway(settings)
    size = await gateway.export_value(b"h", str(target), progress.append)
    await gateway.close()
    assert size == target.stat().st_size
    got: dict[bytes, bytes] = {}
    for row in _lines(target):
        field, value = row["field"], row["value"]
        got[_raw(field)] = _raw(value)
    assert got == fields  # every field, binary ones base64-encoded
    assert len(progress) > 10 and progress[-1].total == len(fields)


def _raw(value: object) -> bytes:
    if isinstance(value, dict):
        return base64.b64decode(value["base64"])
    assert isinstance(value, str)
    return value.encode()


async def test_every_collection_type(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.sadd("s", *[f"m{i}" for i in range(2500)])
    client.zadd("z", {f"m{i}": i / 2 for i in range(2500)})
    client.rpush("l", *[f"e{i}" for i in range(2500)])
    for i in range(2500):
        client.xadd("x", {"n": str(i), "k": "v"}, id=f"1-{i + 1}")
    gateway = Gateway(settings)
    for key in ("s", "z", "l", "x"):
        await gateway.export_value(key.encode(), str(tmp_path / key))
    await gateway.close()
    assert {r["member"] for r in _lines(tmp_path / "s")} == {f"m{i}" for i in range(2500)}
    assert {(r["member"], r["score"]) for r in _lines(tmp_path / "z")} == {
        (f"m{i}", i / 2) for i in range(2500)
    }
    assert _lines(tmp_path / "l") == [{"index": i, "value": f"e{i}"} for i in range(2500)]
    stream = _lines(tmp_path / "x")
    assert [r["id"] for r in stream] == [f"1-{i + 1}" for i in range(2500)]
    assert stream[7]["fields"] == [["n", "7"], ["k", "v"]]


async def test_refuses_existing_file_missing_key_and_bad_path(
    client: redis.Redis, settings: ConnectionSettings, tmp_path: Path
) -> None:
    client.set("k", "new")
    target = tmp_path / "k.bin"
    target.write_bytes(b"old")
    gateway = Gateway(settings)
    with pytest.raises(ExportRefused, match="exists"):
        await gateway.export_value(b"k", str(target))
    assert target.read_bytes() == b"old"
    assert await gateway.export_value(b"k", str(target), overwrite=True) == 3
    assert target.read_bytes() == b"new"
    with pytest.raises(KeyMissing):
        await gateway.export_value(b"missing", str(tmp_path / "m.bin"))
    with pytest.raises(ExportRefused, match="Cannot write"):
        await gateway.export_value(b"k", str(tmp_path / "no-such-dir" / "k.bin"))
    await gateway.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.bin"]


def test_default_filename_is_safe() -> None:
    assert default_filename(b"user:1:profile") == "./user_1_profile.bin"
    assert default_filename(b"h", "hash") == "./h.jsonl"
    assert default_filename(b"../../etc/passwd") == "./etc_passwd.bin"
    assert default_filename(b"\x1b[31m\xff/") == "./e_31m_xff.bin"
    assert default_filename(b"") == "./value.bin"
    assert len(default_filename(b"x" * 1000)) == len("./.bin") + 100


async def test_memory_usage_and_acl_without_memory(
    client: redis.Redis, settings: ConnectionSettings
) -> None:
    client.set("small", "x")
    client.set("big", "x" * 10_000)
    gateway = Gateway(settings)
    small, big, missing = await gateway.memory_usage([b"small", b"big", b"missing"])
    await gateway.close()
    assert small is not None and big is not None and big > 10_000 > small
    assert missing is None
    client.execute_command("ACL", "SETUSER", "nomemory", "on", ">pw", "~*", "+@all", "-memory")
    try:
        limited = Gateway(settings.replace(username="nomemory", password="pw"))
        assert await limited.memory_usage([b"small", b"big"]) == [None, None]
        await limited.close()
    finally:
        client.execute_command("ACL", "DELUSER", "nomemory")
