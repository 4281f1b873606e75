"""PHP stores beyond phpredis' text handlers: Symfony's ``RedisSessionHandler`` sessions and
PHP sessions written with the ``msgpack`` serialize handler (php-msgpack).

Symfony's sessions are PHP sessions (any serialize handler) holding its bags:
``_sf2_attributes`` (the attributes), ``_symfony_flashes`` (the flash bag) and ``_sf2_meta``
(``c`` created, ``u`` updated, ``l`` cookie lifetime, epoch seconds). The firewall's
``ContextListener`` keeps ``serialize($token)`` under ``_security_<firewall>``: the user is the
username inside that token. Keys are ``sf_s<id>`` by default (no delimiter) but the prefix is
an option, so the bags decide. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from redis_tui.data.codecs import CodecError, ObjectValue, msgpack_codec, php
from redis_tui.data.sessions.model import DEFAULT_USER_PATHS, Session
from redis_tui.data.sessions.normalise import epoch, is_number
from redis_tui.data.sessions.users import find_user

SYMFONY_BAGS = frozenset({"_sf2_attributes", "_symfony_flashes", "_sf2_meta"})
PHP_FORMATS = frozenset({"php_session", "php_serialize", "php_binary", "igbinary", "php_msgpack"})
_USER_FIELDS = ("username", "userIdentifier", "identifier", "email", "name", "id")
_MAX_TOKEN_BYTES = 256 * 1024


def php_msgpack(
    raw: bytes, hint: str | None, decoded: tuple[str, Any, tuple[str, ...]]
) -> tuple[str, Any, tuple[str, ...]]:
    """``decoded`` (format, value, layers), re-read as PHP when the msgpack session handler
    wrote ``raw``: format ``php_msgpack`` with PHP objects. An empty ``$_SESSION`` packs as an
    empty array, which only a PHP key prefix can claim."""
    fmt, _, layers = decoded
    if fmt != "msgpack" or layers:
        return decoded
    empty = raw == b"\x90" and hint in ("php", "symfony")
    if not empty and not msgpack_codec.looks_php_session(raw):
        return decoded
    try:
        return "php_msgpack", msgpack_codec.parse_php(raw), ()
    except CodecError:
        return decoded


def signature(fmt: str, value: Mapping[Any, Any]) -> str | None:
    """``symfony`` when a PHP session holds Symfony's bags (its metadata bag is always there
    once a session is started)."""
    if fmt not in PHP_FORMATS or not SYMFONY_BAGS & value.keys():
        return None
    meta = value.get("_sf2_meta")
    attrs = value.get("_sf2_attributes")
    if isinstance(meta, dict) and {"c", "u"} <= meta.keys():
        return "symfony"
    return "symfony" if isinstance(attrs, dict) else None


def claims(hint: str, session: Session) -> bool:
    """Whether a session found under a weak ``hint`` is really that store's: under Symfony's
    ``sf_s`` prefix, only a PHP session holding its bags."""
    if hint != "symfony":
        return True
    data = session.data
    return isinstance(data, dict) and signature(session.format, data) == "symfony"


def fill_symfony(session: Session, value: dict[Any, Any], user_paths: Sequence[str]) -> None:
    """Times from ``_sf2_meta`` and the user from the security token (or ``user_paths`` in
    the attributes bag)."""
    meta = value.get("_sf2_meta")
    if isinstance(meta, dict):
        session.created_at = epoch(meta.get("c"))
        session.last_access_at = epoch(meta.get("u"))
        lifetime = meta.get("l")
        if is_number(lifetime) and lifetime > 0 and session.last_access_at is not None:
            session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=lifetime)
    attrs = value.get("_sf2_attributes")
    attrs = attrs if isinstance(attrs, dict) else {}
    by_paths = find_user(attrs, user_paths)
    token_user = symfony_user(attrs)
    if tuple(user_paths) != DEFAULT_USER_PATHS:
        session.user = by_paths or token_user  # the paths the user configured come first
    else:
        session.user = token_user or by_paths


def symfony_user(attrs: Mapping[Any, Any]) -> str | None:
    """The username inside the first ``_security_<firewall>`` token of the attributes."""
    for name, stored in attrs.items():
        if not (isinstance(name, str) and name.startswith("_security_")):
            continue
        token = stored
        if isinstance(stored, str | bytes):
            raw = stored.encode("utf-8") if isinstance(stored, str) else stored
            if len(raw) > _MAX_TOKEN_BYTES or not php.looks_serialized(raw):
                continue
            try:
                token = php.parse(raw)
            except CodecError:
                continue
        user = _token_user(token, 0)
        if user is not None:
            return user
    return None


def _token_user(token: Any, depth: int) -> str | None:
    """AbstractToken::__serialize() is ``[user, authenticated, null, attributes, roles]``;
    subclasses put their own fields first and the parent's array last (SwitchUserToken's
    original token too)."""
    if depth > 4 or not isinstance(token, ObjectValue):
        return None
    for item in reversed(list(token.fields.values())):
        data = _as_list(item)
        if data is None:
            continue
        if len(data) >= 4 and isinstance(data[1], bool):
            return _user_name(data[0])
        nested = _token_user(item, depth + 1) if isinstance(item, ObjectValue) else None
        if nested is not None:
            return nested
    return None


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and list(value) == list(range(len(value))):
        return list(value.values())
    return None


def _user_name(user: Any) -> str | None:
    if isinstance(user, str):
        return user or None
    if isinstance(user, ObjectValue):
        for name in _USER_FIELDS:
            found = user.fields.get(name)
            if isinstance(found, str) and found:
                return found
            if isinstance(found, int) and not isinstance(found, bool):
                return str(found)
    return None
