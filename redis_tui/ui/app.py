"""The redis-tui App: panes, bindings, and the handlers that own the UI state."""

from __future__ import annotations

import gc
import time
from typing import Any, ClassVar, cast

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input, Static

from redis_tui.config import Config, Profile
from redis_tui.data.client.connection import ConnectionSettings
from redis_tui.data.client.gateway import Watch
from redis_tui.data.edit.version import Version
from redis_tui.data.scan.keystore import GONE, NEAR, KeyStore
from redis_tui.data.values.display import escape_key, unescape_key
from redis_tui.ui.browser_actions import BrowserActions
from redis_tui.ui.commands import CommandBar, CommandError, RedisCommands, parse_command
from redis_tui.ui.edit_actions import EditActions
from redis_tui.ui.screens.confirm import ConfirmScreen
from redis_tui.ui.screens.help import HelpScreen
from redis_tui.ui.screens.info import TextScreen
from redis_tui.ui.session_actions import SessionActions
from redis_tui.ui.widgets.connection_pane import ConnectionPane
from redis_tui.ui.widgets.key_list import KeyList
from redis_tui.ui.widgets.namespace_list import NamespaceList
from redis_tui.ui.widgets.session_pane import SessionPane
from redis_tui.ui.widgets.value_pane import ValuePane
from redis_tui.ui.worker import messages as m
from redis_tui.ui.worker.service import RedisWorker

# Actions that write: hidden (and refused) on a read-only connection.
WRITE_ACTIONS = frozenset(
    {"delete", "edit", "add_element", "remove_element", "ttl", "rename", "copy_to", "undo"}
)
# Actions on "the selected key".
KEY_ACTIONS = WRITE_ACTIONS | {"copy_key", "copy_value", "save_value"}
SORT_ORDER: tuple[str | None, ...] = (None, "name", "ttl", "type", "size")
LOAD_DELAY = 0.06  # coalesce fast j/k presses into one value load
GONE_GRACE = 3.0  # seconds a deleted or expired key stays struck through before it goes
WATCH_DUMP_BYTES = 64 * 1024  # values up to this size are fingerprinted by DUMP each poll
REPAINT_INTERVAL = 0.1  # while scanning, show new rows at most this often
RESORT_INTERVAL = 2.0  # while scanning a sorted list, re-sort at most this often
LAYOUT_INTERVAL = 1.0  # while scanning below a full screen, grow the scrollbar this often
SIZE_RETRY = 5.0  # ask again for sizes that never came after this many seconds


