"""igbinary (the PHP extension's compact binary serializer), format versions 1 and 2.

Type codes, the string table and the reference table follow ``src/php7/igbinary.c``:

* header ``00 00 00 02`` (or ``01``), then one value, then nothing;
* integers are sign + magnitude (``long8p``/``long8n`` ... ``long64n``), doubles big-endian;
* every new string (values, keys, class names) joins a table that later ``string_id`` codes
  index, so repeated strings are written once;
* every array and object, and every scalar wrapped in ``ref`` (0x25), joins a reference table
  that ``ref8..32``/``objref8..32`` index. An object's property array does not.

Values map like :mod:`.php`: arrays -> dict, objects -> ``ObjectValue``, ``Serializable``
payloads -> ``"__data__"`` (when they parse as ``serialize()``) or ``"__serialized__"``.
PHP's ``igbinary`` session handler stores the session as one array, so it decodes to a dict.
"""

from __future__ import annotations

import struct
from typing import Any

from . import php
from ._base import MAX_DEPTH, CodecError, ObjectValue, Reader, check_depth, text_or_bytes

__all__ = ["MAGIC", "parse"]

MAGIC = b"\x00\x00\x00\x02"
_MAGIC_V1 = b"\x00\x00\x00\x01"

_NULL = 0x00
_REF8, _REF16, _REF32 = 0x01, 0x02, 0x03
_FALSE, _TRUE = 0x04, 0x05
_LONG8P, _LONG8N, _LONG16P, _LONG16N, _LONG32P, _LONG32N = 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B
_DOUBLE = 0x0C
_STRING_EMPTY = 0x0D
_STRING_ID8, _STRING_ID16, _STRING_ID32 = 0x0E, 0x0F, 0x10
_STRING8, _STRING16, _STRING32 = 0x11, 0x12, 0x13
_ARRAY8, _ARRAY16, _ARRAY32 = 0x14, 0x15, 0x16
_OBJECT8, _OBJECT16, _OBJECT32 = 0x17, 0x18, 0x19
_OBJECT_ID8, _OBJECT_ID16, _OBJECT_ID32 = 0x1A, 0x1B, 0x1C
_OBJECT_SER8, _OBJECT_SER16, _OBJECT_SER32 = 0x1D, 0x1E, 0x1F
_LONG64P, _LONG64N = 0x20, 0x21
_OBJREF8, _OBJREF16, _OBJREF32 = 0x22, 0x23, 0x24
_REF = 0x25

# Width in bytes of the number that follows each sized type code.
_WIDTH = {
    _REF8: 1, _REF16: 2, _REF32: 4, _OBJREF8: 1, _OBJREF16: 2, _OBJREF32: 4,
    _LONG8P: 1, _LONG8N: 1, _LONG16P: 2, _LONG16N: 2, _LONG32P: 4, _LONG32N: 4,
    _LONG64P: 8, _LONG64N: 8,
    _STRING_ID8: 1, _STRING_ID16: 2, _STRING_ID32: 4, _STRING8: 1, _STRING16: 2, _STRING32: 4,
    _ARRAY8: 1, _ARRAY16: 2, _ARRAY32: 4, _OBJECT8: 1, _OBJECT16: 2, _OBJECT32: 4,
    _OBJECT_ID8: 1, _OBJECT_ID16: 2, _OBJECT_ID32: 4,
    _OBJECT_SER8: 1, _OBJECT_SER16: 2, _OBJECT_SER32: 4,
}  # fmt: skip
_NEGATIVE = frozenset({_LONG8N, _LONG16N, _LONG32N, _LONG64N})
_LONGS = frozenset({_LONG8P, _LONG8N, _LONG16P, _LONG16N, _LONG32P, _LONG32N, _LONG64P, _LONG64N})
_STRING_IDS = frozenset({_STRING_ID8, _STRING_ID16, _STRING_ID32})
_STRINGS = frozenset({_STRING8, _STRING16, _STRING32})
_ARRAYS = frozenset({_ARRAY8, _ARRAY16, _ARRAY32})
_SCALARS = (
    frozenset({_NULL, _FALSE, _TRUE, _DOUBLE, _STRING_EMPTY}) | _LONGS | _STRING_IDS | _STRINGS
)

_DOUBLE_BE = struct.Struct(">d")


