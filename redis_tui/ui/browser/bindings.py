"""The browser screen's key bindings: each with an id (what users remap) and a tooltip."""

from __future__ import annotations

from typing import cast

from textual.binding import Binding, BindingType


def browser_bindings() -> list[BindingType]:
    # (keys, action, footer label, id, tooltip, shown in footer). Ids are what users remap;
    # they keep their "app." prefix so existing keymaps go on working.
    return [
        cast(BindingType, Binding(keys, action, label, show=show, id=f"app.{ident}", tooltip=tip))
        for keys, action, label, ident, tip, show in (
            ("slash", "filter", "Filter", "filter", "Filter keys by glob pattern", True),
            ("colon", "command_bar", "Command", "command", "Open the : command bar", True),
            ("e", "request('edit')", "Edit", "edit", "Edit the value, or the selected element",
             True),
            ("t", "request('ttl')", "TTL", "ttl", "Set or remove the key's TTL", True),
            ("d,delete", "request('delete')", "Delete", "delete", "Delete the selected key", True),
            ("u", "undo", "Undo", "undo", "Restore the last deleted or overwritten key", True),
            ("o", "connect", "Connect", "connect", "Connection settings and profiles", True),
            ("a", "request('add_element')", "Add", "add", "Add an element, field or member", False),
            ("R", "request('rename')", "Rename", "rename", "Rename the key", False),
            ("n", "create_key", "New", "new_key", "Create a key: name, type, first value, TTL",
             False),
            ("C", "request('copy_to')", "Copy to", "copy_to", "Copy the key to a new name", False),
            ("at", "command_log", "Log", "log", "Show every write sent (the command log)", False),
            ("r", "refresh", "Refresh", "refresh", "Scan again and reload", False),
            ("s", "sort", "Sort", "sort", "Sort keys: scan order, name, TTL, type, size", False),
            ("y", "request('copy_key')", "Copy key", "copy_key", "Copy the key name", False),
            ("v", "toggle_tree", "Tree", "tree", "Toggle the namespace tree view", True),
            ("Y", "request('copy_value')", "Copy value", "copy_value", "Copy the value shown",
             False),
            ("w", "request('save_value')", "Save", "save_value", "Save the whole value to a file",
             False),
            ("p", "pause", "Pause", "pause", "Pause or resume live updates", False),
            ("x", "stop_scan", "Stop scan", "stop_scan", "Stop the scan, or continue it", False),
            ("1", "focus_pane('connection')", "Connection", "pane1", "Focus the connection pane",
             False),
            ("2", "focus_pane('keys')", "Keys", "pane2", "Focus the key list", False),
            ("3", "focus_pane('value')", "Value", "pane3", "Focus the value pane", False),
            ("4", "focus_pane('sessions')", "Sessions", "pane4", "Open the session inspector",
             False),
            # The value pane's own keys, pressed elsewhere (the key list): they act on the
            # value that is open.
            ("right_square_bracket", "request('more')", "More", "value_more",
             "Load the next page of the open value", False),
            ("f", "request('cycle_format')", "Format", "value_format",
             "Show the open string as text, JSON, hex…", False),
            ("P", "stream_groups", "Groups", "stream_groups",
             "The open stream's consumer groups, consumers and pending entries", False),
            ("z", "zoom", "Zoom", "zoom", "Maximise the focused pane, or restore it", False),
            ("escape", "go_back", "Back", "back", "Back to the key list", False),
        )
    ]  # fmt: skip
