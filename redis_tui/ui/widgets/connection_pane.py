"""The connection pane: where we are connected, to what, and in which state."""

from __future__ import annotations

import time

from textual.content import Content
from textual.widgets import Static

from redis_tui.data.connection import ConnectionSettings
from redis_tui.data.display import escape_text
from redis_tui.data.keyspace import ServerFacts


class ConnectionPane(Static, can_focus=True):
    """Renders connection settings, server facts and the link state. Pure display."""

    def __init__(self, settings: ConnectionSettings, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.settings = settings
        self.facts = ServerFacts()
        self.state = "connecting"
        self.reason = ""
        self.retry_at = 0.0
        # Set by the app: "live · polling every 2s", "paused"...
        self.live = ""

    def on_mount(self) -> None:
        self.border_title = "1 Connection"
        self.set_interval(1.0, self._tick)
        self._draw()

    def _tick(self) -> None:
        if self.state == "lost":
            self._draw()

    def set_connected(self, facts: ServerFacts) -> None:
        self.state, self.reason, self.facts = "connected", "", facts
        self._draw()

    def set_facts(self, facts: ServerFacts) -> None:
        self.facts = facts
        self._draw()

    def set_lost(self, reason: str, retry_in: float) -> None:
        self.state, self.reason = "lost", reason
        self.retry_at = time.monotonic() + retry_in
        self._draw()

    def set_live(self, live: str) -> None:
        if live != self.live:
            self.live = live
            self._draw()

    def set_settings(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self.state = "connecting"
        self._draw()

    def _draw(self) -> None:
        s, f = self.settings, self.facts
        user = s.username or "default"
        where = f"{s.describe()}  user {user}  db {s.db}"
        if s.readonly:
            where += "  READ-ONLY"
        server = "  ".join(
            part
            for part in (
                f"{f.product} {f.version}" if f.version else "",
                f"role {f.role}" if f.role else "",
                f"keys {f.dbsize:,}" if f.dbsize is not None else "",
                f"mem {f.used_memory_human}" if f.used_memory_human else "",
                f"clients {f.connected_clients}" if f.connected_clients is not None else "",
            )
            if part
        )
        if f.info_error:
            server = (server + "  " if server else "") + "INFO unavailable"
        if self.state == "connected":
            state = Content.from_markup("[b green]● connected[/]  [dim]$live[/]", live=self.live)
        elif self.state == "lost":
            left = max(0, int(self.retry_at - time.monotonic() + 0.99))
            state = Content.from_markup(
                "[b red]✖ lost[/] — retrying in $left s: $reason",
                left=str(left),
                reason=escape_text(self.reason, multiline=False),
            )
        else:
            state = Content.from_markup("[b yellow]… connecting[/]")
        self.update(
            Content.assemble(escape_text(where, multiline=False), "\n", server, "\n", state)
        )
