"""A restricted pickle interpreter that builds plain data and never runs anything.

``pickle.loads`` executes the program a pickle contains: any ``GLOBAL`` can name any callable
and ``REDUCE`` calls it. This module interprets the same opcodes (protocols 0-5) but only
*describes* what they would do:

* ``GLOBAL``/``STACK_GLOBAL`` push a reference ``ObjectValue("pickle.global", {"name": ...})``
  and import nothing;
* ``REDUCE``/``NEWOBJ``/``INST``/``OBJ`` produce ``ObjectValue(class_name, fields)`` with the
  arguments under ``"__args__"``, and ``BUILD`` merges the state into ``fields``;
* a few value types whose pickled state is plain data are rebuilt for real by parsing that
  state: ``datetime.datetime``/``date``/``time``/``timedelta``/``timezone``, ``decimal.Decimal``,
  ``collections.OrderedDict``/``defaultdict``/``Counter`` (as dicts), sets, ``bytes``,
  ``bytearray`` (as bytes) and ``complex``;
* ``PERSID``/``BINPERSID`` and the extension registry are recorded, not resolved.

The opcodes that name and call things hand over to :mod:`.pickle_objects`, which builds these
descriptions (and the rebuilt values).

Django (``PickleSerializer``), Flask-Session and django-redis values decode to dicts.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import Any

from . import pickle_objects as objects
from ._base import (
    MAX_DEPTH,
    ObjectValue,
    Reader,
    check_depth,
    hashable_key,
    text_or_bytes,
)

__all__ = ["parse"]

HIGHEST_PROTOCOL = 5
_LINE_LIMIT = 1 << 16  # text-protocol lines (names, numbers); real ones are short

_FLOAT = struct.Struct(">d")

# Python 2 str literals, as protocol 0 STRING writes them. Decoded here rather than with
# codecs.escape_decode, which warns (and fails under -W error) on unknown escapes.
_STRING_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    b"\\": b"\\",
    b"'": b"'",
    b'"': b'"',
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
    b"\n": b"",
}


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match[1]
    if code[0] == 0x78:  # x
        return bytes([int(code[1:], 16)])
    if code[0] in b"01234567":
        return bytes([int(code, 8) & 0xFF])
    return _SIMPLE_ESCAPES.get(code, b"\\" + code)  # unknown escapes stay literal


def parse(data: bytes) -> Any:
    """Interpret a pickle (protocols 0-5) without executing it.

    Raises:
        CodecError: malformed, truncated or trailing data, or a structure over the limits.
    """
    return _Machine(data).run()


class _Machine:
    def __init__(self, data: bytes) -> None:
        self.r = Reader(data, "pickle")
        self.stack: list[Any] = []
        self.metastack: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        # Global references are ObjectValues recognised by identity; `keep` holds them (and
        # tall tuples) alive so an id is never reused for another object mid-run.
        self.globals: dict[int, str] = {}
        self.heights: dict[int, int] = {}
        self.keep: list[Any] = []
        self.dispatch = self._dispatch_table()

    # ------------------------------------------------------------------ driver

    def run(self) -> Any:
        r = self.r
        data = r.data
        size = len(data)
        dispatch = self.dispatch
        while True:
            # The opcode fetch is inlined: it runs once per opcode, millions of times.
            pos = r.pos
            if pos >= size:
                raise r.error("truncated: no STOP opcode")
            code = data[pos]
            r.pos = pos + 1
            if code == 0x2E:  # STOP
                break
            handler = dispatch.get(code)
            if handler is None:
                raise r.error(f"unknown opcode 0x{code:02x}", r.pos - 1)
            handler()
        result = self.pop()
        if not r.at_end():
            raise r.error(f"{r.remaining} bytes of trailing data after STOP")
        check_depth(result)
        return result

    def _dispatch_table(self) -> dict[int, Callable[[], None]]:
        table: dict[str | int, Callable[[], None]] = {
            "(": self.op_mark,
            "0": self.op_pop,
            "1": self.op_pop_mark,
            "2": self.op_dup,
            "F": self.op_float,
            "G": self.op_binfloat,
            "I": self.op_int,
            "J": lambda: self.stack.append(self.r.sint(4, big=False)),
            "K": lambda: self.stack.append(self.r.byte()),
            "M": lambda: self.stack.append(self.r.uint(2, big=False)),
            "L": self.op_long,
            0x8A: lambda: self.op_binlong(self.r.byte()),
            0x8B: lambda: self.op_binlong(self.length(4)),
            "N": lambda: self.stack.append(None),
            0x88: lambda: self.stack.append(True),
            0x89: lambda: self.stack.append(False),
            "S": self.op_string,
            "T": lambda: self.stack.append(text_or_bytes(self.r.take(self.length(4)))),
            "U": lambda: self.stack.append(text_or_bytes(self.r.take(self.r.byte()))),
            "V": self.op_unicode,
            "X": lambda: self.stack.append(self.utf8(self.r.take(self.length(4)))),
            0x8C: lambda: self.stack.append(self.utf8(self.r.take(self.r.byte()))),
            0x8D: lambda: self.stack.append(self.utf8(self.r.take(self.length(8)))),
            "B": lambda: self.stack.append(self.r.take(self.length(4))),
            "C": lambda: self.stack.append(self.r.take(self.r.byte())),
            0x8E: lambda: self.stack.append(self.r.take(self.length(8))),
            0x96: lambda: self.stack.append(self.r.take(self.length(8))),
            0x97: self.op_next_buffer,
            0x98: lambda: None,  # READONLY_BUFFER: bytes are already immutable
            "]": lambda: self.stack.append(self.new([])),
            "}": lambda: self.stack.append(self.new({})),
            ")": lambda: self.stack.append(()),
            0x8F: lambda: self.stack.append(self.new(set())),
            "l": lambda: self.push(self.new(self.pop_mark())),  # push: pop_mark swaps self.stack
            "t": lambda: self.push(self.make_tuple(self.pop_mark())),
            0x85: lambda: self.stack.append(self.make_tuple(self.pop_n(1))),
            0x86: lambda: self.stack.append(self.make_tuple(self.pop_n(2))),
            0x87: lambda: self.stack.append(self.make_tuple(self.pop_n(3))),
            "d": self.op_dict,
            0x91: self.op_frozenset,
            "a": self.op_append,
            "e": self.op_appends,
            "s": self.op_setitem,
            "u": self.op_setitems,
            0x90: self.op_additems,
            "g": lambda: self.op_get(self.line_int()),
            "h": lambda: self.op_get(self.r.byte()),
            "j": lambda: self.op_get(self.r.uint(4, big=False)),
            "p": lambda: self.op_put(self.line_int()),
            "q": lambda: self.op_put(self.r.byte()),
            "r": lambda: self.op_put(self.r.uint(4, big=False)),
            0x94: lambda: self.op_put(len(self.memo)),
            "c": self.op_global,
            0x93: self.op_stack_global,
            "R": self.op_reduce,
            "b": self.op_build,
            "i": self.op_inst,
            "o": self.op_obj,
            0x81: self.op_newobj,
            0x92: self.op_newobj_ex,
            "P": lambda: self.stack.append(self.persistent(self.text_line())),
            "Q": lambda: self.stack.append(self.persistent(self.pop())),
            0x82: lambda: self.stack.append(self.extension(self.r.byte())),
            0x83: lambda: self.stack.append(self.extension(self.r.uint(2, big=False))),
            0x84: lambda: self.stack.append(self.extension(self.r.sint(4, big=False))),
            0x80: self.op_proto,
            0x95: self.op_frame,
        }
        return {(ord(k) if isinstance(k, str) else k): v for k, v in table.items()}

    # ------------------------------------------------------------------ stack helpers

    def push(self, value: Any) -> None:
        self.stack.append(value)

    def pop(self) -> Any:
        if not self.stack:
            raise self.r.error("stack underflow")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack:
            raise self.r.error("stack underflow")
        return self.stack[-1]

    def pop_n(self, n: int) -> list[Any]:
        if len(self.stack) < n:
            raise self.r.error("stack underflow")
        items = self.stack[-n:]
        del self.stack[-n:]
        return items

    def pop_mark(self) -> list[Any]:
        if not self.metastack:
            raise self.r.error("no MARK on the stack")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def new(self, container: Any) -> Any:
        self.r.count_object()
        return container

    def length(self, size: int) -> int:
        value = self.r.sint(size, big=False)
        if value < 0:
            raise self.r.error(f"negative length {value}")
        return value

    def text_line(self) -> str:
        raw = self.r.until(b"\n", limit=_LINE_LIMIT)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.r.error("line is not UTF-8") from None

    def line_int(self) -> int:
        text = self.text_line()
        try:
            return int(text)
        except ValueError:
            raise self.r.error(f"bad integer {text[:40]!r}") from None

    def utf8(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise self.r.error("string is not UTF-8") from None

    def key(self, value: Any) -> Any:
        """``value`` if usable as a dict key or set member, else a hashable stand-in."""
        try:
            hash(value)
        except TypeError:
            return hashable_key(value)
        return value

    def height(self, value: Any) -> int:
        if isinstance(value, tuple | frozenset):
            return self.heights.get(id(value), 1)
        return 0

    def make_tuple(self, items: list[Any]) -> tuple[Any, ...]:
        result = tuple(items)
        self.track_height(result, items)
        return result

    def track_height(self, result: Any, items: list[Any]) -> None:
        # Tuples and frozensets are hashed and compared recursively in C; a chain of them
        # built with TUPLE1 could be deep enough to crash the interpreter, so cap it here.
        height = 1 + max((self.height(item) for item in items), default=0)
        if height > MAX_DEPTH:
            raise self.r.error(f"tuples nested deeper than {MAX_DEPTH} levels")
        if height > 1:
            self.heights[id(result)] = height
            self.keep.append(result)

    # ------------------------------------------------------------------ opcodes

    def op_mark(self) -> None:
        if len(self.metastack) >= MAX_DEPTH:
            raise self.r.error(f"MARKs nested deeper than {MAX_DEPTH}")
        self.metastack.append(self.stack)
        self.stack = []

    def op_pop(self) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self.pop_mark()

    def op_pop_mark(self) -> None:
        self.pop_mark()

    def op_dup(self) -> None:
        self.push(self.top())

    def op_float(self) -> None:
        text = self.text_line()
        try:
            self.push(float(text))
        except ValueError:
            raise self.r.error(f"bad float {text[:40]!r}") from None

    def op_binfloat(self) -> None:
        self.push(_FLOAT.unpack(self.r.take(8))[0])

    def op_int(self) -> None:
        text = self.text_line()
        if text == "00":
            self.push(False)
        elif text == "01":
            self.push(True)
        else:
            self.push(self.parse_int(text))

    def op_long(self) -> None:
        text = self.text_line()
        self.push(self.parse_int(text[:-1] if text.endswith("L") else text))

    def parse_int(self, text: str) -> int:
        try:
            return int(text)  # int() refuses more than ~4300 digits, bounding the work
        except ValueError:
            raise self.r.error(f"bad integer {text[:40]!r}") from None

    def op_binlong(self, size: int) -> None:
        self.push(int.from_bytes(self.r.take(size), "little", signed=True))

    def op_string(self) -> None:
        raw = self.r.until(b"\n")
        if len(raw) < 2 or raw[0] != raw[-1] or raw[:1] not in (b"'", b'"'):
            raise self.r.error("STRING argument is not quoted")
        body = raw[1:-1]
        if (len(body) - len(body.rstrip(b"\\"))) % 2:  # an odd run of trailing backslashes
            raise self.r.error("STRING ends inside an escape")
        self.push(text_or_bytes(_STRING_ESCAPE.sub(_unescape, body)))

    def op_unicode(self) -> None:
        raw = self.r.until(b"\n")
        try:
            self.push(raw.decode("raw-unicode-escape"))
        except UnicodeDecodeError:
            raise self.r.error("bad escape in UNICODE") from None

    def op_next_buffer(self) -> None:
        raise self.r.error("out-of-band buffers (NEXT_BUFFER) are not available")

    def op_dict(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise self.r.error("DICT needs key/value pairs")
        result = self.new({})
        for i in range(0, len(items), 2):
            result[self.key(items[i])] = items[i + 1]
        self.push(result)

    def op_frozenset(self) -> None:
        items = self.pop_mark()
        result = frozenset(self.key(item) for item in items)
        self.track_height(result, items)
        self.push(self.new(result))

    def op_append(self) -> None:
        value = self.pop()
        self.extend(self.top(), [value])

    def op_appends(self) -> None:
        items = self.pop_mark()
        self.extend(self.top(), items)

    def extend(self, target: Any, items: list[Any]) -> None:
        if isinstance(target, list):
            target.extend(items)
        elif isinstance(target, ObjectValue):  # a list subclass: keep the items visible
            target.fields.setdefault("__list__", []).extend(items)
        else:
            raise self.r.error(f"cannot append to {type(target).__name__}")

    def op_setitem(self) -> None:
        value = self.pop()
        key = self.pop()
        self.set_items(self.top(), [key, value])

    def op_setitems(self) -> None:
        items = self.pop_mark()
        if len(items) % 2:
            raise self.r.error("SETITEMS needs key/value pairs")
        self.set_items(self.top(), items)

    def set_items(self, target: Any, items: list[Any]) -> None:
        if isinstance(target, ObjectValue):  # a dict subclass
            target = target.fields.setdefault("__items__", {})
        if not isinstance(target, dict):
            raise self.r.error(f"cannot set items on {type(target).__name__}")
        for i in range(0, len(items), 2):
            target[self.key(items[i])] = items[i + 1]

    def op_additems(self) -> None:
        items = self.pop_mark()
        target = self.top()
        if isinstance(target, set):
            target.update(self.key(item) for item in items)
        elif isinstance(target, ObjectValue):
            target.fields.setdefault("__set__", []).extend(items)
        else:
            raise self.r.error(f"cannot add items to {type(target).__name__}")

    def op_get(self, index: int) -> None:
        try:
            self.push(self.memo[index])
        except KeyError:
            raise self.r.error(f"memo key {index} is not defined") from None

    def op_put(self, index: int) -> None:
        if index < 0:
            raise self.r.error("negative memo key")
        self.memo[index] = self.top()

    def op_global(self) -> None:
        module = self.text_line()
        name = self.text_line()
        self.push(objects.global_ref(self, module, name))

    def op_stack_global(self) -> None:
        name = self.pop()
        module = self.pop()
        if not isinstance(module, str) or not isinstance(name, str):
            raise self.r.error("STACK_GLOBAL needs two strings")
        self.push(objects.global_ref(self, module, name))

    def obj(self, class_name: str, fields: dict[str, Any]) -> ObjectValue:
        self.r.count_object()
        return ObjectValue(class_name, fields)

    def op_reduce(self) -> None:
        args = self.pop()
        func = self.pop()
        self.push(objects.reduce(self, func, args))

    def op_build(self) -> None:
        state = self.pop()
        objects.build(self, self.top(), state)

    def op_inst(self) -> None:
        module = self.text_line()
        name = self.text_line()
        args = self.pop_mark()
        self.push(self.obj(objects.dotted_name(module, name), objects.args_fields(tuple(args))))

    def op_obj(self) -> None:
        items = self.pop_mark()
        if not items:
            raise self.r.error("OBJ needs a class")
        fields = objects.args_fields(tuple(items[1:]))
        self.push(self.obj(objects.class_name(self, items[0]), fields))

    @staticmethod
    def call_fields(args: Any) -> dict[str, Any]:
        if isinstance(args, tuple):
            return objects.args_fields(args)
        return {"__args__": args}

    def op_newobj(self) -> None:
        args = self.pop()
        cls = self.pop()
        fields = self.call_fields(args)
        self.push(self.obj(objects.class_name(self, cls), fields))

    def op_newobj_ex(self) -> None:
        kwargs = self.pop()
        args = self.pop()
        cls = self.pop()
        fields = self.call_fields(args)
        if kwargs:
            fields["__kwargs__"] = kwargs
        self.push(self.obj(objects.class_name(self, cls), fields))

    def persistent(self, pid: Any) -> ObjectValue:
        return self.obj("pickle.persistent_id", {"pid": pid})

    def extension(self, code: int) -> ObjectValue:
        return self.obj("pickle.extension", {"code": code})

    def op_proto(self) -> None:
        version = self.r.byte()
        if version > HIGHEST_PROTOCOL:
            raise self.r.error(f"unsupported pickle protocol {version}")

    def op_frame(self) -> None:
        size = self.r.uint(8, big=False)
        if size > self.r.remaining:
            raise self.r.error(f"FRAME of {size} bytes exceeds the data")
