"""The key browser's extras: the namespace tree (``v``), copy the value (``Y``), save a value to
a file (``w``), a stream's consumer groups (``P``). The tree widget reads the store; the worker
streams files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from redis_tui.data.values.display import escape_key, human_bytes
from redis_tui.data.values.formatting import render
from redis_tui.ui.widgets.namespace_list import NamespaceList
from redis_tui.ui.widgets.value_pane import ValuePane
from redis_tui.ui.widgets.value_search import query_of
from redis_tui.ui.worker import messages as m

# Dialogs and the edit flow load when first used: the first screen shows none of them.
if TYPE_CHECKING:
    from redis_tui.data.edit.ops import EditOp
    from redis_tui.ui.browser.edits import EditFlow
    from redis_tui.ui.browser.host import Host
    from redis_tui.ui.screens.stream_groups import StreamGroupsScreen


class ValueFlow:
    """The tree view of the keys, and copying or saving the value on screen."""

    def __init__(self, host: Host, edits: Callable[[], EditFlow]) -> None:
        self.host = host
        self._edits = edits  # built on first use, with its dialogs (see BrowserScreen.edits)
        self.tree: NamespaceList | None = None
        self.groups: StreamGroupsScreen | None = None  # the one open, for the worker's replies

    @property
    def edits(self) -> EditFlow:
        return self._edits()

    # -- v: the namespace tree -------------------------------------------------------------

    @property
    def namespace_tree(self) -> NamespaceList:
        """The tree, created and mounted beside the key list on first use."""
        if self.tree is None:
            keys = self.host.keys
            self.tree = NamespaceList(keys, self.host.config.delimiter, id="tree")
            self.tree.display = False
            keys.focus_proxy = self.tree
            parent = keys.parent
            assert isinstance(parent, Widget)
            parent.mount(self.tree, after=keys)
        return self.tree

    def toggle_tree(self) -> None:
        tree = self.namespace_tree
        showing = not tree.display
        tree.display = showing
        self.host.keys.display = not showing
        if showing:
            tree.call_after_refresh(tree.sync)
        self.host.keys.focus()
        self.host.notify("Namespace tree" if showing else "Flat key list", timeout=1.5)

    def tree_key_highlighted(self, event: NamespaceList.KeyHighlighted) -> None:
        # The flat list follows (hidden): its Highlighted loads the value, and every action
        # that works on "the selected key" (delete, edit, copy) sees this one.
        self.host.keys.select_key(event.key)

    def tree_key_opened(self, event: NamespaceList.KeyOpened) -> None:
        self.host.keys.select_key(event.key)
        self.host.focus_pane("value")

    # -- / inside a value, on the server --------------------------------------------------

    def search_requested(self, event: ValuePane.SearchRequested) -> None:
        value, pane = event.value, self.host.value_pane
        redis = self.host.redis
        if not event.query:
            redis.cancel_search()
            redis.load(value.key)  # the pages again
            return
        search = pane.search
        if search is None:
            return
        search.generation = redis.search_value(
            value.key, value.type, query_of(event.query),
            total=value.length, start=event.start, reverse=value.reverse, memory=value.memory,
        )  # fmt: skip

    def order_requested(self, event: ValuePane.OrderRequested) -> None:
        """O / B: the list or zset again from its first page, in the order asked for."""
        redis = self.host.redis
        redis.order = (event.value.key, event.order)
        redis.cancel_search()
        redis.load(event.value.key)

    def value_searched(self, event: m.ValueSearched) -> None:
        value = self.host.value_pane.value
        if value is not None and value.key == event.key:
            self.host.value_pane.search_found(event.generation, event.batch, event.error)

    # -- Y: copy the value shown -----------------------------------------------------------

    def copy_value(self) -> None:
        value = self.edits.loaded()
        if value is None:
            return
        pane = self.host.value_pane
        if value.type == "string" or not value.columns:
            text = pane.shown_text
            what = "Value"
        else:
            row = self.edits.selected_row(value)
            if row is None:
                self.host.notify("Select an element in the value pane (3, then j/k)", markup=False)
                return
            element = row[1] if value.type in ("hash", "list") else row[0]
            if isinstance(element, bytes):
                text = render(element).text
            else:  # a stream entry: its fields as shown
                text = str(pane.table.get_row_at(pane.table.cursor_row)[1])
            what = "Element"
        self.host.copy_to_clipboard(text)
        self.host.notify(f"{what} copied ({len(text):,} characters)", timeout=1.5, markup=False)

    # -- w: save the whole value to a file -------------------------------------------------

    def save_value(self, key: bytes) -> None:
        index = self.host.view.store.index_of(key)
        kind = self.host.view.store.type_name(index) if index is not None else "?"
        note = (
            "Strings are saved as raw bytes; hashes, sets, sorted sets, lists and streams as "
            "JSON lines, one element a line."
        )

        from redis_tui.data.values.export import default_filename
        from redis_tui.ui.screens.confirm import ConfirmScreen
        from redis_tui.ui.screens.prompt import Field, PromptScreen

        def chosen(values: list[str] | None) -> None:
            if not values or not values[0].strip():
                return
            path = os.path.expanduser(values[0].strip())
            if os.path.exists(path):
                body = Content.from_markup(
                    "The file\n\n[b]$path[/b]\n\nexists. Overwrite it with the value of $key?",
                    path=path,
                    key=escape_key(key),
                )
                self.host.push_screen(
                    ConfirmScreen("Overwrite file", body, confirm_label="Overwrite"),
                    lambda yes: self._export(key, path, overwrite=True) if yes else None,
                )
            else:
                self._export(key, path, overwrite=False)

        self.host.push_screen(
            PromptScreen(
                f"Save the value of {escape_key(key)}",
                [Field("file", default_filename(key, kind))],
                note=note,
            ),
            chosen,
        )

    def _export(self, key: bytes, path: str, overwrite: bool) -> None:
        self.host.redis.export(key, path, overwrite=overwrite)
        self.host.notify(f"Saving {escape_key(key)} to {path}…", timeout=2, markup=False)

    def export_progressed(self, event: m.ValueExportProgressed) -> None:
        progress = event.progress
        of = ""
        if progress.total:
            of = f" ({min(100, progress.items * 100 // progress.total)}%)"
        self.host.notify(
            f"Saving {escape_key(progress.key)}: {human_bytes(progress.written)}{of}",
            timeout=1,
            markup=False,
        )

    def exported(self, event: m.ValueExported) -> None:
        self.host.notify(f"Saved {event.size:,} bytes to {event.path}", timeout=4, markup=False)

    # -- P: a stream's consumer groups -----------------------------------------------------

    def stream_groups(self) -> None:
        value = self.host.value_pane.value
        if value is None or value.type != "stream":
            self.host.notify("Consumer groups belong to a stream: open one first", timeout=2)
            return

        from redis_tui.ui.screens.stream_groups import StreamGroupsScreen

        def write(what: str, op: EditOp) -> None:
            self.edits.confirm_write(what, lambda: self.host.redis.edit(op))

        self.groups = StreamGroupsScreen(value.key, self.host.redis.load_stream_groups, write)
        self.host.push_screen(self.groups)

    def _groups_screen(self, key: bytes) -> StreamGroupsScreen | None:
        screen = self.groups
        return screen if screen is not None and screen.is_attached and screen.key == key else None

    def stream_groups_loaded(self, event: m.StreamGroupsLoaded) -> None:
        screen = self._groups_screen(event.key)
        if screen is not None:
            screen.show(event.groups, event.detail, event.append)

    def edit_applied(self, event: m.EditApplied) -> None:
        """After an ack or a claim, the groups screen reads the group again."""
        screen = self._groups_screen(event.key)
        if screen is None:
            return
        from redis_tui.data.edit.ops import AckStreamEntries, ClaimStreamEntries

        if isinstance(event.edit, AckStreamEntries | ClaimStreamEntries):
            screen.action_reload()
