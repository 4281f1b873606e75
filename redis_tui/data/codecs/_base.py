"""Types and helpers shared by every decoder in this package.

Kept apart from ``__init__`` so the format modules can import them without an import cycle;
``redis_tui.data.codecs`` re-exports the public names.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_OBJECTS",
    "CodecError",
    "Decoded",
    "ObjectValue",
    "Reader",
    "as_key",
    "check_depth",
    "hashable_key",
    "pretty",
    "text_or_bytes",
    "to_jsonable",
]

MAX_DEPTH = 200
"""Deepest nesting any decoder builds; deeper input is rejected, not recursed into."""

MAX_OBJECTS = 1_000_000
"""Containers one decode may create: a one-byte opcode can allocate a 64-byte dict, so without
a cap a 10 MB hostile payload could ask for gigabytes."""


class CodecError(ValueError):
    """The bytes are not valid in the requested format (or exceed a safety limit)."""


@dataclass(frozen=True)
class ObjectValue:
    """An object from pickle, PHP, Ruby or Java, described instead of instantiated.

    ``fields`` maps attribute names to values. What is not an attribute goes under a reserved
    key: ``"__args__"``/``"__kwargs__"`` (constructor arguments), ``"__state__"`` (non-dict
    pickle state), ``"__items__"``/``"__list__"``/``"__set__"`` (contents of dict, list and
    set subclasses), ``"__annotations__"`` (Java ``writeObject`` data), ``"__data__"`` (a
    custom serializer's payload, decoded), ``"__serialized__"``/``"__dump__"`` (the same,
    left raw) and ``"__enum__"`` (an enum case name). Not hashable, as ``fields`` is a dict.
    """

    class_name: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class Decoded:
    """Result of :func:`redis_tui.data.codecs.decode`.

    ``format`` names the innermost format; ``layers`` lists the wrappers removed to reach it,
    outermost first (for example ``("gzip",)`` or ``("php_string",)``).
    """

    format: str
    value: Any
    layers: tuple[str, ...] = ()


class Reader:
    """A bounds-checked cursor over bytes: every short read raises :class:`CodecError`."""

    __slots__ = ("_objects", "_what", "data", "pos")

    def __init__(self, data: bytes, what: str, pos: int = 0) -> None:
        self.data = data
        self.pos = pos
        self._what = what
        self._objects = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def error(self, reason: str, pos: int | None = None) -> CodecError:
        where = self.pos if pos is None else pos
        return CodecError(f"{self._what}: {reason} (at byte {where})")

    def take(self, n: int) -> bytes:
        # Checking the declared length against what is left keeps a forged 2**62 from
        # ever reaching an allocation.
        if n < 0:
            raise self.error(f"negative length {n}")
        if n > len(self.data) - self.pos:
            raise self.error(f"truncated: need {n} bytes, {self.remaining} left")
        start = self.pos
        self.pos = start + n
        return self.data[start : self.pos]

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.error("truncated: unexpected end of data")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def peek(self) -> int:
        """The next byte without consuming it, or -1 at the end."""
        return self.data[self.pos] if self.pos < len(self.data) else -1

    def uint(self, size: int, *, big: bool = True) -> int:
        return int.from_bytes(self.take(size), "big" if big else "little")

    def sint(self, size: int, *, big: bool = True) -> int:
        return int.from_bytes(self.take(size), "big" if big else "little", signed=True)

    def until(self, delimiter: bytes, *, limit: int | None = None) -> bytes:
        """Bytes up to ``delimiter`` (consumed, not returned)."""
        end = self.data.find(delimiter, self.pos)
        if end < 0:
            raise self.error(f"truncated: missing {delimiter!r}")
        if limit is not None and end - self.pos > limit:
            raise self.error(f"field longer than {limit} bytes")
        start = self.pos
        self.pos = end + len(delimiter)
        return self.data[start:end]

    def expect(self, literal: bytes) -> None:
        start = self.pos
        if self.take(len(literal)) != literal:
            raise self.error(f"expected {literal!r}", start)

    def count_object(self) -> None:
        self._objects += 1
        if self._objects > MAX_OBJECTS:
            raise self.error(f"more than {MAX_OBJECTS} objects")


def text_or_bytes(raw: bytes) -> str | bytes:
    """UTF-8 text when the bytes decode cleanly, else the bytes themselves."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


_SCALARS = (str, bytes, int, float, type(None), Decimal, dt.date, dt.time, dt.timedelta, complex)


def as_key(value: Any) -> Any:
    """``value`` itself when it can key a dict, else its ``hashable_key`` stand-in."""
    try:
        hash(value)
    except TypeError:
        return hashable_key(value)
    return value


