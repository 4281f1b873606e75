"""The headless format of a session (``redis-tui sessions --json``)."""

from __future__ import annotations

from typing import Any

from redis_tui.data import codecs
from redis_tui.data.sessions.model import Session
from redis_tui.data.values.display import escape_key


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
        # The store's keys that point at the session (Spring's index keys), when loaded.
        "related": [{"key": escape_key(key), "what": what} for key, what in session.related],
    }
