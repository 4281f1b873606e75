"""The keyspace analysis (issue 14) against real redis-server processes: figures checked
against what ``redis-cli`` itself says, sampled memory within its stated margin, top keys,
leaks and stampedes, an ACL user without MEMORY, a cluster, and ``redis-tui analyze``."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from redis_tui.data.analysis import AnalysisOptions, AnalysisResult, NamespaceStats, Progress
from redis_tui.data.analysis.output import report_text
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.gateway import Gateway
from redis_tui.demo.server import EmbeddedServer
from tests.integration.servers import cluster

ROOT = Path(__file__).resolve().parents[2]
FAST = {"connect_timeout": 2.0, "command_timeout": 5.0}
BINARY_KEY = b"bin:\xff\x1b[31m"


def redis_cli(port: int, lines: list[str]) -> list[str]:
    """Run commands through ``redis-cli`` (one per line on stdin), its raw replies back."""
    done = subprocess.run(
        ["redis-cli", "-p", str(port)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.splitlines()


def scan_cli(port: int, pattern: str) -> list[str]:
    """``redis-cli --scan``: the printable keys (the binary one is checked on its own)."""
    done = subprocess.run(
        ["redis-cli", "-p", str(port), "--scan", "--pattern", pattern],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    names = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    return sorted({n for n in names if n and n.isprintable() and n.isascii()})


def seed(client: redis.Redis) -> None:
    """Known namespaces: cache:product (strings, TTL < 1 h, a few < 1 min), user:N:profile
    (hashes, no TTL), sess (TTL < 1 day, a few longer), and collections of every type."""
    rng = random.Random(5)
    pipe = client.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"cache:product:{i}", "x" * rng.randrange(10, 3000), ex=30 if i < 20 else 600)
    for i in range(50):
        pipe.hset(f"user:{i}:profile", mapping={f"f{j}": "v" * j for j in range(i % 7 + 1)})
    for i in range(40):
        pipe.set(f"sess:{i:04x}", f'{{"user": {i}}}', ex=7200 if i < 35 else 200_000)
    pipe.rpush("queue:jobs", *[f"job-{j}" for j in range(1000)])
    pipe.zadd("board:week", {f"player-{j}": j for j in range(300)})
    pipe.sadd("tags:all", *[f"t{j}" for j in range(120)])
    for j in range(60):
        pipe.xadd("events:stream", {"n": str(j)})
    pipe.set(BINARY_KEY, "v")
    pipe.set("plainkey", "v")
    pipe.execute()


async def run(port: int, **options: object) -> AnalysisResult:
    gateway = Gateway(ConnectionSettings(host="127.0.0.1", port=port, **FAST))
    try:
        await gateway.connect()
        return await gateway.analyze(AnalysisOptions(**options))
    finally:
        await gateway.close()


def by_prefix(result: AnalysisResult) -> dict[bytes, NamespaceStats]:
    return {ns.prefix: ns for ns in result.namespaces}


def cli_figures(port: int, keys: list[str]) -> tuple[list[int], list[int], list[str]]:
    """MEMORY USAGE (SAMPLES 0), PTTL and TYPE of each key, as redis-cli reports them."""
    lines = [f"MEMORY USAGE {k} SAMPLES 0" for k in keys]
    lines += [f"PTTL {k}" for k in keys] + [f"TYPE {k}" for k in keys]
    out = redis_cli(port, lines)
    n = len(keys)
    return [int(x) for x in out[:n]], [int(x) for x in out[n : 2 * n]], out[2 * n :]


def bucket(pttl: int) -> str:
    if pttl < 0:
        return "none"
    return "under_1m" if pttl < 60_000 else "under_1h" if pttl < 3_600_000 else (
        "under_1d" if pttl < 86_400_000 else "longer"
    )  # fmt: skip


async def test_namespaces_match_redis_cli(client: redis.Redis, server: EmbeddedServer) -> None:
    seed(client)
    result = await run(server.port)
    assert result.complete and result.mode == "standalone"
    assert result.keys == result.dbsize == client.dbsize()
    assert result.memory_mode.exact and result.memory_mode.describe() == "exact"
    spaces = by_prefix(result)
    for prefix in ("cache", "cache:product", "user", "sess", "queue", "board", "tags", "events"):
        keys = scan_cli(server.port, f"{prefix}:*")
        memories, pttls, types = cli_figures(server.port, keys)
        ns = spaces[prefix.encode()]
        assert ns.keys == len(keys), prefix
        assert ns.memory == sum(memories), prefix
        assert ns.memory_measured == len(keys) and ns.memory_error == 0
        assert ns.types == dict(Counter(types)), prefix
        assert ns.ttl.as_dict() == {
            **dict.fromkeys(ns.ttl.as_dict(), 0),
            **Counter(map(bucket, pttls)),
        }
        assert ns.largest is not None and ns.largest.memory == max(memories)
        assert ns.average_memory == sum(memories) // len(keys)
    # Nested: user:N:profile counts in user and in user:N.
    assert spaces[b"user"].keys == 50 and spaces[b"user:7"].keys == 1
    assert spaces[b"cache"].ttl.under_1m == 20 and spaces[b"cache"].ttl.under_1h == 180
    assert spaces[b"sess"].ttl.under_1d == 35 and spaces[b"sess"].ttl.longer == 5
    assert spaces[b"user"].without_ttl == 50
    # The binary key has no namespace but is counted, and the totals add up.
    assert spaces[b""].keys == 1 and spaces[b""].depth == 0
    total = sum(cli_figures(server.port, scan_cli(server.port, "*"))[0])
    assert result.memory == total + client.memory_usage(BINARY_KEY, samples=0)
    assert spaces[b"bin"].keys == 1
    assert sum(result.types.values()) == result.keys


async def test_sampled_memory_is_within_its_stated_margin(
    client: redis.Redis, server: EmbeddedServer
) -> None:
    rng = random.Random(11)
    pipe = client.pipeline(transaction=False)
    for i in range(3000):
        pipe.set(f"big:{i}", "y" * rng.randrange(16, 4000))
    for i in range(1500):
        pipe.set(f"small:{i}", "z" * rng.randrange(1, 100))
    pipe.execute()
    result = await run(server.port, sample_per_namespace=200)
    mode = result.memory_mode
    assert not mode.exact and mode.measured == 400 and mode.total == 4500
    assert mode.describe().startswith("sampled 400 of 4500, ±")
    assert mode.error_pct is not None and 0 < mode.error_pct < 20
    for prefix in ("big", "small"):
        exact = sum(cli_figures(server.port, scan_cli(server.port, f"{prefix}:*"))[0])
        ns = by_prefix(result)[prefix.encode()]
        assert ns.keys == (3000 if prefix == "big" else 1500)
        assert ns.memory_measured == 200 and ns.memory_error > 0
        # The margin is a 95% interval; twice it is ~4 standard errors (no flaky test).
        assert abs(ns.memory - exact) <= 2 * ns.memory_error, (prefix, ns.memory, exact)
    assert "top keys by memory are among the measured keys only" in result.notes


async def test_top_keys_by_memory_and_by_length(
    client: redis.Redis, server: EmbeddedServer
) -> None:
    seed(client)
    result = await run(server.port, top=10)
    keys = scan_cli(server.port, "*")  # every key but the binary one (3 bytes of data)
    memories, _, _ = cli_figures(server.port, keys)
    top = result.top_by_memory
    assert len(top) == 10
    assert [e.memory for e in top] == sorted(memories, reverse=True)[:10]
    assert [e.memory for e in top] == sorted((e.memory or 0 for e in top), reverse=True)
    # Lengths across types: STRLEN bytes, LLEN elements, ... in one ranking.
    lengths = [e.length or 0 for e in result.top_by_length]
    assert lengths == sorted(lengths, reverse=True) and len(lengths) == 10
    strings = sorted(
        (
            int(x)
            for x in redis_cli(server.port, [f"STRLEN {k}" for k in keys if k.startswith("cache:")])
        ),
        reverse=True,
    )
    expected = sorted([*strings, 1000, 300, 120, 60], reverse=True)[:10]
    assert lengths == expected
    collections = await run(server.port, match=b"[qtbe][uaov][eagr]*:*")
    assert [(e.key, e.type, e.length) for e in collections.top_by_length] == [
        (b"queue:jobs", "list", 1000),
        (b"board:week", "zset", 300),
        (b"tags:all", "set", 120),
        (b"events:stream", "stream", 60),
    ]
    assert all(e.memory is not None for e in result.top_by_length)


async def test_leaks_and_stampedes(client: redis.Redis, server: EmbeddedServer) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(60):
        pipe.set(f"cache:page:{i}", "p", ex=3600)
    for i in range(3):
        pipe.set(f"cache:page:forgot{i}", "p")  # no TTL among keys that all expire: leaks
    for i in range(30):
        pipe.set(f"config:{i}", "c")  # no TTL at all: by design, not a leak
    at = int(time.time()) + 900
    for i in range(150):
        pipe.set(f"burst:{i}", "b")
        pipe.expireat(f"burst:{i}", at)
    pipe.execute()
    result = await run(server.port, stampede_min_keys=100)
    assert [(leak.prefix, leak.keys, leak.without_ttl) for leak in result.leaks] == [
        (b"cache:page", 63, 3)
    ]
    assert result.leaks[0].example is not None
    assert result.leaks[0].example.startswith(b"cache:page:forgot")
    assert [(s.second, s.keys) for s in result.stampedes] == [(at, 150)]
    assert result.stampedes[0].example is not None and result.stampedes[0].example.startswith(
        b"burst:"
    )
    text = report_text(result)
    assert "cache:page: 3 of 63 keys without TTL" in text and "150 keys" in text


async def test_server_health_from_info(client: redis.Redis, server: EmbeddedServer) -> None:
    client.config_set("maxmemory", "100mb")
    client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        client.set("k", "v")
        client.get("k")
        client.get("missing")
        result = await run(server.port)
        health = result.server
        info = client.info("stats")
        assert health.keyspace_hits is not None and health.keyspace_misses is not None
        assert 0 < health.keyspace_hits <= info["keyspace_hits"]
        assert health.hit_ratio is not None and 0 < health.hit_ratio < 1
        assert health.evicted_keys == 0
        assert health.maxmemory == 100 * 1024 * 1024 and health.maxmemory_policy == "allkeys-lru"
        assert health.memory_share is not None and 0 < health.memory_share < 1
    finally:
        client.config_set("maxmemory", "0")
        client.config_set("maxmemory-policy", "noeviction")


async def test_acl_user_without_memory_gets_counts_and_ttls(fresh_server: EmbeddedServer) -> None:
    with redis.Redis(port=fresh_server.port) as c:
        c.execute_command(
            "ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all",
            "-memory", "-config", "-info",
        )  # fmt: skip
        seed(c)
        dbsize = c.dbsize()
    settings = ConnectionSettings(port=fresh_server.port, username="limited", password="pw", **FAST)
    gateway = Gateway(settings)
    try:
        await gateway.connect()
        result = await gateway.analyze(AnalysisOptions())
    finally:
        await gateway.close()
    assert result.keys == dbsize
    assert not result.memory_mode.permitted
    assert result.memory_mode.describe() == "memory not permitted"
    assert any(note.startswith("memory not permitted") for note in result.notes)
    assert result.memory == 0 and result.top_by_memory == ()
    spaces = by_prefix(result)
    assert spaces[b"cache"].keys == 200 and spaces[b"cache"].ttl.under_1m == 20
    assert spaces[b"user"].without_ttl == 50
    assert result.top_by_length[0].length == max(e.length or 0 for e in result.top_by_length)
    assert all(e.memory is None for e in result.top_by_length)
    server = result.server
    assert server.maxmemory is None and server.maxmemory_policy is None
    assert server.hit_ratio is None
    text = report_text(result)
    assert "Memory: memory not permitted" in text and "policy unknown" in text


async def test_progress_match_and_stop(client: redis.Redis, server: EmbeddedServer) -> None:
    client.mset({f"a:{i}": "1" for i in range(3000)})
    client.mset({f"b:{i}": "1" for i in range(500)})
    gateway = Gateway(ConnectionSettings(host="127.0.0.1", port=server.port, **FAST))
    seen: list[Progress] = []
    stop = asyncio.Event()

    def stop_early(progress: Progress) -> None:
        seen.append(progress)
        stop.set()

    try:
        await gateway.connect()
        matched = await gateway.analyze(AnalysisOptions(match=b"b:*"), seen.append)
        assert matched.keys == 500 and matched.complete
        assert seen[-1].total == 3500 and seen[-1].done == 500
        assert [p.done for p in seen] == sorted(p.done for p in seen)
        seen.clear()
        partial = await gateway.analyze(AnalysisOptions(), stop_early, stop)
    finally:
        await gateway.close()
    assert not partial.complete and 0 < partial.keys < 3500
    assert len(seen) == 1 and seen[0].eta_s is not None and seen[0].eta_s > 0
    assert "stopped before the end: partial figures" in partial.notes


async def test_cluster_analyses_every_primary() -> None:
    with cluster(3) as group:
        with group.client() as c:
            c.mset_nonatomic({f"key:{i}": "v" * (i % 50) for i in range(2000)})
            for i in range(100):
                c.hset(f"h:{i}", "f", "v")
        gateway = Gateway(ConnectionSettings(port=group.ports[0], **FAST))
        try:
            await gateway.connect()
            result = await gateway.analyze(AnalysisOptions())
        finally:
            await gateway.close()
        assert result.mode == "cluster" and result.primaries == 3
        assert result.keys == result.dbsize == 2100
        spaces = by_prefix(result)
        assert spaces[b"key"].keys == 2000 and spaces[b"h"].types == {"hash": 100}
        assert result.memory_mode.exact and result.memory > 0
        exact = 0
        for port in group.ports:
            keys = [k for k in scan_cli(port, "*")]
            exact += sum(cli_figures(port, keys)[0]) if keys else 0
        assert result.memory == exact


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(ROOT / ".no-config")}
    env.pop("REDIS_TUI_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "redis_tui", "analyze", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cli_json_end_to_end(client: redis.Redis, server: EmbeddedServer) -> None:
    seed(client)
    done = _cli("-p", str(server.port), "--json", "--top", "5")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress when stderr is not a terminal
    data = json.loads(done.stdout)
    assert data["keys"] == client.dbsize() and data["memory_mode"]["describe"] == "exact"
    assert len(data["top_by_memory"]) == 5 and len(data["top_by_length"]) == 5
    names = {ns["prefix"]: ns for ns in data["namespaces"]}
    assert names["cache:product"]["keys"] == 200
    assert names["cache"]["ttl"] == {
        "none": 0,
        "under_1m": 20,
        "under_1h": 180,
        "under_1d": 0,
        "longer": 0,
    }
    # Keys escaped as the app shows them, with the exact bytes for non-UTF-8 ones.
    done = _cli("-p", str(server.port), "--json", "--match", "bin:*")
    (entry,) = json.loads(done.stdout)["top_by_memory"]
    assert entry["key"] == "bin:\\xff\\e[31m"
    assert base64.b64decode(entry["key_b64"]) == BINARY_KEY
    text = _cli("-p", str(server.port), "--delimiter", ":", "--sample", "50")
    assert text.returncode == 0 and text.stdout.startswith("Keyspace analysis (standalone)")
    assert "cache:product" in text.stdout and "\x1b" not in text.stdout


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["--top", "0"], ["--sample", "x"], ["-p", "1"]],
    ids=["unknown-flag", "top-zero", "sample-not-a-number", "unreachable"],
)
def test_cli_errors_are_one_line_and_exit_2(args: list[str]) -> None:
    done = _cli(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("redis-tui")
    assert done.stdout == ""
