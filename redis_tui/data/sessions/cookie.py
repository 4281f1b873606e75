"""From a browser cookie to its session: what each store puts in its cookie, and the keys
that cookie names.

:func:`parse_cookie` takes what the browser's developer tools show — one cookie value, a
``name=value`` pair or a whole ``Cookie:`` header — and gives one :class:`CookieGuess` per
store the cookie may belong to: express / Fastify (``s:<sid>.<sig>``, URL-encoded, or
``<sid>.<sig>``), Koa (the external key), Rails (the public id, stored as ``2::`` + its SHA-256),
PHP and Symfony (``PHPSESSID``), Django (``sessionid``), Flask-Session and starsessions
(``session``), aiohttp (``AIOHTTP_SESSION``) and Spring (``SESSION``, the id in base64).
Encrypted cookies (Laravel's, Rails' cookie store, Flask's client-side session) say so in
``note``: they hold no key, so they cannot be mapped.

:func:`find_by_cookie` probes the keys the guesses name under the stores' default prefixes,
the configured patterns' prefixes and the discovered namespaces (one pipelined round trip),
and when none holds a session, walks the key names once (the key list's, or a paced SCAN —
never KEYS) for keys ending with one of the ids: custom prefixes need no configuration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

import redis.asyncio as aioredis

from redis_tui.data.sessions.grouping import Discovery
from redis_tui.data.sessions.model import DEFAULT_USER_PATHS, Session, SessionPatterns, as_bytes
from redis_tui.data.sessions.scan import key_pages, load_many
from redis_tui.errors import RedisTuiError, translate

MAX_PROBES = 2000
"""Keys probed in the first round trip, at most."""
MAX_MATCHES = 200
"""Keys ending with an id that the walk reads, at most."""
MIN_WALK_ID = 8
"""Shorter ids are not looked for by suffix (too many keys end with them)."""

# Where each store keeps a session, by its default prefix (``{}`` is the key's id part).
_PREFIXES: dict[str, tuple[bytes, ...]] = {
    "express": (b"sess:",),
    "fastify": (b"sess:",),
    "koa": (b"", b"koa:sess:"),
    "rails": (b"session:", b"_session_id:", b""),
    "php": (b"PHPREDIS_SESSION:",),
    "symfony": (b"sf_s",),
    "django": (
        b":1:django.contrib.sessions.cache",
        b":1:django.contrib.sessions.cached_db",
        b"django.contrib.sessions.cache",
    ),
    "flask": (b"session:",),
    "starlette": (b"starsessions.",),
    "aiohttp": (b"AIOHTTP_SESSION_",),
    "spring": (b"spring:session:sessions:",),
}
# Cookie names -> the stores that use them by default (lower case).
_BY_NAME: dict[str, tuple[str, ...]] = {
    "connect.sid": ("express",),
    "sessionid": ("django", "fastify"),
    "koa.sess": ("koa",),
    "koa:sess": ("koa",),
    "phpsessid": ("php", "symfony"),
    "session": ("flask", "starlette"),
    "SESSION": ("spring",),  # Spring's name, upper case
    "aiohttp_session": ("aiohttp",),
    "laravel_session": ("laravel",),
}
_NOT_SESSIONS = frozenset(
    {"_ga", "_gid", "_gat", "csrftoken", "_csrf", "xsrf-token", "__stripe_mid"}
)
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ID = re.compile(r"[A-Za-z0-9_\-.,:+/=]{4,256}")
_UUIDISH = re.compile(r"[0-9a-fA-F-]{16,64}|[A-Za-z0-9_-]{8,128}")

LARAVEL_NOTE = (
    "Laravel's cookie is encrypted with the application's APP_KEY: it cannot be mapped to "
    "its session key here"
)


@dataclass(frozen=True)
class CookieGuess:
    """One reading of a cookie: the store, the session id it holds, the keys it names under
    the store's default prefixes, and globs for any prefix. ``note``: why it cannot be
    mapped, or what to know (empty when the keys say it all)."""

    store: str
    session_id: str
    keys: tuple[bytes, ...]
    patterns: tuple[bytes, ...]
    note: str = ""


@dataclass
class CookieLookup:
    """What :func:`find_by_cookie` found: the sessions, the keys tried, and notes."""

    sessions: list[Session] = field(default_factory=list)
    tried: list[bytes] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def split_cookies(text: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of a ``Cookie:`` header or a ``name=value`` pair; a bare
    value gives one pair with an empty name."""
    text = text.strip()
    if text.lower().startswith("cookie:"):
        text = text[len("cookie:") :].strip()
    pairs: list[tuple[str, str]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip()
        # ``abc==`` (base64 padding) is a bare value, not a cookie named abc.
        if eq and _NAME.fullmatch(name) and value.strip().strip("="):
            pairs.append((name, value.strip().strip('"')))
        else:
            pairs.append(("", part.strip('"')))
    return pairs


def parse_cookie(text: str) -> list[CookieGuess]:
    """Every store a cookie (a value, ``name=value`` or a ``Cookie:`` header) may belong to,
    with the session id and the keys it names. Pure."""
    guesses: list[CookieGuess] = []
    seen: set[tuple[str, str]] = set()
    for name, raw in split_cookies(text):
        lowered = name.lower()
        if lowered in _NOT_SESSIONS or lowered.endswith(".sig"):
            continue
        for guess in _guesses("SESSION" if name == "SESSION" else lowered, unquote(raw)):
            if (guess.store, guess.session_id) not in seen:
                seen.add((guess.store, guess.session_id))
                guesses.append(guess)
    return guesses


def _stores_for(name: str) -> tuple[str, ...]:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith("_") and name.endswith("_session"):
        return ("rails",)
    return tuple(_PREFIXES)  # unknown name, or a bare value: every store


def _guesses(name: str, value: str) -> list[CookieGuess]:
    stores = _stores_for(name)
    if name == "laravel_session" or _laravel_encrypted(value):
        return [CookieGuess("laravel", "", (), (), LARAVEL_NOTE)]
    note = _client_side(value)
    if note:
        return [CookieGuess("cookie", "", (), (), note)]
    out: list[CookieGuess] = []
    for store in stores:
        for sid in _ids(store, value):
            out.append(_guess(store, sid))
    return out


def _ids(store: str, value: str) -> list[str]:
    """The session ids a value may hold for ``store`` (most specific first)."""
    ids: list[str] = []
    if value.startswith("s:") and "." in value:
        return [value[2:].rsplit(".", 1)[0]]  # express: s:<sid>.<signature>
    if store in ("fastify", "flask", "express") and "." in value and not value.startswith("s:"):
        ids.append(value.rsplit(".", 1)[0])  # <sid>.<signature> (Fastify, itsdangerous)
    if store == "spring":
        decoded = _base64_id(value)
        if decoded:
            ids.append(decoded)
    if store == "koa" and value.startswith("koa:sess:"):
        ids.append(value[len("koa:sess:") :])
    ids.append(value)
    return [i for i in dict.fromkeys(ids) if _ID.fullmatch(i)]


def _guess(store: str, sid: str) -> CookieGuess:
    raw = sid.encode("utf-8")
    part = raw
    if store == "rails":
        # Rack keeps the private id: "2::" + SHA-256 hex of the cookie's public id.
        part = b"2::" + hashlib.sha256(raw).hexdigest().encode()
    keys = tuple(prefix + part for prefix in _PREFIXES.get(store, (b"",)))
    note = "stored under 2:: + SHA-256 of the cookie's id" if store == "rails" else ""
    return CookieGuess(store, sid, keys, (b"*" + _glob_escape(part),), note)


def _glob_escape(raw: bytes) -> bytes:
    return re.sub(rb"([*?\[\]\\])", rb"\\\1", raw)


def _base64_id(value: str) -> str | None:
    """Spring's ``SESSION`` cookie: the session id in base64."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if _UUIDISH.fullmatch(text) else None


def _laravel_encrypted(value: str) -> bool:
    """Laravel's encrypted cookie: base64 of JSON with ``iv``, ``value`` and ``mac``."""
    if len(value) < 40:
        return False
    try:
        payload = json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and {"iv", "value", "mac"} <= payload.keys()


def _client_side(value: str) -> str:
    """A cookie that is itself the session (nothing in Redis): say which."""
    if re.fullmatch(r"[A-Za-z0-9+/=]{20,}--[A-Za-z0-9+/=]{8,}(?:--[A-Za-z0-9+/=]{8,})?", value):
        return "a Rails cookie-store session (encrypted in the cookie): not kept in Redis"
    if re.fullmatch(r"\.?eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", value):
        return "a signed client-side session (Flask/itsdangerous): not kept in Redis"
    return ""


def _pattern_prefixes(patterns: SessionPatterns | Sequence[str | bytes] | None) -> list[bytes]:
    """The literal prefix of each include glob (``myapp:sess:*`` -> ``myapp:sess:``)."""
    if patterns is None:
        return []
    globs = patterns.include if isinstance(patterns, SessionPatterns) else patterns
    out: list[bytes] = []
    for glob in map(as_bytes, globs):
        cut = re.search(rb"[*?\[\\]", glob)
        prefix = glob[: cut.start()] if cut else glob
        if prefix and cut is not None and cut.start() == len(glob) - 1:
            out.append(prefix)
    return out


async def find_by_cookie(
    client: aioredis.Redis,
    text: str,
    *,
    patterns: SessionPatterns | Sequence[str | bytes] | None = None,
    discovery: Discovery | None = None,
    names: Iterable[bytes] | None = None,
    walk: bool = True,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
) -> CookieLookup:
    """The session(s) a cookie belongs to.

    Args:
        text: a cookie value, ``name=value`` or a whole ``Cookie:`` header.
        patterns: configured session patterns: their prefixes are tried with each id.
        discovery: a discovery's namespaces are tried with each id.
        names: key names already scanned, for the walk (else a paced SCAN).
        walk: when no probed key holds a session, walk the key names once for keys that end
            with one of the ids (custom prefixes).

    Returns:
        The sessions found (none: see ``notes``), every key probed, and the notes.

    Raises:
        RedisTuiError: the server failed (translated).
    """
    lookup = CookieLookup()
    guesses = parse_cookie(text)
    lookup.notes = list(dict.fromkeys(g.note for g in guesses if g.note and not g.keys))
    mappable = [g for g in guesses if g.keys]
    if not mappable:
        if not guesses:
            lookup.notes.append("no session id in this cookie")
        return lookup
    prefixes = _pattern_prefixes(patterns)
    if discovery is not None:
        prefixes += [
            f.namespace.encode("utf-8", "surrogateescape")
            for f in discovery.found
            if "*" not in f.namespace and not f.namespace.startswith("<")
        ]
    probes: dict[bytes, None] = {}
    for guess in mappable:
        probes.update(dict.fromkeys(guess.keys))
        part = guess.keys[0][len(_PREFIXES.get(guess.store, (b"",))[0]) :]
        probes.update(dict.fromkeys(prefix + part for prefix in prefixes))
    tried = list(probes)[:MAX_PROBES]
    lookup.tried = tried
    try:
        lookup.sessions = await _existing(client, tried, user_paths)
        if not lookup.sessions and walk:
            suffixes = {g.patterns[0][1:].replace(b"\\", b"") for g in mappable}
            suffixes = {s for s in suffixes if len(s) >= MIN_WALK_ID}
            if suffixes:
                lookup.sessions = await _walk(client, tuple(suffixes), names, user_paths, lookup)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    if not lookup.sessions:
        lookup.notes.append(f"no session found for this cookie ({len(tried)} keys tried)")
    return lookup


async def _existing(
    client: aioredis.Redis, keys: list[bytes], user_paths: Sequence[str]
) -> list[Session]:
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("EXISTS", key)
    replies = await pipe.execute(raise_on_error=False)
    present = [k for k, r in zip(keys, replies, strict=True) if r == 1]
    return await load_many(client, present, user_paths, True) if present else []


async def _walk(
    client: aioredis.Redis,
    suffixes: tuple[bytes, ...],
    names: Iterable[bytes] | None,
    user_paths: Sequence[str],
    lookup: CookieLookup,
) -> list[Session]:
    matches: list[bytes] = []
    walked = 0
    async for keys in key_pages(client, None, names):
        walked += len(keys)
        matches += [k for k in keys if k.endswith(suffixes)]
        if len(matches) >= MAX_MATCHES:
            break
    lookup.tried += matches[:MAX_MATCHES]
    lookup.notes.append(f"walked {walked} key names for keys ending with the session id")
    found = await load_many(client, matches[:MAX_MATCHES], user_paths, True)
    return found
