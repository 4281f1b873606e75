"""Web framework sessions stored in Redis: find them, decode them, revoke, extend and edit them.

Detection sniffs the payload first and uses the key only as a hint: prefixes are configurable
in every framework and collide (Flask-Session and Rails both default to ``session:``; one
``PHPREDIS_SESSION:`` prefix holds four serialize handlers). Every decode goes through
:mod:`redis_tui.data.codecs`, which never executes data (no ``pickle.loads``, no runtime of
another language).

Public API::

    FRAMEWORKS, DEFAULT_PATTERNS, DEFAULT_USER_PATHS, MAX_VALUE_BYTES, MAX_HASH_FIELDS
    @dataclass Session                      # one decoded session
    @dataclass(frozen=True) SessionPatterns # SCAN globs (include / exclude), configurable
    detect(key, redis_type, value, ...) -> Session | None          # pure
    find_user(data, user_paths) -> str | None                      # pure
    encode_edit(session, raw, path, new_value) -> bytes            # pure, exact re-encoding
    reencode(session, raw) -> bytes                                # == raw when writable
    to_json(session) -> dict                                       # the headless format
    async find_sessions(client, patterns, ...) -> AsyncIterator[list[Session]]
    async load_session(client, key, ...) -> Session | None
    async revoke(client, guard, keys) -> int
    async sessions_of_user(client, patterns, user_id) -> list[Session]
    async revoke_user(client, guard, patterns, user_id, *, expected=None) -> list[bytes]
    async extend(client, guard, key, ttl_ms) -> EditResult
    async edit_attribute(client, guard, session, path, new_value) -> EditResult

Frameworks (``Session.framework``): ``express``, ``flask``, ``django``, ``php``, ``rails``,
``laravel``, ``starlette``, ``aiohttp``, ``spring``, or ``unknown``. Formats
(``Session.format``): ``json``, ``msgpack``, ``pickle``, ``php_session`` (PHP's ``php``
handler), ``php_serialize``, ``php_binary``, ``igbinary``, ``ruby_marshal``, ``java`` (a Spring
hash of JDK-serialized values), ``empty``, ``text`` or ``binary`` (undecodable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any, TypeGuard

import msgpack
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from redis_tui.data import codecs
from redis_tui.data.codecs import CodecError, ObjectValue, php
from redis_tui.data.edit import ops as edits
from redis_tui.data.scan import keyspace, topology
from redis_tui.data.values.display import escape_key
from redis_tui.data.values.kinds import pairs
from redis_tui.errors import EditConflict, KeyMissing, RedisTuiError, translate

FRAMEWORKS: tuple[str, ...] = (
    "express", "flask", "django", "php", "rails", "laravel", "starlette", "aiohttp", "spring",
)  # fmt: skip

DEFAULT_PATTERNS: tuple[bytes, ...] = (
    b"sess:*",
    b"session:*",
    b"*django.contrib.sessions*",
    b"PHPREDIS_SESSION:*",
    b"*laravel_cache:*",
    b"starsessions.*",
    b"AIOHTTP_SESSION_*",
    b"spring:session:sessions:*",
)
# Spring's indexed repository keeps ``spring:session:sessions:expires:<id>`` beside each hash.
DEFAULT_EXCLUDE: tuple[bytes, ...] = (b"spring:session:sessions:expires:*",)

DEFAULT_USER_PATHS: tuple[str, ...] = (
    "passport.user",  # Passport (express)
    "_auth_user_id",  # Django
    "_user_id",  # Flask-Login
    "user_id",
    "userId",
    "warden.user.*.key",  # Devise / Warden: [[id], salt]
    "login_web_*",  # Laravel SessionGuard
    "login_api_*",
    "SPRING_SECURITY_CONTEXT.authentication.principal",
)
"""Where the user id is looked for, first match wins. Dotted paths; a segment may be a glob
(``*``), and a dotted run may name one key that contains dots (``warden.user.*.key``)."""

MAX_VALUE_BYTES = 1024 * 1024
"""Values larger than this are not fetched: the session is listed with an error."""
MAX_HASH_FIELDS = 1000
"""Spring hashes with more fields than this are not fetched."""
SNIFF_BYTES = 4096
"""Prefix read from an over-size value to tell its framework and format."""
BATCH_BYTES = 8 * 1024 * 1024
"""Bytes of longer values fetched per pipelined round trip."""
FIRST_READ = 16 * 1024
"""Bytes of each string read in the first round trip; shorter values need no other."""
CHUNK_KEYS = 250
"""Keys per first round trip (at most ``CHUNK_KEYS * FIRST_READ`` bytes in flight)."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Formats whose sessions can be written back byte for byte (checked per session).
WRITABLE_FORMATS = frozenset({"json", "msgpack", "php_serialize", "php_session", "php_binary"})
_REFUSALS = {
    "pickle": "pickle cannot be re-encoded exactly (and writing pickles for an app is unsafe)",
    "ruby_marshal": "Ruby Marshal cannot be re-encoded exactly",
    "java": "JDK-serialized Spring attributes cannot be re-encoded exactly",
    "igbinary": "igbinary cannot be re-encoded (no writer)",
    "empty": "the session is empty: its serialize format is unknown",
    "text": "the value is not a decodable session",
    "binary": "the value is not a decodable session",
}

# JSON writers: JSON.stringify / msgspec (compact, raw UTF-8) and Python's json.dumps default.
_JSON_STYLES: dict[str, tuple[tuple[str, str], bool]] = {
    "compact": ((",", ":"), False),
    "python": ((", ", ": "), True),
    "spaced": ((", ", ": "), False),
    "compact-ascii": ((",", ":"), True),
}
_JSON_PREFERENCE = {
    "aiohttp": ("python", "compact", "spaced", "compact-ascii"),
    "starlette": ("python", "compact", "spaced", "compact-ascii"),
}
_JSON_DEFAULT_ORDER = ("compact", "python", "spaced", "compact-ascii")

# Frameworks' default key prefixes (hints only) and the formats each framework writes.
_ALLOWED_FORMATS: dict[str, frozenset[str]] = {
    "express": frozenset({"json"}),
    "flask": frozenset({"msgpack", "json", "pickle"}),
    "django": frozenset({"pickle", "json", "msgpack"}),
    "php": frozenset({"php_session", "php_serialize", "php_binary", "igbinary", "empty"}),
    "rails": frozenset({"ruby_marshal", "json"}),
    "laravel": frozenset({"php_serialize"}),
    "starlette": frozenset({"json"}),
    "aiohttp": frozenset({"json"}),
    "spring": frozenset({"java", "json"}),
}
_WEAK_HINTS = frozenset({"laravel"})
_FORMAT_FRAMEWORK = {
    "ruby_marshal": "rails",
    "php_session": "php",
    "php_binary": "php",
    "igbinary": "php",
    "msgpack": "flask",
}
_RAILS_ID = re.compile(rb"(?:^|:)(\d::[0-9a-f]{64})\Z")
_DJANGO_MARK = re.compile(rb"django\.contrib\.sessions\.(?:cached_db|cache)")
_LARAVEL_MARK = b"laravel_cache:"
_SPRING_PREFIX = b"spring:session:sessions:"
_SPRING_META = frozenset({b"creationTime", b"lastAccessedTime", b"maxInactiveInterval"})
_PHP_DATE_CLASSES = frozenset(
    {
        "DateTime",
        "DateTimeImmutable",
        "Carbon\\Carbon",
        "Carbon\\CarbonImmutable",
        "Illuminate\\Support\\Carbon",
    }
)
_PHP_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?\Z")
_TZ_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)\Z")


