"""``?``: every key binding of the app and of the focused pane."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from redis_tui.ui.screens.base import Dialog


class HelpScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,question_mark", "dismiss_help", "Close", id="help.close", tooltip="Close"),
        Binding("q", "app.quit", "Quit", show=False, id="help.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Key bindings — esc closes", id="help-title")
            table: DataTable[Text] = DataTable(
                id="help-table", cursor_type="row", zebra_stripes=True
            )
            table.add_columns("keys", "action", "where", "id (remap in config [keymap])")
            for keys, description, where, ident in self.rows:
                table.add_row(Text(keys), Text(description), Text(where), Text(ident))
            yield table

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
