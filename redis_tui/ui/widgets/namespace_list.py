"""The namespace tree: one folder of the loaded keys at a time, as a VirtualList.

It reads the same ``KeyStore`` as the flat ``KeyList`` (``source``) and keeps a
``NamespaceIndex`` beside it: new names are indexed in chunks on a timer (the store only grows
at its end), removals arrive through the store's ``removal_hooks``, and a new scan (a new store)
starts a new index. Nothing is indexed while the tree is hidden.
"""

from __future__ import annotations

import time

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.content import Content
from textual.message import Message

from redis_tui.data.scan.keystore import KeyStore
from redis_tui.data.scan.namespaces import FolderView, NamespaceIndex
from redis_tui.data.values.display import escape_key
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.virtual_list import VirtualList, cursor_bindings

INDEX_CHUNK = 25_000  # names indexed per tick: <= ~45 ms at 1M keys (benchmarks/README.md)
SYNC_INTERVAL = 0.1
RESORT_INTERVAL = 1.0  # a sorted folder that keeps changing is re-sorted at most this often


class NamespaceList(VirtualList):
    """Subfolders first (``name:  (1,234 keys)``), then the folder's keys."""

    BINDINGS = [
        *cursor_bindings("tree", "row"),
        Binding("enter,l,right", "open", "Open", id="tree.open",
                tooltip="Open the folder, or the key's value"),
        Binding("h,left,backspace", "up", "Up", id="tree.up", tooltip="Up one folder"),
    ]  # fmt: skip
    COMPONENT_CLASSES = {"virtual-list--cursor", "namespace-list--folder", "namespace-list--count"}

    class KeyHighlighted(Message):
        """The cursor is on a key row."""

        def __init__(self, tree: NamespaceList, key: bytes) -> None:
            super().__init__()
            self.tree = tree
            self.key = key

        @property
        def control(self) -> NamespaceList:
            return self.tree

    class KeyOpened(Message):
        """``enter`` on a key row."""

        def __init__(self, tree: NamespaceList, key: bytes) -> None:
            super().__init__()
            self.tree = tree
            self.key = key

        @property
        def control(self) -> NamespaceList:
            return self.tree

    def __init__(self, source: KeyList, delimiter: str = ":", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.delimiter = delimiter.encode("utf-8")
        self.index = NamespaceIndex(self.delimiter)
        self.prefix = b""
        self.view = FolderView(b"", (), (), True)
        self._store: KeyStore | None = None
        self._consumed = 0  # store.names[:_consumed] are in the index
        self._view_version = -1
        self._sorted_at = 0.0
        self._last_highlight: bytes | None = None

    def on_mount(self) -> None:
        self.set_interval(SYNC_INTERVAL, self.sync)
        self._update_title()

    # -- following the store --------------------------------------------------------------

    def sync(self) -> None:
        """Index what the scan added since the last tick and redraw if anything changed."""
        store = self.source.store
        if not self.display:
            if self._store is not None and self._store is not store:
                self._unfollow()  # a new scan while hidden: rebuild when shown again
            return
        if store is not self._store:
            self._follow(store)
        names = store.names
        if self._consumed < len(names):
            chunk = names[self._consumed : self._consumed + INDEX_CHUNK]
            self.index.add(chunk)
            self._consumed += len(chunk)
        if self.index.version != self._view_version:
            now = time.monotonic()
            if self.view.sorted and now - self._sorted_at < RESORT_INTERVAL and len(self.view):
                # Re-sorting waits; the counts on screen are live lookups: just redraw.
                self._update_title()
                self.refresh()
                return
            self._sorted_at = now
            self._rebuild(keep=True)

    def _follow(self, store: KeyStore) -> None:
        self._unfollow()
        self._store = store
        self.index = NamespaceIndex(self.delimiter)
        self._consumed = 0
        store.removal_hooks.append(self._removed)
        self.cursor = 0
        self._last_highlight = None

    def _unfollow(self) -> None:
        if self._store is not None and self._removed in self._store.removal_hooks:
            self._store.removal_hooks.remove(self._removed)
        self._store = None
        self.index = NamespaceIndex(self.delimiter)
        self._consumed = 0
        self._view_version = -1

    def _removed(self, key: bytes, index: int) -> None:
        if index >= self._consumed:
            return  # not indexed yet
        up_to_date = self._view_version == self.index.version
        self.index.remove(key)
        self._consumed -= 1
        view, prefix = self.view, self.prefix
        if view.sorted and key.startswith(prefix):
            # A sorted view is a copy: take the key, or its folder left empty, out of it too
            # (a live, unsorted view followed the index by itself).
            cut = key.find(self.delimiter, len(prefix))
            if cut < 0:
                if isinstance(view.keys, list) and key in view.keys:
                    view.keys.remove(key)
            else:
                child = key[: cut + len(self.delimiter)]
                gone = not self.index.subfolder_count(prefix, child)
                if gone and isinstance(view.folders, list) and child in view.folders:
                    view.folders.remove(child)
        if up_to_date:
            self._view_version = self.index.version
        self.rows_changed()
        self._update_title()

    def _rebuild(self, keep: bool) -> None:
        """Take a fresh view of the current folder; keep the cursor on the same row."""
        current = self._row_item(self.cursor) if keep else None
        self.view = self.index.view(self.prefix)
        self._view_version = self.index.version
        if current is not None:
            position = self._position_of(current)
            if position is not None and position != self.cursor:
                self.cursor = position
        self.rows_changed()
        self._update_title()

    # -- rows ----------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.view)

    def _row_item(self, row: int) -> tuple[bool, bytes] | None:
        """(is a folder, prefix or key) of a row."""
        folders = self.view.folders
        if row < len(folders):
            return True, folders[row]
        row -= len(folders)
        keys = self.view.keys
        return (False, keys[row]) if 0 <= row < len(keys) else None

    def _position_of(self, item: tuple[bool, bytes]) -> int | None:
        is_folder, value = item
        try:
            if is_folder:
                return self.view.folders.index(value)
            return len(self.view.folders) + self.view.keys.index(value)
        except ValueError:
            return None

    @property
    def current_key(self) -> bytes | None:
        item = self._row_item(self.cursor)
        return item[1] if item is not None and not item[0] else None

    @property
    def current_folder(self) -> bytes | None:
        item = self._row_item(self.cursor)
        return item[1] if item is not None and item[0] else None

    def render_row(self, row: int, width: int, base: Style) -> list[Segment]:
        item = self._row_item(row)
        if item is None:
            return []
        is_folder, value = item
        shown = value[len(self.prefix) :]
        if is_folder:
            count = self.index.subfolder_count(self.prefix, value)
            noun = "key" if count == 1 else "keys"
            folder_style = base + self.get_component_rich_style(
                "namespace-list--folder", partial=True
            )
            count_style = base + self.get_component_rich_style(
                "namespace-list--count", partial=True
            )
            return [
                Segment("▸ ", folder_style),
                Segment(escape_key(shown), folder_style),
                Segment(f"  ({count:,} {noun})", count_style),
            ]
        name = escape_key(shown) if shown else '""'
        return [Segment("  " + name, base)]

    def cursor_moved(self) -> None:
        key = self.current_key
        if key is not None and key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.KeyHighlighted(self, key))

    def _update_title(self) -> None:
        crumb = escape_key(self.prefix) if self.prefix else "/"
        count = self.index.count(self.prefix)
        order = "" if self.view.sorted else " · scan order"
        self.border_title = Content(f"2 Keys · tree {crumb}  ({count:,} keys{order})")

    # -- actions -------------------------------------------------------------------------

    def open_folder(self, prefix: bytes, select: bytes | None = None) -> None:
        self.prefix = prefix
        self.cursor = 0
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._rebuild(keep=False)
        if select is not None:
            position = self._position_of((True, select))
            if position is not None:
                self.cursor = position

    def action_open(self) -> None:
        item = self._row_item(self.cursor)
        if item is None:
            return
        is_folder, value = item
        if is_folder:
            self.open_folder(value)
        else:
            self.post_message(self.KeyOpened(self, value))

    def action_up(self) -> None:
        if self.prefix:
            came_from = self.prefix
            self.open_folder(self.index.parent_of(self.prefix), select=came_from)
