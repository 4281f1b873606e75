"""Choose how to show a value: detect its format, decode it safely, render readable text.

Decoding goes through ``codecs`` (pure parsers: nothing from Redis is ever executed). Every
path ends in plain text that has been through ``display.escape_text``: the value pane never
receives raw bytes from Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis_tui.data.values.display import escape_text, is_text

# What ``f`` cycles through in the value pane. "auto" detects; the rest force a decoder.
FORMATS = ("auto", "text", "json", "msgpack", "pickle", "php", "php_session", "igbinary",
           "ruby_marshal", "java", "gzip", "zlib", "zstd", "lz4", "brotli", "hex")  # fmt: skip
COMPRESSIONS = ("gzip", "zlib", "zstd", "lz4", "brotli")
# Decompressed output and rendered text are capped: a 64 KB page must not become 1 GB.
MAX_DECODED = 8 * 1024 * 1024
MAX_TEXT = 2 * 1024 * 1024
TRUNCATED_NOTE = "only the first part is loaded: shown as it is"


@dataclass(frozen=True)
class Rendered:
    format: str
    text: str
    note: str | None = None
    # The decoded structure (a dict, list or decoded object) when there is one: the value
    # pane shows it as a tree. Plain data only: nothing in it was executed.
    data: object = None


def render(data: bytes, fmt: str = "auto", *, truncated: bool = False) -> Rendered:
    """Render string bytes in ``fmt`` (``auto`` detects). Never raises on bad data."""
    # Imported with the first value shown: the decoders are 0.02 s of the app's start.
    from redis_tui.data import codecs

    if fmt == "hex":
        return Rendered("hex", codecs.hexdump(data, limit=len(data)))
    if fmt == "text":
        return _as_text(data, None)
    if truncated and fmt == "auto":
        # Only the first page is loaded: structured decoders would fail on a cut value.
        return _as_text(data, TRUNCATED_NOTE)
    try:
        decoded = codecs.decode(data, None if fmt == "auto" else fmt, max_output=MAX_DECODED)
    except codecs.CodecError as exc:
        shown = _as_text(data, None)
        what = fmt if fmt != "auto" else (codecs.sniff(data) or "value")
        return Rendered(shown.format, shown.text, f"cannot decode as {what}: {exc}")
    if decoded.format in ("text", "binary"):
        inner = decoded.value if isinstance(decoded.value, bytes) else data
        shown = _as_text(inner if decoded.layers else data, None)
        return Rendered(_label(shown.format, decoded.layers), shown.text)
    if decoded.format == "json" and not decoded.layers:
        text = json.dumps(decoded.value, indent=2, ensure_ascii=False, default=str)
    else:
        text = codecs.pretty(decoded.value)
    rendered = _capped(_label(decoded.format, decoded.layers), escape_text(text))
    structure = decoded.value
    if isinstance(structure, dict | list | tuple | codecs.ObjectValue) and structure:
        return Rendered(rendered.format, rendered.text, rendered.note, structure)
    return rendered


def _as_text(data: bytes, note: str | None) -> Rendered:
    from redis_tui.data import codecs

    if is_text(data):
        return _capped("text", escape_text(data), note)
    return Rendered("hex", codecs.hexdump(data, limit=len(data)), note or "binary data")


def _capped(fmt: str, text: str, note: str | None = None) -> Rendered:
    if len(text) > MAX_TEXT:
        return Rendered(fmt, text[:MAX_TEXT], f"rendering cut at {MAX_TEXT // 1024} KB")
    return Rendered(fmt, text, note)


def _label(fmt: str, layers: tuple[str, ...]) -> str:
    return " → ".join((*layers, fmt))
