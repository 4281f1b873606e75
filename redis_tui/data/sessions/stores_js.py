"""Node stores beyond express-session: koa-session (with an external store such as koa-redis)
and @fastify/session (on connect-redis, as express-session is). Pure: no I/O.

Both write JSON, and their keys say little: koa-session's external key is a bare
``randomUUID()`` (or ``<prefix><uuid>`` with its ``prefix`` option) and @fastify/session on
connect-redis shares express-session's ``sess:`` prefix. So the payload decides:

* koa-session adds ``_expire`` (epoch ms) and ``_maxAge`` (ms) to every session it commits.
  Its cookie (``koa.sess``) holds the external key itself, which is the whole Redis key.
* @fastify/session's ``Cookie#toJSON`` writes ``expires`` first (then ``originalMaxAge``,
  ``originalExpires`` when the cookie had a fixed date, ``sameSite``...); express-session's
  cookie data starts with ``originalMaxAge`` and never holds ``originalExpires``.

Users: koa-passport keeps Passport's ``passport.user``; @fastify/passport keeps the serialized
user itself under ``passport`` (``"42"``, or an object).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis_tui.data.sessions.model import DEFAULT_USER_PATHS, Session
from redis_tui.data.sessions.normalise import epoch_ms, is_number, iso
from redis_tui.data.sessions.users import find_user
from redis_tui.data.values.display import escape_key

_FASTIFY_ONLY = "originalExpires"


def signature(fmt: str, value: Mapping[Any, Any]) -> str | None:
    """``koa`` or ``fastify`` when a JSON session carries that library's own markers."""
    if fmt != "json":
        return None
    if is_number(value.get("_expire")) and is_number(value.get("_maxAge")):
        return "koa"
    cookie = value.get("cookie")
    if isinstance(cookie, dict) and cookie and "originalMaxAge" in cookie:
        first = next(iter(cookie))
        if first == "expires" or _FASTIFY_ONLY in cookie:
            return "fastify"
    return None


def fill(session: Session, attrs: Mapping[Any, Any], user_paths: Sequence[str]) -> None:
    """The session id (koa: the whole key, as its cookie holds it), the payload's expiry and
    @fastify/passport's user (after the user paths the caller configured, before the default
    app-level ones such as ``userId``)."""
    if session.framework == "koa":
        session.session_id = escape_key(session.key)
        session.payload_expires_at = epoch_ms(attrs.get("_expire"))
    elif session.framework == "fastify":
        cookie = attrs.get("cookie")
        if isinstance(cookie, dict):
            session.payload_expires_at = iso(cookie.get("expires"))
    else:
        return
    passport = passport_user(attrs)
    if session.user is None or (passport is not None and tuple(user_paths) == DEFAULT_USER_PATHS):
        session.user = passport or session.user


def passport_user(attrs: Mapping[Any, Any]) -> str | None:
    """@fastify/passport's ``passport`` value: the serialized user (an id, or an object with
    an id or name)."""
    value = attrs.get("passport")
    if isinstance(value, dict) and "user" in value:
        return None  # Passport's own layout: the configured user paths already looked
    return find_user({"passport": value}, ("passport",))