def hashable_key(value: Any, _depth: int = 0) -> Hashable:
    """A hashable stand-in for a decoded mapping key or set member.

    Ruby, Java and PHP objects may key a hash by an array or an object; Python cannot, so
    sequences become tuples and objects a short text label. Equal input gives equal keys.
    """
    if isinstance(value, _SCALARS):
        return value
    if _depth > MAX_DEPTH:
        raise CodecError("key nested too deeply")
    if isinstance(value, list | tuple):
        return tuple(hashable_key(item, _depth + 1) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(hashable_key(item, _depth + 1) for item in value)
    if isinstance(value, dict):
        return tuple(
            (hashable_key(k, _depth + 1), hashable_key(v, _depth + 1)) for k, v in value.items()
        )
    if isinstance(value, ObjectValue):
        fields = json.dumps(to_jsonable(value.fields, max_nodes=200), ensure_ascii=False)
        return f"{value.class_name}{_shorten(fields, 200)}"
    return f"<{type(value).__name__}>"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CONTAINERS = (dict, list, tuple, set, frozenset, ObjectValue)
# Decoders build exactly these types (never subclasses), so the depth walk can test
# `type(x) in ...`, much cheaper per element than isinstance with a tuple.
_CONTAINER_TYPES = frozenset(_CONTAINERS)


def _children(value: Any) -> Iterable[Any]:
    if type(value) is dict:
        return [*value.keys(), *value.values()]
    if type(value) is ObjectValue:
        return value.fields.values()
    return value  # type: ignore[no-any-return]


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`CodecError` if ``value`` nests deeper than ``limit`` containers.

    References (pickle memo, PHP ``R:``, Ruby ``@``, Java handles) let a short input build a
    chain far deeper than its own syntax, so decoders call this on their result. Iterative,
    linear in the number of distinct containers, and tolerant of cycles.
    """
    containers = _CONTAINER_TYPES
    if type(value) not in containers:
        return
    # Height (longest chain of containers below) per finished container, so a node shared
    # by many parents is walked once; back edges to containers still open are cycles.
    heights: dict[int, int] = {}
    active: set[int] = {id(value)}
    stack: list[tuple[int, Iterator[Any], list[int]]] = [(id(value), iter(_children(value)), [0])]
    while stack:
        parent_id, children, best = stack[-1]
        for child in children:
            if type(child) not in containers:
                continue
            child_id = id(child)
            known = heights.get(child_id)
            if known is not None:
                if known > best[0]:
                    best[0] = known
                continue
            if child_id in active:
                continue
            if len(stack) >= limit:
                raise CodecError(f"nesting deeper than {limit} levels")
            active.add(child_id)
            stack.append((child_id, iter(_children(child)), [0]))
            break
        else:
            stack.pop()
            active.discard(parent_id)
            height = best[0] + 1
            if height > limit:
                raise CodecError(f"nesting deeper than {limit} levels")
            heights[parent_id] = height
            if stack:
                parent_best = stack[-1][2]
                if height > parent_best[0]:
                    parent_best[0] = height


# --------------------------------------------------------------------------- rendering

_RENDER_DEPTH = MAX_DEPTH + 8
_BIG_INT_BITS = 12_000  # ~3600 decimal digits, below Python's int->str safety limit


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def to_jsonable(value: Any, *, max_nodes: int = 1_000_000) -> Any:
    """A JSON-safe copy of a decoded value.

    datetimes become ISO-8601 strings, bytes a hex string, :class:`ObjectValue` a dict with a
    ``"__class__"`` entry, tuples and sets lists, non-string keys strings, and NaN/infinities
    strings. Cycles render as ``"<cycle>"``; past ``max_nodes`` containers and scalars the
    rest renders as ``"<truncated>"``, so shared references cannot blow up the output.
    """
    return _jsonable(value, _Budget(max_nodes), set(), 0)


def _jsonable(value: Any, budget: _Budget, active: set[int], depth: int) -> Any:
    budget.left -= 1
    if budget.left < 0:
        return "<truncated>"
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if value.bit_length() > _BIG_INT_BITS:
            return hex(value)
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | Decimal | complex):
        return str(value)
    if not isinstance(value, _CONTAINERS):
        return f"<{type(value).__name__}>"
    if id(value) in active:
        return "<cycle>"
    if depth >= _RENDER_DEPTH:
        return "<too deep>"
    active.add(id(value))
    try:
        if isinstance(value, ObjectValue):
            out: dict[str, Any] = {"__class__": value.class_name}
            for key, item in value.fields.items():
                name = key if key != "__class__" else "_" + key
                out[name] = _jsonable(item, budget, active, depth + 1)
            return out
        if isinstance(value, dict):
            return {
                _key_text(key, budget, active, depth): _jsonable(item, budget, active, depth + 1)
                for key, item in value.items()
            }
        return [_jsonable(item, budget, active, depth + 1) for item in value]
    finally:
        active.discard(id(value))


def _key_text(key: Any, budget: _Budget, active: set[int], depth: int) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    converted = _jsonable(key, budget, active, depth + 1)
    if isinstance(converted, str):
        return converted
    return json.dumps(converted, ensure_ascii=False)


# C1 controls (0x80-0x9f) include 8-bit CSI; surrogates cannot be encoded for the terminal.
_UNSAFE_CHARS = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def pretty(value: Any, indent: int = 2) -> str:
    """Readable multi-line JSON-like text for the UI; control characters are escaped."""
    text = json.dumps(to_jsonable(value), indent=indent, ensure_ascii=False)
    return _UNSAFE_CHARS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