class EditRefused(RedisTuiError):
    """The session's format cannot be written back exactly, or the edit does not apply."""


# -------------------------------------------------------------------------- the model


@dataclass
class Session:
    """One session as found in Redis, decoded.

    ``data`` holds the session's attributes (for aiohttp, the inner ``session`` object; for
    Spring, the ``sessionAttr:*`` fields by name), with nested encodings unwrapped (Laravel's
    serialized string, Django's ``_messages`` JSON) and PHP/Java date objects as datetimes.
    When decoding failed, ``data`` is the raw value and ``error`` says why. ``writable`` says
    whether :func:`edit_attribute` can write it back exactly; ``refusal`` says why not.
    """

    key: bytes
    framework: str
    format: str
    session_id: str
    user: str | None = None
    ttl_ms: int = -1
    expires_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    last_access_at: dt.datetime | None = None
    size: int = 0
    data: Any = None
    error: str | None = None
    writable: bool = False
    layers: tuple[str, ...] = ()
    refusal: str | None = None
    redis_type: str = "string"
    # Expiry stated inside the payload (express cookie.expires, Spring maxInactiveInterval...).
    payload_expires_at: dt.datetime | None = None
    # sha1 of the raw value the session was decoded from: an edit checks it is still the same.
    digest: str = ""
    # Path of the attributes inside the payload (aiohttp: ("session",)); used by edits.
    root: tuple[str | int, ...] = ()
    # JSON writer style, for exact re-encoding ("compact", "python"...).
    encoding: str = ""

    @property
    def key_text(self) -> str:
        return escape_key(self.key)


@dataclass(frozen=True)
class SessionPatterns:
    """Which keys are session candidates: ``include`` globs minus ``exclude`` globs (Redis
    glob syntax). A key matching none is not fetched unless ``find_sessions(sniff_all=True)``."""

    include: tuple[bytes, ...] = DEFAULT_PATTERNS
    exclude: tuple[bytes, ...] = DEFAULT_EXCLUDE

    @classmethod
    def of(
        cls, include: Iterable[str | bytes], exclude: Iterable[str | bytes] = ()
    ) -> SessionPatterns:
        """From config strings (UTF-8) or bytes."""
        return cls(tuple(map(_b, include)), tuple(map(_b, exclude)) or DEFAULT_EXCLUDE)

    def matcher(self) -> Callable[[bytes], bool]:
        """A predicate for keys, compiled once."""
        include = _union(self.include)
        exclude = _union(self.exclude) if self.exclude else None

        def matches(key: bytes) -> bool:
            if include is None or not include.fullmatch(key):
                return False
            return exclude is None or not exclude.fullmatch(key)

        return matches