def parse(data: bytes) -> Any:
    """Read an igbinary value that spans all of ``data``.

    Raises:
        CodecError: bad header, malformed, truncated or trailing data, nesting over the limit.
    """
    if not data.startswith((MAGIC, _MAGIC_V1)) or len(data) < 5:
        raise CodecError("igbinary: missing 00 00 00 01/02 header")
    parser = _Parser(data)
    value = parser.value(0)
    if not parser.r.at_end():
        raise parser.r.error(f"{parser.r.remaining} bytes of trailing data")
    check_depth(value)
    return value


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.r = Reader(data, "igbinary", pos=4)
        self.strings: list[str | bytes] = []
        self.refs: list[Any] = []

    def number(self, code: int) -> int:
        return self.r.uint(_WIDTH[code])

    def value(self, depth: int) -> Any:
        r = self.r
        if depth > MAX_DEPTH:
            raise r.error(f"nesting deeper than {MAX_DEPTH} levels")
        start = r.pos
        code = r.byte()
        if code == _NULL:
            return None
        if code == _FALSE:
            return False
        if code == _TRUE:
            return True
        if code in _LONGS:
            magnitude = self.number(code)
            return -magnitude if code in _NEGATIVE else magnitude
        if code == _DOUBLE:
            return _DOUBLE_BE.unpack(r.take(8))[0]
        if code in _STRING_IDS or code in _STRINGS or code == _STRING_EMPTY:
            return self.string(code)
        if code in _ARRAYS:
            return self.array(code, depth)
        if _OBJECT8 <= code <= _OBJECT_ID32:
            return self.object(code, depth)
        if _REF8 <= code <= _REF32 or _OBJREF8 <= code <= _OBJREF32:
            index = self.number(code)
            if index >= len(self.refs):
                raise r.error(f"reference {index} to an unknown value", start)
            return self.refs[index]
        if code == _REF:
            # A PHP reference (&$x). Arrays and objects are already in the table; a scalar
            # joins it now, after being read, exactly as the C reader does.
            inner_code = r.peek()
            result = self.value(depth + 1)
            if inner_code in _SCALARS:
                self.refs.append(result)
            return result
        raise r.error(f"unknown type 0x{code:02x}", start)

    def string(self, code: int) -> str | bytes:
        if code == _STRING_EMPTY:
            return ""
        if code in _STRING_IDS:
            start = self.r.pos
            index = self.number(code)
            if index >= len(self.strings):
                raise self.r.error(f"string id {index} out of range", start)
            return self.strings[index]
        size = self.number(code)
        value = text_or_bytes(self.r.take(size))
        self.strings.append(value)
        return value

    def count(self, code: int) -> int:
        size = self.number(code)
        # Each element needs at least one byte; a larger count is a forged length.
        if size > self.r.remaining:
            raise self.r.error(f"element count {size} exceeds the data")
        return size

    def key(self) -> int | str | bytes | None:
        """An array key; None for the ``null`` placeholder that has no value after it."""
        r = self.r
        start = r.pos
        code = r.byte()
        if code == _NULL:
            return None
        if code in _LONGS:
            magnitude = self.number(code)
            return -magnitude if code in _NEGATIVE else magnitude
        if code in _STRING_IDS or code in _STRINGS or code == _STRING_EMPTY:
            return self.string(code)
        raise r.error(f"bad array key type 0x{code:02x}", start)

    def array(self, code: int, depth: int) -> dict[Any, Any]:
        size = self.count(code)
        self.r.count_object()
        result: dict[Any, Any] = {}
        self.refs.append(result)
        self.fill(result, size, depth)
        return result

    def fill(self, target: dict[Any, Any], size: int, depth: int) -> None:
        for _ in range(size):
            key = self.key()
            if key is None:
                continue  # a skipped (unset) entry: the C reader does the same
            target[key] = self.value(depth + 1)

    def object(self, code: int, depth: int) -> ObjectValue:
        r = self.r
        if code <= _OBJECT32:
            size = self.number(code)
            name = text_or_bytes(r.take(size))
            self.strings.append(name)
        else:
            name = self.string(code - _OBJECT_ID8 + _STRING_ID8)  # same widths as string ids
        class_name = name if isinstance(name, str) else name.decode("utf-8", "replace")
        r.count_object()
        fields: dict[str, Any] = {}
        result = ObjectValue(class_name, fields)
        self.refs.append(result)
        start = r.pos
        inner = r.byte()
        if inner in _ARRAYS:
            size = self.count(inner)
            props: dict[Any, Any] = {}
            self.fill(props, size, depth)
            for key, value in props.items():
                fields[php._property_name(key, fields)] = value
        elif _OBJECT_SER8 <= inner <= _OBJECT_SER32:
            payload = r.take(self.number(inner))
            fields.update(_serialized_payload(payload, depth))
        else:
            raise r.error(f"bad object body type 0x{inner:02x}", start)
        return result


def _serialized_payload(payload: bytes, depth: int) -> dict[str, Any]:
    # Serializable::serialize() output is opaque but is usually serialize() of an array.
    # The nested parse continues this depth count so the two together stay bounded.
    if php.looks_serialized(payload):
        nested = php._Parser(payload, list_arrays=False)
        try:
            inner = nested.value(depth + 1)
        except CodecError:
            pass
        else:
            if nested.r.at_end():
                return {"__data__": inner}
    return {"__serialized__": text_or_bytes(payload)}
