"""Java Object Serialization Stream (``ac ed 00 05``), read without a JVM.

Follows the grammar in the Java Object Serialization Specification, chapter 6: class
descriptors (fields, flags, annotations, superclass chain), objects, arrays, strings in
modified UTF-8, enums, classes, block data, handles (``TC_REFERENCE``) and ``TC_RESET``.

Objects become ``ObjectValue(class_name, fields)`` with the declared field values of every
class in the hierarchy; data a ``writeObject`` method wrote (``SC_WRITE_METHOD``) is kept in
``"__annotations__"`` (block data as bytes, objects as values). Nothing is instantiated.

Well-known classes become Python values: boxed ``java.lang`` numbers, booleans and characters;
``ArrayList``/``LinkedList``/``ArrayDeque`` -> list, ``HashMap``/``LinkedHashMap``/``TreeMap``/
``Hashtable``/``ConcurrentHashMap`` -> dict, ``HashSet``/``LinkedHashSet``/``TreeSet`` -> list,
``java.util.Date`` -> aware UTC datetime, ``BigInteger`` -> int, ``BigDecimal`` -> Decimal,
``UUID`` -> str, ``Collections$Unmodifiable*`` -> the wrapped collection, enums ->
``ObjectValue(enum_class, {"__enum__": name})``, ``byte[]`` -> bytes, other arrays -> list.

Spring Session keeps each attribute (``sessionAttr:*``, ``creationTime``...) as its own
stream, so ``creationTime`` decodes to an int and ``SPRING_SECURITY_CONTEXT`` to an object tree.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ._base import MAX_DEPTH, CodecError, ObjectValue, Reader, as_key, check_depth

__all__ = ["MAGIC", "parse"]

MAGIC = b"\xac\xed\x00\x05"

TC_NULL = 0x70
TC_REFERENCE = 0x71
TC_CLASSDESC = 0x72
TC_OBJECT = 0x73
TC_STRING = 0x74
TC_ARRAY = 0x75
TC_CLASS = 0x76
TC_BLOCKDATA = 0x77
TC_ENDBLOCKDATA = 0x78
TC_RESET = 0x79
TC_BLOCKDATALONG = 0x7A
TC_EXCEPTION = 0x7B
TC_LONGSTRING = 0x7C
TC_PROXYCLASSDESC = 0x7D
TC_ENUM = 0x7E
BASE_WIRE_HANDLE = 0x7E0000

SC_WRITE_METHOD = 0x01
SC_SERIALIZABLE = 0x02
SC_EXTERNALIZABLE = 0x04
SC_BLOCK_DATA = 0x08

# Primitive type codes -> (size, struct code).
_PRIMITIVES = {
    "B": (1, "b"),
    "C": (2, "H"),
    "D": (8, "d"),
    "F": (4, "f"),
    "I": (4, "i"),
    "J": (8, "q"),
    "S": (2, "h"),
    "Z": (1, "?"),
}
_SURROGATES = re.compile("[\ud800-\udfff]")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse(data: bytes) -> Any:
    """Read a serialization stream; one top-level object is returned as is, several (or
    top-level block data) as a list.

    Raises:
        CodecError: bad magic, malformed or truncated data, unsupported externalizable
            (protocol 1) data, nesting over the limit.
    """
    if not data.startswith(MAGIC):
        raise CodecError("java: missing ac ed 00 05 stream header")
    reader = _StreamReader(data)
    contents: list[Any] = []
    while not reader.r.at_end():
        if reader.r.peek() == TC_RESET:
            reader.r.byte()
            reader.reset()
            continue
        contents.append(reader.content(0))
    if not contents:
        raise CodecError("java: empty stream")
    result = contents[0] if len(contents) == 1 else contents
    check_depth(result)
    return result


class _ClassDesc:
    """A class descriptor; internal only, never part of a decoded value."""

    __slots__ = ("annotations", "fields", "flags", "name", "superclass")

    def __init__(self, name: str, flags: int = 0) -> None:
        self.name = name
        self.flags = flags
        self.fields: list[tuple[str, str]] = []  # (type code, field name)
        self.annotations: list[Any] = []
        self.superclass: _ClassDesc | None = None


class _StreamReader:
    def __init__(self, data: bytes) -> None:
        self.r = Reader(data, "java", pos=4)
        self.handles: list[Any] = []

    def new_handle(self, value: Any) -> tuple[list[Any], int]:
        self.handles.append(value)
        return self.handles, len(self.handles) - 1

    def set_handle(self, handle: tuple[list[Any], int], value: Any) -> None:
        # A TC_RESET inside the object's own data replaces the table; the old slot is gone.
        table, index = handle
        if table is self.handles:
            table[index] = value

    def reset(self) -> None:
        self.handles = []

    def reference(self) -> Any:
        start = self.r.pos
        handle = self.r.sint(4) - BASE_WIRE_HANDLE
        if not 0 <= handle < len(self.handles):
            raise self.r.error(f"unknown handle 0x{handle + BASE_WIRE_HANDLE:x}", start)
        return self.handles[handle]

    def utf(self, size: int) -> str:
        return _modified_utf8(self.r.take(size), self.r)

    # ------------------------------------------------------------------ contents

    def content(self, depth: int, *, block: bool = True) -> Any:
        """One ``content`` (an object, or block data as bytes when ``block``)."""
        r = self.r
        if depth > MAX_DEPTH:
            raise r.error(f"nesting deeper than {MAX_DEPTH} levels")
        start = r.pos
        tc = r.byte()
        while tc == TC_RESET:
            self.reset()
            tc = r.byte()
        if tc == TC_NULL:
            return None
        if tc == TC_REFERENCE:
            value = self.reference()
            if isinstance(value, _ClassDesc):
                return ObjectValue("java.io.ObjectStreamClass", {"name": value.name})
            return value
        if tc == TC_STRING:
            handle = self.new_handle(None)
            text = self.utf(r.uint(2))
            self.set_handle(handle, text)
            return text
        if tc == TC_LONGSTRING:
            handle = self.new_handle(None)
            text = self.utf(self.length(8))
            self.set_handle(handle, text)
            return text
        if tc == TC_OBJECT:
            return self.new_object(depth)
        if tc == TC_ARRAY:
            return self.new_array(depth)
        if tc == TC_ENUM:
            return self.new_enum(depth)
        if tc == TC_CLASS:
            desc = self.class_desc(depth + 1)
            result = ObjectValue("java.lang.Class", {"name": desc.name if desc else None})
            self.new_handle(result)
            return result
        if tc in (TC_CLASSDESC, TC_PROXYCLASSDESC):
            r.pos = start
            desc = self.class_desc(depth + 1)
            return ObjectValue("java.io.ObjectStreamClass", {"name": desc.name if desc else None})
        if tc in (TC_BLOCKDATA, TC_BLOCKDATALONG) and block:
            size = r.byte() if tc == TC_BLOCKDATA else self.length(4)
            return r.take(size)
        if tc == TC_EXCEPTION:
            self.reset()
            thrown = self.content(depth + 1, block=False)
            self.reset()
            return ObjectValue("java.io.WriteAbortedException", {"exception": thrown})
        raise r.error(f"unexpected type code 0x{tc:02x}", start)

    def length(self, size: int) -> int:
        start = self.r.pos
        value = self.r.sint(size)
        if value < 0 or value > self.r.remaining:
            raise self.r.error(f"length {value} exceeds the data", start)
        return value

    def annotations(self, depth: int) -> list[Any]:
        items: list[Any] = []
        while True:
            if self.r.peek() == TC_ENDBLOCKDATA:
                self.r.byte()
                return items
            items.append(self.content(depth + 1))

    # ------------------------------------------------------------------ class descriptors

    def class_desc(self, depth: int) -> _ClassDesc | None:
        r = self.r
        if depth > MAX_DEPTH:
            raise r.error(f"class hierarchy deeper than {MAX_DEPTH} levels")
        start = r.pos
        tc = r.byte()
        while tc == TC_RESET:
            self.reset()
            tc = r.byte()
        if tc == TC_NULL:
            return None
        if tc == TC_REFERENCE:
            value = self.reference()
            if not isinstance(value, _ClassDesc):
                raise r.error("handle does not refer to a class descriptor", start)
            return value
        if tc == TC_CLASSDESC:
            desc = _ClassDesc(self.utf(r.uint(2)))
            r.take(8)  # serialVersionUID
            self.new_handle(desc)
            desc.flags = r.byte()
            for _ in range(r.uint(2)):
                code = chr(r.byte())
                name = self.utf(r.uint(2))
                if code in "[L":
                    self.content(depth + 1, block=False)  # the field's type name, a String
                elif code not in _PRIMITIVES:
                    raise r.error(f"bad field type {code!r}")
                desc.fields.append((code, name))
            desc.annotations = self.annotations(depth)
            desc.superclass = self.class_desc(depth + 1)
            return desc
        if tc == TC_PROXYCLASSDESC:
            desc = _ClassDesc("java.lang.reflect.Proxy", SC_SERIALIZABLE)
            self.new_handle(desc)
            count = self.length(4)
            interfaces = [self.utf(r.uint(2)) for _ in range(count)]
            if interfaces:
                desc.name = "Proxy(" + ", ".join(interfaces) + ")"
            desc.annotations = self.annotations(depth)
            desc.superclass = self.class_desc(depth + 1)
            return desc
        raise r.error(f"expected a class descriptor, got 0x{tc:02x}", start)

    # ------------------------------------------------------------------ objects

    def new_object(self, depth: int) -> Any:
        r = self.r
        desc = self.class_desc(depth + 1)
        if desc is None:
            raise r.error("object with a null class descriptor")
        r.count_object()
        fields: dict[str, Any] = {}
        placeholder = ObjectValue(desc.name, fields)
        handle = self.new_handle(placeholder)
        # Collections that refer to themselves must see the final container, so it is
        # created (and handed out) before its contents are read, then filled in place.
        early: list[Any] | dict[Any, Any] | None = None
        if desc.name in _LISTS or desc.name in _SETS:
            early = []
        elif desc.name in _MAPS:
            early = {}
        if early is not None:
            self.set_handle(handle, early)
        # Class data is written from the topmost serializable superclass down.
        chain: list[_ClassDesc] = []
        seen: set[int] = set()
        current: _ClassDesc | None = desc
        while current is not None:
            if id(current) in seen or len(chain) >= MAX_DEPTH:
                raise r.error("cyclic or too deep superclass chain")
            seen.add(id(current))
            chain.append(current)
            current = current.superclass
        extra: list[Any] = []
        for level in reversed(chain):
            if level.flags & SC_EXTERNALIZABLE:
                if not level.flags & SC_BLOCK_DATA:
                    raise r.error(f"{level.name}: externalizable data in protocol 1 is opaque")
                extra += self.annotations(depth)
            elif level.flags & SC_SERIALIZABLE:
                for code, name in level.fields:
                    key = name if name not in fields else f"{level.name}.{name}"
                    fields[key] = self.field_value(code, depth)
                if level.flags & SC_WRITE_METHOD:
                    extra += self.annotations(depth)
        if extra:
            fields["__annotations__"] = extra
        result = _convert(desc, placeholder)
        if isinstance(early, list) and isinstance(result, list):
            early.extend(result)
            result = early
        elif isinstance(early, dict) and isinstance(result, dict):
            early.update(result)
            result = early
        self.set_handle(handle, result)
        return result

    def field_value(self, code: str, depth: int) -> Any:
        if code in ("L", "["):
            return self.content(depth + 1, block=False)
        size, fmt = _PRIMITIVES[code]
        value = struct.unpack(">" + fmt, self.r.take(size))[0]
        return chr(value) if code == "C" else value

    def new_array(self, depth: int) -> Any:
        r = self.r
        desc = self.class_desc(depth + 1)
        if desc is None or len(desc.name) < 2 or desc.name[0] != "[":
            raise r.error("array with a bad class descriptor")
        r.count_object()
        handle = self.new_handle(None)
        element = desc.name[1]
        size = self.length(4) if element not in _PRIMITIVES else r.sint(4)
        if size < 0:
            raise r.error(f"negative array length {size}")
        if element in _PRIMITIVES:
            width, fmt = _PRIMITIVES[element]
            raw = r.take(size * width)  # checked against the data before any allocation
            result: Any
            if element == "B":
                result = raw
            else:
                result = list(struct.unpack(f">{size}{fmt}", raw))
                if element == "C":
                    result = [chr(c) for c in result]
            self.set_handle(handle, result)
            return result
        items: list[Any] = []
        self.set_handle(handle, items)
        for _ in range(size):
            items.append(self.content(depth + 1, block=False))
        return items

    def new_enum(self, depth: int) -> ObjectValue:
        desc = self.class_desc(depth + 1)
        if desc is None:
            raise self.r.error("enum with a null class descriptor")
        handle = self.new_handle(None)
        constant = self.content(depth + 1, block=False)
        # Constants with a body are anonymous subclasses; name the enum type itself. The
        # walk is bounded: a forged stream can make the superclass chain a cycle.
        enum_desc = desc
        for _ in range(MAX_DEPTH):
            parent = enum_desc.superclass
            if parent is None or parent.name == "java.lang.Enum":
                break
            enum_desc = parent
        result = ObjectValue(enum_desc.name, {"__enum__": constant})
        self.set_handle(handle, result)
        return result


def _modified_utf8(raw: bytes, r: Reader) -> str:
    """Java's modified UTF-8: NUL as C0 80 and supplementary characters as surrogate pairs."""
    try:
        text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise r.error("string is not modified UTF-8") from None
    if _SURROGATES.search(text):
        # Join surrogate pairs into real characters; a lone surrogate becomes U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


