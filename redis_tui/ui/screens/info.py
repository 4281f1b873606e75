"""``:info``: the server's INFO, read-only and searchable with the text area's own keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from redis_tui.data.values.display import escape_text
from redis_tui.data.values.formatting import FORMATS
from redis_tui.ui.screens.base import Dialog


class TextScreen(Dialog[None]):
    """A titled, read-only text in a dialog; esc or q closes it."""

    AUTO_FOCUS = "TextArea"

    BINDINGS = [
        Binding("escape", "close", "Close", id="text.close", tooltip="Close"),
        Binding("q", "app.quit", "Quit", show=False, id="text.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="text-dialog"):
            yield Static(f"{self.title_text} — esc closes", id="text-title", markup=False)
            yield TextArea(
                escape_text(self.text.replace("\r\n", "\n")), read_only=True, id="text-body"
            )

    def action_close(self) -> None:
        self.dismiss(None)


class FormatScreen(Dialog[str | None]):
    """Pick how to show a string: auto-detect, or force one decoder."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="format.close", tooltip="Close"),
        Binding("q", "app.quit", "Quit", show=False, id="format.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="format-dialog"):
            yield Static("Show the value as — enter picks, esc closes", id="text-title")
            options = [Option(name, id=name) for name in FORMATS]
            yield OptionList(*options, id="format-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = FORMATS.index(self.current) if self.current in FORMATS else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
