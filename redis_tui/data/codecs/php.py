"""PHP ``serialize()`` and session formats: a reader and a writer for plain data.

Reading follows ``ext/standard/var_unserializer.re``: ``N;``, ``b:``, ``i:``, ``d:``,
``s:LEN:"..."`` (LEN counts bytes), ``S:`` (escaped string), ``a:`` arrays, ``O:`` objects,
``C:`` custom-serialized objects, ``E:`` enums and the ``r:``/``R:`` back-references.

* arrays become dicts with int or str keys (``list_arrays=True`` turns arrays keyed exactly
  ``0..n-1`` into lists; an empty array then becomes ``[]``);
* strings become ``str`` when the bytes are UTF-8, else ``bytes``;
* objects become ``ObjectValue(class, props)`` with private/protected name mangling removed,
  ``C:`` objects carry ``"__data__"`` (their payload, when it parses) or ``"__serialized__"``,
  enums carry ``"__enum__"``;
* references share the Python object they point to (so cycles are possible).

Sessions: :func:`parse_session` reads the ``php`` handler format (``name|<value>name2|...``);
the ``php_serialize`` handler is a plain serialized array, read by :func:`parse`.

Writing (:func:`serialize`, :func:`serialize_session`) covers None/bool/int/float/str/bytes/
list/tuple/dict (and ``ObjectValue`` as public properties), producing what PHP produces for
the same data, so ``parse(serialize(x)) == x`` for dicts of those types and
``serialize(parse(b)) == b`` for plain data written by PHP. Known gaps: lists come back as
dicts unless ``list_arrays=True``; floats follow ``serialize_precision=-1`` (shortest
round-trip digits, ``1.0E+25`` style exponents), which is PHP >= 7.1's default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._base import MAX_DEPTH, CodecError, ObjectValue, Reader, check_depth, text_or_bytes

__all__ = [
    "looks_serialized",
    "looks_session",
    "parse",
    "parse_session",
    "serialize",
    "serialize_session",
]

_INT = re.compile(rb"[-+]?[0-9]+\Z")
_FLOAT = re.compile(rb"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|-?INF|NAN)\Z")
# Token heads matched in place with compiled patterns: the parser's hot path on large values.
_INT_TOKEN = re.compile(rb":([-+]?[0-9]{1,40});")
_STRING_HEAD = re.compile(rb':([0-9]{1,19}):"')
_COUNT_HEAD = re.compile(rb":([0-9]{1,19}):\{")
_SERIALIZED = re.compile(
    rb"(?:N;|b:[01];|i:[-+]?\d+;|d:[-+0-9.EINFA]+;|[sS]:\d+:\"|a:\d+:\{|[OCE]:\d+:\")"
)
_SESSION = re.compile(rb"[^|!;:\"{}\s]{1,256}\|(?:N;|[bid]:[-+0-9.]|[sSaOCEr]:\d|R:\d)")


def looks_serialized(data: bytes) -> bool:
    """Whether ``data`` starts like a ``serialize()`` value and ends like one."""
    return bool(_SERIALIZED.match(data)) and data.endswith((b";", b"}"))


def looks_session(data: bytes) -> bool:
    """Whether ``data`` starts like the ``php`` session handler format."""
    return bool(_SESSION.match(data)) and data.endswith((b";", b"}"))


def parse(data: bytes, *, list_arrays: bool = False) -> Any:
    """Read one ``serialize()`` value that spans all of ``data``.

    Raises:
        CodecError: malformed, truncated or trailing data, or nesting over the limit.
    """
    parser = _Parser(data, list_arrays)
    value = parser.value(0)
    if not parser.r.at_end():
        raise parser.r.error(f"{parser.r.remaining} bytes of trailing data")
    check_depth(value)
    return value


def parse_session(data: bytes, *, list_arrays: bool = False) -> dict[str, Any]:
    """Read the ``php`` session handler format: ``name|<serialized>`` repeated.

    Raises:
        CodecError: malformed or truncated data.
    """
    parser = _Parser(data, list_arrays)
    r = parser.r
    result: dict[str, Any] = {}
    while not r.at_end():
        name = r.until(b"|", limit=4096).decode("utf-8", "replace")
        if name.startswith("!"):
            # PHP 5 marked unset variables as "!name|" with no value after the bar.
            continue
        # One reference table spans the whole session, as in php_session_decode.
        result[name] = parser.value(0)
    check_depth(result)
    return result


class _Parser:
    def __init__(self, data: bytes, list_arrays: bool) -> None:
        self.r = Reader(data, "php")
        self.list_arrays = list_arrays
        # Slot n (1-based in the format) is the n-th value read, keys excluded; "R:" values
        # take no slot of their own.
        self.slots: list[Any] = []

    def value(self, depth: int, *, slot: bool = True) -> Any:
        r = self.r
        if depth > MAX_DEPTH:
            raise r.error(f"nesting deeper than {MAX_DEPTH} levels")
        start = r.pos
        tag = r.byte()
        index = -1
        if slot and tag != 0x52:  # 'R'
            index = len(self.slots)
            self.slots.append(None)
        if tag == 0x4E:  # N
            r.expect(b";")
            result: Any = None
        elif tag == 0x62:  # b
            r.expect(b":")
            flag = r.until(b";", limit=1)
            if flag not in (b"0", b"1"):
                raise r.error("boolean must be 0 or 1", start)
            result = flag == b"1"
        elif tag == 0x69:  # i
            result = self.int_token()
        elif tag == 0x64:  # d
            r.expect(b":")
            result = self.double()
        elif tag == 0x73:  # s
            result = text_or_bytes(self.string_body())
        elif tag == 0x53:  # S
            result = text_or_bytes(self.escaped_body())
        elif tag == 0x61:  # a
            result = self.array(depth, index)
        elif tag == 0x4F:  # O
            result = self.object(depth, index)
        elif tag == 0x43:  # C
            result = self.custom(depth)
        elif tag == 0x45:  # E
            result = self.enum()
        elif tag in (0x72, 0x52):  # r / R
            number = self.int_token()
            if not 1 <= number <= len(self.slots) or (tag == 0x72 and number - 1 == index):
                raise r.error(f"reference {number} to an unknown value", start)
            result = self.slots[number - 1]
        else:
            raise r.error(f"unknown type {chr(tag)!r}", start)
        if index >= 0:
            self.slots[index] = result
        return result

    def int_token(self) -> int:
        """``:<digits>;`` after an ``i``, ``r`` or ``R`` tag."""
        r = self.r
        match = _INT_TOKEN.match(r.data, r.pos)
        if match is None:
            raise r.error("bad integer")
        r.pos = match.end()
        return int(match[1])

    def integer(self, terminator: bytes) -> int:
        start = self.r.pos
        text = self.r.until(terminator, limit=40)
        if not _INT.match(text):
            raise self.r.error(f"bad integer {text!r}", start)
        return int(text)

    def length(self) -> int:
        r = self.r
        r.expect(b":")
        start = r.pos
        value = self.integer(b":")
        if value < 0 or value > r.remaining:
            raise r.error(f"length {value} exceeds the data", start)
        return value

    def double(self) -> float:
        start = self.r.pos
        text = self.r.until(b";", limit=400)
        if not _FLOAT.match(text):
            raise self.r.error(f"bad float {text[:40]!r}", start)
        return float(text)

    def string_body(self) -> bytes:
        """``:<len>:"<len bytes>";`` after an ``s`` tag."""
        r = self.r
        data = r.data
        match = _STRING_HEAD.match(data, r.pos)
        if match is None:
            raise r.error("bad string header")
        start = match.end()
        end = start + int(match[1])  # no allocation: the slice below is bounded by the data
        if data[end : end + 2] != b'";':
            if end + 2 > len(data):
                raise r.error("truncated string", start)
            raise r.error("string length does not end at '\";'", start)
        r.pos = end + 2
        return data[start:end]

    def escaped_body(self) -> bytes:
        # "S:" strings (APC, old sessions) escape bytes as \xx; LEN counts decoded bytes.
        r = self.r
        size = self.length()
        r.expect(b'"')
        out = bytearray()
        for _ in range(size):
            byte = r.byte()
            if byte == 0x5C:  # backslash
                digits = r.take(2)
                try:
                    byte = int(digits, 16)
                except ValueError:
                    raise r.error("bad escape in S: string") from None
            out.append(byte)
        r.expect(b'";')
        return bytes(out)

    def key(self) -> int | str | bytes:
        r = self.r
        start = r.pos
        tag = r.peek()
        if tag == 0x69:  # i
            r.pos += 1
            return self.int_token()
        if tag == 0x73:  # s
            r.pos += 1
            return text_or_bytes(self.string_body())
        if tag == 0x53:  # S
            r.pos += 1
            return text_or_bytes(self.escaped_body())
        raise r.error("array key must be an int or a string", start)

    def count(self) -> int:
        """``:<n>:{`` after an ``a`` or an object's class name."""
        r = self.r
        match = _COUNT_HEAD.match(r.data, r.pos)
        if match is None:
            raise r.error("bad element count")
        value = int(match[1])
        r.pos = match.end()
        # Every element takes at least 4 bytes ("i:0;"), so a larger count cannot be real.
        if value > r.remaining:
            raise r.error(f"element count {value} exceeds the data")
        return value

    def array(self, depth: int, index: int) -> Any:
        r = self.r
        size = self.count()
        r.count_object()
        result: dict[Any, Any] = {}
        if index >= 0:
            self.slots[index] = result  # children may refer back to their parent
        for _ in range(size):
            key = self.key()
            result[key] = self.value(depth + 1)
        r.expect(b"}")
        if self.list_arrays and all(k == i for i, k in enumerate(result)):
            return list(result.values())
        return result

    def class_name(self) -> str:
        r = self.r
        size = self.length()
        r.expect(b'"')
        raw = r.take(size)
        r.expect(b'"')
        return raw.decode("utf-8", "replace")

    def object(self, depth: int, index: int) -> ObjectValue:
        r = self.r
        name = self.class_name()
        size = self.count()
        r.count_object()
        fields: dict[str, Any] = {}
        result = ObjectValue(name, fields)
        if index >= 0:
            self.slots[index] = result
        for _ in range(size):
            key = self.key()
            value = self.value(depth + 1)
            fields[_property_name(key, fields)] = value
        r.expect(b"}")
        return result

    def custom(self, depth: int) -> ObjectValue:
        r = self.r
        name = self.class_name()
        size = self.length()
        r.expect(b"{")
        payload = r.take(size)
        r.expect(b"}")
        r.count_object()
        # Serializable::serialize() output is opaque, but it is usually serialize() of an
        # array; show that structure when it parses cleanly.
        if payload and looks_serialized(payload):
            nested = _Parser(payload, self.list_arrays)
            try:
                inner = nested.value(depth + 1)
            except CodecError:
                pass
            else:
                if nested.r.at_end():
                    return ObjectValue(name, {"__data__": inner})
        return ObjectValue(name, {"__serialized__": text_or_bytes(payload)})

    def enum(self) -> ObjectValue:
        r = self.r
        size = self.length()
        r.expect(b'"')
        raw = r.take(size).decode("utf-8", "replace")
        r.expect(b'";')
        class_name, sep, case = raw.partition(":")
        if not sep:
            raise r.error(f"bad enum {raw[:40]!r}")
        r.count_object()
        return ObjectValue(class_name, {"__enum__": case})


def _property_name(key: int | str | bytes, existing: dict[str, Any]) -> str:
    """Strip PHP's mangling: ``\\0*\\0name`` (protected), ``\\0Class\\0name`` (private)."""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    elif isinstance(key, int):
        return str(key)
    if key.startswith("\0"):
        owner, sep, plain = key[1:].partition("\0")
        if sep and plain:
            if plain not in existing:
                return plain
            return f"{owner}::{plain}"  # a parent's private property of the same name
    return key


# ---------------------------------------------------------------------- writer


def serialize(value: Any) -> bytes:
    """``serialize()`` for plain data, matching PHP's output byte for byte.

    Raises:
        TypeError: a value with no PHP equivalent (sets, datetimes, ...).
        CodecError: nesting deeper than the limit (or a cycle).
    """
    out = bytearray()
    _write(out, value, 0)
    return bytes(out)


def serialize_session(session: Mapping[str, Any]) -> bytes:
    """The ``php`` session handler format for ``session`` (``name|<serialized>...``)."""
    out = bytearray()
    for name, value in session.items():
        if not isinstance(name, str) or "|" in name or name.startswith("!"):
            raise CodecError(f"invalid session variable name {name!r}")
        out += name.encode("utf-8")
        out += b"|"
        _write(out, value, 0)
    return bytes(out)


def _write(out: bytearray, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CodecError(f"nesting deeper than {MAX_DEPTH} levels (or a cycle)")
    if value is None:
        out += b"N;"
    elif isinstance(value, bool):
        out += b"b:1;" if value else b"b:0;"
    elif isinstance(value, int):
        out += b"i:%d;" % value
    elif isinstance(value, float):
        out += b"d:" + format_float(value).encode("ascii") + b";"
    elif isinstance(value, str):
        _write_string(out, value.encode("utf-8"))
    elif isinstance(value, bytes | bytearray):
        _write_string(out, bytes(value))
    elif isinstance(value, list | tuple):
        out += b"a:%d:{" % len(value)
        for i, item in enumerate(value):
            out += b"i:%d;" % i
            _write(out, item, depth + 1)
        out += b"}"
    elif isinstance(value, Mapping):
        out += b"a:%d:{" % len(value)
        for key, item in value.items():
            _write_key(out, key)
            _write(out, item, depth + 1)
        out += b"}"
    elif isinstance(value, ObjectValue):
        _write_object(out, value, depth)
    else:
        raise TypeError(f"cannot serialize {type(value).__name__} for PHP")


def _write_string(out: bytearray, raw: bytes) -> None:
    out += b's:%d:"' % len(raw)
    out += raw
    out += b'";'


def _write_key(out: bytearray, key: Any) -> None:
    if isinstance(key, bool | int):
        out += b"i:%d;" % key
    elif isinstance(key, str):
        _write_string(out, key.encode("utf-8"))
    elif isinstance(key, bytes):
        _write_string(out, key)
    else:
        raise TypeError(f"PHP array keys are int or str, not {type(key).__name__}")


def _write_object(out: bytearray, value: ObjectValue, depth: int) -> None:
    name = value.class_name.encode("utf-8")
    if set(value.fields) == {"__enum__"} and isinstance(value.fields["__enum__"], str):
        body = name + b":" + value.fields["__enum__"].encode("utf-8")
        out += b'E:%d:"' % len(body) + body + b'";'
        return
    out += b'O:%d:"' % len(name) + name + b'":%d:{' % len(value.fields)
    for key, item in value.fields.items():
        _write_key(out, key)
        _write(out, item, depth + 1)
    out += b"}"


def format_float(value: float) -> str:
    """A float as PHP >= 7.1 writes it (``serialize_precision = -1``).

    Mirrors ``zend_gcvt`` in mode 0: the shortest digits that round-trip (the same digits
    Python's ``repr`` picks); plain notation while the decimal point position ``decpt``
    (``value = 0.DIGITS * 10**decpt``) is within ``-3..17``, else ``D.DDDE+X``. So
    ``0.1 -> "0.1"``, ``1.0 -> "1"``, ``1e25 -> "1.0E+25"``, ``1e-5 -> "1.0E-5"``.
    """
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    # Decimal point position as zend_dtoa reports it: value = 0.DIGITS * 10**decpt.
    decpt = len(digit_tuple) + exponent
    if decpt > 17 or decpt < -3:
        exp = decpt - 1
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"{sign}{mantissa}E{'+' if exp >= 0 else '-'}{abs(exp)}"
    if decpt <= 0:
        return f"{sign}0.{'0' * -decpt}{digits}"
    if len(digits) <= decpt:
        return sign + digits + "0" * (decpt - len(digits))
    return f"{sign}{digits[:decpt]}.{digits[decpt:]}"
