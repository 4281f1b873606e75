"""ActiveSupport cache entries: what ``Rails.cache`` (``RedisCacheStore``, ``MemCacheStore``...)
stores around a value, read without Ruby.

Rails 6.1's stores write ``Marshal.dump(ActiveSupport::Cache::Entry)``: ivars ``@value``,
``@version``, ``@created_at`` (epoch float), ``@expires_in`` (seconds, float or nil). When the
Marshal of the value reaches the store's ``compress_threshold`` (1 KB by default), ``@value``
is ``Zlib::Deflate.deflate(Marshal.dump(value))`` and ``@compressed`` is true. Rails'
``ActionDispatch::Session::CacheStore`` keeps each session hash in such an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import compression, ruby_marshal
from ._base import CodecError, ObjectValue

__all__ = ["ENTRY_CLASS", "CacheEntry", "unwrap_entry"]

ENTRY_CLASS = "ActiveSupport::Cache::Entry"


@dataclass(frozen=True)
class CacheEntry:
    """The cached value and the entry's bookkeeping."""

    value: Any
    compressed: bool
    created_at: float | None
    expires_in: float | None


def unwrap_entry(value: Any, max_output: int) -> CacheEntry | None:
    """The entry ``value`` (a decoded Marshal) describes, or None if it is not one.

    Raises:
        CodecError: a compressed value that does not inflate (within ``max_output``) to a
            Marshal stream.
    """
    if not isinstance(value, ObjectValue) or value.class_name != ENTRY_CLASS:
        return None
    fields = value.fields
    if "value" not in fields:
        return None
    inner = fields["value"]
    compressed = fields.get("compressed") is True
    if compressed:
        if not isinstance(inner, bytes):
            raise CodecError(f"{ENTRY_CLASS}: compressed value is not a byte string")
        inner = ruby_marshal.parse(compression.unzlib(inner, max_output))
    return CacheEntry(inner, compressed, _number(fields.get("created_at")),
                      _number(fields.get("expires_in")))  # fmt: skip


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
