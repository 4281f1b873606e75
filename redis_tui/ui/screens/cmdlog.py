"""``@``: the command log of the whole run, newest first, filtered as you type, saved on ``w``."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static, TextArea

from redis_tui.data.edit.cmdlog import LogEntry, format_entry
from redis_tui.ui.screens.base import Dialog


class CommandLogScreen(Dialog[None]):
    """Every write of this run, of every connection: newest first, each with its source."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="log.close", tooltip="Close"),
        Binding("slash", "filter", "Filter", id="log.filter", tooltip="Filter the entries"),
        Binding("w", "save", "Save", id="log.save", tooltip="Save the entries shown to a file"),
        Binding("q", "app.quit", "Quit", show=False, id="log.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, entries: list[LogEntry], save: Callable[[str], None]) -> None:
        super().__init__()
        # Formatted once: a filter keystroke only compares text.
        self.lines = [format_entry(e) for e in reversed(entries)]
        self.shown = self.lines
        self._save = save
        self.title_text = "Command log"

    def compose(self) -> ComposeResult:
        with Vertical(id="text-dialog"):
            yield Static("", id="text-title", markup=False)
            yield Input(placeholder="filter: text in the command, key, result or source",
                        id="log-filter")  # fmt: skip
            yield TextArea("", read_only=True, id="text-body")

    def on_mount(self) -> None:
        self._show("")
        self.query_one(TextArea).focus()

    def _show(self, text: str) -> None:
        needle = text.lower()
        self.shown = [line for line in self.lines if needle in line.lower()] if text else self.lines
        count = len(self.lines)
        noun = "write" if count == 1 else "writes"
        of = f"{len(self.shown):,} of " if text else ""
        self.query_one("#text-title", Static).update(
            f"Command log — {of}{count:,} {noun} of this run, newest first · / filter · "
            "w save · esc closes"
        )
        body = "\n".join(self.shown) if self.shown else (
            "No writes yet." if not self.lines else "No entry matches."
        )  # fmt: skip
        self.query_one(TextArea).load_text(body)

    @on(Input.Changed, "#log-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#log-filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(TextArea).focus()

    def action_filter(self) -> None:
        self.query_one("#log-filter", Input).focus()

    def action_save(self) -> None:
        self._save("\n".join(self.shown) + "\n")

    def action_close(self) -> None:
        if self.query_one("#log-filter", Input).has_focus:
            self.query_one(TextArea).focus()
            return
        self.dismiss(None)
