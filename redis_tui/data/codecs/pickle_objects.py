"""What pickle's object opcodes build: descriptions of calls, never the calls themselves.

``GLOBAL`` names a callable and ``REDUCE``, ``NEWOBJ``, ``INST`` and ``OBJ`` would call it.
Here a global is an ``ObjectValue("pickle.global", ...)`` recognised by identity, a call is
``ObjectValue(class_name, fields)`` with the arguments under ``"__args__"``, and ``BUILD``
merges the state into ``fields``. A few value types whose reduce arguments are plain data
(datetime, Decimal, the collections dicts, sets, bytes, complex) are rebuilt for real by
parsing those arguments; nothing is imported, looked up or called.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from ._base import ObjectValue

# Python 2 module names that pickle's fix_imports maps to their Python 3 homes.
_MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg", "exceptions": "builtins"}


class Machine(Protocol):
    """What the object model needs of the pickle machine."""

    # id() of each global reference -> its dotted name; ``keep`` holds the references alive.
    globals: dict[int, str]
    keep: list[Any]

    def obj(self, class_name: str, fields: dict[str, Any]) -> ObjectValue:
        """A counted ObjectValue."""
        ...

    def new(self, container: Any) -> Any:
        """``container``, counted against the object limit."""
        ...

    def key(self, value: Any) -> Any:
        """``value`` if hashable, else a hashable stand-in."""
        ...

    def track_height(self, result: Any, items: list[Any]) -> None:
        """Record how deep the tuple or frozenset ``result`` nests (refusing too deep)."""
        ...


def dotted_name(module: str, name: str) -> str:
    return f"{_MODULE_ALIASES.get(module, module)}.{name}"


def global_ref(m: Machine, module: str, name: str) -> ObjectValue:
    """A reference to ``module.name``, imported from nowhere."""
    dotted = dotted_name(module, name)
    ref = ObjectValue("pickle.global", {"name": dotted})
    m.globals[id(ref)] = dotted
    m.keep.append(ref)
    return ref


def class_name(m: Machine, cls: Any) -> str:
    name = m.globals.get(id(cls))
    if name is not None:
        return name
    if isinstance(cls, ObjectValue):
        return cls.class_name
    return "pickle.object"


def args_fields(args: tuple[Any, ...]) -> dict[str, Any]:
    return {"__args__": list(args)} if args else {}


def reduce(m: Machine, func: Any, args: Any) -> Any:
    """What ``func(*args)`` would give: a known value type rebuilt, else a description."""
    name = m.globals.get(id(func))
    if name is None:
        return m.obj("pickle.reduce", {"callable": func, "__args__": args})
    if not isinstance(args, tuple):
        return m.obj(name, {"__args__": args})
    special = _REDUCERS.get(name)
    if special is not None:
        try:
            result = special(m, args)
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            result = None  # odd state: fall back to describing the call
        if result is not None:
            return result
    if name == "copyreg._reconstructor" and len(args) == 3:
        # Protocol 0/1 spelling of "create an instance of args[0]" (state follows in BUILD).
        fields = {} if args[2] is None else {"__state__": args[2]}
        return m.obj(class_name(m, args[0]), fields)
    if name == "copyreg.__newobj__" and args:
        return m.obj(class_name(m, args[0]), args_fields(args[1:]))
    return m.obj(name, args_fields(args))


def build(m: Machine, target: Any, state: Any) -> None:
    """``BUILD``: merge ``state`` into the fields of the object ``target`` describes."""
    if not isinstance(target, ObjectValue) or id(target) in m.globals:
        return  # no attributes to attach on plain data (e.g. an OrderedDict's __dict__)
    fields = target.fields
    parts = state if isinstance(state, tuple) and len(state) == 2 else (state,)
    for part in parts:
        if part is None:
            continue
        if isinstance(part, dict):
            for key, value in part.items():
                fields[key if isinstance(key, str) else str(key)] = value
        else:
            fields["__state__"] = part


# ---------------------------------------------------------------------- known reducers
# Each returns the real value, or None to fall back to an ObjectValue. They read plain
# data only (ints, strings, the documented byte layouts); nothing is looked up or called.


def _state_bytes(value: Any, size: int) -> bytes | None:
    if isinstance(value, bytes):
        return value if len(value) == size else None
    if isinstance(value, str):
        # Python 2 pickles carry the state as a str; whichever encoding gives the exact
        # length recovers the original bytes.
        for encoding in ("latin-1", "utf-8"):
            try:
                raw = value.encode(encoding)
            except UnicodeEncodeError:
                continue
            if len(raw) == size:
                return raw
    return None


def _tzinfo(value: Any) -> dt.tzinfo | None:
    return value if isinstance(value, dt.tzinfo) else None


def _reduce_datetime(m: Machine, args: tuple[Any, ...]) -> Any:
    if not args or len(args) > 2:
        return None
    state = _state_bytes(args[0], 10)
    if state is None:
        return None
    month, fold = state[2] & 0x7F, state[2] >> 7
    naive = dt.datetime(
        state[0] << 8 | state[1],
        month,
        state[3],
        state[4],
        state[5],
        state[6],
        state[7] << 16 | state[8] << 8 | state[9],
        fold=fold,
    )
    if len(args) == 1 or args[1] is None:
        return naive
    tz = _tzinfo(args[1])
    if tz is not None:
        return naive.replace(tzinfo=tz)
    # A tzinfo we do not rebuild (pytz, zoneinfo, dateutil): keep the wall time and the
    # recorded zone side by side.
    return m.obj("datetime.datetime", {"value": naive, "tzinfo": args[1]})


def _reduce_date(m: Machine, args: tuple[Any, ...]) -> Any:
    state = _state_bytes(args[0], 4) if len(args) == 1 else None
    if state is None:
        return None
    return dt.date(state[0] << 8 | state[1], state[2], state[3])


def _reduce_time(m: Machine, args: tuple[Any, ...]) -> Any:
    if not args or len(args) > 2:
        return None
    state = _state_bytes(args[0], 6)
    if state is None:
        return None
    tz = _tzinfo(args[1]) if len(args) == 2 else None
    if len(args) == 2 and args[1] is not None and tz is None:
        return None
    return dt.time(
        state[0] & 0x7F,
        state[1],
        state[2],
        state[3] << 16 | state[4] << 8 | state[5],
        tzinfo=tz,
        fold=state[0] >> 7,
    )


def _ints(args: tuple[Any, ...]) -> bool:
    return all(isinstance(a, int) and not isinstance(a, bool) for a in args)


def _reduce_timedelta(m: Machine, args: tuple[Any, ...]) -> Any:
    if len(args) != 3 or not _ints(args):
        return None
    return dt.timedelta(days=args[0], seconds=args[1], microseconds=args[2])


def _reduce_timezone(m: Machine, args: tuple[Any, ...]) -> Any:
    if not args or not isinstance(args[0], dt.timedelta):
        return None
    if len(args) == 1:
        return dt.timezone(args[0])
    if len(args) == 2 and isinstance(args[1], str):
        return dt.timezone(args[0], args[1])
    return None


def _reduce_utc(m: Machine, args: tuple[Any, ...]) -> Any:
    return dt.UTC if not args else None


def _reduce_decimal(m: Machine, args: tuple[Any, ...]) -> Any:
    if len(args) == 1 and isinstance(args[0], str) and len(args[0]) <= 10_000:
        return Decimal(args[0])
    return None


def _reduce_dict(m: Machine, args: tuple[Any, ...]) -> Any:
    result = m.new({})
    if not args or args[0] is None:
        return result
    source = args[0]
    if isinstance(source, dict):
        result.update(source)
        return result
    if isinstance(source, list) and all(
        isinstance(p, list | tuple) and len(p) == 2 for p in source
    ):
        for key, value in source:
            result[m.key(key)] = value
        return result
    return None


def _reduce_defaultdict(m: Machine, args: tuple[Any, ...]) -> Any:
    # args are (default_factory,) or (default_factory, items...); items arrive via SETITEMS.
    return m.new({})


def _reduce_set(m: Machine, args: tuple[Any, ...]) -> Any:
    if not args:
        return m.new(set())
    if len(args) == 1 and isinstance(args[0], list | tuple | set | frozenset):
        return m.new({m.key(item) for item in args[0]})
    return None


def _reduce_frozenset(m: Machine, args: tuple[Any, ...]) -> Any:
    result = _reduce_set(m, args)
    if result is None:
        return None
    frozen = frozenset(result)
    m.track_height(frozen, list(frozen))
    return frozen


def _reduce_bytes(m: Machine, args: tuple[Any, ...]) -> Any:
    if not args:
        return b""
    if len(args) == 1 and isinstance(args[0], bytes):
        return args[0]
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return args[0].encode("latin-1")
    return None


def _reduce_codecs_encode(m: Machine, args: tuple[Any, ...]) -> Any:
    # Protocols 0-2 write bytes as _codecs.encode(<latin-1 text>, "latin1").
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return args[0].encode("latin-1")
    return None


def _reduce_complex(m: Machine, args: tuple[Any, ...]) -> Any:
    if 1 <= len(args) <= 2 and all(isinstance(a, float | int) for a in args):
        return complex(*args)
    return None


_REDUCERS: dict[str, Callable[[Machine, tuple[Any, ...]], Any]] = {
    "datetime.datetime": _reduce_datetime,
    "datetime.date": _reduce_date,
    "datetime.time": _reduce_time,
    "datetime.timedelta": _reduce_timedelta,
    "datetime.timezone": _reduce_timezone,
    "pytz._UTC": _reduce_utc,
    "decimal.Decimal": _reduce_decimal,
    "collections.OrderedDict": _reduce_dict,
    "collections.Counter": _reduce_dict,
    "collections.defaultdict": _reduce_defaultdict,
    "builtins.set": _reduce_set,
    "builtins.frozenset": _reduce_frozenset,
    "builtins.bytes": _reduce_bytes,
    "builtins.bytearray": _reduce_bytes,
    "_codecs.encode": _reduce_codecs_encode,
    "builtins.complex": _reduce_complex,
}
