"""Realistic demo data: a web app's cache and sessions, plus the keys that break other tools."""

from __future__ import annotations

import gzip
import json
import random
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
import redis

HOSTILE_KEYS: tuple[bytes, ...] = (
    b"[bold]x",
    b"[/x]",
    b"x[/]",
    b"[red]not red[/red]",
    b"nul\x00byte",
    b"bad-utf8-\xff\xfe\xc3",
    b"line\nbreak",
    b"ansi-\x1b[31mred\x1b[0m-\x1b[2J",
    b"bell\x07and\rcr",
    "emoji-🔑-🦄-café".encode(),
    b"rtl-\xe2\x80\xaeoverride",
    b"long:" + b"x" * 295,
    b"   spaces   ",
    b"",
)

FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "zoë"]  # fmt: skip
PRODUCTS = ["keyboard", "mouse", "monitor", "laptop stand", "usb-c hub", "headphones", "webcam",
            "desk lamp", "chair", "notebook"]  # fmt: skip
BIG_STRING_BYTES = 20 * 1024 * 1024
BIG_HASH_FIELDS = 200_000


def seed(client: redis.Redis, *, sessions: int = 300, big: bool = True, rng_seed: int = 7) -> int:
    """Fill a database with demo data. Returns the number of keys written."""
    rng = random.Random(rng_seed)
    pipe = client.pipeline(transaction=False)
    now = datetime.now(UTC)
    for uid in range(1, 201):
        name = FIRST[uid % len(FIRST)]
        user = {
            "id": uid,
            "name": f"{name.title()} {uid}",
            "email": f"{name}{uid}@example.com",
            "roles": ["user"] + (["admin"] if uid % 17 == 0 else []),
            "created_at": (now - timedelta(days=rng.randint(1, 900))).isoformat(),
            "prefs": {
                "theme": rng.choice(["dark", "light"]),
                "lang": rng.choice(["en", "fr", "ja"]),
            },
        }
        pipe.set(f"cache:user:{uid}".encode(), json.dumps(user).encode(), ex=rng.randint(600, 7200))
        profile: dict[Any, Any] = {
            "name": f"{name.title()} {uid}",
            "email": f"{name}{uid}@example.com",
            "logins": rng.randint(1, 500),
        }
        pipe.hset(f"user:{uid}:profile", mapping=profile)
    for pid, product in enumerate(PRODUCTS, start=1):
        body = {
            "id": pid,
            "name": product,
            "price": round(rng.uniform(5, 500), 2),
            "stock": rng.randint(0, 99),
        }
        pipe.set(f"cache:product:{pid}".encode(), json.dumps(body).encode())
        pipe.set(f"cache:product:{pid}:msgpack".encode(), msgpack.packb(body))
        page = f"<html><body><h1>{product}</h1>{'<p>lorem ipsum</p>' * 50}</body></html>"
        pipe.set(f"cache:page:/products/{pid}".encode(), gzip.compress(page.encode()), ex=3600)
    for minute in range(30):
        pipe.set(f"rate:api:10.0.0.{minute}".encode(), rng.randint(1, 100), ex=60 + minute)
    pipe.rpush(
        b"queue:emails",
        *[json.dumps({"to": f"{FIRST[i % 20]}@example.com", "tpl": "welcome"}) for i in range(120)],
    )
    pipe.rpush(b"queue:jobs:failed", *[f"job-{i}" for i in range(15)])
    pipe.sadd(b"online:users", *[str(i) for i in range(1, 80)])
    pipe.sadd(b"tags:all", *["python", "redis", "textual", "sessions", "cache", "tui"])
    pipe.zadd(
        b"leaderboard:weekly", {f"{FIRST[i % 20]}{i}": rng.randint(0, 10_000) for i in range(150)}
    )
    pipe.zadd(b"scheduled:jobs", {f"job:{i}": time.time() + i * 60 for i in range(40)})
    pipe.set(
        b"config:feature-flags",
        json.dumps({"new_checkout": True, "beta_ui": False, "rollout": 0.25}),
    )
    pipe.set(b"counter:page-views", 1_234_567)
    for i in range(60):
        pipe.xadd(
            b"events:orders",
            {
                "order": str(1000 + i),
                "user": str(rng.randint(1, 200)),
                "total": f"{rng.uniform(5, 300):.2f}",
            },
        )
    pipe.execute()
    try:
        client.xgroup_create(b"events:orders", b"billing", id="0")
        client.xreadgroup("billing", "worker-1", {"events:orders": ">"}, count=12)
        client.xgroup_create(b"events:orders", b"analytics", id="$")
    except redis.ResponseError:
        pass  # group already there on a re-seed
    for key in HOSTILE_KEYS:
        client.set(key, b"hostile name: value \x1b[2J\x07 [bold]not bold[/bold]")
    client.set(
        b"value:ansi-clear-screen", b"\x1b[2J\x1b[H\x1b[31mthis must not clear your screen\x07"
    )
    client.set(b"value:markup", b"[bold red]not markup[/] [link=http://x]x[/link]")
    client.set(b"value:binary", bytes(range(256)))
    seed_express_sessions(client, sessions, rng)
    if big:
        seed_big_keys(client)
    return int(client.dbsize())


def seed_express_sessions(client: redis.Redis, count: int, rng: random.Random) -> None:
    """connect-redis's shape: ``sess:<sid>`` -> JSON with a ``cookie`` object, TTL from maxAge."""
    pipe = client.pipeline(transaction=False)
    now = datetime.now(UTC)
    for _ in range(count):
        sid = secrets.token_urlsafe(24)
        max_age = rng.choice([3600_000, 86_400_000, 1_800_000])
        expires = now + timedelta(milliseconds=max_age)
        data: dict[str, object] = {
            "cookie": {
                "originalMaxAge": max_age,
                "expires": expires.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{expires.microsecond // 1000:03d}Z",
                "secure": False,
                "httpOnly": True,
                "path": "/",
            }
        }
        if rng.random() < 0.8:
            uid = rng.randint(1, 200)
            data["passport"] = {"user": str(uid)}
            data["cart"] = [
                {"sku": rng.choice(PRODUCTS), "qty": rng.randint(1, 3)}
                for _ in range(rng.randint(0, 3))
            ]
        if rng.random() < 0.1:
            data["flash"] = {"info": ["Welcome back!"]}
        ttl = rng.randint(60, max_age // 1000)
        pipe.set(f"sess:{sid}".encode(), json.dumps(data, separators=(",", ":")).encode(), ex=ttl)
    pipe.execute()


def seed_big_keys(client: redis.Redis) -> None:
    """One 20 MB string and one 200,000-field hash: readers must open them instantly."""
    chunk = (b'{"blob":"' + b"x" * 1000 + b'"},') * 1024
    client.set(
        b"big:string:20mb",
        b"[" + (chunk * (BIG_STRING_BYTES // len(chunk) + 1))[: BIG_STRING_BYTES - 2] + b"]",
    )
    pipe = client.pipeline(transaction=False)
    batch = 5000
    for start in range(0, BIG_HASH_FIELDS, batch):
        pipe.hset(
            b"big:hash:200k",
            mapping={f"field:{i}": f"value-{i}" for i in range(start, start + batch)},
        )
    pipe.execute()