class RedisTuiApp(BrowserActions, SessionActions, EditActions, App[None]):
    """A keyboard-first Redis browser."""

    TITLE = "redis-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    # (keys, action, footer label, id, tooltip, shown in footer). Ids are what users remap.
    BINDINGS: ClassVar[list[BindingType]] = [
        cast(BindingType, Binding(keys, action, label, show=show, id=f"app.{ident}", tooltip=tip))
        for keys, action, label, ident, tip, show in (
            ("q", "quit", "Quit", "quit", "Quit redis-tui", True),
            ("question_mark", "help", "Help", "help", "Show every key binding", True),
            ("slash", "filter", "Filter", "filter", "Filter keys by glob pattern", True),
            ("colon", "command_bar", "Command", "command", "Open the : command bar", True),
            ("e", "edit", "Edit", "edit", "Edit the value, or the selected element", True),
            ("t", "ttl", "TTL", "ttl", "Set or remove the key's TTL", True),
            ("d,delete", "delete", "Delete", "delete", "Delete the selected key", True),
            ("u", "undo", "Undo", "undo", "Restore the last deleted or overwritten key", True),
            ("o", "connect", "Connect", "connect", "Connection settings and profiles", True),
            ("a", "add_element", "Add", "add", "Add an element, field or member", False),
            ("R", "rename", "Rename", "rename", "Rename the key", False),
            ("C", "copy_to", "Copy to", "copy_to", "Copy the key to a new name", False),
            ("at", "command_log", "Log", "log", "Show every write sent (the command log)", False),
            ("r", "refresh", "Refresh", "refresh", "Scan again and reload", False),
            ("s", "sort", "Sort", "sort", "Sort keys: scan order, name, TTL, type, size", False),
            ("y", "copy_key", "Copy key", "copy_key", "Copy the key name", False),
            ("v", "toggle_tree", "Tree", "tree", "Toggle the namespace tree view", True),
            ("Y", "copy_value", "Copy value", "copy_value", "Copy the value shown", False),
            ("w", "save_value", "Save", "save_value", "Save the whole value to a file", False),
            ("p", "pause", "Pause", "pause", "Pause or resume live updates", False),
            ("x", "stop_scan", "Stop scan", "stop_scan", "Stop the scan, or continue it", False),
            (
                "1",
                "focus_pane('connection')",
                "Connection",
                "pane1",
                "Focus the connection pane",
                False,
            ),
            ("2", "focus_pane('keys')", "Keys", "pane2", "Focus the key list", False),
            ("3", "focus_pane('value')", "Value", "pane3", "Focus the value pane", False),
            (
                "4",
                "focus_pane('sessions')",
                "Sessions",
                "pane4",
                "Open the session inspector",
                False,
            ),
            ("escape", "go_back", "Back", "back", "Back to the key list", False),
        )
    ] + [Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c")]
    COMMANDS = App.COMMANDS | {RedisCommands}

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        poll_interval: float = 2.0,
        config: Config | None = None,
        profile: Profile | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.poll_interval = poll_interval
        self.config = config or Config()
        self.profile = profile
        self.worker_: RedisWorker | None = None
        self.store = KeyStore()
        self.pattern: str = ""
        self.type_filter: str | None = None
        self.no_ttl_only = False
        self.scan_stopped = False
        self.scan_generation = 0
        self.scanning = False
        self.dbsize: int | None = None
        self._sort_index = 0
        self._load_timer: Any = None
        self._rows_dirty = False
        # Types and TTLs came for listed rows: a repaint, not a new layout (see _flush_scanned).
        self._meta_dirty = False
        # Keys seen gone (deleted or expired elsewhere) and when: removed after GONE_GRACE.
        self._gone_at: dict[bytes, float] = {}
        # Names-first scans: storage index of each batch, until its types and TTLs arrive.
        self._meta_batches: dict[int, int] = {}
        self._names_done = self._meta_done = False
        self._sorted_at = 0.0
        self._laid_out_at = 0.0
        self._shown_rows = 0
        # The edits.Version of the value on screen: every edit starts from it.
        self.version: Version | None = None
        # The panes live on the default screen; keep references so handlers reach them
        # while a modal screen is on top (``query_one`` searches the active screen only).
        self.conn_pane = ConnectionPane(settings, id="connection")
        self.filter_box = Input(
            placeholder="glob pattern, e.g. cache:user:*  (enter applies, esc cancels)", id="filter"
        )
        self.keys = KeyList(self.store, id="keys")
        self.status = Static("", id="scan-status", markup=False)
        self.banner = Static("", id="production-banner", markup=False)
        self.value_pane = ValuePane(id="value")
        self.session_pane = SessionPane(id="sessions")
        self.switcher = ContentSwitcher(initial="value", id="right")
        self.command_bar = CommandBar(id="command-bar")

    def compose(self) -> ComposeResult:
        yield self.banner
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.conn_pane
                yield self.filter_box
                yield self.keys
                yield self.status
            with self.switcher:
                yield self.value_pane
                yield self.session_pane
        yield self.command_bar
        yield Footer()

    def on_unmount(self) -> None:
        gc.unfreeze()  # several apps in one process (tests): the next one freezes its own

    def on_mount(self) -> None:
        self.filter_box.display = False
        self.command_bar.display = False
        self.keys.border_title = "2 Keys"
        self.value_pane.border_title = "3 Value"
        self.session_pane.border_title = "4 Sessions"
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.set_interval(min(0.5, self.poll_interval / 2), self._push_view_state)
        self.set_interval(REPAINT_INTERVAL, self._flush_scanned)
        self.set_interval(GONE_GRACE / 2, self._sweep_gone)
        self.app_suspend_signal.subscribe(self, self._suspended)
        self.app_resume_signal.subscribe(self, self._resumed)
        # What exists now lives as long as the app: keep it out of the cyclic GC's full
        # collections, which a million-key scan otherwise turns into 50-100 ms pauses.
        gc.collect()
        gc.freeze()
        self._start_worker()
        self.keys.focus()

    def _start_worker(self) -> None:
        old = self.worker_
        self.worker_ = RedisWorker(self, self.settings, poll_interval=self.poll_interval)
        if old is not None:
            # Generations keep counting up, so late results of the old worker never match.
            self.worker_.scan_generation = old.scan_generation
            self.worker_.sessions_generation = old.sessions_generation
        self.run_worker(self.redis.run(), name="redis", group="redis", exit_on_error=False)
        self._show_profile()
        self.start_scan()

    def _show_profile(self) -> None:
        """The production banner: red, naming the profile, on every screen."""
        production = self.profile is not None and self.profile.production
        self.banner.display = production
        self.set_class(production, "-production")
        if production and self.profile is not None:
            self.banner.update(
                f"PRODUCTION — profile {self.profile.name} — "
                "writes ask you to type the profile name"
            )

    @property
    def production(self) -> bool:
        return self.profile is not None and self.profile.production

    def workers_in(self, group: str) -> bool:
        return any(w.group == group and not w.is_finished for w in self.workers)

    def disconnect(self) -> None:
        """Stop the worker and close the connection; the screen stays, ``o`` connects again."""
        for group in ("redis", "scan", "load", "lookup", "info", "bulk", "sessions", "events"):
            self.workers.cancel_group(self, group)
        self.scanning = False
        self.conn_pane.set_disconnected()
        self._update_status()

    def switch_connection(
        self, settings: ConnectionSettings, profile: Profile | None = None
    ) -> None:
        """Connect elsewhere without restarting: a new worker, a fresh key list.

        The old worker's tasks are cancelled; its client closes in its ``finally``.
        """
        for group in ("redis", "scan", "load", "lookup", "info", "bulk"):
            self.workers.cancel_group(self, group)
        self.settings = settings
        self.profile = profile
        self.version = None
        self.pattern, self.type_filter, self.no_ttl_only = "", None, False
        self.conn_pane.set_settings(settings)
        self.value_pane.clear()
        self._start_worker()

    def check_message_enabled(self, message: Message) -> bool:
        # Results that arrive while the app shuts down have no screen to go to.
        if isinstance(message, m.WorkerMessage) and (not self.is_running or not self.screen_stack):
            return False
        return super().check_message_enabled(message)

    def _flush_scanned(self) -> None:
        if self._rows_dirty:
            self._flush_rows()
        elif self._meta_dirty:
            self._meta_dirty = False
            self.keys.refresh()

    def _push_view_state(self) -> None:
        """Attributes down: tell the worker what is visible and whether a modal is open."""
        if self.worker_ is None:
            return
        self.redis.visible = self.keys.visible_rows()
        self._request_sizes()
        self.redis.hold = len(self.screen_stack) > 1
        self._watch_value()
        self.push_session_view_state()
        self._update_live_status()

    def _update_live_status(self) -> None:
        if self.redis.paused:
            text = "live updates paused (p resumes)"
        elif self.redis.hidden:
            text = "paused while the terminal is hidden"
        elif self.redis.live_mode == "events":
            text = f"live · keyspace events · polling every {self.poll_interval:g}s"
        else:
            text = f"live · polling every {self.poll_interval:g}s"
        self.conn_pane.set_live(text)

    # -- live updates ---------------------------------------------------------------------

    def _watch_value(self) -> None:
        """Attributes down: the value on screen, so the poll notices when it changes."""
        value = self.value_pane.value
        if value is None or value.key != self.keys.current_key:
            self.redis.watch = None
            return
        small = (value.length or 0) <= (WATCH_DUMP_BYTES if value.type == "string" else 512)
        self.redis.watch = Watch(value.key, value.type, small)

    @on(m.ValueChanged)
    def value_changed(self, event: m.ValueChanged) -> None:
        # Never under an open dialog: an edit in progress keeps the version it started from.
        if event.key == self.keys.current_key and len(self.screen_stack) == 1:
            self.redis.load(event.key)

    @on(m.KeyspaceChanged)
    def keyspace_changed(self, event: m.KeyspaceChanged) -> None:
        now = time.monotonic()
        current = self.keys.current_key
        marked = False
        # Thousands at once when someone deletes a namespace: one lookup for all of them.
        gone = list(event.gone)
        for key, index in zip(gone, self.store.locate(gone), strict=True):
            if index is not None:
                self.store.set_meta(index, "none", -2, now)
                self._gone_at.setdefault(key, now)
                marked = True
        if marked:
            self.keys.refresh()
        if current is not None and len(self.screen_stack) == 1:
            if current in event.changed:
                self.redis.load(current)
            elif current in event.gone:
                self.value_pane.show_error(current, "Deleted or expired on the server")

    @on(m.LiveModeChanged)
    def live_mode_changed(self, event: m.LiveModeChanged) -> None:
        self._update_live_status()

    def _sweep_gone(self) -> None:
        """Rows marked gone stay struck through for a moment, then leave the list."""
        now = time.monotonic()
        types, marker = self.store.types, bytes([GONE])
        index = types.find(marker)  # C-speed search: cheap even at a million rows
        while index != -1:
            self._gone_at.setdefault(self.store.names[index], now)
            index = types.find(marker, index + 1)
        grace = max(GONE_GRACE, 2 * self.poll_interval)
        expired = [key for key, at in self._gone_at.items() if now - at >= grace]
        if not expired:
            return
        for key in expired:
            del self._gone_at[key]
        if self.store.remove_many(expired):
            self.keys.rows_changed()
            self._update_status()

    def on_app_blur(self) -> None:
        if self.worker_ is not None:
            self.redis.hidden = True
            self._update_live_status()

    def on_app_focus(self) -> None:
        if self.worker_ is not None:
            self.redis.hidden = False
            self._update_live_status()

    def _suspended(self, _app: object) -> None:
        self.on_app_blur()

    def _resumed(self, _app: object) -> None:
        self.on_app_focus()

    # -- scanning -------------------------------------------------------------------------

    def start_scan(self) -> None:
        self.store = KeyStore()
        self._shown_rows = 0
        if SORT_ORDER[self._sort_index]:
            self.store.sort(SORT_ORDER[self._sort_index])
        self.keys.set_store(self.store)
        self.value_pane.clear()
        # The "no TTL" filter needs each key's TTL before it is listed: no names-first then.
        self.scan_generation = self.redis.scan(
            self._match(), self.type_filter, names_first=not self.no_ttl_only
        )
        self._meta_batches = {}
        self._names_done = self._meta_done = False
        self.scanning = True
        self.scan_stopped = False
        self._update_status()

    def _match(self) -> bytes | None:
        return unescape_key(self.pattern) if self.pattern else None

    @on(m.KeysScanned)
    def keys_scanned(self, event: m.KeysScanned) -> None:
        if event.generation != self.scan_generation:
            return
        if self.no_ttl_only:
            kept = [i for i, pttl in enumerate(event.pttls) if pttl == -1]
            added = self.store.add(
                [event.keys[i] for i in kept],
                [event.types[i] for i in kept],
                [event.pttls[i] for i in kept],
            )
        else:
            added = self.store.add(event.keys, event.types, event.pttls)
        first_rows = added and len(self.store) == added
        if event.meta_follows and added:
            self._meta_batches[event.batch] = len(self.store) - added
        if event.done:
            self._names_done = True
            self.scanning = event.meta_follows and not self._meta_done
        self._rows_dirty = self._rows_dirty or bool(added)
        # Repaint at once for the first rows and the end; in between at most every
        # REPAINT_INTERVAL (the timer below): a repaint per page costs more than the scan.
        if first_rows or event.done:
            self._flush_rows(resort=True)

    @on(m.KeysMetaFetched)
    def keys_meta_fetched(self, event: m.KeysMetaFetched) -> None:
        if event.generation != self.scan_generation:
            return
        if event.hints is not None:
            self.store.set_meta_at(
                event.hints, event.keys, event.types, event.pttls, time.monotonic()
            )
            if event.hints:
                self._meta_changed(min(event.hints), max(event.hints) + 1)
            return
        batches = self._meta_batches
        start = batches.pop(event.batch, None) if event.last else batches.get(event.batch)
        if event.keys:
            # Not contiguous (duplicates): a search per key instead.
            start = len(self.store) if start is None else start + event.offset
            self.store.set_meta_batch(start, event.keys, event.types, event.pttls, time.monotonic())
            self._meta_changed(start, start + len(event.keys))
        if event.done:
            self._meta_done = True
            if self._names_done:
                self.scanning = False
                self._flush_rows(resort=True)

    def _meta_changed(self, first: int, end: int) -> None:
        """Types and TTLs came for the rows stored at ``first``..``end`` (a removal since may
        have moved them up, to lower indexes, by up to ``NEAR``)."""
        # A list sorted by TTL or type must be sorted again; otherwise rows stay where they are
        # and only a change on screen is worth a repaint (most come for rows far below it).
        if self.store.sort_field:
            self._rows_dirty = True
            return
        shown = self.keys.visible_range()
        if first - NEAR <= shown.stop and end >= shown.start:
            self._meta_dirty = True

    def _flush_rows(self, resort: bool = False) -> None:
        """Show what the scan added since the last repaint."""
        if self._rows_dirty:
            keys = self.keys
            now = time.monotonic()
            sorting = bool(self.store.sort_field)
            # New rows land below a full screen: only the scrollbar would change, and a new
            # virtual size costs a layout of the whole screen. Do that at most every second.
            below = not sorting and self._shown_rows >= keys.visible_range().stop + 1
            if below and not resort and now - self._laid_out_at < LAYOUT_INTERVAL:
                self._update_status()
                return
            self._rows_dirty = False
            # Sorting a million keys takes a second: while scanning, re-sort now and then.
            if sorting and (resort or now - self._sorted_at > RESORT_INTERVAL):
                self._sorted_at = now
                # The first rows of a new scan start at the top of the sorted list; later
                # re-sorts keep the key the user is on.
                current = keys.current_key if self._shown_rows else None
                self.store.sort(self.store.sort_field)
                if current is not None:
                    keys.select_key(current)
            keys.rows_changed()
            self._shown_rows = len(self.store)
            self._laid_out_at = now
        self._update_status()

    def _update_status(self) -> None:
        count = len(self.store)
        unfiltered = not (self.pattern or self.type_filter or self.no_ttl_only)
        total = f" of {self.dbsize:,}" if self.dbsize is not None and unfiltered else ""
        state = (
            " (scanning…)"
            if self.scanning
            else " (stopped: x continues)"
            if self.scan_stopped
            else ""
        )
        parts = [f"{count:,} keys{total}{state}"]
        if self.pattern:
            parts.append(f"filter {self.pattern}")
        if self.type_filter:
            parts.append(f"type {self.type_filter}")
        if self.no_ttl_only:
            parts.append("no TTL only")
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
        if event.session_pttls:
            self.session_pane.update_ttls(event.session_pttls)
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
        self.version = None
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
        value = event.value
        if value.key != self.keys.current_key:
            return
        if event.version is not None:
            self.version = event.version
            self.value_pane.exact_version = bool(getattr(event.version, "exact", True))
        self.value_pane.show(value, append=event.append)
        # Keep the list's row in step with what was just read.
        index = self.store.index_of(value.key) if not event.append else None
        if index is not None:
            self.store.set_meta(index, value.type, value.ttl_ms, time.monotonic())
            self.keys.refresh()

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
        elif value.type == "stream" and value.rows:
            last_id = value.rows[-1][0]
            self.redis.load(value.key, offset=len(value.rows), after_id=last_id, append=True)
        else:
            self.redis.load(value.key, offset=value.offset + len(value.rows), append=True)

    # -- delete ---------------------------------------------------------------------------

    def action_delete(self) -> None:
        key = self.keys.current_key
        if key is None:
            return
        body = Content.from_markup(
            "Delete the key\n\n[b]$key[/b]\n\nfrom db $db? (u undoes it while redis-tui runs)",
            key=escape_key(key),
            db=str(self.settings.db),
        )

        version = self.version if self.value_pane.value is not None else None

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.confirm_write(
                    f"delete {escape_key(key)}", lambda: self.redis.delete(key, version)
                )

        self.push_screen(ConfirmScreen("Delete key", body), answered)

    @on(m.KeyDeleted)
    def key_deleted(self, event: m.KeyDeleted) -> None:
        keys = self.keys
        was_current = keys.current_key == event.key
        if self.store.remove(event.key):
            keys.rows_changed()
        if was_current:
            keys.reannounce()
        self.notify(f"Deleted {escape_key(event.key)}", markup=False, timeout=3)
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only hides writes here; the worker refuses them regardless.
        if action in WRITE_ACTIONS and self.settings.readonly:
            return False
        if action == "remove_element":
            value = self.value_pane.value
            return value is not None and value.type != "string"
        # In the tree, a folder row is no key: key actions wait for a key row.
        tree = self._tree
        if action in KEY_ACTIONS and tree is not None and tree.display:
            return tree.current_key is not None
        return True

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
        self.filter_box.display = False
        self.command_bar.display = False
        self.switcher.current = "value"
        self.keys.focus()

    def action_refresh(self) -> None:
        self.start_scan()

    def action_sort(self) -> None:
        self.sort_by(SORT_ORDER[(self._sort_index + 1) % len(SORT_ORDER)])

    def sort_by(self, field: str | None) -> None:
        if field not in SORT_ORDER:
            self.notify(
                f"Cannot sort by {field}: name, ttl, type, size or none", severity="warning"
            )
            return
        self._sort_index = SORT_ORDER.index(field)
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
        elif pane == "sessions":
            self.show_sessions()
            target = self.session_pane.list
        else:
            self.switcher.current = "value"
            table = self.value_pane.table
            target = table if table.display else self.value_pane.text
        target.focus()

    def action_connect(self) -> None:
        from redis_tui.ui.screens.connect import ConnectScreen

        def chosen(result: tuple[ConnectionSettings, Profile | None] | None) -> None:
            if result is not None:
                self.switch_connection(*result)

        self.push_screen(ConnectScreen(self.settings, self.config, self.profile), chosen)

    # -- command bar ----------------------------------------------------------------------

    def action_command_bar(self) -> None:
        self.open_command_bar("")

    def open_command_bar(self, text: str) -> None:
        self.command_bar.open()
        self.command_bar.value = text
        self.command_bar.cursor_position = len(text)

    @on(Input.Submitted, "#command-bar")
    def command_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.command_bar.remember(text)
        self.command_bar.display = False
        self.keys.focus()
        try:
            command = parse_command(text)
        except CommandError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.run_command(command.name, command.arg)

    def run_command(self, name: str, arg: str) -> None:
        """Carry out one ``:`` command (already parsed and validated)."""
        if name == "q":
            self.exit()
        elif name == "db":
            facts = self.conn_pane.facts
            if facts.mode == "cluster" or facts.cluster_state is not None:
                self.notify(
                    "A cluster has database 0 only: :db cannot switch",
                    severity="warning",
                    markup=False,
                )
            else:
                self.switch_db(int(arg))
        elif name == "filter":
            self.pattern = "" if arg in ("", "*") else arg
            self.start_scan()
        elif name == "type":
            self.type_filter = arg or None
            self.start_scan()
        elif name == "nottl":
            self.no_ttl_only = not self.no_ttl_only
            self.start_scan()
        elif name == "key":
            self.redis.lookup(unescape_key(arg))
        elif name == "help":
            self.action_help()
        elif name == "sessions":
            self.action_focus_pane("sessions")
        elif name == "info":
            self.redis.fetch_info()
        elif name == "dbs":
            self.show_databases()
        elif name == "reconnect":
            self.conn_pane.set_settings(self.settings)
            if self.conn_pane.state == "disconnected" or not self.workers_in("redis"):
                self.switch_connection(self.settings, self.profile)
            else:
                self.redis.reconnect()
        elif name == "disconnect":
            self.disconnect()
        elif name == "stop":
            self.stop_scan()
        elif name == "continue":
            self.continue_scan()
        elif name == "sort":
            self.sort_by(None if arg in ("", "none") else arg)
        elif name == "ttl":
            self.apply_ttl_text(arg)
        elif name == "del":
            self.open_bulk_delete(unescape_key(arg))
        else:
            self.notify(f":{name} is not available yet", severity="warning", markup=False)

    @on(m.DatabaseRefused)
    def database_refused(self, event: m.DatabaseRefused) -> None:
        self.notify(
            f"Database {event.refused} does not exist on this server: back to db {event.back_to}",
            severity="warning",
        )
        self.settings = self.settings.replace(db=event.back_to)
        self.conn_pane.set_settings(self.settings)
        self.start_scan()

    def switch_db(self, db: int) -> None:
        self.settings = self.settings.replace(db=db)
        self.conn_pane.set_settings(self.settings)
        self.redis.select_db(db)
        self.start_scan()

    def show_databases(self) -> None:
        keyspace = self.conn_pane.facts.keyspace
        if not keyspace:
            self.notify("No database has keys (or INFO is not permitted)", markup=False)
            return
        lines = [
            f"db{db}: {count:,} keys" + ("  ← current" if db == self.settings.db else "")
            for db, count in sorted(keyspace.items())
        ]
        self.notify("\n".join(lines), title="Databases (:db N switches)", markup=False, timeout=8)

    def stop_scan(self) -> None:
        if self.scanning:
            self.redis.stop_scan()
            self.scanning = False
            self.scan_stopped = True
            self._update_status()

    def continue_scan(self) -> None:
        if self.scan_stopped:
            # Keys listed before the stop whose type had not come yet get it first.
            self.scan_generation = self.redis.scan(
                self._match(),
                self.type_filter,
                resume=True,
                names_first=not self.no_ttl_only,
                backlog=self.store.unknown_types(),
            )
            self._meta_batches = {}
            self._names_done = self._meta_done = False
            self.scanning = True
            self.scan_stopped = False
            self._update_status()

    def action_stop_scan(self) -> None:
        if self.scanning:
            self.stop_scan()
        else:
            self.continue_scan()

    def action_pause(self) -> None:
        self.redis.paused = not self.redis.paused
        self._update_live_status()
        self.notify(
            "Live updates paused" if self.redis.paused else "Live updates resumed", timeout=1.5
        )

    @on(m.KeyFound)
    def key_found(self, event: m.KeyFound) -> None:
        if event.key not in self.store:
            self.store.add([event.key], [event.type_name], [event.pttl])
            self.keys.rows_changed()
            self._update_status()
        self.keys.select_key(event.key)
        self.keys.focus()

    @on(m.InfoLoaded)
    def info_loaded(self, event: m.InfoLoaded) -> None:
        self.push_screen(TextScreen("Server INFO", event.text))

    def action_help(self) -> None:
        rows: list[tuple[str, str, str, str]] = []
        for where, bindings in (
            ("everywhere", self.BINDINGS),
            ("key list", KeyList.BINDINGS),
            ("namespace tree", NamespaceList.BINDINGS),
            ("value pane", ValuePane.BINDINGS),
            ("session inspector", SessionPane.BINDINGS),
            ("command bar", CommandBar.BINDINGS),
        ):
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = ", ".join(
                        self.get_key_display(Binding(k, binding.action))
                        for k in binding.key.split(",")
                    )
                    rows.append(
                        (keys, binding.tooltip or binding.description, where, binding.id or "")
                    )
        self.push_screen(HelpScreen(rows))

    # -- sizes of the visible keys (MEMORY USAGE) -----------------------------------------

    _sizes_asked: tuple[tuple[bytes, ...], float] = ((), 0.0)

    def _request_sizes(self) -> None:
        """Ask for the sizes of the visible keys not known yet: at most once per tick, and
        the same rows again only after SIZE_RETRY seconds (a reply lost with the link)."""
        rows = self.store.unknown_sizes(self.keys.visible_rows())
        if not rows:
            return
        keys, now = tuple(key for _, key in rows), time.monotonic()
        asked, at = self._sizes_asked
        if keys == asked and now - at < SIZE_RETRY:
            return
        self._sizes_asked = (keys, now)
        self.redis.fetch_sizes(rows)

    @on(m.KeySizesFetched)
    def key_sizes_fetched(self, event: m.KeySizesFetched) -> None:
        self.store.set_sizes(event.keys, event.sizes, event.hints)
        self._sizes_asked = ((), 0.0)
        self.keys.refresh()
