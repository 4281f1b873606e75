"""The session model: :class:`Session`, :class:`SessionPatterns`, the defaults and limits.

The bottom of the package: every other module of ``redis_tui.data.sessions`` may import this
one, and it imports none of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from redis_tui.data.scan import topology
from redis_tui.data.values.display import escape_key
from redis_tui.errors import RedisTuiError

FRAMEWORKS: tuple[str, ...] = (
    "express", "flask", "django", "php", "rails", "laravel", "starlette", "aiohttp", "spring",
    "symfony", "koa", "fastify",
)  # fmt: skip

_HEX = b"[0-9a-f]"
UUID_GLOB = b"-".join(_HEX * n for n in (8, 4, 4, 4, 12))
"""A bare UUID key: koa-session's default external key (no prefix); the value decides."""

DEFAULT_PATTERNS: tuple[bytes, ...] = (
    b"sess:*",
    b"session:*",
    b"*django.contrib.sessions*",
    b"PHPREDIS_SESSION:*",
    b"*laravel_cache:*",
    b"starsessions.*",
    b"AIOHTTP_SESSION_*",
    b"spring:session:sessions:*",
    b"sf_s*",  # Symfony's RedisSessionHandler (no delimiter)
    b"*_session_id:*",  # Rails' CacheStore on a Rails cache, under the cache's namespace
    UUID_GLOB,
)
# Spring's indexed repository keeps ``spring:session:sessions:expires:<id>`` beside each hash.
DEFAULT_EXCLUDE: tuple[bytes, ...] = (b"spring:session:sessions:expires:*",)

DEFAULT_USER_PATHS: tuple[str, ...] = (
    "passport.user",  # Passport (express, koa)
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

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""A value as JSON gives it: what a user types for an attribute edit."""


class EditRefused(RedisTuiError):
    """The session's format cannot be written back exactly, or the edit does not apply."""


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
    data: object = None
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
    # Keys of the store that point at this session but are not sessions (Spring's expires
    # marker, principal index and expirations sets), with what each is; filled on load.
    related: list[tuple[bytes, str]] = field(default_factory=list)

    @property
    def key_text(self) -> str:
        return escape_key(self.key)


@dataclass(frozen=True)
class SessionPatterns:
    """Which keys are session candidates: ``include`` globs minus ``exclude`` globs (Redis
    glob syntax). Given to ``find_sessions``, only matching keys are read (no discovery)."""

    include: tuple[bytes, ...] = DEFAULT_PATTERNS
    exclude: tuple[bytes, ...] = DEFAULT_EXCLUDE

    @classmethod
    def of(
        cls, include: Iterable[str | bytes], exclude: Iterable[str | bytes] = ()
    ) -> SessionPatterns:
        """From config strings (UTF-8) or bytes."""
        return cls(tuple(map(as_bytes, include)), tuple(map(as_bytes, exclude)) or DEFAULT_EXCLUDE)

    def matcher(self) -> Callable[[bytes], bool]:
        """A predicate for keys, compiled once."""
        include = _union(self.include)
        exclude = _union(self.exclude) if self.exclude else None

        def matches(key: bytes) -> bool:
            if include is None or not include.fullmatch(key):
                return False
            return exclude is None or not exclude.fullmatch(key)

        return matches


def as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _union(globs: Sequence[bytes]) -> re.Pattern[bytes] | None:
    if not globs:
        return None
    parts = [topology.glob_regex(glob).pattern for glob in globs]
    return re.compile(b"|".join(b"(?:" + part + b")" for part in parts), re.DOTALL)


def with_ttl(session: Session, pttl: int, now: dt.datetime) -> Session:
    """``expires_at`` is when Redis drops the key (its TTL decides; frameworks refresh it on
    each request); without a TTL, the expiry the payload states. The payload's own date stays
    in ``payload_expires_at``."""
    session.ttl_ms = pttl
    if pttl >= 0:
        session.expires_at = now + dt.timedelta(milliseconds=pttl)
    else:
        session.expires_at = session.payload_expires_at
    return session