def _b(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _union(globs: Sequence[bytes]) -> re.Pattern[bytes] | None:
    if not globs:
        return None
    parts = [topology.glob_regex(glob).pattern for glob in globs]
    return re.compile(b"|".join(b"(?:" + part + b")" for part in parts), re.DOTALL)


# -------------------------------------------------------------------------- detection


def detect(
    key: bytes,
    redis_type: str,
    value: bytes | Mapping[bytes, bytes],
    *,
    ttl_ms: int = -1,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    assume_session: bool = False,
    now: dt.datetime | None = None,
    max_bytes: int = MAX_VALUE_BYTES,
) -> Session | None:
    """Recognise and decode one session. Pure: no I/O.

    Args:
        key: the raw key (a hint: the payload decides when it can).
        redis_type: ``"string"`` or ``"hash"`` (anything else is not a session).
        value: the string's bytes, or the hash's fields.
        ttl_ms: the key's PTTL (-1: none), for ``expires_at``.
        assume_session: the caller says the key is a session (a pattern the user gave): an
            unrecognised payload is reported as framework ``unknown`` instead of ``None``.
        max_bytes: larger values are not decoded; the session carries an error instead.

    Returns:
        The session, or None when neither the payload nor the key looks like one. Never
        raises on bad data: a payload that fails to decode gives a session with ``error``.
    """
    now = now or dt.datetime.now(dt.UTC)
    if redis_type == "hash" and isinstance(value, Mapping):
        session = _detect_spring(key, value, user_paths, assume_session)
    elif redis_type == "string" and isinstance(value, bytes | bytearray):
        session = _detect_string(key, bytes(value), user_paths, assume_session, max_bytes)
    else:
        return None
    if session is None:
        return None
    return _with_ttl(session, ttl_ms, now)


def _hint(key: bytes) -> str | None:
    """The framework a key's name suggests (default prefixes)."""
    if key.startswith(b"sess:"):
        return "express"
    if _RAILS_ID.search(key):
        return "rails"
    if key.startswith(b"session:"):
        return "flask"
    if _DJANGO_MARK.search(key):
        return "django"
    if key.startswith(b"PHPREDIS_SESSION:"):
        return "php"
    if _LARAVEL_MARK in key:
        return "laravel"
    if key.startswith(b"starsessions."):
        return "starlette"
    if key.startswith(b"AIOHTTP_SESSION_"):
        return "aiohttp"
    if key.startswith(_SPRING_PREFIX):
        return "spring"
    return None


def session_id_of(key: bytes, framework: str) -> str:
    """The session id a key holds: after the framework's default prefix, else after the last
    separator. Rails keys hold Rack's private id (``2::<sha256 of the cookie id>``)."""
    rest: bytes | None = None
    if framework == "rails":
        match = _RAILS_ID.search(key)
        if match:
            rest = match[1]
    elif framework == "django":
        match = _DJANGO_MARK.search(key)
        if match:
            rest = key[match.end() :]
    elif framework == "laravel" and _LARAVEL_MARK in key:
        rest = key.split(_LARAVEL_MARK, 1)[1]
    else:
        prefix = {
            "express": b"sess:",
            "flask": b"session:",
            "php": b"PHPREDIS_SESSION:",
            "starlette": b"starsessions.",
            "aiohttp": b"AIOHTTP_SESSION_",
            "spring": _SPRING_PREFIX,
        }.get(framework)
        if prefix and key.startswith(prefix):
            rest = key[len(prefix) :]
    if rest is None:
        rest = key.rsplit(b":", 1)[-1] if b":" in key else key
    return escape_key(rest)


def _detect_string(
    key: bytes, raw: bytes, user_paths: Sequence[str], assume: bool, max_bytes: int
) -> Session | None:
    if key.startswith(_SPRING_PREFIX + b"expires:"):
        return None
    hint = _hint(key)
    if hint in _WEAK_HINTS and not assume:
        # Laravel's cache prefix holds every cache entry: only the payload can say "session".
        claimed = _detect_string(key, raw, user_paths, True, max_bytes)
        if claimed is None or claimed.framework != hint or claimed.error:
            return None
        return claimed
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    if len(raw) > max_bytes:
        return _too_large(key, hint, raw[:SNIFF_BYTES], len(raw), assume)
    if not raw:
        if hint is None and not assume:
            return None
        framework = hint or "unknown"
        return Session(
            key, framework, "empty", session_id_of(key, framework), size=0, data={},
            digest=digest, refusal=_REFUSALS["empty"],
        )  # fmt: skip
    try:
        fmt, value, layers = _decode_payload(raw, hint)
    except CodecError as exc:
        if hint is None and not assume:
            return None
        return _broken(key, hint, raw, str(exc), digest)
    found = _framework(hint, fmt, value, layers)
    if found is None and not assume:
        return None
    framework = found or "unknown"
    if fmt in ("text", "binary") or (framework != "unknown" and not isinstance(value, dict)):
        if hint is None and not assume:
            return None
        return _broken(key, framework, raw, _why_not(raw, framework, fmt), digest)
    session = Session(
        key, framework, fmt, session_id_of(key, framework), size=len(raw), digest=digest,
        layers=layers,
    )  # fmt: skip
    if isinstance(value, dict):
        _fill(session, value, user_paths)
    else:
        session.data = value
    _check_writable(session, raw, value)
    return session


def _decode_payload(raw: bytes, hint: str | None) -> tuple[str, Any, tuple[str, ...]]:
    """Format name (session vocabulary), value and layers. Raises CodecError."""
    if hint == "php" and _looks_php_binary(raw):
        try:
            return "php_binary", parse_php_binary(raw), ()
        except CodecError:
            pass
    decoded = codecs.decode(raw)
    fmt = decoded.format
    if fmt == "php":
        fmt = "php_serialize"
    elif fmt in ("text", "binary") and hint in (None, "php"):
        # php_binary has no magic: try it when nothing else fits.
        try:
            return "php_binary", parse_php_binary(raw), ()
        except CodecError:
            pass
    return fmt, decoded.value, decoded.layers


def _framework(hint: str | None, fmt: str, value: Any, layers: tuple[str, ...]) -> str | None:
    signature = _signature(fmt, value, layers) if isinstance(value, dict) else None
    if signature is not None:
        return signature
    if hint is not None and fmt in _ALLOWED_FORMATS[hint]:
        return hint
    by_format = _FORMAT_FRAMEWORK.get(fmt)
    if by_format is not None and (hint is not None or fmt in ("php_session", "ruby_marshal")):
        return by_format
    return hint


def _signature(fmt: str, value: dict[Any, Any], layers: tuple[str, ...]) -> str | None:
    """The framework the payload itself announces, from the markers each one writes."""
    cookie = value.get("cookie")
    if isinstance(cookie, dict) and {"originalMaxAge", "expires", "path"} & cookie.keys():
        return "express"
    if (
        fmt == "json"
        and set(value) == {"created", "session"}
        and isinstance(value["session"], dict)
    ):
        return "aiohttp"
    meta = value.get("__metadata__")
    if isinstance(meta, dict) and {"lifetime", "created", "last_access"} & meta.keys():
        return "starlette"
    if (
        fmt == "php_serialize"
        and isinstance(value.get("_token"), str)
        and ("php_string" in layers or isinstance(value.get("_flash"), dict))
    ):
        return "laravel"
    if {"_auth_user_id", "_auth_user_backend", "_session_expiry"} & value.keys() and fmt in (
        "pickle", "json", "msgpack",
    ):  # fmt: skip
        return "django"
    if {"_permanent", "_fresh", "_flashes", "_user_id"} & value.keys() and fmt in (
        "pickle", "json", "msgpack",
    ):  # fmt: skip
        return "flask"
    if fmt in ("ruby_marshal", "json"):
        flash = value.get("flash")
        has_flash = isinstance(flash, dict) and {"discard", "flashes"} <= flash.keys()
        warden = any(isinstance(k, str) and k.startswith("warden.user.") for k in value)
        if has_flash or warden or "_csrf_token" in value:
            return "rails"
    return None


_PRIMARY_FORMATS = {
    "express": ("json",), "flask": ("msgpack", "json", "pickle"), "django": ("pickle",),
    "php": ("php_session", "php"), "rails": ("ruby_marshal", "json"), "laravel": ("php",),
    "starlette": ("json",), "aiohttp": ("json",), "spring": ("java",),
}  # fmt: skip


def _why_not(raw: bytes, framework: str, fmt: str) -> str:
    """Why ``raw`` is not a session of ``framework``: the error of its usual format."""
    for name in _PRIMARY_FORMATS.get(framework, ()):
        try:
            codecs.decode(raw, name)
        except CodecError as exc:
            if name == "json" and raw.lstrip()[:1] not in (b"{", b"["):
                continue
            return f"not a {framework} session: {exc}"
    return f"not a {framework} session (the value is {fmt})"


def _too_large(
    key: bytes, hint: str | None, prefix: bytes, size: int, assume: bool
) -> Session | None:
    """A session too large to decode: framework from the key or the value's first bytes."""
    framework = hint
    fmt = "binary"
    if prefix.startswith(b"{"):
        fmt = "json"
        if framework is None and prefix.startswith(b'{"cookie":'):
            framework = "express"
    elif prefix.startswith(codecs.ruby_marshal.MAGIC):
        fmt = "ruby_marshal"
    elif prefix[:1] == b"\x80":
        fmt = "pickle"
    elif prefix.startswith(codecs.igbinary.MAGIC):
        fmt = "igbinary"
    elif php.looks_session(prefix + b";"):
        fmt, framework = "php_session", framework or "php"
    if framework is None:
        if not assume:
            return None
        framework = "unknown"
    reason = f"too large to decode ({size} bytes)"
    return Session(
        key, framework, fmt, session_id_of(key, framework), size=size, error=reason,
        refusal=reason,
    )  # fmt: skip


def _broken(key: bytes, hint: str | None, raw: bytes, reason: str, digest: str) -> Session:
    """A session whose payload does not decode: the raw value and the reason."""
    framework = hint or "unknown"
    shown: str | bytes = raw
    try:
        shown = raw.decode("utf-8")
        fmt = "text"
    except UnicodeDecodeError:
        fmt = "binary"
    return Session(
        key, framework, fmt, session_id_of(key, framework), size=len(raw), data=shown,
        error=reason, digest=digest, refusal=f"cannot decode: {reason}",
    )  # fmt: skip


def _fill(session: Session, value: dict[Any, Any], user_paths: Sequence[str]) -> None:
    """Attributes, times and user of a decoded payload."""
    framework = session.framework
    attrs: Any = value
    if framework == "aiohttp" and isinstance(value.get("session"), dict):
        attrs = value["session"]
        session.root = ("session",)
        session.created_at = _epoch(value.get("created"))
    elif framework == "starlette":
        meta = value.get("__metadata__")
        if isinstance(meta, dict):
            session.created_at = _epoch(meta.get("created"))
            session.last_access_at = _epoch(meta.get("last_access"))
            lifetime = meta.get("lifetime")
            if _is_number(lifetime) and lifetime > 0 and session.last_access_at is not None:
                session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=lifetime)
    elif framework == "express":
        cookie = value.get("cookie")
        if isinstance(cookie, dict):
            session.payload_expires_at = _iso(cookie.get("expires"))
    if session.format in ("php_session", "php_serialize", "php_binary", "igbinary"):
        attrs = normalise(attrs)
    if framework == "django" and isinstance(attrs.get("_messages"), str):
        attrs = dict(attrs)
        attrs["_messages"] = _django_messages(attrs["_messages"])
        session.layers += ("json:_messages",)
    session.data = attrs
    session.user = find_user(attrs, user_paths)


