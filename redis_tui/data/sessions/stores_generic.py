"""Any other store: a decoded mapping shaped like a session but matching no framework's rule.

Judged by the shape of its member names, never by one application's names: each name is
folded (lower case, letters and digits only) and put into the categories sessions carry —
who (user, account, principal, email...), when (expires, ttl, last activity...), flash
messages, CSRF tokens and authentication state. A mapping is a session when its names
fall in two categories, or in one strong one (CSRF, flash, auth); a cached user profile
(only "who" names) or a price list (none) is not. One level of nesting is looked into
(``{"data": {"user_id": ...}, "expires": ...}``). Pure: no I/O, nothing executed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from redis_tui.data.codecs import ObjectValue
from redis_tui.data.sessions.hints import session_id_of
from redis_tui.data.sessions.model import Session
from redis_tui.data.sessions.normalise import epoch, epoch_ms, is_number, iso
from redis_tui.data.sessions.users import find_user

_FOLD = re.compile(r"[^a-z0-9]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MAX_MEMBERS = 2000

_WHO_EXACT = frozenset(
    {"user", "uid", "username", "login", "account", "principal", "member", "owner", "email",
     "identity", "sub", "subject", "customer", "person", "actor", "viewer"}
)  # fmt: skip
_WHO_SUFFIX = ("userid", "username", "accountid", "memberid", "customerid", "ownerid", "uid")
_WHEN = frozenset(
    {"expires", "expiry", "expire", "exp", "expiration", "expiresat", "expireat", "expiresin",
     "expireson", "expirytime", "expiretime", "maxage", "ttl", "deadline", "lifetime",
     "validuntil", "notafter", "lastactivity", "lastaccess", "lastaccessed", "lastseen",
     "lastrequest", "lastused", "idletimeout", "timeout"}
)  # fmt: skip
_FLASH = ("flash",)
_CSRF = ("csrf", "xsrf", "authenticitytoken", "antiforgery")
_CSRF_EXACT = frozenset({"token", "nonce"})  # only with a leading underscore: ``_token``
_AUTH = ("loggedin", "signedin", "passport", "warden", "remember", "impersonat", "authoriz")
_AUTH_EXACT = frozenset({"sessionid", "sid", "session"})
# What a user record carries as much as a session does: a cached profile with roles is not
# a session, so these say "who", not "auth".
_PROFILE_EXACT = frozenset({"roles", "permissions", "scopes", "grants", "isadmin", "groups"})
_STRONG = frozenset({"flash", "csrf", "auth"})
# Names whose value is the user, most specific first (folded).
_USER_NAMES = ("userid", "username", "user", "uid", "login", "accountid", "account", "principal",
               "memberid", "customerid", "email", "sub", "subject", "owner")  # fmt: skip
_EXPIRY_NAMES = ("expiresat", "expireat", "expires", "expiry", "expiration", "expirytime",
                 "expiretime", "exp", "validuntil", "notafter", "deadline")  # fmt: skip


def fold(name: str) -> str:
    """``csrf_token``, ``csrfToken`` and ``CSRF-Token`` all give ``csrftoken``."""
    return _FOLD.sub("", _CAMEL.sub("_", name).lower())


def categories(name: str) -> set[str]:
    """The session categories a member name belongs to."""
    folded = fold(name)
    found: set[str] = set()
    if not folded:
        return found
    if (
        folded in _WHO_EXACT
        or folded in _PROFILE_EXACT
        or folded.endswith(_WHO_SUFFIX)
        or folded.startswith("user")
    ):
        found.add("who")
    if folded in _WHEN or folded.startswith(("expir", "lastactiv", "lastaccess")):
        found.add("when")
    if folded.startswith(_FLASH):
        found.add("flash")
    if any(part in folded for part in _CSRF) or (folded in _CSRF_EXACT and name.startswith("_")):
        found.add("csrf")
    # "auth" but not "author" (a blog post is not a session); "authorized" is.
    authish = "auth" in folded.replace("author", "")
    if authish or folded in _AUTH_EXACT or any(part in folded for part in _AUTH):
        found.add("auth")
    return found


def _members(value: Mapping[Any, Any]) -> list[str]:
    names: list[str] = []
    for name, item in list(value.items())[:_MAX_MEMBERS]:
        if not isinstance(name, str):
            continue
        names.append(name)
        inner = item.fields if isinstance(item, ObjectValue) else item
        if isinstance(inner, dict) and len(inner) <= _MAX_MEMBERS:
            names.extend(n for n in inner if isinstance(n, str))
    return names


def looks_like_session(value: Any) -> bool:
    """Whether a decoded value is a mapping shaped like a session (see the module doc)."""
    if isinstance(value, ObjectValue):
        value = value.fields
    if not isinstance(value, dict) or not value:
        return False
    seen: set[str] = set()
    for name in _members(value):
        seen |= categories(name)
        if len(seen) >= 2 or seen & _STRONG:
            return True
    return False


def generic_user(attrs: Any, user_paths: Sequence[str]) -> str | None:
    """The configured paths first, then the member whose name says "user" the most."""
    found = find_user(attrs, user_paths)
    if isinstance(attrs, ObjectValue):
        attrs = attrs.fields
    if found is not None or not isinstance(attrs, dict):
        return found
    for layer in (attrs, *(v for v in attrs.values() if isinstance(v, dict))):
        by_name = {fold(k): k for k in list(layer)[:_MAX_MEMBERS] if isinstance(k, str)}
        for wanted in _USER_NAMES:
            name = by_name.get(wanted)
            if name is not None:
                user = find_user({"u": layer[name]}, ("u",))
                if user is not None:
                    return user
    return None


def generic_expiry(attrs: Any) -> dt.datetime | None:
    """An expiry the payload states: epoch seconds or milliseconds, ISO text, a datetime."""
    if isinstance(attrs, ObjectValue):
        attrs = attrs.fields
    if not isinstance(attrs, dict):
        return None
    by_name = {fold(k): k for k in list(attrs)[:_MAX_MEMBERS] if isinstance(k, str)}
    for wanted in _EXPIRY_NAMES:
        name = by_name.get(wanted)
        if name is None:
            continue
        value = attrs[name]
        if isinstance(value, str) and value.isdigit() and len(value) < 16:
            value = int(value)  # a hash field holds numbers as text
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if is_number(value) and value > 0:
            # Seconds until ~2286, else milliseconds; small numbers are durations, not dates.
            if 1e9 <= value < 1e10:
                return epoch(value)
            if 1e12 <= value < 1e13:
                return epoch_ms(value)
            continue
        parsed = iso(value)
        if parsed is not None:
            return parsed
    return None


def detect_hash(
    key: bytes, fields: Mapping[bytes, bytes], user_paths: Sequence[str]
) -> Session | None:
    """A hash whose field names are shaped like a session's (text values kept as text)."""
    attrs: dict[str, Any] = {}
    for name, raw in list(fields.items())[:_MAX_MEMBERS]:
        text = name.decode("utf-8", "surrogateescape")
        try:
            attrs[text] = raw.decode("utf-8")
        except UnicodeDecodeError:
            attrs[text] = raw
    if not looks_like_session(attrs):
        return None
    size = sum(len(k) + len(v) for k, v in fields.items())
    session = Session(
        key, "unknown", "hash", session_id_of(key, "unknown"), redis_type="hash", size=size,
        data=attrs, refusal="hash sessions of unknown stores are edited as hash fields",
    )  # fmt: skip
    fill_unknown(session, user_paths)
    return session


def fill_unknown(session: Session, user_paths: Sequence[str]) -> None:
    """User and stated expiry of an ``unknown`` session, by shape."""
    session.user = generic_user(session.data, user_paths)
    if session.payload_expires_at is None:
        session.payload_expires_at = generic_expiry(session.data)
