"""The key list: a VirtualList over a columnar KeyStore.

A million keys cost no widgets, no row objects and no Rich Text: ``render_row`` escapes and
draws the ~40 rows on screen from the store, on demand.
"""

from __future__ import annotations

import time

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from redis_tui.data.scan.keystore import SIZE_UNKNOWN, KeyStore
from redis_tui.data.values.display import escape_key, human_bytes, human_ttl
from redis_tui.ui.widgets.virtual_list import VirtualList, cell, cursor_bindings

TYPE_WIDTH, TTL_WIDTH, SIZE_WIDTH = 7, 9, 8
# Below these widths the size column, then the type column, are left out.
NARROW_SIZE, NARROW_TYPE = 48, 30
MARK = "● "  # before the name of a marked key
OUTSIDE = "↪ "  # before a key :key listed that the filter does not match


class KeyList(VirtualList):
    """The cache key list."""

    BINDINGS = [
        *cursor_bindings("keys", "key"),
        Binding("enter", "open", "Open", id="keys.open", tooltip="Open the key's value"),
        Binding("space", "toggle_mark", "Mark", show=False, id="keys.mark",
                tooltip="Mark or unmark the key (for :export PATH), then go down"),
    ]  # fmt: skip
    COMPONENT_CLASSES = {
        "virtual-list--cursor",
        "key-list--type",
        "key-list--ttl",
        "key-list--size",
        "key-list--gone",
        "key-list--marked",
        "key-list--outside",
    }

    class Highlighted(Message):
        """The cursor moved to a key (None when the list is empty)."""

        def __init__(self, key_list: KeyList, key: bytes | None) -> None:
            super().__init__()
            self.key_list = key_list
            self.key = key

        @property
        def control(self) -> KeyList:
            return self.key_list

    class Opened(Message):
        def __init__(self, key_list: KeyList, key: bytes) -> None:
            super().__init__()
            self.key_list = key_list
            self.key = key

        @property
        def control(self) -> KeyList:
            return self.key_list

    class MarksChanged(Message):
        """Keys were marked or unmarked (``KeyList.marked`` holds them)."""

    def __init__(self, store: KeyStore | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store or KeyStore()
        self._last_highlight: bytes | None = None
        # Another view of the same keys shown instead of this list (the namespace tree):
        # focusing the key list focuses it while it is displayed.
        self.focus_proxy: Widget | None = None
        # What each row on screen was last drawn from: a tick or a poll repaints only the
        # rows whose TTL, type or size text changed, not the whole list.
        self._painted: dict[int, tuple[int, str, str, float, str]] = {}
        # The keys the user marked (space), by name: they stay marked across rescans, sorts
        # and filters, until :unmark or another database.
        self.marked: set[bytes] = set()
        # Keys listed by :key that the filter does not match (the screen's ScanView owns it).
        self.outside: set[bytes] = set()

    def focus(self, scroll_visible: bool = True) -> KeyList:
        proxy = self.focus_proxy
        if proxy is not None and proxy.display and not self.display:
            proxy.focus(scroll_visible)
            return self
        super().focus(scroll_visible)
        return self

    def on_mount(self) -> None:
        # Once a second (no network) the TTLs that count down on screen are repainted.
        self.set_interval(1.0, self.refresh_changed)

    # -- data -----------------------------------------------------------------------------

    def set_store(self, store: KeyStore) -> None:
        self.store = store
        self._last_highlight = None
        self._held_moves = ()
        self.cursor = 0
        self.scroll_to(0, 0, animate=False)
        self.rows_changed()

    @property
    def current_key(self) -> bytes | None:
        if not len(self.store) or self.cursor >= len(self.store):
            return None
        return self.store.names[self.store.row(self.cursor)]

    def visible_rows(self) -> list[tuple[int, bytes]]:
        """(storage index, key) of the rows on screen, for the TTL poll and the sizes."""
        rows = (self.store.row(p) for p in self.visible_range())
        return [(i, self.store.names[i]) for i in rows]

    def rows_changed(self) -> None:
        """Rows were added, removed or re-ordered: the cursor stays on its key (rows inserted
        or removed above it by live updates or a scan do not move the user to another key)."""
        key = self._last_highlight
        if key is not None and self.current_key != key:
            index = self.store.index_of(key)
            if index is not None:
                self.set_reactive(KeyList.cursor, self.store.position_of(index))
        super().rows_changed()
        self.scroll_to_cursor()

    def select_key(self, key: bytes) -> bool:
        index = self.store.index_of(key)
        if index is None:
            return False
        self.cursor = self.store.position_of(index)
        return True

    def reannounce(self) -> None:
        """Post Highlighted again even if the key under the cursor is the same."""
        self._last_highlight = None
        self.cursor_moved()

    # -- drawing --------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.store)

    def _drawn_from(self, row: int, now: float) -> tuple[int, str, str, float, str]:
        store = self.store
        index = store.row(row)
        ttl = human_ttl(store.ttl_ms(index, now))
        name = store.names[index]
        # The glyphs before the name: marked (space), listed by :key outside the filter.
        flags = ""
        if self.marked and name in self.marked:
            flags += MARK
        if self.outside and name in self.outside:
            flags += OUTSIDE
        return index, store.type_name(index), ttl, store.sizes[index], flags

    def refresh_changed(self) -> None:
        """Repaint the visible rows whose text changed since they were drawn."""
        painted, now = self._painted, time.monotonic()
        rows = self.visible_range()
        if len(painted) > 4 * max(1, len(rows)):
            painted.clear()  # rows scrolled away long ago
        for row in rows:
            if painted.get(row) != self._drawn_from(row, now):
                self.refresh_row(row)

    def row_token(self, row: int) -> object:
        drawn = self._drawn_from(row, time.monotonic())
        self._painted[row] = drawn
        return drawn, self.store.names[drawn[0]]

    def render_row(self, row: int, width: int, base: Style) -> list[Segment]:
        drawn = self._painted.get(row) or self._drawn_from(row, time.monotonic())
        index, kind, ttl, _, flags = drawn
        raw = self.store.names[index]
        name = escape_key(raw) if raw else '""'
        mark: list[Segment] = []
        for glyph, part in ((MARK, "marked"), (OUTSIDE, "outside")):
            if glyph in flags:
                style = base + self.get_component_rich_style(f"key-list--{part}", partial=True)
                mark.append(Segment(glyph, style))
                width -= len(glyph)
        if kind == "gone":
            base = base + self.get_component_rich_style("key-list--gone", partial=True)
        type_style = self.get_component_rich_style("key-list--type", partial=True)
        ttl_style = self.get_component_rich_style("key-list--ttl", partial=True)
        size_style = self.get_component_rich_style("key-list--size", partial=True)
        known = self.store.sizes[index] != SIZE_UNKNOWN
        size = human_bytes(self.store.size(index)) if known else ""
        # Narrow terminals: the name matters most; size, then type, give way to it.
        columns = [
            (cell(kind, TYPE_WIDTH, base + type_style + Style(color=_TYPE_COLOURS.get(kind))),
             TYPE_WIDTH, width >= NARROW_TYPE),
            (cell(ttl, TTL_WIDTH, base + ttl_style, right=True), TTL_WIDTH, True),
            (cell(size, SIZE_WIDTH, base + size_style, right=True), SIZE_WIDTH,
             width >= NARROW_SIZE),
        ]  # fmt: skip
        shown = [(segment, cells) for segment, cells, show in columns if show]
        name_width = max(4, width - sum(cells + 1 for _, cells in shown))
        segments = [*mark, *Strip([Segment(name, base)]).adjust_cell_length(name_width, base)]
        for segment, _ in shown:
            segments += [Segment(" ", base), segment]
        return segments

    def cursor_moved(self) -> None:
        key = self.current_key
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.Highlighted(self, key))

    # -- marks ------------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        key = self.current_key
        if key is None:
            return
        if key in self.marked:
            self.marked.discard(key)
        else:
            self.marked.add(key)
        self.refresh_row(self.cursor)
        self.post_message(self.MarksChanged())
        self.move(1)

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged())

    def action_open(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.Opened(self, key))


_TYPE_COLOURS = {
    "string": "green",
    "hash": "cyan",
    "list": "yellow",
    "set": "magenta",
    "zset": "blue",
    "stream": "bright_red",
    "other": "white",
    "json": "bright_green",
    "gone": "red",
}
