"""``o``: where Redis is. Saved profiles on the left, the connection form on the right.

``ctrl+t`` tests the form (``probe`` in a worker: the screen never waits) and says exactly
what failed; ``ctrl+s`` connects (dismisses with the settings and the chosen profile);
``ctrl+n`` saves the form as a profile, never with its password. In the profile list,
``enter`` loads a profile into the form and ``ctrl+d``/``delete`` removes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from redis_tui.config import (
    Config,
    ConfigError,
    Profile,
    config_path,
    delete_profile,
    keyring_available,
    load_config,
    resolve_password,
    save_profile,
    store_password,
)
from redis_tui.data.client.diagnose import Diagnosis, probe
from redis_tui.data.client.settings import (
    DEFAULT_SENTINEL_PORT,
    Address,
    ConnectionSettings,
    format_address,
    parse_address,
)
from redis_tui.data.values.display import escape_text
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.style import swatch

MODES = ("standalone", "sentinel", "cluster")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _clean(text: str) -> str:
    return escape_text(text, multiline=False)


def _addresses(text: str, default_port: int, what: str) -> tuple[Address, ...]:
    """``host:port`` items separated by commas or spaces.

    Raises:
        ValueError: an item is not an address; the message names the field.
    """
    try:
        return tuple(parse_address(a, default_port) for a in re.split(r"[,\s]+", text) if a)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from exc


def _number(text: str, what: str, low: int, high: int) -> int:
    text = text.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{what}: expected a whole number from {low} to {high}")
    return int(text)


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


class PasswordScreen(ModalScreen[str | None]):
    """Ask for one password in a masked input: enter gives it, esc gives None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="password.cancel", tooltip="Cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog", classes="dialog"):
            yield Static(Content(self.question), classes="dialog-title", markup=False)
            yield Input(password=True, id="password-input")
            yield Static(Content("enter: use it · esc: leave it empty"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

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


class SaveProfileScreen(ModalScreen[ProfileChoice | None]):
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
        row = ConnectScreen._row
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
    def next_field(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "save-name":
            self.focus_next()
        else:
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


class ConnectScreen(ModalScreen[tuple[ConnectionSettings, Profile | None] | None]):
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
        # Settings the form does not show (timeouts, host map) come from here.
        self._base = settings
        self._url_applied = ""
        self._mode = self._mode_of(settings)
        self._test_generation = 0
        self._profiles: list[Profile] = []

    @property
    def path(self) -> Path:
        return self.config.path or config_path()

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="connect-dialog"):
            with Horizontal(id="connect-body"):
                yield ProfileList(id="profile-list")
                with VerticalScroll(id="connect-form", can_focus=False):
                    yield Static("", id="connect-profile", markup=False)
                    yield from self._row(
                        "URL",
                        Input(
                            placeholder="redis://user@host:6379/0 · rediss:// · unix:///path · "
                            "redis+sentinel://host:26379/name — enter fills the form",
                            id="url",
                            compact=True,
                        ),
                    )
                    yield from self._row(
                        "Mode",
                        Select(
                            [(m, m) for m in MODES],
                            value=self._mode,
                            allow_blank=False,
                            id="mode",
                            compact=True,
                        ),
                    )
                    yield from self._field("Host", "host")
                    yield from self._field("Port", "port", integer=True)
                    yield from self._field("Socket", "socket", placeholder="/path/redis.sock")
                    yield from self._field("Username", "username", placeholder="default")
                    yield from self._field("Password", "password", password=True)
                    yield from self._field("Database", "db", integer=True)
                    yield from self._row(
                        "TLS",
                        Checkbox("TLS", id="tls", compact=True),
                        Checkbox("verify certificate", True, id="tls-verify", compact=True),
                    )
                    yield from self._field("CA file", "cacert", group="tls-field")
                    yield from self._field("Client cert", "cert", group="tls-field")
                    yield from self._field("Client key", "key", group="tls-field")
                    yield from self._field(
                        "Server name", "server-name", group="tls-field", placeholder="(the host)"
                    )
                    yield from self._field("Master name", "sentinel-master", group="sentinel-field")
                    yield from self._field(
                        "Sentinels",
                        "sentinels",
                        group="sentinel-field",
                        placeholder="host:26379, host2:26379",
                    )
                    yield from self._field(
                        "Sentinel pass", "sentinel-password", group="sentinel-field", password=True
                    )
                    yield from self._field(
                        "Seed nodes",
                        "cluster-nodes",
                        group="cluster-field",
                        placeholder="host:7000, host:7001 (else host:port)",
                    )
                    yield from self._row(
                        "Access", Checkbox("read-only", id="readonly", compact=True)
                    )
            yield Static("", id="connect-result", markup=False)
            with Horizontal(id="connect-buttons"):
                yield Button("Test ^t", id="connect-test", compact=True)
                yield Button("Connect ^s", variant="primary", id="connect-go", compact=True)
                yield Button("Save profile ^n", id="connect-save", compact=True)
                yield Button("Cancel esc", id="connect-cancel", compact=True)

    @staticmethod
    def _row(label: str, *widgets: Widget, group: str = "") -> ComposeResult:
        with Horizontal(classes=f"field-row {group}".strip()):
            yield Label(label, classes="field-label")
            yield from widgets

    def _field(
        self,
        label: str,
        ident: str,
        *,
        group: str = "",
        placeholder: str = "",
        password: bool = False,
        integer: bool = False,
    ) -> ComposeResult:
        box = Input(
            placeholder=placeholder,
            password=password,
            id=ident,
            compact=True,
            type="integer" if integer else "text",
        )
        yield from self._row(label, box, group=group)

    def on_mount(self) -> None:
        self.query_one("#connect-dialog").border_title = "Connection"
        listing = self.query_one(ProfileList)
        listing.border_title = "Profiles"
        listing.border_subtitle = "⏎ load · del remove"
        self.query_one("#connect-form").border_title = "Settings"
        self._reload_profiles()
        self._fill(self.settings)
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
            line = Content.styled("no profile: a one-off connection", "dim")
        else:
            line = Content.assemble(
                "profile ",
                profile_label(chosen),
                Content.styled("  (used on connect)", "dim"),
            )
        self.query_one("#connect-profile", Static).update(line)

    @on(OptionList.OptionSelected, "#profile-list")
    def profile_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index == 0:
            self.chosen = None
            self._base = ConnectionSettings(
                connect_timeout=self.settings.connect_timeout,
                command_timeout=self.settings.command_timeout,
            )
            self._fill(self._base)
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
        self._base = settings
        self._fill(settings)
        self._show_chosen()
        self._say(None, f"Loaded profile {profile.name}")
        self._resolve_passwords(profile)
        self.query_one("#connect-go", Button).focus()

    def _resolve_passwords(self, profile: Profile) -> None:
        wanted: list[tuple[str, bool]] = []
        for sentinel, source in (
            (False, profile.password_source),
            (True, profile.sentinel_password_source),
        ):
            if not source:
                continue
            found = resolve_password(profile, sentinel=sentinel)
            box = "#sentinel-password" if sentinel else "#password"
            if found is not None:
                self.query_one(box, Input).value = found
            else:
                wanted.append((box, sentinel))
        self._ask_passwords(profile, wanted)

    def _ask_passwords(self, profile: Profile, wanted: list[tuple[str, bool]]) -> None:
        if not wanted:
            return
        (box, sentinel), rest = wanted[0], wanted[1:]
        whose = "Sentinel password" if sentinel else "Password"
        source = profile.sentinel_password_source if sentinel else profile.password_source
        why = {"keyring": " (not in the keyring)"}.get(source or "", "")
        if source and source.startswith("env:"):
            why = f" (${source[4:]} is not set)"

        def given(password: str | None) -> None:
            if password is not None:
                self.query_one(box, Input).value = password
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

    @staticmethod
    def _mode_of(settings: ConnectionSettings) -> str:
        if settings.is_sentinel:
            return "sentinel"
        return "cluster" if settings.cluster else "standalone"

    def _set(self, ident: str, value: object) -> None:
        self.query_one(f"#{ident}", Input).value = "" if value is None else str(value)

    def _get(self, ident: str) -> str:
        return self.query_one(f"#{ident}", Input).value.strip()

    def _fill(self, s: ConnectionSettings) -> None:
        self._set("host", s.host)
        self._set("port", s.port)
        self._set("socket", s.socket)
        self._set("username", s.username)
        self._set("password", s.password)
        self._set("db", s.db)
        self.query_one("#tls", Checkbox).value = s.tls
        self.query_one("#tls-verify", Checkbox).value = s.tls_verify
        self._set("cacert", s.cacert)
        self._set("cert", s.cert)
        self._set("key", s.key)
        self._set("server-name", s.server_name)
        self._set("sentinel-master", s.sentinel_master)
        self._set("sentinels", ", ".join(format_address(a) for a in s.sentinels))
        self._set("sentinel-password", s.sentinel_password)
        self._set("cluster-nodes", ", ".join(format_address(a) for a in s.cluster_nodes))
        self.query_one("#readonly", Checkbox).value = s.readonly
        self._set_mode(self._mode_of(s))
        self._show_groups()

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        select: Select[str] = self.query_one("#mode", Select)
        if select.value != mode:
            select.value = mode
        self._show_groups()

    def _show_groups(self) -> None:
        tls = self.query_one("#tls", Checkbox).value
        for row in self.query(".tls-field"):
            row.display = tls
        for row in self.query(".sentinel-field"):
            row.display = self._mode == "sentinel"
        for row in self.query(".cluster-field"):
            row.display = self._mode == "cluster"

    @on(Select.Changed, "#mode")
    def mode_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._mode = event.value
            self._show_groups()

    @on(Checkbox.Changed, "#tls")
    def tls_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._show_groups()

    @on(Input.Submitted, "#url")
    def url_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        url = event.value.strip()
        if not url:
            return
        try:
            self._apply_url(url)
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

    def _apply_url(self, url: str) -> None:
        """Parse ``url`` into the form (fields the URL does not give keep their defaults).

        Raises:
            ValueError: the URL cannot be parsed; the message says why.
        """
        try:
            parsed = ConnectionSettings.from_url(url)
        except ValueError as exc:
            message = str(exc)
            if "invalid literal" in message:
                message = f"bad number in {url!r}"
            raise ValueError(message) from exc
        self._base = parsed.replace(
            connect_timeout=self.settings.connect_timeout,
            command_timeout=self.settings.command_timeout,
        )
        self._url_applied = url
        self._fill(self._base)

    def form_settings(self) -> ConnectionSettings:
        """The settings the form describes.

        Raises:
            ValueError: a field is wrong; the message names it.
        """
        url = self._get("url")
        if url and url != self._url_applied:
            try:
                self._apply_url(url)
            except ValueError as exc:
                raise ValueError(f"Bad URL: {exc}") from exc
        socket = self._get("socket") or None
        host = self._get("host") or "127.0.0.1"
        port = _number(self._get("port") or "6379", "port", 1, 65535)
        db = _number(self._get("db") or "0", "database", 0, 1_000_000)
        values: dict[str, object] = {
            "host": host,
            "port": port,
            "socket": socket,
            "username": self._get("username") or None,
            "password": self.query_one("#password", Input).value or None,
            "db": db,
            "tls": self.query_one("#tls", Checkbox).value,
            "tls_verify": self.query_one("#tls-verify", Checkbox).value,
            "cacert": self._get("cacert") or None,
            "cert": self._get("cert") or None,
            "key": self._get("key") or None,
            "server_name": self._get("server-name") or None,
            "readonly": self.query_one("#readonly", Checkbox).value
            or bool(self.chosen and self.chosen.connection.readonly),
            "sentinel_master": None,
            "sentinels": (),
            "sentinel_password": None,
            "cluster": False,
            "cluster_nodes": (),
        }
        if values["key"] and not values["cert"]:
            raise ValueError("Client key: give the client certificate too")
        if self._mode == "sentinel":
            master = self._get("sentinel-master")
            sentinels = _addresses(self._get("sentinels"), DEFAULT_SENTINEL_PORT, "Sentinels")
            if not master:
                raise ValueError("Master name: Sentinel mode needs the name the Sentinels use")
            if not sentinels:
                raise ValueError("Sentinels: give at least one host:port")
            values["sentinel_master"] = master
            values["sentinels"] = sentinels
            values["sentinel_password"] = self.query_one("#sentinel-password", Input).value or None
        elif self._mode == "cluster":
            if socket:
                raise ValueError("Socket: a cluster is reached over TCP (clear the socket)")
            if db:
                raise ValueError("Database: a cluster has database 0 only")
            values["cluster"] = True
            values["cluster_nodes"] = _addresses(self._get("cluster-nodes"), 6379, "Seed nodes")
        return self._base.replace(**values)

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
