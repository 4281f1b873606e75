"""Detection: is a value a session, of which framework, in which format, and its contents.

The payload is sniffed first and the key is only a hint: prefixes are configurable in every
framework and collide (Flask-Session and Rails both default to ``session:``; one
``PHPREDIS_SESSION:`` prefix holds four serialize handlers). Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from redis_tui.data import codecs
from redis_tui.data.codecs import CodecError, php
from redis_tui.data.sessions import (
    stores_generic,
    stores_js,
    stores_jvm,
    stores_php,
    stores_py,
    stores_ruby,
)
from redis_tui.data.sessions.encode import (
    REFUSALS,
    check_writable,
    looks_php_binary,
    parse_php_binary,
)
from redis_tui.data.sessions.hints import framework_hint, session_id_of
from redis_tui.data.sessions.model import (
    DEFAULT_USER_PATHS,
    MAX_VALUE_BYTES,
    SNIFF_BYTES,
    Session,
    with_ttl,
)
from redis_tui.data.sessions.normalise import django_messages, epoch, is_number, iso, normalise
from redis_tui.data.sessions.spring import detect_spring
from redis_tui.data.sessions.users import find_user

# Frameworks' default key prefixes (hints only) and the formats each framework writes.
_ALLOWED_FORMATS: dict[str, frozenset[str]] = {
    "express": frozenset({"json"}),
    "flask": frozenset({"msgpack", "json", "pickle"}),
    "django": frozenset({"pickle", "json", "msgpack"}),
    "php": frozenset({"php_session", "php_serialize", "php_binary", "igbinary", "empty"}),
    "symfony": stores_php.PHP_FORMATS,
    "rails": frozenset({"ruby_marshal", "json"}),
    "laravel": frozenset({"php_serialize"}),
    "starlette": frozenset({"json"}),
    "aiohttp": frozenset({"json"}),
    "spring": frozenset({"java", "json"}),
}
_WEAK_HINTS = frozenset({"laravel", "symfony"})
_FORMAT_FRAMEWORK = {
    "ruby_marshal": "rails",
    "php_session": "php",
    "php_binary": "php",
    "igbinary": "php",
    "php_msgpack": "php",
    "msgpack": "flask",
}


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
        session = detect_spring(key, value, user_paths, assume_session)
        session = session or stores_generic.detect_hash(key, value, user_paths)
    elif redis_type == "string" and isinstance(value, bytes | bytearray):
        session = _detect_string(key, bytes(value), user_paths, assume_session, max_bytes)
    else:
        return None
    if session is None:
        return None
    return with_ttl(session, ttl_ms, now)


def _detect_string(
    key: bytes, raw: bytes, user_paths: Sequence[str], assume: bool, max_bytes: int
) -> Session | None:
    if stores_jvm.not_a_session(key, raw):
        return None
    hint = framework_hint(key)
    if hint in _WEAK_HINTS and not assume:
        # Laravel's cache prefix holds every cache entry: only the payload can say "session".
        claimed = _detect_string(key, raw, user_paths, True, max_bytes)
        if claimed is None or claimed.framework != hint or claimed.error:
            return None
        if not stores_php.claims(hint, claimed):
            return None
        return claimed
    digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
    if len(raw) > max_bytes:
        return too_large(key, hint, raw[:SNIFF_BYTES], len(raw), assume)
    if not raw:
        if hint is None and not assume:
            return None
        framework = hint or "unknown"
        return Session(
            key, framework, "empty", session_id_of(key, framework), size=0, data={},
            digest=digest, refusal=REFUSALS["empty"],
        )  # fmt: skip
    try:
        fmt, value, layers = _decode_payload(raw, hint, max_bytes)
    except CodecError as exc:
        if hint is None and not assume:
            return None
        return _broken(key, hint, raw, str(exc), digest)
    found = _framework(hint, fmt, value, layers)
    if found is None and stores_generic.looks_like_session(value):
        found = "unknown"  # any other store: a known encoding shaped like a session
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
        if framework == "unknown":
            stores_generic.fill_unknown(session, user_paths)
    check_writable(session, raw, value)
    return session


def _decode_payload(
    raw: bytes, hint: str | None, max_bytes: int
) -> tuple[str, Any, tuple[str, ...]]:
    """Format name (session vocabulary), value and layers; compressed layers never inflate
    past ``max_bytes``. Raises CodecError."""
    if (cached := stores_py.cachelib(raw)) is not None:
        return cached
    if hint == "php" and looks_php_binary(raw):
        try:
            return "php_binary", parse_php_binary(raw), ()
        except CodecError:
            pass
    decoded = codecs.decode(raw, max_output=max_bytes)
    fmt = decoded.format
    if fmt == "php":
        fmt = "php_serialize"
    elif fmt in ("text", "binary") and hint in (None, "php"):
        # php_binary has no magic: try it when nothing else fits.
        try:
            return "php_binary", parse_php_binary(raw), ()
        except CodecError:
            pass
    found = stores_php.php_msgpack(raw, hint, (fmt, decoded.value, decoded.layers))
    return stores_ruby.unwrap(found)


def _framework(hint: str | None, fmt: str, value: Any, layers: tuple[str, ...]) -> str | None:
    signature = _signature(fmt, value, layers) if isinstance(value, dict) else None
    if signature is not None:
        return signature
    if hint is not None and fmt in _ALLOWED_FORMATS[hint]:
        return hint
    by_format = _FORMAT_FRAMEWORK.get(fmt)
    if by_format is not None and (
        hint is not None or fmt in ("php_session", "ruby_marshal", "php_msgpack")
    ):
        return by_format
    return hint


def _signature(fmt: str, value: dict[Any, Any], layers: tuple[str, ...]) -> str | None:
    """The framework the payload itself announces, from the markers each one writes."""
    if (symfony := stores_php.signature(fmt, value)) is not None:
        return symfony
    if (node := stores_js.signature(fmt, value)) is not None:
        return node
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
    "symfony": ("php_session",),
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


def too_large(
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
        session.created_at = epoch(value.get("created"))
    elif framework == "starlette":
        meta = value.get("__metadata__")
        if isinstance(meta, dict):
            session.created_at = epoch(meta.get("created"))
            session.last_access_at = epoch(meta.get("last_access"))
            lifetime = meta.get("lifetime")
            if is_number(lifetime) and lifetime > 0 and session.last_access_at is not None:
                session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=lifetime)
    elif framework == "express":
        cookie = value.get("cookie")
        if isinstance(cookie, dict):
            session.payload_expires_at = iso(cookie.get("expires"))
    if session.format in stores_php.PHP_FORMATS:
        attrs = normalise(attrs)
    if framework == "django" and isinstance(attrs.get("_messages"), str):
        attrs = dict(attrs)
        attrs["_messages"] = django_messages(attrs["_messages"])
        session.layers += ("json:_messages",)
    session.data = attrs
    session.user = find_user(attrs, user_paths)
    if framework == "symfony":
        stores_php.fill_symfony(session, attrs, user_paths)
    elif framework == "unknown":
        stores_generic.fill_unknown(session, user_paths)
    stores_ruby.fill(session, value)
    stores_js.fill(session, attrs, user_paths)