# ---------------------------------------------------------------------- well-known classes

_BOXES = frozenset(
    f"java.lang.{name}"
    for name in ("Long", "Integer", "Short", "Byte", "Double", "Float", "Boolean", "Character")
)
_LISTS = frozenset(
    f"java.util.{name}"
    for name in (
        "ArrayList",
        "LinkedList",
        "ArrayDeque",
        "PriorityQueue",
        "concurrent.CopyOnWriteArrayList",
    )
)
_SETS = frozenset(f"java.util.{name}" for name in ("HashSet", "LinkedHashSet", "TreeSet"))
_MAPS = frozenset(
    f"java.util.{name}"
    for name in (
        "HashMap",
        "LinkedHashMap",
        "TreeMap",
        "Hashtable",
        "Properties",
        "WeakHashMap",
        "IdentityHashMap",
        "concurrent.ConcurrentHashMap",
        "concurrent.ConcurrentSkipListMap",
    )
)
_DATES = frozenset({"java.util.Date", "java.sql.Timestamp", "java.sql.Date"})
_WRAPPER_PREFIXES = (
    "java.util.Collections$Unmodifiable",
    "java.util.Collections$Synchronized",
    "java.util.Collections$Checked",
)


def _objects(annotations: list[Any]) -> list[Any]:
    """The object annotations, without the block data (sizes, capacities) between them."""
    return [item for item in annotations if not isinstance(item, bytes)]


