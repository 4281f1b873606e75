"""The connection form: its fields, filling them from settings or a URL, reading them back.

``ConnectionForm`` knows nothing of profiles or of what the screen does with the settings;
``read`` checks every field and names the one that is wrong.
"""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select

from redis_tui.data.client.settings import (
    DEFAULT_SENTINEL_PORT,
    Address,
    ConnectionSettings,
    format_address,
    parse_address,
)

MODES = ("standalone", "sentinel", "cluster")


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


def row(label: str, *widgets: Widget, group: str = "") -> ComposeResult:
    """One labelled line of a form (``group``: a class that shows or hides it with others)."""
    with Horizontal(classes=f"field-row {group}".strip()):
        yield Label(label, classes="field-label")
        yield from widgets


def field(
    label: str,
    ident: str,
    *,
    group: str = "",
    placeholder: str = "",
    password: bool = False,
    integer: bool = False,
) -> ComposeResult:
    """A labelled input with the id ``ident``."""
    box = Input(
        placeholder=placeholder,
        password=password,
        id=ident,
        compact=True,
        type="integer" if integer else "text",
    )
    yield from row(label, box, group=group)


def mode_of(settings: ConnectionSettings) -> str:
    if settings.is_sentinel:
        return "sentinel"
    return "cluster" if settings.cluster else "standalone"


class ConnectionForm(VerticalScroll):
    """The fields of one connection. ``children`` go above them (the screen's profile line)."""

    def __init__(self, settings: ConnectionSettings, *children: Widget, id: str) -> None:
        super().__init__(*children, id=id, can_focus=False)
        # Timeouts are not in the form: a URL or a new connection keeps these.
        self.initial = settings
        # Settings the form does not show (timeouts, host map) come from here.
        self._base = settings
        self._url_applied = ""
        self._mode = mode_of(settings)

    def compose(self) -> ComposeResult:
        yield from row(
            "URL",
            Input(
                placeholder="redis://user@host:6379/0 · rediss:// · unix:///path · "
                "redis+sentinel://host:26379/name — enter fills the form",
                id="url",
                compact=True,
            ),
        )
        yield from row(
            "Mode",
            Select(
                [(m, m) for m in MODES],
                value=self._mode,
                allow_blank=False,
                id="mode",
                compact=True,
            ),
        )
        yield from field("Host", "host")
        yield from field("Port", "port", integer=True)
        yield from field("Socket", "socket", placeholder="/path/redis.sock")
        yield from field("Username", "username", placeholder="default")
        yield from field("Password", "password", password=True)
        yield from field("Database", "db", integer=True)
        yield from row(
            "TLS",
            Checkbox("TLS", id="tls", compact=True),
            Checkbox("verify certificate", True, id="tls-verify", compact=True),
        )
        yield from field("CA file", "cacert", group="tls-field")
        yield from field("Client cert", "cert", group="tls-field")
        yield from field("Client key", "key", group="tls-field")
        yield from field("Server name", "server-name", group="tls-field", placeholder="(the host)")
        yield from field("Master name", "sentinel-master", group="sentinel-field")
        yield from field(
            "Sentinels",
            "sentinels",
            group="sentinel-field",
            placeholder="host:26379, host2:26379",
        )
        yield from field(
            "Sentinel pass", "sentinel-password", group="sentinel-field", password=True
        )
        yield from field(
            "Seed nodes",
            "cluster-nodes",
            group="cluster-field",
            placeholder="host:7000, host:7001 (else host:port)",
        )
        yield from row("Access", Checkbox("read-only", id="readonly", compact=True))

    # -- filling -------------------------------------------------------------------------------

    def _set(self, ident: str, value: object) -> None:
        self.query_one(f"#{ident}", Input).value = "" if value is None else str(value)

    def _get(self, ident: str) -> str:
        return self.query_one(f"#{ident}", Input).value.strip()

    def fill(self, s: ConnectionSettings) -> None:
        """Show ``s``; what the form does not show is kept from it too."""
        self._base = s
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
        self._set_mode(mode_of(s))
        self._show_groups()

    def reset(self) -> None:
        """An empty form for a new connection (the first settings' timeouts)."""
        self.fill(
            ConnectionSettings(
                connect_timeout=self.initial.connect_timeout,
                command_timeout=self.initial.command_timeout,
            )
        )

    def set_password(self, password: str, *, sentinel: bool = False) -> None:
        self._set("sentinel-password" if sentinel else "password", password)

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        select: Select[str] = self.query_one("#mode", Select)
        if select.value != mode:
            select.value = mode
        self._show_groups()

    def _show_groups(self) -> None:
        tls = self.query_one("#tls", Checkbox).value
        for line in self.query(".tls-field"):
            line.display = tls
        for line in self.query(".sentinel-field"):
            line.display = self._mode == "sentinel"
        for line in self.query(".cluster-field"):
            line.display = self._mode == "cluster"

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

    def apply_url(self, url: str, *, keep_password: bool = False) -> None:
        """Parse ``url`` into the form (fields the URL does not give keep their defaults;
        with ``keep_password``, a password typed in its field stays when the URL has none).

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
        self._url_applied = url
        typed = self.query_one("#password", Input).value
        if keep_password and typed and parsed.password is None:
            parsed = parsed.replace(password=typed)
        self.fill(
            parsed.replace(
                connect_timeout=self.initial.connect_timeout,
                command_timeout=self.initial.command_timeout,
            )
        )

    # -- reading -------------------------------------------------------------------------------

    def read(self, *, readonly: bool = False) -> ConnectionSettings:
        """The settings the form describes (``readonly``: read-only whatever the box says).

        Raises:
            ValueError: a field is wrong; the message names it.
        """
        url = self._get("url")
        if url and url != self._url_applied:
            try:
                # ctrl+t / ctrl+s without enter in the URL: the password typed beside it stays.
                self.apply_url(url, keep_password=True)
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
            "readonly": self.query_one("#readonly", Checkbox).value or readonly,
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