def _json_styles(raw: bytes, framework: str) -> list[str]:
    """JSON writer styles to try, the likeliest for these bytes first (usually one try)."""
    order = list(_JSON_PREFERENCE.get(framework, _JSON_DEFAULT_ORDER))
    head = raw[:4096]
    spaced = b'": ' in head or b", " in head
    escaped = raw.isascii() and b"\\u" in head

    def rank(style: str) -> tuple[int, int]:
        separators, ascii_only = _JSON_STYLES[style]
        return (separators[0] == ", ") != spaced, ascii_only != escaped

    return sorted(order, key=rank)


def _check_writable(session: Session, raw: bytes, value: Any) -> None:
    fmt = session.format
    if fmt not in WRITABLE_FORMATS:
        session.refusal = _REFUSALS.get(fmt, f"{fmt} cannot be written back")
        return
    if fmt == "json":
        for style in _json_styles(raw, session.framework):
            try:
                if _encode_json(value, style) == raw:
                    session.encoding = style
                    session.writable = True
                    return
            except (TypeError, ValueError):
                break
        session.refusal = "re-encoding the JSON would not reproduce the stored bytes exactly"
        return
    try:
        exact = _encode(fmt, session.layers, value, "") == raw
    except (TypeError, ValueError, OverflowError):
        exact = False
    session.writable = exact
    if not exact:
        session.refusal = (
            f"re-encoding the {fmt} value would not reproduce the stored bytes exactly "
            "(e.g. private object properties, naive datetimes)"
        )


# -------------------------------------------------------------------------- Spring hashes


def _detect_spring(
    key: bytes, fields: Mapping[bytes, bytes], user_paths: Sequence[str], assume: bool
) -> Session | None:
    names = set(fields)
    is_spring = bool(_SPRING_META & names) or any(n.startswith(b"sessionAttr:") for n in names)
    if not is_spring:
        if _hint(key) != "spring" and not assume:
            return None
        framework = "spring" if _hint(key) == "spring" else "unknown"
        return Session(
            key, framework, "binary", session_id_of(key, framework), redis_type="hash",
            size=_hash_size(fields), data={escape_key(k): v for k, v in fields.items()},
            error="hash without Spring Session fields", refusal="not a Spring session",
        )  # fmt: skip
    errors: list[str] = []
    formats: set[str] = set()
    meta: dict[str, Any] = {}
    attrs: dict[str, Any] = {}
    for name, raw in fields.items():
        text = name.decode("utf-8", "surrogateescape")
        try:
            decoded = codecs.decode(raw) if raw else codecs.Decoded("text", "")
        except CodecError as exc:
            errors.append(f"{escape_key(name)}: {exc}")
            value: Any = raw
        else:
            value = decoded.value
            if decoded.format in ("java", "json"):
                formats.add(decoded.format)
        if text.startswith("sessionAttr:"):
            attrs[text[len("sessionAttr:") :]] = value
        else:
            meta[text] = value
    session = Session(
        key, "spring", "java" if "java" in formats or not formats else "json",
        session_id_of(key, "spring"), redis_type="hash", size=_hash_size(fields),
        error="; ".join(errors) or None,
    )  # fmt: skip
    session.created_at = _epoch_ms(meta.get("creationTime"))
    session.last_access_at = _epoch_ms(meta.get("lastAccessedTime"))
    inactive = meta.get("maxInactiveInterval")
    if _is_number(inactive) and inactive > 0 and session.last_access_at is not None:
        session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=inactive)
    session.data = normalise(attrs)
    session.user = find_user(session.data, user_paths)
    session.refusal = "Spring session attributes are edited as hash fields, not supported here"
    return session


def _hash_size(fields: Mapping[bytes, bytes]) -> int:
    return sum(len(k) + len(v) for k, v in fields.items())


# -------------------------------------------------------------------------- user lookup


def find_user(data: Any, user_paths: Sequence[str] = DEFAULT_USER_PATHS) -> str | None:
    """The user a session belongs to: the first of ``user_paths`` that holds an id.

    A path is dotted; each segment may be a glob, and a run of segments may match one key
    that contains dots (Devise's ``warden.user.user.key``). Lists yield their first scalar
    (``[[42], "salt"]`` -> ``42``); objects their ``username``, ``name``, ``id`` or ``email``.
    """
    for path in user_paths:
        for found in _resolve(data, path.split("."), 0):
            user = _user_text(found, 0)
            if user is not None:
                return user
    return None


def _resolve(node: Any, segments: list[str], depth: int) -> Iterator[Any]:
    if not segments:
        yield node
        return
    if depth > 16:
        return
    if isinstance(node, ObjectValue):
        node = node.fields
    if not isinstance(node, dict):
        return
    for i in range(len(segments), 0, -1):
        pattern = ".".join(segments[:i])
        glob = any(c in pattern for c in "*?[")
        if not glob:
            if pattern in node:
                yield from _resolve(node[pattern], segments[i:], depth + 1)
            continue
        for name, child in list(node.items())[:10_000]:
            if isinstance(name, str) and fnmatchcase(name, pattern):
                yield from _resolve(child, segments[i:], depth + 1)


