"""The demo's live web app: real framework sessions that log in, act, log out and time out.

``seed_sessions_from_fixtures`` writes the committed fixture sessions (bytes exactly as each
framework's Redis store wrote them, see ``tests/fixtures/sessions/generate/README.md``;
shipped as package data in ``demo/sessions/``) plus a few hundred copies under new
session ids, spread over 30 users. ``DemoSimulator`` then runs beside the app, in a daemon
thread with its own synchronous client, and once a second logs users in (new sessions from
the fixture templates), rewrites some sessions (cart changes, refreshed TTLs), logs some out
(DEL), starts some with short TTLs that expire, and churns a few ``cache:sim:*`` keys.

Copies get their new user id by exact re-encoding where the format can be written back
(JSON, msgpack, PHP serialize: see ``sessions.encode_edit``), else by replacing the id's
bytes in place where the encoding allows it (pickle, Marshal, igbinary, JDK Long), checked
by decoding the result; otherwise the copy keeps the fixture's user. Never used against
anything but a loopback server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import random
import re
import string
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import redis

from redis_tui.data import sessions

log = logging.getLogger(__name__)

USERS: tuple[str, ...] = tuple(str(n) for n in range(13, 43))
"""The demo's 30 users; 42 is the fixtures' own logged-in user."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_LIVE = 600
"""Sessions the simulator keeps alive at most; past it, more users log out."""


@dataclass(frozen=True)
class Template:
    """One fixture record: a session exactly as its framework stored it."""

    framework: str
    variant: str
    key: bytes
    type: str
    value: bytes = b""
    fields: dict[bytes, bytes] = field(default_factory=dict)
    ttl_ms: int = -1
    user: str | None = None
    session_id: str = ""


def _records() -> Iterator[dict[str, Any]]:
    folder = resources.files("redis_tui.demo").joinpath("sessions")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            yield from json.loads(entry.read_text(encoding="utf-8"))


def load_templates() -> list[Template]:
    """Every session record of the packaged fixture files (``redis_tui/demo/sessions``)."""
    templates: list[Template] = []
    for record in _records():
        expected = record.get("expected") or {}
        if expected.get("session", True):
            templates.append(
                Template(
                    framework=record["framework"],
                    variant=record["variant"],
                    key=bytes.fromhex(record["key_hex"]),
                    type=record["type"],
                    value=bytes.fromhex(record.get("value_hex") or ""),
                    fields={
                        bytes.fromhex(k): bytes.fromhex(v)
                        for k, v in (record.get("hash_hex") or {}).items()
                    },
                    ttl_ms=int(record.get("ttl_ms", -1)),
                    user=expected.get("user"),
                    session_id=expected.get("session_id") or "",
                )
            )
    return templates


def write_related(pipe: Any) -> int:
    """Queue the fixtures' keys that belong to a store but are not sessions (Spring's expires
    markers, principal index and expirations sets), as the store wrote them. Returns how many."""
    count = 0
    for record in _records():
        if (record.get("expected") or {}).get("session", True):
            continue
        key, ttl = bytes.fromhex(record["key_hex"]), int(record.get("ttl_ms", -1))
        pipe.delete(key)
        if record["type"] == "set":
            pipe.sadd(key, *(bytes.fromhex(m) for m in record["members_hex"]))
        else:
            pipe.set(key, bytes.fromhex(record.get("value_hex") or ""))
        if ttl > 0:
            pipe.pexpire(key, ttl)
        count += 1
    return count


# -------------------------------------------------------------------------- new sessions


@dataclass
class NewSession:
    key: bytes
    type: str
    value: bytes = b""
    fields: dict[bytes, bytes] = field(default_factory=dict)
    ttl_ms: int = -1
    user: str | None = None
    framework: str = ""


_ALNUM = string.ascii_letters + string.digits


def _new_id(template: Template, rng: random.Random) -> str:
    """A session id shaped as the framework makes them."""
    fw = template.framework
    if fw in ("express", "fastify"):
        return "".join(rng.choice(_ALNUM + "-_") for _ in range(32))
    if fw == "koa":  # koa-session's external key: its prefix option + randomUUID()
        prefix = template.key[:-36].decode("utf-8", "replace")
        return prefix + str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fw == "flask":
        if template.variant == "pickle":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return "".join(rng.choice(_ALNUM + "-_") for _ in range(43))
    if fw == "django":
        return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(32))
    if fw in ("php", "symfony"):
        return "".join(rng.choice("abcdefghijklmnopqrstuv0123456789") for _ in range(26))
    if fw == "rails":
        public = f"{rng.getrandbits(128):032x}"
        return "2::" + hashlib.sha256(public.encode()).hexdigest()
    if fw == "laravel":
        return "".join(rng.choice(_ALNUM) for _ in range(40))
    if fw in ("starlette", "aiohttp"):
        return f"{rng.getrandbits(128):032x}"
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _key_prefix(template: Template) -> bytes:
    found = _detect(template)
    sid = found.session_id.encode("utf-8") if found else b""
    if sid and template.key.endswith(sid):
        return template.key[: -len(sid)]
    return template.key.rsplit(b":", 1)[0] + b":"


