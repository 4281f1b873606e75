"""MessagePack through the ``msgpack`` library, with safe limits and plain results.

* the timestamp extension (type -1) becomes an aware UTC datetime (a
  ``"msgpack.Timestamp"`` ObjectValue if it is outside datetime's range);
* other extension types become ``ObjectValue("msgpack.ExtType", {"code": n, "data": bytes})``;
* str values that are not UTF-8 make the whole value decode again with ``raw=True``, so every
  str and bin value is then ``bytes``;
* the input must be exactly one object.

:func:`parse_php` reads what PHP's msgpack extension (``msgpack.serialize`` and the
``msgpack`` session serialize handler) writes: its objects, references and ``Serializable``
payloads are maps whose first key is nil, see :func:`parse_php`.
"""

from __future__ import annotations

from typing import Any

import msgpack

from ._base import CodecError, ObjectValue, check_depth, hashable_key

__all__ = ["looks_php_session", "parse", "parse_php"]


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


# php-msgpack's markers: a map whose first key is nil holds a class name (an object) or one
# of these type numbers (msgpack_pack.h, MSGPACK_SERIALIZE_TYPE_*).
_PHP_REFERENCE = 1  # a PHP reference (&): the rest of the map is the referenced array
_PHP_RECURSIVE = 2  # a recursive reference: {0: slot}
_PHP_CUSTOM_OBJECT = 3  # Serializable: {Class: payload}
_PHP_OBJECT_REFERENCE = 4  # the same object again: {0: slot}


def looks_php_session(data: bytes) -> bool:
    """The msgpack session handler's output: ``$_SESSION`` is a reference, so the map starts
    with the nil => 1 marker."""
    if data[:1] and 0x81 <= data[0] <= 0x8F:
        return data[1:3] == b"\xc0\x01"
    return data[:1] == b"\xde" and data[3:5] == b"\xc0\x01"


def _php_mapping(pairs: list[tuple[Any, Any]]) -> Any:
    if not pairs or pairs[0][0] is not None:
        return _mapping(pairs)
    marker, rest = pairs[0][1], pairs[1:]
    if isinstance(marker, str | bytes) and not isinstance(marker, bool):
        name = marker.decode("utf-8", "replace") if isinstance(marker, bytes) else marker
        if len(rest) == 1 and rest[0][0] is None and isinstance(rest[0][1], dict):
            return ObjectValue(name, dict(rest[0][1]))  # __serialize(): nil => its array
        fields: dict[str, Any] = {}
        for key, value in rest:
            fields[_php_property(key, fields)] = value
        return ObjectValue(name, fields)
    if marker == _PHP_REFERENCE:
        return _mapping(rest)
    if marker in (_PHP_RECURSIVE, _PHP_OBJECT_REFERENCE) and len(rest) == 1:
        return ObjectValue("php.reference", {"slot": rest[0][1]})
    if marker == _PHP_CUSTOM_OBJECT and len(rest) == 1:
        name, payload = rest[0]
        return ObjectValue(str(name), {"__serialized__": payload})
    return _mapping(pairs)


def _php_property(key: Any, existing: dict[str, Any]) -> str:
    """PHP's mangled property names: ``\\0*\\0name`` (protected), ``\\0Class\\0name`` (private)."""
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    if text.startswith("\0"):
        owner, sep, plain = text[1:].partition("\0")
        if sep and plain:
            return plain if plain not in existing else f"{owner}::{plain}"
    return text


def _unpack_php(data: bytes, *, raw: bool) -> Any:
    return msgpack.unpackb(
        data, raw=raw, strict_map_key=False, timestamp=3, ext_hook=_ext_hook,
        object_pairs_hook=_php_mapping,
    )  # fmt: skip


def parse_php(data: bytes) -> Any:
    """Unpack PHP msgpack: objects become ``ObjectValue(class, properties)`` (``__serialize``
    data as the properties), references the value they hold (repeats as
    ``ObjectValue("php.reference", {"slot": n})``), ``Serializable`` payloads
    ``{"__serialized__": bytes}``; the empty ``$_SESSION`` (an empty array) becomes ``{}``.

    Raises:
        CodecError: malformed, truncated or trailing data, or nesting over the limit.
    """
    try:
        try:
            value = _unpack_php(data, raw=False)
        except UnicodeDecodeError:  # PHP strings are bytes: then every string is bytes
            value = _unpack_php(data, raw=True)
    except msgpack.ExtraData:
        raise CodecError("msgpack: trailing data after the object") from None
    except Exception as exc:  # the C unpacker raises assorted ValueError/TypeError types
        raise CodecError(f"msgpack: {exc}") from None
    if value == []:
        value = {}
    check_depth(value)
    return value
