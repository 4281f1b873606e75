"""The headless format of a session (``redis-tui sessions --json``)."""

from __future__ import annotations

import json
from typing import Any

from redis_tui.data import codecs
from redis_tui.data.sessions.model import Session
from redis_tui.data.values.display import escape_key


def to_json(session: Session) -> dict[str, Any]:
    """The headless format: one JSON-safe object per session."""
    out = _fields(session)
    out["data"] = codecs.to_jsonable(session.data, max_nodes=200_000)
    out["related"] = _related(session)
    return out


def to_json_line(session: Session) -> str:
    """:func:`to_json` as one line of JSON text. Data straight from a JSON payload is written
    as it is (no copy through ``to_jsonable``); what JSON cannot hold as is (datetimes,
    bytes, objects, NaN) takes the general path."""
    if session.format == "json" and type(session.data) is dict:
        fast = _fields(session)
        fast["data"] = session.data
        fast["related"] = _related(session)
        try:
            return json.dumps(fast, ensure_ascii=False, allow_nan=False) + "\n"
        except (TypeError, ValueError):
            pass
    return json.dumps(to_json(session), ensure_ascii=False) + "\n"


def _fields(session: Session) -> dict[str, Any]:
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
    }


def _related(session: Session) -> list[dict[str, str]]:
    # The store's keys that point at the session (Spring's index keys), when loaded.
    return [{"key": escape_key(key), "what": what} for key, what in session.related]