def _convert(desc: _ClassDesc, obj: ObjectValue) -> Any:
    """The Python value for a well-known class, or ``obj`` itself."""
    name = desc.name
    fields = obj.fields
    annotations = fields.get("__annotations__", [])
    converter = _CONVERTERS.get(name)
    if converter is not None:
        try:
            result = converter(fields, annotations)
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            result = None
        if result is not None:
            return result
    if name in _BOXES and "value" in fields:
        return fields["value"]
    if name in _LISTS:
        return _objects(annotations)
    if name in _SETS:
        items = _objects(annotations)
        # TreeSet.writeObject writes its comparator (or null) before the elements.
        return items[1:] if name == "java.util.TreeSet" else items
    if name in _MAPS:
        items = _objects(annotations)
        if name == "java.util.concurrent.ConcurrentHashMap" and items[-2:] == [None, None]:
            items = items[:-2]  # its writeObject ends the entries with a null pair
        if len(items) % 2 == 0:
            return {as_key(items[i]): items[i + 1] for i in range(0, len(items), 2)}
    if name.startswith(_WRAPPER_PREFIXES):
        for inner in ("m", "list", "s", "ss", "sm", "c"):
            if inner in fields:
                return fields[inner]
    return obj


def _date(fields: dict[str, Any], annotations: list[Any]) -> Any:
    # Date.writeObject writes getTime() as one long of block data.
    blocks = [item for item in annotations if isinstance(item, bytes)]
    if blocks and len(blocks[0]) >= 8:
        millis = int.from_bytes(blocks[0][:8], "big", signed=True)
        return _EPOCH + dt.timedelta(milliseconds=millis)
    return None


