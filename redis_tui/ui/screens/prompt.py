"""Small dialogs for edits: a form of labelled inputs, a text editor, a conflict choice."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, Static, TextArea

from redis_tui.ui.screens.base import Dialog


@dataclass(frozen=True)
class Field:
    label: str
    value: str = ""
    placeholder: str = ""


class PromptScreen(Dialog[list[str] | None]):
    """Labelled inputs; enter on the last one submits, esc cancels. Dismisses with the values.

    ``validate`` may return an error message to keep the dialog open (shown under the form).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Cancel")]
    AUTO_FOCUS = "#field-0"

    def __init__(
        self,
        title: str,
        fields: list[Field],
        note: Content | str = "",
        validate: object = None,
        *,
        compact: bool = False,
    ) -> None:
        super().__init__()
        self.compact = compact
        self.title_text = title
        self.fields = fields
        self.note = note
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog", classes="dialog compact" if self.compact else "dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            if self.note:
                note = self.note if isinstance(self.note, Content) else Content(self.note)
                yield Static(note, classes="dialog-note", markup=False)
            for index, spec in enumerate(self.fields):
                yield Label(Content(spec.label))
                yield Input(spec.value, placeholder=spec.placeholder, id=f"field-{index}")
            yield Static("", id="prompt-error", markup=False)
            yield Static(
                Content("enter: save · tab: next field · esc: cancel"), classes="dialog-hint"
            )

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index < len(inputs) - 1:
            inputs[index + 1].focus()
            return
        values = [box.value for box in inputs]
        if callable(self.validate):
            error = self.validate(values)
            if error:
                self.query_one("#prompt-error", Static).update(Content(str(error)))
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditTextScreen(Dialog[str | None]):
    """Edit a string value in a text area. ctrl+s saves, esc cancels."""

    AUTO_FOCUS = "TextArea"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="edit.save", tooltip="Save the value"),
        Binding("escape", "cancel", "Cancel", id="edit.cancel", tooltip="Cancel the edit"),
    ]

    def __init__(self, title: str, text: str, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog", classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title", markup=False)
            if self.note:
                yield Static(Content(self.note), classes="dialog-note", markup=False)
            yield TextArea(self.text, id="edit-text", soft_wrap=True, show_line_numbers=True)
            yield Static("", id="edit-error", markup=False)
            yield Static(Content("ctrl+s: save · esc: cancel"), classes="dialog-hint")

    def show_error(self, message: str) -> None:
        self.query_one("#edit-error", Static).update(Content(message))

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictScreen(Dialog[str | None]):
    """The key changed since it was loaded: reload, overwrite anyway, or cancel."""

    DECISION = True
    BINDINGS = [
        Binding("r", "choose('reload')", "Reload", id="conflict.reload", tooltip="Look again"),
        Binding("o", "choose('overwrite')", "Overwrite", id="conflict.overwrite", tooltip="Apply"),
        Binding("escape,c", "choose(None)", "Cancel", id="conflict.cancel", tooltip="Drop it"),
        Binding("q", "app.quit", "Quit", show=False, id="conflict.quit", tooltip="Quit redis-tui"),
    ]

    def __init__(self, body: Content) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-dialog", classes="dialog"):
            yield Static(Content("The key changed"), classes="dialog-title", markup=False)
            yield Static(self.body, markup=False)
            yield Static(
                Content("r: reload and look again · o: overwrite anyway · esc: cancel"),
                classes="dialog-hint",
            )

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)
