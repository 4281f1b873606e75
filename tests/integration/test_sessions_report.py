"""The health report against a real redis-server, checked against counts made with
redis-cli (``--scan``, ``TTL``, ``STRLEN``, ``GET``) on the same seeded data, and the
headless ``--report`` flag (JSON when piped, text on a terminal)."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from collections import Counter
from typing import Any

import msgpack
import redis
import redis.asyncio as aioredis

from redis_tui.cli.sessions import main
from redis_tui.data.sessions import ScanStats, find_sessions
from redis_tui.data.sessions.report import build_report, report_json, report_text
from redis_tui.demo.server import EmbeddedServer
from tests.integration.test_sessions_discovery import seed_noise
from tests.unit.test_sessions_detect import RECORDS


def template(framework: str, user: str) -> bytes:
    record = next(
        r for r in RECORDS if r["framework"] == framework and r["expected"]["user"] == user
    )
    return bytes.fromhex(record["value_hex"])


def seed(client: redis.Redis) -> None:
    express = json.loads(template("express", "42"))
    pipe = client.pipeline(transaction=False)
    for i in range(60):
        express["passport"]["user"] = str(i % 7 if i % 3 else 1)  # user "1" has the most
        if i == 5:
            express["blob"] = "x" * 50_000  # the largest
        raw = json.dumps(express, separators=(",", ":"))
        express.pop("blob", None)
        ttl = (3600, 120, None, 250)[i % 4]
        pipe.set(f"sess:{i:04d}", raw, ex=ttl)
    flask = template("flask", "42")  # msgpack, under a custom prefix: found by discovery
    for i in range(25):
        pipe.set(f"myapp:s:{i:04d}", flask, ex=200 if i % 5 == 0 else None)
    pipe.set(b"sess:broken", b'{"cookie":{"path":"/"},"passport":')  # undecodable
    pipe.execute()
    seed_noise(client)


def cli(port: int, *args: str, stdin: str | None = None) -> list[str]:
    done = subprocess.run(
        ["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.splitlines()


def counted_with_redis_cli(port: int) -> dict[str, Any]:
    express = cli(port, "--scan", "--pattern", "sess:*")
    flask = cli(port, "--scan", "--pattern", "myapp:s:*")
    keys = express + flask
    ttls = [int(t) for t in cli(port, stdin="".join(f"TTL {k}\n" for k in keys))]
    sizes = [int(s) for s in cli(port, stdin="".join(f"STRLEN {k}\n" for k in keys))]
    users: Counter[str] = Counter()
    undecodable = 0
    for key in express:
        (raw,) = cli(port, "GET", key)
        try:
            users[json.loads(raw)["passport"]["user"]] += 1
        except ValueError:
            undecodable += 1
    flask_value = subprocess.run(
        ["redis-cli", "-p", str(port), "--raw", "GET", flask[0]], capture_output=True, check=True
    ).stdout.rstrip(b"\n")
    users[str(msgpack.unpackb(flask_value)["_user_id"])] += len(flask)
    largest = max(zip(sizes, keys, strict=True))
    return {
        "total": len(keys),
        "by_framework": {"express": len(express), "flask": len(flask)},
        "no_ttl": sum(1 for t in ttls if t == -1),
        "expiring": sum(1 for t in ttls if 0 <= t <= 300),
        "users": users,
        "undecodable": undecodable,
        "largest": largest,
        "bytes": sum(sizes),
    }


async def test_report_matches_redis_cli(
    client: redis.Redis, aclient: aioredis.Redis, server: EmbeddedServer
) -> None:
    seed(client)
    expected = counted_with_redis_cli(server.port)
    stats = ScanStats()
    found = [s async for page in find_sessions(aclient, stats=stats) for s in page]
    report = build_report(found, dt.datetime.now(dt.UTC), discovery=stats.discovery)
    assert report.total == expected["total"]
    assert report.by_framework == expected["by_framework"]
    assert report.by_namespace == {"sess:": {"express": 61}, "myapp:s:": {"flask": 25}}
    assert report.no_ttl_count == expected["no_ttl"] == len(report.no_ttl)
    assert report.expiring_count == expected["expiring"] == len(report.expiring)
    assert all(0 <= r.ttl_ms <= 300_000 for r in report.expiring)
    assert report.undecodable_count == expected["undecodable"] == 1
    assert report.undecodable[0].key == b"sess:broken" and report.undecodable[0].error
    assert dict(report.top_users) == dict(expected["users"].most_common(10))
    assert report.top_users[0] == expected["users"].most_common(1)[0]
    assert (report.largest[0].size, report.largest[0].key.decode()) == expected["largest"]
    assert report.total_bytes == expected["bytes"]
    assert ("cache:item:", "none of 8 sampled values is a session") in report.skipped
    data = report_json(report)
    json.dumps(data)
    assert data["no_ttl"] == {"count": expected["no_ttl"], "sessions": data["no_ttl"]["sessions"]}
    text = report_text(report)
    assert f"No TTL (never expire): {expected['no_ttl']}" in text


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_report_json_when_piped_text_on_a_terminal(
    client: redis.Redis, server: EmbeddedServer
) -> None:
    seed(client)
    expected = counted_with_redis_cli(server.port)
    out = io.StringIO()
    assert main(["-p", str(server.port), "--report"], stdout=out) == 0
    data = json.loads(out.getvalue())
    assert data["total"] == expected["total"]
    assert data["expiring_in_5_min"]["count"] == expected["expiring"]
    tty = TTY()
    assert main(["-p", str(server.port), "--report"], stdout=tty) == 0
    assert tty.getvalue().startswith("Session health at ")
    assert f"{expected['total']} sessions" in tty.getvalue()
