"""The connection screen's two small dialogs: a password to type, and a profile to save."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static

from redis_tui.config import Profile, keyring_available
from redis_tui.ui.screens.base import Dialog
from redis_tui.ui.screens.connect.form import row

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PasswordScreen(Dialog[str | None]):
    """Ask for one password in a masked input: enter gives it, esc gives None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="password.cancel", tooltip="Cancel")]
    AUTO_FOCUS = "Input"

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog", classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title", markup=False)
            yield Input(password=True, id="password-input")
            yield Static(Content("enter: use it · esc: leave it empty"), classes="dialog-hint")

    @on(Input.Submitted)
    def given(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ProfileChoice:
    """What the save dialog asked: the profile's own fields and where its password lives."""

    name: str
    colour: str | None
    production: bool
    readonly: bool
    source: str  # "none", "keyring", "env" or "prompt"
    env_var: str = ""


class SaveProfileScreen(Dialog[ProfileChoice | None]):
    """Name, colour, production, read-only, and the password source of a new profile."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_profile.save", tooltip="Save the profile"),
        Binding("escape", "cancel", "Cancel", id="save_profile.cancel", tooltip="Cancel"),
    ]

    def __init__(self, current: Profile | None, has_password: bool) -> None:
        super().__init__()
        self.current = current
        self.has_password = has_password
        self.keyring = keyring_available()

    def compose(self) -> ComposeResult:
        cur = self.current
        source = cur.password_source if cur else None
        if source == "keyring" and not self.keyring:
            source = "prompt"
        if source is None and self.has_password:
            source = "keyring" if self.keyring else "prompt"
        env = source[4:] if source and source.startswith("env:") else "REDIS_PASSWORD"
        with Vertical(id="save-dialog", classes="dialog"):
            yield Static(Content("Save as profile"), classes="dialog-title", markup=False)
            yield from row(
                "Name",
                Input(
                    cur.name if cur else "", placeholder="prod-cache", id="save-name", compact=True
                ),
            )
            yield from row(
                "Colour",
                Input(
                    (cur.colour or "") if cur else "",
                    placeholder="green, orange, #ff8800 (optional)",
                    id="save-colour",
                    compact=True,
                ),
            )
            yield from row(
                "Production",
                Checkbox(
                    "red banner; writes ask to type the name",
                    cur.production if cur else False,
                    id="save-production",
                    compact=True,
                ),
            )
            yield from row(
                "Read-only",
                Checkbox(
                    "no writes at all",
                    cur.connection.readonly if cur else False,
                    id="save-readonly",
                    compact=True,
                ),
            )
            buttons = [RadioButton("none", source is None, id="source-none", compact=True)]
            if self.keyring:
                buttons.append(
                    RadioButton(
                        "OS keyring (keeps the form's password there)",
                        source == "keyring",
                        id="source-keyring",
                        compact=True,
                    )
                )
            buttons += [
                RadioButton(
                    "environment variable",
                    bool(source and source.startswith("env:")),
                    id="source-env",
                    compact=True,
                ),
                RadioButton("ask each time", source == "prompt", id="source-prompt", compact=True),
            ]
            yield from row("Password", RadioSet(*buttons, id="save-source", compact=True))
            yield from row(
                "Variable",
                Input(env, placeholder="REDIS_PASSWORD", id="save-env", compact=True),
                group="env-field",
            )
            yield Static("", id="save-error", markup=False)
            yield Static(
                Content("The password is never written to the file.\n")
                + Content("enter/ctrl+s: save · tab: next · esc: cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()
        self._show_env()

    def _show_env(self) -> None:
        pressed = self.query_one("#save-source", RadioSet).pressed_button
        self.query_one(".env-field").display = pressed is not None and pressed.id == "source-env"

    @on(RadioSet.Changed, "#save-source")
    def source_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._show_env()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        # Enter saves from any field, the profile name too, as the hint says.
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        name = self.query_one("#save-name", Input).value.strip()
        colour = self.query_one("#save-colour", Input).value.strip() or None
        pressed = self.query_one("#save-source", RadioSet).pressed_button
        source = (pressed.id or "source-none").removeprefix("source-") if pressed else "none"
        env_var = self.query_one("#save-env", Input).value.strip()
        error = ""
        if not name or any(ch in name for ch in "\n\r\t\x00"):
            error = "Give the profile a name"
        elif colour is not None:
            try:
                Color.parse(colour)
            except ColorParseError:
                error = f"Not a colour: {colour} (try green, orange or #ff8800)"
        if not error and source == "env" and not _ENV_NAME.match(env_var):
            error = "The variable name must be letters, digits and _ (e.g. REDIS_PASSWORD)"
        if not error and source == "keyring" and not self.has_password:
            error = "The form has no password to keep in the keyring"
        if error:
            self.query_one("#save-error", Static).update(Content(error))
            return
        self.dismiss(
            ProfileChoice(
                name=name,
                colour=colour,
                production=self.query_one("#save-production", Checkbox).value,
                readonly=self.query_one("#save-readonly", Checkbox).value,
                source=source,
                env_var=env_var,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