def _user_text(value: Any, depth: int) -> str | None:
    if depth > 6 or value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bytes):
        return escape_key(value) if value else None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        for item in value[:4]:
            found = _user_text(item, depth + 1)
            if found is not None:
                return found
        return None
    fields = value.fields if isinstance(value, ObjectValue) else value
    if isinstance(fields, dict):
        for name in ("username", "name", "id", "email", "user_id", "userId", "principal"):
            if name in fields:
                found = _user_text(fields[name], depth + 1)
                if found is not None:
                    return found
    return None


# -------------------------------------------------------------------------- normalising


def normalise(value: Any, *, max_nodes: int = 200_000) -> Any:
    """A copy of a decoded value with PHP ``DateTime``/Carbon objects and Java ``java.time``
    instants as datetimes. Shared objects stay shared and cycles stay cycles; past
    ``max_nodes`` containers the rest is left as it was."""
    budget = [max_nodes]
    memo: dict[int, Any] = {}
    return _normalise(value, memo, budget, 0)


def _normalise(value: Any, memo: dict[int, Any], budget: list[int], depth: int) -> Any:
    kind = type(value)
    if kind not in (dict, list, tuple, ObjectValue):
        return value
    known = memo.get(id(value))
    if known is not None:
        return known
    budget[0] -= 1
    if budget[0] < 0 or depth > codecs.MAX_DEPTH:
        return value
    if kind is ObjectValue:
        converted = _object_datetime(value)
        if converted is not None:
            memo[id(value)] = converted
            return converted
        fields: dict[str, Any] = {}
        result: Any = ObjectValue(value.class_name, fields)
        memo[id(value)] = result
        for name, item in value.fields.items():
            fields[name] = _normalise(item, memo, budget, depth + 1)
        return result
    if kind is dict:
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for name, item in value.items():
            out[name] = _normalise(item, memo, budget, depth + 1)
        return out
    if kind is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(_normalise(item, memo, budget, depth + 1) for item in value)
        return items
    return tuple(_normalise(item, memo, budget, depth + 1) for item in value)


def _object_datetime(obj: ObjectValue) -> dt.datetime | None:
    if obj.class_name in _PHP_DATE_CLASSES:
        return _php_datetime(obj.fields)
    if obj.class_name == "java.time.Ser":
        notes = obj.fields.get("__annotations__")
        if isinstance(notes, list) and notes and isinstance(notes[0], bytes):
            return _java_time(notes[0])
    return None


def _php_datetime(fields: dict[str, Any]) -> dt.datetime | None:
    text, zone, kind = fields.get("date"), fields.get("timezone"), fields.get("timezone_type")
    if not isinstance(text, str):
        return None
    match = _PHP_DATE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    micro = int((match[7] or "0").ljust(6, "0"))
    tz: dt.tzinfo | None = None
    if isinstance(zone, str):
        offset = _TZ_OFFSET.match(zone)
        if offset:
            sign = -1 if offset[1] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(offset[2]), minutes=int(offset[3])))
        elif zone.upper() in ("UTC", "Z", "GMT"):
            tz = dt.UTC
        elif kind == 3:
            tz = _zone(zone)
    try:
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def _zone(name: str) -> dt.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ValueError, OSError, ImportError, KeyError):
        return None
    except Exception:  # zoneinfo raises its own ZoneInfoNotFoundError (a KeyError) and more
        return None


def _java_time(data: bytes) -> dt.datetime | None:
    """``java.time.Ser`` external data: type 2 is an ``Instant`` (seconds, nanos)."""
    if len(data) == 13 and data[0] == 2:
        seconds = int.from_bytes(data[1:9], "big", signed=True)
        nanos = int.from_bytes(data[9:13], "big", signed=True)
        try:
            return _EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
        except OverflowError:
            return None
    return None


def _django_messages(text: str) -> Any:
    """Django's ``SessionStorage`` keeps messages as a JSON string; decode it, and turn
    ``["__json_message", is_safe, level, message, extra_tags]`` lists into dicts."""
    try:
        value = codecs.decode(text.encode("utf-8"), "json").value
    except CodecError:
        return text
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        if isinstance(item, list) and len(item) >= 4 and item[0] == "__json_message":
            message: dict[str, Any] = {"level": item[2], "message": item[3]}
            message["extra_tags"] = item[4] if len(item) > 4 else ""
            out.append(message)
        else:
            out.append(item)
    return out


def _epoch(value: Any) -> dt.datetime | None:
    if not _is_number(value):
        return None
    try:
        return _EPOCH + dt.timedelta(seconds=float(value))
    except (OverflowError, ValueError):
        return None


def _epoch_ms(value: Any) -> dt.datetime | None:
    return _epoch(value / 1000) if _is_number(value) else None


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# -------------------------------------------------------------------------- php_binary


def _looks_php_binary(raw: bytes) -> bool:
    if not raw:
        return False
    size = raw[0] & 0x7F
    return 0 < size < len(raw) and raw[1 : 1 + size].isascii()


def parse_php_binary(raw: bytes) -> dict[str, Any]:
    """PHP's ``php_binary`` session handler: ``<len byte><name><serialized value>`` repeated
    (a length with bit 7 set marks an unset variable, with no value).

    Raises:
        CodecError: malformed or truncated data.
    """
    # One reference table spans the whole session, as in PHP; the parser is codecs.php's.
    parser = php._Parser(raw, False)
    r = parser.r
    result: dict[str, Any] = {}
    while not r.at_end():
        size = r.byte()
        name = r.take(size & 0x7F).decode("utf-8", "replace")
        if size & 0x80:
            continue
        result[name] = parser.value(0)
    codecs._base.check_depth(result)
    return result


def serialize_php_binary(session: Mapping[str, Any]) -> bytes:
    """The ``php_binary`` session handler format for ``session``."""
    out = bytearray()
    for name, value in session.items():
        raw = name.encode("utf-8")
        if not raw or len(raw) > 127:
            raise CodecError(f"php_binary variable names are 1-127 bytes, not {len(raw)}")
        out.append(len(raw))
        out += raw
        out += php.serialize(value)
    return bytes(out)


# -------------------------------------------------------------------------- encoding, edits


def _encode_json(value: Any, style: str) -> bytes:
    separators, ascii_only = _JSON_STYLES[style]
    text = json.dumps(value, separators=separators, ensure_ascii=ascii_only, allow_nan=False)
    return text.encode("utf-8")


