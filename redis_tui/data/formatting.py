"""Choose how to show a value: detect its format, decode it safely, render readable text.

Every path ends in plain text that has been through ``display.escape_text``: the value pane
never receives raw bytes from Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis_tui.data.display import escape_text, is_text

FORMATS = ("auto", "text", "json", "hex")
# Beyond this, pretty-printing costs more than it helps; show the text as it is.
PRETTY_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True)
class Rendered:
    format: str
    text: str
    note: str | None = None


def render(data: bytes, fmt: str = "auto", *, truncated: bool = False) -> Rendered:
    """Render string bytes in ``fmt`` (``auto`` detects). Never raises on bad data."""
    if fmt == "auto":
        fmt = detect(data, truncated=truncated)
    if fmt == "json":
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError) as exc:
            return Rendered("text", escape_text(data), f"not valid JSON: {exc}")
        return Rendered("json", escape_text(json.dumps(parsed, indent=2, ensure_ascii=False)))
    if fmt == "hex":
        return Rendered("hex", hexdump(data))
    if fmt == "text" or is_text(data):
        return Rendered("text", escape_text(data))
    return Rendered("hex", hexdump(data), "binary data")


def detect(data: bytes, *, truncated: bool = False) -> str:
    stripped = data.lstrip()[:1]
    if not truncated and len(data) <= PRETTY_LIMIT and stripped in (b"{", b"["):
        try:
            json.loads(data)
        except (ValueError, RecursionError):
            pass
        else:
            return "json"
    return "text" if is_text(data) else "hex"


def hexdump(data: bytes, limit: int = 16 * 1024) -> str:
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset : offset + 16]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexpart:<47}  {text}")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes")
    return "\n".join(lines)
