"""A ``hexdump -C`` style rendering of binary values."""

from __future__ import annotations

__all__ = ["hexdump"]

_WIDTH = 16
# Printable ASCII only: anything else (controls, DEL, high bytes) shows as "." so a
# value can never smuggle terminal escape sequences into the view.
_ASCII = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in range(256))


def hexdump(data: bytes, limit: int = 4096) -> str:
    """Offset, 16 hex bytes (split in two groups of 8) and an ASCII column per line.

    At most ``limit`` bytes are shown; a final line says how many were left out.
    """
    shown = data[: max(limit, 0)]
    lines = []
    for offset in range(0, len(shown), _WIDTH):
        chunk = shown[offset : offset + _WIDTH]
        left = " ".join(f"{b:02x}" for b in chunk[:8])
        right = " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(_ASCII[b] for b in chunk)
        lines.append(f"{offset:08x}  {left:<23}  {right:<23}  |{text}|")
    lines.append(f"{len(shown):08x}")
    if len(data) > len(shown):
        lines.append(f"... {len(data) - len(shown)} more bytes not shown")
    return "\n".join(lines)
