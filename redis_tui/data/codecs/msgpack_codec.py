"""MessagePack through the ``msgpack`` library, with safe limits and plain results.

* the timestamp extension (type -1) becomes an aware UTC datetime (a
  ``"msgpack.Timestamp"`` ObjectValue if it is outside datetime's range);
* other extension types become ``ObjectValue("msgpack.ExtType", {"code": n, "data": bytes})``;
* str values that are not UTF-8 make the whole value decode again with ``raw=True``, so every
  str and bin value is then ``bytes``;
* the input must be exactly one object.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ._base import CodecError, ObjectValue, check_depth, hashable_key

__all__ = ["parse"]


def _ext_hook(code: int, data: bytes) -> ObjectValue:
    return ObjectValue("msgpack.ExtType", {"code": code, "data": data})


def _unpack(data: bytes, *, raw: bool, timestamp: int) -> Any:
    # unpackb caps every declared str/bin/array/map/ext length at len(data), so a forged
    # 2**32 length is refused before anything is allocated.
    return msgpack.unpackb(
        data,
        raw=raw,
        strict_map_key=False,
        timestamp=timestamp,
        ext_hook=_ext_hook,
        object_pairs_hook=_mapping,
    )


def _mapping(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    # Keys may be arrays or maps (valid msgpack, unhashable in Python).
    result: dict[Any, Any] = {}
    for key, value in pairs:
        try:
            hash(key)
        except TypeError:
            key = hashable_key(key)
        result[key] = value
    return result


def _timestamp_objects(value: Any, depth: int = 0) -> Any:
    """Replace msgpack.Timestamp instances (out-of-range datetimes) by ObjectValues."""
    if depth > 256:
        raise CodecError("msgpack: nesting too deep")
    if isinstance(value, msgpack.Timestamp):
        return ObjectValue(
            "msgpack.Timestamp", {"seconds": value.seconds, "nanoseconds": value.nanoseconds}
        )
    if isinstance(value, list):
        return [_timestamp_objects(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {
            _timestamp_objects(k, depth + 1): _timestamp_objects(v, depth + 1)
            for k, v in value.items()
        }
    return value


def parse(data: bytes) -> Any:
    """Unpack exactly one MessagePack object.

    Raises:
        CodecError: malformed, truncated or trailing data, or nesting over the limit.
    """
    try:
        value = _decode(data)
    except msgpack.ExtraData:
        raise CodecError("msgpack: trailing data after the object") from None
    except CodecError:
        raise
    except Exception as exc:  # the C unpacker raises assorted ValueError/TypeError types
        raise CodecError(f"msgpack: {exc}") from None
    check_depth(value)
    return value


def _decode(data: bytes) -> Any:
    try:
        return _unpack(data, raw=False, timestamp=3)
    except UnicodeDecodeError:
        pass
    except OverflowError:  # a timestamp outside datetime's range
        try:
            return _timestamp_objects(_unpack(data, raw=False, timestamp=0))
        except UnicodeDecodeError:
            pass
    # Some str is not UTF-8: decode again with every str (and bin) as bytes.
    try:
        return _unpack(data, raw=True, timestamp=3)
    except OverflowError:
        return _timestamp_objects(_unpack(data, raw=True, timestamp=0))
