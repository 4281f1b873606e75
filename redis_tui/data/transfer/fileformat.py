"""The export file: JSON lines, one key over several lines, never one huge line.

::

    {"redis_tui_export": 1, "format": "json", "pattern": "user:*", "exported_at_ms": 1700…}
    {"key": K, "type": "hash", "pttl": 59000, "expire_at_ms": 1700000059000}
    {"data": [[F, V], [F, V], …]}        one page (at most ``PAGE`` items, or one 1 MB chunk)
    {"end": 2}                           how many items (bytes for a string or a payload)
    …
    {"done": {"keys": 1}}

Every key name, field, member and value is a JSON string when its bytes are valid UTF-8, and
``{"base64": "…"}`` otherwise (``export.json_bytes``). ``pttl`` is the remaining TTL in ms
when the key was read (-1: none); ``expire_at_ms`` the absolute expiry (null: none), which is
what an import keeps. The ``data`` of each type:

==========  ==================================================================
string      one chunk of the value (``V``)
hash        ``[[F, V], …]``
set         ``[M, …]``
zset        ``[[M, "1.5"], …]``: the score as Redis prints it (``inf``, ``-inf``)
list        ``[V, …]`` in order
stream      ``[["1700000000000-0", [[F, V], …]], …]``
==========  ==================================================================

With ``"format": "dump"`` every key's ``data`` lines are base64 pieces of its ``DUMP``
payload (any type, modules included, stream consumer groups kept), restored with
``RESTORE``; the payload is only valid for the same Redis major version family (RDB version).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from redis_tui.data.values.export import json_bytes
from redis_tui.errors import RedisTuiError

MAGIC = "redis_tui_export"
VERSION = 1
FORMATS = ("json", "dump")
JSON_TYPES = ("string", "hash", "set", "zset", "list", "stream")
# A line longer than this is refused (an exported line holds one page: far less).
MAX_LINE = 256 * 1024 * 1024


class TransferRefused(RedisTuiError):
    """The file is not an export, is damaged, exists already, or cannot be read/written."""


@dataclass(frozen=True)
class Header:
    format: str
    pattern: bytes
    exported_at_ms: int


@dataclass(frozen=True)
class KeyStart:
    key: bytes
    type: str
    pttl: int
    expire_at_ms: int | None


@dataclass(frozen=True)
class Chunk:
    data: Any


@dataclass(frozen=True)
class KeyEnd:
    count: int


Record = KeyStart | Chunk | KeyEnd


def line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def header_line(fmt: str, pattern: bytes, now_ms: int) -> bytes:
    return line(
        {MAGIC: VERSION, "format": fmt, "pattern": json_bytes(pattern), "exported_at_ms": now_ms}
    )


def key_line(key: bytes, kind: str, pttl: int, expire_at_ms: int | None) -> bytes:
    return line({"key": json_bytes(key), "type": kind, "pttl": pttl, "expire_at_ms": expire_at_ms})


def to_bytes(value: Any, where: str = "") -> bytes:
    """The bytes of a JSON string or ``{"base64": …}`` (``json_bytes`` backwards).

    Raises:
        TransferRefused: neither.
    """
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise TransferRefused(f"{where}: a lone surrogate in a string") from None
    if isinstance(value, dict) and isinstance(value.get("base64"), str) and len(value) == 1:
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError:
            pass
    raise TransferRefused(f"{where}: not a string or {{'base64': …}}")


class Reader:
    """Reads an export file record by record; ``position`` is the bytes read so far.

    Raises (from ``header`` and iteration):
        TransferRefused: not an export file, a damaged line (its number is said), or a file
        that ends before its ``done`` line (truncated).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.line_no = 0
        self.position = 0
        self.done = False

    def _next(self) -> dict[str, Any] | None:
        raw = self._stream.readline(MAX_LINE + 1)
        if not raw:
            return None
        self.line_no += 1
        self.position += len(raw)
        if len(raw) > MAX_LINE:
            raise TransferRefused(f"line {self.line_no}: longer than {MAX_LINE} bytes")
        try:
            obj = json.loads(raw)
        except ValueError:
            raise TransferRefused(f"line {self.line_no}: not JSON (damaged file?)") from None
        if not isinstance(obj, dict):
            raise TransferRefused(f"line {self.line_no}: not a JSON object")
        return obj

    def header(self) -> Header:
        try:
            obj = self._next()
        except TransferRefused:
            obj = None
        if obj is None or obj.get(MAGIC) != VERSION or obj.get("format") not in FORMATS:
            raise TransferRefused("Not a redis-tui export file (no header line)")
        pattern = to_bytes(obj.get("pattern", "*"), "line 1")
        return Header(str(obj["format"]), pattern, int(obj.get("exported_at_ms", 0)))

    def __iter__(self) -> Iterator[Record]:
        while True:
            obj = self._next()
            if obj is None:
                if not self.done:
                    raise TransferRefused(
                        f"The file ends at line {self.line_no} without its last line (truncated)"
                    )
                return
            if self.done:
                raise TransferRefused(f"line {self.line_no}: data after the last line")
            yield from self._record(obj)

    def _record(self, obj: dict[str, Any]) -> Iterator[Record]:
        where = f"line {self.line_no}"
        try:
            if "data" in obj:
                yield Chunk(obj["data"])
            elif "key" in obj:
                kind = obj["type"]
                expire = obj.get("expire_at_ms")
                if not isinstance(kind, str) or not (expire is None or isinstance(expire, int)):
                    raise TypeError
                yield KeyStart(to_bytes(obj["key"], where), kind, int(obj["pttl"]), expire)
            elif "end" in obj:
                yield KeyEnd(int(obj["end"]))
            elif "done" in obj:
                self.done = True
            else:
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise TransferRefused(f"{where}: not a record of an export file") from None
