"""The key browser's extras: the namespace tree (``v``), copy the value (``Y``), save a value to
a file (``w``). The App's side only: the tree widget reads the store, the worker streams files.
"""

from __future__ import annotations

import os

from textual import on
from textual.content import Content
from textual.widget import Widget

from redis_tui.data.values.display import escape_key, human_bytes
from redis_tui.data.values.export import default_filename
from redis_tui.data.values.formatting import render
from redis_tui.ui.edit_actions import EditActions
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.prompt import Field, PromptScreen
from redis_tui.ui.widgets.namespace_list import NamespaceList
from redis_tui.ui.worker import messages as m


class BrowserActions(EditActions):
    """Mixed into ``RedisTuiApp``; uses its key list, value pane, store and config."""

    _tree: NamespaceList | None = None

    # -- v: the namespace tree -------------------------------------------------------------

    @property
    def namespace_tree(self) -> NamespaceList:
        """The tree, created and mounted beside the key list on first use."""
        if self._tree is None:
            delimiter = getattr(getattr(self, "config", None), "delimiter", ":")
            self._tree = NamespaceList(self.keys, delimiter, id="tree")
            self._tree.display = False
            self.keys.focus_proxy = self._tree
            parent = self.keys.parent
            assert isinstance(parent, Widget)
            parent.mount(self._tree, after=self.keys)
        return self._tree

    def action_toggle_tree(self) -> None:
        tree = self.namespace_tree
        showing = not tree.display
        tree.display = showing
        self.keys.display = not showing
        if showing:
            self.call_after_refresh(tree.sync)
        self.keys.focus()
        self.notify("Namespace tree" if showing else "Flat key list", timeout=1.5)

    @on(NamespaceList.KeyHighlighted)
    def tree_key_highlighted(self, event: NamespaceList.KeyHighlighted) -> None:
        # The flat list follows (hidden): its Highlighted loads the value, and every action
        # that works on "the selected key" (delete, edit, copy) sees this one.
        self.keys.select_key(event.key)

    @on(NamespaceList.KeyOpened)
    def tree_key_opened(self, event: NamespaceList.KeyOpened) -> None:
        self.keys.select_key(event.key)
        self.action_focus_pane("value")

    def action_focus_pane(self, pane: str) -> None:
        raise NotImplementedError

    # -- Y: copy the value shown -----------------------------------------------------------

    def action_copy_value(self) -> None:
        value = self._loaded()
        if value is None:
            return
        pane = self.value_pane
        if value.type == "string" or not value.columns:
            text = pane.text.text
            what = "Value"
        else:
            row = self._selected_row(value)
            if row is None:
                self.notify("Select an element in the value pane (3, then j/k)", markup=False)
                return
            element = row[1] if value.type in ("hash", "list") else row[0]
            if isinstance(element, bytes):
                text = render(element).text
            else:  # a stream entry: its fields as shown
                text = str(pane.table.get_row_at(pane.table.cursor_row)[1])
            what = "Element"
        self.copy_to_clipboard(text)
        self.notify(f"{what} copied ({len(text):,} characters)", timeout=1.5, markup=False)

    # -- w: save the whole value to a file -------------------------------------------------

    def action_save_value(self) -> None:
        key = self.keys.current_key
        if key is None:
            self.notify("Select a key first", severity="warning")
            return
        index = self.store.index_of(key)
        kind = self.store.type_name(index) if index is not None else "?"
        note = (
            "Strings are saved as raw bytes; hashes, sets, sorted sets, lists and streams as "
            "JSON lines, one element a line."
        )

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
                self.push_screen(
                    ConfirmScreen("Overwrite file", body, confirm_label="Overwrite"),
                    lambda yes: self._export(key, path, overwrite=True) if yes else None,
                )
            else:
                self._export(key, path, overwrite=False)

        self.push_screen(
            PromptScreen(
                f"Save the value of {escape_key(key)}",
                [Field("file", default_filename(key, kind))],
                note=note,
            ),
            chosen,
        )

    def _export(self, key: bytes, path: str, overwrite: bool) -> None:
        self.redis.export(key, path, overwrite=overwrite)
        self.notify(f"Saving {escape_key(key)} to {path}…", timeout=2, markup=False)

    @on(m.ValueExportProgressed)
    def value_export_progressed(self, event: m.ValueExportProgressed) -> None:
        progress = event.progress
        of = ""
        if progress.total:
            of = f" ({min(100, progress.items * 100 // progress.total)}%)"
        self.notify(
            f"Saving {escape_key(progress.key)}: {human_bytes(progress.written)}{of}",
            timeout=1,
            markup=False,
        )

    @on(m.ValueExported)
    def value_exported(self, event: m.ValueExported) -> None:
        self.notify(f"Saved {event.size:,} bytes to {event.path}", timeout=4, markup=False)
