"""Rails' ``ActionDispatch::Session::CacheStore``: the session hash inside an
``ActiveSupport::Cache::Entry`` (Marshal, zlib-compressed above the cache's threshold), under
``[<namespace>:]_session_id:2::<sha256 of the cookie's id>``. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from typing import Any

from redis_tui.data.codecs import rails_cache
from redis_tui.data.sessions.model import MAX_VALUE_BYTES, Session
from redis_tui.data.sessions.normalise import epoch

CACHE_ENTRY = "rails_cache_entry"
"""The layer name of a session kept in a Rails cache entry."""


class EntryValue(dict[Any, Any]):
    """The session hash of a cache entry, carrying the entry's times until :func:`fill`."""

    written_at: float | None = None
    expires_in: float | None = None


def unwrap(decoded: tuple[str, Any, tuple[str, ...]]) -> tuple[str, Any, tuple[str, ...]]:
    """``decoded`` (format, value, layers) with a cache entry replaced by the hash it holds
    (layers ``rails_cache_entry`` and, when it was compressed, ``zlib``). Raises CodecError
    when a compressed entry does not inflate."""
    fmt, value, layers = decoded
    if fmt != "ruby_marshal":
        return decoded
    entry = rails_cache.unwrap_entry(value, MAX_VALUE_BYTES * 8)
    if entry is None or not isinstance(entry.value, dict):
        return decoded
    inner = EntryValue(entry.value)
    inner.written_at, inner.expires_in = entry.created_at, entry.expires_in
    extra = (CACHE_ENTRY, "zlib") if entry.compressed else (CACHE_ENTRY,)
    return fmt, inner, layers + extra


def fill(session: Session, value: Any) -> None:
    """The entry's write time (each request rewrites it) and the expiry it states."""
    if not isinstance(value, EntryValue):
        return
    session.last_access_at = epoch(value.written_at)
    if session.last_access_at is not None and value.expires_in:
        session.payload_expires_at = session.last_access_at + dt.timedelta(seconds=value.expires_in)
    if session.data is value:
        session.data = dict(value)
