"""A yes/no confirmation that names exactly what it is about to do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from redis_tui.ui.screens.base import Dialog


class ConfirmScreen(Dialog[bool]):
    """Dismisses with True on ``y``, False on ``n`` or ``esc``."""

    DECISION = True
    AUTO_FOCUS = "#confirm-no"  # a stray enter cancels; focusing in on_mount races a fast dismiss
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes", tooltip="Confirm"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Cancel"),
        Binding("q", "app.quit", "Quit", show=False, id="confirm.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, title: str, body: Content, confirm_label: str = "Delete") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Content(self.title_text), id="confirm-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.confirm_label} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