def _detect(template: Template) -> sessions.Session | None:
    value: bytes | dict[bytes, bytes] = (
        template.fields if template.type == "hash" else template.value
    )
    return sessions.detect(template.key, template.type, value, assume_session=True)


# Where each writable template keeps its user, for exact re-encoding.
_USER_PATHS: dict[str, list[tuple[list[str | int], Callable[[str], Any]]]] = {
    "express": [(["passport", "user"], str), (["userId"], int)],
    "koa": [(["passport", "user"], str), (["userId"], int)],
    "fastify": [(["passport"], str), (["userId"], int)],
    "flask": [(["_user_id"], str)],
    "starlette": [(["user_id"], str)],
    "aiohttp": [(["user_id"], str)],
    "rails": [(["warden.user.user.key", 0, 0], int)],
    "php": [(["user_id"], int)],
}

# In-place replacements of the fixtures' user id 42, same length, for formats with no writer.
_BYTE_RULES: tuple[tuple[re.Pattern[bytes], Callable[[re.Match[bytes], int], bytes]], ...] = (
    # pickle SHORT_BINUNICODE "42" (Django _auth_user_id, Flask-Login _user_id)
    (re.compile(rb"\x8c\x0242\x94"), lambda m, uid: b"\x8c\x02%d\x94" % uid),
    # Ruby Marshal fixnum 42 in warden's [[42], salt]
    (re.compile(rb"\[\x07\[\x06i/"), lambda m, uid: b"[\x07[\x06i" + bytes([uid + 5])),
    # igbinary user_id => long8 42
    (re.compile(rb"\x07user_id\x06\*"), lambda m, uid: b"\x07user_id\x06" + bytes([uid])),
    # PHP serialize text: user_id|i:42; / "user_id";i:42; / \x07user_idi:42;
    (re.compile(rb'(user_id(?:\||";|))i:42;'), lambda m, uid: m[1] + b"i:%d;" % uid),
)
_JAVA_LONG_42 = b"\x00" * 7 + b"*"


def _with_user(template: Template, found: sessions.Session, uid: int) -> bytes | None:
    """The template's bytes with user ``uid`` instead of 42, or None if that cannot be done
    safely (the result must decode to the same framework with the new user)."""
    raw = template.value
    if found.writable:
        paths = _USER_PATHS.get(found.framework, [])
        if found.framework == "laravel" and isinstance(found.data, dict):
            paths = [([k], int) for k in found.data if str(k).startswith("login_web_")]
        out = raw
        changed = False
        for path, kind in paths:
            current = sessions.detect(template.key, "string", out, assume_session=True)
            if current is None:
                return None
            try:
                out = sessions.encode_edit(current, out, path, kind(str(uid)))
                changed = True
            except sessions.EditRefused:
                continue
        if changed and _user_is(template.key, out, uid):
            return out
    for pattern, make in _BYTE_RULES:
        matches = list(pattern.finditer(raw))
        if len(matches) == 1:
            match = matches[0]
            out = raw[: match.start()] + make(match, uid) + raw[match.end() :]
            if _user_is(template.key, out, uid):
                return out
    return None


def _user_is(key: bytes, raw: bytes, uid: int) -> bool:
    found = sessions.detect(key, "string", raw, assume_session=True)
    return found is not None and found.user == str(uid) and found.error is None