def _encode(fmt: str, layers: tuple[str, ...], value: Any, style: str) -> bytes:
    if fmt == "json":
        return _encode_json(value, style or "compact")
    if fmt == "msgpack":
        packed: bytes = msgpack.packb(value, use_bin_type=True, datetime=True)
        return packed
    if fmt == "php_serialize":
        out = php.serialize(value)
        for layer in reversed(layers):
            if layer == "php_string":
                out = php.serialize(out)
        return out
    if fmt == "php_session":
        return php.serialize_session(value)
    if fmt == "php_binary":
        return serialize_php_binary(value)
    raise TypeError(f"{fmt} cannot be written")


def _decode_exact(fmt: str, layers: tuple[str, ...], raw: bytes) -> Any:
    if fmt == "php_binary":
        return parse_php_binary(raw)
    name = {"php_serialize": "php"}.get(fmt, fmt)
    decoded = codecs.decode(raw, name)
    if decoded.layers != layers:
        raise CodecError(f"the value's layers changed ({decoded.layers} != {layers})")
    return decoded.value


def reencode(session: Session, raw: bytes) -> bytes:
    """Decode ``raw`` in the session's format and encode it again, unchanged: equal to
    ``raw`` for every session that is ``writable`` (the check edits rely on).

    Raises:
        EditRefused: the format has no writer. CodecError: ``raw`` does not decode.
    """
    if session.format not in WRITABLE_FORMATS:
        raise EditRefused(session.refusal or f"{session.format} cannot be written back")
    value = _decode_exact(session.format, session.layers, raw)
    return _encode(session.format, session.layers, value, session.encoding)


def encode_edit(
    session: Session, raw: bytes, path: Sequence[str | int], new_value: Any, *, delete: bool = False
) -> bytes:
    """``raw`` (the session's current bytes) with the attribute at ``path`` set to
    ``new_value`` (or removed, with ``delete``), re-encoded exactly as the framework wrote it.

    Pure. ``path`` is relative to ``session.data`` (the attributes); a str segment "0" also
    finds an int key 0 (PHP arrays) and the other way round.

    Raises:
        EditRefused: the format cannot be written back exactly, the value cannot be encoded
            in it, or the path does not lead to a container.
    """
    if not session.writable:
        raise EditRefused(f"Cannot edit this session: {session.refusal or 'not writable'}")
    if not path:
        raise EditRefused("Cannot edit this session: name an attribute to change")
    fmt, layers, style = session.format, session.layers, session.encoding
    try:
        value = _decode_exact(fmt, layers, raw)
        if _encode(fmt, layers, value, style) != raw:
            raise EditRefused("Cannot edit this session: it no longer re-encodes exactly")
    except CodecError as exc:
        raise EditRefused(f"Cannot edit this session: {exc}") from None
    parent: Any = value
    for step in (*session.root, *path[:-1]):
        parent = _child(parent, step)
    last = _existing_key(parent, path[-1])
    if isinstance(parent, ObjectValue):
        parent = parent.fields
    if isinstance(parent, list):
        if not isinstance(last, int) or not -len(parent) <= last < len(parent):
            raise EditRefused(f"No list item {path[-1]!r} to change")
        if delete:
            del parent[last]
        else:
            parent[last] = new_value
    elif isinstance(parent, dict):
        if delete:
            if last not in parent:
                raise EditRefused(f"No attribute {path[-1]!r} to remove")
            del parent[last]
        else:
            parent[last] = new_value
    else:
        raise EditRefused(f"{'.'.join(map(str, path[:-1])) or 'the session'} is not a container")
    try:
        return _encode(fmt, layers, value, style)
    except (TypeError, ValueError, OverflowError, CodecError) as exc:
        raise EditRefused(f"Cannot store that value as {fmt}: {exc}") from None


def _existing_key(container: Any, step: str | int) -> str | int:
    if isinstance(container, ObjectValue):
        container = container.fields
    if isinstance(container, dict):
        if step in container:
            return step
        if isinstance(step, str) and re.fullmatch(r"-?\d+", step) and int(step) in container:
            return int(step)
        if isinstance(step, int) and str(step) in container:
            return str(step)
    if isinstance(container, list) and isinstance(step, str) and re.fullmatch(r"-?\d+", step):
        return int(step)
    return step


def _child(container: Any, step: str | int) -> Any:
    key = _existing_key(container, step)
    if isinstance(container, ObjectValue):
        container = container.fields
    try:
        if isinstance(container, dict | list):
            return container[key]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        pass
    raise EditRefused(f"No attribute {step!r} in the session")


# -------------------------------------------------------------------------- headless output


def to_json(session: Session) -> dict[str, Any]:
    """The headless format: one JSON-safe object per session."""
    return {
        "key": escape_key(session.key),
        "framework": session.framework,
        "format": session.format,
        "session_id": session.session_id,
        "user": session.user,
        "ttl_ms": session.ttl_ms,
        "expires_at": session.expires_at.isoformat() if session.expires_at else None,
        "created_at": session.created_at.isoformat() if session.created_at else None,
        "last_access_at": session.last_access_at.isoformat() if session.last_access_at else None,
        "size": session.size,
        "writable": session.writable,
        "error": session.error,
        "data": codecs.to_jsonable(session.data, max_nodes=200_000),
    }


# -------------------------------------------------------------------------- scanning


@dataclass
class ScanStats:
    """Progress of a :func:`find_sessions` scan, updated in place."""

    scanned: int = 0
    candidates: int = 0
    found: int = 0
    done: bool = False
    started: float = field(default_factory=time.monotonic)


