"""Save a whole value to a file, streamed: never the whole value in memory at once.

* a string is written as its raw bytes, read with GETRANGE in ``CHUNK`` (1 MB) pieces;
* a collection is written as JSON lines, one element a line, read page by page (HSCAN, SSCAN,
  ZSCAN cursors, LRANGE windows, XRANGE pages)::

      hash    {"field": F, "value": V}
      set     {"member": M}
      zset    {"member": M, "score": 1.5}
      list    {"index": 0, "value": V}
      stream  {"id": "1700000000000-0", "fields": [[F, V], ...]}

  where each of F, V, M is a JSON string when the bytes are UTF-8, else ``{"base64": "..."}``.

The file is written as ``PATH.part`` and renamed to ``PATH`` at the end, so a failed or
cancelled export leaves no half file under the name asked for. An existing ``PATH`` is refused
unless ``overwrite``.

Consistency is what Redis's cursors give: a key written to during the export may come out mixed
(a string changed between two chunks, a list shifted between windows), and HSCAN/SSCAN/ZSCAN
may return an element twice if the key is rehashed meanwhile. Nothing is locked.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import redis.asyncio as aioredis

from redis_tui.data.values.display import escape_key
from redis_tui.data.values.kinds import LENGTH_COMMAND, pairs
from redis_tui.data.values.readers import scan_call
from redis_tui.errors import KeyMissing, RedisTuiError

CHUNK = 1024 * 1024
PAGE = 1000


@dataclass(frozen=True)
class ExportProgress:
    """How far an export got: ``written`` bytes of file, ``items`` read of ``total`` (bytes
    for a string, elements for a collection; None when the server did not say)."""

    key: bytes
    path: str
    written: int
    items: int
    total: int | None


class ExportRefused(RedisTuiError):
    """The file exists (and overwriting was not confirmed), or the type cannot be exported."""


ProgressCallback = Callable[[ExportProgress], None]
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def default_filename(key: bytes, type_name: str = "string") -> str:
    """``./<escaped key>.bin`` (``.jsonl`` for a collection), safe for any file system:
    only letters, digits, ``. _ -``; no leading dot, no path separator, at most 100 chars."""
    stem = _UNSAFE_FILENAME.sub("_", escape_key(key)).strip("._") or "value"
    suffix = ".bin" if type_name in ("string", "?", "other", "gone") else ".jsonl"
    return f"./{stem[:100]}{suffix}"


async def export_value(
    client: aioredis.Redis,
    key: bytes,
    path: str | os.PathLike[str],
    *,
    on_progress: ProgressCallback | None = None,
    overwrite: bool = False,
    chunk: int = CHUNK,
    page: int = PAGE,
) -> int:
    """Write the whole value of ``key`` to ``path``. Returns the number of bytes written.

    Raises:
        KeyMissing: the key does not exist.
        ExportRefused: ``path`` exists and not ``overwrite``, or the type is not supported.
        OSError: the file cannot be written (redis-py errors pass through for the gateway).
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise ExportRefused(f"{target} exists: not overwritten")
    raw_type = await client.type(key)
    kind = raw_type.decode() if isinstance(raw_type, bytes) else str(raw_type)
    if kind == "none":
        raise KeyMissing("The key does not exist (any more)")
    reader = _READERS.get(kind)
    if reader is None:
        raise ExportRefused(f"Cannot save a value of type {kind}")
    total = await _length(client, kind, key)
    written = items = 0
    with exclusive_output(target, overwrite=overwrite) as out:
        async for data, count in reader(client, key, chunk, page):
            await asyncio.to_thread(out.write, data)
            written += len(data)
            items += count
            if on_progress is not None:
                on_progress(ExportProgress(key, str(target), written, items, total))
    return written