def _big_integer(fields: dict[str, Any], annotations: list[Any]) -> Any:
    signum, magnitude = fields.get("signum"), fields.get("magnitude")
    if isinstance(signum, int) and isinstance(magnitude, bytes):
        return signum * int.from_bytes(magnitude, "big")
    return None


def _big_decimal(fields: dict[str, Any], annotations: list[Any]) -> Any:
    unscaled, scale = fields.get("intVal"), fields.get("scale")
    if isinstance(unscaled, int) and isinstance(scale, int):
        return Decimal(unscaled).scaleb(-scale)
    return None


def _uuid(fields: dict[str, Any], annotations: list[Any]) -> Any:
    high, low = fields.get("mostSigBits"), fields.get("leastSigBits")
    if isinstance(high, int) and isinstance(low, int):
        return str(uuid.UUID(int=(high & (2**64 - 1)) << 64 | (low & (2**64 - 1))))
    return None


def _vector(fields: dict[str, Any], annotations: list[Any]) -> Any:
    data, count = fields.get("elementData"), fields.get("elementCount")
    if isinstance(data, list) and isinstance(count, int):
        return data[:count]
    return None


def _arrays_list(fields: dict[str, Any], annotations: list[Any]) -> Any:
    data = fields.get("a")
    return data if isinstance(data, list) else None


_CONVERTERS: dict[str, Callable[[dict[str, Any], list[Any]], Any]] = {
    **dict.fromkeys(_DATES, _date),
    "java.math.BigInteger": _big_integer,
    "java.math.BigDecimal": _big_decimal,
    "java.util.UUID": _uuid,
    "java.util.Vector": _vector,
    "java.util.Stack": _vector,
    "java.util.Arrays$ArrayList": _arrays_list,
}