async def find_sessions(
    client: aioredis.Redis,
    patterns: SessionPatterns | None = None,
    *,
    match: bytes | str | None = None,
    user: str | None = None,
    limit: int | None = None,
    page: int = 500,
    sniff_all: bool = False,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_hash_fields: int = MAX_HASH_FIELDS,
    stats: ScanStats | None = None,
) -> AsyncIterator[list[Session]]:
    """Stream the sessions of the database, a page at a time, as SCAN finds them.

    One paced SCAN pass (COUNT adapted as ``keyspace.Pacer`` does, never over 1000; one
    cursor per primary on a cluster). With one pattern (or ``match``) the server filters
    (``SCAN MATCH``); with several, keys are filtered here, so the keyspace is walked once,
    not once per pattern. Each page of candidates costs two pipelined round trips: TYPE,
    PTTL and size, then the values (GET up to ``max_value_bytes``, HGETALL of hashes up to
    ``max_hash_fields`` fields), at most ``BATCH_BYTES`` per trip.

    Args:
        patterns: which keys to consider (default :class:`SessionPatterns`).
        match: a glob replacing the patterns; its keys count as sessions even when the
            payload is not recognised (framework ``unknown``).
        user: keep only this user's sessions.
        limit: stop after this many sessions.
        page: most sessions per yielded list (lists are yielded as soon as a SCAN step found
            any, so the first arrives quickly).
        sniff_all: consider every key (custom prefixes): a full-database read, size-capped.
        stats: updated in place (keys scanned, sessions found), for a progress line.

    Yields:
        Lists of sessions (never empty).
    """
    stats = stats if stats is not None else ScanStats()
    patterns = patterns or SessionPatterns()
    server_match: bytes | None
    accept: Callable[[bytes], bool] | None
    assume = match is not None
    if match is not None:
        server_match = _b(match)
        accept = None
    elif sniff_all:
        server_match, accept = None, None
    elif len(patterns.include) == 1:
        server_match = patterns.include[0]
        accept = patterns.matcher() if patterns.exclude else None
    else:
        server_match, accept = None, patterns.matcher()
    pacer = keyspace.Pacer()
    cluster = client if isinstance(client, RedisCluster) else None
    cursor: Any = 0
    if cluster is not None:
        cursor = await topology.start_cluster_scan(cluster)
    seen: set[bytes] = set()
    remaining = limit
    try:
        while True:
            started = time.perf_counter()
            if cluster is not None:
                cursor, keys = await topology.scan_cluster_page(
                    cluster, cursor, server_match, pacer.count, None
                )
            else:
                cursor, keys = await keyspace.scan_page(client, cursor, server_match, pacer.count)
            pacer.observe(time.perf_counter() - started)
            stats.scanned += len(keys)
            if accept is not None:
                keys = [k for k in keys if accept(k)]
            keys = [k for k in keys if k not in seen]
            stats.candidates += len(keys)
            if keys:
                found = await _load_many(
                    client, keys, user_paths, assume, max_value_bytes, max_hash_fields
                )
                if user is not None:
                    found = [s for s in found if s.user == user]
                if remaining is not None:
                    found = found[:remaining]
                    remaining -= len(found)
                seen.update(s.key for s in found)
                stats.found += len(found)
                for start in range(0, len(found), max(1, page)):
                    yield found[start : start + max(1, page)]
                if remaining is not None and remaining <= 0:
                    break
            if not cursor:
                break
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    finally:
        stats.done = True


async def load_session(
    client: aioredis.Redis,
    key: bytes,
    *,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    assume_session: bool = True,
    max_value_bytes: int = MAX_VALUE_BYTES,
    max_hash_fields: int = MAX_HASH_FIELDS,
) -> Session | None:
    """Read and decode one key (e.g. to refresh the selected session). None when the key
    is gone or is not a session."""
    try:
        found = await _load_many(
            client, [key], user_paths, assume_session, max_value_bytes, max_hash_fields
        )
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return found[0] if found else None


async def _load_many(
    client: aioredis.Redis,
    keys: list[bytes],
    user_paths: Sequence[str],
    assume: bool,
    max_value_bytes: int,
    max_hash_fields: int,
) -> list[Session]:
    """Fetch and detect ``keys``. The common case (a string session under ``FIRST_READ``)
    costs two commands in one round trip: PTTL and GETRANGE of the first ``FIRST_READ``
    bytes. Longer strings and hashes take one or two more trips, size-checked first."""
    out: list[Session] = []
    for start in range(0, len(keys), CHUNK_KEYS):
        chunk = keys[start : start + CHUNK_KEYS]
        out += await _load_chunk(
            client, chunk, user_paths, assume, max_value_bytes, max_hash_fields
        )
    return out


async def _load_chunk(
    client: aioredis.Redis,
    keys: list[bytes],
    user_paths: Sequence[str],
    assume: bool,
    max_value_bytes: int,
    max_hash_fields: int,
) -> list[Session]:
    first = min(FIRST_READ, max_value_bytes + 1)
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("PTTL", key)
        pipe.execute_command("GETRANGE", key, 0, first - 1)
    replies = await pipe.execute(raise_on_error=False)
    now = dt.datetime.now(dt.UTC)
    ready: list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]] = []
    longer: list[tuple[bytes, int, bytes]] = []  # strings that may go on
    others: list[tuple[bytes, int]] = []  # not strings (WRONGTYPE)
    for i, key in enumerate(keys):
        pttl, head = replies[2 * i], replies[2 * i + 1]
        if not isinstance(pttl, int) or pttl == -2:
            continue  # gone
        if isinstance(head, bytes):
            if len(head) < first:
                ready.append((key, "string", pttl, head))
            else:
                longer.append((key, pttl, head))
        elif isinstance(head, BaseException) and "WRONGTYPE" in str(head):
            others.append((key, pttl))
    sessions_out: list[Session] = []
    if longer or others:
        pipe = client.pipeline(transaction=False)
        for key, _, _ in longer:
            pipe.execute_command("STRLEN", key)
        for key, _ in others:
            pipe.execute_command("TYPE", key)
            pipe.execute_command("HLEN", key)
        sizes = await pipe.execute(raise_on_error=False)
        fetch: list[tuple[bytes, str, int, int]] = []  # key, how, pttl, size
        for (key, pttl, head), size in zip(longer, sizes[: len(longer)], strict=True):
            if not isinstance(size, int):
                continue
            if size <= max_value_bytes:
                fetch.append((key, "get", pttl, size))
                continue
            big = _too_large(key, _hint(key), head[:SNIFF_BYTES], size, assume)
            if big is not None:
                sessions_out.append(_with_ttl(big, pttl, now))
        rest = sizes[len(longer) :]
        for j, (key, pttl) in enumerate(others):
            kind, hlen = rest[2 * j], rest[2 * j + 1]
            if kind != b"hash" or not isinstance(hlen, int):
                continue
            fetch.append((key, "hgetall" if hlen <= max_hash_fields else "hprobe", pttl, hlen))
        ready += await _fetch(client, fetch, assume, sessions_out, now)
    for key, kind, pttl, value in ready:
        session = detect(
            key, kind, value, ttl_ms=pttl, user_paths=user_paths, assume_session=assume,
            now=now, max_bytes=max_value_bytes,
        )  # fmt: skip
        if session is not None:
            sessions_out.append(session)
    return sessions_out


def _with_ttl(session: Session, pttl: int, now: dt.datetime) -> Session:
    """``expires_at`` is when Redis drops the key (its TTL decides; frameworks refresh it on
    each request); without a TTL, the expiry the payload states. The payload's own date stays
    in ``payload_expires_at``."""
    session.ttl_ms = pttl
    if pttl >= 0:
        session.expires_at = now + dt.timedelta(milliseconds=pttl)
    else:
        session.expires_at = session.payload_expires_at
    return session


