"""Pure, safe decoders that turn Redis values (bytes) into plain Python structures.

Nothing here executes data: there is no ``pickle.loads``, ``eval``, ``marshal`` or class
lookup, and no PHP, Ruby or Java runtime. Each format has a hand-written parser that builds
only dicts, lists, tuples, sets, str, bytes, numbers, None, datetimes, Decimals and
:class:`ObjectValue` descriptions of foreign objects. Hostile input (truncated, corrupt,
deeply nested, forged lengths, decompression bombs) raises :class:`CodecError` and nothing
else. This package imports neither Textual nor Rich.

Public API::

    class CodecError(ValueError)
    @dataclass(frozen=True) class ObjectValue: class_name: str; fields: dict[str, Any]
    @dataclass(frozen=True) class Decoded: format: str; value: Any; layers: tuple[str, ...] = ()
    FORMATS: tuple[str, ...]            # the names decode() accepts as `fmt`
    sniff(data: bytes) -> str | None    # best guess: a format or compression name
    decode(data: bytes, fmt: str | None = None, *, max_output: int = 64 MiB) -> Decoded
    to_jsonable(value: Any, *, max_nodes: int = 1_000_000) -> Any
    pretty(value: Any, indent: int = 2) -> str
    hexdump(data: bytes, limit: int = 4096) -> str

Formats (``Decoded.format``): ``json``, ``msgpack``, ``pickle``, ``php``, ``php_session``,
``igbinary``, ``ruby_marshal``, ``java``, ``text`` and ``binary``. Layers
(``Decoded.layers``, outermost first): ``gzip``, ``zlib``, ``zstd``, ``lz4``, ``lzma`` (xz),
``brotli`` and ``php_string`` (a PHP-serialized string holding another serialized value, as
Laravel's cache stores sessions).

Decoded values may share objects, and may contain cycles (pickle memo, PHP ``R:``, Ruby and
Java back-references); walk them with :func:`to_jsonable` / :func:`pretty`, which handle both.
The per-format modules (:mod:`.php`, :mod:`.pickle_reader`, ...) expose ``parse`` functions
and, for PHP, writers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import compression, igbinary, java_ser, msgpack_codec, php, pickle_reader, ruby_marshal
from ._base import MAX_DEPTH, CodecError, Decoded, ObjectValue, check_depth, pretty, to_jsonable
from .hexdump import hexdump

__all__ = [
    "FORMATS",
    "MAX_DEPTH",
    "CodecError",
    "Decoded",
    "ObjectValue",
    "decode",
    "hexdump",
    "pretty",
    "sniff",
    "to_jsonable",
]

FORMATS: tuple[str, ...] = (
    "json",
    "msgpack",
    "pickle",
    "php",
    "php_session",
    "igbinary",
    "ruby_marshal",
    "java",
    "text",
    "binary",
    *compression.FORMATS,
)

DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024
_MAX_COMPRESSION_LAYERS = 4
_MAX_PHP_STRING_LAYERS = 8

# Control bytes other than tab, newline, carriage return and form feed mark data as binary.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_JSON_START = frozenset(b'{["-0123456789tfn')
# First bytes of protocol 0/1 pickles (no PROTO opcode): MARK, containers, GLOBAL, strings,
# numbers, None.
_OLD_PICKLE_START = frozenset(b"(]})cSVXUTIJKLMFGN")

_UNSET: Any = object()


def sniff(data: bytes) -> str | None:
    """Best-guess format of ``data`` from its magic bytes or shape.

    Returns a format name (see :data:`FORMATS`), a compression name when the value is
    compressed, or None for empty input. JSON, msgpack and protocol 0/1 pickles are only
    reported when they parse fully.
    """
    return _sniff(data)[0]


def _sniff(data: bytes, *, compressed: bool = True) -> tuple[str | None, Any]:
    """The guessed format and, when guessing required a full parse, the parsed value.
    ``compressed=False`` skips compression magic (already tried and rejected)."""
    if not data:
        return None, _UNSET
    kind = compression.detect(data) if compressed else None
    if kind is not None:
        return kind, _UNSET
    if data.startswith(java_ser.MAGIC):
        return "java", _UNSET
    if data[0] == 0x80 and len(data) > 1 and 2 <= data[1] <= pickle_reader.HIGHEST_PROTOCOL:
        return "pickle", _UNSET
    if data.startswith(ruby_marshal.MAGIC):
        return "ruby_marshal", _UNSET
    if data.startswith((igbinary.MAGIC, b"\x00\x00\x00\x01")) and len(data) > 4:
        return "igbinary", _UNSET
    stripped = data.lstrip(b" \t\r\n")
    if stripped and stripped[0] in _JSON_START:
        try:
            return "json", _parse_json(data)
        except CodecError:
            pass
    if php.looks_serialized(data):
        return "php", _UNSET
    if php.looks_session(data):
        return "php_session", _UNSET
    if data[0] in _OLD_PICKLE_START and data.endswith(b"."):
        try:
            return "pickle", pickle_reader.parse(data)
        except CodecError:
            pass
    text = _text(data)
    if text is not None:
        return "text", text
    # Any ASCII byte is a valid msgpack fixint, so only non-ASCII leads count as msgpack.
    if data[0] >= 0x80:
        try:
            return "msgpack", msgpack_codec.parse(data)
        except CodecError:
            pass
    return "binary", data


def decode(data: bytes, fmt: str | None = None, *, max_output: int = DEFAULT_MAX_OUTPUT) -> Decoded:
    """Decode a Redis value.

    Args:
        data: the raw value.
        fmt: None to detect (unwrapping compression first), or a name from :data:`FORMATS`.
            A compression name removes that layer and detects what is inside.
        max_output: cap in bytes on the input and on every decompressed layer.

    Returns:
        The innermost format, its value and the layers removed to reach it.

    Raises:
        CodecError: the data is not valid in ``fmt`` (or, when detecting, is corrupt data of
            a format its magic bytes announce), or a safety limit was hit.
    """
    raw = bytes(data)
    if len(raw) > max_output:
        raise CodecError(f"value of {len(raw)} bytes is larger than max_output ({max_output})")
    try:
        if fmt is None:
            return _detect(raw, (), max_output)
        if fmt in compression.FORMATS:
            inner = compression.decompress(raw, fmt, max_output)
            return _detect(inner, (fmt,), max_output)
        return _unwrap_php_strings(Decoded(fmt, _parse(fmt, raw), ()))
    except RecursionError:  # a last line of defence: parsers bound their own depth
        raise CodecError(f"nesting too deep to decode as {fmt or 'detected format'}") from None
    except MemoryError:
        raise CodecError("value too large to decode in memory") from None


def _detect(data: bytes, layers: tuple[str, ...], max_output: int) -> Decoded:
    for _ in range(_MAX_COMPRESSION_LAYERS):
        kind = compression.detect(data)
        if kind is None:
            break
        try:
            data = compression.decompress(data, kind, max_output)
        except compression.OutputTooLarge:
            raise
        except CodecError:
            if kind == "zlib":
                break  # two magic bytes are weak evidence ("x^" starts plain text too)
            raise
        layers += (kind,)
    kind, value = _sniff(data, compressed=False)
    if kind is None:
        return Decoded("text", "", layers)
    if value is _UNSET:
        try:
            value = _parse(kind, data)
        except CodecError:
            # Formats recognised only by shape fall back to showing the data as it is.
            if kind not in ("php", "php_session"):
                raise
            kind, value = _fallback(data)
    if kind == "binary" and "brotli" not in layers:
        inner = _try_brotli(data, layers, max_output)
        if inner is not None:
            return inner
    return _unwrap_php_strings(Decoded(kind, value, layers))


def _fallback(data: bytes) -> tuple[str, Any]:
    text = _text(data)
    return ("text", text) if text is not None else ("binary", data)


def _try_brotli(data: bytes, layers: tuple[str, ...], max_output: int) -> Decoded | None:
    # Brotli has no magic bytes; try it last and keep the result only if it makes sense.
    try:
        inflated = compression.unbrotli(data, max_output)
    except CodecError:
        return None
    if not inflated:
        return None
    try:
        inner = _detect(inflated, (*layers, "brotli"), max_output)
    except CodecError:
        return None
    return inner if inner.format != "binary" else None


def _unwrap_php_strings(result: Decoded) -> Decoded:
    """Follow PHP strings that hold another serialized value (Laravel's cache stores
    ``serialize(serialize($session))``)."""
    for _ in range(_MAX_PHP_STRING_LAYERS):
        if result.format != "php" or not isinstance(result.value, str | bytes):
            break
        raw = result.value.encode("utf-8") if isinstance(result.value, str) else result.value
        try:
            if php.looks_serialized(raw):
                result = Decoded("php", php.parse(raw), (*result.layers, "php_string"))
            elif php.looks_session(raw):
                session = php.parse_session(raw)
                result = Decoded("php_session", session, (*result.layers, "php_string"))
            else:
                break
        except CodecError:
            break
    return result


def _parse(fmt: str, data: bytes) -> Any:
    if fmt == "json":
        return _parse_json(data)
    if fmt == "msgpack":
        return msgpack_codec.parse(data)
    if fmt == "pickle":
        return pickle_reader.parse(data)
    if fmt == "php":
        return php.parse(data)
    if fmt == "php_session":
        return php.parse_session(data)
    if fmt == "igbinary":
        return igbinary.parse(data)
    if fmt == "ruby_marshal":
        return ruby_marshal.parse(data)
    if fmt == "java":
        return java_ser.parse(data)
    if fmt == "text":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CodecError(f"text: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if fmt == "binary":
        return data
    raise CodecError(f"unknown format {fmt!r}")


def _parse_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodecError(f"json: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        value = json.loads(text)  # rejects trailing garbage ("Extra data")
    except RecursionError:
        raise CodecError("json: nesting too deep") from None
    except ValueError as exc:
        raise CodecError(f"json: {exc}") from None
    # JSON nests at most once per bracket: most values need no walk (a hot path for sessions).
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH:
        check_depth(value)
    return value


def _text(data: bytes) -> str | None:
    if _CONTROL_BYTES.search(data):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
