"""Turn untrusted bytes into text that is safe to put on a terminal.

Keys and values come from Redis and may hold anything: ESC sequences, NUL, CR, bidi
overrides, invalid UTF-8. Everything shown on screen passes through here first, so no
byte from Redis reaches the terminal as a control code. The result is plain text, never
markup: widgets still receive it as ``Text``/``Content``/``Segment``.
"""

from __future__ import annotations

import re

# Every Unicode format character (category Cf: zero-width spaces and joiners, bidi marks,
# embeddings, overrides and isolates, the Arabic letter mark, BOM, invisible operators,
# tags), the line and paragraph separators: anything that is invisible, reorders what is
# shown, or lets two different keys look the same. tests/unit/test_display.py checks this
# list against ``unicodedata`` for the whole code space.
_INVISIBLE = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
# C0 controls, DEL, C1 controls and the invisible characters above.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_KEEP_LAYOUT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e", "\x00": "\\0"}
# Undecodable bytes become lone surrogates U+DC80..U+DCFF with 'surrogateescape'.
_SURROGATE = re.compile("[\udc80-\udcff]")


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_key(key: bytes) -> str:
    """A one-line, unambiguous rendering of a key.

    Backslashes are doubled so that ``unescape_key(escape_key(k)) == k`` for every key,
    and a key that literally contains ``\\x00`` never looks like one holding a NUL byte.
    """
    text = key.decode("utf-8", "surrogateescape").replace("\\", "\\\\")
    text = _UNSAFE.sub(_escape_char, text)
    return _SURROGATE.sub(_escape_char, text)


def escape_text(data: bytes | str, *, multiline: bool = True) -> str:
    """Readable rendering of a value: newlines and tabs kept when ``multiline``."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    pattern = _UNSAFE_KEEP_LAYOUT if multiline else _UNSAFE
    text = pattern.sub(_escape_char, text)
    return _SURROGATE.sub(_escape_char, text)


def is_text(data: bytes) -> bool:
    """True when the bytes are valid UTF-8 with few control characters: worth showing as text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not text:
        return True
    controls = len(_UNSAFE_KEEP_LAYOUT.findall(text))
    # A couple of stray control bytes in a short value is still text.
    return controls * 20 <= len(text) + 40


_UNESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrte0\\])")


def unescape_key(text: str) -> bytes:
    """Parse what a user typed (or ``escape_key`` produced) back into the raw key bytes.

    ``\\xNN`` is a raw byte, ``\\uNNNN`` a code point, ``\\n \\r \\t \\e \\0 \\\\`` the usual.
    """
    out = bytearray()
    pos = 0
    for match in _UNESCAPE.finditer(text):
        out += text[pos : match.start()].encode("utf-8", "surrogateescape")
        token = match.group(1)
        if token[0] == "x":
            out.append(int(token[1:], 16))
        elif token[0] == "u":
            out += chr(int(token[1:], 16)).encode("utf-8", "surrogatepass")
        else:
            out += {"n": b"\n", "r": b"\r", "t": b"\t", "e": b"\x1b", "0": b"\x00", "\\": b"\\"}[
                token
            ]
        pos = match.end()
    out += text[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)


def human_bytes(size: int | None) -> str:
    """1536 -> '1.5 KB'."""
    if size is None or size < 0:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def human_ttl(ttl_ms: int | None) -> str:
    """PTTL in ms -> '1h 02m', '45s', 'no ttl' (-1), 'gone' (-2)."""
    if ttl_ms is None:
        return ""
    if ttl_ms == -1:
        return "no ttl"
    if ttl_ms < 0:
        return "gone"
    secs = ttl_ms // 1000
    if secs < 60:
        if secs:
            return f"{secs}s"
        return f"{ttl_ms}ms" if ttl_ms else "expired"
    mins, secs = divmod(secs, 60)
    if mins < 60:
        return f"{mins}m {secs:02d}s"
    hours, mins = divmod(mins, 60)
    if hours < 48:
        return f"{hours}h {mins:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"
