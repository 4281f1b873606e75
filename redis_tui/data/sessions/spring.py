"""Spring Session hashes: ``spring:session:sessions:<id>`` with ``creationTime``,
``lastAccessedTime``, ``maxInactiveInterval`` and one ``sessionAttr:<name>`` field per
attribute, each value JDK-serialized (or JSON with a JSON serializer). The user is Spring
Security's principal (see :mod:`.stores_jvm`); the indexed repository's other keys are there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from redis_tui.data import codecs
from redis_tui.data.codecs import CodecError
from redis_tui.data.sessions.hints import framework_hint, session_id_of
from redis_tui.data.sessions.model import Session
from redis_tui.data.sessions.normalise import epoch_ms, is_number, normalise
from redis_tui.data.sessions.stores_jvm import spring_user
from redis_tui.data.values.display import escape_key

SPRING_META = frozenset({b"creationTime", b"lastAccessedTime", b"maxInactiveInterval"})


def detect_spring(
    key: bytes, fields: Mapping[bytes, bytes], user_paths: Sequence[str], assume: bool
) -> Session | None:
    names = set(fields)
    is_spring = bool(SPRING_META & names) or any(n.startswith(b"sessionAttr:") for n in names)
    if not is_spring:
        if framework_hint(key) != "spring" and not assume:
            return None
        framework = "spring" if framework_hint(key) == "spring" else "unknown"
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
    session.created_at = epoch_ms(meta.get("creationTime"))
    session.last_access_at = epoch_ms(meta.get("lastAccessedTime"))
    inactive = meta.get("maxInactiveInterval")
    if is_number(inactive) and inactive > 0 and session.last_access_at is not None:
        session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=inactive)
    data = normalise(attrs)
    session.data = data
    session.user = spring_user(data, user_paths)
    session.refusal = "Spring session attributes are edited as hash fields, not supported here"
    return session


def _hash_size(fields: Mapping[bytes, bytes]) -> int:
    return sum(len(k) + len(v) for k, v in fields.items())
