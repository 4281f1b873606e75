"""What a key's name says: the framework its default prefix suggests, and the session id.

Only a hint: prefixes are configurable and collide, so the payload decides when it can.
"""

from __future__ import annotations

import re

from redis_tui.data.values.display import escape_key

RAILS_ID = re.compile(rb"(?:^|:)(\d::[0-9a-f]{64})\Z")
DJANGO_MARK = re.compile(rb"django\.contrib\.sessions\.(?:cached_db|cache)")
LARAVEL_MARK = b"laravel_cache:"
SPRING_PREFIX = b"spring:session:sessions:"
SYMFONY_PREFIX = b"sf_s"  # RedisSessionHandler's default, glued to the id


def framework_hint(key: bytes) -> str | None:
    """The framework a key's name suggests (default prefixes)."""
    if key.startswith(b"sess:"):
        return "express"
    if RAILS_ID.search(key):
        return "rails"
    if key.startswith(b"session:"):
        return "flask"
    if DJANGO_MARK.search(key):
        return "django"
    if key.startswith(b"PHPREDIS_SESSION:"):
        return "php"
    if LARAVEL_MARK in key:
        return "laravel"
    if key.startswith(b"starsessions."):
        return "starlette"
    if key.startswith(b"AIOHTTP_SESSION_"):
        return "aiohttp"
    if key.startswith(SPRING_PREFIX):
        return "spring"
    if key.startswith(SYMFONY_PREFIX):
        return "symfony"
    return None


def session_id_of(key: bytes, framework: str) -> str:
    """The session id a key holds: after the framework's default prefix, else after the last
    separator. Rails keys hold Rack's private id (``2::<sha256 of the cookie id>``)."""
    rest: bytes | None = None
    if framework == "rails":
        match = RAILS_ID.search(key)
        if match:
            rest = match[1]
    elif framework == "django":
        match = DJANGO_MARK.search(key)
        if match:
            rest = key[match.end() :]
    elif framework == "laravel" and LARAVEL_MARK in key:
        rest = key.split(LARAVEL_MARK, 1)[1]
    elif framework == "symfony" and key.startswith(SYMFONY_PREFIX) and b":" not in key:
        rest = key[len(SYMFONY_PREFIX) :]
    else:
        prefix = {
            "express": b"sess:",
            "flask": b"session:",
            "php": b"PHPREDIS_SESSION:",
            "starlette": b"starsessions.",
            "aiohttp": b"AIOHTTP_SESSION_",
            "spring": SPRING_PREFIX,
        }.get(framework)
        if prefix and key.startswith(prefix):
            rest = key[len(prefix) :]
    if rest is None:
        rest = key.rsplit(b":", 1)[-1] if b":" in key else key
    return escape_key(rest)
