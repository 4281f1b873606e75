"""Writing sessions back exactly: the ``php_binary`` handler format, the JSON writer styles,
whether a session re-encodes byte for byte, and :func:`encode_edit` (one attribute changed).

Pure: no I/O. An edit is only written when decoding and re-encoding the stored bytes gives
those bytes again, so nothing the app does not understand is lost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgpack

from redis_tui.data import codecs
from redis_tui.data.codecs import CodecError, ObjectValue, php
from redis_tui.data.sessions.model import EditRefused, Session

# Formats whose sessions can be written back byte for byte (checked per session).
WRITABLE_FORMATS = frozenset({"json", "msgpack", "php_serialize", "php_session", "php_binary"})
REFUSALS = {
    "pickle": "pickle cannot be re-encoded exactly (and writing pickles for an app is unsafe)",
    "ruby_marshal": "Ruby Marshal cannot be re-encoded exactly",
    "java": "JDK-serialized Spring attributes cannot be re-encoded exactly",
    "igbinary": "igbinary cannot be re-encoded (no writer)",
    "php_msgpack": "PHP msgpack sessions cannot be re-encoded exactly (no writer for its objects)",
    "empty": "the session is empty: its serialize format is unknown",
    "text": "the value is not a decodable session",
    "binary": "the value is not a decodable session",
}

# JSON writers: JSON.stringify / msgspec (compact, raw UTF-8) and Python's json.dumps default.
_JSON_STYLES: dict[str, tuple[tuple[str, str], bool]] = {
    "compact": ((",", ":"), False),
    "python": ((", ", ": "), True),
    "spaced": ((", ", ": "), False),
    "compact-ascii": ((",", ":"), True),
}
_JSON_PREFERENCE = {
    "aiohttp": ("python", "compact", "spaced", "compact-ascii"),
    "starlette": ("python", "compact", "spaced", "compact-ascii"),
}
_JSON_DEFAULT_ORDER = ("compact", "python", "spaced", "compact-ascii")


def looks_php_binary(raw: bytes) -> bool:
    if not raw:
        return False
    size = raw[0] & 0x7F
    return 0 < size < len(raw) and raw[1 : 1 + size].isascii()


def parse_php_binary(raw: bytes) -> dict[str, Any]:
    """PHP's ``php_binary`` session handler: ``<len byte><name><serialized value>`` repeated
    (a length with bit 7 set marks an unset variable, with no value).

    Raises:
        CodecError: malformed or truncated data.
    """
    # One reference table spans the whole session, as in PHP; the parser is codecs.php's.
    parser = php._Parser(raw, False)
    r = parser.r
    result: dict[str, Any] = {}
    while not r.at_end():
        size = r.byte()
        name = r.take(size & 0x7F).decode("utf-8", "replace")
        if size & 0x80:
            continue
        result[name] = parser.value(0)
    codecs._base.check_depth(result)
    return result


def serialize_php_binary(session: Mapping[str, Any]) -> bytes:
    """The ``php_binary`` session handler format for ``session``."""
    out = bytearray()
    for name, value in session.items():
        raw = name.encode("utf-8")
        if not raw or len(raw) > 127:
            raise CodecError(f"php_binary variable names are 1-127 bytes, not {len(raw)}")
        out.append(len(raw))
        out += raw
        out += php.serialize(value)
    return bytes(out)


_FIRST_KEY = re.compile(rb'\s*\{\s*"(?:[^"\\]|\\.)*":( ?)')


def _json_styles(raw: bytes, framework: str) -> list[str]:
    """JSON writer styles to try, the likeliest for these bytes first (usually one try)."""
    order = list(_JSON_PREFERENCE.get(framework, _JSON_DEFAULT_ORDER))
    head = raw[:4096]
    # The first key's colon says how the writer spaced (text inside values may hold ", ").
    first = _FIRST_KEY.match(head)
    spaced = bool(first[1]) if first else (b'": ' in head or b", " in head)
    escaped = raw.isascii() and b"\\u" in head

    def rank(style: str) -> tuple[int, int]:
        separators, ascii_only = _JSON_STYLES[style]
        return (separators[0] == ", ") != spaced, ascii_only != escaped

    return sorted(order, key=rank)


def check_writable(session: Session, raw: bytes, value: Any) -> None:
    fmt = session.format
    if fmt not in WRITABLE_FORMATS:
        session.refusal = REFUSALS.get(fmt, f"{fmt} cannot be written back")
        return
    if fmt == "json":
        for style in _json_styles(raw, session.framework):
            try:
                if _encode_json(value, style) == raw:
                    session.encoding = style
                    session.writable = True
                    return
            except (TypeError, ValueError):
                break
        session.refusal = "re-encoding the JSON would not reproduce the stored bytes exactly"
        return
    try:
        exact = _encode(fmt, session.layers, value, "") == raw
    except (TypeError, ValueError, OverflowError):
        exact = False
    session.writable = exact
    if not exact:
        session.refusal = (
            f"re-encoding the {fmt} value would not reproduce the stored bytes exactly "
            "(e.g. private object properties, naive datetimes)"
        )


def _encode_json(value: Any, style: str) -> bytes:
    separators, ascii_only = _JSON_STYLES[style]
    text = json.dumps(value, separators=separators, ensure_ascii=ascii_only, allow_nan=False)
    return text.encode("utf-8")


def _encode(fmt: str, layers: tuple[str, ...], value: Any, style: str) -> bytes:
    if fmt == "json":
        return _encode_json(value, style or "compact")
    if fmt == "msgpack":
        packed: bytes = msgpack.packb(value, use_bin_type=True, datetime=True)
        return packed
    if fmt == "php_serialize":
        out = php.serialize(value)
        for layer in reversed(layers):
            if layer == "php_string":
                out = php.serialize(out)
        return out
    if fmt == "php_session":
        return php.serialize_session(value)
    if fmt == "php_binary":
        return serialize_php_binary(value)
    raise TypeError(f"{fmt} cannot be written")


def decode_exact(fmt: str, layers: tuple[str, ...], raw: bytes) -> Any:
    if fmt == "php_binary":
        return parse_php_binary(raw)
    name = {"php_serialize": "php"}.get(fmt, fmt)
    decoded = codecs.decode(raw, name)
    # Layers with a ":" name a nested value inside the session (Django's "json:_messages").
    if decoded.layers != tuple(layer for layer in layers if ":" not in layer):
        raise CodecError(f"the value's layers changed ({decoded.layers} != {layers})")
    return decoded.value


def reencode(session: Session, raw: bytes) -> bytes:
    """Decode ``raw`` in the session's format and encode it again, unchanged: equal to
    ``raw`` for every session that is ``writable`` (the check edits rely on).

    Raises:
        EditRefused: the format has no writer. CodecError: ``raw`` does not decode.
    """
    if session.format not in WRITABLE_FORMATS:
        raise EditRefused(session.refusal or f"{session.format} cannot be written back")
    value = decode_exact(session.format, session.layers, raw)
    return _encode(session.format, session.layers, value, session.encoding)


def encode_edit(
    session: Session,
    raw: bytes,
    path: Sequence[str | int],
    new_value: object,
    *,
    delete: bool = False,
) -> bytes:
    """``raw`` (the session's current bytes) with the attribute at ``path`` set to
    ``new_value`` (or removed, with ``delete``), re-encoded exactly as the framework wrote it.

    Pure. ``path`` is relative to ``session.data`` (the attributes); a str segment "0" also
    finds an int key 0 (PHP arrays) and the other way round.

    Raises:
        EditRefused: the format cannot be written back exactly, the value cannot be encoded
            in it, or the path does not lead to a container.
    """
    if not session.writable:
        raise EditRefused(f"Cannot edit this session: {session.refusal or 'not writable'}")
    if not path:
        raise EditRefused("Cannot edit this session: name an attribute to change")
    fmt, layers, style = session.format, session.layers, session.encoding
    try:
        value = decode_exact(fmt, layers, raw)
        if _encode(fmt, layers, value, style) != raw:
            raise EditRefused("Cannot edit this session: it no longer re-encodes exactly")
    except CodecError as exc:
        raise EditRefused(f"Cannot edit this session: {exc}") from None
    parent: Any = value
    for step in (*session.root, *path[:-1]):
        parent = _child(parent, step)
    last = _existing_key(parent, path[-1])
    if isinstance(parent, ObjectValue):
        parent = parent.fields
    if isinstance(parent, list):
        if not isinstance(last, int) or not -len(parent) <= last < len(parent):
            raise EditRefused(f"No list item {path[-1]!r} to change")
        if delete:
            del parent[last]
        else:
            parent[last] = new_value
    elif isinstance(parent, dict):
        if delete:
            if last not in parent:
                raise EditRefused(f"No attribute {path[-1]!r} to remove")
            del parent[last]
        else:
            parent[last] = new_value
    else:
        raise EditRefused(f"{'.'.join(map(str, path[:-1])) or 'the session'} is not a container")
    try:
        return _encode(fmt, layers, value, style)
    except (TypeError, ValueError, OverflowError, CodecError) as exc:
        raise EditRefused(f"Cannot store that value as {fmt}: {exc}") from None


def _existing_key(container: Any, step: str | int) -> str | int:
    if isinstance(container, ObjectValue):
        container = container.fields
    if isinstance(container, dict):
        if step in container:
            return step
        if isinstance(step, str) and re.fullmatch(r"-?\d+", step) and int(step) in container:
            return int(step)
        if isinstance(step, int) and str(step) in container:
            return str(step)
    if isinstance(container, list) and isinstance(step, str) and re.fullmatch(r"-?\d+", step):
        return int(step)
    return step


def _child(container: Any, step: str | int) -> Any:
    key = _existing_key(container, step)
    if isinstance(container, ObjectValue):
        container = container.fields
    try:
        if isinstance(container, dict | list):
            return container[key]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        pass
    raise EditRefused(f"No attribute {step!r} in the session")
