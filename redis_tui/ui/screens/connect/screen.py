"""``o``: where Redis is. Saved profiles on the left, the connection form on the right.

``ctrl+t`` tests the form (``probe`` in a worker: the screen never waits) and says exactly
what failed; ``ctrl+s`` connects (dismisses with the settings and the chosen profile);
``ctrl+n`` saves the form as a profile, never with its password. In the profile list,
``enter`` loads a profile into the form and ``ctrl+d``/``delete`` removes it.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from redis_tui.config import (
    Config,
    ConfigError,
    Profile,
    config_path,
    delete_profile,
    load_config,
    resolve_password,
    save_profile,
    store_password,
)
from redis_tui.data.client.diagnose import Diagnosis, probe
from redis_tui.data.client.settings import ConnectionSettings
from redis_tui.data.values.display import escape_text
from redis_tui.ui.screens.base import Dialog
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.connect.dialogs import PasswordScreen, ProfileChoice, SaveProfileScreen
from redis_tui.ui.screens.connect.form import ConnectionForm
from redis_tui.ui.style import swatch


def _clean(text: str) -> str:
    return escape_text(text, multiline=False)


def profile_label(profile: Profile) -> Content:
    """One line of the profile list: colour swatch, name, production / read-only markers."""
    parts = [swatch(profile.colour), Content(" "), Content(_clean(profile.name))]
    if profile.production:
        parts.append(Content.from_markup(" [b $error]PROD[/]"))
    if profile.connection.readonly:
        parts.append(Content.from_markup(" [$warning]RO[/]"))
    return Content.assemble(*parts)


class ProfileList(OptionList):
    """Saved profiles. ``enter`` loads one; ``ctrl+d`` / ``delete`` asks to remove it."""

    BINDINGS = [
        Binding(
            "ctrl+d,delete",
            "remove",
            "Remove profile",
            id="connect.remove_profile",
            tooltip="Remove the highlighted profile from the config file",
        )
    ]

    class RemoveRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def action_remove(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.RemoveRequested(self.highlighted))


class ConnectScreen(Dialog[tuple[ConnectionSettings, Profile | None] | None]):
    """The connection form and the saved profiles. Dismisses with (settings, profile)."""

    BINDINGS = [
        Binding("ctrl+t", "test", "Test", id="connect.test", tooltip="Check these settings"),
        Binding("ctrl+s", "connect", "Connect", id="connect.connect", tooltip="Connect here"),
        Binding(
            "ctrl+n",
            "save_profile",
            "Save profile",
            id="connect.save",
            tooltip="Save the form as a profile (never its password)",
        ),
        Binding("escape", "cancel", "Cancel", id="connect.cancel", tooltip="Close"),
    ]

    class Tested(Message):
        """The probe of the form's settings finished."""

        def __init__(self, diagnosis: Diagnosis, generation: int) -> None:
            super().__init__()
            self.diagnosis = diagnosis
            self.generation = generation

    def __init__(
        self, settings: ConnectionSettings, config: Config, profile: Profile | None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.config = config
        self.profile = profile
        # The profile Connect will use: the app's current one until another is loaded.
        self.chosen = profile
        self._test_generation = 0
        self._profiles: list[Profile] = []

    @property
    def path(self) -> Path:
        return self.config.path or config_path()

    @property
    def form(self) -> ConnectionForm:
        return self.query_one(ConnectionForm)

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-dialog"):
            with Horizontal(id="connect-body"):
                yield ProfileList(id="profile-list")
                with ConnectionForm(self.settings, id="connect-form"):
                    yield Static("", id="connect-profile", markup=False)
            yield Static("", id="connect-result", markup=False)
            with Horizontal(id="connect-buttons"):
                yield Button("Test ^t", id="connect-test", compact=True)
                yield Button("Connect ^s", variant="primary", id="connect-go", compact=True)
                yield Button("Save profile ^n", id="connect-save", compact=True)
                yield Button("Cancel esc", id="connect-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#connect-dialog").border_title = "Connection"
        listing = self.query_one(ProfileList)
        listing.border_title = "Profiles"
        listing.border_subtitle = "⏎ load · del remove"
        self.query_one("#connect-form").border_title = "Settings"
        self._reload_profiles()
        self.form.fill(self.settings)
        self._show_chosen()
        self._say(None, "Paste a URL (enter fills the form) or edit the fields; ctrl+t tests")
        self.query_one("#url", Input).focus()

    # -- profiles ----------------------------------------------------------------------------

    def _reload_profiles(self) -> None:
        """Read the config file again (another screen or process may have changed it)."""
        try:
            self.config = load_config(self.path) if self.path.exists() else self.config
        except ConfigError as exc:
            self._say(False, str(exc))
        self._profiles = list(self.config.profiles.values())
        listing = self.query_one(ProfileList)
        listing.clear_options()
        listing.add_option(Option(Content("+ new connection"), id="new"))
        for profile in self._profiles:
            listing.add_option(Option(profile_label(profile)))
        names = [p.name for p in self._profiles]
        listing.highlighted = 0
        if self.chosen is not None and self.chosen.name in names:
            listing.highlighted = names.index(self.chosen.name) + 1

    def _show_chosen(self) -> None:
        chosen = self.chosen
        if chosen is None:
            line = Content.assemble(
                Content.styled("new connection", "bold"),
                Content.styled("  (no profile: ctrl+n saves one)", "dim"),
            )
        else:
            line = Content.assemble(
                Content.styled("editing profile ", "bold"),
                profile_label(chosen),
                Content.styled("  (connect uses it; ctrl+n saves changes)", "dim"),
            )
        self.query_one("#connect-profile", Static).update(line)

    @on(OptionList.OptionSelected, "#profile-list")
    def profile_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index == 0:
            self.chosen = None
            self.form.reset()
            self._show_chosen()
            self._say(None, "A new connection: fill in the form")
            self.query_one("#host", Input).focus()
            return
        self.load_profile(self._profiles[event.option_index - 1])

    def load_profile(self, profile: Profile) -> None:
        """Fill the form from ``profile``; ask for its password when it must be typed."""
        try:
            settings = profile.to_settings()
        except ConfigError as exc:
            self._say(False, str(exc))
            return
        self.chosen = profile
        self.form.fill(settings)
        self._show_chosen()
        self._say(None, f"Loaded profile {profile.name}")
        self._resolve_passwords(profile)
        self.query_one("#connect-go", Button).focus()

    def _resolve_passwords(self, profile: Profile) -> None:
        wanted: list[bool] = []  # sentinel?
        for sentinel, source in (
            (False, profile.password_source),
            (True, profile.sentinel_password_source),
        ):
            if not source:
                continue
            found = resolve_password(profile, sentinel=sentinel)
            if found is not None:
                self.form.set_password(found, sentinel=sentinel)
            else:
                wanted.append(sentinel)
        self._ask_passwords(profile, wanted)

    def _ask_passwords(self, profile: Profile, wanted: list[bool]) -> None:
        if not wanted:
            return
        sentinel, rest = wanted[0], wanted[1:]
        whose = "Sentinel password" if sentinel else "Password"
        source = profile.sentinel_password_source if sentinel else profile.password_source
        why = {"keyring": " (not in the keyring)"}.get(source or "", "")
        if source and source.startswith("env:"):
            why = f" (${source[4:]} is not set)"

        def given(password: str | None) -> None:
            if password is not None:
                self.form.set_password(password, sentinel=sentinel)
            self._ask_passwords(profile, rest)

        self.app.push_screen(
            PasswordScreen(f"{whose} for profile {_clean(profile.name)}{why}"), given
        )

    @on(ProfileList.RemoveRequested)
    def remove_requested(self, event: ProfileList.RemoveRequested) -> None:
        if event.index == 0:
            return
        profile = self._profiles[event.index - 1]
        body = Content.from_markup(
            "Remove the profile [b]$name[/b] from\n$path?\n\n(Its keyring password stays.)",
            name=_clean(profile.name),
            path=_clean(str(self.path)),
        )

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                delete_profile(profile.name, self.path)
            except ConfigError as exc:
                self._say(False, str(exc))
                return
            if self.chosen is not None and self.chosen.name == profile.name:
                self.chosen = None
                self._show_chosen()
            self._reload_profiles()
            self._say(None, f"Removed profile {profile.name}")

        self.app.push_screen(ConfirmScreen("Remove profile", body, "Remove"), answered)

    # -- the form ------------------------------------------------------------------------------

    @on(Input.Submitted, "#url")
    def url_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        url = event.value.strip()
        if not url:
            return
        try:
            self.form.apply_url(url)
        except ValueError as exc:
            self._say(False, f"Bad URL: {exc}")
            return
        self._say(None, "URL read into the form: ctrl+t tests it, ctrl+s connects")
        self.query_one("#connect-go", Button).focus()

    @on(Input.Submitted)
    def field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id != "url":
            self.focus_next()

    def form_settings(self) -> ConnectionSettings:
        """The settings the form describes (read-only too when the chosen profile is).

        Raises:
            ValueError: a field is wrong; the message names it.
        """
        return self.form.read(readonly=bool(self.chosen and self.chosen.connection.readonly))

    # -- results -------------------------------------------------------------------------------

    def _say(self, ok: bool | None, message: str, forbidden: tuple[str, ...] = ()) -> None:
        """One result line: green (ok), red (failed) or plain (information)."""
        style = {True: "$success", False: "$error", None: ""}[ok]
        mark = {True: "✔ ", False: "✖ ", None: ""}[ok]
        text = Content.styled(mark + _clean(message), style)
        if forbidden:
            text = Content.assemble(
                text,
                "\n",
                Content.styled("not permitted: " + _clean(", ".join(forbidden)), "$warning"),
            )
        result = self.query_one("#connect-result", Static)
        result.update(text)
        result.set_class(ok is True, "-ok")
        result.set_class(ok is False, "-failed")

    # -- actions -------------------------------------------------------------------------------

    def action_test(self) -> None:
        try:
            settings = self.form_settings()
        except ValueError as exc:
            self._say(False, str(exc))
            return
        self._test_generation += 1
        self._say(None, f"Testing {settings.describe()}…")
        self.run_worker(
            self._probe(settings, self._test_generation),
            name="connect-test",
            group="connect-test",
            exclusive=True,
            exit_on_error=False,
        )

    async def _probe(self, settings: ConnectionSettings, generation: int) -> None:
        diagnosis = await probe(settings)
        self.post_message(self.Tested(diagnosis, generation))

    @on(Tested)
    def tested(self, event: Tested) -> None:
        if event.generation == self._test_generation:
            d = event.diagnosis
            self._say(d.ok, d.message, d.forbidden)

    def action_connect(self) -> None:
        try:
            settings = self.form_settings()
        except ValueError as exc:
            self._say(False, str(exc))
            return
        self.dismiss((settings, self.chosen))

    def action_save_profile(self) -> None:
        try:
            settings = self.form_settings()
        except ValueError as exc:
            self._say(False, str(exc))
            return
        has_password = bool(settings.password)

        def chosen(choice: ProfileChoice | None) -> None:
            if choice is not None:
                self._save(settings, choice)

        self.app.push_screen(
            SaveProfileScreen(self.chosen, has_password),
            chosen,
        )

    def _save(self, settings: ConnectionSettings, choice: ProfileChoice) -> None:
        source = {
            "none": None,
            "keyring": "keyring",
            "prompt": "prompt",
            "env": f"env:{choice.env_var}",
        }[choice.source]
        sentinel_source = None
        if settings.sentinel_password:
            sentinel_source = "keyring" if source == "keyring" else "prompt"
        profile = Profile(
            name=choice.name,
            colour=choice.colour,
            production=choice.production,
            # The profile keeps no password: they go to the keyring, or are asked for.
            connection=settings.replace(readonly=choice.readonly),
            password_source=source,
            sentinel_password_source=sentinel_source,
        )
        if source == "keyring":
            stored = store_password(profile, settings.password or "")
            if stored and settings.sentinel_password:
                stored = store_password(profile, settings.sentinel_password, sentinel=True)
            if not stored:
                self._say(False, "The OS keyring refused the password: profile not saved")
                return
        replaced = choice.name in {p.name for p in self._profiles}
        try:
            where = save_profile(profile, self.path)
        except ConfigError as exc:
            self._say(False, str(exc))
            return
        self.chosen = profile
        self._reload_profiles()
        self._show_chosen()
        verb = "Replaced" if replaced else "Saved"
        self._say(True, f"{verb} profile {profile.name} in {where} (no password in the file)")

    @on(Button.Pressed)
    def button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {
            "connect-test": self.action_test,
            "connect-go": self.action_connect,
            "connect-save": self.action_save_profile,
            "connect-cancel": self.action_cancel,
        }.get(event.button.id or "")
        if action is not None:
            action()

    def action_cancel(self) -> None:
        self.dismiss(None)
