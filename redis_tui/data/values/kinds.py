"""The Redis value kinds in one place: each type's length command, and reply-pair flattening.

Every layer that sizes a key (versions, watches, export, the type probe) or reads a
field/value reply (HSCAN, XRANGE, XINFO, HGETALL under RESP2 or RESP3) uses these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The core types, in the order the type probe tries them.
LENGTH_COMMAND: dict[str, str] = {
    "string": "STRLEN",
    "hash": "HLEN",
    "list": "LLEN",
    "set": "SCARD",
    "zset": "ZCARD",
    "stream": "XLEN",
}
KINDS: tuple[str, ...] = tuple(LENGTH_COMMAND)


def length_command(kind: str, key: bytes) -> tuple[str, bytes]:
    """The command that answers ``key``'s length; ``EXISTS`` for a type without one."""
    name = LENGTH_COMMAND.get(kind)
    return (name, key) if name else ("EXISTS", key)


def pairs(reply: object) -> list[tuple[Any, Any]]:
    """A field/value reply as pairs: a RESP3 map, or a flat RESP2 array (a trailing odd item,
    as from a truncated reply, is dropped)."""
    if isinstance(reply, Mapping):
        return list(reply.items())
    flat = list(reply or ()) if isinstance(reply, list | tuple) else []
    return list(zip(flat[::2], flat[1::2], strict=False))
