"""Ruby ``Marshal`` format 4.8, read without Ruby (no ``_load``/``marshal_load`` is run).

Mapping (type bytes from Ruby's ``marshal.c``):

* ``0 T F`` -> None/True/False; ``i`` fixnum and ``l`` bignum -> int; ``f`` -> float;
* ``"`` strings -> ``str`` when an ``E``/``encoding`` ivar names a text encoding, else
  ``bytes`` (ASCII-8BIT); ``:``/``;`` symbols -> ``str``;
* ``[`` -> list; ``{`` and ``}`` (hash with default, default dropped) -> dict, with array
  keys as tuples and object keys as text labels;
* ``o`` objects and ``S`` structs -> ``ObjectValue(class, fields)`` (``@`` stripped from
  ivar names); ``u`` (``_dump``) -> ``"__dump__"``; ``U`` (``marshal_dump``) and ``d`` ->
  ``"__data__"``; ``/`` -> ``ObjectValue("Regexp", ...)``; ``c``/``m`` -> Class/Module;
* ``e`` (extended) and ``C`` (subclass of String/Array/Hash) -> the underlying value, so
  ``ActiveSupport::HashWithIndifferentAccess`` is a dict, ``SafeBuffer`` a str;
* ``@`` object links share the earlier Python object.

Special cases: ``Time`` (its ``_dump`` packs UTC fields into 8 bytes) -> aware UTC datetime;
``BigDecimal`` -> Decimal; ``Date`` (marshal_dump ``[nth, jd, df, sf, of, sg]``) -> date.
Rails sessions (cookie or Redis store) are hashes of strings, arrays and flash objects.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ._base import (
    MAX_DEPTH,
    CodecError,
    ObjectValue,
    Reader,
    as_key,
    check_depth,
    text_or_bytes,
)

__all__ = ["MAGIC", "parse"]

MAGIC = b"\x04\x08"

# Ruby encoding names -> Python codecs, for strings tagged with an "encoding" ivar.
_ENCODINGS = {
    "utf-8": "utf-8",
    "us-ascii": "ascii",
    "iso-8859-1": "latin-1",
    "windows-1252": "cp1252",
    "shift_jis": "shift_jis",
    "windows-31j": "cp932",
    "euc-jp": "euc_jp",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "gbk": "gbk",
    "big5": "big5",
    "euc-kr": "euc_kr",
}

_FLOAT_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_HWIA = "ActiveSupport::HashWithIndifferentAccess"
_JD_TO_ORDINAL = 1721425  # Julian day number of 0000-12-31, Python's ordinal 0


def parse(data: bytes) -> Any:
    """Read a ``Marshal.dump`` (format 4.8) value that spans all of ``data``.

    Raises:
        CodecError: wrong version, malformed, truncated or trailing data, nesting over the limit.
    """
    if not data.startswith(MAGIC):
        raise CodecError("ruby_marshal: missing 04 08 version header")
    loader = _Loader(data)
    value = loader.value(0)
    if not loader.r.at_end():
        raise loader.r.error(f"{loader.r.remaining} bytes of trailing data")
    check_depth(value)
    return value


class _Loader:
    def __init__(self, data: bytes) -> None:
        self.r = Reader(data, "ruby_marshal", pos=2)
        self.symbols: list[str] = []
        self.objects: list[Any] = []

    # ------------------------------------------------------------------ primitives

    def long(self) -> int:
        """Ruby's compact integer: small values inline, else 1-4 little-endian bytes."""
        r = self.r
        c = r.byte()
        if c >= 128:
            c -= 256
        if c == 0:
            return 0
        if 4 < c < 128:
            return c - 5
        if -129 < c < -4:
            return c + 5
        if c > 0:
            return r.uint(c, big=False)
        size = -c
        return r.uint(size, big=False) - (1 << (8 * size))

    def size(self) -> int:
        start = self.r.pos
        value = self.long()
        # Each element or byte needs at least one byte of input.
        if value < 0 or value > self.r.remaining:
            raise self.r.error(f"length {value} exceeds the data", start)
        return value

    def bytes(self) -> bytes:
        return self.r.take(self.size())

    def register(self, value: Any) -> int:
        self.objects.append(value)
        return len(self.objects) - 1

    def symbol(self, depth: int) -> str:
        """A symbol where the grammar requires one (class and ivar names)."""
        r = self.r
        start = r.pos
        code = r.byte()
        if code == 0x3A:  # ':'
            return self.symbol_body(depth, ivars=False)
        if code == 0x3B:  # ';'
            return self.symlink()
        if code == 0x49 and r.byte() == 0x3A:  # 'I' ':'
            return self.symbol_body(depth, ivars=True)
        raise r.error("expected a symbol", start)

    def symbol_body(self, depth: int, *, ivars: bool) -> str:
        name = self.bytes().decode("utf-8", "replace")
        self.symbols.append(name)  # registered before its encoding ivars, as Ruby does
        if ivars:
            self.ivars(depth)
        return name

    def symlink(self) -> str:
        start = self.r.pos
        index = self.long()
        if not 0 <= index < len(self.symbols):
            raise self.r.error(f"symbol link {index} out of range", start)
        return self.symbols[index]

    def ivars(self, depth: int) -> dict[str, Any]:
        count = self.size()
        result: dict[str, Any] = {}
        for _ in range(count):
            name = self.symbol(depth)
            result[name] = self.value(depth + 1)
        return result

    # ------------------------------------------------------------------ values

    def value(self, depth: int, ivar: list[bool] | None = None) -> Any:
        """One object. ``ivar`` is Ruby's ``ivp``: set when an ``I`` wrapper's instance
        variables follow; handlers that must read them early clear it."""
        r = self.r
        if depth > MAX_DEPTH:
            raise r.error(f"nesting deeper than {MAX_DEPTH} levels")
        start = r.pos
        code = r.byte()
        if code == 0x30:  # '0'
            return None
        if code == 0x54:  # 'T'
            return True
        if code == 0x46:  # 'F'
            return False
        if code == 0x69:  # 'i'
            return self.long()
        if code == 0x3A:  # ':'
            pending = ivar is not None and ivar[0]
            if ivar is not None:
                ivar[0] = False
            return self.symbol_body(depth, ivars=pending)
        if code == 0x3B:  # ';'
            return self.symlink()
        if code == 0x40:  # '@'
            index = self.long()
            if not 0 <= index < len(self.objects):
                raise r.error(f"object link {index} out of range", start)
            return self.objects[index]
        if code == 0x49:  # 'I': the wrapped object has instance variables after it
            box = [True]
            first = len(self.objects)
            result = self.value(depth + 1, box)
            if box[0]:
                result = self.apply_ivars(result, self.ivars(depth), first)
            return result
        if code == 0x22:  # '"'
            raw = self.bytes()
            self.register(raw)
            return raw
        if code == 0x6C:  # 'l' bignum: sign, length in 16-bit words, little-endian
            sign = r.byte()
            words = self.size()
            magnitude = r.uint(2 * words, big=False)
            value = -magnitude if sign == 0x2D else magnitude
            self.register(value)
            return value
        if code == 0x66:  # 'f'
            return self.float()
        if code == 0x5B:  # '['
            return self.array(depth)
        if code in (0x7B, 0x7D):  # '{' and '}' (with default)
            return self.hash(depth, with_default=code == 0x7D)
        if code == 0x6F:  # 'o'
            return self.object(depth)
        if code == 0x53:  # 'S'
            return self.struct(depth)
        if code == 0x75:  # 'u'
            return self.user_defined(depth, ivar)
        if code == 0x55:  # 'U'
            return self.user_marshal(depth)
        if code == 0x64:  # 'd'
            name = self.symbol(depth)
            fields: dict[str, Any] = {}
            result = ObjectValue(name, fields)
            self.register(result)
            fields["__data__"] = self.value(depth + 1)
            return result
        if code == 0x2F:  # '/'
            return self.regexp(depth, ivar)
        if code in (0x63, 0x6D, 0x4D):  # 'c' class, 'm' module, 'M' old module
            name = self.bytes().decode("utf-8", "replace")
            kind = "Class" if code == 0x63 else "Module"
            result = ObjectValue(kind, {"name": name})
            self.register(result)
            return result
        if code == 0x65:  # 'e': extended by a module; the value is the object itself
            self.symbol(depth)
            return self.value(depth + 1, ivar)
        if code == 0x43:  # 'C': instance of a String/Array/Hash/Regexp subclass
            self.symbol(depth)
            return self.value(depth + 1)
        raise r.error(f"unknown type byte 0x{code:02x}", start)

    def apply_ivars(self, value: Any, ivars: dict[str, Any], first: int) -> Any:
        if isinstance(value, bytes):
            decoded = _decode_string(value, ivars)
            # The string registered itself as bytes; later "@" links must see the text.
            if first < len(self.objects) and self.objects[first] is value:
                self.objects[first] = decoded
            return decoded
        if isinstance(value, ObjectValue):
            for name, item in ivars.items():
                value.fields[name.lstrip("@")] = item
        return value

    def float(self) -> float:
        raw = self.bytes()
        text = raw.split(b"\0", 1)[0].decode("ascii", "replace")
        if text == "nan":
            value = float("nan")
        elif text in ("inf", "-inf") or _FLOAT_TEXT.match(text):
            value = float(text)
        else:
            raise self.r.error(f"bad float {text[:40]!r}")
        self.register(value)
        return value

    def array(self, depth: int) -> list[Any]:
        count = self.size()
        self.r.count_object()
        result: list[Any] = []
        self.register(result)
        for _ in range(count):
            result.append(self.value(depth + 1))
        return result

    def hash(self, depth: int, *, with_default: bool) -> dict[Any, Any]:
        count = self.size()
        self.r.count_object()
        result: dict[Any, Any] = {}
        self.register(result)
        for _ in range(count):
            key = self.value(depth + 1)
            result[as_key(key)] = self.value(depth + 1)
        if with_default:
            self.value(depth + 1)  # Hash.new(default): no place for it in a dict
        return result

    def object(self, depth: int) -> ObjectValue:
        name = self.symbol(depth)
        self.r.count_object()
        fields: dict[str, Any] = {}
        result = ObjectValue(name, fields)
        self.register(result)
        for ivar_name, item in self.ivars(depth).items():
            fields[ivar_name.lstrip("@")] = item
        return result

    def struct(self, depth: int) -> ObjectValue:
        name = self.symbol(depth)
        self.r.count_object()
        fields: dict[str, Any] = {}
        result = ObjectValue(name, fields)
        self.register(result)
        count = self.size()
        for _ in range(count):
            member = self.symbol(depth)
            fields[member] = self.value(depth + 1)
        return result

    def user_defined(self, depth: int, ivar: list[bool] | None) -> Any:
        name = self.symbol(depth)
        raw = self.bytes()
        ivars: dict[str, Any] = {}
        if ivar is not None and ivar[0]:
            # Ruby reads these into the dump string before calling _load, and registers the
            # loaded object only afterwards, so ivar values get the earlier link numbers.
            ivar[0] = False
            ivars = self.ivars(depth)
        result = _load_user_defined(name, raw, ivars)
        self.r.count_object()
        self.register(result)
        return result

    def user_marshal(self, depth: int) -> Any:
        name = self.symbol(depth)
        self.r.count_object()
        fields: dict[str, Any] = {}
        placeholder = ObjectValue(name, fields)
        index = self.register(placeholder)
        data = self.value(depth + 1)
        result = _load_user_marshal(name, data)
        if result is None:
            fields["__data__"] = data
            return placeholder
        self.objects[index] = result
        return result

    def regexp(self, depth: int, ivar: list[bool] | None) -> ObjectValue:
        index = self.register(None)
        raw = self.bytes()
        options = self.r.byte()
        source: str | bytes = raw
        if ivar is not None and ivar[0]:
            ivar[0] = False
            source = _decode_string(raw, self.ivars(depth))
        result = ObjectValue("Regexp", {"source": source, "options": options})
        self.objects[index] = result
        return result