async def _fetch(
    client: aioredis.Redis,
    plans: list[tuple[bytes, str, int, int]],
    assume: bool,
    flagged: list[Session],
    now: dt.datetime,
) -> list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]]:
    """Values of longer strings and of hashes, at most ``BATCH_BYTES`` per round trip.
    Hashes too wide to fetch are appended to ``flagged`` as sessions with an error."""
    ready: list[tuple[bytes, str, int, bytes | dict[bytes, bytes]]] = []
    batches: list[list[tuple[bytes, str, int, int]]] = [[]]
    budget = 0
    for plan in plans:
        cost = plan[3] if plan[1] == "get" else plan[3] * 64
        if batches[-1] and budget + cost > BATCH_BYTES:
            batches.append([])
            budget = 0
        batches[-1].append(plan)
        budget += cost
    for batch in batches:
        if not batch:
            continue
        pipe = client.pipeline(transaction=False)
        for key, how, _, _ in batch:
            if how == "get":
                pipe.execute_command("GET", key)
            elif how == "hgetall":
                pipe.execute_command("HGETALL", key)
            else:
                pipe.execute_command("HMGET", key, *sorted(_SPRING_META))
        replies = await pipe.execute(raise_on_error=False)
        for (key, how, pttl, size), reply in zip(batch, replies, strict=True):
            if isinstance(reply, BaseException) or reply is None:
                continue  # gone or changed type meanwhile
            if how == "get" and isinstance(reply, bytes):
                ready.append((key, "string", pttl, reply))
            elif how == "hgetall":
                fields = dict(pairs(reply))
                if fields:
                    ready.append((key, "hash", pttl, fields))
            elif how == "hprobe":
                spring = isinstance(reply, list) and any(v is not None for v in reply)
                framework = "spring" if spring or _hint(key) == "spring" else None
                if framework is None and not assume:
                    continue
                framework = framework or "unknown"
                reason = f"too large to decode ({size} fields)"
                session = Session(
                    key, framework, "java", session_id_of(key, framework), redis_type="hash",
                    size=-1, error=reason, refusal=reason,
                )  # fmt: skip
                flagged.append(_with_ttl(session, pttl, now))
    return ready


# -------------------------------------------------------------------------- actions


REVOKE_BATCH = 500


async def revoke(client: aioredis.Redis, guard: edits.WriteGuard, keys: Sequence[bytes]) -> int:
    """Delete sessions (``UNLINK``, pipelined in batches). Returns how many existed.

    Raises:
        ReadOnlyRefused: the connection is read-only (nothing is deleted).
    """
    guard.check("revoke sessions")
    removed = 0
    try:
        for start in range(0, len(keys), REVOKE_BATCH):
            chunk = list(keys[start : start + REVOKE_BATCH])
            pipe = client.pipeline(transaction=False)
            for key in chunk:
                pipe.execute_command("UNLINK", key)
            replies = await pipe.execute(raise_on_error=False)
            if guard.log is not None:
                guard.log.extend([("UNLINK", k) for k in chunk], replies, op="revoke session")
            for reply in replies:
                if isinstance(reply, BaseException):
                    raise reply
                removed += int(reply)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    return removed


async def sessions_of_user(
    client: aioredis.Redis,
    patterns: SessionPatterns | None,
    user_id: str,
    *,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
    stats: ScanStats | None = None,
) -> list[Session]:
    """Every session of ``user_id`` (the preview before :func:`revoke_user`)."""
    found: list[Session] = []
    async for page in find_sessions(
        client, patterns, user=user_id, user_paths=user_paths, stats=stats
    ):
        found.extend(page)
    return found


async def revoke_user(
    client: aioredis.Redis,
    guard: edits.WriteGuard,
    patterns: SessionPatterns | None,
    user_id: str,
    *,
    expected: Sequence[bytes] | None = None,
    user_paths: Sequence[str] = DEFAULT_USER_PATHS,
) -> list[bytes]:
    """Delete every session of ``user_id``; returns the keys deleted.

    The sessions are looked up again now: with ``expected`` (the keys of the preview the
    user confirmed), only those that still belong to the user are deleted, so a session
    created after the preview is not deleted unseen.

    Raises:
        ReadOnlyRefused: the connection is read-only (checked before scanning).
    """
    guard.check("revoke sessions")
    current = await sessions_of_user(client, patterns, user_id, user_paths=user_paths)
    keys = [s.key for s in current]
    if expected is not None:
        allowed = set(expected)
        keys = [k for k in keys if k in allowed]
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("UNLINK", key)
    guard.check("revoke sessions")
    try:
        replies = await pipe.execute(raise_on_error=False)
    except Exception as exc:
        raise translate(exc) from exc
    if guard.log is not None:
        guard.log.extend([("UNLINK", k) for k in keys], replies, op="revoke user sessions")
    return [k for k, r in zip(keys, replies, strict=True) if isinstance(r, int) and r > 0]


async def extend(
    client: aioredis.Redis, guard: edits.WriteGuard, key: bytes, ttl_ms: int | None
) -> edits.EditResult:
    """Set a session's TTL (longer or shorter; None removes it), version-checked.

    The payload's own expiry (express ``cookie.expires``, Spring ``lastAccessedTime``) is
    left as it is: the framework rewrites it on the user's next request.

    Raises:
        ReadOnlyRefused, EditConflict (deleted meanwhile), ValueError (ttl_ms <= 0).
    """
    guard.check("set ttl")
    version = await edits.key_version(client, key)
    if not version.exists:
        raise KeyMissing("The session is gone (logged out or expired)")
    return await edits.set_ttl(client, guard, key, version, ttl_ms)


async def edit_attribute(
    client: aioredis.Redis,
    guard: edits.WriteGuard,
    session: Session,
    path: Sequence[str | int],
    new_value: Any,
    *,
    delete: bool = False,
) -> edits.EditResult:
    """Set (or remove) one attribute of a session and write it back exactly, keeping its
    TTL (``SET KEEPTTL``), if the session is still what ``session`` was decoded from.

    Raises:
        ReadOnlyRefused; EditRefused (format not writable: pickle, Marshal, JDK, igbinary;
        bad path or value); EditConflict (the session changed since it was loaded);
        KeyMissing (it is gone).
    """
    guard.check("edit session")
    if not session.writable:
        raise EditRefused(f"Cannot edit this session: {session.refusal or 'not writable'}")
    try:
        version = await edits.key_version(client, session.key)
        if version.type == "string" and version.length > MAX_VALUE_BYTES:
            # Bounded like every read: a session this big was never decoded to edit anyway.
            raise EditRefused(f"Cannot edit: the session is {version.length:,} bytes now")
        raw = await client.execute_command("GET", session.key)
    except RedisTuiError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
    if raw is None:
        raise KeyMissing("The session is gone (logged out or expired)")
    if hashlib.sha1(raw, usedforsecurity=False).hexdigest() != session.digest:
        raise EditConflict(
            "The session changed since it was loaded; reload it and edit again",
            current="value changed",
            key=session.key,
            version=version,
        )
    new_raw = encode_edit(session, raw, path, new_value, delete=delete)
    return await edits.set_string(client, guard, session.key, version, new_raw, keep_ttl=True)