def make_session(
    template: Template, rng: random.Random, user: str | None = None, ttl_ms: int | None = None
) -> NewSession:
    """A copy of ``template`` under a new session id, for ``user`` when the template is a
    logged-in one (and the format allows changing it), with ``ttl_ms`` (default: the
    template's, jittered)."""
    sid = _new_id(template, rng)
    key = _key_prefix(template) + sid.encode("utf-8")
    if ttl_ms is None:
        ttl_ms = template.ttl_ms if template.ttl_ms <= 0 else rng.randint(
            max(1000, template.ttl_ms // 4), template.ttl_ms
        )  # fmt: skip
    if template.type == "hash":
        fields = dict(template.fields)
        owner = template.user
        if user is not None and template.user is not None:
            java = fields.get(b"sessionAttr:userId", b"")
            if java.endswith(_JAVA_LONG_42):
                fields[b"sessionAttr:userId"] = java[:-8] + int(user).to_bytes(8, "big")
                # A Spring Security principal stays the session's user: say who the decoder sees.
                found = sessions.detect(key, "hash", fields, assume_session=True)
                owner = found.user if found is not None else template.user
        return NewSession(key, "hash", fields=fields, ttl_ms=ttl_ms, user=owner,
                          framework=template.framework)  # fmt: skip
    value, owner = template.value, template.user
    if user is not None and template.user is not None and user != template.user:
        found = _detect(template)
        if found is not None:
            rewritten = _with_user(template, found, int(user))
            if rewritten is not None:
                value, owner = rewritten, user
    return NewSession(key, "string", value=value, ttl_ms=ttl_ms, user=owner,
                      framework=template.framework)  # fmt: skip


def write_session(pipe: Any, new: NewSession) -> None:
    """Queue the commands that store ``new`` (SET / HSET + PEXPIRE)."""
    if new.type == "hash":
        pipe.delete(new.key)
        pipe.hset(new.key, mapping=new.fields)
        if new.ttl_ms > 0:
            pipe.pexpire(new.key, new.ttl_ms)
    elif new.ttl_ms > 0:
        pipe.set(new.key, new.value, px=new.ttl_ms)
    else:
        pipe.set(new.key, new.value)


def seed_sessions_from_fixtures(
    client: redis.Redis, *, copies: int = 7, rng_seed: int = 11
) -> list[NewSession]:
    """Write every fixture session as it is, plus ``copies`` copies of each under new ids
    (logged-in ones spread over :data:`USERS`), and the keys stores keep beside their sessions
    (Spring's index keys). Returns the copies written."""
    rng = random.Random(rng_seed)
    templates = load_templates()
    pipe = client.pipeline(transaction=False)
    written: list[NewSession] = []
    for template in templates:
        original = NewSession(template.key, template.type, template.value, dict(template.fields),
                              template.ttl_ms, template.user, template.framework)  # fmt: skip
        write_session(pipe, original)
        for _ in range(copies):
            user = rng.choice(USERS) if template.user is not None else None
            new = make_session(template, rng, user)
            write_session(pipe, new)
            written.append(new)
    write_related(pipe)
    pipe.execute()
    return written


# -------------------------------------------------------------------------- the live app


@dataclass
class TickStats:
    logins: int = 0
    rewrites: int = 0
    logouts: int = 0
    short_lived: int = 0
    cache_writes: int = 0
    cache_deletes: int = 0


class DemoSimulator:
    """A small simulated web app writing to the demo server, once per ``interval`` seconds.

    ``start()`` runs it in a daemon thread with its own client; ``stop()`` ends it (and is
    safe to call twice, or without ``start``). ``tick()`` runs one step, for tests.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        db: int = 0,
        interval: float = 1.0,
        rng_seed: int | None = None,
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the demo simulator only writes to a loopback server, not {host}")
        self.host, self.port, self.db = host, port, db
        self.interval = interval
        self.rng = random.Random(rng_seed)
        self.templates = load_templates()
        self._logged_in = [t for t in self.templates if t.user is not None]
        self.live: dict[bytes, NewSession] = {}
        self.totals = TickStats()
        self.ticks = 0
        self._cache_seq = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: redis.Redis | None = None

    # -- lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="redis-tui-demo-app", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> DemoSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            try:
                self.tick()
                delay = self.interval
            except Exception as exc:  # a dying server, or a bug: never kill the app
                if self._stop.is_set():
                    break
                log.debug("demo app tick failed: %s", exc)
                delay = min(10.0, delay * 2)  # the server is going away, or busy

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis(
                host=self.host, port=self.port, db=self.db, socket_timeout=2,
                socket_connect_timeout=2,
            )  # fmt: skip
        return self._client

    # -- one step

    def tick(self) -> TickStats:
        """One second of the app: logins, requests, logouts, timeouts, cache churn."""
        rng = self.rng
        client = self._redis()
        stats = TickStats()
        self._forget_expired(client)  # before this tick's logins are queued
        pipe = client.pipeline(transaction=False)
        # Requests and logouts of sessions from earlier ticks, then this tick's logins.
        for key in self._pick(rng.randint(1, 4)):
            if self._act(client, pipe, key):
                stats.rewrites += 1
        leaving = rng.randint(0, 2) + (1 if len(self.live) > MAX_LIVE else 0) * 3
        for key in self._pick(leaving):
            pipe.delete(key)
            self.live.pop(key, None)
            stats.logouts += 1
        for _ in range(rng.randint(1, 3)):
            stats.logins += 1
            self._login(pipe, rng, stats)
        for _ in range(rng.randint(1, 4)):
            self._cache_seq += 1
            body = {"n": self._cache_seq, "at": dt.datetime.now(dt.UTC).isoformat()}
            pipe.set(f"cache:sim:{self._cache_seq}".encode(), json.dumps(body),
                     ex=rng.randint(5, 60))  # fmt: skip
            stats.cache_writes += 1
        if self._cache_seq > 10 and rng.random() < 0.7:
            pipe.delete(f"cache:sim:{rng.randint(1, self._cache_seq)}".encode())
            stats.cache_deletes += 1
        pipe.execute()
        self.ticks += 1
        for name in vars(stats):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(stats, name))
        return stats

    def _login(self, pipe: Any, rng: random.Random, stats: TickStats) -> None:
        anonymous = rng.random() < 0.25
        pool = self.templates if anonymous else self._logged_in
        template = rng.choice(pool)
        user = None if anonymous else rng.choice(USERS)
        ttl = None
        if rng.random() < 0.2:
            ttl = rng.randint(5_000, 30_000)  # abandoned: times out within the minute
            stats.short_lived += 1
        new = make_session(template, rng, user, ttl)
        write_session(pipe, new)
        self.live[new.key] = new

    def _pick(self, n: int) -> list[bytes]:
        keys = list(self.live)
        return self.rng.sample(keys, min(n, len(keys)))

    def _forget_expired(self, client: redis.Redis) -> None:
        if self.ticks % 10 or not self.live:
            return
        keys = list(self.live)
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.exists(key)
        for key, exists in zip(keys, pipe.execute(), strict=True):
            if not exists:
                self.live.pop(key, None)

    def _act(self, client: redis.Redis, pipe: Any, key: bytes) -> bool:
        """A request: writable sessions get a changed cart and a refreshed TTL, the others
        only the refreshed TTL (as a rolling session store does)."""
        new = self.live[key]
        ttl = max(new.ttl_ms, 60_000) if new.ttl_ms > 0 else -1
        if new.type != "string":
            if ttl > 0:
                pipe.pexpire(key, ttl)
            return True
        raw = client.get(key)
        if not isinstance(raw, bytes):
            self.live.pop(key, None)
            return False
        found = sessions.detect(key, "string", raw, assume_session=True)
        rewritten = _touch(found, raw, self.rng) if found is not None else None
        if rewritten is not None:
            pipe.set(key, rewritten, px=ttl) if ttl > 0 else pipe.set(key, rewritten)
        elif ttl > 0:
            pipe.pexpire(key, ttl)
        return True


_SKUS = ("A-1", "B-2", "C-3", "D-4", "E-5")


def _touch(found: sessions.Session, raw: bytes, rng: random.Random) -> bytes | None:
    """``raw`` with its cart changed (or a ``views`` counter bumped), re-encoded exactly."""
    if not found.writable or not isinstance(found.data, dict):
        return None
    data: Any = found.data
    base: list[str | int] = []
    if found.framework == "symfony":  # Symfony's attributes live in their bag
        data, base = data.get("_sf2_attributes"), ["_sf2_attributes"]
        if not isinstance(data, dict):
            return None
    cart = data.get("cart")
    try:
        if isinstance(cart, list) and found.format in ("json", "msgpack"):
            items = list(cart)
            if items and rng.random() < 0.4:
                items.pop(rng.randrange(len(items)))
            else:
                items.append({"sku": rng.choice(_SKUS), "qty": rng.randint(1, 3),
                              "price": rng.choice([0.5, 2.25, 19.99]), "tags": []})  # fmt: skip
            return sessions.encode_edit(found, raw, [*base, "cart"], items[-8:])
        views = data.get("views")
        count = views + 1 if isinstance(views, int) and not isinstance(views, bool) else 1
        return sessions.encode_edit(found, raw, [*base, "views"], count)
    except sessions.EditRefused:
        return None


def iter_templates(framework: str | None = None) -> Iterator[Template]:
    """The packaged templates, optionally of one framework."""
    for template in load_templates():
        if framework is None or template.framework == framework:
            yield template