@contextlib.contextmanager
def exclusive_output(target: Path, *, overwrite: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write ``target`` through: ``target.part``, created exclusively,
    published as ``target`` only when the block ends without an error (a failed or cancelled
    export leaves no half file), never over an existing ``target`` unless ``overwrite``.

    Raises:
        ExportRefused: ``target`` exists (or appeared meanwhile), or ``target.part`` does.
        OSError: the file cannot be written.
    """
    if target.exists() and not overwrite:
        raise ExportRefused(f"{target} exists: not overwritten")
    part = target.with_name(target.name + ".part")
    try:
        # "x": never truncate a file of the user's that happens to be called PATH.part.
        with part.open("xb") as out:
            yield out
        if overwrite:
            os.replace(part, target)
        else:
            # A hard link fails if PATH appeared meanwhile: never clobber a file unasked.
            try:
                os.link(part, target)
            except FileExistsError as exc:
                raise ExportRefused(f"{target} appeared meanwhile: not overwritten") from exc
            part.unlink()
    except FileExistsError as exc:
        raise ExportRefused(f"{part} exists (another export?): remove it first") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise


Reader = Callable[[aioredis.Redis, bytes, int, int], AsyncIterator[tuple[bytes, int]]]


async def _length(client: aioredis.Redis, kind: str, key: bytes) -> int | None:
    command = LENGTH_COMMAND.get(kind)
    if command is None:
        return None
    try:
        return int(await client.execute_command(command, key))
    except Exception:  # a length is only for the progress line
        return None


async def read_string(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    """The raw bytes, ``chunk`` at a time (GETRANGE)."""
    offset = 0
    while True:
        data = bytes(await client.execute_command("GETRANGE", key, offset, offset + chunk - 1))
        if not data:
            return
        yield data, len(data)
        if len(data) < chunk:
            return
        offset += len(data)


async def read_hash(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    async for flat in _scan(client, "HSCAN", key, page):
        fields = pairs(flat)
        yield _lines({"field": _j(f), "value": _j(v)} for f, v in fields), len(fields)


async def read_set(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    async for members in _scan(client, "SSCAN", key, page):
        yield _lines({"member": _j(m)} for m in members), len(members)


async def read_zset(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    async for flat in _scan(client, "ZSCAN", key, page):
        members = pairs(flat)
        yield _lines({"member": _j(m), "score": float(s)} for m, s in members), len(members)


async def read_list(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    start = 0
    while True:
        items = await client.execute_command("LRANGE", key, start, start + page - 1)
        if not items:
            return
        yield _lines({"index": start + i, "value": _j(v)} for i, v in enumerate(items)), len(items)
        if len(items) < page:
            return
        start += len(items)


async def read_stream(
    client: aioredis.Redis, key: bytes, chunk: int, page: int
) -> AsyncIterator[tuple[bytes, int]]:
    start: bytes | str = "-"
    while True:
        entries = await client.execute_command("XRANGE", key, start, "+", "COUNT", page)
        if not entries:
            return
        yield (
            _lines(
                {"id": _id(entry_id), "fields": [[_j(f), _j(v)] for f, v in pairs(fields)]}
                for entry_id, fields in entries
            ),
            len(entries),
        )
        if len(entries) < page:
            return
        start = b"(" + _id(entries[-1][0]).encode()


async def _scan(
    client: aioredis.Redis, command: str, key: bytes, page: int
) -> AsyncIterator[list[Any]]:
    cursor = 0
    while True:
        cursor, items = await scan_call(client, command, key, cursor, page)
        if items:
            yield items
        if cursor == 0:
            return


def json_bytes(data: Any) -> Any:
    """Bytes as a JSON string when UTF-8, else ``{"base64": ...}``."""
    if isinstance(data, bytes | bytearray):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(data).decode("ascii")}
    return data


_j = json_bytes


def _id(entry_id: Any) -> str:
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


def _lines(rows: Any) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


_READERS: dict[str, Reader] = {
    "string": read_string,
    "hash": read_hash,
    "set": read_set,
    "zset": read_zset,
    "list": read_list,
    "stream": read_stream,
}
