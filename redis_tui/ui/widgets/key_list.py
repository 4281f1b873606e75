"""A virtual key list: draws only the visible lines from a columnar KeyStore.

A million keys cost no widgets, no row objects and no Rich Text: ``render_line`` escapes and
draws the ~40 rows on screen from the store, on demand.
"""

from __future__ import annotations

import time

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from redis_tui.data.display import escape_key, human_ttl
from redis_tui.data.keystore import KeyStore

TYPE_WIDTH, TTL_WIDTH = 7, 9


class KeyList(ScrollView, can_focus=True):
    """The cache key list."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="keys.down", tooltip="Next key"),
        Binding("k,up", "cursor_up", "Up", show=False, id="keys.up", tooltip="Previous key"),
        Binding("g,home", "first", "First", show=False, id="keys.first", tooltip="First key"),
        Binding("G,end", "last", "Last", show=False, id="keys.last", tooltip="Last key"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="keys.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="keys.page_up"),
        Binding("enter", "open", "Open", id="keys.open", tooltip="Open the key's value"),
    ]
    COMPONENT_CLASSES = {
        "key-list--cursor",
        "key-list--type",
        "key-list--ttl",
        "key-list--gone",
    }

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

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

    def __init__(self, store: KeyStore | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store or KeyStore()
        self._last_highlight: bytes | None = None

    def on_mount(self) -> None:
        # Repaint (no network) once a second so TTLs count down.
        self.set_interval(1.0, self.refresh)

    # -- data -----------------------------------------------------------------------------

    def set_store(self, store: KeyStore) -> None:
        self.store = store
        self._last_highlight = None
        self.cursor = 0
        self.scroll_to(0, 0, animate=False)
        self.rows_changed()

    def rows_changed(self) -> None:
        """Call after the store grew, shrank or was re-ordered."""
        self.virtual_size = Size(0, len(self.store))
        if self.cursor >= len(self.store):
            self.cursor = max(0, len(self.store) - 1)
        self.refresh()
        self._announce()

    @property
    def current_key(self) -> bytes | None:
        if not len(self.store) or self.cursor >= len(self.store):
            return None
        return self.store.names[self.store.row(self.cursor)]

    def visible_rows(self) -> list[tuple[int, bytes]]:
        """(storage index, key) of the rows on screen, for the TTL poll."""
        top = int(self.scroll_offset.y)
        bottom = min(len(self.store), top + self.size.height)
        return [
            (self.store.row(p), self.store.names[self.store.row(p)]) for p in range(top, bottom)
        ]

    def select_key(self, key: bytes) -> bool:
        index = self.store.index_of(key)
        if index is None:
            return False
        self.cursor = self.store.position_of(index)
        return True

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        position = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if position >= len(self.store):
            return Strip.blank(width, base)
        index = self.store.row(position)
        kind = self.store.type_name(index)
        ttl = human_ttl(self.store.ttl_ms(index, time.monotonic()))
        name_width = max(4, width - TYPE_WIDTH - TTL_WIDTH - 2)
        raw = self.store.names[index]
        name = escape_key(raw) if raw else '""'
        type_style = self.get_component_rich_style("key-list--type", partial=True)
        ttl_style = self.get_component_rich_style("key-list--ttl", partial=True)
        if kind == "gone":
            base = base + self.get_component_rich_style("key-list--gone", partial=True)
        type_style = type_style + Style(color=_TYPE_COLOURS.get(kind))
        segments = [
            *Strip([Segment(name, base)]).adjust_cell_length(name_width, base),
            Segment(" ", base),
            Segment(kind[:TYPE_WIDTH].ljust(TYPE_WIDTH), base + type_style),
            Segment(" ", base),
            Segment(ttl[:TTL_WIDTH].rjust(TTL_WIDTH), base + ttl_style),
        ]
        strip = Strip(segments).adjust_cell_length(width, base)
        if position == self.cursor:
            cursor_style = self.get_component_rich_style("key-list--cursor")
            if not self.has_focus:
                cursor_style = cursor_style + Style(dim=True)
            strip = strip.apply_style(cursor_style)
        return strip

    # -- cursor ---------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old - int(self.scroll_offset.y))
        self.refresh_line(new - int(self.scroll_offset.y))
        self.scroll_to_cursor()
        self._announce()

    def refresh_line(self, y: int) -> None:
        if 0 <= y < self.size.height:
            self.refresh(self.region.__class__(0, y, self.size.width, 1))

    def scroll_to_cursor(self) -> None:
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        key = self.current_key
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.Highlighted(self, key))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _move(self, delta: int) -> None:
        if len(self.store):
            self.cursor = min(len(self.store) - 1, max(0, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_first(self) -> None:
        self._move(-len(self.store))

    def action_last(self) -> None:
        self._move(len(self.store))

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_open(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.Opened(self, key))

    def on_click(self, event: object) -> None:
        offset = getattr(event, "y", None)
        if isinstance(offset, int):
            self._move(int(self.scroll_offset.y) + offset - self.cursor)


_TYPE_COLOURS = {
    "string": "green",
    "hash": "cyan",
    "list": "yellow",
    "set": "magenta",
    "zset": "blue",
    "stream": "bright_red",
    "other": "white",
    "gone": "red",
}
