"""Small pieces of presentation shared by widgets and screens (neither imports the other)."""

from __future__ import annotations

from rich.cells import cell_len
from textual.color import Color, ColorParseError
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from redis_tui.data.values.display import escape_key


def swatch(colour: str | None) -> Content:
    """A ``●`` in the profile's colour (plain when the colour is missing or not a colour)."""
    if not colour:
        return Content("●")
    try:
        color = Color.parse(colour)
    except ColorParseError:
        return Content("●")
    return Content.styled("●", Style(foreground=color))


def clip_middle(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` terminal cells, the middle given up for ``…``: a key's
    prefix and its id both stay readable, and a long key never wraps into fragments."""
    if cell_len(text) <= cells:
        return text
    keep = max(1, cells - 1)
    head, tail = "", ""
    left, right = 0, len(text)
    # Alternate characters from each end until the budget is spent (wide characters count 2).
    while left < right:
        char = text[left]
        if cell_len(head) + cell_len(tail) + cell_len(char) > keep:
            break
        head += char
        left += 1
        if left >= right:
            break
        char = text[right - 1]
        if cell_len(head) + cell_len(tail) + cell_len(char) > keep:
            break
        tail = char + tail
        right -= 1
    return f"{head}…{tail}"


def key_label(key: bytes, cells: int) -> str:
    """A key, escaped, in at most about ``cells`` cells: a huge name (64 KB is a valid key)
    is clipped in the middle and says its full length, so what follows it stays on screen.
    ``y`` copies the whole name."""
    shown = escape_key(key)
    if cell_len(shown) <= cells:
        return shown
    return f"{clip_middle(shown, cells)} ({len(key):,}-byte name)"


def update_static(widget: Static, content: Content) -> None:
    """``widget.update(content)`` unless it already shows exactly that: an update costs a
    repaint, and the polls re-send the same lines every second. A widget whose size its text
    cannot change (a height in cells, a width not ``auto``) is updated without a layout of
    the whole screen (10-40 ms at 160x45, the status line's every 0.1 s during a scan)."""
    old = widget.content
    if isinstance(old, Content) and old.plain == content.plain and old.spans == content.spans:
        return
    height, width = widget.styles.height, widget.styles.width
    fixed = height is not None and height.is_cells and (width is None or not width.is_auto)
    widget.update(content, layout=not fixed)
