"""Spring Session's bookkeeping beside its session hashes, and who a Spring session belongs to.

``RedisIndexedSessionRepository`` keeps, for a hash ``<ns>:sessions:<id>`` (``<ns>`` is any
namespace, ``spring:session`` by default):

* ``<ns>:sessions:expires:<id>``: an empty string whose expiry fires the session's events;
* ``<ns>:index:<PRINCIPAL_NAME_INDEX_NAME>:<principal>``: a set of the principal's session ids;
* ``<ns>:expirations:<ms>``: a set of ``expires:<id>`` for the sessions expiring in the minute
  before ``<ms>``.

Set members go through the repository's value serializer (JDK serialization by default, so a
serialized ``java.lang.String``). None of these keys is a session: :func:`not_a_session` says
so for the marker (sets are never read as sessions), and :func:`fill_related` names the ones
that point at a loaded session (bounded: three commands per Spring session, one round trip).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from redis_tui.data.codecs import ObjectValue
from redis_tui.data.sessions.model import DEFAULT_USER_PATHS, Session
from redis_tui.data.sessions.users import find_user

PRINCIPAL_NAME_INDEX_NAME = (
    "org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME"
)
_MARKER = re.compile(rb"(?:\A|:)sessions:expires:[^:]+\Z")
_SESSION_KEY = re.compile(rb"(.*)sessions:([^:]+)\Z", re.DOTALL)
_JDK_MAGIC = b"\xac\xed\x00\x05"
_TC_STRING = 0x74


def not_a_session(key: bytes, raw: bytes) -> bool:
    """Spring's expires marker (``…sessions:expires:<id>``, an empty string), whatever the
    namespace."""
    return not raw and _MARKER.search(key) is not None


def principal_name(attrs: Mapping[Any, Any]) -> str | None:
    """What Spring's ``PrincipalNameIndexResolver`` indexes: the ``PRINCIPAL_NAME_INDEX_NAME``
    attribute, else ``SPRING_SECURITY_CONTEXT``'s ``authentication.name`` (a UserDetails'
    username, a Principal's name, or the principal itself when it is a string)."""
    named = attrs.get(PRINCIPAL_NAME_INDEX_NAME)
    if isinstance(named, str) and named:
        return named
    context = attrs.get("SPRING_SECURITY_CONTEXT")
    if not isinstance(context, ObjectValue):
        return None
    auth = context.fields.get("authentication")
    if not isinstance(auth, ObjectValue):
        return None
    principal = auth.fields.get("principal")
    if isinstance(principal, str):
        return principal or None
    if isinstance(principal, ObjectValue):
        for field in ("username", "name", "subject"):
            found = principal.fields.get(field)
            if isinstance(found, str) and found:
                return found
    return None


def spring_user(attrs: Mapping[Any, Any], user_paths: Sequence[str]) -> str | None:
    """The principal, unless the caller configured its own user paths (those come first)."""
    by_paths = find_user(attrs, user_paths)
    principal = principal_name(attrs)
    if tuple(user_paths) != DEFAULT_USER_PATHS:
        return by_paths or principal
    return principal or by_paths


def jdk_string(text: str) -> bytes | None:
    """``ObjectOutputStream.writeObject(text)``: a TC_STRING in modified UTF-8."""
    out = bytearray()
    for char in text:
        code = ord(char)
        if code == 0:
            out += b"\xc0\x80"
        elif code > 0xFFFF:  # a surrogate pair, three bytes each
            code -= 0x10000
            for unit in (0xD800 | (code >> 10), 0xDC00 | (code & 0x3FF)):
                out += chr(unit).encode("utf-8", "surrogatepass")
        else:
            out += char.encode("utf-8", "surrogatepass")
    if len(out) > 0xFFFF:
        return None
    return _JDK_MAGIC + bytes([_TC_STRING]) + len(out).to_bytes(2, "big") + bytes(out)


def _member(session: Session, text: str) -> bytes | None:
    """A set member as the repository's value serializer writes ``text``."""
    if session.format == "json":
        return json.dumps(text).encode("utf-8")
    return jdk_string(text)


def related_probes(session: Session) -> list[tuple[str, bytes, bytes | None, str]]:
    """(command, key, member, what) for the bookkeeping keys that may name ``session``."""
    if session.framework != "spring" or session.redis_type != "hash":
        return []
    match = _SESSION_KEY.fullmatch(session.key)
    if match is None or match[2] == b"expires":
        return []
    ns, sid = match[1], match[2]
    sid_text = sid.decode("utf-8", "replace")
    probes: list[tuple[str, bytes, bytes | None, str]] = [
        ("EXISTS", ns + b"sessions:expires:" + sid, None, "expires marker"),
    ]
    attrs = session.data if isinstance(session.data, dict) else {}
    principal = principal_name(attrs)
    member = _member(session, sid_text)
    if principal is not None and member is not None:
        index = ns + b"index:" + PRINCIPAL_NAME_INDEX_NAME.encode() + b":" + principal.encode()
        probes.append(("SISMEMBER", index, member, f"principal index of {principal}"))
    expiry = session.payload_expires_at
    expires_member = _member(session, "expires:" + sid_text)
    if expiry is not None and expires_member is not None:
        ms = round(expiry.timestamp() * 1000)
        bucket = (ms // 60_000 + 1) * 60_000  # RedisSessionExpirationPolicy.roundUpToNextMinute
        when = dt.datetime.fromtimestamp(bucket / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        probes.append(("SISMEMBER", ns + b"expirations:" + str(bucket).encode(), expires_member,
                       f"expirations bucket {when} UTC"))  # fmt: skip
    return probes


async def fill_related(client: aioredis.Redis, sessions: Sequence[Session]) -> None:
    """Set ``related`` on the Spring sessions of ``sessions``: one pipelined round trip of at
    most three commands per session, none when there is no Spring session."""
    plans = [(s, related_probes(s)) for s in sessions]
    plans = [(s, probes) for s, probes in plans if probes]
    if not plans:
        return
    pipe = client.pipeline(transaction=False)
    for _, probes in plans:
        for command, key, member, _what in probes:
            if member is None:
                pipe.execute_command(command, key)
            else:
                pipe.execute_command(command, key, member)
    replies = await pipe.execute(raise_on_error=False)
    at = 0
    for session, probes in plans:
        answers = replies[at : at + len(probes)]
        at += len(probes)
        session.related = [
            (key, what)
            for (_c, key, _m, what), reply in zip(probes, answers, strict=True)
            if reply == 1
        ]
