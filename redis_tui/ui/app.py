"""The redis-tui App: panes, bindings, and the handlers that own the UI state."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, Static, TextArea

from redis_tui.data.connection import ConnectionSettings
from redis_tui.data.display import escape_key, unescape_key
from redis_tui.data.keystore import KeyStore
from redis_tui.ui import messages as m
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.help import HelpScreen
from redis_tui.ui.widgets.connection_pane import ConnectionPane
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.value_pane import ValuePane
from redis_tui.worker import RedisWorker

SORT_ORDER: tuple[str | None, ...] = (None, "name", "ttl", "type")
LOAD_DELAY = 0.06  # coalesce fast j/k presses into one value load


class RedisTuiApp(App[None]):
    """A keyboard-first Redis browser."""

    TITLE = "redis-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit redis-tui"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Show every key binding"),
        Binding(
            "slash", "filter", "Filter", id="app.filter", tooltip="Filter keys by glob pattern"
        ),
        Binding("d,delete", "delete", "Delete", id="app.delete", tooltip="Delete the selected key"),
        Binding("r", "refresh", "Refresh", id="app.refresh", tooltip="Scan again and reload"),
        Binding(
            "s", "sort", "Sort", id="app.sort", tooltip="Sort keys: scan order, name, TTL, type"
        ),
        Binding(
            "y", "copy_key", "Copy key", show=False, id="app.copy_key", tooltip="Copy the key name"
        ),
        Binding("1", "focus_pane('connection')", "Connection", show=False, id="app.pane1"),
        Binding("2", "focus_pane('keys')", "Keys", show=False, id="app.pane2"),
        Binding("3", "focus_pane('value')", "Value", show=False, id="app.pane3"),
        Binding(
            "escape", "go_back", "Back", show=False, id="app.back", tooltip="Back to the key list"
        ),
    ]

    def __init__(self, settings: ConnectionSettings, *, poll_interval: float = 2.0) -> None:
        super().__init__()
        self.settings = settings
        self.poll_interval = poll_interval
        self.worker_: RedisWorker | None = None
        self.store = KeyStore()
        self.pattern: str = ""
        self.scan_generation = 0
        self.scanning = False
        self.dbsize: int | None = None
        self._sort_index = 0
        self._load_timer: Any = None
        # The panes live on the default screen; keep references so handlers reach them
        # while a modal screen is on top (``query_one`` searches the active screen only).
        self.conn_pane = ConnectionPane(settings, id="connection")
        self.filter_box = Input(
            placeholder="glob pattern, e.g. cache:user:*  (enter applies, esc cancels)", id="filter"
        )
        self.keys = KeyList(self.store, id="keys")
        self.status = Static("", id="scan-status", markup=False)
        self.value_pane = ValuePane(id="value")

    @property
    def redis(self) -> RedisWorker:
        assert self.worker_ is not None, "worker not started"
        return self.worker_

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.conn_pane
                yield self.filter_box
                yield self.keys
                yield self.status
            yield self.value_pane
        yield Footer()

    def on_mount(self) -> None:
        self.filter_box.display = False
        self.keys.border_title = "2 Keys"
        self.value_pane.border_title = "3 Value"
        self.worker_ = RedisWorker(self, self.settings, poll_interval=self.poll_interval)
        self.run_worker(self.redis.run(), name="redis", group="redis", exit_on_error=False)
        self.set_interval(min(0.5, self.poll_interval / 2), self._push_view_state)
        self.start_scan()
        self.keys.focus()

    def check_message_enabled(self, message: Message) -> bool:
        # Results that arrive while the app shuts down have no screen to go to.
        if isinstance(message, m.WorkerMessage) and (not self.is_running or not self.screen_stack):
            return False
        return super().check_message_enabled(message)

    def _push_view_state(self) -> None:
        """Attributes down: tell the worker what is visible and whether a modal is open."""
        if self.worker_ is None:
            return
        self.redis.visible = self.keys.visible_rows()
        self.redis.hold = len(self.screen_stack) > 1

    # -- scanning -------------------------------------------------------------------------

    def start_scan(self) -> None:
        self.store = KeyStore()
        if SORT_ORDER[self._sort_index]:
            self.store.sort(SORT_ORDER[self._sort_index])
        self.keys.set_store(self.store)
        self.value_pane.clear()
        match = unescape_key(self.pattern) if self.pattern else None
        self.scan_generation = self.redis.scan(match)
        self.scanning = True
        self._update_status()

    @on(m.KeysScanned)
    def keys_scanned(self, event: m.KeysScanned) -> None:
        if event.generation != self.scan_generation:
            return
        added = self.store.add(event.keys, event.types, event.pttls)
        if event.done:
            self.scanning = False
        keys = self.keys
        if added:
            if self.store.sort_field:
                current = keys.current_key
                self.store.sort(self.store.sort_field)
                if current is not None:
                    keys.select_key(current)
            keys.rows_changed()
        self._update_status()

    def _update_status(self) -> None:
        count = len(self.store)
        total = f" of {self.dbsize:,}" if self.dbsize is not None and not self.pattern else ""
        state = " (scanning…)" if self.scanning else ""
        parts = [f"{count:,} keys{total}{state}"]
        if self.pattern:
            parts.append(f"filter {self.pattern}")
        if self.store.sort_field:
            parts.append(f"sorted by {self.store.sort_field}")
        self.status.update(Content("  ·  ".join(parts)))

    # -- connection -----------------------------------------------------------------------

    @on(m.Connected)
    def connected(self, event: m.Connected) -> None:
        self.conn_pane.set_connected(event.facts)
        self.dbsize = event.facts.dbsize
        self._update_status()
        key = self.keys.current_key
        if key is not None:
            self.redis.load(key)

    @on(m.ConnectionLost)
    def connection_lost(self, event: m.ConnectionLost) -> None:
        pane = self.conn_pane
        if pane.state != "lost":
            self.notify(event.reason, title="Connection lost", severity="error", timeout=4)
        pane.set_lost(event.reason, event.retry_in)

    @on(m.ServerPolled)
    def server_polled(self, event: m.ServerPolled) -> None:
        self.conn_pane.set_facts(event.facts)
        self.dbsize = event.facts.dbsize
        self.store.update_ttls(event.keys, event.pttls, time.monotonic(), event.hints)
        self.keys.refresh()
        self._update_status()

    @on(m.WorkerFailed)
    def worker_failed(self, event: m.WorkerFailed) -> None:
        self.notify(event.reason, title=f"{event.action.capitalize()} failed", severity="error")

    # -- value ----------------------------------------------------------------------------

    @on(KeyList.Highlighted)
    def key_highlighted(self, event: KeyList.Highlighted) -> None:
        if self._load_timer is not None:
            self._load_timer.stop()
        if event.key is None:
            self.value_pane.clear()
            return
        key = event.key
        self._load_timer = self.set_timer(LOAD_DELAY, lambda: self.redis.load(key))

    @on(KeyList.Opened)
    def key_opened(self, event: KeyList.Opened) -> None:
        self.action_focus_pane("value")

    @on(m.ValueLoaded)
    def value_loaded(self, event: m.ValueLoaded) -> None:
        if event.value.key == self.keys.current_key:
            self.value_pane.show(event.value, append=event.append)

    @on(m.ValueFailed)
    def value_failed(self, event: m.ValueFailed) -> None:
        if event.key == self.keys.current_key:
            self.value_pane.show_error(event.key, event.reason)

    @on(ValuePane.MoreRequested)
    def more_requested(self, event: ValuePane.MoreRequested) -> None:
        value = event.value
        if value.type == "string":
            self.redis.load(value.key, offset=value.offset + len(value.data or b""), append=True)
        elif value.cursor is not None:
            self.redis.load(value.key, cursor=value.cursor, append=True)
        else:
            self.redis.load(value.key, offset=value.offset + len(value.rows), append=True)

    # -- delete ---------------------------------------------------------------------------

    def action_delete(self) -> None:
        key = self.keys.current_key
        if key is None:
            return
        body = Content.from_markup(
            "Delete the key\n\n[b]$key[/b]\n\nfrom db $db? This cannot be undone.",
            key=escape_key(key),
            db=str(self.settings.db),
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.redis.delete(key)

        self.push_screen(ConfirmScreen("Delete key", body), answered)

    @on(m.KeyDeleted)
    def key_deleted(self, event: m.KeyDeleted) -> None:
        keys = self.keys
        was_current = keys.current_key == event.key
        if self.store.remove(event.key):
            keys.rows_changed()
        if was_current:
            keys._last_highlight = None
            keys._announce()
        self.notify(f"Deleted {escape_key(event.key)}", markup=False, timeout=3)
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only hides writes here; the worker refuses them regardless.
        return not (action == "delete" and self.settings.readonly)

    # -- other actions --------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.filter_box
        box.display = True
        box.value = self.pattern
        box.focus()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        self.pattern = "" if event.value.strip() in ("", "*") else event.value
        event.input.display = False
        self.keys.focus()
        self.start_scan()

    def action_go_back(self) -> None:
        box = self.filter_box
        if box.display:
            box.display = False
        self.keys.focus()

    def action_refresh(self) -> None:
        self.start_scan()

    def action_sort(self) -> None:
        self._sort_index = (self._sort_index + 1) % len(SORT_ORDER)
        field = SORT_ORDER[self._sort_index]
        keys = self.keys
        current = keys.current_key
        self.store.sort(field)
        if current is not None:
            keys.select_key(current)
        keys.rows_changed()
        self._update_status()
        self.notify(f"Sorted by {field or 'scan order'}", timeout=1.5)

    def action_copy_key(self) -> None:
        key = self.keys.current_key
        if key is not None:
            self.copy_to_clipboard(escape_key(key))
            self.notify("Key copied", timeout=1.5)

    def action_focus_pane(self, pane: str) -> None:
        target: Widget
        if pane == "connection":
            target = self.conn_pane
        elif pane == "keys":
            target = self.keys
        else:
            table = self.value_pane.query_one("#value-table", DataTable)
            target = table if table.display else self.value_pane.query_one("#value-text", TextArea)
        target.focus()

    def action_help(self) -> None:
        rows: list[tuple[str, str, str]] = []
        for where, bindings in (
            ("everywhere", self.BINDINGS),
            ("key list", KeyList.BINDINGS),
            ("value pane", ValuePane.BINDINGS),
        ):
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = ", ".join(
                        self.get_key_display(Binding(k, binding.action))
                        for k in binding.key.split(",")
                    )
                    rows.append((keys, binding.tooltip or binding.description, where))
        self.push_screen(HelpScreen(rows))