def _decode_string(raw: bytes, ivars: dict[str, Any]) -> str | bytes:
    if "E" in ivars:
        # E true: UTF-8; E false: US-ASCII.
        if ivars["E"] is True:
            return text_or_bytes(raw)
        return raw.decode("ascii") if raw.isascii() else raw
    name = ivars.get("encoding")
    if isinstance(name, bytes | str):
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        codec = _ENCODINGS.get(text.lower())
        if codec is not None:
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                return raw
    return raw


def _load_user_defined(name: str, raw: bytes, ivars: dict[str, Any]) -> Any:
    if name == "Time":
        moment = _time(raw, ivars)
        if moment is not None:
            return moment
    elif name == "BigDecimal":
        # _dump is "<max precision>:<value>", e.g. "18:0.125e1".
        _, _, text = raw.decode("ascii", "replace").partition(":")
        try:
            return Decimal(text)
        except InvalidOperation:
            pass
    fields: dict[str, Any] = {"__dump__": text_or_bytes(raw)}
    for ivar_name, item in ivars.items():
        fields[ivar_name.lstrip("@")] = item
    return ObjectValue(name, fields)


def _time(raw: bytes, ivars: dict[str, Any]) -> dt.datetime | None:
    """Decode ``Time#_dump``: two little-endian 32-bit words of broken-down UTC time."""
    if len(raw) != 8:
        return None
    p = int.from_bytes(raw[:4], "little")
    s = int.from_bytes(raw[4:], "little")
    try:
        if not p & (1 << 31):  # pre-1.9 layout: seconds and microseconds since the epoch
            epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
            return epoch + dt.timedelta(seconds=p, microseconds=s)
        year = (p >> 14 & 0xFFFF) + 1900
        if isinstance(ivars.get("year"), int):
            year = ivars["year"]  # years past 1900+0xffff are stored separately
        return dt.datetime(
            year,
            (p >> 10 & 0xF) + 1,
            p >> 5 & 0x1F,
            p & 0x1F,
            s >> 26 & 0x3F,
            s >> 20 & 0x3F,
            s & 0xFFFFF,
            tzinfo=dt.UTC,
        )
    except (ValueError, OverflowError):
        return None


def _load_user_marshal(name: str, data: Any) -> Any:
    if name == _HWIA and isinstance(data, dict):
        return data
    if name == "Date" and isinstance(data, list) and len(data) == 6:
        nth, jd = data[0], data[1]
        if nth == 0 and isinstance(jd, int) and 0 < jd - _JD_TO_ORDINAL <= dt.date.max.toordinal():
            return dt.date.fromordinal(jd - _JD_TO_ORDINAL)
    return None
